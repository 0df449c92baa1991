//! OCI distribution registries, through the `oci-client` crate (ORAS project).
//!
//! Packages are repositories `<prefix><ns>/<name>`, versions are semver tags, and each version
//! is a Wasm OCI artifact (see `artifact`). Tags are mutable, so everything we keep refers to
//! digests: the manifest digest and the layer (component) digest.

use std::collections::BTreeMap;

use futures::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{OciDescriptor, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use semver::Version;

use super::artifact::{
    IMAGE_MANIFEST_MEDIA_TYPE, PluginMeta, Published, WASM_CONFIG_MEDIA_TYPE,
    WASM_LAYER_MEDIA_TYPE, WasmConfig,
};
use super::auth::{Credentials, credentials_for};
use super::cache::{BlobCache, sha256_digest};
use super::catalog::Catalog;
use super::error::RegistryError;
use super::name::{PackageName, semver_tags};
use super::reference::{RegistryRef, host_is_loopback};

/// A connection to one OCI registry (host plus repository prefix).
pub struct OciRegistry {
    reference: RegistryRef,
    host: String,
    prefix: String,
    http: bool,
    client: Client,
    auth: RegistryAuth,
    credentials: Option<Credentials>,
    /// Why the credential helper the Docker config names gave nothing (see `auth::Lookup`).
    credential_problem: Option<String>,
    runtime: tokio::runtime::Runtime,
}

impl OciRegistry {
    /// Connects lazily (nothing is sent until the first call). Plain HTTP is used for loopback
    /// hosts, and for other hosts only with `allow_http`.
    pub fn new(reference: &RegistryRef, allow_http: bool) -> Result<OciRegistry, RegistryError> {
        let RegistryRef::Oci {
            host,
            prefix,
            plain_http,
        } = reference
        else {
            unreachable!("OciRegistry::new takes an oci:// reference");
        };
        let loopback = host_is_loopback(host);
        if *plain_http && !loopback && !allow_http {
            return Err(RegistryError::InsecureRegistry {
                registry: reference.to_string(),
            });
        }
        let http = loopback || allow_http || *plain_http;
        let protocol = if http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        };
        let client = Client::new(ClientConfig {
            protocol,
            connect_timeout: Some(std::time::Duration::from_secs(10)),
            read_timeout: Some(std::time::Duration::from_secs(120)),
            user_agent: concat!("milvus-ingest/", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        });
        let lookup = credentials_for(host);
        let credentials = lookup.credentials;
        let auth = match &credentials {
            Some(c) => RegistryAuth::Basic(c.username.clone(), c.password.clone()),
            None => RegistryAuth::Anonymous,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RegistryError::Remote {
                registry: reference.to_string(),
                message: format!("starting the I/O runtime: {e}"),
            })?;
        Ok(OciRegistry {
            reference: reference.clone(),
            host: host.clone(),
            prefix: prefix.clone(),
            http,
            client,
            auth,
            credentials,
            credential_problem: lookup.problem,
            runtime,
        })
    }

    fn image(&self, name: &PackageName, tag: &str) -> Reference {
        Reference::with_tag(
            self.host.clone(),
            self.reference.repository(name),
            tag.to_string(),
        )
    }

    fn image_at(&self, name: &PackageName, digest: &str) -> Reference {
        Reference::with_digest(
            self.host.clone(),
            self.reference.repository(name),
            digest.to_string(),
        )
    }

    fn classify(&self, e: OciDistributionError, what: String) -> RegistryError {
        self.explain(classify(e, what, self.reference.to_string()))
    }

    /// A refusal while the credential helper config.json names could not be run is that
    /// helper's fault: say so, rather than advise `docker login`.
    fn explain(&self, e: RegistryError) -> RegistryError {
        match (e, &self.credential_problem) {
            (RegistryError::NotAuthorized { what, registry, .. }, Some(problem)) => {
                RegistryError::CredentialHelper {
                    what,
                    registry,
                    problem: problem.clone(),
                }
            }
            (e, _) => e,
        }
    }

    /// Package names under the prefix, from the registry's catalog (`GET /v2/_catalog`, every
    /// page: see `catalog`).
    pub fn packages(&self) -> Result<Vec<PackageName>, RegistryError> {
        let scheme = if self.http { "http" } else { "https" };
        let base = format!("{scheme}://{}", self.host);
        let registry = self.reference.to_string();
        let catalog = Catalog {
            base: &base,
            credentials: self.credentials.as_ref(),
            registry: &registry,
        };
        let repositories = self
            .runtime
            .block_on(catalog.repositories())
            .map_err(|e| self.explain(e))?;
        let mut out: Vec<PackageName> = repositories
            .iter()
            .filter_map(|r| r.strip_prefix(self.prefix.as_str()))
            .filter_map(|rest| {
                let (ns, name) = rest.split_once('/')?;
                format!("{ns}:{name}").parse().ok()
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Semver tags of a package, ascending.
    pub fn versions(&self, name: &PackageName) -> Result<Vec<Version>, RegistryError> {
        let image = self.image(name, "latest");
        let tags = self
            .runtime
            .block_on(self.client.list_tags(&image, &self.auth, None, None))
            .map_err(|e| self.classify(e, format!("package {name}")))?;
        Ok(semver_tags(tags.tags))
    }

    /// The manifest digest a tag points to now.
    pub fn tag_digest(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<String, RegistryError> {
        let image = self.image(name, &version.to_string());
        self.runtime
            .block_on(self.client.fetch_manifest_digest(&image, &self.auth))
            .map_err(|e| self.classify(e, format!("{name}@{version}")))
    }

    /// Reads the manifest (by tag, or by `manifest_digest` when given) and the config.
    pub fn describe(
        &self,
        name: &PackageName,
        version: &Version,
        manifest_digest: Option<&str>,
    ) -> Result<Published, RegistryError> {
        let what = format!("{name}@{version}");
        let image = match manifest_digest {
            Some(d) => self.image_at(name, d),
            None => self.image(name, &version.to_string()),
        };
        let (raw, digest) = self
            .runtime
            .block_on(self.client.pull_manifest_raw(
                &image,
                &self.auth,
                &[IMAGE_MANIFEST_MEDIA_TYPE],
            ))
            .map_err(|e| self.classify(e, what.clone()))?;
        let actual = sha256_digest(&raw);
        if let Some(expected) = manifest_digest
            && actual != expected
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("manifest of {what}"),
                expected: expected.to_string(),
                actual,
            });
        }
        let manifest: OciImageManifest =
            serde_json::from_slice(&raw).map_err(|e| RegistryError::Remote {
                registry: self.reference.to_string(),
                message: format!("{what}: manifest does not parse: {e}"),
            })?;
        let layer = wasm_layer(&manifest).map_err(|message| RegistryError::Remote {
            registry: self.reference.to_string(),
            message: format!("{what} is not a Wasm component artifact: {message}"),
        })?;
        let meta = self.config_meta(&image, &manifest.config, &what)?;
        Ok(Published {
            name: name.clone(),
            version: version.clone(),
            digest: layer.digest.clone(),
            manifest: Some(if digest.starts_with("sha256:") {
                digest
            } else {
                actual
            }),
            size: layer.size.max(0) as u64,
            meta,
        })
    }

    fn config_meta(
        &self,
        image: &Reference,
        config: &OciDescriptor,
        what: &str,
    ) -> Result<Option<PluginMeta>, RegistryError> {
        if config.media_type != WASM_CONFIG_MEDIA_TYPE {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        self.runtime
            .block_on(self.client.pull_blob(image, config, &mut bytes))
            .map_err(|e| self.classify(e, format!("config of {what}")))?;
        Ok(serde_json::from_slice::<WasmConfig>(&bytes)
            .ok()
            .and_then(|c| c.milvus_ingest))
    }

    /// Streams the component of `published` into the cache, hashing on the way.
    pub fn fetch(
        &self,
        published: &Published,
        cache: &BlobCache,
    ) -> Result<std::path::PathBuf, RegistryError> {
        let what = format!("{}@{}", published.name, published.version);
        let image = match &published.manifest {
            Some(d) => self.image_at(&published.name, d),
            None => self.image(&published.name, &published.version.to_string()),
        };
        let desc = OciDescriptor {
            media_type: WASM_LAYER_MEDIA_TYPE.into(),
            digest: published.digest.clone(),
            size: published.size as i64,
            ..Default::default()
        };
        let mut writer = cache.writer(&published.digest, &what)?;
        self.runtime.block_on(async {
            let mut stream = self
                .client
                .pull_blob_stream(&image, &desc)
                .await
                .map_err(|e| self.classify(e, format!("component of {what}")))?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| RegistryError::DigestMismatch {
                    what: format!("component of {what} (download)"),
                    expected: published.digest.clone(),
                    actual: format!("unverified ({e})"),
                })?;
                writer.write(&chunk)?;
            }
            Ok::<(), RegistryError>(())
        })?;
        writer.finish()
    }

    /// Pushes a component as `name:version` (layer, config, then the manifest that makes the
    /// tag appear). Returns what was published, with both digests.
    pub fn push(
        &self,
        name: &PackageName,
        version: &Version,
        bytes: &[u8],
        config: &WasmConfig,
    ) -> Result<Published, RegistryError> {
        let what = format!("{name}@{version}");
        let image = self.image(name, &version.to_string());
        let config_bytes = serde_json::to_vec(config).expect("config serialises");
        let layer_digest = sha256_digest(bytes);
        let mut layer_annotations = BTreeMap::new();
        // oras and other tools name the pulled file after this annotation.
        layer_annotations.insert(
            "org.opencontainers.image.title".to_string(),
            format!("{}.wasm", name.name),
        );
        let layer = ImageLayer::new(
            bytes.to_vec(),
            WASM_LAYER_MEDIA_TYPE.to_string(),
            Some(layer_annotations),
        );
        let config_obj = Config::new(config_bytes, WASM_CONFIG_MEDIA_TYPE.to_string(), None);
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "org.opencontainers.image.version".to_string(),
            version.to_string(),
        );
        annotations.insert(
            "org.opencontainers.image.title".to_string(),
            name.to_string(),
        );
        if let Some(meta) = &config.milvus_ingest
            && !meta.description.is_empty()
        {
            annotations.insert(
                "org.opencontainers.image.description".to_string(),
                meta.description.clone(),
            );
        }
        if let Some(created) = &config.created {
            annotations.insert(
                "org.opencontainers.image.created".to_string(),
                created.clone(),
            );
        }
        let mut manifest =
            OciImageManifest::build(std::slice::from_ref(&layer), &config_obj, Some(annotations));
        manifest.media_type = Some(IMAGE_MANIFEST_MEDIA_TYPE.to_string());
        let manifest_bytes = serde_json::to_vec(&manifest).expect("manifest serialises");
        let manifest_digest = sha256_digest(&manifest_bytes);
        self.runtime
            .block_on(async {
                self.client
                    .store_auth_if_needed(image.resolve_registry(), &self.auth)
                    .await;
                self.client
                    .push_blob(&image, &layer.data, &layer_digest)
                    .await?;
                self.client
                    .push_blob(&image, &config_obj.data, &manifest.config.digest)
                    .await?;
                self.client
                    .push_manifest_raw(
                        &image,
                        manifest_bytes,
                        IMAGE_MANIFEST_MEDIA_TYPE.parse().expect("valid header"),
                    )
                    .await
            })
            .map_err(|e| self.classify(e, what))?;
        Ok(Published {
            name: name.clone(),
            version: version.clone(),
            digest: layer_digest,
            manifest: Some(manifest_digest),
            size: bytes.len() as u64,
            meta: config.milvus_ingest.clone(),
        })
    }
}

