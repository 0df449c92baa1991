//! An opened [`Location`]: the `object_store` client for its bucket (or local directory) and
//! the key helpers every command uses. Errors name the object by URL, never a credential.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{BackoffConfig, ObjectMeta, ObjectStore, RetryConfig};

use super::azure::AzureAccount;
use super::error::{Result, StorageError};
use super::location::Location;
use super::options::StorageOptions;

/// Which family of store, for the checks that differ (ETag semantics, bucket creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Local,
    S3,
    Gcs,
    Azure,
}

impl StoreKind {
    /// What the store calls a bucket, for messages.
    pub fn bucket_noun(self) -> &'static str {
        match self {
            StoreKind::Azure => "container",
            StoreKind::Local => "directory",
            StoreKind::S3 | StoreKind::Gcs => "bucket",
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pub inner: Arc<dyn ObjectStore>,
    pub location: Location,
    pub kind: StoreKind,
    /// The S3 endpoint as given, or the Azure account's blob service URL (for messages and
    /// bucket creation); credentials are not in it.
    pub endpoint: String,
    pub region: String,
    pub(crate) options: StorageOptions,
    /// The account of an `az://` location (for Create Container and redaction).
    pub(crate) azure: Option<AzureAccount>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.location)
    }
}

fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    let host = if rest.starts_with('[') {
        rest.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Store {
    /// Builds the client. Nothing is sent yet: use [`Store::check_access`] to find out early
    /// whether the bucket exists and the credentials work.
    pub fn open(location: &Location, options: &StorageOptions) -> Result<Store> {
        let mut options = options.clone();
        options.apply_profile();
        let config = |reason: String| StorageError::Config {
            url: location.to_string(),
            reason,
        };
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(200),
                max_backoff: Duration::from_secs(15),
                base: 2.0,
            },
            max_retries: options.max_retries,
            retry_timeout: options.retry_timeout,
        };
        let mut secrets = options.secrets();
        let mut azure = None;
        if matches!(location, Location::Azure { .. }) {
            let account = AzureAccount::from_builder(&MicrosoftAzureBuilder::from_env());
            secrets.extend(account.secrets());
            azure = Some(account);
        }
        let redacted =
            |e: object_store::Error| config(super::error::redact(&e.to_string(), &secrets));
        let mut endpoint = String::new();
        let mut region = String::new();
        let (inner, kind): (Arc<dyn ObjectStore>, StoreKind) = match location {
            Location::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| StorageError::Local {
                    path: dir.display().to_string(),
                    source: e,
                })?;
                let fs = LocalFileSystem::new_with_prefix(dir).map_err(redacted)?;
                (Arc::new(fs), StoreKind::Local)
            }
            Location::S3 { bucket, .. } => {
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(url) = &options.endpoint_url {
                    let url = url.trim_end_matches('/');
                    if !url.starts_with("http://") && !url.starts_with("https://") {
                        return Err(config(format!(
                            "--endpoint-url `{url}` must start with http:// or https://"
                        )));
                    }
                    if url.starts_with("http://") && !options.allow_http && !is_loopback(url) {
                        return Err(config(format!(
                            "--endpoint-url `{url}` is plain HTTP to a non-loopback host; pass --allow-http to send data unencrypted"
                        )));
                    }
                    endpoint = url.to_string();
                    builder = builder
                        .with_endpoint(url)
                        .with_virtual_hosted_style_request(false)
                        .with_allow_http(url.starts_with("http://"));
                } else {
                    endpoint = builder
                        .get_config_value(&object_store::aws::AmazonS3ConfigKey::Endpoint)
                        .unwrap_or_else(|| "AWS S3".to_string());
                }
                region = options
                    .region
                    .clone()
                    .or_else(|| std::env::var("AWS_REGION").ok())
                    .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
                    .unwrap_or_else(|| "us-east-1".to_string());
                builder = builder.with_region(&region);
                if let Some(key) = &options.access_key_id {
                    builder = builder.with_access_key_id(key.expose());
                }
                if let Some(secret) = &options.secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose());
                }
                if let Some(token) = &options.session_token {
                    builder = builder.with_token(token.expose());
                }
                let s3 = builder.with_retry(retry).build().map_err(redacted)?;
                (Arc::new(s3), StoreKind::S3)
            }
            Location::Gcs { bucket, .. } => {
                endpoint = "Google Cloud Storage".to_string();
                let gcs = GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry)
                    .build()
                    .map_err(redacted)?;
                (Arc::new(gcs), StoreKind::Gcs)
            }
            Location::Azure { container, .. } => {
                endpoint = azure
                    .as_ref()
                    .map(|a| a.service.clone())
                    .unwrap_or_default();
                let az = MicrosoftAzureBuilder::from_env()
                    .with_container_name(container)
                    .with_retry(retry)
                    .build()
                    .map_err(redacted)?;
                (Arc::new(az), StoreKind::Azure)
            }
        };
        Ok(Store {
            inner,
            location: location.clone(),
            kind,
            endpoint,
            region,
            options,
            azure,
        })
    }

    /// The object path of `name` (a `/`-separated path relative to the location).
    pub fn path(&self, name: &str) -> ObjPath {
        ObjPath::from(self.location.key(name))
    }

    /// The file behind `name` when the location is a local directory.
    pub fn local_path(&self, name: &str) -> Option<std::path::PathBuf> {
        match &self.location {
            Location::Local(dir) => Some(dir.join(name)),
            _ => None,
        }
    }

    /// `name` as a URL for messages.
    pub fn url(&self, name: &str) -> String {
        self.location.display(name)
    }

    /// Credentials to keep out of messages: the S3 keys and the Azure key or token.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut secrets = self.options.secrets();
        if let Some(account) = &self.azure {
            secrets.extend(account.secrets());
        }
        secrets
    }

    /// The error for a missing bucket (container) of this store.
    fn no_bucket(&self) -> Option<StorageError> {
        let (bucket, _) = self.location.bucket_prefix()?;
        Some(StorageError::NoBucket {
            bucket: bucket.to_string(),
            endpoint: self.endpoint.clone(),
            kind: self.kind,
        })
    }

    pub(crate) fn error(
        &self,
        op: &'static str,
        name: &str,
        e: object_store::Error,
    ) -> StorageError {
        let url = self.url(name);
        let err = StorageError::from_store(op, &url, e, &self.secrets());
        match &err {
            // S3 and GCS (XML API) say NoSuchBucket, Azure ContainerNotFound.
            StorageError::Store { reason, .. }
                if reason.contains("NoSuchBucket") || reason.contains("ContainerNotFound") =>
            {
                self.no_bucket().unwrap_or(err)
            }
            _ => err,
        }
    }

    /// Lists one key under the prefix: proves the bucket exists and the credentials may read it.
    /// (A HEAD of a missing object cannot tell a missing bucket from a missing key.)
    pub async fn check_access(&self) -> Result<()> {
        let prefix = self.path("");
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        self.inner
            .list_with_delimiter(prefix.as_ref())
            .await
            .map(|_| ())
            .map_err(|e| match self.error("list", "", e) {
                // A listing that 404s means the bucket (container) itself is missing.
                StorageError::NotFound { url } => {
                    self.no_bucket().unwrap_or(StorageError::NotFound { url })
                }
                other => other,
            })
    }

    /// Size, ETag and modification time of `name`, or `None` when it does not exist.
    pub async fn head(&self, name: &str) -> Result<Option<ObjectMeta>> {
        match self.inner.head(&self.path(name)).await {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("head", name, e)),
        }
    }

    pub async fn get(&self, name: &str) -> Result<Bytes> {
        let result = self
            .inner
            .get(&self.path(name))
            .await
            .map_err(|e| self.error("get", name, e))?;
        result.bytes().await.map_err(|e| self.error("get", name, e))
    }

    pub async fn delete(&self, name: &str) -> Result<()> {
        match self.inner.delete(&self.path(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("delete", name, e)),
        }
    }

    /// Every object under the prefix, with names relative to it.
    pub async fn list(&self) -> Result<Vec<(String, ObjectMeta)>> {
        let prefix = self.path("");
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        let metas: Vec<ObjectMeta> = self
            .inner
            .list(prefix.as_ref())
            .try_collect()
            .await
            .map_err(|e| self.error("list", "", e))?;
        let strip = prefix
            .map(|p| format!("{}/", p.as_ref()))
            .unwrap_or_default();
        Ok(metas
            .into_iter()
            .map(|m| {
                let name = m
                    .location
                    .as_ref()
                    .strip_prefix(&strip)
                    .unwrap_or(m.location.as_ref())
                    .to_string();
                (name, m)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let location = Location::parse("s3://bkt/p").unwrap();
        let mut options = StorageOptions {
            endpoint_url: Some("http://storage.example.com:9000".into()),
            ..Default::default()
        };
        let err = Store::open(&location, &options).unwrap_err().to_string();
        assert!(err.contains("--allow-http"), "{err}");
        options.endpoint_url = Some("http://127.0.0.1:3900".into());
        assert!(Store::open(&location, &options).is_ok());
        assert!(is_loopback("http://[::1]:9000") && is_loopback("http://localhost"));
    }
}
