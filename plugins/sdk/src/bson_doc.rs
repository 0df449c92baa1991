//! MongoDB documents read straight from their BSON bytes, as relaxed Extended JSON v2 values.
//!
//! Sync handlers have always read documents in the relaxed Extended JSON v2 data model
//! (<https://github.com/mongodb/specifications/blob/master/source/extended-json/extended-json.md>),
//! which the host used to produce as text with the bson 2.15 crate (`Bson::into_relaxed_extjson`)
//! and the plugin parsed back. Formatting and re-parsing 1,024 doubles per vector was the top
//! cost of `sync`, so this module is a [`serde::Deserializer`] over the BSON bytes that visits
//! exactly the values that text held, with no text in between: any `Deserialize` type
//! (`serde_json::Value`, a plugin's own ordered tree) is built directly from the bytes.
//!
//! Mapping, by BSON type (wrapper keys in the order shown, as bson 2.15 writes them):
//! - double: finite -> `visit_f64`; NaN / infinities -> `{"$numberDouble": "NaN" | "-NaN" |
//!   "Infinity" | "-Infinity"}` (`-NaN` when the sign bit is set, as bson 2.15 writes it);
//! - string -> `visit_borrowed_str`; document -> `visit_map` (keys borrowed); array ->
//!   `visit_seq`; bool -> `visit_bool`; null -> `visit_unit` (`visit_none` for `Option`);
//!   int32 -> `visit_i32`; int64 -> `visit_i64`;
//! - binary -> `{"$binary": {"base64": .., "subType": "2 lowercase hex digits"}}` (the old
//!   subtype 0x02 carries an inner int32 length, which must equal the payload's and is left out);
//! - undefined -> `{"$undefined": true}`; ObjectId -> `{"$oid": "24 lowercase hex digits"}`;
//! - UTC datetime -> `{"$date": "2023-11-14T22:13:20.123Z"}` for years 1970..=9999 (no
//!   fraction when the milliseconds are zero, trailing zeros trimmed: `.5Z`, `.12Z`), else
//!   `{"$date": {"$numberLong": "<ms>"}}`;
//! - regex -> `{"$regularExpression": {"pattern": .., "options": ..}}` (options sorted);
//! - DBPointer -> `{"$dbPointer": {"$ref": ns, "$id": {"$oid": ..}}}`; code -> `{"$code": ..}`;
//!   symbol -> `{"$symbol": ..}`; code with scope -> `{"$code": .., "$scope": {document}}`;
//! - timestamp -> `{"$timestamp": {"t": u32, "i": u32}}`; decimal128 -> `{"$numberDecimal":
//!   ..}` in the BSON decimal128 spec's string form (`0.001`, `-0`, `1.23E-10`, `1E+6144`,
//!   `NaN` never signed); MinKey -> `{"$minKey": 1}`; MaxKey -> `{"$maxKey": 1}`.
//!
//! A key repeated in one document appears once, at its first position, with its last value,
//! as `bson::Document` (the old path) kept it. The scope of a code-with-scope value follows the
//! same relaxed mapping (bson 2.15 serialises scopes differently; such values are deprecated
//! and do not occur in sync sources).
//!
//! Malformed bytes are an error naming the byte offset within the document, never a panic.
//! Element contents are checked when they are visited, so a field the target type ignores is
//! only checked for framing; array keys ("0", "1", ..) are skipped unread.
//!
//! Speed: an array's finite doubles are read in place (no per-element allocation), so a
//! document holding a 1024-d vector becomes a `serde_json::Value` in ~9 us natively and a
//! `{vector: Vec<f32>}` in ~4 us, against ~34 us and ~25 us parsing its text
//! (`cargo run --release --example bson_speed -p milvus-ingest-sdk`).

use std::fmt;

use serde::de;

mod access;
mod synth;
mod text;
mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_malformed;

use value::Value;

/// Splits `buf`, BSON documents stored one after another (the layout of a mongodump `.bson`
/// file), into documents. Only the framing is checked (each int32 length is at least 5, fits in
/// what is left of `buf`, and its document ends with a NUL byte); elements are checked when read.
///
/// Errors: `"document N at byte OFFSET: <rule>"`, N counting from 0 and OFFSET into `buf`.
pub fn split_documents(buf: &[u8]) -> Result<Vec<Document<'_>>, String> {
    let mut docs = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let len = frame(&buf[pos..])
            .map_err(|e| format!("document {} at byte {pos}: {e}", docs.len()))?;
        docs.push(Document {
            bytes: &buf[pos..pos + len],
        });
        pos += len;
    }
    Ok(docs)
}

