//! One interface over both kinds of registry.

use std::path::PathBuf;

use semver::Version;

use super::artifact::{PluginMeta, Published, WasmConfig};
use super::cache::BlobCache;
use super::dir::DirRegistry;
use super::error::RegistryError;
use super::name::PackageName;
use super::oci::OciRegistry;
use super::reference::RegistryRef;
use crate::plugin::PluginInfo;

enum Kind {
    Oci(Box<OciRegistry>),
    Dir(DirRegistry),
}

/// An open registry.
pub struct Registry {
    reference: RegistryRef,
    kind: Kind,
}

impl Registry {
    /// Opens `reference`; `allow_http` permits plain HTTP to non-loopback OCI hosts.
    pub fn open(reference: &RegistryRef, allow_http: bool) -> Result<Registry, RegistryError> {
        let kind = match reference {
            RegistryRef::Oci { .. } => {
                Kind::Oci(Box::new(OciRegistry::new(reference, allow_http)?))
            }
            RegistryRef::Dir(root) => Kind::Dir(DirRegistry::new(root)),
        };
        Ok(Registry {
            reference: reference.clone(),
            kind,
        })
    }

    pub fn reference(&self) -> &RegistryRef {
        &self.reference
    }

    /// Every package in the registry (under the OCI prefix).
    pub fn packages(&self) -> Result<Vec<PackageName>, RegistryError> {
        match &self.kind {
            Kind::Oci(r) => r.packages(),
            Kind::Dir(r) => r.packages(),
        }
    }

    /// A package's versions, ascending (OCI: its semver tags; other tags are ignored).
    pub fn versions(&self, name: &PackageName) -> Result<Vec<Version>, RegistryError> {
        match &self.kind {
            Kind::Oci(r) => r.versions(name),
            Kind::Dir(r) => r.versions(name),
        }
    }

    /// One version's digests, size and stamped metadata (OCI: read through the tag).
    pub fn describe(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Published, RegistryError> {
        match &self.kind {
            Kind::Oci(r) => r.describe(name, version, None),
            Kind::Dir(r) => r.describe(name, version),
        }
    }

    /// A version as locked: OCI reads the manifest by its digest (so a moved tag does not
    /// matter); a directory registry reads the record.
    pub fn describe_locked(
        &self,
        name: &PackageName,
        version: &Version,
        manifest: Option<&str>,
    ) -> Result<Published, RegistryError> {
        match &self.kind {
            Kind::Oci(r) => r.describe(name, version, manifest),
            Kind::Dir(r) => r.describe(name, version),
        }
    }

    /// What the version's tag (OCI: manifest digest) or file (directory: component digest)
    /// is now, to compare with a lock.
    pub fn current_pin(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<String, RegistryError> {
        match &self.kind {
            Kind::Oci(r) => r.tag_digest(name, version),
            Kind::Dir(r) => r.current_digest(name, version),
        }
    }

    /// Downloads a version's component into the cache (verified against `published.digest`).
    pub fn fetch(
        &self,
        published: &Published,
        cache: &BlobCache,
    ) -> Result<PathBuf, RegistryError> {
        match &self.kind {
            Kind::Oci(r) => r.fetch(published, cache),
            Kind::Dir(r) => r.fetch(published, cache),
        }
    }

    /// Publishes a component described by `info`. Refuses an existing version.
    pub fn publish(
        &self,
        name: &PackageName,
        version: &Version,
        bytes: &[u8],
        info: &PluginInfo,
    ) -> Result<Published, RegistryError> {
        let exists = match self.versions(name) {
            Ok(v) => v.contains(version),
            Err(RegistryError::NotFound { .. }) => false,
            Err(e) => return Err(e),
        };
        if exists {
            return Err(RegistryError::VersionExists {
                name: name.to_string(),
                version: version.to_string(),
                registry: self.reference.to_string(),
            });
        }
        match &self.kind {
            Kind::Oci(r) => {
                let config = WasmConfig::for_plugin(info, &super::cache::sha256_digest(bytes));
                r.push(name, version, bytes, &config)
            }
            Kind::Dir(r) => r.push(name, version, bytes, &PluginMeta::from_info(info)),
        }
    }
}
