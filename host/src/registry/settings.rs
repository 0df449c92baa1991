//! Registry settings and their precedence: command-line flags, then the environment
//! (`MILVUS_INGEST_REGISTRY`, applied by the CLI), then the project file, then the user config
//! `~/.config/milvus-ingest/config.toml` (or `$MILVUS_INGEST_HOME/config.toml` when that is set).
//!
//! ```toml
//! # config.toml
//! registry = "oci://registry.example.com/team-plugins"
//! allow-http = false
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::RegistryError;
use super::reference::RegistryRef;

/// How a command may use registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// `--registry` (or `MILVUS_INGEST_REGISTRY`): overrides the project and user settings.
    pub registry: Option<String>,
    /// Permit plain HTTP to non-loopback OCI registries.
    pub allow_http: bool,
    /// Any change to the lockfile is an error, and locked versions are checked against the
    /// registry (a moved tag is refused).
    pub locked: bool,
    /// Use only the lockfile and the cache; never contact a registry.
    pub offline: bool,
}

/// The user config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UserConfig {
    #[serde(default)]
    pub registry: Option<String>,
    #[serde(default)]
    pub allow_http: bool,
}

/// Where the user config lives.
pub fn user_config_path() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("MILVUS_INGEST_HOME") {
        return Some(PathBuf::from(home).join("config.toml"));
    }
    dirs::config_dir().map(|d| d.join("milvus-ingest").join("config.toml"))
}

/// The user config, or the default when there is none.
pub fn user_config() -> Result<(UserConfig, PathBuf), RegistryError> {
    let Some(path) = user_config_path() else {
        return Ok((UserConfig::default(), PathBuf::from(".")));
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if !path.is_file() {
        return Ok((UserConfig::default(), dir));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| RegistryError::io(&path, e))?;
    let config = toml::from_str(&text).map_err(|e| RegistryError::BadFile {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok((config, dir))
}

/// The registry to use: `flag` (relative paths against `cwd`), else the project's (relative to
/// its root), else the user config's. Also says whether plain HTTP was permitted by a file.
pub fn choose_registry(
    flag: Option<&str>,
    cwd: &Path,
    project: Option<(&str, &Path)>,
) -> Result<RegistryRef, RegistryError> {
    if let Some(r) = flag {
        return RegistryRef::parse(r, cwd);
    }
    if let Some((r, root)) = project {
        return RegistryRef::parse(r, root);
    }
    let (config, dir) = user_config()?;
    match config.registry {
        Some(r) => RegistryRef::parse(&r, &dir),
        None => Err(RegistryError::NoRegistry),
    }
}
