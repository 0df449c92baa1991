//! `plugin publish|search|list|info|add|remove|update|verify`, and how `--plugin NAME@REQ`
//! loads a registry plugin. The work is in `crate::registry`; this file parses and prints.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::error::CliError;
use super::printer::Printer;
use crate::plugin::PluginHost;
use crate::registry::{
    PackageName, PluginSpec, PublishRequest, RegistryError, RegistryOptions, Resolved, Session,
};

/// Where registry plugins come from and how strictly the lockfile is kept (what `generate`
/// takes; its `--allow-http` is shared with object storage).
#[derive(Debug, Clone, Args)]
pub struct PluginSourceArgs {
    /// Plugin registry: oci://HOST[:PORT]/PREFIX, a directory, or file:///PATH (overrides
    /// milvus-ingest.toml and ~/.config/milvus-ingest/config.toml).
    #[arg(long, value_name = "REF", env = "MILVUS_INGEST_REGISTRY")]
    pub registry: Option<String>,
    /// Fail if milvus-ingest.lock would change, and check locked versions against the registry.
    #[arg(long)]
    pub locked: bool,
    /// Use only milvus-ingest.lock and the local cache; never contact a registry.
    #[arg(long)]
    pub offline: bool,
}

impl PluginSourceArgs {
    /// A session rooted at the working directory.
    pub fn session(&self, allow_http: bool) -> Result<Session, CliError> {
        let cwd = std::env::current_dir().map_err(CliError::failure)?;
        let opts = RegistryOptions {
            registry: self.registry.clone(),
            allow_http,
            locked: self.locked,
            offline: self.offline,
        };
        Session::new(opts, &cwd).map_err(CliError::from)
    }
}

/// The registry flags of the `plugin` subcommands.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    #[command(flatten)]
    pub source: PluginSourceArgs,
    /// Permit plain HTTP to a registry that is not on loopback.
    #[arg(long)]
    pub allow_http: bool,
}

impl RegistryArgs {
    pub fn session(&self) -> Result<Session, CliError> {
        self.source.session(self.allow_http)
    }
}

impl From<RegistryError> for CliError {
    fn from(e: RegistryError) -> CliError {
        let code = if e.is_usage() { 2 } else { 1 };
        let hint = e.hint();
        CliError {
            error: e.into(),
            code,
            hint,
        }
    }
}

/// Loads one `--plugin` value: a file path, or `NAMESPACE:NAME[@REQ]` from the lockfile or
/// the registry. A registry plugin's bytes are checked against the locked digest as loaded.
pub fn load_plugin_arg(
    host: &PluginHost,
    value: &str,
    session: &mut Option<Session>,
    source: &PluginSourceArgs,
    allow_http: bool,
) -> Result<Option<Resolved>, CliError> {
    if !PluginSpec::looks_like_spec(value) {
        host.load(std::path::Path::new(value)).map_err(|e| {
            let read = matches!(e, crate::plugin::PluginError::Read { .. });
            let err = CliError::usage(e);
            if read {
                err.with_hint("--plugin takes a .wasm file or a registry package NAMESPACE:NAME[@REQ]")
            } else {
                err.with_hint("build plugins with scripts/build-plugins.sh; `milvus-ingest plugin inspect PATH` shows what a plugin exports")
            }
        })?;
        return Ok(None);
    }
    let spec: PluginSpec = value.parse()?;
    if session.is_none() {
        *session = Some(source.session(allow_http)?);
    }
    let resolved = session.as_mut().expect("set above").resolve(&spec)?;
    let plugin = host.load(&resolved.path).map_err(CliError::usage)?;
    let loaded = format!("sha256:{}", plugin.info().sha256);
    if loaded != resolved.digest {
        return Err(RegistryError::DigestMismatch {
            what: format!(
                "{}@{} as loaded from {}",
                resolved.name,
                resolved.version,
                resolved.path.display()
            ),
            expected: resolved.digest.clone(),
            actual: loaded,
        }
        .into());
    }
    Ok(Some(resolved))
}

