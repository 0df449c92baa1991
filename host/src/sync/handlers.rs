//! TEMPORARY stand-in for the `handlers` helper's module (see SYNC_CONTRACT.md): same public
//! API, built on the 0.1 `episodic-memory` plugin found in `plugins/target`. The real module
//! embeds the shipped handlers in the binary and replaces this file at merge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::plugin::{PluginError, PluginHost, SyncHandler, World};

/// One collection type resolved from what the user gave with `-c`.
pub struct ResolvedHandler {
    pub handler: SyncHandler,
    /// The collection type served, e.g. "episodic_memory".
    pub collection_type: String,
    /// The Milvus name to write to (an alias when the type uses aliases).
    pub collection_name: String,
    /// Tenant id parsed from a tenant prefix, when there was one.
    pub tenant_id: Option<String>,
}

/// A row of `sync --list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HandlerListing {
    pub plugin: String,
    pub version: String,
    pub interface: String,
    pub collection_type: String,
    pub description: String,
    pub source_database: String,
    pub source_collection: String,
    pub time_field: String,
    pub shipped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("unknown collection type `{name}`; handlers serve: {}", offered.join(", "))]
    UnknownType { name: String, offered: Vec<String> },
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error("handler parameter `{name}`: {reason}")]
    BadParam { name: String, reason: String },
}

fn shipped_paths() -> Vec<PathBuf> {
    let dir = std::env::var_os("MILVUS_INGEST_SYNC_HANDLERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/target/wasm32-wasip2/release")
        });
    let path = dir.join("episodic_memory.wasm");
    if path.is_file() {
        vec![path]
    } else {
        Vec::new()
    }
}

/// (plugin path, shipped) of every sync-handler component, `--plugin` ones first (they win).
fn load_all(
    host: &PluginHost,
    plugin_paths: &[PathBuf],
) -> Result<Vec<(std::sync::Arc<crate::plugin::LoadedPlugin>, bool)>, HandlerError> {
    let mut out = Vec::new();
    for p in plugin_paths {
        let plugin = host.load(p)?;
        if plugin.world() != World::SyncHandler {
            return Err(PluginError::WrongWorld {
                plugin: plugin.name().to_string(),
                world: plugin.world().name(),
                wanted: World::SyncHandler.name(),
            }
            .into());
        }
        out.push((plugin, false));
    }
    for p in shipped_paths() {
        out.push((host.load(&p)?, true));
    }
    Ok(out)
}

/// Shipped handlers plus the components in `plugin_paths` (which win on a type clash), with
/// handler params applied.
pub fn resolve_handler(
    host: &PluginHost,
    plugin_paths: &[PathBuf],
    name: &str,
    params: &BTreeMap<String, String>,
) -> Result<ResolvedHandler, HandlerError> {
    let plugins = load_all(host, plugin_paths)?;
    for (k, v) in params {
        if !(k == "dim" && v == "1024") {
            return Err(HandlerError::BadParam {
                name: k.clone(),
                reason: format!("`{v}` is not accepted by the 0.1 handlers"),
            });
        }
    }
    let mut offered = Vec::new();
    for (plugin, _) in &plugins {
        for h in &plugin.info().handlers {
            let ty = h.collection_type.as_str();
            let (matched, tenant) = if name == ty {
                (true, None)
            } else if let Some(prefix) = name.strip_suffix(&format!("_{ty}")) {
                (true, Some(prefix.to_string()))
            } else {
                (name.starts_with(&format!("{ty}_")), None)
            };
            if matched {
                return Ok(ResolvedHandler {
                    handler: host.sync_handler(ty)?,
                    collection_type: ty.to_string(),
                    collection_name: name.to_string(),
                    tenant_id: tenant,
                });
            }
            offered.push(ty.to_string());
        }
    }
    Err(HandlerError::UnknownType {
        name: name.to_string(),
        offered,
    })
}

/// Every collection type on offer.
pub fn list_handlers(
    host: &PluginHost,
    plugin_paths: &[PathBuf],
) -> Result<Vec<HandlerListing>, HandlerError> {
    let mut out = Vec::new();
    for (plugin, shipped) in load_all(host, plugin_paths)? {
        let info = plugin.info();
        for h in &info.handlers {
            out.push(HandlerListing {
                plugin: info.name.clone(),
                version: info.version.clone(),
                interface: info.interface_version.clone(),
                collection_type: h.collection_type.clone(),
                description: h.description.clone(),
                source_database: h.source_database.clone(),
                source_collection: h.source_collection.clone(),
                time_field: h.source_time_field.clone(),
                shipped,
            });
        }
    }
    Ok(out)
}
