//! The three LEGACY collection types (evermemos.md section 3, EverMemOS @51b60c7): field lists
//! and converters. Times are epoch **seconds**; `metadata` is Python-formatted JSON text.

use milvus_ingest_sdk::serde_json::{Map, Value, json};

use crate::doc::J;
use crate::extjson;
use crate::fields::*;
use crate::pyjson;
use crate::schema::{F, ID_MAX, LIST_CAPACITY, LIST_ITEM_MAX};
use crate::text::{json_list_within, truncate_utf8};

/// An entity: its JSON row, and its `vector` as float32 (sent apart from the row).
pub type Row = (Map<String, Value>, Vec<f32>);

pub const EPISODIC_FIELDS: &[F] = &[
    F::Pk,
    F::Vector,
    F::Str("user_id", 100, true),
    F::Str("group_id", 100, true),
    F::List("participants"),
    F::Str("event_type", 50, true),
    F::Int("timestamp", true),
    F::Str("episode", 10_000, false),
    F::Str("search_content", 5_000, false),
    F::Str("metadata", 50_000, false),
    F::Str("parent_type", 100, false),
    F::Str("parent_id", 100, true),
    F::Int("created_at", false),
    F::Int("updated_at", false),
];

pub const EVENT_LOG_FIELDS: &[F] = &[
    F::Pk,
    F::Vector,
    F::Str("user_id", 100, true),
    F::Str("group_id", 100, true),
    F::List("participants"),
    F::Str("parent_type", 100, false),
    F::Str("parent_id", 100, true),
    F::Str("event_type", 50, true),
    F::Int("timestamp", true),
    F::Str("atomic_fact", 5_000, false),
    F::Str("search_content", 5_000, false),
    F::Str("metadata", 50_000, false),
    F::Int("created_at", false),
    F::Int("updated_at", false),
];

pub const FORESIGHT_FIELDS: &[F] = &[
    F::Pk,
    F::Vector,
    F::Str("user_id", 100, true),
    F::Str("group_id", 100, true),
    F::List("participants"),
    F::Str("parent_type", 100, false),
    F::Str("parent_id", 100, true),
    F::Int("start_time", true),
    F::Int("end_time", true),
    F::Int("duration_days", false),
    F::Str("content", 5_000, false),
    F::Str("evidence", 2_000, false),
    F::Str("search_content", 5_000, false),
    F::Str("metadata", 50_000, false),
    F::Int("created_at", false),
    F::Int("updated_at", false),
];

const METADATA_MAX: usize = 50_000;

/// The hex of `_id`, checked against the primary key's limit.
pub fn doc_id(doc: &J) -> Res<String> {
    let id = doc
        .get("_id")
        .and_then(extjson::object_id)
        .ok_or("no _id")?;
    if id.len() > ID_MAX as usize {
        return Err(format!(
            "_id is {} bytes, the primary key holds {ID_MAX}",
            id.len()
        ));
    }
    Ok(id)
}

/// `value or ""` cut to `max` bytes.
fn str_or_empty(doc: &J, key: &str, max: usize) -> Res<Value> {
    Ok(varchar(opt_str(doc, key)?.unwrap_or(""), max))
}

/// `value or []`, items cut to 100 bytes, at most 100 items.
fn list_or_empty(doc: &J, key: &str) -> Res<Value> {
    let items = opt_str_list(doc, key)?.unwrap_or_default();
    Ok(varchar_list(
        &items,
        LIST_ITEM_MAX as usize,
        LIST_CAPACITY as usize,
    ))
}

/// A JSON object of `(key, value)` with null or absent values left out, as Python writes it.
/// When it exceeds the `metadata` limit, keys in `droppable` go first (the text stays valid
/// JSON); a document still over the limit is skipped.
fn metadata(pairs: &[(&str, Option<&J>)], droppable: &[&str]) -> Res<String> {
    let mut kept: Vec<(&str, &J)> = pairs
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_null()).map(|v| (*k, v)))
        .collect();
    let render = |kept: &[(&str, &J)]| {
        let obj = J::Obj(
            kept.iter()
                .map(|(k, v)| (k.to_string(), (*v).clone()))
                .collect(),
        );
        pyjson::dumps(&obj)
    };
    let mut text = render(&kept);
    for drop in droppable {
        if text.len() <= METADATA_MAX {
            break;
        }
        kept.retain(|(k, _)| k != drop);
        text = render(&kept);
    }
    if text.len() > METADATA_MAX {
        return Err(format!(
            "metadata is {} bytes even without {}, the limit is {METADATA_MAX}",
            text.len(),
            droppable.join(", ")
        ));
    }
    Ok(text)
}

/// The fields every legacy type has, and its `vector` (float32, sent apart from the row).
fn common(doc: &J, id: String, dim: u32) -> Res<Row> {
    let mut e = Map::new();
    e.insert("id".into(), Value::String(id));
    let vector = vector(doc, dim)?;
    e.insert("user_id".into(), str_or_empty(doc, "user_id", 100)?);
    e.insert("group_id".into(), str_or_empty(doc, "group_id", 100)?);
    e.insert("participants".into(), list_or_empty(doc, "participants")?);
    e.insert(
        "created_at".into(),
        json!(secs(opt_date_ms(doc, "created_at")?)),
    );
    e.insert(
        "updated_at".into(),
        json!(secs(opt_date_ms(doc, "updated_at")?)),
    );
    Ok((e, vector))
}

