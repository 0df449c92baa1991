//! Errors of the object-storage layer. Each names the object (as a URL) and the operation;
//! none ever carries a credential: messages from the store are passed through [`redact`]
//! before they are kept, and server error bodies are cut to their code and message
//! ([`super::server_text`]).

use super::store::StoreKind;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid storage location `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("storage settings for {url}: {reason}")]
    Config { url: String, reason: String },
    /// The bucket (an Azure container) is missing; `kind` says which store's word to use.
    #[error("{} `{bucket}` does not exist at {endpoint}", kind.bucket_noun())]
    NoBucket {
        bucket: String,
        endpoint: String,
        kind: StoreKind,
    },
    #[error("{url}: access denied ({reason})")]
    Denied { url: String, reason: String },
    #[error("{url}: object not found")]
    NotFound { url: String },
    #[error("{url}: {op} failed: {reason}")]
    Store {
        url: String,
        op: &'static str,
        reason: String,
    },
    #[error("{url}: verification after upload failed: {reason}")]
    Verify { url: String, reason: String },
    #[error("{path}: {source}")]
    Local {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("interrupted")]
    Interrupted,
}

impl StorageError {
    /// Bad input the user can fix (URL, settings, credentials, bucket name): exit code 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StorageError::BadUrl { .. } | StorageError::Config { .. } | StorageError::Usage(_)
        )
    }

    /// The family of store the failed operation talked to, from the URL the error names
    /// (`None` for errors that name no object, such as a local file or an interrupt).
    pub fn kind(&self) -> Option<StoreKind> {
        let url = match self {
            StorageError::NoBucket { kind, .. } => return Some(*kind),
            StorageError::BadUrl { url, .. }
            | StorageError::Config { url, .. }
            | StorageError::Denied { url, .. }
            | StorageError::NotFound { url }
            | StorageError::Store { url, .. }
            | StorageError::Verify { url, .. } => url,
            StorageError::Local { .. } | StorageError::Usage(_) | StorageError::Interrupted => {
                return None;
            }
        };
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("s3" | "s3a") => Some(StoreKind::S3),
            Some("gs" | "gcs") => Some(StoreKind::Gcs),
            Some("az" | "azure" | "abfs") => Some(StoreKind::Azure),
            Some(_) => None,
            None => Some(StoreKind::Local),
        }
    }

    /// Classifies an `object_store` error for `url` (redacting `secrets` from its text).
    pub(crate) fn from_store(
        op: &'static str,
        url: &str,
        error: object_store::Error,
        secrets: &[String],
    ) -> StorageError {
        let reason = redact(&super::server_text::one_line(&chain(&error)), secrets);
        match error {
            object_store::Error::NotFound { .. }
                if !reason.contains("NoSuchBucket") && !reason.contains("ContainerNotFound") =>
            {
                StorageError::NotFound {
                    url: url.to_string(),
                }
            }
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => StorageError::Denied {
                url: url.to_string(),
                reason,
            },
            // Listing errors arrive as `Generic` with the HTTP status and the S3, GCS or Azure
            // error code in the text.
            _ if [
                "403 Forbidden",
                "401 Unauthorized",
                "AccessDenied",
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
                "AuthenticationFailed",
                "AuthorizationFailure",
                "AuthorizationPermissionMismatch",
            ]
            .iter()
            .any(|m| reason.contains(m)) =>
            {
                StorageError::Denied {
                    url: url.to_string(),
                    reason,
                }
            }
            _ => StorageError::Store {
                url: url.to_string(),
                op,
                reason,
            },
        }
    }
}

/// The error and its sources on one line (object_store nests the HTTP status and body).
pub(crate) use crate::error_chain::one_line as chain;

/// Replaces every occurrence of a credential in `text` by `***`. Belt and braces: object_store
/// does not put credentials in its messages, but a proxy or server echo might.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s.as_str(), "***");
    }
    out
}

pub type Result<T> = std::result::Result<T, StorageError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_every_occurrence() {
        let text = "bad key AKIA1234 with secret s3cr3t-value; again s3cr3t-value";
        let out = redact(text, &["AKIA1234".into(), "s3cr3t-value".into(), "".into()]);
        assert_eq!(out, "bad key *** with secret ***; again ***");
    }
}
