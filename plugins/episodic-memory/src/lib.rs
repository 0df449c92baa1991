//! `episodic-memory`: the sync handler for the `episodic_memory` collection type.
//!
//! Source: MongoDB `episodic_memories`; target: the Milvus collection below. The mapping is
//! the one the predecessor scripts used, with their defects fixed:
//! - nulls in non-nullable fields become defaults ("" for strings, [] for participants, 0 for
//!   dates) instead of failing the whole batch;
//! - strings are cut to their byte limits on a UTF-8 character boundary (`search_content` often
//!   exceeds 5000 bytes); `detail` stays valid JSON by dropping its bulkiest keys first;
//! - a document without an `_id`, without a vector, with a vector of the wrong dimension or with
//!   non-finite components is skipped alone, with a reason.

mod extjson;

use milvus_ingest_sdk::serde_json::{self, Map, Value, json};
use milvus_ingest_sdk::{
    ConvertResult, Entity, HandlerInfo, MongoSource, Skip, SyncHandler, SyncInfo,
};

use extjson::{epoch_seconds, number, object_id};

pub const COLLECTION_TYPE: &str = "episodic_memory";
pub const DIM: usize = 1024;

/// Byte limits (Milvus `max_length`) of the VarChar fields.
pub mod limits {
    pub const ID: usize = 100;
    pub const USER_ID: usize = 100;
    pub const GROUP_ID: usize = 100;
    pub const EVENT_TYPE: usize = 50;
    pub const EPISODE: usize = 10_000;
    pub const SEARCH_CONTENT: usize = 5_000;
    pub const DETAIL: usize = 50_000;
    pub const PARTICIPANT: usize = 100;
    pub const PARTICIPANTS: usize = 100;
}

/// The Milvus collection, in milvus-ingest schema JSON.
pub fn milvus_schema() -> Value {
    let varchar =
        |name: &str, max: usize| json!({"name": name, "type": "VarChar", "max_length": max});
    let int64 = |name: &str| json!({"name": name, "type": "Int64"});
    json!({
        "collection_name": COLLECTION_TYPE,
        "description": "Episodic memories synced from MongoDB episodic_memories",
        "fields": [
            {"name": "id", "type": "VarChar", "max_length": limits::ID, "is_primary": true},
            {"name": "vector", "type": "FloatVector", "dim": DIM,
             "index": {"index_type": "HNSW", "metric_type": "COSINE",
                       "params": {"M": 16, "efConstruction": 200}}},
            varchar("user_id", limits::USER_ID),
            varchar("group_id", limits::GROUP_ID),
            varchar("event_type", limits::EVENT_TYPE),
            int64("timestamp"),
            {"name": "participants", "type": "Array", "element_type": "VarChar",
             "max_length": limits::PARTICIPANT, "max_capacity": limits::PARTICIPANTS},
            varchar("episode", limits::EPISODE),
            varchar("search_content", limits::SEARCH_CONTENT),
            varchar("detail", limits::DETAIL),
            int64("created_at"),
            int64("updated_at"),
        ],
        "enable_dynamic_field": true
    })
}

pub fn index_params() -> Value {
    json!({
        "vector": {"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}},
        "user_id": {"index_type": "AUTOINDEX"},
        "group_id": {"index_type": "AUTOINDEX"},
        "timestamp": {"index_type": "AUTOINDEX"}
    })
}

/// Cuts `s` to at most `max` bytes without splitting a character.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

fn text<'a>(doc: &'a Map<String, Value>, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("")
}

fn limited(doc: &Map<String, Value>, key: &str, max: usize) -> Value {
    Value::String(truncate_utf8(text(doc, key), max).to_string())
}

fn date(doc: &Map<String, Value>, key: &str) -> Value {
    json!(doc.get(key).and_then(epoch_seconds).unwrap_or(0))
}

