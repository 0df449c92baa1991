//! Reading relaxed Extended JSON values: ObjectIds, dates, numbers.

use milvus_ingest_sdk::serde_json::Value;

/// The hex of an ObjectId (`{"$oid": "..."}`), or a plain string id.
pub fn object_id(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m.get("$oid")?.as_str().map(str::to_string),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A number, also from `{"$numberDouble": ".."}`, `{"$numberInt"}`, `{"$numberLong"}`.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Object(m) => {
            let (k, v) = m.iter().next()?;
            if m.len() != 1 || !k.starts_with("$number") {
                return None;
            }
            v.as_str()?.parse().ok()
        }
        _ => None,
    }
}

/// Epoch seconds of a date: `{"$date": "RFC 3339"}`, `{"$date": {"$numberLong": "ms"}}`,
/// `{"$date": ms}`. `None` when absent or unreadable.
pub fn epoch_seconds(v: &Value) -> Option<i64> {
    let date = v.as_object()?.get("$date")?;
    let millis = match date {
        Value::String(s) => rfc3339_millis(s)?,
        other => number(other)? as i64,
    };
    Some(millis.div_euclid(1000))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)`.
pub fn rfc3339_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        let ms: String = frac.chars().chain("000".chars()).take(3).collect();
        millis = ms.parse().ok()?;
    }
    let offset_min = match b.get(i)? {
        b'Z' | b'z' => 0,
        sign @ (b'+' | b'-') => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 60 + om;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use milvus_ingest_sdk::serde_json::json;

    #[test]
    fn dates_and_numbers() {
        assert_eq!(rfc3339_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_millis("2024-03-01T12:30:15.250Z"),
            Some(1_709_296_215_250)
        );
        assert_eq!(
            rfc3339_millis("2024-03-01T14:30:15+02:00"),
            Some(1_709_296_215_000)
        );
        assert_eq!(rfc3339_millis("yesterday"), None);
        assert_eq!(
            epoch_seconds(&json!({"$date": {"$numberLong": "1709296215250"}})),
            Some(1_709_296_215)
        );
        assert_eq!(epoch_seconds(&json!({"$date": -1500})), Some(-2));
        assert_eq!(
            number(&json!({"$numberDouble": "NaN"})).map(f64::is_nan),
            Some(true)
        );
        assert_eq!(
            object_id(&json!({"$oid": "65f0c0ffee"})),
            Some("65f0c0ffee".into())
        );
    }
}
