//! A sync handler for the test-only collection type `sync_note` (MongoDB `notes`), bound
//! straight to the frozen 0.1.0 WIT (no SDK), so it keeps working while the SDK moves on.
//!
//! It converts without any checking of its own: a long title, a null, a short or NaN vector
//! reach the host as they are, which is what the host-side entity checks are tested with.
//! A document with `"trap": true` makes it panic (the run must stop, naming the document).

use serde_json::{Map, Value, json};

wit_bindgen::generate!({
    path: "../../../wit/since_v0.1.0",
    world: "sync-handler",
});

use exports::milvus_ingest::plugin::document_sync::{
    ConvertResult, Entity, Guest, HandlerInfo, MongoSource, Skip, SyncInfo,
};

const TYPE: &str = "sync_note";

fn schema() -> Value {
    json!({
        "collection_name": TYPE,
        "fields": [
            {"name": "id", "type": "VarChar", "max_length": 64, "is_primary": true},
            {"name": "vector", "type": "FloatVector", "dim": 4,
             "index": {"index_type": "HNSW", "metric_type": "L2", "params": {"M": 8, "efConstruction": 64}}},
            {"name": "title", "type": "VarChar", "max_length": 32},
            {"name": "tags", "type": "Array", "element_type": "VarChar", "max_length": 16, "max_capacity": 4},
            {"name": "score", "type": "Int64"},
            {"name": "meta", "type": "JSON"}
        ],
        "enable_dynamic_field": true
    })
}

/// Relaxed Extended JSON numbers: plain, or `{"$numberDouble": "NaN"}` and friends.
fn number(v: &Value) -> Value {
    match v {
        Value::Number(_) => v.clone(),
        Value::Object(o) => {
            let text = o
                .get("$numberDouble")
                .or_else(|| o.get("$numberLong"))
                .or_else(|| o.get("$numberInt"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Ok(i) = text.parse::<i64>() {
                return json!(i);
            }
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => json!(f),
                _ => Value::Null,
            }
        }
        _ => Value::Null,
    }
}

fn id_of(doc: &Map<String, Value>) -> Option<String> {
    match doc.get("_id")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("$oid").and_then(Value::as_str).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct Notes;

impl Guest for Notes {
    fn describe() -> SyncInfo {
        SyncInfo {
            name: "sync-notes".into(),
            version: "0.1.0".into(),
            description: "test handler: notes to sync_note".into(),
            handlers: vec![HandlerInfo {
                collection_type: TYPE.into(),
                description: "4-d test notes".into(),
                milvus_schema: schema().to_string(),
                index_params: "{}".into(),
                source: MongoSource {
                    database: "notesdb".into(),
                    collection: "notes".into(),
                    time_field: "created_at".into(),
                },
            }],
        }
    }

    fn convert(collection_type: String, documents: Vec<String>) -> Result<ConvertResult, String> {
        if collection_type != TYPE {
            return Err(format!("serves `{TYPE}`, not `{collection_type}`"));
        }
        let mut out = ConvertResult {
            entities: Vec::new(),
            skipped: Vec::new(),
        };
        for (i, text) in documents.iter().enumerate() {
            let index = i as u32;
            let doc: Map<String, Value> = serde_json::from_str(text).map_err(|e| e.to_string())?;
            if doc.get("trap") == Some(&Value::Bool(true)) {
                panic!("asked to trap");
            }
            let Some(id) = id_of(&doc) else {
                out.skipped.push(Skip {
                    index,
                    id: String::new(),
                    reason: "no _id".into(),
                });
                continue;
            };
            if doc.get("skip") == Some(&Value::Bool(true)) {
                out.skipped.push(Skip {
                    index,
                    id,
                    reason: "marked skip".into(),
                });
                continue;
            }
            let vector = match doc.get("vector") {
                Some(Value::Array(items)) => Value::Array(items.iter().map(number).collect()),
                Some(other) => other.clone(),
                None => Value::Null,
            };
            let row = json!({
                "id": id,
                "vector": vector,
                "title": doc.get("title").cloned().unwrap_or(Value::Null),
                "tags": doc.get("tags").cloned().unwrap_or(json!([])),
                "score": doc.get("score").map(number).unwrap_or(json!(0)),
                "meta": doc.get("meta").cloned().unwrap_or(json!({})).to_string(),
                "source": "notes",
            });
            out.entities.push(Entity {
                index,
                row: row.to_string(),
            });
        }
        Ok(out)
    }
}

export!(Notes);
