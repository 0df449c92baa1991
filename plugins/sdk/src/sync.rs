//! Sync handlers: the trait a plugin implements and the macro that exports it.

/// Where the handler's documents come from.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoSource {
    pub database: String,
    pub collection: String,
    pub time_field: String,
}

/// One collection type a handler serves.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerInfo {
    pub collection_type: String,
    pub description: String,
    /// The Milvus collection as milvus-ingest schema JSON.
    pub milvus_schema: String,
    /// `{"field": {"index_type": .., "metric_type": .., "params": {..}}}`.
    pub index_params: String,
    pub source: MongoSource,
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

/// One converted entity: a JSON object keyed by field name.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub index: u32,
    pub row: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvertResult {
    pub entities: Vec<Entity>,
    pub skipped: Vec<Skip>,
}

/// A sync-handler plugin. Implement it and call [`crate::export_sync_handler!`].
pub trait SyncHandler {
    fn info() -> SyncInfo;
    /// Converts documents (relaxed Extended JSON). Every document must end up in exactly one
    /// of `entities` and `skipped`.
    fn convert(collection_type: &str, documents: &[String]) -> Result<ConvertResult, String>;
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

            struct Glue;
            impl api::Guest for Glue {
                fn describe() -> api::SyncInfo {
                    let i = <$ty as $crate::SyncHandler>::info();
                    api::SyncInfo {
                        name: i.name,
                        version: i.version,
                        description: i.description,
                        handlers: i
                            .handlers
                            .into_iter()
                            .map(|h| api::HandlerInfo {
                                collection_type: h.collection_type,
                                description: h.description,
                                milvus_schema: h.milvus_schema,
                                index_params: h.index_params,
                                source: api::MongoSource {
                                    database: h.source.database,
                                    collection: h.source.collection,
                                    time_field: h.source.time_field,
                                },
                            })
                            .collect(),
                    }
                }
                fn convert(
                    collection_type: String,
                    documents: Vec<String>,
                ) -> Result<api::ConvertResult, String> {
                    let r = <$ty as $crate::SyncHandler>::convert(&collection_type, &documents)?;
                    Ok(api::ConvertResult {
                        entities: r
                            .entities
                            .into_iter()
                            .map(|e| api::Entity {
                                index: e.index,
                                row: e.row.to_string(),
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
                    })
                }
            }
            export!(Glue);
        }
    };
}
