//! The project file `milvus-ingest.toml` (which registry, which plugins at which version
//! requirements) and the lockfile `milvus-ingest.lock` (what those resolved to, by digest).
//! Both are found by walking up from the working directory, like Cargo.toml.
//!
//! ```toml
//! # milvus-ingest.toml
//! registry = "oci://registry.example.com/team-plugins"
//!
//! [plugins]
//! "acme:dice" = "^1"
//! "acme:geo" = { version = "0.4", registry = "/mnt/shared/plugins" }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use semver::Version;
use serde::{Deserialize, Serialize};

use super::cache::write_atomic;
use super::error::RegistryError;
use super::name::PackageName;

pub const PROJECT_FILE: &str = "milvus-ingest.toml";
pub const LOCK_FILE: &str = "milvus-ingest.lock";

/// One `[plugins]` entry: a requirement, or a table with a requirement and its own registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PluginEntry {
    Req(String),
    Detailed {
        version: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registry: Option<String>,
    },
}

impl PluginEntry {
    pub fn requirement(&self) -> &str {
        match self {
            PluginEntry::Req(r) => r,
            PluginEntry::Detailed { version, .. } => version,
        }
    }

    pub fn registry(&self) -> Option<&str> {
        match self {
            PluginEntry::Req(_) => None,
            PluginEntry::Detailed { registry, .. } => registry.as_deref(),
        }
    }
}

/// `milvus-ingest.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProjectFile {
    /// The default registry reference for this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Permit plain HTTP to this project's (non-loopback) registries.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_http: bool,
    /// Plugins by package name.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginEntry>,
}

/// One resolved plugin in `milvus-ingest.lock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockedPlugin {
    pub name: PackageName,
    /// The registry reference it was resolved from (never with credentials).
    pub registry: String,
    pub requirement: String,
    pub version: Version,
    /// sha256 of the component (the OCI layer).
    pub digest: String,
    /// sha256 of the OCI manifest (absent for directory registries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    pub world: String,
    pub interface_version: String,
    /// The name the plugin reports, which schemas use in `"plugin"`.
    pub plugin: String,
}

/// `milvus-ingest.lock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub version: u32,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<LockedPlugin>,
}

impl Default for Lockfile {
    fn default() -> Self {
        Lockfile {
            version: 1,
            plugins: Vec::new(),
        }
    }
}

impl Lockfile {
    pub fn get(&self, name: &PackageName) -> Option<&LockedPlugin> {
        self.plugins.iter().find(|p| &p.name == name)
    }

    /// Inserts or replaces the entry for `entry.name`, keeping entries sorted by name.
    pub fn put(&mut self, entry: LockedPlugin) {
        self.plugins.retain(|p| p.name != entry.name);
        self.plugins.push(entry);
        self.plugins.sort_by(|a, b| a.name.cmp(&b.name));
    }

    pub fn remove(&mut self, name: &PackageName) -> bool {
        let before = self.plugins.len();
        self.plugins.retain(|p| &p.name != name);
        before != self.plugins.len()
    }
}

/// A project: the directory holding `milvus-ingest.toml`, the file, and its lock.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub file: ProjectFile,
    pub lock: Lockfile,
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, RegistryError> {
    let text = std::fs::read_to_string(path).map_err(|e| RegistryError::io(path, e))?;
    toml::from_str(&text).map_err(|e| RegistryError::BadFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl Project {
    /// The nearest project at or above `start`, if any.
    pub fn find(start: &Path) -> Result<Option<Project>, RegistryError> {
        for dir in start.ancestors() {
            if dir.join(PROJECT_FILE).is_file() {
                return Project::load(dir).map(Some);
            }
        }
        Ok(None)
    }

    /// Loads the project rooted at `root` (the lock may be missing).
    pub fn load(root: &Path) -> Result<Project, RegistryError> {
        let file: ProjectFile = read_toml(&root.join(PROJECT_FILE))?;
        for (name, entry) in &file.plugins {
            let bad = |e: RegistryError| RegistryError::BadFile {
                path: root.join(PROJECT_FILE),
                message: format!("[plugins] {name}: {e}"),
            };
            name.parse::<PackageName>().map_err(bad)?;
            super::name::parse_req(entry.requirement()).map_err(bad)?;
        }
        let lock_path = root.join(LOCK_FILE);
        let lock: Lockfile = if lock_path.is_file() {
            read_toml(&lock_path)?
        } else {
            Lockfile::default()
        };
        if lock.version != 1 {
            return Err(RegistryError::BadFile {
                path: lock_path,
                message: format!(
                    "lockfile version {} is not supported (expected 1)",
                    lock.version
                ),
            });
        }
        Ok(Project {
            root: root.to_path_buf(),
            file,
            lock,
        })
    }

    /// A new, empty project at `root` (nothing is written until `save_*`).
    pub fn create(root: &Path) -> Project {
        Project {
            root: root.to_path_buf(),
            file: ProjectFile::default(),
            lock: Lockfile::default(),
        }
    }

    pub fn file_path(&self) -> PathBuf {
        self.root.join(PROJECT_FILE)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join(LOCK_FILE)
    }

    pub fn save_file(&self) -> Result<(), RegistryError> {
        let text = toml::to_string_pretty(&self.file).expect("project file serialises");
        write_atomic(&self.file_path(), text.as_bytes())
    }

    pub fn save_lock(&self) -> Result<(), RegistryError> {
        let body = toml::to_string_pretty(&self.lock).expect("lockfile serialises");
        let text = format!(
            "# Written by milvus-ingest: the exact plugin versions and digests this project uses.\n\
             # Commit it; do not edit it by hand (`milvus-ingest plugin update` changes it).\n{body}"
        );
        write_atomic(&self.lock_path(), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_and_lock_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(PROJECT_FILE),
            "registry = \"oci://127.0.0.1:5000/t\"\n[plugins]\n\"acme:dice\" = \"^1\"\n\"acme:geo\" = { version = \"0.4\", registry = \"/srv/r\" }\n",
        )
        .unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let mut p = Project::find(&sub).unwrap().unwrap();
        assert_eq!(p.root, dir.path());
        assert_eq!(p.file.plugins["acme:geo"].registry(), Some("/srv/r"));
        p.lock.put(LockedPlugin {
            name: "acme:dice".parse().unwrap(),
            registry: "oci://127.0.0.1:5000/t/".into(),
            requirement: "^1".into(),
            version: Version::new(1, 0, 0),
            digest: format!("sha256:{}", "a".repeat(64)),
            manifest: None,
            world: "field-generator".into(),
            interface_version: "0.1.0".into(),
            plugin: "dice".into(),
        });
        p.save_lock().unwrap();
        p.save_file().unwrap();
        let again = Project::load(dir.path()).unwrap();
        assert_eq!(again.lock, p.lock);
        assert_eq!(again.file.plugins, p.file.plugins);

        std::fs::write(
            dir.path().join(PROJECT_FILE),
            "[plugins]\nnot-a-name = \"^1\"\n",
        )
        .unwrap();
        let err = Project::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("not-a-name") && err.contains(PROJECT_FILE),
            "{err}"
        );
    }
}
