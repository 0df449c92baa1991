//! Sync handlers: documents (relaxed Extended JSON) in, Milvus entities and skip reasons out.
//! The `sync` and `rebuild` commands use this; the host checks the handler's bookkeeping.

use std::sync::Arc;

use super::error::PluginError;
use super::loaded::{Bound, HandlerDesc, LoadedPlugin};

/// A document the handler rejected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedDoc {
    /// Position in the converted slice.
    pub index: usize,
    pub id: String,
    pub reason: String,
}

/// A document that means "delete this entity" (e.g. soft-deleted: `deleted_at` set).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeletedDoc {
    /// Position in the converted slice.
    pub index: usize,
    /// The primary-key value to delete, as a string (the pipeline converts it to the pk's type).
    pub id: String,
}

/// The outcome of one `convert` call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Converted {
    /// (position in the input, entity as a JSON object).
    pub entities: Vec<(usize, serde_json::Map<String, serde_json::Value>)>,
    pub skipped: Vec<SkippedDoc>,
    /// Documents that mean "delete this entity" (e.g. soft-deleted: `deleted_at` set). `id` is the
    /// primary-key value to delete, as a string (the pipeline converts it to the pk's type).
    pub deletes: Vec<DeletedDoc>,
}

/// One collection type served by a sync-handler plugin.
pub struct SyncHandler {
    plugin: Arc<LoadedPlugin>,
    handler: HandlerDesc,
}

impl SyncHandler {
    pub(crate) fn new(plugin: Arc<LoadedPlugin>, handler: HandlerDesc) -> SyncHandler {
        SyncHandler { plugin, handler }
    }

    /// Collection type, Milvus schema, index parameters and MongoDB source.
    pub fn describe(&self) -> &HandlerDesc {
        &self.handler
    }

    /// Converts `documents`. Every document comes back exactly once, as an entity or a skip;
    /// a handler that loses, duplicates or invents documents is an error.
    pub fn convert(&self, documents: &[String]) -> Result<Converted, PluginError> {
        let function = "convert";
        let ty = self.handler.collection_type.as_str();
        let result = self
            .plugin
            .call(function, ty, 0, |bound, store| match bound {
                Bound::Sync(s) => s
                    .milvus_ingest_plugin_document_sync()
                    .call_convert(store, ty, documents),
                _ => unreachable!("sync handlers are sync-handler plugins"),
            })?
            .map_err(|m| {
                self.plugin.call_error(
                    function,
                    ty,
                    None,
                    format!("the plugin returned an error: {m}"),
                )
            })?;
        let bad = |m: String| self.plugin.call_error(function, ty, None, m);
        let mut seen = vec![false; documents.len()];
        let mut mark = |index: u32| -> Result<usize, PluginError> {
            let i = index as usize;
            match seen.get_mut(i) {
                Some(s) if !*s => {
                    *s = true;
                    Ok(i)
                }
                Some(_) => Err(bad(format!("document {i} was returned twice"))),
                None => Err(bad(format!(
                    "returned document index {i} for {} documents",
                    documents.len()
                ))),
            }
        };
        let mut out = Converted::default();
        for e in result.entities {
            let i = mark(e.index)?;
            match serde_json::from_str::<serde_json::Value>(&e.row) {
                Ok(serde_json::Value::Object(row)) => out.entities.push((i, row)),
                _ => {
                    return Err(bad(format!(
                        "the entity for document {i} is not a JSON object"
                    )));
                }
            }
        }
        for s in result.skipped {
            let index = mark(s.index)?;
            out.skipped.push(SkippedDoc {
                index,
                id: s.id,
                reason: s.reason,
            });
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(bad(format!(
                "document {missing} is neither converted nor skipped"
            )));
        }
        Ok(out)
    }
}
