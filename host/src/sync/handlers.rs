//! The sync handlers on offer: the ones shipped inside the binary (`plugins/dist/*.wasm`,
//! embedded at build time, so an installed binary needs no extra files and a host build needs
//! no wasm toolchain) and the ones given with `--plugin`, which win on a type clash.
//!
//! `-c NAME` resolves to a collection type by the type's name or any of its alias forms
//! (evermemos.md section 2): `[{tenant}_]{base}[_{namespace}]`, optionally followed by the
//! 20-digit suffix of a real collection name. The longest matching base wins, so
//! `t_ann_v1_episodic_memory` is `v1_episodic_memory` for tenant `t_ann`, not `episodic_memory`
//! for tenant `t_ann_v1`.
//!
//! Params: `--handler-param k=v` as given; `dim` defaults to the environment's
//! `VECTORIZE_DIMENSIONS` when that is set (as in EverMemOS); `tenant_id` defaults to the
//! tenant parsed from a tenant-prefixed name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::plugin::{LoadedPlugin, PluginError, PluginHost, SyncHandler, World};

/// One collection type resolved from what the user gave with `-c`.
pub struct ResolvedHandler {
    /// `.describe() -> &HandlerDesc`, `.convert(&[String]) -> Result<Converted, PluginError>`.
    pub handler: SyncHandler,
    /// The collection type served, e.g. "episodic_memory".
    pub collection_type: String,
    /// The Milvus name to write to (an alias when the type uses aliases): what `-c` named when it
    /// was an alias form (`episodic_memory_memsys`, `t_ann_v1_episodic_memory`), else the type's
    /// default alias.
    pub collection_name: String,
    /// Tenant id parsed from a tenant prefix, when there was one.
    pub tenant_id: Option<String>,
}

/// A row of `sync --list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HandlerListing {
    pub plugin: String,
    pub version: String,
    /// The plugin interface version the component was built against.
    pub interface: String,
    pub collection_type: String,
    pub description: String,
    pub source_database: String,
    pub source_collection: String,
    pub time_field: String,
    /// Shipped inside the binary (false: given with `--plugin`).
    pub shipped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// `-c` names no collection type on offer (exit 2).
    #[error(
        "no sync handler serves `{name}`; collection types on offer: {} (alias forms [TENANT_]TYPE[_NAMESPACE] are accepted; give another handler with --plugin PATH)",
        offered.join(", ")
    )]
    UnknownType { name: String, offered: Vec<String> },
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// A handler param the host itself refuses (exit 2).
    #[error("handler param `{param}`: {message}")]
    BadParam { param: String, message: String },
}

impl HandlerError {
    /// 2 for usage and bad input (unknown type, bad params, unloadable plugin file), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            HandlerError::UnknownType { .. } | HandlerError::BadParam { .. } => 2,
            HandlerError::Plugin(PluginError::Call { .. } | PluginError::Engine(_)) => 1,
            HandlerError::Plugin(_) => 2,
        }
    }
}

/// A handler component embedded in the binary.
pub struct Shipped {
    pub collection_type: &'static str,
    /// The plugin name the component reports.
    pub plugin: &'static str,
    /// File name under `plugins/dist/`.
    pub file: &'static str,
    /// Whether alias forms carry a tenant prefix ("optional" or "required").
    pub tenant_prefix: &'static str,
    pub bytes: &'static [u8],
}

/// Every shipped handler, one component per collection type. `plugins/dist/` is refreshed by
/// `scripts/build-plugins.sh --dist`; a test checks it is current.
pub const SHIPPED: &[Shipped] = &[
    Shipped {
        collection_type: "episodic_memory",
        plugin: "episodic-memory",
        file: "episodic_memory.wasm",
        tenant_prefix: "optional",
        bytes: include_bytes!("../../../plugins/dist/episodic_memory.wasm"),
    },
    Shipped {
        collection_type: "event_log",
        plugin: "event-log",
        file: "event_log.wasm",
        tenant_prefix: "optional",
        bytes: include_bytes!("../../../plugins/dist/event_log.wasm"),
    },
    Shipped {
        collection_type: "foresight",
        plugin: "foresight",
        file: "foresight.wasm",
        tenant_prefix: "optional",
        bytes: include_bytes!("../../../plugins/dist/foresight.wasm"),
    },
    Shipped {
        collection_type: "v1_episodic_memory",
        plugin: "v1-episodic-memory",
        file: "v1_episodic_memory.wasm",
        tenant_prefix: "required",
        bytes: include_bytes!("../../../plugins/dist/v1_episodic_memory.wasm"),
    },
];

impl Shipped {
    /// Loads the embedded component (compiled once, then from the host's cache).
    pub fn load(&self, host: &PluginHost) -> Result<Arc<LoadedPlugin>, PluginError> {
        host.load_bytes(&shipped_path(self), self.bytes)
    }
}

