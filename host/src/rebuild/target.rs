//! What the rebuilt collection should look like, in this order: a schema file (`--schema`),
//! else the sync handler serving the alias' collection type, else the current collection's own
//! schema (an index-only rebuild). `--index FIELD=TYPE[:k=v,...]` and `--metric` then override
//! indexes field by field.

use std::path::Path;

use serde_json::{Map, Value};

use super::error::{RebuildError, Result};
use crate::plugin::PluginHost;
use crate::schema::{IndexSpec, Schema, SchemaFormat, load_schema_file, parse_schema};

/// Where the target schema came from (shown in the plan).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetSource {
    SchemaFile {
        path: String,
    },
    SyncHandler {
        collection_type: String,
    },
    /// The current collection's schema (index-only rebuild).
    Current,
}

impl std::fmt::Display for TargetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSource::SchemaFile { path } => write!(f, "schema file {path}"),
            TargetSource::SyncHandler { collection_type } => {
                write!(f, "sync handler for `{collection_type}`")
            }
            TargetSource::Current => f.write_str("the current collection's schema"),
        }
    }
}

/// The target before the old collection is known: a schema, or "the current one".
#[derive(Debug, Clone)]
pub struct Target {
    pub schema: Option<Schema>,
    pub source: TargetSource,
}

/// One `--index FIELD=TYPE[:k=v,...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexOverride {
    pub field: String,
    pub spec: IndexSpec,
}

/// Parses `FIELD=TYPE[:k=v,...]`; values are typed (numbers, booleans) where they parse.
pub fn parse_index_override(text: &str) -> Result<IndexOverride> {
    let bad = |why: &str| {
        RebuildError::Usage(format!(
            "--index `{text}`: {why} (expected FIELD=TYPE[:key=value,...], e.g. vector=HNSW:M=32,efConstruction=400)"
        ))
    };
    let (field, rest) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
    let (index_type, params) = match rest.split_once(':') {
        Some((t, p)) => (t, p),
        None => (rest, ""),
    };
    if field.trim().is_empty() || index_type.trim().is_empty() {
        return Err(bad("empty field or index type"));
    }
    let mut map = Map::new();
    let mut metric = None;
    for pair in params.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| bad(&format!("parameter `{pair}` has no `=`")))?;
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("metric_type") {
            metric = Some(v.to_ascii_uppercase());
            continue;
        }
        let value = serde_json::from_str::<Value>(v)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean())
            .unwrap_or_else(|| Value::String(v.to_string()));
        map.insert(k.to_string(), value);
    }
    Ok(IndexOverride {
        field: field.trim().to_string(),
        spec: IndexSpec {
            // The server's own spelling (`Trie`, `HNSW`): Milvus compares names exactly.
            index_type: crate::milvus::ddl::index_type_name(index_type),
            metric_type: metric,
            params: map,
        },
    })
}

/// Reads `--schema FILE` (JSON or YAML, validated).
pub fn from_schema_file(path: &Path) -> Result<Target> {
    Ok(Target {
        schema: Some(load_schema_file(path)?),
        source: TargetSource::SchemaFile {
            path: path.display().to_string(),
        },
    })
}

/// The collection type an alias belongs to, among `served` types: the type itself, or the
/// longest type that appears in the alias as whole `_`-separated words (aliases carry tenant
/// prefixes and namespace suffixes: `t_ann_v1_episodic_memory`, `episodic_memory_memsys`).
pub fn collection_type_of(alias: &str, served: &[String]) -> Option<String> {
    if served.iter().any(|t| t == alias) {
        return Some(alias.to_string());
    }
    let words: Vec<&str> = alias.split('_').collect();
    served
        .iter()
        .filter(|t| {
            let tw: Vec<&str> = t.split('_').collect();
            !tw.is_empty() && words.windows(tw.len()).any(|w| w == tw.as_slice())
        })
        .max_by_key(|t| t.len())
        .cloned()
}

