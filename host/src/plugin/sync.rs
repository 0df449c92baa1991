//! Sync handlers: documents (relaxed Extended JSON) in, Milvus entities, skip reasons and
//! deletes out. The `sync` and `rebuild` commands use this; the host checks the handler's
//! bookkeeping, and every failure names the plugin, the function and the document.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::bound::Described;
use super::error::PluginError;
use super::loaded::LoadedPlugin;
use super::sync_desc::HandlerDesc;
use super::wit::{World, latest::document_sync as wire};

/// A document the handler rejected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedDoc {
    /// Position in the converted slice.
    pub index: usize,
    pub id: String,
    pub reason: String,
}

/// Documents that mean "delete this entity" (e.g. soft-deleted: `deleted_at` set). `id` is the
/// primary-key value to delete, as a string (the pipeline converts it to the pk's type).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeletedDoc {
    pub index: usize,
    pub id: String,
}

/// The outcome of one `convert` call. Every input document is in exactly one of the three.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Converted {
    /// (position in the input, entity as a JSON object).
    pub entities: Vec<(usize, serde_json::Map<String, serde_json::Value>)>,
    pub skipped: Vec<SkippedDoc>,
    /// Documents that mean "delete this entity"; always empty for 0.1 handlers.
    pub deletes: Vec<DeletedDoc>,
}

/// The `_id` of a document's text (ObjectId hex, string or number), for messages; "" when it
/// has none or is not JSON.
pub fn document_id(doc: &str) -> String {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(doc) else {
        return String::new();
    };
    match m.get("_id") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::Object(o)) => o
            .get("$oid")
            .or_else(|| o.values().next())
            .and_then(|v| v.as_str().map(str::to_string).or(Some(v.to_string())))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// One collection type served by a sync-handler plugin, with its params applied.
pub struct SyncHandler {
    plugin: Arc<LoadedPlugin>,
    handler: HandlerDesc,
    /// The params as the JSON object of strings the plugin receives.
    params_json: String,
}