/// Where a candidate type comes from.
enum Origin<'a> {
    User(Arc<LoadedPlugin>),
    Shipped(&'a Shipped),
}

/// A collection type on offer, with what alias resolution needs.
struct Candidate<'a> {
    collection_type: String,
    base_name: String,
    tenant_prefix: String,
    origin: Origin<'a>,
}

/// The user's plugins (loaded, checked to be sync handlers) and the shipped types they do not
/// override.
fn candidates<'a>(
    host: &PluginHost,
    plugin_paths: &[PathBuf],
) -> Result<Vec<Candidate<'a>>, HandlerError> {
    let mut out: Vec<Candidate> = Vec::new();
    for path in plugin_paths {
        let plugin = host.load(path)?;
        if plugin.world() != World::SyncHandler {
            return Err(PluginError::WrongWorld {
                plugin: plugin.name().to_string(),
                world: plugin.world().name(),
                wanted: World::SyncHandler.name(),
            }
            .into());
        }
        for h in &plugin.info().handlers {
            // A later --plugin serving the same type wins over an earlier one.
            out.retain(|c| c.collection_type != h.collection_type);
            out.push(Candidate {
                collection_type: h.collection_type.clone(),
                base_name: h.naming.base_name.clone(),
                tenant_prefix: h.naming.tenant_prefix.clone(),
                origin: Origin::User(plugin.clone()),
            });
        }
    }
    for s in SHIPPED {
        let overridden = out.iter().any(|c| c.collection_type == s.collection_type);
        // A user plugin with the shipped one's name (e.g. an older build) replaces it.
        let clash = host
            .get(s.plugin)
            .is_ok_and(|p| p.info().sha256 != crate::plugin::sha256_hex(s.bytes));
        if !overridden && !clash {
            out.push(Candidate {
                collection_type: s.collection_type.into(),
                base_name: s.collection_type.into(),
                tenant_prefix: s.tenant_prefix.into(),
                origin: Origin::Shipped(s),
            });
        }
    }
    Ok(out)
}

/// How `-c NAME` matched a candidate's base name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasMatch {
    /// The tenant prefix (without its `_`), when there was one.
    pub tenant: Option<String>,
    /// The namespace suffix (without its `_`), when there was one.
    pub namespace: Option<String>,
}

/// Whether `name` is an alias form of `base`: `[{tenant}_]{base}[_{namespace}]`, optionally
/// followed by `_` and 20 digits (a real collection name). `tenant_prefix` "none" forbids the
/// prefix.
pub fn match_alias(name: &str, base: &str, tenant_prefix: &str) -> Option<AliasMatch> {
    if base.is_empty() {
        return None;
    }
    let core = match name.rsplit_once('_') {
        Some((head, digits))
            if digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            head
        }
        _ => name,
    };
    for (pos, _) in core.match_indices(base) {
        let before = &core[..pos];
        let after = &core[pos + base.len()..];
        let tenant = match before.strip_suffix('_') {
            None if before.is_empty() => None,
            Some(t) if !t.is_empty() && tenant_prefix != "none" => Some(t.to_string()),
            _ => continue,
        };
        let namespace = match after.strip_prefix('_') {
            None if after.is_empty() => None,
            Some(ns) if !ns.is_empty() => Some(ns.to_string()),
            _ => continue,
        };
        return Some(AliasMatch { tenant, namespace });
    }
    None
}

/// Params with the host's defaults: `dim` from `VECTORIZE_DIMENSIONS` when unset, `tenant_id`
/// from the name's tenant prefix when unset.
fn effective_params(
    params: &BTreeMap<String, String>,
    tenant: Option<&str>,
) -> Result<BTreeMap<String, String>, HandlerError> {
    let mut p = params.clone();
    if let Some(dim) = p.get("dim")
        && dim.trim().parse::<u32>().ok().filter(|d| *d > 0).is_none()
    {
        return Err(HandlerError::BadParam {
            param: "dim".into(),
            message: format!("must be a positive integer, got `{dim}`"),
        });
    }
    if !p.contains_key("dim")
        && let Ok(env) = std::env::var("VECTORIZE_DIMENSIONS")
        && !env.trim().is_empty()
    {
        if env.trim().parse::<u32>().ok().filter(|d| *d > 0).is_none() {
            return Err(HandlerError::BadParam {
                param: "dim".into(),
                message: format!(
                    "the environment's VECTORIZE_DIMENSIONS must be a positive integer, got `{env}`"
                ),
            });
        }
        p.insert("dim".into(), env.trim().to_string());
    }
    if let Some(t) = tenant {
        p.entry("tenant_id".into()).or_insert_with(|| t.to_string());
    }
    Ok(p)
}

