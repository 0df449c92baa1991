//! A command's view of registries: the options, the project (if any), the cache, and the
//! workflows that tie them together (`--plugin NAME@REQ`, `add`, `remove`, `update`, `verify`).

use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};
use serde::Serialize;

use super::artifact::{Published, ser_display};
use super::cache::BlobCache;
use super::client::Registry;
use super::error::RegistryError;
use super::name::{PackageName, PluginSpec, best_match};
use super::project::{LockedPlugin, PluginEntry, Project};
use super::reference::RegistryRef;
use super::settings::{RegistryOptions, choose_registry, user_config};
use crate::plugin::{PluginInfo, inspect};

/// A plugin resolved to a verified file in the cache.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub name: PackageName,
    #[serde(serialize_with = "ser_display")]
    pub version: Version,
    pub registry: String,
    pub digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    pub world: String,
    pub interface_version: String,
    /// The name the plugin reports (what schemas write in `"plugin"`).
    pub plugin: String,
    /// The verified component in the cache.
    pub path: PathBuf,
}

impl Resolved {
    fn from_lock(l: &LockedPlugin, path: PathBuf) -> Resolved {
        Resolved {
            name: l.name.clone(),
            version: l.version.clone(),
            registry: l.registry.clone(),
            digest: l.digest.clone(),
            manifest: l.manifest.clone(),
            world: l.world.clone(),
            interface_version: l.interface_version.clone(),
            plugin: l.plugin.clone(),
            path,
        }
    }

    fn to_lock(&self, requirement: &str) -> LockedPlugin {
        LockedPlugin {
            name: self.name.clone(),
            registry: self.registry.clone(),
            requirement: requirement.to_string(),
            version: self.version.clone(),
            digest: self.digest.clone(),
            manifest: self.manifest.clone(),
            world: self.world.clone(),
            interface_version: self.interface_version.clone(),
            plugin: self.plugin.clone(),
        }
    }
}

/// One line of `plugin verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyLine {
    pub name: String,
    pub version: String,
    pub digest: String,
    /// `ok`, or what is wrong.
    pub status: String,
    pub ok: bool,
}

/// One change made (or that would be made) by `plugin update`.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub name: String,
    pub from: Option<String>,
    pub to: String,
}

/// Registries as one command sees them.
pub struct Session {
    pub opts: RegistryOptions,
    pub cwd: PathBuf,
    pub cache: BlobCache,
    pub project: Option<Project>,
}

impl Session {
    /// Finds the project above `cwd` and opens the user's cache.
    pub fn new(opts: RegistryOptions, cwd: &Path) -> Result<Session, RegistryError> {
        Ok(Session {
            project: Project::find(cwd)?,
            opts,
            cwd: cwd.to_path_buf(),
            cache: BlobCache::for_user(),
        })
    }

    /// The registry for a package: the flag, else the project entry's, else the project's,
    /// else the user config's.
    pub fn registry_ref(&self, name: Option<&PackageName>) -> Result<RegistryRef, RegistryError> {
        let project = self.project.as_ref().and_then(|p| {
            let entry = name
                .and_then(|n| p.file.plugins.get(&n.to_string()))
                .and_then(PluginEntry::registry);
            entry
                .or(p.file.registry.as_deref())
                .map(|r| (r, p.root.as_path()))
        });
        choose_registry(self.opts.registry.as_deref(), &self.cwd, project)
    }

    /// Opens a registry, unless `--offline`.
    pub fn open(&self, reference: &RegistryRef, what: &str) -> Result<Registry, RegistryError> {
        if self.opts.offline {
            return Err(RegistryError::Offline {
                what: what.to_string(),
                reason: format!("it would need registry {reference}"),
            });
        }
        let allow_http = self.opts.allow_http
            || self.project.as_ref().is_some_and(|p| p.file.allow_http)
            || user_config().map(|(c, _)| c.allow_http).unwrap_or(false);
        Registry::open(reference, allow_http)
    }

