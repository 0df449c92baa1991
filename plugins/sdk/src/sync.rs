//! Sync handlers: the trait a plugin implements and the macro that exports it.
//!
//! Interface 0.3.0: documents arrive as BSON ([`Document`]: deserialize them into any serde
//! type, e.g. `serde_json::Value`, with the values relaxed Extended JSON v2 gives), and every
//! FloatVector field of the handler's schema leaves as a float32 list, not as JSON numbers.

use std::collections::BTreeMap;

use crate::bson_doc::Document;

/// Where the handler's documents come from.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoSource {
    /// "" means the database of the sync command's MongoDB URI.
    pub database: String,
    pub collection: String,
    /// The field `--days`, `--since` and `--until` filter on.
    pub time_field: String,
}

/// Whether the Milvus name carries a tenant prefix (`{tenant}_{base}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantPrefix {
    None,
    Optional,
    Required,
}

/// How the Milvus collection (alias) of a type is named: `[{tenant}_]{base}[_{namespace}]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Naming {
    pub base_name: String,
    pub tenant_prefix: TenantPrefix,
    /// What is written to when `-c` names the collection type itself.
    pub default_name: String,
}

/// What a handler embeds (for vector backfill); dotted paths into the source document.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    pub text_fields: Vec<String>,
    pub vector_field: String,
    pub model_field: String,
    pub dim: u32,
}

/// One collection type a handler serves.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerInfo {
    pub collection_type: String,
    pub description: String,
    pub naming: Naming,
    /// The Milvus collection as milvus-ingest schema JSON.
    pub milvus_schema: String,
    /// `{"field": {"index_type": .., "metric_type": .., "params": {..}}}`.
    pub index_params: String,
    pub source: MongoSource,
    pub primary_key: String,
    pub dim: Option<u32>,
    pub embedding: Option<Embedding>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub handlers: Vec<HandlerInfo>,
}

/// A document that produced no entity, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub index: u32,
    pub id: String,
    pub reason: String,
}

/// One converted entity: a JSON object keyed by field name, and FloatVector fields as float32
/// lists. A FloatVector field of the handler's schema left in `row` as a list of numbers is
/// moved to the float32 lists by the SDK; building the list directly (as the EverMemOS
/// handlers do) saves the JSON numbers altogether.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub index: u32,
    pub row: serde_json::Value,
    /// (field, float32 components); each field at most once and not also in `row`.
    pub float_vectors: Vec<(String, Vec<f32>)>,
}

impl Entity {
    /// An entity with every value in `row`.
    pub fn new(index: u32, row: serde_json::Value) -> Entity {
        Entity {
            index,
            row,
            float_vectors: Vec::new(),
        }
    }
}

/// A document that means "delete the entity with this primary key" (e.g. soft-deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub index: u32,
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvertResult {
    pub entities: Vec<Entity>,
    pub skipped: Vec<Skip>,
    pub deletes: Vec<Delete>,
}

/// Handler params: string values by name (`--handler-param dim=384`, the tenant id the host
/// parsed from a tenant-prefixed collection name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    /// Parses the JSON object the host sends (numbers and booleans are taken as their text).
    pub fn parse(text: &str) -> Result<Params, String> {
        if text.trim().is_empty() {
            return Ok(Params::default());
        }
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("params are not JSON: {e}"))?;
        let serde_json::Value::Object(m) = v else {
            return Err("params must be a JSON object of strings".into());
        };
        m.into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k, s)),
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => Ok((k, v.to_string())),
                other => Err(format!("param `{k}` must be a string, got {other}")),
            })
            .collect::<Result<_, _>>()
            .map(Params)
    }

    /// Builder for tests: `Params::default().with("dim", "384")`.
    pub fn with(mut self, key: &str, value: &str) -> Params {
        self.0.insert(key.to_string(), value.to_string());
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A positive integer param, or `default` when absent.
    pub fn positive_u32(&self, key: &str, default: u32) -> Result<u32, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("param `{key}` must be a positive integer, got `{v}`")),
        }
    }

    /// Refuses params not in `known`, naming them and the known ones.
    pub fn check_known(&self, known: &[&str]) -> Result<(), String> {
        let unknown: Vec<&str> = self
            .0
            .keys()
            .map(String::as_str)
            .filter(|k| !known.contains(k))
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "unknown param(s) {} (this handler takes: {})",
                unknown.join(", "),
                known.join(", ")
            ))
        }
    }
}

