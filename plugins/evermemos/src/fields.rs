//! Reading typed fields out of a source document the way Beanie/pydantic validated them, except
//! that a bad document becomes a skip reason for that document alone (never a failed run).

use milvus_ingest_sdk::serde_json::Value;

use crate::doc::J;
use crate::extjson;
use crate::text::truncate_utf8;

pub type Res<T> = Result<T, String>;

/// An optional string field: absent or null -> None; another type is an error.
pub fn opt_str<'a>(doc: &'a J, key: &str) -> Res<Option<&'a str>> {
    match doc.field(key) {
        None => Ok(None),
        Some(J::Str(s)) => Ok(Some(s)),
        Some(other) => Err(format!("`{key}` must be a string, got {}", kind(other))),
    }
}

/// A required string field (`min_len` 1 where the model says `len >= 1`).
pub fn req_str<'a>(doc: &'a J, key: &str, min_len: usize) -> Res<&'a str> {
    match opt_str(doc, key)? {
        None => Err(format!("missing required field `{key}`")),
        Some(s) if s.chars().count() < min_len => Err(format!("`{key}` is empty")),
        Some(s) => Ok(s),
    }
}

/// An optional list of strings: absent or null -> None.
pub fn opt_str_list<'a>(doc: &'a J, key: &str) -> Res<Option<Vec<&'a str>>> {
    match doc.field(key) {
        None => Ok(None),
        Some(J::Arr(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| format!("`{key}` must be a list of strings, found {}", kind(v)))
            })
            .collect::<Res<Vec<_>>>()
            .map(Some),
        Some(J::F64s(_)) => Err(format!("`{key}` must be a list of strings, found a number")),
        Some(other) => Err(format!(
            "`{key}` must be a list of strings, got {}",
            kind(other)
        )),
    }
}

/// A required date, as epoch milliseconds.
pub fn req_date_ms(doc: &J, key: &str) -> Res<i64> {
    match doc.field(key) {
        None => Err(format!("missing required field `{key}`")),
        Some(v) => extjson::date_millis(v).ok_or_else(|| format!("`{key}` is not a date")),
    }
}

/// An optional date as epoch milliseconds, 0 when absent or null.
pub fn opt_date_ms(doc: &J, key: &str) -> Res<i64> {
    match doc.field(key) {
        None => Ok(0),
        Some(v) => extjson::date_millis(v).ok_or_else(|| format!("`{key}` is not a date")),
    }
}

/// Epoch seconds of epoch milliseconds (floor).
pub fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// A VarChar value: the string cut to `max` bytes on a character boundary.
pub fn varchar(s: &str, max: usize) -> Value {
    Value::String(truncate_utf8(s, max).to_string())
}

/// An Array<VarChar> value: at most `capacity` items, each cut to `max` bytes.
pub fn varchar_list(items: &[&str], max: usize, capacity: usize) -> Value {
    Value::Array(
        items
            .iter()
            .take(capacity)
            .map(|s| varchar(s, max))
            .collect(),
    )
}

/// The document's `vector`, checked: present and non-empty, `dim` long, every component a
/// finite number that float32 can hold. Components are returned as float32 (what Milvus
/// stores; they cross to the host as a float32 list, not as JSON numbers).
pub fn vector(doc: &J, dim: u32) -> Res<Vec<f32>> {
    let items = match doc.field("vector") {
        None => return Err("no vector".into()),
        Some(J::Arr(items)) if items.is_empty() => return Err("no vector".into()),
        Some(J::Arr(items)) => items,
        Some(J::F64s(xs)) => return float_vector(xs, dim),
        Some(other) => return Err(format!("`vector` must be a list, got {}", kind(other))),
    };
    if items.len() != dim as usize {
        return Err(format!(
            "vector has {} dimensions, expected {dim}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = extjson::number(v)
                .ok_or_else(|| format!("vector component {i} is not a number: {}", kind(v)))?;
            if !x.is_finite() || !(x as f32).is_finite() {
                return Err(format!(
                    "vector component {i} is not a finite float32 ({})",
                    crate::pyjson::float_repr(x)
                ));
            }
            Ok(x as f32)
        })
        .collect()
}

/// [`vector`] of a list of plain floats (the common case: one pass, no per-item dispatch).
fn float_vector(xs: &[f64], dim: u32) -> Res<Vec<f32>> {
    if xs.len() != dim as usize {
        return Err(format!(
            "vector has {} dimensions, expected {dim}",
            xs.len()
        ));
    }
    let out: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    match out.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(format!(
            "vector component {i} is not a finite float32 ({})",
            crate::pyjson::float_repr(xs[i])
        )),
        None => Ok(out),
    }
}

/// What a value is, for messages.
pub fn kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Num(_) => "a number",
        J::Str(_) => "a string",
        J::Arr(_) | J::F64s(_) => "a list",
        J::Obj(_) => "an object",
    }
}