    fn lock_path(&self) -> PathBuf {
        self.project.as_ref().map_or_else(
            || self.cwd.join(super::project::LOCK_FILE),
            Project::lock_path,
        )
    }

    fn refuse_if_locked(&self, reason: String) -> Result<(), RegistryError> {
        if self.opts.locked {
            return Err(RegistryError::LockedChange {
                path: self.lock_path(),
                reason,
            });
        }
        Ok(())
    }

    /// `--locked`: the registry must still serve exactly what the lock names.
    fn check_pin(&self, locked: &LockedPlugin) -> Result<(), RegistryError> {
        let reference = RegistryRef::parse(&locked.registry, &self.cwd)?;
        let registry = self.open(&reference, &locked.name.to_string())?;
        let now = registry.current_pin(&locked.name, &locked.version)?;
        let (expected, what) = match &locked.manifest {
            Some(m) => (m, "manifest"),
            None => (&locked.digest, "component"),
        };
        if &now != expected {
            return Err(RegistryError::LockedChange {
                path: self.lock_path(),
                reason: format!(
                    "{}@{} in {} now has {what} digest {now}, the lock has {expected}: the version was re-tagged with different bytes",
                    locked.name, locked.version, locked.registry
                ),
            });
        }
        Ok(())
    }

    /// A locked plugin as a verified cache file: re-hashed if cached, else fetched by digest.
    fn materialize(&self, locked: &LockedPlugin) -> Result<PathBuf, RegistryError> {
        let what = format!("{}@{}", locked.name, locked.version);
        if self.cache.contains(&locked.digest) {
            return self.cache.verify(&locked.digest, &what);
        }
        let reference = RegistryRef::parse(&locked.registry, &self.cwd)?;
        let registry = self.open(&reference, &what)?;
        let published =
            registry.describe_locked(&locked.name, &locked.version, locked.manifest.as_deref())?;
        if published.digest != locked.digest {
            return Err(RegistryError::DigestMismatch {
                what: format!("{what} in {}", locked.registry),
                expected: locked.digest.clone(),
                actual: published.digest,
            });
        }
        registry.fetch(&published, &self.cache)
    }

    /// Downloads (or re-verifies) `published` and checks it is a plugin this host can load.
    fn fetch_checked(
        &self,
        registry: &Registry,
        published: &Published,
    ) -> Result<(PathBuf, PluginInfo), RegistryError> {
        if let Some(meta) = &published.meta
            && !crate::plugin::wit::accepts_named(&meta.world, &meta.interface_version)
        {
            return Err(incompatible(published, &meta.interface_version));
        }
        let what = format!("{}@{}", published.name, published.version);
        let path = if self.cache.contains(&published.digest) {
            self.cache.verify(&published.digest, &what)?
        } else {
            registry.fetch(published, &self.cache)?
        };
        let info = inspect(&path).map_err(|e| match e {
            crate::plugin::PluginError::IncompatibleVersion { found, .. } => {
                incompatible(published, &found)
            }
            other => RegistryError::Plugin(other),
        })?;
        Ok((path, info))
    }