fn vector(doc: &Map<String, Value>) -> Result<Vec<f32>, String> {
    let items = match doc.get("vector") {
        None | Some(Value::Null) => return Err("no vector".into()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`vector` is not an array".into()),
    };
    if items.len() != DIM {
        return Err(format!(
            "vector has {} dimensions, expected {DIM}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match number(v) {
            Some(x) if x.is_finite() => Ok(x as f32),
            _ => Err(format!("vector component {i} is not a finite number: {v}")),
        })
        .collect()
}

/// `detail`: the descriptive keys as JSON, nulls left out, within the byte limit. When too
/// long, the bulkiest optional keys go first so the text stays valid JSON.
fn detail(doc: &Map<String, Value>) -> Result<String, String> {
    let mut d = Map::new();
    let keys = [
        ("title", "subject"),
        ("summary", "summary"),
        ("participants", "participants"),
        ("keywords", "keywords"),
        ("linked_entities", "linked_entities"),
        ("subject", "subject"),
        ("memcell_event_id_list", "memcell_event_id_list"),
        ("extend", "extend"),
    ];
    for (out, src) in keys {
        if let Some(v) = doc.get(src).filter(|v| !v.is_null()) {
            d.insert(out.to_string(), v.clone());
        }
    }
    for drop in [
        "extend",
        "linked_entities",
        "memcell_event_id_list",
        "keywords",
        "participants",
    ] {
        let s = Value::Object(d.clone()).to_string();
        if s.len() <= limits::DETAIL {
            return Ok(s);
        }
        d.remove(drop);
    }
    let s = Value::Object(d).to_string();
    if s.len() <= limits::DETAIL {
        Ok(s)
    } else {
        Err(format!(
            "detail is {} bytes even without optional keys (limit {})",
            s.len(),
            limits::DETAIL
        ))
    }
}

fn participants(doc: &Map<String, Value>) -> Value {
    let list = doc.get("participants").and_then(Value::as_array);
    Value::Array(
        list.into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .take(limits::PARTICIPANTS)
            .map(|p| Value::String(truncate_utf8(p, limits::PARTICIPANT).to_string()))
            .collect(),
    )
}

/// One document to one entity, or the reason it cannot be one.
pub fn convert_one(doc: &Map<String, Value>) -> Result<Value, String> {
    let id = doc.get("_id").and_then(object_id).ok_or("no _id")?;
    if id.len() > limits::ID {
        return Err(format!(
            "_id is {} bytes, the limit is {}",
            id.len(),
            limits::ID
        ));
    }
    let vector = vector(doc)?;
    let episode = text(doc, "episode");
    let search_content: Vec<&str> = [episode, text(doc, "summary"), text(doc, "subject")]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let search_content = search_content.join(" ");
    Ok(json!({
        "id": id,
        "vector": vector,
        "user_id": limited(doc, "user_id", limits::USER_ID),
        "group_id": limited(doc, "group_id", limits::GROUP_ID),
        "event_type": limited(doc, "type", limits::EVENT_TYPE),
        "timestamp": date(doc, "timestamp"),
        "participants": participants(doc),
        "episode": truncate_utf8(episode, limits::EPISODE),
        "search_content": truncate_utf8(&search_content, limits::SEARCH_CONTENT),
        "detail": detail(doc)?,
        "created_at": date(doc, "created_at"),
        "updated_at": date(doc, "updated_at"),
    }))
}

pub struct EpisodicMemory;

impl SyncHandler for EpisodicMemory {
    fn info() -> SyncInfo {
        SyncInfo {
            name: "episodic-memory".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "MongoDB episodic_memories to Milvus episodic_memory".into(),
            handlers: vec![HandlerInfo {
                collection_type: COLLECTION_TYPE.into(),
                description: "memories with 1024-d embeddings; search_content feeds keyword search"
                    .into(),
                milvus_schema: milvus_schema().to_string(),
                index_params: index_params().to_string(),
                source: MongoSource {
                    // Empty: the database named in the sync command's MongoDB URI.
                    database: String::new(),
                    collection: "episodic_memories".into(),
                    time_field: "updated_at".into(),
                },
            }],
        }
    }

    fn convert(collection_type: &str, documents: &[String]) -> Result<ConvertResult, String> {
        if collection_type != COLLECTION_TYPE {
            return Err(format!(
                "this handler serves `{COLLECTION_TYPE}`, not `{collection_type}`"
            ));
        }
        let mut out = ConvertResult::default();
        for (i, text) in documents.iter().enumerate() {
            let index = i as u32;
            let doc: Map<String, Value> = match serde_json::from_str(text) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    out.skipped.push(Skip {
                        index,
                        id: String::new(),
                        reason: "not a JSON object".into(),
                    });
                    continue;
                }
                Err(e) => {
                    out.skipped.push(Skip {
                        index,
                        id: String::new(),
                        reason: format!("not valid JSON: {e}"),
                    });
                    continue;
                }
            };
            match convert_one(&doc) {
                Ok(row) => out.entities.push(Entity { index, row }),
                Err(reason) => out.skipped.push(Skip {
                    index,
                    id: doc.get("_id").and_then(object_id).unwrap_or_default(),
                    reason,
                }),
            }
        }
        Ok(out)
    }
}