impl SyncHandler {
    /// The handler for `collection_type` of `plugin` with `params` applied: a 0.2 handler
    /// describes itself again with them; for a 0.1 handler the host applies `dim` to the
    /// schema itself (it cannot do more). `PluginError::BadParams` for params the handler
    /// refuses.
    pub(crate) fn with_params(
        plugin: Arc<LoadedPlugin>,
        collection_type: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<SyncHandler, PluginError> {
        let declared = plugin
            .info()
            .handlers
            .iter()
            .find(|h| h.collection_type == collection_type)
            .cloned()
            .ok_or_else(|| PluginError::NotLoaded {
                name: format!("sync handler for `{collection_type}`"),
                loaded: plugin.name().to_string(),
            })?;
        let params_json = serde_json::to_string(params).unwrap_or_else(|_| "{}".into());
        let bad = |message: String| PluginError::BadParams {
            plugin: plugin.name().to_string(),
            collection_type: collection_type.to_string(),
            message,
        };
        if plugin.info().interface_version.starts_with("0.1.") {
            let mut handler = declared;
            handler.apply_params_v0_1(params).map_err(bad)?;
            return Ok(SyncHandler {
                plugin,
                handler,
                params_json,
            });
        }
        if params.is_empty() {
            return Ok(SyncHandler {
                plugin,
                handler: declared,
                params_json,
            });
        }
        let described = plugin.call("describe", collection_type, 0, |bound, store| {
            bound.describe(store, &params_json)
        })?;
        let info = match described {
            Described::Sync02(r) => r.map_err(bad)?,
            _ => {
                return Err(plugin.call_error(
                    "describe",
                    collection_type,
                    None,
                    "not a 0.2 sync handler".into(),
                ));
            }
        };
        let handler = info
            .handlers
            .into_iter()
            .map(HandlerDesc::from_v0_2)
            .find(|h| h.collection_type == collection_type)
            .ok_or_else(|| {
                plugin.call_error(
                    "describe",
                    collection_type,
                    None,
                    format!(
                        "declared `{collection_type}` with default params but not with {params_json}"
                    ),
                )
            })?;
        Ok(SyncHandler {
            plugin,
            handler,
            params_json,
        })
    }

    /// Collection type, Milvus schema, index parameters, source, key, dim and embedding, with
    /// params applied.
    pub fn describe(&self) -> &HandlerDesc {
        &self.handler
    }

    /// The plugin serving this handler.
    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    fn call_convert(&self, documents: &[String]) -> Result<wire::ConvertResult, PluginError> {
        let ty = self.handler.collection_type.as_str();
        self.plugin
            .call("convert", ty, 0, |bound, store| {
                bound.convert(store, ty, &self.params_json, documents)
            })?
            .map_err(|m| {
                self.plugin.call_error(
                    "convert",
                    ty,
                    None,
                    format!("the plugin returned an error: {m}"),
                )
            })
    }

    /// Converts `documents`. Every document comes back exactly once, as an entity, a skip or a
    /// delete; a handler that loses, duplicates or invents documents, returns an entity that is
    /// not a JSON object, traps or runs out of time is an error naming the plugin, `convert`
    /// and the document (found by converting the documents one at a time).
    pub fn convert(&self, documents: &[String]) -> Result<Converted, PluginError> {
        match self.call_convert(documents) {
            Ok(result) => self.check(documents, result),
            Err(e) if documents.len() > 1 => Err(self.locate(documents).unwrap_or(e)),
            Err(e) => Err(self.name_document(e, documents, 0)),
        }
    }

    /// Re-runs the documents one by one to find the first one the handler fails on.
    fn locate(&self, documents: &[String]) -> Option<PluginError> {
        for (i, doc) in documents.iter().enumerate() {
            let one = std::slice::from_ref(doc);
            let failed = match self.call_convert(one) {
                Ok(result) => self.check(one, result).err(),
                Err(e) => Some(e),
            };
            if let Some(e) = failed {
                return Some(self.name_document(e, documents, i));
            }
        }
        None
    }

    /// Adds "document i (id X)" to a call error.
    fn name_document(&self, e: PluginError, documents: &[String], i: usize) -> PluginError {
        match e {
            PluginError::Call {
                plugin,
                function,
                field,
                message,
            } => {
                let id = documents.get(i).map(|d| document_id(d)).unwrap_or_default();
                PluginError::Call {
                    plugin,
                    function,
                    field,
                    message: format!("document {i} (id `{id}`): {message}"),
                }
            }
            other => other,
        }
    }

    fn check(
        &self,
        documents: &[String],
        result: wire::ConvertResult,
    ) -> Result<Converted, PluginError> {
        let ty = self.handler.collection_type.as_str();
        let bad = |i: usize, m: String| {
            let id = documents.get(i).map(|d| document_id(d)).unwrap_or_default();
            self.plugin.call_error(
                "convert",
                ty,
                None,
                format!("document {i} (id `{id}`): {m}"),
            )
        };
        let mut seen = vec![false; documents.len()];
        let mut mark = |index: u32| -> Result<usize, PluginError> {
            let i = index as usize;
            match seen.get_mut(i) {
                Some(s) if !*s => {
                    *s = true;
                    Ok(i)
                }
                Some(_) => Err(bad(i, "was returned twice".into())),
                None => Err(self.plugin.call_error(
                    "convert",
                    ty,
                    None,
                    format!(
                        "returned document index {i} for {} documents",
                        documents.len()
                    ),
                )),
            }
        };
        let mut out = Converted::default();
        for e in result.entities {
            let i = mark(e.index)?;
            match serde_json::from_str::<serde_json::Value>(&e.row) {
                Ok(serde_json::Value::Object(row)) => out.entities.push((i, row)),
                _ => return Err(bad(i, "the entity is not a JSON object".into())),
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
        for d in result.deletes {
            let index = mark(d.index)?;
            if d.id.is_empty() {
                return Err(bad(index, "a delete without a primary-key value".into()));
            }
            out.deletes.push(DeletedDoc { index, id: d.id });
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(bad(
                missing,
                "is neither converted, skipped nor deleted".into(),
            ));
        }
        Ok(out)
    }
}

/// Whether `plugin` is a sync handler.
pub(crate) fn is_sync(plugin: &LoadedPlugin) -> bool {
    plugin.world() == World::SyncHandler
}
