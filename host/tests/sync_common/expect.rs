//! What each document must become in Milvus, per handler, written from
//! `shared/design/evermemos.md` (sections 1, 3.3 and 4.1) and the fixes the shipped handlers
//! document (plugins/evermemos/README.md: defaults for nulls, UTF-8 byte cuts, skips) — never
//! from the handler code: this is the specification the end-to-end tests hold them to.

use bson::{Bson, Document};
use serde_json::{Map, Value, json};

/// The outcome of one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The entity Milvus must hold (every schema field).
    Row(Map<String, Value>),
    /// Skipped; the report's reason contains this phrase.
    Skip(String),
    /// Deleted from Milvus (a soft-deleted HEAD document).
    Delete,
}

type R<T> = Result<T, String>;

/// Cuts `s` to at most `max` UTF-8 bytes on a character boundary.
pub fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// A JSON string as Python's `json.dumps(ensure_ascii=False)` writes it (same escapes as
/// serde_json: `"`, `\` and control characters only).
fn py_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Python's `repr` of the floats the fixtures hold.
fn py_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x:?}")
    }
}

/// `json.dumps(value, ensure_ascii=False)` of a BSON value: `", "` and `": "` separators,
/// keys in the document's order.
pub fn py_json(b: &Bson) -> String {
    match b {
        Bson::Null => "null".into(),
        Bson::Boolean(x) => x.to_string(),
        Bson::Int32(x) => x.to_string(),
        Bson::Int64(x) => x.to_string(),
        Bson::Double(x) => py_float(*x),
        Bson::String(s) => py_str(s),
        Bson::Array(a) => format!("[{}]", a.iter().map(py_json).collect::<Vec<_>>().join(", ")),
        Bson::Document(d) => py_object(d.iter().map(|(k, v)| (k.as_str(), v))),
        other => panic!("the fixtures hold no {other:?}"),
    }
}