/// The length of the document starting at `bytes[0]`, checked against the rules of
/// [`split_documents`].
fn frame(bytes: &[u8]) -> Result<usize, String> {
    let Some(prefix) = bytes.first_chunk::<4>() else {
        return Err(format!(
            "{} bytes left, a document takes at least 5",
            bytes.len()
        ));
    };
    let declared = i32::from_le_bytes(*prefix);
    if declared < 5 {
        return Err(format!(
            "declared length {declared} is below the minimum of 5"
        ));
    }
    let len = declared as usize;
    if len > bytes.len() {
        return Err(format!(
            "declared length {len} runs past the end ({} bytes left)",
            bytes.len()
        ));
    }
    if bytes[len - 1] != 0 {
        return Err(format!(
            "the document's last byte (of {len}) is {:#04x}, not NUL",
            bytes[len - 1]
        ));
    }
    Ok(len)
}

/// One BSON document, borrowed: a checked frame whose elements are read on demand.
#[derive(Clone, Copy, Debug)]
pub struct Document<'a> {
    bytes: &'a [u8],
}

impl<'a> Document<'a> {
    /// Wraps exactly one document's bytes. Errors when the int32 length prefix is below 5 or
    /// differs from `bytes.len()`, or the last byte is not NUL.
    pub fn new(bytes: &'a [u8]) -> Result<Document<'a>, String> {
        let len = frame(bytes).map_err(|e| format!("BSON document: {e}"))?;
        if len != bytes.len() {
            return Err(format!(
                "BSON document: declared length {len} but {} bytes given",
                bytes.len()
            ));
        }
        Ok(Document { bytes })
    }

    /// The document's bytes, as given.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Builds any `Deserialize` type from the document, as if from its relaxed Extended JSON
    /// v2 text (see the module docs for the mapping); strings and keys may borrow from the
    /// bytes. Errors: malformed BSON (with its byte offset) or the type's own errors.
    pub fn deserialize<T: serde::Deserialize<'a>>(&self) -> Result<T, String> {
        T::deserialize(self.root()).map_err(|e| e.0)
    }

    /// The document as a `serde_json::Value`, equal to what relaxed Extended JSON v2 text of it
    /// parses to (non-finite doubles, dates, ObjectIds and the like as `$` wrapper objects).
    pub fn to_json(&self) -> Result<serde_json::Value, String> {
        self.deserialize()
    }

    /// The `_id` as messages show it: an ObjectId as 24 hex digits, a string as is, an int32,
    /// int64 or double as its number (a non-finite double as `NaN`, `Infinity`, `-Infinity`);
    /// "" when there is no `_id`, it has another type, or the document is malformed. When `_id`
    /// repeats, the last one counts (as in [`Document::deserialize`]).
    pub fn id(&self) -> String {
        self.id_text().unwrap_or_default()
    }

    fn id_text(&self) -> Result<String, Error> {
        let mut found = None;
        let mut pos = 4;
        let last = self.bytes.len() - 1;
        while pos < last {
            let (key, value) = element(self.bytes, pos, last)?;
            if self.bytes[key.0..key.1] == *b"_id" {
                found = Some(value);
            }
            pos = value.end;
        }
        let Some(v) = found else {
            return Ok(String::new());
        };
        Ok(match v.tag {
            TAG_OBJECT_ID => text::hex(v.array::<12>(v.start)?.as_slice()),
            TAG_STRING => v.lstring(v.start)?.to_string(),
            TAG_INT32 => i32::from_le_bytes(v.array(v.start)?).to_string(),
            TAG_INT64 => i64::from_le_bytes(v.array(v.start)?).to_string(),
            TAG_DOUBLE => {
                let x = f64::from_le_bytes(v.array(v.start)?);
                match serde_json::Number::from_f64(x) {
                    Some(n) => n.to_string(),
                    None if x.is_nan() => "NaN".to_string(),
                    None if x > 0.0 => "Infinity".to_string(),
                    None => "-Infinity".to_string(),
                }
            }
            _ => String::new(),
        })
    }

    fn root(&self) -> Value<'a> {
        Value {
            buf: self.bytes,
            tag: TAG_DOCUMENT,
            start: 0,
            end: self.bytes.len(),
        }
    }
}

/// A malformed-BSON or type error; its text is what the public functions return.
#[derive(Debug)]
struct Error(String);

