//! Errors of the Milvus I/O layer. Each carries what the user needs to act: the URI, the
//! collection, the field or file, and the server's own reason.

use std::path::PathBuf;

/// Why a Milvus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MilvusError {
    #[error("invalid Milvus URI `{uri}`: {reason}")]
    BadUri { uri: String, reason: String },
    #[error("cannot connect to Milvus at {uri}: {reason}")]
    Connect { uri: String, reason: String },
    /// The server refused the token. `user` is the part before `:` of `user:password`,
    /// `(API key)` for a token without `:`, `None` without a token; never the secret.
    #[error("authentication failed {} at {uri}: {reason}", match user {
        Some(u) => format!("for user `{u}`"),
        None => "(no token given: --token, --token-file or MILVUS_TOKEN)".to_string(),
    })]
    Auth {
        uri: String,
        user: Option<String>,
        reason: String,
    },
    /// The user is authenticated but its roles do not grant the privilege (RBAC).
    #[error("user {} is not allowed to do this at {uri}: {reason}", user.as_deref().map_or("(no token)".to_string(), |u| format!("`{u}`")))]
    Permission {
        uri: String,
        user: Option<String>,
        reason: String,
    },
    /// The TLS handshake failed; `reason` says what the certificate check refused.
    #[error("TLS connection to Milvus at {uri} failed: {reason}")]
    Tls { uri: String, reason: String },
    #[error("{rpc} failed: {reason}")]
    Rpc {
        rpc: &'static str,
        reason: String,
        /// Worth retrying (unavailable, rate-limited, timeouts).
        transient: bool,
    },
    #[error("server {version} does not support {feature}: {hint}")]
    Unsupported {
        version: String,
        feature: String,
        hint: String,
    },
    #[error(
        "collection `{collection}` exists with a different schema; use --drop-if-exists to recreate it or --collection-name to pick another name:\n{}",
        differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    SchemaMismatch {
        collection: String,
        differences: Vec<String>,
    },
    #[error("collection `{collection}` does not exist")]
    NoCollection { collection: String },
    #[error("{}: {reason}", path.display())]
    Data { path: PathBuf, reason: String },
    #[error("{}: column `{column}`: {reason}", path.display())]
    Column {
        path: PathBuf,
        column: String,
        reason: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The server stopped answering: every attempt of one request (`attempts`) ran into
    /// the request's deadline of `seconds` (`--rpc-timeout`, retries included).
    #[error(
        "Milvus at {uri} did not answer {rpc} within {seconds} s (--rpc-timeout, {attempts} attempt(s)); last error: {last}"
    )]
    NoAnswer {
        uri: String,
        rpc: &'static str,
        seconds: u64,
        attempts: u32,
        last: String,
    },
    #[error("timed out after {seconds}s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
    #[error("{0}")]
    Usage(String),
}

impl MilvusError {
    /// Bad input rather than a failure of the machine or the server: the CLI exits with 2.
    /// Covers what the user can fix in their input: the URI, a data file that does
    /// not match its schema, a schema the server (or the existing collection) cannot take.
    /// A refused token or certificate is a failure (exit 1), reported before anything is
    /// created or written.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            MilvusError::BadUri { .. }
                | MilvusError::Usage(_)
                | MilvusError::Column { .. }
                | MilvusError::Data { .. }
                | MilvusError::SchemaMismatch { .. }
                | MilvusError::Unsupported { .. }
        )
    }

    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            MilvusError::Rpc {
                transient: true,
                ..
            }
        )
    }

    /// The same error with `at` (a file, a row range) in front of the server's reason, for
    /// the request failures that carry one; other errors are returned as they are.
    pub fn at(self, at: &str) -> MilvusError {
        match self {
            MilvusError::Rpc {
                rpc,
                reason,
                transient,
            } => MilvusError::Rpc {
                rpc,
                reason: format!("{at}: {reason}"),
                transient,
            },
            MilvusError::NoAnswer {
                uri,
                rpc,
                seconds,
                attempts,
                last,
            } => MilvusError::NoAnswer {
                uri,
                rpc,
                seconds,
                attempts,
                last: format!("{last} ({at})"),
            },
            other => other,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> MilvusError {
        MilvusError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, MilvusError>;
