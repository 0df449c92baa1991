//! Sync handlers: documents in, Milvus entities, skip reasons and deletes out. The `sync`
//! command uses this; the host checks the handler's bookkeeping, and every failure names the
//! plugin, the function and the document.
//!
//! Documents reach a 0.3 handler as BSON bytes and its float vectors come back as float32
//! lists; older handlers get relaxed Extended JSON text and answer with vectors inside the
//! JSON row. Callers give either form ([`Documents`]); this module converts to what the
//! handler takes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use bson::RawDocument;

use super::bound::{Described, DocsIn};
use super::error::PluginError;
use super::loaded::LoadedPlugin;
use super::sync_desc::HandlerDesc;
use super::wit::{World, v0_3::document_sync as wire};

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

/// One entity a handler produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConvertedEntity {
    /// Position of the source document in the input.
    pub index: usize,
    /// The entity as a JSON object, without the fields in `float_vectors`.
    pub row: serde_json::Map<String, serde_json::Value>,
    /// FloatVector fields a 0.3 handler returned as float32 lists: (field, components).
    pub float_vectors: Vec<(String, Vec<f32>)>,
}

impl ConvertedEntity {
    /// The whole entity as one JSON object (float vectors as JSON numbers), for messages and
    /// tests.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut row = self.row.clone();
        for (field, values) in &self.float_vectors {
            row.insert(field.clone(), serde_json::json!(values));
        }
        row
    }
}

/// Documents for [`SyncHandler::convert`], in either form; the handler gets the form its
/// interface version takes.
#[derive(Debug, Clone, Copy)]
pub enum Documents<'a> {
    /// Relaxed (or canonical) Extended JSON text, one string per document.
    Text(&'a [String]),
    /// BSON documents as read from MongoDB or a dump.
    Raw(&'a [&'a RawDocument]),
}

