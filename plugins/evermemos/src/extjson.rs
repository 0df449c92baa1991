//! Reading Extended JSON values (relaxed or canonical): ObjectIds, dates, numbers.

use milvus_ingest_sdk::days_from_civil;

use crate::doc::J;

/// The hex of an ObjectId (`{"$oid": ".."}`), or a non-empty plain string id.
pub fn object_id(v: &J) -> Option<String> {
    match v {
        J::Str(s) if !s.is_empty() => Some(s.clone()),
        J::Num(n) => Some(n.to_string()),
        _ => match v.wrapper() {
            Some(("$oid", J::Str(s))) => Some(s.clone()),
            _ => None,
        },
    }
}

/// Python's `str(value)` for an id-like value: ObjectId hex, string, integer.
pub fn id_text(v: &J) -> Option<String> {
    match v {
        J::Null => None,
        J::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        _ => match v.wrapper() {
            Some(("$numberInt" | "$numberLong", J::Str(s))) => Some(s.clone()),
            _ => object_id(v),
        },
    }
}

/// A number, also from `{"$numberDouble"|"$numberInt"|"$numberLong"|"$numberDecimal": ".."}`.
pub fn number(v: &J) -> Option<f64> {
    match v {
        J::Num(n) => n.as_f64(),
        _ => match v.wrapper()? {
            ("$numberDouble" | "$numberInt" | "$numberLong" | "$numberDecimal", J::Str(s)) => {
                match s.as_str() {
                    "Infinity" => Some(f64::INFINITY),
                    "-Infinity" => Some(f64::NEG_INFINITY),
                    "NaN" => Some(f64::NAN),
                    s => s.parse().ok(),
                }
            }
            _ => None,
        },
    }
}

/// An integer, also from number wrappers; floats are cut toward zero (Python's `int(v)`).
pub fn integer(v: &J) -> Option<i64> {
    match v {
        J::Num(n) => n.as_i64().or_else(|| n.as_f64().map(|x| x as i64)),
        _ => match v.wrapper()? {
            ("$numberInt" | "$numberLong", J::Str(s)) => s.parse().ok(),
            _ => number(v).filter(|x| x.is_finite()).map(|x| x as i64),
        },
    }
}

/// Milliseconds since the epoch of a BSON date: `{"$date": "ISO 8601"}`,
/// `{"$date": {"$numberLong": "ms"}}` or `{"$date": ms}`. An ISO string stored as a string is
/// read the way pydantic reads it into a datetime (a naive one as UTC).
pub fn date_millis(v: &J) -> Option<i64> {
    match v {
        J::Str(s) => iso_millis(s),
        _ => match v.wrapper()? {
            ("$date", J::Str(s)) => iso_millis(s),
            ("$date", inner) => integer(inner),
            _ => None,
        },
    }
}

/// Epoch seconds, floor(ms / 1000) (exact for dates before 1970 too).
pub fn date_seconds(v: &J) -> Option<i64> {
    date_millis(v).map(|ms| ms.div_euclid(1000))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Milliseconds since the epoch of an ISO 8601 date or date-time as Python's
/// `datetime.fromisoformat` reads it: `YYYY-MM-DD`, then optionally `T` or a space,
/// `HH:MM[:SS[.ffffff]]`, then optionally `Z`, `±HH:MM` or `±HHMM`. No offset means UTC.
pub fn iso_millis(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let mut millis = 0;
    let mut i = 10;
    if i < b.len() && matches!(b[i], b'T' | b't' | b' ') {
        let (h, mi) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
        if b.get(i + 3) != Some(&b':') || h > 23 || mi > 59 {
            return None;
        }
        secs += h * 3600 + mi * 60;
        i += 6;
        if b.get(i) == Some(&b':') {
            let sec = num(i + 1..i + 3)?;
            if sec > 59 {
                return None;
            }
            secs += sec;
            i += 3;
            if matches!(b.get(i), Some(b'.' | b',')) {
                let start = i + 1;
                i = start;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let frac = s.get(start..i).filter(|f| !f.is_empty())?;
                let ms: String = frac.chars().chain("000".chars()).take(3).collect();
                millis = ms.parse().ok()?;
            }
        }
    }
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') if i + 1 == b.len() => {}
        Some(sign @ (b'+' | b'-')) => {
            let rest = &s[i + 1..];
            let (oh, om) = match rest.len() {
                5 if rest.as_bytes()[2] == b':' => (num(i + 1..i + 3)?, num(i + 4..i + 6)?),
                4 => (num(i + 1..i + 3)?, num(i + 3..i + 5)?),
                2 => (num(i + 1..i + 3)?, 0),
                _ => return None,
            };
            let off = oh * 3600 + om * 60;
            secs -= if *sign == b'+' { off } else { -off };
        }
        _ => return None,
    }
    Some(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> J {
        J::parse(s).unwrap()
    }

    #[test]
    fn dates_in_every_extended_json_form() {
        assert_eq!(iso_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(iso_millis("2026-04-08T06:30:00Z"), Some(1_775_629_800_000));
        assert_eq!(
            iso_millis("2026-04-08T06:31:12.345Z"),
            Some(1_775_629_872_345)
        );
        assert_eq!(
            iso_millis("2026-04-08T14:30:00+08:00"),
            Some(1_775_629_800_000)
        );
        assert_eq!(
            iso_millis("2026-04-08T14:30:00+0800"),
            Some(1_775_629_800_000)
        );
        assert_eq!(iso_millis("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(iso_millis("2024-01-01 10:00"), Some(1_704_103_200_000));
        for bad in [
            "",
            "yesterday",
            "2024-02-30",
            "2024-01-01T25:00",
            "2024-01-01Tx",
        ] {
            assert_eq!(iso_millis(bad), None, "{bad}");
        }
        assert_eq!(
            date_millis(&j(r#"{"$date": {"$numberLong": "1709296215250"}}"#)),
            Some(1_709_296_215_250)
        );
        assert_eq!(date_seconds(&j(r#"{"$date": -1500}"#)), Some(-2));
        assert_eq!(date_millis(&j(r#"{"$oid": "x"}"#)), None);
    }

    #[test]
    fn ids_and_numbers() {
        assert_eq!(
            object_id(&j(r#"{"$oid": "65f0c0ffee"}"#)),
            Some("65f0c0ffee".into())
        );
        assert_eq!(id_text(&j(r#"{"$numberLong": "42"}"#)), Some("42".into()));
        assert_eq!(id_text(&j("7")), Some("7".into()));
        assert!(number(&j(r#"{"$numberDouble": "NaN"}"#)).unwrap().is_nan());
        assert_eq!(integer(&j("3.9")), Some(3));
        assert_eq!(integer(&j(r#"{"$numberLong": "-5"}"#)), Some(-5));
    }
}