/// `episodic_memories` -> `episodic_memory` (section 3.3, first column).
pub fn episodic_memory(doc: &J, id: String, dim: u32) -> Res<Row> {
    let timestamp = req_date_ms(doc, "timestamp")?;
    let summary = req_str(doc, "summary", 1)?;
    let episode = req_str(doc, "episode", 1)?;
    let subject = opt_str(doc, "subject")?;
    opt_str(doc, "user_name")?;
    for key in ["keywords", "linked_entities", "memcell_event_id_list"] {
        opt_str_list(doc, key)?;
    }
    let (mut e, vector) = common(doc, id, dim)?;
    e.insert("parent_type".into(), str_or_empty(doc, "parent_type", 100)?);
    e.insert("parent_id".into(), str_or_empty(doc, "parent_id", 100)?);
    // str(type) if truthy else "".
    e.insert("event_type".into(), str_or_empty(doc, "type", 50)?);
    e.insert("timestamp".into(), json!(secs(timestamp)));
    e.insert("episode".into(), varchar(episode, 10_000));
    let search: Vec<&str> = [subject.unwrap_or(""), summary, episode]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    e.insert(
        "search_content".into(),
        Value::String(json_list_within(&search, 5_000)),
    );
    let meta = metadata(
        &[
            ("user_name", doc.get("user_name")),
            ("title", doc.get("subject")),
            ("summary", doc.get("summary")),
            ("participants", doc.get("participants")),
            ("keywords", doc.get("keywords")),
            ("linked_entities", doc.get("linked_entities")),
            ("subject", doc.get("subject")),
            ("memcell_event_id_list", doc.get("memcell_event_id_list")),
            ("extend", doc.get("extend")),
        ],
        &[
            "extend",
            "linked_entities",
            "memcell_event_id_list",
            "keywords",
            "participants",
        ],
    )?;
    e.insert("metadata".into(), Value::String(meta));
    Ok((e, vector))
}

/// `{vector_model, extend}` without nulls, for event_log and foresight.
fn model_metadata(doc: &J) -> Res<String> {
    opt_str(doc, "vector_model")?;
    metadata(
        &[
            ("vector_model", doc.get("vector_model")),
            ("extend", doc.get("extend")),
        ],
        &["extend"],
    )
}

/// `event_log_records` -> `event_log` (section 3.3, second column).
pub fn event_log(doc: &J, id: String, dim: u32) -> Res<Row> {
    let atomic_fact = req_str(doc, "atomic_fact", 0)?;
    let parent_type = req_str(doc, "parent_type", 0)?;
    let parent_id = req_str(doc, "parent_id", 0)?;
    let timestamp = req_date_ms(doc, "timestamp")?;
    let (mut e, vector) = common(doc, id, dim)?;
    e.insert("parent_type".into(), varchar(parent_type, 100));
    e.insert("parent_id".into(), varchar(parent_id, 100));
    let event_type = opt_str(doc, "event_type")?
        .filter(|s| !s.is_empty())
        .unwrap_or("Conversation");
    e.insert("event_type".into(), varchar(event_type, 50));
    e.insert("timestamp".into(), json!(secs(timestamp)));
    e.insert("atomic_fact".into(), varchar(atomic_fact, 5_000));
    let search: Vec<&str> = [atomic_fact]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    e.insert(
        "search_content".into(),
        Value::String(json_list_within(&search, 5_000)),
    );
    e.insert("metadata".into(), Value::String(model_metadata(doc)?));
    Ok((e, vector))
}

/// Foresight `start_time`/`end_time` as epoch seconds: a date; an ISO string (a naive one read
/// as UTC, see the README); a number taken as-is (`int(v)`); anything else, or empty, 0.
pub fn foresight_time_secs(v: Option<&J>) -> i64 {
    let Some(v) = v else { return 0 };
    match v {
        J::Str(s) => extjson::iso_millis(s).map_or(0, secs),
        J::Num(_) => extjson::integer(v).unwrap_or(0),
        _ => match v.wrapper() {
            Some(("$date", _)) => extjson::date_seconds(v).unwrap_or(0),
            Some((w, _)) if w.starts_with("$number") => extjson::integer(v).unwrap_or(0),
            _ => 0,
        },
    }
}

/// `foresight_records` -> `foresight` (section 3.3, third column).
pub fn foresight(doc: &J, id: String, dim: u32) -> Res<Row> {
    let content = req_str(doc, "content", 1)?;
    let parent_type = req_str(doc, "parent_type", 0)?;
    let parent_id = req_str(doc, "parent_id", 0)?;
    let evidence = opt_str(doc, "evidence")?.unwrap_or("");
    let (mut e, vector) = common(doc, id, dim)?;
    e.insert("parent_type".into(), varchar(parent_type, 100));
    e.insert("parent_id".into(), varchar(parent_id, 100));
    e.insert(
        "start_time".into(),
        json!(foresight_time_secs(doc.field("start_time"))),
    );
    e.insert(
        "end_time".into(),
        json!(foresight_time_secs(doc.field("end_time"))),
    );
    let days = match doc.field("duration_days") {
        None => 0,
        Some(v) => extjson::integer(v)
            .ok_or_else(|| format!("`duration_days` must be an integer, got {}", kind(v)))?,
    };
    e.insert("duration_days".into(), json!(days));
    e.insert("content".into(), varchar(content, 5_000));
    e.insert("evidence".into(), varchar(evidence, 2_000));
    let search: Vec<&str> = [content, evidence]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    e.insert(
        "search_content".into(),
        Value::String(json_list_within(&search, 5_000)),
    );
    e.insert("metadata".into(), Value::String(model_metadata(doc)?));
    Ok((e, vector))
}

/// Cuts a tenant id to a usable collection-name prefix (`-` and `.` become `_`).
pub fn tenant_prefix(tenant: &str) -> String {
    truncate_utf8(tenant, 128).replace(['-', '.'], "_")
}