/// The schema the sync handler serving `alias` declares, with its index parameters applied;
/// `None` when no loaded handler (one given with `--plugin`) serves it.
pub fn handler_target(host: &PluginHost, alias: &str) -> Result<Option<Target>> {
    let served: Vec<String> = host
        .loaded()
        .iter()
        .flat_map(|p| p.info().handlers.iter().map(|h| h.collection_type.clone()))
        .collect();
    let Some(collection_type) = collection_type_of(alias, &served) else {
        return Ok(None);
    };
    let handler = host.sync_handler(&collection_type)?;
    Ok(Some(target_of(handler.describe(), collection_type)?))
}

/// Like [`handler_target`], over the sync handlers shipped in the binary, with the same name
/// resolution as `sync -c` (alias forms, tenant prefixes, `VECTORIZE_DIMENSIONS`); `None` when
/// no shipped handler serves the alias' collection type.
pub fn shipped_handler_target(host: &PluginHost, alias: &str) -> Result<Option<Target>> {
    use crate::sync::handlers::{HandlerError, resolve_handler};
    match resolve_handler(host, &[], alias, &Default::default()) {
        Ok(resolved) => Ok(Some(target_of(
            resolved.handler.describe(),
            resolved.collection_type,
        )?)),
        Err(HandlerError::UnknownType { .. }) => Ok(None),
        Err(HandlerError::Plugin(e)) => Err(e.into()),
        Err(e) => Err(RebuildError::Usage(e.to_string())),
    }
}

fn target_of(desc: &crate::plugin::HandlerDesc, collection_type: String) -> Result<Target> {
    let origin = format!("sync handler `{collection_type}`");
    let text = match &desc.milvus_schema {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut schema = parse_schema(&text, SchemaFormat::Json, &origin)?;
    if let Value::Object(per_field) = &desc.index_params {
        for (name, spec) in per_field {
            let spec: IndexSpec = serde_json::from_value(spec.clone()).map_err(|e| {
                RebuildError::Usage(format!("{origin}: index_params of `{name}`: {e}"))
            })?;
            match schema.fields.iter_mut().find(|f| &f.name == name) {
                Some(f) => f.index = Some(spec),
                None => {
                    return Err(RebuildError::Usage(format!(
                        "{origin}: index_params name `{name}`, which is not a field of its schema"
                    )));
                }
            }
        }
    }
    Ok(Target {
        schema: Some(schema),
        source: TargetSource::SyncHandler { collection_type },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_overrides_parse_and_bad_ones_name_the_rule() {
        let o = parse_index_override("vector=HNSW:M=32,efConstruction=400").unwrap();
        assert_eq!(o.field, "vector");
        assert_eq!(o.spec.index_type, "HNSW");
        assert_eq!(o.spec.params["M"], 32);
        let o = parse_index_override("v=ivf_flat:nlist=64,metric_type=l2").unwrap();
        assert_eq!(o.spec.metric_type.as_deref(), Some("L2"));
        assert_eq!(o.spec.index_type, "IVF_FLAT");
        let o = parse_index_override("user_id=trie").unwrap();
        assert_eq!(o.spec.index_type, "Trie");
        let e = parse_index_override("vector").unwrap_err().to_string();
        assert!(e.contains("`vector`") && e.contains("FIELD=TYPE"), "{e}");
        assert!(parse_index_override("v=HNSW:M").is_err());
    }

    #[test]
    fn aliases_map_to_types_by_whole_words() {
        let served = vec!["episodic_memory".to_string(), "memory".to_string()];
        let t = |a: &str| collection_type_of(a, &served);
        assert_eq!(t("episodic_memory").as_deref(), Some("episodic_memory"));
        assert_eq!(
            t("episodic_memory_memsys").as_deref(),
            Some("episodic_memory")
        );
        assert_eq!(
            t("t_ann_v1_episodic_memory").as_deref(),
            Some("episodic_memory")
        );
        assert_eq!(t("episodic_memoryx"), None);
        assert_eq!(t("products"), None);
    }
}