impl Documents<'_> {
    pub fn len(&self) -> usize {
        match self {
            Documents::Text(t) => t.len(),
            Documents::Raw(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `_id` of document `i` for messages; "" when it has none.
    pub fn id(&self, i: usize) -> String {
        match self {
            Documents::Text(t) => t.get(i).map(|d| document_id(d)).unwrap_or_default(),
            Documents::Raw(r) => r
                .get(i)
                .and_then(|d| d.get("_id").ok().flatten())
                .and_then(|v| bson::Bson::try_from(v.to_raw_bson()).ok())
                .map(|b| crate::mongo::id_key(&b))
                .unwrap_or_default(),
        }
    }
}

/// The outcome of one `convert` call. Every input document is in exactly one of the three.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Converted {
    pub entities: Vec<ConvertedEntity>,
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

    /// Whether the handler takes BSON documents (interface 0.3) rather than text.
    fn takes_bson(&self) -> bool {
        self.plugin.info().interface_version.starts_with("0.3.")
    }

    fn call_convert(&self, docs: &DocsIn<'_>) -> Result<wire::ConvertResult, PluginError> {
        let ty = self.handler.collection_type.as_str();
        self.plugin
            .call("convert", ty, 0, |bound, store| {
                bound.convert(store, ty, &self.params_json, docs)
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
    /// not a JSON object (or a float vector twice, or for a field that is no FloatVector),
    /// traps or runs out of time is an error naming the plugin, `convert` and the document
    /// (found by converting the documents one at a time).
    ///
    /// Text documents a 0.3 handler cannot take (not an Extended JSON object) are skipped
    /// here with the reason; raw documents for an older handler are written as relaxed
    /// Extended JSON.
    pub fn convert(&self, documents: Documents<'_>) -> Result<Converted, PluginError> {
        let prepared = Prepared::new(self.takes_bson(), documents);
        let mut out = match self.call_convert(&prepared.input()) {
            Ok(result) => self.check(documents, &prepared, result),
            Err(e) if prepared.count > 1 => Err(self.locate(documents, &prepared).unwrap_or(e)),
            Err(e) => Err(self.name_document(e, documents, prepared.original(0))),
        }?;
        out.skipped.extend(prepared.refused);
        Ok(out)
    }

    /// Re-runs the documents one by one to find the first one the handler fails on.
    fn locate(&self, documents: Documents<'_>, prepared: &Prepared) -> Option<PluginError> {
        for i in 0..prepared.count {
            let one = prepared.single(i);
            let failed = match self.call_convert(&one.input()) {
                Ok(result) => self.check(documents, &one, result).err(),
                Err(e) => Some(e),
            };
            if let Some(e) = failed {
                return Some(self.name_document(e, documents, prepared.original(i)));
            }
        }
        None
    }

    /// Adds "document i (id X)" to a call error.
    fn name_document(&self, e: PluginError, documents: Documents<'_>, i: usize) -> PluginError {
        match e {
            PluginError::Call {
                plugin,
                function,
                field,
                message,
            } => PluginError::Call {
                plugin,
                function,
                field,
                message: format!("document {i} (id `{}`): {message}", documents.id(i)),
            },
            other => other,
        }
    }

    /// Checks the handler's bookkeeping and maps its indexes back to the caller's.
    fn check(
        &self,
        documents: Documents<'_>,
        prepared: &Prepared,
        result: wire::ConvertResult,
    ) -> Result<Converted, PluginError> {
        let ty = self.handler.collection_type.as_str();
        let bad = |i: usize, m: String| {
            let i = prepared.original(i);
            self.plugin.call_error(
                "convert",
                ty,
                None,
                format!("document {i} (id `{}`): {m}", documents.id(i)),
            )
        };
        let count = prepared.count;
        let mut seen = vec![false; count];
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
                    format!("returned document index {i} for {count} documents"),
                )),
            }
        };
        let mut out = Converted::default();
        for e in result.entities {
            let i = mark(e.index)?;
            let Ok(serde_json::Value::Object(row)) =
                serde_json::from_str::<serde_json::Value>(&e.row)
            else {
                return Err(bad(i, "the entity is not a JSON object".into()));
            };
            let mut float_vectors = Vec::with_capacity(e.float_vectors.len());
            for v in e.float_vectors {
                if row.contains_key(&v.field) || float_vectors.iter().any(|(f, _)| *f == v.field) {
                    return Err(bad(
                        i,
                        format!("returned field `{}` twice (row and float vectors)", v.field),
                    ));
                }
                float_vectors.push((v.field, v.values));
            }
            out.entities.push(ConvertedEntity {
                index: prepared.original(i),
                row,
                float_vectors,
            });
        }
        for s in result.skipped {
            let index = prepared.original(mark(s.index)?);
            out.skipped.push(SkippedDoc {
                index,
                id: s.id,
                reason: s.reason,
            });
        }
        for d in result.deletes {
            let i = mark(d.index)?;
            if d.id.is_empty() {
                return Err(bad(i, "a delete without a primary-key value".into()));
            }
            out.deletes.push(DeletedDoc {
                index: prepared.original(i),
                id: d.id,
            });
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

/// The documents of one call in the handler's form, with the caller's index of each.
struct Prepared<'a> {
    /// BSON documents one after another (0.3 handlers).
    bson: Vec<u8>,
    /// Start of each document in `bson`.
    starts: Vec<usize>,
    /// Extended JSON text (older handlers).
    texts: Cow<'a, [String]>,
    /// Whether `bson` (else `texts`) is the form.
    as_bson: bool,
    /// How many documents go to the handler.
    count: usize,
    /// The caller's index of each document sent.
    origin: Vec<usize>,
    /// Documents skipped before the call (text a 0.3 handler cannot take).
    refused: Vec<SkippedDoc>,
}

impl<'a> Prepared<'a> {
    fn new(as_bson: bool, documents: Documents<'a>) -> Prepared<'a> {
        let mut p = Prepared {
            bson: Vec::new(),
            starts: Vec::new(),
            texts: Cow::Borrowed(&[]),
            as_bson,
            count: 0,
            origin: Vec::new(),
            refused: Vec::new(),
        };
        match (as_bson, documents) {
            (true, Documents::Raw(raw)) => {
                p.bson.reserve(raw.iter().map(|d| d.as_bytes().len()).sum());
                for (i, d) in raw.iter().enumerate() {
                    p.push_bson(i, d.as_bytes());
                }
            }
            (true, Documents::Text(texts)) => {
                for (i, t) in texts.iter().enumerate() {
                    match text_to_bson(t) {
                        Ok(bytes) => p.push_bson(i, &bytes),
                        Err(reason) => p.refused.push(SkippedDoc {
                            index: i,
                            id: document_id(t),
                            reason,
                        }),
                    }
                }
            }
            (false, Documents::Text(texts)) => {
                p.texts = Cow::Borrowed(texts);
                p.origin = (0..texts.len()).collect();
            }
            (false, Documents::Raw(raw)) => {
                for (i, d) in raw.iter().enumerate() {
                    match crate::mongo::extjson::relaxed_json(d) {
                        Ok(text) => {
                            p.texts.to_mut().push(text);
                            p.origin.push(i);
                        }
                        Err(e) => p.refused.push(SkippedDoc {
                            index: i,
                            id: documents.id(i),
                            reason: format!("not a valid BSON document: {e}"),
                        }),
                    }
                }
            }
        }
        p.count = p.origin.len();
        p
    }

    fn push_bson(&mut self, index: usize, bytes: &[u8]) {
        self.starts.push(self.bson.len());
        self.bson.extend_from_slice(bytes);
        self.origin.push(index);
    }

    fn input(&self) -> DocsIn<'_> {
        if self.as_bson {
            DocsIn::Bson(&self.bson)
        } else {
            DocsIn::Text(&self.texts)
        }
    }

    /// The caller's index of the i-th document sent.
    fn original(&self, i: usize) -> usize {
        self.origin.get(i).copied().unwrap_or(i)
    }

    /// Only the i-th document sent, for locating a failure.
    fn single(&self, i: usize) -> Prepared<'static> {
        let mut one = Prepared {
            bson: Vec::new(),
            starts: Vec::new(),
            texts: Cow::Owned(Vec::new()),
            as_bson: self.as_bson,
            count: 1,
            origin: vec![self.original(i)],
            refused: Vec::new(),
        };
        if self.as_bson {
            let end = self.starts.get(i + 1).copied().unwrap_or(self.bson.len());
            one.starts.push(0);
            one.bson = self.bson[self.starts[i]..end].to_vec();
        } else {
            one.texts.to_mut().push(self.texts[i].clone());
        }
        one
    }
}

/// A document's Extended JSON text (relaxed or canonical) as BSON bytes.
fn text_to_bson(text: &str) -> Result<Vec<u8>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let bson::Bson::Document(doc) =
        bson::Bson::try_from(value).map_err(|e| format!("not valid Extended JSON: {e}"))?
    else {
        return Err("not a JSON object".into());
    };
    bson::to_vec(&doc).map_err(|e| format!("cannot be written as BSON: {e}"))
}

/// Whether `plugin` is a sync handler.
pub(crate) fn is_sync(plugin: &LoadedPlugin) -> bool {
    plugin.world() == World::SyncHandler
}
