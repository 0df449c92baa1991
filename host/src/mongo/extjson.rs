//! Relaxed Extended JSON v2 text written straight from BSON bytes.
//!
//! Sync handlers read documents as relaxed Extended JSON. Going through `bson::Document` and
//! `serde_json::Value` (what `Bson::into_relaxed_extjson` does) allocates a tree node per
//! value: for a document holding a 1024-d vector that is 1,024 boxed numbers decoded, copied
//! into a second tree and formatted, and it was the largest host-side cost of `sync`. This
//! writer walks the bytes once and formats numbers, strings, booleans, nulls, arrays and
//! documents itself; every other type (ObjectId, dates, binary, decimal, ...) is rare and goes
//! through `into_relaxed_extjson` one value at a time, so its text is the bson crate's.
//!
//! The output equals `Bson::Document(doc).into_relaxed_extjson().to_string()` (this crate's
//! serde_json keeps key order): numbers use serde_json's formatter, non-finite doubles become
//! `{"$numberDouble": "NaN" | "Infinity" | "-Infinity" | "-NaN"}`, and a key repeated in one
//! document keeps its first position and its last value, as `bson::Document` does.
//! Format: <https://www.mongodb.com/docs/manual/reference/mongodb-extended-json/>.

use bson::Bson;
use bson::raw::{RawArray, RawBsonRef, RawDocument};
use serde_json::ser::{CompactFormatter, Formatter};

/// A document (or a value inside it) that is not valid BSON.
pub type Error = bson::raw::Error;

/// `doc` as relaxed Extended JSON v2 text. Errors when the bytes are not valid BSON (a bad
/// element type, a length running past the end, a string that is not UTF-8).
pub fn relaxed_json(doc: &RawDocument) -> Result<String, Error> {
    // Numbers dominate big documents: ~12 bytes of text per 8-byte double, plus the keys.
    let mut out = Vec::with_capacity(doc.as_bytes().len() * 3 / 2 + 16);
    write_document(doc, &mut out)?;
    // Every piece written is UTF-8: BSON strings and keys are checked, the rest is ASCII.
    Ok(String::from_utf8(out).expect("JSON text is UTF-8"))
}

/// Walks every element of `doc` (recursively) so that malformed bytes are found when a file is
/// read, not later when a worker thread converts the document.
pub fn validate(doc: &RawDocument) -> Result<(), Error> {
    for element in doc {
        let (_, value) = element?;
        validate_value(value)?;
    }
    Ok(())
}

fn validate_value(value: RawBsonRef<'_>) -> Result<(), Error> {
    match value {
        RawBsonRef::Document(d) => validate(d),
        RawBsonRef::Array(a) if doubles(a.as_bytes(), |_| ()) => Ok(()),
        RawBsonRef::Array(a) => {
            for v in a {
                validate_value(v?)?;
            }
            Ok(())
        }
        RawBsonRef::JavaScriptCodeWithScope(c) => validate(c.scope),
        _ => Ok(()),
    }
}

