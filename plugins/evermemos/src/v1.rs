//! HEAD's `v1_episodic_memory` (evermemos.md section 4.1, EverMemOS @e37205f): millisecond
//! timestamps, a `tenant_id` partition key, soft-deleted documents.

use milvus_ingest_sdk::serde_json::{Map, Value, json};

use crate::doc::J;
use crate::extjson;
use crate::fields::*;
use crate::schema::{F, LIST_CAPACITY, LIST_ITEM_MAX, TENANT_MAX};
use crate::text::json_list_within;

pub const V1_EPISODIC_FIELDS: &[F] = &[
    F::Pk,
    F::Vector,
    F::Str("user_id", 256, true),
    F::Str("group_id", 256, true),
    F::Str("session_id", 100, true),
    F::List("participants"),
    F::List("sender_ids"),
    F::Str("type", 50, false),
    F::Int("timestamp", true),
    F::Str("episode", 10_000, false),
    F::Str("search_content", 5_000, false),
    F::Str("parent_type", 100, false),
    F::Str("parent_id", 100, true),
    F::Tenant,
];

/// Whether the document is soft-deleted (`deleted_at` set): it must leave Milvus.
pub fn is_deleted(doc: &J) -> bool {
    doc.field("deleted_at").is_some()
}

fn str_or_empty(doc: &J, key: &str, max: usize) -> Res<Value> {
    Ok(varchar(opt_str(doc, key)?.unwrap_or(""), max))
}

fn list_or_empty(doc: &J, key: &str) -> Res<Value> {
    let items = opt_str_list(doc, key)?.unwrap_or_default();
    Ok(varchar_list(
        &items,
        LIST_ITEM_MAX as usize,
        LIST_CAPACITY as usize,
    ))
}

/// `v1_episodic_memories` -> `v1_episodic_memory`. `tenant` is the tenant the host resolved
/// (param `tenant_id`), used when the document has none.
pub fn episodic_memory(
    doc: &J,
    id: String,
    dim: u32,
    tenant: Option<&str>,
) -> Res<crate::legacy::Row> {
    let timestamp = req_date_ms(doc, "timestamp")?;
    let summary = req_str(doc, "summary", 1)?;
    let episode = req_str(doc, "episode", 1)?;
    let subject = opt_str(doc, "subject")?.unwrap_or("");
    let mut e = Map::new();
    e.insert("id".into(), Value::String(id));
    let vector = vector(doc, dim)?;
    e.insert("user_id".into(), str_or_empty(doc, "user_id", 256)?);
    e.insert("group_id".into(), str_or_empty(doc, "group_id", 256)?);
    e.insert("session_id".into(), str_or_empty(doc, "session_id", 100)?);
    e.insert("participants".into(), list_or_empty(doc, "participants")?);
    e.insert("sender_ids".into(), list_or_empty(doc, "sender_ids")?);
    e.insert("type".into(), str_or_empty(doc, "type", 50)?);
    e.insert("timestamp".into(), json!(timestamp));
    e.insert("episode".into(), varchar(episode, 10_000));
    let search: Vec<&str> = [subject, summary, episode]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    e.insert(
        "search_content".into(),
        Value::String(json_list_within(&search, 5_000)),
    );
    e.insert("parent_type".into(), str_or_empty(doc, "parent_type", 100)?);
    // str(value) or "": HEAD's parent_id may hold an ObjectId or a number.
    let parent_id = doc
        .field("parent_id")
        .and_then(extjson::id_text)
        .unwrap_or_default();
    e.insert("parent_id".into(), varchar(&parent_id, 100));
    let tenant = opt_str(doc, "tenant_id")?
        .filter(|t| !t.is_empty())
        .or(tenant)
        .unwrap_or("");
    e.insert("tenant_id".into(), varchar(tenant, TENANT_MAX as usize));
    Ok((e, vector))
}