/// The single `application/wasm` layer of a manifest.
fn wasm_layer(manifest: &OciImageManifest) -> Result<&OciDescriptor, String> {
    let wasm: Vec<&OciDescriptor> = manifest
        .layers
        .iter()
        .filter(|l| l.media_type == WASM_LAYER_MEDIA_TYPE)
        .collect();
    match wasm.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no layer of media type {WASM_LAYER_MEDIA_TYPE} (layers: {})",
            manifest
                .layers
                .iter()
                .map(|l| l.media_type.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Err(format!("more than one {WASM_LAYER_MEDIA_TYPE} layer")),
    }
}

/// Turns a client error into not found / not authorized / digest mismatch / other.
fn classify(e: OciDistributionError, what: String, registry: String) -> RegistryError {
    let not_found = |what| RegistryError::NotFound {
        what,
        registry: registry.clone(),
    };
    let denied = |what, detail: String| RegistryError::NotAuthorized {
        what,
        registry: registry.clone(),
        detail,
    };
    match &e {
        OciDistributionError::ImageManifestNotFoundError(_) => not_found(what),
        OciDistributionError::AuthenticationFailure(m) => denied(what, format!(" ({m})")),
        OciDistributionError::UnauthorizedError { .. } => denied(what, String::new()),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::NameUnknown
                        | OciErrorCode::ManifestUnknown
                        | OciErrorCode::BlobUnknown
                        | OciErrorCode::NotFound
                )
            }) {
                not_found(what)
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                denied(what, String::new())
            } else {
                RegistryError::Remote {
                    registry,
                    message: format!("{what}: {e}"),
                }
            }
        }
        OciDistributionError::ServerError { code: 404, .. } => not_found(what),
        OciDistributionError::ServerError {
            code: 401 | 403, ..
        } => denied(what, String::new()),
        OciDistributionError::DigestError(d) => RegistryError::DigestMismatch {
            what,
            expected: "the digest the registry announced".into(),
            actual: d.to_string(),
        },
        _ => RegistryError::Remote {
            registry,
            message: format!("{what}: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(e: OciDistributionError) -> &'static str {
        match classify(e, "acme:dice@1.0.0".into(), "oci://r/".into()) {
            RegistryError::NotFound { .. } => "not found",
            RegistryError::NotAuthorized { .. } => "not authorized",
            RegistryError::DigestMismatch { .. } => "digest mismatch",
            _ => "other",
        }
    }

    #[test]
    fn client_errors_map_to_distinct_kinds() {
        let envelope = |code: &str| OciDistributionError::RegistryError {
            envelope: serde_json::from_str(&format!(
                r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#
            ))
            .unwrap(),
            url: "u".into(),
        };
        assert_eq!(kind(envelope("NAME_UNKNOWN")), "not found");
        assert_eq!(kind(envelope("MANIFEST_UNKNOWN")), "not found");
        assert_eq!(kind(envelope("UNAUTHORIZED")), "not authorized");
        assert_eq!(kind(envelope("DENIED")), "not authorized");
        assert_eq!(kind(envelope("UNSUPPORTED")), "other");
        let server = |code| OciDistributionError::ServerError {
            code,
            url: "u".into(),
            message: "m".into(),
        };
        assert_eq!(kind(server(404)), "not found");
        assert_eq!(kind(server(401)), "not authorized");
        assert_eq!(kind(server(403)), "not authorized");
        assert_eq!(kind(server(500)), "other");
        assert_eq!(
            kind(OciDistributionError::UnauthorizedError { url: "u".into() }),
            "not authorized"
        );
        assert_eq!(
            kind(OciDistributionError::ImageManifestNotFoundError("x".into())),
            "not found"
        );
    }
}