/// A sync-handler plugin. Implement it and call [`crate::export_sync_handler!`].
pub trait SyncHandler {
    /// The handlers with `params` applied (e.g. the vector dimension); `Err` for a bad param.
    fn info(params: &Params) -> Result<SyncInfo, String>;
    /// Converts documents (BSON; `documents[i].deserialize::<T>()` reads one as relaxed
    /// Extended JSON values). Every document must end up in exactly one of `entities`,
    /// `skipped` and `deletes`, with `index` its position in `documents`.
    fn convert(
        collection_type: &str,
        params: &Params,
        documents: &[Document<'_>],
    ) -> Result<ConvertResult, String>;

    /// The JSON text the host receives for one entity of `convert` (without its float
    /// vectors, which cross as float32 lists); by default the row as serde_json writes it.
    fn row_text(row: &serde_json::Value) -> String {
        row.to_string()
    }
}

/// The FloatVector fields of `collection_type` in `info` (from its `milvus_schema`).
pub fn float_vector_fields(info: &SyncInfo, collection_type: &str) -> Vec<String> {
    let Some(h) = info
        .handlers
        .iter()
        .find(|h| h.collection_type == collection_type)
    else {
        return Vec::new();
    };
    let Ok(schema) = serde_json::from_str::<serde_json::Value>(&h.milvus_schema) else {
        return Vec::new();
    };
    schema["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter(|f| {
                    f["type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("FloatVector"))
                })
                .filter_map(|f| f["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Takes the `fields` whose value in `row` is a list of numbers out of it, as float32
/// components (what Milvus stores). Any other value stays in the row (the host then reports it
/// against the schema).
pub fn take_float_vectors(
    row: &mut serde_json::Value,
    fields: &[String],
) -> Vec<(String, Vec<f32>)> {
    let Some(map) = row.as_object_mut() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in fields {
        let numeric = matches!(map.get(field), Some(serde_json::Value::Array(items))
            if items.iter().all(serde_json::Value::is_number));
        if !numeric {
            continue;
        }
        if let Some(serde_json::Value::Array(items)) = map.remove(field) {
            let values = items
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN) as f32)
                .collect();
            out.push((field.clone(), values));
        }
    }
    out
}

/// Exports a [`SyncHandler`] implementation as the component's `sync-handler` world.
#[macro_export]
macro_rules! export_sync_handler {
    ($ty:ty) => {
        #[doc(hidden)]
        #[cfg(target_arch = "wasm32")]
        #[allow(clippy::all, unused)]
        mod __milvus_ingest_export {
            use super::*;
            $crate::__milvus_ingest_bindings!(sync_handler);
            use exports::milvus_ingest::plugin::document_sync as api;

            fn prefix_out(p: $crate::TenantPrefix) -> api::TenantPrefix {
                match p {
                    $crate::TenantPrefix::None => api::TenantPrefix::None,
                    $crate::TenantPrefix::Optional => api::TenantPrefix::Optional,
                    $crate::TenantPrefix::Required => api::TenantPrefix::Required,
                }
            }

            struct Glue;
            impl api::Guest for Glue {
                fn describe(params: String) -> Result<api::SyncInfo, String> {
                    let params = $crate::Params::parse(&params)?;
                    let i = <$ty as $crate::SyncHandler>::info(&params)?;
                    Ok(api::SyncInfo {
                        name: i.name,
                        version: i.version,
                        description: i.description,
                        handlers: i
                            .handlers
                            .into_iter()
                            .map(|h| api::HandlerInfo {
                                collection_type: h.collection_type,
                                description: h.description,
                                naming: api::Naming {
                                    base_name: h.naming.base_name,
                                    tenant_prefix: prefix_out(h.naming.tenant_prefix),
                                    default_name: h.naming.default_name,
                                },
                                milvus_schema: h.milvus_schema,
                                index_params: h.index_params,
                                source: api::MongoSource {
                                    database: h.source.database,
                                    collection: h.source.collection,
                                    time_field: h.source.time_field,
                                },
                                primary_key: h.primary_key,
                                dim: h.dim,
                                embedding: h.embedding.map(|e| api::Embedding {
                                    text_fields: e.text_fields,
                                    vector_field: e.vector_field,
                                    model_field: e.model_field,
                                    dim: e.dim,
                                }),
                            })
                            .collect(),
                    })
                }
                fn convert(
                    collection_type: String,
                    params: String,
                    documents: Vec<u8>,
                ) -> Result<api::ConvertResult, String> {
                    let params = $crate::Params::parse(&params)?;
                    let documents = $crate::split_documents(&documents)?;
                    let r = <$ty as $crate::SyncHandler>::convert(
                        &collection_type,
                        &params,
                        &documents,
                    )?;
                    let vector_fields = if r.entities.is_empty() {
                        Vec::new()
                    } else {
                        <$ty as $crate::SyncHandler>::info(&params)
                            .map(|i| $crate::float_vector_fields(&i, &collection_type))
                            .unwrap_or_default()
                    };
                    Ok(api::ConvertResult {
                        entities: r
                            .entities
                            .into_iter()
                            .map(|mut e| {
                                let mut vectors = e.float_vectors;
                                vectors
                                    .extend($crate::take_float_vectors(&mut e.row, &vector_fields));
                                api::Entity {
                                    index: e.index,
                                    row: <$ty as $crate::SyncHandler>::row_text(&e.row),
                                    float_vectors: vectors
                                        .into_iter()
                                        .map(|(field, values)| api::FloatVector { field, values })
                                        .collect(),
                                }
                            })
                            .collect(),
                        skipped: r
                            .skipped
                            .into_iter()
                            .map(|s| api::Skip {
                                index: s.index,
                                id: s.id,
                                reason: s.reason,
                            })
                            .collect(),
                        deletes: r
                            .deletes
                            .into_iter()
                            .map(|d| api::DeletedDoc {
                                index: d.index,
                                id: d.id,
                            })
                            .collect(),
                    })
                }
            }
            export!(Glue);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_vectors_leave_the_row_as_float32() {
        let schema = serde_json::json!({"fields": [
            {"name": "id", "type": "VarChar"},
            {"name": "v", "type": "FloatVector", "dim": 2},
            {"name": "w", "type": "floatvector", "dim": 2},
            {"name": "tags", "type": "Array"}
        ]});
        let info = SyncInfo {
            name: "t".into(),
            version: "1".into(),
            description: String::new(),
            handlers: vec![HandlerInfo {
                collection_type: "c".into(),
                description: String::new(),
                naming: Naming {
                    base_name: "c".into(),
                    tenant_prefix: TenantPrefix::None,
                    default_name: "c".into(),
                },
                milvus_schema: schema.to_string(),
                index_params: "{}".into(),
                source: MongoSource {
                    database: String::new(),
                    collection: "c".into(),
                    time_field: "t".into(),
                },
                primary_key: "id".into(),
                dim: Some(2),
                embedding: None,
            }],
        };
        let fields = float_vector_fields(&info, "c");
        assert_eq!(fields, ["v", "w"]);
        assert!(float_vector_fields(&info, "other").is_empty());
        let mut row = serde_json::json!({"id": "a", "v": [0.1, 2], "w": ["x", 1], "tags": [1.0]});
        let taken = take_float_vectors(&mut row, &fields);
        assert_eq!(taken, [("v".to_string(), vec![0.1_f32, 2.0])]);
        assert_eq!(
            row,
            serde_json::json!({"id": "a", "w": ["x", 1], "tags": [1.0]})
        );
    }

    #[test]
    fn params_parse_and_check() {
        let p = Params::parse(r#"{"dim": "384", "n": 5}"#).unwrap();
        assert_eq!(p.positive_u32("dim", 1024), Ok(384));
        assert_eq!(p.get("n"), Some("5"));
        assert_eq!(
            Params::parse("").unwrap().positive_u32("dim", 1024),
            Ok(1024)
        );
        assert!(p.positive_u32("n", 1).is_ok());
        assert!(
            Params::default()
                .with("dim", "0")
                .positive_u32("dim", 1)
                .is_err()
        );
        assert!(p.check_known(&["dim"]).unwrap_err().contains("n"));
        assert!(Params::parse("[1]").is_err());
    }
}
