//! Sync handlers of 0.2 and 0.3: 0.3 `describe` answers in the 0.2 shapes the rest of the host
//! reads (they are identical), and 0.2 `convert` results in the 0.3 shape the pipeline reads
//! (every entity's vectors still inside its JSON row, none as float32 lists).

use super::wit::{v0_2 as old, v0_3 as new};

use new::document_sync as n;
use old::document_sync as o;

impl From<n::SyncInfo> for o::SyncInfo {
    fn from(i: n::SyncInfo) -> Self {
        o::SyncInfo {
            name: i.name,
            version: i.version,
            description: i.description,
            handlers: i.handlers.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<n::HandlerInfo> for o::HandlerInfo {
    fn from(h: n::HandlerInfo) -> Self {
        o::HandlerInfo {
            collection_type: h.collection_type,
            description: h.description,
            naming: o::Naming {
                base_name: h.naming.base_name,
                tenant_prefix: match h.naming.tenant_prefix {
                    n::TenantPrefix::None => o::TenantPrefix::None,
                    n::TenantPrefix::Optional => o::TenantPrefix::Optional,
                    n::TenantPrefix::Required => o::TenantPrefix::Required,
                },
                default_name: h.naming.default_name,
            },
            milvus_schema: h.milvus_schema,
            index_params: h.index_params,
            source: o::MongoSource {
                database: h.source.database,
                collection: h.source.collection,
                time_field: h.source.time_field,
            },
            primary_key: h.primary_key,
            dim: h.dim,
            embedding: h.embedding.map(|e| o::Embedding {
                text_fields: e.text_fields,
                vector_field: e.vector_field,
                model_field: e.model_field,
                dim: e.dim,
            }),
        }
    }
}

impl From<o::ConvertResult> for n::ConvertResult {
    fn from(r: o::ConvertResult) -> Self {
        n::ConvertResult {
            entities: r
                .entities
                .into_iter()
                .map(|e| n::Entity {
                    index: e.index,
                    row: e.row,
                    float_vectors: Vec::new(),
                })
                .collect(),
            skipped: r
                .skipped
                .into_iter()
                .map(|s| n::Skip {
                    index: s.index,
                    id: s.id,
                    reason: s.reason,
                })
                .collect(),
            deletes: r
                .deletes
                .into_iter()
                .map(|d| n::DeletedDoc {
                    index: d.index,
                    id: d.id,
                })
                .collect(),
        }
    }
}
