//! Registry errors. Each names the package, the registry or the file it is about; the variants a
//! user most often hits (not found, not authorized, digest mismatch, no matching version) are
//! distinct so the CLI can print distinct messages and hints.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A package name, version, requirement or registry reference that does not parse.
    #[error("{what} `{input}`: {rule}")]
    BadInput {
        what: &'static str,
        input: String,
        rule: String,
    },
    /// The registry has no such package, version or blob.
    #[error("{what} not found in registry {registry}")]
    NotFound { what: String, registry: String },
    /// The registry refused our credentials (or wants some).
    #[error("registry {registry} refused access to {what}: not authorized{detail}")]
    NotAuthorized {
        what: String,
        registry: String,
        detail: String,
    },
    /// The registry wants credentials, and the credential helper the Docker config names for
    /// it could not give them (not on PATH, or it failed).
    #[error("registry {registry} refused access to {what}: not authorized, and {problem}")]
    CredentialHelper {
        what: String,
        registry: String,
        problem: String,
    },
    /// Bytes whose sha256 is not the digest they were fetched or locked under.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// No published version satisfies the requirement.
    #[error("no version of {name} matches {req} in registry {registry} (available: {available})")]
    NoMatchingVersion {
        name: String,
        req: String,
        registry: String,
        available: String,
    },
    /// `publish` of a version the registry already has: versions are immutable.
    #[error(
        "{name}@{version} already exists in registry {registry}; versions are immutable, publish a new version"
    )]
    VersionExists {
        name: String,
        version: String,
        registry: String,
    },
    /// The file is not a plugin this milvus-ingest could load (not a component, no known world,
    /// an interface version outside the supported range).
    #[error("{0}")]
    Plugin(#[from] crate::plugin::PluginError),
    /// The published artifact says it was built for an interface version this host rejects.
    #[error(
        "{name}@{version} is built for plugin interface version {found}; this milvus-ingest supports {supported}"
    )]
    Incompatible {
        name: String,
        version: String,
        found: String,
        supported: String,
    },
    /// `--locked` and the lockfile would have to change.
    #[error("the lockfile {} needs to change ({reason}), but --locked was given", path.display())]
    LockedChange { path: PathBuf, reason: String },
    /// `--offline` and something is not in the lockfile or the cache.
    #[error("{what} is not available offline ({reason})")]
    Offline { what: String, reason: String },
    /// Plain HTTP to a registry that is not on loopback.
    #[error(
        "registry {registry} would be reached over plain HTTP; pass --allow-http to permit that for non-loopback hosts"
    )]
    InsecureRegistry { registry: String },
    /// No registry was configured anywhere.
    #[error(
        "no registry given: pass --registry REF, set MILVUS_INGEST_REGISTRY, or set `registry` in milvus-ingest.toml"
    )]
    NoRegistry,
    /// No project file above the working directory.
    #[error("no milvus-ingest.toml in {} or any parent directory; create one with `milvus-ingest plugin add NAME --registry REF` in the project root", start.display())]
    NoProject { start: PathBuf },
    /// A project file, lockfile, index or config that does not parse.
    #[error("{}: {message}", path.display())]
    BadFile { path: PathBuf, message: String },
    /// A plugin named in a command is not in the project file or lockfile.
    #[error("{name} is not in {}", path.display())]
    NotInProject { name: String, path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Network or protocol failures that are none of the above.
    #[error("registry {registry}: {message}")]
    Remote { registry: String, message: String },
}

impl RegistryError {
    /// Errors caused by what the user typed or wrote (exit code 2); the rest are failures (1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            RegistryError::BadInput { .. }
                | RegistryError::NoMatchingVersion { .. }
                | RegistryError::VersionExists { .. }
                | RegistryError::Plugin(_)
                | RegistryError::Incompatible { .. }
                | RegistryError::LockedChange { .. }
                | RegistryError::Offline { .. }
                | RegistryError::InsecureRegistry { .. }
                | RegistryError::NoRegistry
                | RegistryError::NoProject { .. }
                | RegistryError::BadFile { .. }
                | RegistryError::NotInProject { .. }
                | RegistryError::NotFound { .. }
        )
    }

    /// A next step for the user, where one is obvious.
    pub fn hint(&self) -> Option<String> {
        match self {
            RegistryError::DigestMismatch { .. } => Some(
                "the bytes changed after they were locked: a tag was moved or a cached file was modified. \
                 Run `milvus-ingest plugin verify`; if the new bytes are trusted, `milvus-ingest plugin update NAME` re-locks them"
                    .into(),
            ),
            RegistryError::NotAuthorized { .. } => Some(
                "log in with `docker login HOST` (credentials are read from ~/.docker/config.json) or set MILVUS_INGEST_REGISTRY_USERNAME and MILVUS_INGEST_REGISTRY_PASSWORD".into(),
            ),
            RegistryError::CredentialHelper { .. } => Some(
                "make `docker-credential-NAME get` work (on PATH, answering the server name on stdin with its JSON within 30 s), or change credHelpers/credsStore in the Docker config".into(),
            ),
            RegistryError::NoMatchingVersion { .. } => {
                Some("loosen the requirement, or publish a matching version".into())
            }
            RegistryError::LockedChange { .. } => {
                Some("run without --locked to update milvus-ingest.lock, and commit it".into())
            }
            RegistryError::Offline { .. } => {
                Some("run once without --offline to fill the cache".into())
            }
            _ => None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> RegistryError {
        RegistryError::Io {
            path: path.into(),
            source,
        }
    }
}