pub fn publish(
    path: PathBuf,
    name: Option<String>,
    version: Option<String>,
    reg: &RegistryArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let session = reg.session()?;
    let published = crate::registry::publish(&session, &path, &PublishRequest { name, version })?;
    if printer.is_json() {
        printer.json(&published);
    } else {
        printer.out(&format!(
            "published {}@{} to {}\n  digest:   {}{}",
            published.name,
            published.version,
            session.registry_ref(None)?,
            published.digest,
            published
                .manifest
                .as_ref()
                .map(|m| format!("\n  manifest: {m}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

pub fn search(
    query: Option<String>,
    reg: &RegistryArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let session = reg.session()?;
    let found = crate::registry::search(&session, query.as_deref())?;
    if printer.is_json() {
        printer.json(&found);
    } else if found.is_empty() {
        printer.status("no packages found");
    } else {
        for p in &found {
            printer.out(&format!("{}  {}", p.name, p.versions.join(", ")));
        }
    }
    Ok(())
}

pub fn info(spec: String, reg: &RegistryArgs, printer: &Printer) -> Result<(), CliError> {
    let session = reg.session()?;
    let spec: PluginSpec = spec.parse()?;
    let info = crate::registry::info(&session, &spec)?;
    if printer.is_json() {
        printer.json(&info);
        return Ok(());
    }
    let p = &info.published;
    let mut out = format!(
        "package:           {}\nregistry:          {}\nversions:          {}\nversion:           {}\ndigest:            {}\nsize:              {} bytes",
        info.name,
        info.registry,
        info.versions.join(", "),
        info.selected,
        p.digest,
        p.size
    );
    if let Some(m) = &p.manifest {
        out.push_str(&format!("\nmanifest:          {m}"));
    }
    match &p.meta {
        Some(meta) => out.push_str(&format!(
            "\nplugin:            {}\nworld:             {}\ninterface version: {}\ndescription:       {}",
            meta.plugin, meta.world, meta.interface_version, meta.description
        )),
        None => out.push_str("\nworld:             (not stamped; published by another tool)"),
    }
    printer.out(&out);
    Ok(())
}

#[derive(Serialize)]
struct Added<'a> {
    status: &'static str,
    project: String,
    #[serde(flatten)]
    plugin: &'a Resolved,
}

pub fn add(spec: String, reg: &RegistryArgs, printer: &Printer) -> Result<(), CliError> {
    let mut session = reg.session()?;
    let spec: PluginSpec = spec.parse()?;
    let r = session.add(&spec)?;
    let project = session
        .project
        .as_ref()
        .expect("add creates a project")
        .file_path();
    if printer.is_json() {
        printer.json(&Added {
            status: "added",
            project: project.display().to_string(),
            plugin: &r,
        });
    } else {
        printer.out(&format!(
            "added {}@{} ({} {}, plugin `{}`) to {}\n  digest: {}",
            r.name,
            r.version,
            r.world,
            r.interface_version,
            r.plugin,
            project.display(),
            r.digest
        ));
    }
    Ok(())
}

pub fn remove(name: String, reg: &RegistryArgs, printer: &Printer) -> Result<(), CliError> {
    let mut session = reg.session()?;
    let name: PackageName = name.parse()?;
    session.remove(&name)?;
    if printer.is_json() {
        printer.json(&serde_json::json!({"status": "removed", "name": name}));
    } else {
        printer.out(&format!("removed {name}"));
    }
    Ok(())
}

pub fn update(name: Option<String>, reg: &RegistryArgs, printer: &Printer) -> Result<(), CliError> {
    let mut session = reg.session()?;
    let name: Option<PackageName> = name.map(|n| n.parse()).transpose()?;
    let changes = session.update(name.as_ref())?;
    if printer.is_json() {
        printer.json(&changes);
    } else if changes.is_empty() {
        printer.out("the lock is up to date");
    } else {
        for c in &changes {
            printer.out(&format!(
                "{}: {} -> {}",
                c.name,
                c.from.as_deref().unwrap_or("(new)"),
                c.to
            ));
        }
    }
    Ok(())
}

pub fn verify(reg: &RegistryArgs, printer: &Printer) -> Result<(), CliError> {
    let session = reg.session()?;
    let lines = session.verify()?;
    let bad = lines.iter().filter(|l| !l.ok).count();
    if printer.is_json() {
        printer.json(&lines);
    } else {
        for l in &lines {
            printer.out(&format!(
                "{}@{}  {}  {}",
                l.name, l.version, l.digest, l.status
            ));
        }
    }
    if bad > 0 {
        return Err(CliError::failure(anyhow::anyhow!(
            "{bad} of {} locked plugins failed verification",
            lines.len()
        ))
        .with_hint("`milvus-ingest plugin update NAME` re-resolves a plugin; delete a damaged cache file to download it again"));
    }
    Ok(())
}
