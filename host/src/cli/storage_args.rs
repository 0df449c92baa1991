//! Object-storage flags shared by `upload`, `generate --out s3://...` and `to-milvus import`,
//! with the usual `AWS_*` variables as fallbacks, and how storage errors reach the user.

use clap::Args;

use super::error::CliError;
use crate::storage::{Secret, StorageError, StorageOptions};

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
    pub fn options(&self) -> StorageOptions {
        StorageOptions {
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
        }
    }
}

impl From<StorageError> for CliError {
    fn from(e: StorageError) -> CliError {
        let hint = match &e {
            StorageError::NoBucket { .. } => {
                Some("check the bucket name, or pass --create-bucket to create it")
            }
            StorageError::Denied { .. } => Some(
                "check --access-key-id/--secret-access-key (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and the key's permissions on the bucket",
            ),
            StorageError::Store { .. } => {
                Some("is the endpoint right and reachable? (--endpoint-url / AWS_ENDPOINT_URL)")
            }
            StorageError::Interrupted => {
                Some("re-run the same command: objects already uploaded are skipped")
            }
            _ => None,
        };
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