    /// Picks the best version for `req` in the package's registry and fetches it.
    fn resolve_fresh(
        &self,
        name: &PackageName,
        req: &VersionReq,
    ) -> Result<Resolved, RegistryError> {
        let reference = self.registry_ref(Some(name))?;
        let registry = self.open(&reference, &name.to_string())?;
        let versions = registry.versions(name)?;
        let Some(version) = best_match(&versions, req) else {
            return Err(RegistryError::NoMatchingVersion {
                name: name.to_string(),
                req: req.to_string(),
                registry: reference.to_string(),
                available: if versions.is_empty() {
                    "none".into()
                } else {
                    versions
                        .iter()
                        .map(Version::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        };
        let published = registry.describe(name, version)?;
        let (path, info) = self.fetch_checked(&registry, &published)?;
        Ok(Resolved {
            name: name.clone(),
            version: version.clone(),
            registry: reference.to_string(),
            digest: published.digest,
            manifest: published.manifest,
            world: info.world.name().to_string(),
            interface_version: info.interface_version,
            plugin: info.name,
            path,
        })
    }

    /// `--plugin NAME[@REQ]`: the lock's version if it satisfies REQ, else the registry's best
    /// match (recorded in the lock when there is a project).
    pub fn resolve(&mut self, spec: &PluginSpec) -> Result<Resolved, RegistryError> {
        let req = spec.req.clone().unwrap_or(VersionReq::STAR);
        let locked = self
            .project
            .as_ref()
            .and_then(|p| p.lock.get(&spec.name))
            .filter(|l| req.matches(&l.version))
            .cloned();
        if let Some(locked) = locked {
            if self.opts.locked && !self.opts.offline {
                self.check_pin(&locked)?;
            }
            let path = self.materialize(&locked)?;
            return Ok(Resolved::from_lock(&locked, path));
        }
        self.refuse_if_locked(format!("{}@{req} is not in the lock", spec.name))?;
        if self.opts.offline {
            return Err(RegistryError::Offline {
                what: format!("{}@{req}", spec.name),
                reason: "it is not in the lockfile".into(),
            });
        }
        let resolved = self.resolve_fresh(&spec.name, &req)?;
        if let Some(project) = self.project.as_mut() {
            // Recorded like `plugin add`, so the project file and the lock stay in step.
            if let std::collections::btree_map::Entry::Vacant(e) =
                project.file.plugins.entry(spec.name.to_string())
            {
                e.insert(PluginEntry::Req(req.to_string()));
                project.save_file()?;
            }
            project.lock.put(resolved.to_lock(&req.to_string()));
            project.save_lock()?;
        }
        Ok(resolved)
    }

    /// `plugin add NAME[@REQ]`: records the plugin in the project file (creating one in the
    /// working directory if there is none), resolves, downloads, verifies and locks it.
    pub fn add(&mut self, spec: &PluginSpec) -> Result<Resolved, RegistryError> {
        let chosen = self.registry_ref(Some(&spec.name))?;
        let req = match &spec.req {
            Some(r) => r.clone(),
            None => {
                let registry = self.open(&chosen, &spec.name.to_string())?;
                let versions = registry.versions(&spec.name)?;
                match versions.iter().filter(|v| v.pre.is_empty()).max() {
                    Some(v) => super::name::parse_req(&format!("^{v}"))?,
                    None => VersionReq::STAR,
                }
            }
        };
        if self.project.is_none() {
            self.refuse_if_locked("there is no project yet".into())?;
            self.project = Some(Project::create(&self.cwd));
        }
        let resolved = {
            let locked = self
                .project
                .as_ref()
                .and_then(|p| p.lock.get(&spec.name))
                .filter(|l| req.matches(&l.version) && l.registry == chosen.to_string())
                .cloned();
            match locked {
                Some(l) => {
                    let path = self.materialize(&l)?;
                    Resolved::from_lock(&l, path)
                }
                None => {
                    self.refuse_if_locked(format!("{} would be added to the lock", spec.name))?;
                    self.resolve_fresh(&spec.name, &req)?
                }
            }
        };
        let flag = self.opts.registry.clone();
        let project = self.project.as_mut().expect("created above");
        let entry_registry = match (&project.file.registry, flag) {
            (None, Some(f)) => {
                project.file.registry = Some(f);
                None
            }
            (Some(default), Some(f)) if *default != f => Some(f),
            _ => None,
        };
        let entry = match entry_registry {
            Some(r) => PluginEntry::Detailed {
                version: req.to_string(),
                registry: Some(r),
            },
            None => PluginEntry::Req(req.to_string()),
        };
        project.file.plugins.insert(spec.name.to_string(), entry);
        project.lock.put(resolved.to_lock(&req.to_string()));
        project.save_file()?;
        project.save_lock()?;
        Ok(resolved)
    }

    fn project_or_err(&self) -> Result<&Project, RegistryError> {
        self.project
            .as_ref()
            .ok_or_else(|| RegistryError::NoProject {
                start: self.cwd.clone(),
            })
    }

    /// `plugin remove NAME`: drops it from the project file and the lock.
    pub fn remove(&mut self, name: &PackageName) -> Result<(), RegistryError> {
        let path = self.project_or_err()?.file_path();
        self.refuse_if_locked(format!("{name} would be removed"))?;
        let project = self.project.as_mut().expect("checked");
        let in_file = project.file.plugins.remove(&name.to_string()).is_some();
        let in_lock = project.lock.remove(name);
        if !in_file && !in_lock {
            return Err(RegistryError::NotInProject {
                name: name.to_string(),
                path,
            });
        }
        project.save_file()?;
        project.save_lock()
    }

    /// `plugin update [NAME]`: re-resolves requirements against the registry and re-locks.
    pub fn update(&mut self, only: Option<&PackageName>) -> Result<Vec<Change>, RegistryError> {
        let project = self.project_or_err()?.clone();
        let mut names: Vec<(PackageName, String)> = Vec::new();
        for (name, entry) in &project.file.plugins {
            let name: PackageName = name.parse()?;
            if only.is_none_or(|o| *o == name) {
                names.push((name, entry.requirement().to_string()));
            }
        }
        if let Some(o) = only
            && names.is_empty()
        {
            return Err(RegistryError::NotInProject {
                name: o.to_string(),
                path: project.file_path(),
            });
        }
        let mut changes = Vec::new();
        let mut lock = project.lock.clone();
        for (name, req_text) in names {
            let req = super::name::parse_req(&req_text)?;
            let resolved = self.resolve_fresh(&name, &req)?;
            let new = resolved.to_lock(&req_text);
            let old = lock.get(&name).cloned();
            if old.as_ref() != Some(&new) {
                changes.push(Change {
                    name: name.to_string(),
                    from: old.map(|o| format!("{} ({})", o.version, o.digest)),
                    to: format!("{} ({})", new.version, new.digest),
                });
                lock.put(new);
            }
        }
        if !changes.is_empty() {
            self.refuse_if_locked(format!(
                "{} would change",
                changes
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?;
            let project = self.project.as_mut().expect("checked");
            project.lock = lock;
            project.save_lock()?;
        }
        Ok(changes)
    }

    /// `plugin verify`: re-hashes every locked plugin in the cache and, online, checks that
    /// the registry still serves the locked digests.
    pub fn verify(&self) -> Result<Vec<VerifyLine>, RegistryError> {
        let project = self.project_or_err()?;
        let mut out = Vec::new();
        for l in &project.lock.plugins {
            let what = format!("{}@{}", l.name, l.version);
            let mut problems = Vec::new();
            match self.cache.verify(&l.digest, &what) {
                Ok(_) => {}
                Err(RegistryError::Offline { .. }) => problems.push("not in the cache".to_string()),
                Err(e) => problems.push(e.to_string()),
            }
            if !self.opts.offline
                && let Err(e) = self.check_pin(l)
            {
                problems.push(match e {
                    RegistryError::LockedChange { reason, .. } => reason,
                    other => other.to_string(),
                });
            }
            if !project.file.plugins.contains_key(&l.name.to_string()) {
                problems.push(format!("not in {}", project.file_path().display()));
            }
            out.push(VerifyLine {
                name: l.name.to_string(),
                version: l.version.to_string(),
                digest: l.digest.clone(),
                ok: problems.is_empty(),
                status: if problems.is_empty() {
                    "ok".into()
                } else {
                    problems.join("; ")
                },
            });
        }
        Ok(out)
    }
}

fn incompatible(published: &Published, found: &str) -> RegistryError {
    RegistryError::Incompatible {
        name: published.name.to_string(),
        version: published.version.to_string(),
        found: found.to_string(),
        supported: crate::plugin::ACCEPTED_VERSIONS
            .iter()
            .map(|v| {
                format!(
                    "{v} (and compatible {}.x)",
                    &v[..v.rfind('.').unwrap_or(v.len())]
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}
