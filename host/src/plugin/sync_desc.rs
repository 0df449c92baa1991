//! What a sync handler declares (`HandlerDesc`), from either interface version, with params
//! applied.

use std::collections::BTreeMap;

use serde::Serialize;

use super::wit::{v0_1, v0_2};

/// How the Milvus collection (alias) of a type is named: `[{tenant}_]{base}[_{namespace}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamingDesc {
    /// The base name inside every alias form, e.g. `episodic_memory`.
    pub base_name: String,
    /// `none`, `optional` or `required`.
    pub tenant_prefix: String,
    /// The Milvus name written to when `-c` names the collection type itself.
    pub default_name: String,
}

/// What a handler embeds into its vector (for backfill). Dotted paths into the source document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbeddingDesc {
    /// Text fields embedded (joined with "\n" when several, empty ones skipped).
    pub text_fields: Vec<String>,
    pub vector_field: String,
    pub model_field: String,
    /// The dimension the vector must have.
    pub dim: u32,
}

/// One collection type served by a sync handler.
#[derive(Debug, Clone, Serialize)]
pub struct HandlerDesc {
    pub collection_type: String,
    pub description: String,
    /// The Milvus collection in this project's schema JSON (`crate::schema` parses it).
    pub milvus_schema: serde_json::Value,
    /// Index parameters per field: `{"vector": {"index_type": "HNSW", ..}, ..}`.
    pub index_params: serde_json::Value,
    pub source_database: String,
    pub source_collection: String,
    pub source_time_field: String,
    /// The primary-key field name.
    pub primary_key: String,
    /// The vector dimension after params, when the collection has a float vector.
    pub dim: Option<u32>,
    /// How to compute the vector; `None` for handlers that cannot backfill (every 0.1 one).
    pub embedding: Option<EmbeddingDesc>,
    pub naming: NamingDesc,
}

fn json_or_string(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// The first float-vector field of a schema JSON, as (index in `fields`, dim).
fn vector_field(schema: &serde_json::Value) -> Option<(usize, Option<u32>)> {
    schema["fields"]
        .as_array()?
        .iter()
        .enumerate()
        .find_map(|(i, f)| {
            let t = f["type"].as_str()?;
            t.eq_ignore_ascii_case("FloatVector")
                .then(|| (i, f["dim"].as_u64().and_then(|d| u32::try_from(d).ok())))
        })
}

fn primary_key_of(schema: &serde_json::Value) -> String {
    schema["fields"]
        .as_array()
        .and_then(|fields| {
            fields
                .iter()
                .find(|f| f["is_primary"].as_bool() == Some(true))
                .and_then(|f| f["name"].as_str())
        })
        .unwrap_or("id")
        .to_string()
}

impl HandlerDesc {
    /// A 0.1 handler: no naming, key or embedding declarations; they are read off the schema
    /// where possible.
    pub(crate) fn from_v0_1(h: v0_1::document_sync::HandlerInfo) -> HandlerDesc {
        let schema = json_or_string(&h.milvus_schema);
        HandlerDesc {
            primary_key: primary_key_of(&schema),
            dim: vector_field(&schema).and_then(|(_, d)| d),
            embedding: None,
            naming: NamingDesc {
                base_name: h.collection_type.clone(),
                tenant_prefix: "none".into(),
                default_name: h.collection_type.clone(),
            },
            collection_type: h.collection_type,
            description: h.description,
            milvus_schema: schema,
            index_params: json_or_string(&h.index_params),
            source_database: h.source.database,
            source_collection: h.source.collection,
            source_time_field: h.source.time_field,
        }
    }

    pub(crate) fn from_v0_2(h: v0_2::document_sync::HandlerInfo) -> HandlerDesc {
        use v0_2::document_sync::TenantPrefix;
        HandlerDesc {
            collection_type: h.collection_type,
            description: h.description,
            milvus_schema: json_or_string(&h.milvus_schema),
            index_params: json_or_string(&h.index_params),
            source_database: h.source.database,
            source_collection: h.source.collection,
            source_time_field: h.source.time_field,
            primary_key: h.primary_key,
            dim: h.dim,
            embedding: h.embedding.map(|e| EmbeddingDesc {
                text_fields: e.text_fields,
                vector_field: e.vector_field,
                model_field: e.model_field,
                dim: e.dim,
            }),
            naming: NamingDesc {
                base_name: h.naming.base_name,
                tenant_prefix: match h.naming.tenant_prefix {
                    TenantPrefix::None => "none",
                    TenantPrefix::Optional => "optional",
                    TenantPrefix::Required => "required",
                }
                .into(),
                default_name: h.naming.default_name,
            },
        }
    }

    /// What the host can apply for a 0.1 handler, which takes no params: `dim` sets the
    /// schema's vector dimension (and `dim`); other params are ignored. `Err` for a `dim` that
    /// is not a positive integer.
    pub(crate) fn apply_params_v0_1(
        &mut self,
        params: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let Some(text) = params.get("dim") else {
            return Ok(());
        };
        let dim = text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| *d > 0)
            .ok_or_else(|| format!("param `dim` must be a positive integer, got `{text}`"))?;
        if let Some((i, _)) = vector_field(&self.milvus_schema) {
            self.milvus_schema["fields"][i]["dim"] = dim.into();
            self.dim = Some(dim);
        }
        Ok(())
    }
}
