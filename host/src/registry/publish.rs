//! `publish`, `search`/`list` and `info`: the registry-facing commands that need no project.

use std::path::Path;

use semver::Version;
use serde::Serialize;

use super::artifact::{Published, ser_display};
use super::error::RegistryError;
use super::name::{PackageName, PluginSpec, best_match, parse_version};
use super::session::Session;
use crate::plugin::inspect;

/// What `publish` needs besides the file.
#[derive(Debug, Clone, Default)]
pub struct PublishRequest {
    /// `ns:name`; default: the name the plugin reports, if it has that shape.
    pub name: Option<String>,
    /// Default: the version the plugin reports.
    pub version: Option<String>,
}

/// Publishes the component at `path`. It must load in this host (a component of a supported
/// world and interface version); its world and interface version are stamped in the artifact.
pub fn publish(
    session: &Session,
    path: &Path,
    request: &PublishRequest,
) -> Result<Published, RegistryError> {
    let info = inspect(path)?;
    let name: PackageName = match &request.name {
        Some(n) => n.parse()?,
        None => info.name.parse().map_err(|_| RegistryError::BadInput {
            what: "package name",
            input: info.name.clone(),
            rule: "the plugin's own name is not NAMESPACE:NAME; pass --name NAMESPACE:NAME".into(),
        })?,
    };
    let version = parse_version(request.version.as_deref().unwrap_or(&info.version))?;
    let bytes = std::fs::read(path).map_err(|e| RegistryError::io(path, e))?;
    let reference = session.registry_ref(None)?;
    let registry = session.open(&reference, &name.to_string())?;
    registry.publish(&name, &version, &bytes, &info)
}

/// A package and its versions, as `search`/`list` print them.
#[derive(Debug, Clone, Serialize)]
pub struct PackageVersions {
    pub name: PackageName,
    pub versions: Vec<String>,
}

/// Packages whose name contains `query` (all when `None`), with their versions.
pub fn search(
    session: &Session,
    query: Option<&str>,
) -> Result<Vec<PackageVersions>, RegistryError> {
    let reference = session.registry_ref(None)?;
    let registry = session.open(&reference, "the package list")?;
    let mut out = Vec::new();
    for name in registry.packages()? {
        if query.is_some_and(|q| !name.to_string().contains(q)) {
            continue;
        }
        let versions = registry.versions(&name)?;
        if versions.is_empty() {
            continue;
        }
        out.push(PackageVersions {
            name,
            versions: versions.iter().map(Version::to_string).collect(),
        });
    }
    Ok(out)
}

/// `info NAME[@VERSION]`: every version, and the details of the selected one (the highest
/// matching the requirement).
#[derive(Debug, Clone, Serialize)]
pub struct PackageInfo {
    pub name: PackageName,
    pub registry: String,
    pub versions: Vec<String>,
    #[serde(serialize_with = "ser_display")]
    pub selected: Version,
    pub published: Published,
}

pub fn info(session: &Session, spec: &PluginSpec) -> Result<PackageInfo, RegistryError> {
    let reference = session.registry_ref(Some(&spec.name))?;
    let registry = session.open(&reference, &spec.name.to_string())?;
    let versions = registry.versions(&spec.name)?;
    let req = spec.req.clone().unwrap_or(semver::VersionReq::STAR);
    let selected = best_match(&versions, &req)
        .ok_or_else(|| RegistryError::NoMatchingVersion {
            name: spec.name.to_string(),
            req: req.to_string(),
            registry: reference.to_string(),
            available: versions
                .iter()
                .map(Version::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })?
        .clone();
    let published = registry.describe(&spec.name, &selected)?;
    Ok(PackageInfo {
        name: spec.name.clone(),
        registry: reference.to_string(),
        versions: versions.iter().map(Version::to_string).collect(),
        selected,
        published,
    })
}
