//! Extended JSON text to BSON bytes, for plugin tests: a sync handler's unit tests write their
//! documents as JSON (as they appear in `mongoexport` output) and hand them to `convert` as the
//! BSON the host sends. Key order is kept as written.
//!
//! Covers what test documents use: objects, arrays, strings, booleans, null, numbers (an
//! integer is an int32 when it fits, else an int64; anything with a fraction or exponent is a
//! double, as the Extended JSON v2 parsing rules say), and the wrappers `$oid`, `$date`
//! (ISO-8601 text, `{"$numberLong": ".."}` or a number of milliseconds), `$numberInt`,
//! `$numberLong` and `$numberDouble` (incl. "NaN", "Infinity", "-Infinity"). Any other `$`
//! wrapper is an error naming it. Source of the rules:
//! <https://github.com/mongodb/specifications/blob/master/source/extended-json/extended-json.md>.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value with its object keys in input order.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Node, E> {
        i64::try_from(v)
            .map(Node::Int)
            .map_err(|_| E::custom(format!("{v} does not fit an int64")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Node::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            out.push((k, v));
        }
        Ok(Node::Obj(out))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// One document's Extended JSON text (relaxed or canonical) as BSON bytes.
///
/// Errors: text that is not JSON, not an object, a wrapper this encoder does not cover, or a
/// wrapper with a malformed value; the message names the key path.
pub fn document_from_extjson(text: &str) -> Result<Vec<u8>, String> {
    let node: Node = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Node::Obj(fields) = node else {
        return Err("not a JSON object".into());
    };
    let mut out = Vec::new();
    write_document(&mut out, &fields, "")?;
    Ok(out)
}

/// Writes `fields` as a BSON document (int32 length, elements, NUL).
fn write_document(out: &mut Vec<u8>, fields: &[(String, Node)], path: &str) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    for (key, value) in fields {
        let at = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        write_element(out, key, value, &at)?;
    }
    out.push(0);
    let len = (out.len() - start) as i32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

fn write_key(out: &mut Vec<u8>, tag: u8, key: &str, path: &str) -> Result<(), String> {
    if key.contains('\0') {
        return Err(format!("`{path}`: a key with a NUL byte"));
    }
    out.push(tag);
    out.extend_from_slice(key.as_bytes());
    out.push(0);
    Ok(())
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&((s.len() + 1) as i32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

fn write_element(out: &mut Vec<u8>, key: &str, value: &Node, path: &str) -> Result<(), String> {
    match value {
        Node::Null => write_key(out, 0x0A, key, path),
        Node::Bool(b) => {
            write_key(out, 0x08, key, path)?;
            out.push(u8::from(*b));
            Ok(())
        }
        Node::Int(i) => match i32::try_from(*i) {
            Ok(small) => {
                write_key(out, 0x10, key, path)?;
                out.extend_from_slice(&small.to_le_bytes());
                Ok(())
            }
            Err(_) => {
                write_key(out, 0x12, key, path)?;
                out.extend_from_slice(&i.to_le_bytes());
                Ok(())
            }
        },
        Node::Float(f) => {
            write_key(out, 0x01, key, path)?;
            out.extend_from_slice(&f.to_le_bytes());
            Ok(())
        }
        Node::Str(s) => {
            write_key(out, 0x02, key, path)?;
            write_string(out, s);
            Ok(())
        }
        Node::Arr(items) => {
            write_key(out, 0x04, key, path)?;
            let indexed: Vec<(String, &Node)> = items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect();
            let start = out.len();
            out.extend_from_slice(&[0; 4]);
            for (k, v) in indexed {
                let at = format!("{path}.{k}");
                write_element(out, &k, v, &at)?;
            }
            out.push(0);
            let len = (out.len() - start) as i32;
            out[start..start + 4].copy_from_slice(&len.to_le_bytes());
            Ok(())
        }
        Node::Obj(fields) => match wrapper(fields) {
            Some((name, inner)) => write_wrapper(out, key, name, inner, path),
            None => {
                write_key(out, 0x03, key, path)?;
                write_document(out, fields, path)
            }
        },
    }
}

/// A one-key object whose key starts with `$`: an Extended JSON wrapper.
fn wrapper(fields: &[(String, Node)]) -> Option<(&str, &Node)> {
    match fields {
        [(k, v)] if k.starts_with('$') => Some((k, v)),
        _ => None,
    }
}

fn write_wrapper(
    out: &mut Vec<u8>,
    key: &str,
    name: &str,
    inner: &Node,
    path: &str,
) -> Result<(), String> {
    let bad = || format!("`{path}`: malformed `{name}`");
    match (name, inner) {
        ("$oid", Node::Str(hex)) => {
            let bytes = hex_bytes(hex).filter(|b| b.len() == 12).ok_or_else(bad)?;
            write_key(out, 0x07, key, path)?;
            out.extend_from_slice(&bytes);
            Ok(())
        }
        ("$date", date) => {
            let ms = match date {
                Node::Str(s) => iso_millis(s).ok_or_else(bad)?,
                Node::Int(ms) => *ms,
                Node::Obj(f) => match wrapper(f) {
                    Some(("$numberLong", Node::Str(s))) => s.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            };
            write_key(out, 0x09, key, path)?;
            out.extend_from_slice(&ms.to_le_bytes());
            Ok(())
        }
        ("$numberInt", Node::Str(s)) => {
            let v: i32 = s.parse().map_err(|_| bad())?;
            write_key(out, 0x10, key, path)?;
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        ("$numberLong", Node::Str(s)) => {
            let v: i64 = s.parse().map_err(|_| bad())?;
            write_key(out, 0x12, key, path)?;
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        ("$numberDouble", Node::Str(s)) => {
            let v: f64 = match s.as_str() {
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                other => other.parse().map_err(|_| bad())?,
            };
            write_key(out, 0x01, key, path)?;
            out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
        ("$oid" | "$numberInt" | "$numberLong" | "$numberDouble", _) => Err(bad()),
        _ => Err(format!(
            "`{path}`: the wrapper `{name}` is not covered by this test encoder"
        )),
    }
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Milliseconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
fn iso_millis(s: &str) -> Option<i64> {
    let num = |a: usize, b: usize| -> Option<i64> {
        let t = s.get(a..b)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" || !matches!(s.get(10..11)?, "T" | "t" | " ") {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let d = &frac[..digits];
        let padded = format!("{:0<3}", &d[..d.len().min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(rest.len() - 2..)?.parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    Some(secs * 1_000 + millis)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (year, month 1-12, day 1-31; negative
/// before 1970), for handlers that read dates. Howard Hinnant's civil-date algorithm,
/// <http://howardhinnant.github.io/date_algorithms.html#days_from_civil>.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers() {
        assert_eq!(iso_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso_millis("2026-04-08T06:31:12.345Z"),
            Some(1_775_629_872_345)
        );
        assert_eq!(
            iso_millis("2026-04-08T14:31:12.345+08:00"),
            Some(1_775_629_872_345)
        );
        assert_eq!(iso_millis("1969-12-31T23:59:59.999Z"), Some(-1));
        assert_eq!(iso_millis("2026-13-08T06:31:12Z"), None);
        assert_eq!(iso_millis("garbage"), None);
    }

    #[test]
    fn documents_encode_in_key_order() {
        let bytes = document_from_extjson(
            r#"{"b": 1, "a": {"$oid": "6616a3f2c9e77a1b2c3d4e5f"}, "n": 5000000000, "x": 1.5,
                "l": [true, null, "s"], "d": {"$date": {"$numberLong": "-5"}}}"#,
        )
        .unwrap();
        assert_eq!(
            i32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize,
            bytes.len()
        );
        // Element tags in order: int32 b, ObjectId a, int64 n, double x, array l, date d.
        assert_eq!(&bytes[4..7], b"\x10b\0");
        assert_eq!(bytes[11], 0x07);
        assert!(document_from_extjson("[1]").is_err());
        let e = document_from_extjson(r#"{"a": {"k": {"$regex": "x"}}}"#).unwrap_err();
        assert!(e.contains("`a.k`") && e.contains("$regex"), "{e}");
    }
}