milvus_ingest_sdk::export_sync_handler!(EpisodicMemory);

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(extra: Value) -> String {
        let mut d = json!({
            "_id": {"$oid": "65f1a2b3c4d5e6f708192a3b"},
            "user_id": "u1", "group_id": null, "timestamp": {"$date": "2024-03-01T12:30:15Z"},
            "participants": null, "summary": "Met the team", "subject": "Kickoff",
            "episode": "We planned the quarter.", "type": null, "keywords": ["plan"],
            "linked_entities": [], "memcell_event_id_list": null, "extend": null,
            "vector": vec![0.03125f32; DIM], "vector_model": "m",
            "created_at": {"$date": "2024-03-01T12:30:15Z"}, "updated_at": null
        });
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        d.to_string()
    }

    fn convert(docs: &[String]) -> ConvertResult {
        EpisodicMemory::convert(COLLECTION_TYPE, docs).unwrap()
    }

    #[test]
    fn maps_fields_and_turns_nulls_into_defaults() {
        let r = convert(&[doc(json!({}))]);
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        let e = &r.entities[0].row;
        assert_eq!(e["id"], "65f1a2b3c4d5e6f708192a3b");
        assert_eq!(e["group_id"], "");
        assert_eq!(e["event_type"], "");
        assert_eq!(e["participants"], json!([]));
        assert_eq!(e["timestamp"], 1_709_296_215);
        assert_eq!(e["updated_at"], 0);
        assert_eq!(
            e["search_content"],
            "We planned the quarter. Met the team Kickoff"
        );
        let detail: Value = serde_json::from_str(e["detail"].as_str().unwrap()).unwrap();
        assert_eq!(
            detail,
            json!({"title": "Kickoff", "summary": "Met the team", "keywords": ["plan"], "linked_entities": [], "subject": "Kickoff"})
        );
        assert_eq!(e["vector"].as_array().unwrap().len(), DIM);
    }

    #[test]
    fn long_text_is_cut_on_character_boundaries() {
        let long = "é".repeat(4000); // 8000 bytes
        let r = convert(&[doc(json!({"episode": long, "user_id": "ü".repeat(80)}))]);
        let e = &r.entities[0].row;
        let sc = e["search_content"].as_str().unwrap();
        assert!(sc.len() <= limits::SEARCH_CONTENT && sc.len() >= limits::SEARCH_CONTENT - 1);
        assert!(e["user_id"].as_str().unwrap().len() <= limits::USER_ID);
        let huge = json!({"extend": {"blob": "x".repeat(60_000)}});
        let r = convert(&[doc(huge)]);
        let detail = r.entities[0].row["detail"].as_str().unwrap();
        assert!(detail.len() <= limits::DETAIL && !detail.contains("blob"));
    }

    #[test]
    fn bad_documents_are_skipped_one_by_one_with_reasons() {
        let docs = vec![
            doc(json!({})),
            doc(json!({"vector": null})),
            doc(json!({"vector": [1.0, 2.0]})),
            doc(json!({"_id": null})),
            "{not json".to_string(),
            doc(json!({"vector": [{"$numberDouble": "NaN"}]})),
        ];
        let r = convert(&docs);
        assert_eq!(r.entities.len(), 1);
        let reasons: Vec<_> = r
            .skipped
            .iter()
            .map(|s| (s.index, s.reason.clone()))
            .collect();
        assert_eq!(reasons[0], (1, "no vector".to_string()));
        assert!(reasons[1].1.contains("2 dimensions"), "{reasons:?}");
        assert_eq!(reasons[2], (3, "no _id".to_string()));
        assert!(reasons[3].1.starts_with("not valid JSON"));
        assert!(reasons[4].1.contains("1 dimensions"));
        assert_eq!(r.skipped[0].id, "65f1a2b3c4d5e6f708192a3b");
    }

    #[test]
    fn other_collection_types_are_refused() {
        assert!(EpisodicMemory::convert("semantic_memory", &[]).is_err());
    }
}