fn write_document(doc: &RawDocument, out: &mut Vec<u8>) -> Result<(), Error> {
    let mut elements: Vec<(&str, RawBsonRef<'_>)> = Vec::new();
    for element in doc {
        elements.push(element?);
    }
    if has_repeated_key(&elements) {
        elements = first_position_last_value(elements);
    }
    out.push(b'{');
    for (i, (key, value)) in elements.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        write_value(value, out)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_array(array: &RawArray, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    out.push(b'[');
    let mut first = true;
    let all_doubles = doubles(array.as_bytes(), |x| {
        if !first {
            out.push(b',');
        }
        first = false;
        write_double(x, out);
    });
    if all_doubles {
        out.push(b']');
        return Ok(());
    }
    out.truncate(start + 1);
    for (i, value) in array.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(value?, out)?;
    }
    out.push(b']');
    Ok(())
}

/// Walks an array's bytes (length, elements, NUL) calling `each` with every element when all
/// of them are doubles, the shape of an embedding vector. Returns false as soon as it meets
/// another type or bad framing; the caller then takes the general path, which also reports
/// malformed bytes. Keys are skipped unread: an array's keys ("0", "1", ...) are not output.
fn doubles(bytes: &[u8], mut each: impl FnMut(f64)) -> bool {
    let Some(end) = bytes.len().checked_sub(1) else {
        return false;
    };
    let mut pos = 4;
    while pos < end {
        if bytes[pos] != 0x01 {
            return false;
        }
        let Some(nul) = bytes[pos + 1..end].iter().position(|&b| b == 0) else {
            return false;
        };
        let at = pos + 1 + nul + 1;
        let Some(value) = bytes.get(at..at + 8).filter(|_| at + 8 <= end) else {
            return false;
        };
        each(f64::from_le_bytes(value.try_into().expect("8 bytes")));
        pos = at + 8;
    }
    pos == end && bytes[end] == 0
}

fn write_double(x: f64, out: &mut Vec<u8>) {
    if x.is_finite() {
        CompactFormatter
            .write_f64(out, x)
            .expect("writing to a Vec");
    } else {
        // `{"$numberDouble": ..}` exactly as the bson crate writes it.
        serde_json::to_writer(&mut *out, &Bson::Double(x).into_relaxed_extjson())
            .expect("writing to a Vec");
    }
}

fn write_value(value: RawBsonRef<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
    let mut f = CompactFormatter;
    match value {
        RawBsonRef::Double(x) => write_double(x, out),
        RawBsonRef::String(s) => write_str(s, out),
        RawBsonRef::Int32(i) => f.write_i32(out, i).expect("writing to a Vec"),
        RawBsonRef::Int64(i) => f.write_i64(out, i).expect("writing to a Vec"),
        RawBsonRef::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        RawBsonRef::Null => out.extend_from_slice(b"null"),
        RawBsonRef::Document(d) => write_document(d, out)?,
        RawBsonRef::Array(a) => write_array(a, out)?,
        other => {
            // Rare types (and non-finite doubles): the bson crate's own relaxed form.
            let owned = Bson::try_from(other)?;
            serde_json::to_writer(&mut *out, &owned.into_relaxed_extjson())
                .expect("writing to a Vec");
        }
    }
    Ok(())
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec");
}

/// Whether a key appears twice (documents have few keys: a quadratic scan beats hashing).
fn has_repeated_key(elements: &[(&str, RawBsonRef<'_>)]) -> bool {
    elements
        .iter()
        .enumerate()
        .any(|(i, (k, _))| elements[..i].iter().any(|(seen, _)| seen == k))
}

/// One entry per key, at the key's first position, holding its last value.
fn first_position_last_value<'a>(
    elements: Vec<(&'a str, RawBsonRef<'a>)>,
) -> Vec<(&'a str, RawBsonRef<'a>)> {
    let mut out: Vec<(&str, RawBsonRef<'_>)> = Vec::with_capacity(elements.len());
    for (key, value) in elements {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::oid::ObjectId;
    use bson::spec::BinarySubtype;
    use bson::{Binary, Decimal128, Document, RawDocumentBuf, Regex, Timestamp, doc};

    fn old_way(d: &Document) -> String {
        Bson::Document(d.clone()).into_relaxed_extjson().to_string()
    }

    fn new_way(d: &Document) -> String {
        relaxed_json(&RawDocumentBuf::from_document(d).unwrap()).unwrap()
    }

    #[test]
    fn every_bson_type_reads_as_the_bson_crate_writes_it() {
        let oid = ObjectId::parse_str("65f1a2b3c4d5e6f708192a3b").unwrap();
        let d = doc! {
            "_id": oid,
            "f": 1.0, "g": -0.0, "h": 1e300, "i": 0.1 + 0.2, "tiny": 5e-324, "f32": 0.1_f32 as f64,
            "nan": f64::NAN, "inf": f64::INFINITY, "ninf": f64::NEG_INFINITY,
            "s": "中文 \"quoted\" \\ \n\t\u{1} end", "empty": "",
            "i32": i32::MIN, "i64": i64::MAX, "t": true, "no": false, "null": Bson::Null,
            "date": bson::DateTime::from_millis(1_700_000_000_123),
            "old": bson::DateTime::from_millis(-86_400_000),
            "far": bson::DateTime::from_millis(300_000_000_000_000),
            "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 255] },
            "uuid": Binary { subtype: BinarySubtype::Uuid, bytes: vec![7; 16] },
            "dec": Decimal128::from_bytes([1; 16]),
            "ts": Timestamp { time: 5, increment: 9 },
            "re": Regex { pattern: "^a.*".into(), options: "mi".into() },
            "undef": Bson::Undefined, "min": Bson::MinKey, "max": Bson::MaxKey,
            "code": Bson::JavaScriptCode("x => 1".into()),
            "vector": [0.25, -1.5, 3.0e-8, f64::NAN],
            "nested": {"a": [1, "x", null, {"b": [[]]}], "z": {}, "date": bson::DateTime::from_millis(0)},
            "mixed": [1_i32, 2_i64, 2.5, "s", true, Bson::Null, oid],
        };
        assert_eq!(new_way(&d), old_way(&d));
        let long: Vec<f64> = (0..1024).map(|i| (i as f64 * 0.37).sin() * 1e-3).collect();
        let d = doc! {"vector": long, "none": [], "neg": [-0.0, f64::MIN_POSITIVE, f64::MAX, -f64::NAN]};
        assert_eq!(new_way(&d), old_way(&d));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_position_and_last_value() {
        // Raw bytes can repeat a key (`doc!` cannot): build {"a": 1, "b": 2, "a": 3}.
        let mut raw = RawDocumentBuf::new();
        raw.append("a", 1);
        raw.append("b", 2);
        raw.append("a", 3);
        let via_document = Document::try_from(raw.as_ref()).unwrap();
        assert_eq!(relaxed_json(&raw).unwrap(), old_way(&via_document));
        assert_eq!(relaxed_json(&raw).unwrap(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn malformed_bytes_are_errors_not_panics() {
        let good = RawDocumentBuf::from_document(&doc! {"s": "abc", "n": {"x": 1}}).unwrap();
        let mut bytes = good.into_bytes();
        // Corrupt the inner document's element type into an unknown one.
        let pos = bytes.iter().rposition(|&b| b == 0x10).unwrap();
        bytes[pos] = 0x7e;
        let raw = RawDocumentBuf::from_bytes(bytes).unwrap();
        assert!(validate(&raw).is_err());
        assert!(relaxed_json(&raw).is_err());
    }
}