fn py_object<'a>(pairs: impl Iterator<Item = (&'a str, &'a Bson)>) -> String {
    let items: Vec<String> = pairs
        .map(|(k, v)| format!("{}: {}", py_str(k), py_json(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// `json.dumps` of a list of strings kept within `max` bytes and valid JSON: whole items while
/// they fit, then the first one that does not is cut on a character boundary, later ones
/// dropped (the handlers' documented fix of defect S7).
pub fn py_list_within(items: &[&str], max: usize) -> String {
    let full = format!(
        "[{}]",
        items
            .iter()
            .map(|s| py_str(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if full.len() <= max {
        return full;
    }
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let quoted = py_str(item);
        if out.len() + sep.len() + quoted.len() < max {
            out = out + sep + &quoted;
            continue;
        }
        let Some(room) = max.checked_sub(out.len() + sep.len() + 3) else {
            break;
        };
        let mut body = String::new();
        for c in item.chars() {
            let q = py_str(&c.to_string());
            if body.len() + q.len() - 2 > room {
                break;
            }
            body.push_str(&q[1..q.len() - 1]);
        }
        out = format!("{out}{sep}\"{body}\"");
        break;
    }
    out + "]"
}

/// A non-null value of `k` (absent and null are the same to the converters).
fn field<'a>(d: &'a Document, k: &str) -> Option<&'a Bson> {
    d.get(k).filter(|b| !matches!(b, Bson::Null))
}

/// An optional string; another type is the skip of a document Beanie would reject.
fn opt_str<'a>(d: &'a Document, k: &str) -> R<Option<&'a str>> {
    match field(d, k) {
        None => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{k}` must be a string")),
    }
}

/// `value or ""`, cut to `max` bytes.
fn str_or_empty(d: &Document, k: &str, max: usize) -> R<Value> {
    Ok(json!(cut(opt_str(d, k)?.unwrap_or(""), max)))
}

/// A required string of at least `min` characters.
fn req_str<'a>(d: &'a Document, k: &str, min: usize) -> R<&'a str> {
    match opt_str(d, k)? {
        None => Err(format!("missing required field `{k}`")),
        Some(s) if s.chars().count() < min => Err(format!("`{k}` is empty")),
        Some(s) => Ok(s),
    }
}

/// `value or []`: at most 100 items (the capacity), each cut to 100 bytes.
fn list_or_empty(d: &Document, k: &str) -> Value {
    let items = field(d, k)
        .and_then(Bson::as_array)
        .map(|a| a.iter().filter_map(Bson::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    json!(
        items
            .iter()
            .take(100)
            .map(|s| cut(s, 100))
            .collect::<Vec<_>>()
    )
}

fn millis(d: &Document, k: &str) -> Option<i64> {
    field(d, k)
        .and_then(Bson::as_datetime)
        .map(|t| t.timestamp_millis())
}

/// Epoch seconds (floor), 0 for a null or missing date.
fn secs(d: &Document, k: &str) -> i64 {
    millis(d, k).map_or(0, |ms| ms.div_euclid(1000))
}

fn req_millis(d: &Document, k: &str) -> R<i64> {
    millis(d, k).ok_or_else(|| format!("missing required field `{k}`"))
}

/// The vector, checked against `dim` (defect S9) and float32 (NaN, overflow).
pub fn vector(d: &Document, dim: usize) -> R<Vec<f64>> {
    let items: &[Bson] = match field(d, "vector") {
        None => &[],
        Some(Bson::Array(a)) => a,
        Some(_) => return Err("`vector` must be a list".into()),
    };
    match items.len() {
        0 => Err("no vector".into()),
        n if n != dim => Err(format!("vector has {n} dimensions, expected {dim}")),
        _ => items
            .iter()
            .enumerate()
            .map(|(k, b)| {
                let x = b.as_f64().filter(|x| (*x as f32).is_finite());
                x.ok_or_else(|| format!("vector component {k} is not a finite float32"))
            })
            .collect(),
    }
}

fn hex_id(d: &Document) -> R<String> {
    d.get_object_id("_id")
        .map(|o| o.to_hex())
        .map_err(|_| "no _id".to_string())
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn outcome(r: R<Map<String, Value>>) -> Expect {
    r.map_or_else(Expect::Skip, Expect::Row)
}

/// The fields all three LEGACY collections share (evermemos.md 3.3).
fn legacy_common(d: &Document, dim: usize) -> R<Map<String, Value>> {
    Ok(obj(json!({
        "id": hex_id(d)?,
        "vector": vector(d, dim)?,
        "user_id": str_or_empty(d, "user_id", 100)?,
        "group_id": str_or_empty(d, "group_id", 100)?,
        "participants": list_or_empty(d, "participants"),
        "created_at": secs(d, "created_at"),
        "updated_at": secs(d, "updated_at"),
    })))
}

/// `metadata`: the listed keys whose value is not null; over 50,000 bytes, `droppable` keys go
/// first, and a document still over is skipped.
fn metadata(d: &Document, keys: &[(&str, &str)], droppable: &[&str]) -> R<String> {
    let mut kept: Vec<(&str, &Bson)> = keys
        .iter()
        .filter_map(|(out, src)| field(d, src).map(|v| (*out, v)))
        .collect();
    let mut text = py_object(kept.iter().copied());
    for drop in droppable {
        if text.len() <= 50_000 {
            break;
        }
        kept.retain(|(k, _)| k != drop);
        text = py_object(kept.iter().copied());
    }
    if text.len() > 50_000 {
        return Err("metadata is".into());
    }
    Ok(text)
}

fn truthy<'a>(items: &[Option<&'a str>]) -> Vec<&'a str> {
    items
        .iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .copied()
        .collect()
}

/// `metadata` of `episodic_memory`: (key, source field), in order.
const EPISODIC_METADATA: [(&str, &str); 9] = [
    ("user_name", "user_name"),
    ("title", "subject"),
    ("summary", "summary"),
    ("participants", "participants"),
    ("keywords", "keywords"),
    ("linked_entities", "linked_entities"),
    ("subject", "subject"),
    ("memcell_event_id_list", "memcell_event_id_list"),
    ("extend", "extend"),
];

/// LEGACY `episodic_memories` -> `episodic_memory`.
pub fn episodic_memory(d: &Document, dim: usize) -> Expect {
    outcome((|| {
        let timestamp = req_millis(d, "timestamp")?;
        let summary = req_str(d, "summary", 1)?;
        let episode = req_str(d, "episode", 1)?;
        let mut e = legacy_common(d, dim)?;
        let subject = opt_str(d, "subject")?;
        e.extend(obj(json!({
            "event_type": str_or_empty(d, "type", 50)?,
            "timestamp": timestamp.div_euclid(1000),
            "episode": cut(episode, 10_000),
            "search_content": py_list_within(&truthy(&[subject, Some(summary), Some(episode)]), 5000),
            "parent_type": str_or_empty(d, "parent_type", 100)?,
            "parent_id": str_or_empty(d, "parent_id", 100)?,
        })));
        let droppable = [
            "extend",
            "linked_entities",
            "memcell_event_id_list",
            "keywords",
            "participants",
        ];
        e.insert(
            "metadata".into(),
            json!(metadata(d, &EPISODIC_METADATA, &droppable)?),
        );
        Ok(e)
    })())
}

fn model_metadata(d: &Document) -> R<String> {
    let keys = [("vector_model", "vector_model"), ("extend", "extend")];
    metadata(d, &keys, &["extend"])
}

/// LEGACY `event_log_records` -> `event_log`.
pub fn event_log(d: &Document, dim: usize) -> Expect {
    outcome((|| {
        let atomic_fact = req_str(d, "atomic_fact", 0)?;
        let parent_type = req_str(d, "parent_type", 0)?;
        let parent_id = req_str(d, "parent_id", 0)?;
        let timestamp = req_millis(d, "timestamp")?;
        let mut e = legacy_common(d, dim)?;
        let event_type = opt_str(d, "event_type")?
            .filter(|s| !s.is_empty())
            .unwrap_or("Conversation");
        e.extend(obj(json!({
            "parent_type": cut(parent_type, 100),
            "parent_id": cut(parent_id, 100),
            "event_type": cut(event_type, 50),
            "timestamp": timestamp.div_euclid(1000),
            "atomic_fact": cut(atomic_fact, 5000),
            "search_content": py_list_within(&truthy(&[Some(atomic_fact)]), 5000),
            "metadata": model_metadata(d)?,
        })));
        Ok(e)
    })())
}

/// A foresight `start_time`/`end_time` in epoch seconds: a date; an ISO string (naive read as
/// UTC, the handlers' documented fix); a number as `int(v)`; anything else 0.
fn foresight_secs(d: &Document, k: &str) -> i64 {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    match field(d, k) {
        Some(Bson::DateTime(t)) => t.timestamp_millis().div_euclid(1000),
        Some(Bson::Int32(x)) => *x as i64,
        Some(Bson::Int64(x)) => *x,
        Some(Bson::Double(x)) => x.trunc() as i64,
        Some(Bson::String(s)) => {
            let s = s.replace('Z', "+00:00");
            if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
                t.timestamp()
            } else if let Ok(t) = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f") {
                t.and_utc().timestamp()
            } else if let Ok(day) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
            } else {
                0
            }
        }
        _ => 0,
    }
}

/// LEGACY `foresight_records` -> `foresight`.
pub fn foresight(d: &Document, dim: usize) -> Expect {
    outcome((|| {
        let content = req_str(d, "content", 1)?;
        let parent_type = req_str(d, "parent_type", 0)?;
        let parent_id = req_str(d, "parent_id", 0)?;
        let evidence = opt_str(d, "evidence")?.unwrap_or("");
        let mut e = legacy_common(d, dim)?;
        let days = match field(d, "duration_days") {
            None => 0,
            Some(Bson::Int32(x)) => *x as i64,
            Some(Bson::Int64(x)) => *x,
            Some(_) => return Err("`duration_days` must be an integer".into()),
        };
        e.extend(obj(json!({
            "parent_type": cut(parent_type, 100),
            "parent_id": cut(parent_id, 100),
            "start_time": foresight_secs(d, "start_time"),
            "end_time": foresight_secs(d, "end_time"),
            "duration_days": days,
            "content": cut(content, 5000),
            "evidence": cut(evidence, 2000),
            "search_content": py_list_within(&truthy(&[Some(content), Some(evidence)]), 5000),
            "metadata": model_metadata(d)?,
        })));
        Ok(e)
    })())
}

/// HEAD `v1_episodic_memories` -> `v1_episodic_memory` (4.1): milliseconds, no metadata, the
/// document's `tenant_id` (else the tenant the run resolved, `tenant`), soft deletes.
pub fn v1_episodic_memory(d: &Document, dim: usize, tenant: &str) -> Expect {
    if field(d, "deleted_at").is_some() {
        return Expect::Delete;
    }
    outcome((|| {
        let timestamp = req_millis(d, "timestamp")?;
        let summary = req_str(d, "summary", 1)?;
        let episode = req_str(d, "episode", 1)?;
        let subject = opt_str(d, "subject")?;
        // str(value) or "": an ObjectId's hex, a number's digits.
        let parent_id = match field(d, "parent_id") {
            None => String::new(),
            Some(Bson::ObjectId(o)) => o.to_hex(),
            Some(Bson::String(s)) => s.clone(),
            Some(Bson::Int64(x)) => x.to_string(),
            Some(Bson::Int32(x)) => x.to_string(),
            Some(other) => panic!("the fixtures hold no parent_id {other:?}"),
        };
        let tenant_id = opt_str(d, "tenant_id")?
            .filter(|t| !t.is_empty())
            .unwrap_or(tenant);
        Ok(obj(json!({
            "id": hex_id(d)?,
            "vector": vector(d, dim)?,
            "user_id": str_or_empty(d, "user_id", 256)?,
            "group_id": str_or_empty(d, "group_id", 256)?,
            "session_id": str_or_empty(d, "session_id", 100)?,
            "participants": list_or_empty(d, "participants"),
            "sender_ids": list_or_empty(d, "sender_ids"),
            "type": str_or_empty(d, "type", 50)?,
            "timestamp": timestamp,
            "episode": cut(episode, 10_000),
            "search_content": py_list_within(&truthy(&[subject, Some(summary), Some(episode)]), 5000),
            "parent_type": str_or_empty(d, "parent_type", 100)?,
            "parent_id": cut(&parent_id, 100),
            "tenant_id": cut(tenant_id, 128),
        })))
    })())
}

/// The 0.1 `episodic-memory` plugin (before the shipped handlers; kept for compatibility).
pub fn episodic_v01(d: &Document) -> Expect {
    outcome((|| {
        let id = hex_id(d)?;
        let v: Vec<f64> = match field(d, "vector") {
            None => return Err("no vector".into()),
            Some(Bson::Array(a)) if a.len() != 1024 => {
                return Err(format!("{} dimensions", a.len()));
            }
            Some(Bson::Array(a)) => a
                .iter()
                .map(|b| match b {
                    Bson::Double(x) if (*x as f32).is_finite() => Ok(*x),
                    _ => Err("not a finite number".to_string()),
                })
                .collect::<R<_>>()?,
            Some(_) => return Err("`vector` is not an array".into()),
        };
        let s = |k| field(d, k).and_then(Bson::as_str).unwrap_or("").to_string();
        let episode = s("episode");
        let sc: Vec<String> = [episode.clone(), s("summary"), s("subject")]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect();
        let mut detail = Map::new();
        // The 0.1 `detail`: the later `metadata` without user_name.
        for (out, src) in EPISODIC_METADATA[1..].iter().copied() {
            if let Some(b) = field(d, src) {
                detail.insert(out.to_string(), b.clone().into_relaxed_extjson());
            }
        }
        Ok(obj(json!({
            "id": id,
            "vector": v,
            "user_id": cut(&s("user_id"), 100),
            "group_id": cut(&s("group_id"), 100),
            "event_type": cut(&s("type"), 50),
            "timestamp": secs(d, "timestamp"),
            "participants": list_or_empty(d, "participants"),
            "episode": cut(&episode, 10_000),
            "search_content": cut(&sc.join(" "), 5000),
            "detail": Value::Object(detail).to_string(),
            "created_at": secs(d, "created_at"),
            "updated_at": secs(d, "updated_at"),
        })))
    })())
}

/// The `sync-notes` test guest (plugins/testing/sync-notes) plus the host's checks.
pub fn note(d: &Document) -> Expect {
    outcome((|| {
        let id = hex_id(d)?;
        let title = match field(d, "title") {
            Some(Bson::String(s)) if s.len() > 32 => return Err("the limit is 32".into()),
            Some(Bson::String(s)) => s.clone(),
            _ => return Err("field `title`: null".into()),
        };
        let v = vector(d, 4).map_err(|e| {
            if e.contains("dimensions") {
                "the collection has 4".to_string()
            } else {
                "component 1 is not a finite number".to_string()
            }
        })?;
        let ext = |k| field(d, k).map(|b| b.clone().into_relaxed_extjson());
        Ok(obj(json!({
            "id": id,
            "vector": v,
            "title": title,
            "tags": ext("tags").unwrap_or(json!([])),
            "score": d.get_i64("score").unwrap_or(0),
            "meta": ext("meta").unwrap_or(json!({})),
            "source": "notes",
        })))
    })())
}
