//! JSON text exactly as EverMemOS writes it: Python's `json.dumps(value, ensure_ascii=False)`.
//!
//! That means `", "` between items and `": "` after keys, non-ASCII characters written raw,
//! only `"`, `\` and control characters escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00xx`),
//! keys in the order given, and floats as Python's `repr` (`1.0`, `1e-05`, `1e+16`).
//!
//! Extended JSON number wrappers in canonical-mode documents are written as the Python value
//! Beanie would hold (`{"$numberLong": "5"}` -> `5`, `{"$numberDouble": "NaN"}` -> `NaN`).
//! Other BSON values (ObjectId, date, Decimal128, binary) made Python's `json.dumps` raise, which
//! skipped the whole document; here they are kept in their Extended JSON form instead.

use crate::doc::J;
use milvus_ingest_sdk::serde_json::Number;

/// Appends `s` as a JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: shortest round-trip digits, positional for exponents -4..16,
/// else scientific with a signed exponent of at least two digits.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        if exp < 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else if exp + 1 >= n {
            format!("{sign}{digits}{}.0", "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

fn write_number(out: &mut String, n: &Number) {
    if n.is_i64() || n.is_u64() {
        out.push_str(&n.to_string());
    } else {
        out.push_str(&float_repr(n.as_f64().unwrap_or(f64::NAN)));
    }
}

/// Appends `v` as Python's `json.dumps` would write the value Beanie holds for it.
pub fn write(out: &mut String, v: &J) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => write_number(out, n),
        J::Str(s) => write_str(out, s),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, item);
            }
            out.push(']');
        }
        J::F64s(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&float_repr(*x));
            }
            out.push(']');
        }
        J::Obj(_) => {
            if let Some(text) = number_wrapper(v) {
                out.push_str(&text);
                return;
            }
            write_object(out, v);
        }
    }
}

fn write_object(out: &mut String, v: &J) {
    let J::Obj(m) = v else { return };
    out.push('{');
    // Python dicts hold one value per key: the last one given.
    let mut first = true;
    for (i, (k, item)) in m.iter().enumerate() {
        if m[i + 1..].iter().any(|(later, _)| later == k) {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        write_str(out, k);
        out.push_str(": ");
        write(out, item);
    }
    out.push('}');
}

/// `{"$numberInt"|"$numberLong": "n"}` -> `n`; `{"$numberDouble": "x"}` -> repr of x.
fn number_wrapper(v: &J) -> Option<String> {
    let (name, inner) = v.wrapper()?;
    let text = inner.as_str()?;
    match name {
        "$numberInt" | "$numberLong" => text.parse::<i64>().ok().map(|n| n.to_string()),
        "$numberDouble" => {
            let x = match text {
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                t => t.parse().ok()?,
            };
            Some(float_repr(x))
        }
        _ => None,
    }
}

/// `json.dumps(v, ensure_ascii=False)` of one value.
pub fn dumps(v: &J) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

/// `json.dumps` of a list of strings.
pub fn dumps_strs<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_str(&mut out, s.as_ref());
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (123456789012345.0, "123456789012345.0"),
            (1e15, "1000000000000000.0"),
            (0.0123, "0.0123"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(float_repr(x), want, "{x}");
        }
    }

    #[test]
    fn objects_lists_and_strings_use_python_separators_and_escapes() {
        let j = J::parse(
            r#"{"名": "张伟", "q": "a\"b\\c\nd\u0001", "l": [1, 2.0, null, true],
                "f": [2.0, 0.0123, 1e16], "n": {"$numberLong": "7"}, "d": {"$numberDouble": "-Infinity"},
                "o": {"$oid": "6616a3e0c9e77a1b2c3d4e50"}, "e": {}, "k": 1, "k": 2}"#,
        )
        .unwrap();
        assert_eq!(
            dumps(&j),
            r#"{"名": "张伟", "q": "a\"b\\c\nd\u0001", "l": [1, 2.0, null, true], "f": [2.0, 0.0123, 1e+16], "n": 7, "d": -Infinity, "o": {"$oid": "6616a3e0c9e77a1b2c3d4e50"}, "e": {}, "k": 2}"#
        );
        assert_eq!(dumps_strs(&["a", "é"]), r#"["a", "é"]"#);
        assert_eq!(dumps_strs::<&str>(&[]), "[]");
    }
}