impl Error {
    fn at(pos: usize, what: impl fmt::Display) -> Error {
        Error(format!("malformed BSON at byte {pos}: {what}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

// Element type bytes (BSON spec, https://bsonspec.org/spec.html).
const TAG_DOUBLE: u8 = 0x01;
const TAG_STRING: u8 = 0x02;
const TAG_DOCUMENT: u8 = 0x03;
const TAG_ARRAY: u8 = 0x04;
const TAG_BINARY: u8 = 0x05;
const TAG_UNDEFINED: u8 = 0x06;
const TAG_OBJECT_ID: u8 = 0x07;
const TAG_BOOL: u8 = 0x08;
const TAG_DATETIME: u8 = 0x09;
const TAG_NULL: u8 = 0x0a;
const TAG_REGEX: u8 = 0x0b;
const TAG_DB_POINTER: u8 = 0x0c;
const TAG_CODE: u8 = 0x0d;
const TAG_SYMBOL: u8 = 0x0e;
const TAG_CODE_WITH_SCOPE: u8 = 0x0f;
const TAG_INT32: u8 = 0x10;
const TAG_TIMESTAMP: u8 = 0x11;
const TAG_INT64: u8 = 0x12;
const TAG_DECIMAL128: u8 = 0x13;
const TAG_MIN_KEY: u8 = 0xff;
const TAG_MAX_KEY: u8 = 0x7f;

/// Reads the element at `pos` (type byte, key, value) of a document or array whose
/// terminating NUL is at `last`: the key's byte range and the value's span.
#[inline(always)]
fn element(buf: &[u8], pos: usize, last: usize) -> Result<((usize, usize), Value<'_>), Error> {
    let tag = buf[pos];
    if tag == 0 {
        return Err(Error::at(
            pos,
            "NUL type byte before the end of the document",
        ));
    }
    let key_start = pos + 1;
    let key_end = match buf[key_start..last].iter().position(|&b| b == 0) {
        Some(n) => key_start + n,
        None => return Err(Error::at(key_start, "key without a terminating NUL")),
    };
    let start = key_end + 1;
    let end = value_end(buf, (pos, tag), start, last)?;
    Ok((
        (key_start, key_end),
        Value {
            buf,
            tag,
            start,
            end,
        },
    ))
}

/// Where the value of type `tag` (found at byte `tag_at`) starting at `start` ends, checked to
/// stay before `last` (the enclosing document's NUL). Only the outer framing is checked here;
/// contents are checked when the value is visited.
#[inline(always)]
fn value_end(
    buf: &[u8],
    (tag_at, tag): (usize, u8),
    start: usize,
    last: usize,
) -> Result<usize, Error> {
    let len_at = |at: usize| -> Result<usize, Error> {
        match buf[..last].get(at..at + 4) {
            Some(b) => match i32::from_le_bytes([b[0], b[1], b[2], b[3]]) {
                n if n >= 0 => Ok(n as usize),
                n => Err(Error::at(at, format!("negative length {n}"))),
            },
            None => Err(Error::at(at, "length runs past the end")),
        }
    };
    let cstring_end = |at: usize| -> Result<usize, Error> {
        match buf
            .get(at..last)
            .and_then(|b| b.iter().position(|&c| c == 0))
        {
            Some(n) => Ok(at + n + 1),
            None => Err(Error::at(at, "string without a terminating NUL")),
        }
    };
    let end = match tag {
        TAG_DOUBLE | TAG_DATETIME | TAG_TIMESTAMP | TAG_INT64 => start + 8,
        TAG_STRING | TAG_CODE | TAG_SYMBOL => string_end(buf, start, last, len_at(start)?)?,
        TAG_DOCUMENT | TAG_ARRAY => {
            let len = len_at(start)?;
            if len < 5 {
                return Err(Error::at(
                    start,
                    format!("document length {len} is below 5"),
                ));
            }
            let end = start.saturating_add(len);
            if end > last || buf[end - 1] != 0 {
                return Err(Error::at(
                    start,
                    format!("document of {len} bytes is not framed"),
                ));
            }
            end
        }
        TAG_BINARY => start.saturating_add(5).saturating_add(len_at(start)?),
        TAG_UNDEFINED | TAG_NULL | TAG_MIN_KEY | TAG_MAX_KEY => start,
        TAG_OBJECT_ID => start + 12,
        TAG_BOOL => start + 1,
        TAG_REGEX => cstring_end(cstring_end(start)?)?,
        TAG_DB_POINTER => string_end(buf, start, last, len_at(start)?)?.saturating_add(12),
        TAG_CODE_WITH_SCOPE => start.saturating_add(len_at(start)?),
        TAG_INT32 => start + 4,
        TAG_DECIMAL128 => start + 16,
        other => {
            return Err(Error::at(
                tag_at,
                format!("unknown element type {other:#04x}"),
            ));
        }
    };
    if end > last {
        return Err(Error::at(start, "value runs past the end of its document"));
    }
    Ok(end)
}

/// End of a length-prefixed string (int32 length counting its NUL) at `start`.
fn string_end(buf: &[u8], start: usize, last: usize, len: usize) -> Result<usize, Error> {
    let end = start.saturating_add(4).saturating_add(len);
    if len == 0 || end > last || buf[end - 1] != 0 {
        return Err(Error::at(
            start,
            format!("string of length {len} is not framed"),
        ));
    }
    Ok(end)
}
