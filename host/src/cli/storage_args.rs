//! Object-storage flags shared by `upload`, `generate --out s3://...` and `to-milvus import`,
//! with the usual `AWS_*` variables as fallbacks, and how storage errors reach the user (with a
//! hint naming the settings of the store in question). `gs://` and `az://` locations take
//! their settings from object_store's `GOOGLE_*` and `AZURE_*` variables only.

use clap::Args;

use super::error::CliError;
use crate::storage::{Secret, StorageError, StorageOptions, StoreKind};

#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// S3-compatible endpoint, e.g. http://127.0.0.1:9000 (MinIO, Garage); path-style requests.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Region of the bucket [default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub access_key_id: Option<String>,
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub secret_access_key: Option<String>,
    /// Profile of ~/.aws/credentials to take keys from when none are given.
    #[arg(long, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Allow plain HTTP to a non-loopback endpoint.
    #[arg(long)]
    pub allow_http: bool,
    /// Retries per request (exponential backoff).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub retries: usize,
}

impl StorageArgs {
    /// The library's options; every credential is registered for redaction.
    pub fn options(&self) -> StorageOptions {
        let options = StorageOptions {
            endpoint_url: self.endpoint_url.clone().filter(|s| !s.is_empty()),
            region: self.region.clone().filter(|s| !s.is_empty()),
            access_key_id: self
                .access_key_id
                .clone()
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            secret_access_key: self
                .secret_access_key
                .clone()
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            session_token: std::env::var("AWS_SESSION_TOKEN").ok().map(Secret::new),
            profile: self.profile.clone(),
            allow_http: self.allow_http,
            max_retries: self.retries,
            ..StorageOptions::default()
        };
        for secret in options.secrets() {
            crate::redact::register(&secret);
        }
        if let Some(endpoint) = &options.endpoint_url {
            crate::redact::register_uri(endpoint);
        }
        options
    }
}

/// Where to look when a storage operation failed, in the terms of the store it talked to
/// (an S3 flag means nothing for `az://`).
fn hint(e: &StorageError) -> Option<&'static str> {
    let kind = e.kind();
    let hint = match (e, kind) {
        (StorageError::Interrupted, _) => {
            "re-run the same command: objects already uploaded are skipped"
        }
        (StorageError::NoBucket { .. }, Some(StoreKind::Azure)) => {
            "check the container name and AZURE_STORAGE_ACCOUNT_NAME, or pass --create-bucket to create the container"
        }
        (StorageError::NoBucket { .. }, Some(StoreKind::Gcs)) => {
            "check the bucket name; create it with `gcloud storage buckets create` (--create-bucket is S3/Azure only)"
        }
        (StorageError::NoBucket { .. }, _) => {
            "check the bucket name, or pass --create-bucket to create it"
        }
        (StorageError::Denied { .. } | StorageError::Config { .. }, Some(StoreKind::Azure)) => {
            "Azure settings: AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY, or a SAS token in AZURE_STORAGE_SAS_TOKEN, or a bearer token in AZURE_STORAGE_TOKEN (else managed identity); for Azurite AZURE_STORAGE_USE_EMULATOR=true"
        }
        (StorageError::Denied { .. } | StorageError::Config { .. }, Some(StoreKind::Gcs)) => {
            "GCS settings: GOOGLE_SERVICE_ACCOUNT (or GOOGLE_APPLICATION_CREDENTIALS) naming a service-account JSON file, or GOOGLE_SERVICE_ACCOUNT_KEY holding it; the account needs access to the bucket"
        }
        (StorageError::Denied { .. }, _) => {
            "check --access-key-id/--secret-access-key (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and the key's permissions on the bucket"
        }
        (StorageError::Store { .. }, Some(StoreKind::Azure)) => {
            "is the account endpoint right and reachable? (AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ENDPOINT; for Azurite AZURE_STORAGE_USE_EMULATOR=true and AZURITE_BLOB_STORAGE_URL)"
        }
        (StorageError::Store { .. }, Some(StoreKind::Gcs)) => {
            "is Google Cloud Storage reachable, and are the GOOGLE_SERVICE_ACCOUNT credentials for this bucket's project?"
        }
        (StorageError::Store { .. }, _) => {
            "is the endpoint right and reachable? (--endpoint-url / AWS_ENDPOINT_URL)"
        }
        _ => return None,
    };
    Some(hint)
}

impl From<StorageError> for CliError {
    fn from(e: StorageError) -> CliError {
        let hint = hint(&e);
        let err = if e.is_usage() {
            CliError::usage(e)
        } else {
            CliError::failure(e)
        };
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}
