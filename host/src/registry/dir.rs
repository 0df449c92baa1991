//! Directory registries: a local path or a shared mount laid out as
//!
//! ```text
//! <root>/index.json                      every package and version, for people and tools
//! <root>/<ns>/<name>/<version>.wasm      the component
//! <root>/<ns>/<name>/<version>.json      its digest, size, world and interface version
//! ```
//!
//! A version exists once its `.json` is there. Publishing claims `<version>.wasm` with a hard
//! link from a complete temporary file, which fails if the name exists, so two publishers of
//! one version cannot both win and nobody sees half a file; the `.json` is written after it.

use std::io::Read;
use std::path::{Path, PathBuf};

use semver::Version;
use serde::{Deserialize, Serialize};

use super::artifact::{PluginMeta, Published};
use super::cache::{BlobCache, sha256_digest, unique_temp, write_atomic};
use super::error::RegistryError;
use super::name::{PackageName, semver_tags};

/// The `<version>.json` next to each component.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct VersionRecord {
    digest: String,
    size: u64,
    #[serde(default)]
    meta: Option<PluginMeta>,
    #[serde(default)]
    published: String,
}

/// A directory registry rooted at a path.
pub struct DirRegistry {
    root: PathBuf,
}

impl DirRegistry {
    pub fn new(root: &Path) -> DirRegistry {
        DirRegistry {
            root: root.to_path_buf(),
        }
    }

    fn registry(&self) -> String {
        self.root.display().to_string()
    }

    fn package_dir(&self, name: &PackageName) -> PathBuf {
        self.root.join(&name.namespace).join(&name.name)
    }

    fn not_found(&self, what: String) -> RegistryError {
        RegistryError::NotFound {
            what,
            registry: self.registry(),
        }
    }

    /// Every package with at least one version.
    pub fn packages(&self) -> Result<Vec<PackageName>, RegistryError> {
        let mut out = Vec::new();
        let Ok(namespaces) = std::fs::read_dir(&self.root) else {
            return Err(self.not_found("the registry directory".into()));
        };
        for ns in namespaces.flatten() {
            let Ok(names) = std::fs::read_dir(ns.path()) else {
                continue;
            };
            for n in names.flatten() {
                let id = format!(
                    "{}:{}",
                    ns.file_name().to_string_lossy(),
                    n.file_name().to_string_lossy()
                );
                if let Ok(name) = id.parse::<PackageName>()
                    && !self.versions(&name).unwrap_or_default().is_empty()
                {
                    out.push(name);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Published versions of a package, ascending.
    pub fn versions(&self, name: &PackageName) -> Result<Vec<Version>, RegistryError> {
        let dir = self.package_dir(name);
        let entries =
            std::fs::read_dir(&dir).map_err(|_| self.not_found(format!("package {name}")))?;
        let stems: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                file.strip_suffix(".json").map(str::to_string)
            })
            .collect();
        Ok(semver_tags(stems))
    }

    fn record(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<VersionRecord, RegistryError> {
        let path = self.package_dir(name).join(format!("{version}.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|_| self.not_found(format!("{name}@{version}")))?;
        serde_json::from_str(&text).map_err(|e| RegistryError::BadFile {
            path,
            message: e.to_string(),
        })
    }

    pub fn describe(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Published, RegistryError> {
        let r = self.record(name, version)?;
        Ok(Published {
            name: name.clone(),
            version: version.clone(),
            digest: r.digest,
            manifest: None,
            size: r.size,
            meta: r.meta,
        })
    }

    /// The digest of the component file as it is now (what `--locked` compares).
    pub fn current_digest(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<String, RegistryError> {
        let path = self.package_dir(name).join(format!("{version}.wasm"));
        if !path.is_file() {
            return Err(self.not_found(format!("{name}@{version}")));
        }
        super::cache::file_digest(&path)
    }

    /// Copies the component into the cache, hashing on the way.
    pub fn fetch(
        &self,
        published: &Published,
        cache: &BlobCache,
    ) -> Result<PathBuf, RegistryError> {
        let what = format!("{}@{}", published.name, published.version);
        let path = self
            .package_dir(&published.name)
            .join(format!("{}.wasm", published.version));
        let mut file = std::fs::File::open(&path).map_err(|_| self.not_found(what.clone()))?;
        let mut writer =
            cache.writer(&published.digest, &format!("{what} ({})", path.display()))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| RegistryError::io(&path, e))?;
            if n == 0 {
                break;
            }
            writer.write(&buf[..n])?;
        }
        writer.finish()
    }

    /// Publishes `bytes` as `name@version`; refuses an existing version.
    pub fn push(
        &self,
        name: &PackageName,
        version: &Version,
        bytes: &[u8],
        meta: &PluginMeta,
    ) -> Result<Published, RegistryError> {
        let dir = self.package_dir(name);
        std::fs::create_dir_all(&dir).map_err(|e| RegistryError::io(&dir, e))?;
        let wasm = dir.join(format!("{version}.wasm"));
        let exists = || RegistryError::VersionExists {
            name: name.to_string(),
            version: version.to_string(),
            registry: self.registry(),
        };
        if dir.join(format!("{version}.json")).exists() {
            return Err(exists());
        }
        let tmp = unique_temp(&wasm);
        std::fs::write(&tmp, bytes).map_err(|e| RegistryError::io(&tmp, e))?;
        let claimed = std::fs::hard_link(&tmp, &wasm);
        let _ = std::fs::remove_file(&tmp);
        match claimed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
            Err(e) => return Err(RegistryError::io(&wasm, e)),
        }
        let record = VersionRecord {
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            meta: Some(meta.clone()),
            published: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let json = serde_json::to_vec_pretty(&record).expect("record serialises");
        write_atomic(&dir.join(format!("{version}.json")), &json)?;
        self.rebuild_index()?;
        Ok(Published {
            name: name.clone(),
            version: version.clone(),
            digest: record.digest,
            manifest: None,
            size: record.size,
            meta: record.meta,
        })
    }

    /// Rewrites `index.json` from the tree, under a lock so concurrent publishers (of different
    /// packages) cannot drop each other's entries.
    fn rebuild_index(&self) -> Result<(), RegistryError> {
        let lock_path = self.root.join(".index.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| RegistryError::io(&lock_path, e))?;
        lock.lock().map_err(|e| RegistryError::io(&lock_path, e))?;
        let mut packages = serde_json::Map::new();
        for name in self.packages()? {
            let mut versions = serde_json::Map::new();
            for v in self.versions(&name)? {
                let r = self.record(&name, &v)?;
                versions.insert(
                    v.to_string(),
                    serde_json::to_value(&r).expect("record serialises"),
                );
            }
            packages.insert(name.to_string(), serde_json::Value::Object(versions));
        }
        let index = serde_json::json!({ "version": 1, "packages": packages });
        let result = write_atomic(
            &self.root.join("index.json"),
            &serde_json::to_vec_pretty(&index).expect("index serialises"),
        );
        let _ = lock.unlock();
        result
    }
}