/// Shipped handlers plus the components in `plugin_paths` (given with `--plugin`, which win on
/// a type clash), with handler params (`--handler-param k=v`, e.g. dim=384) applied. `name` is
/// a collection type or one of its alias forms.
pub fn resolve_handler(
    host: &PluginHost,
    plugin_paths: &[PathBuf],
    name: &str,
    params: &BTreeMap<String, String>,
) -> Result<ResolvedHandler, HandlerError> {
    let candidates = candidates(host, plugin_paths)?;
    let exact = candidates.iter().find(|c| c.collection_type == name);
    let (chosen, alias) = match exact {
        Some(c) => (c, None),
        None => {
            let best = candidates
                .iter()
                .filter_map(|c| match_alias(name, &c.base_name, &c.tenant_prefix).map(|m| (c, m)))
                .max_by_key(|(c, _)| c.base_name.len());
            match best {
                Some((c, m)) => (c, Some(m)),
                None => {
                    let mut offered: Vec<String> = candidates
                        .iter()
                        .map(|c| c.collection_type.clone())
                        .collect();
                    offered.sort();
                    return Err(HandlerError::UnknownType {
                        name: name.to_string(),
                        offered,
                    });
                }
            }
        }
    };
    let tenant_id = alias.as_ref().and_then(|m| m.tenant.clone());
    let params = effective_params(params, tenant_id.as_deref())?;
    let plugin = match &chosen.origin {
        Origin::User(p) => p.clone(),
        Origin::Shipped(s) => s.load(host)?,
    };
    let handler = SyncHandler::with_params(plugin, &chosen.collection_type, &params)?;
    let collection_name = match alias {
        Some(_) => name.to_string(),
        None => handler.describe().naming.default_name.clone(),
    };
    Ok(ResolvedHandler {
        collection_type: chosen.collection_type.clone(),
        collection_name,
        tenant_id: tenant_id.or_else(|| params.get("tenant_id").cloned()),
        handler,
    })
}

/// Every handler on offer (`sync --list`), sorted by collection type.
pub fn list_handlers(
    host: &PluginHost,
    plugin_paths: &[PathBuf],
) -> Result<Vec<HandlerListing>, HandlerError> {
    let mut rows = Vec::new();
    for c in candidates(host, plugin_paths)? {
        let (plugin, shipped) = match &c.origin {
            Origin::User(p) => (p.clone(), false),
            Origin::Shipped(s) => (s.load(host)?, true),
        };
        let info = plugin.info();
        let Some(h) = info
            .handlers
            .iter()
            .find(|h| h.collection_type == c.collection_type)
        else {
            continue;
        };
        rows.push(HandlerListing {
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
    rows.sort_by(|a, b| a.collection_type.cmp(&b.collection_type));
    Ok(rows)
}

/// The path a shipped handler is known by in messages (`<shipped>/FILE`).
pub fn shipped_path(s: &Shipped) -> PathBuf {
    Path::new("<shipped>").join(s.file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_forms_of_section_2() {
        let m = |name, base, tp| match_alias(name, base, tp);
        let am = |t: Option<&str>, ns: Option<&str>| {
            Some(AliasMatch {
                tenant: t.map(str::to_string),
                namespace: ns.map(str::to_string),
            })
        };
        assert_eq!(
            m("episodic_memory", "episodic_memory", "optional"),
            am(None, None)
        );
        assert_eq!(
            m("episodic_memory_memsys", "episodic_memory", "optional"),
            am(None, Some("memsys"))
        );
        assert_eq!(
            m(
                "episodic_memory_memsys_20260410083015123456",
                "episodic_memory",
                "optional"
            ),
            am(None, Some("memsys"))
        );
        assert_eq!(
            m(
                "acme_co_episodic_memory_memsys",
                "episodic_memory",
                "optional"
            ),
            am(Some("acme_co"), Some("memsys"))
        );
        assert_eq!(
            m("t_ann_v1_episodic_memory", "v1_episodic_memory", "required"),
            am(Some("t_ann"), None)
        );
        assert_eq!(
            m(
                "t_ann_v1_episodic_memory_20260521093000123456",
                "v1_episodic_memory",
                "required"
            ),
            am(Some("t_ann"), None)
        );
        assert_eq!(
            m("s0001_v1_episodic_memory", "v1_episodic_memory", "required"),
            am(Some("s0001"), None)
        );
        assert_eq!(m("episodic_memoryx", "episodic_memory", "optional"), None);
        assert_eq!(m("xepisodic_memory", "episodic_memory", "optional"), None);
        assert_eq!(m("_episodic_memory", "episodic_memory", "optional"), None);
        assert_eq!(m("episodic_memory_", "episodic_memory", "optional"), None);
        assert_eq!(m("t_episodic_memory", "episodic_memory", "none"), None);
        assert_eq!(m("event_log", "episodic_memory", "optional"), None);
    }
}
