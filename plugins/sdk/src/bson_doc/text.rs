//! The strings relaxed Extended JSON v2 puts inside wrapper objects: hex, base64, ISO-8601
//! dates and decimal128 numbers, each written exactly as the bson 2.15 crate writes them (the
//! host's old path), which the tests check value by value against that crate.
//!
//! Written here rather than taken from crates so guests keep only wit-bindgen, serde and
//! serde_json as runtime dependencies.

/// Lowercase hex, two digits per byte (ObjectId `$oid`, binary `subType`).
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Standard base64 (RFC 4648 alphabet `A-Z a-z 0-9 + /`) with `=` padding, the `$binary`
/// `base64` form the Extended JSON spec requires.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // One output character per 6 bits; a short chunk's missing characters become '='.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The last millisecond of 9999-12-31, the latest instant with a four-digit year.
const LAST_FOUR_DIGIT_YEAR_MS: i64 = 253_402_300_799_999;

/// A UTC datetime (milliseconds since the Unix epoch) as relaxed Extended JSON writes it in
/// `$date`: `YYYY-MM-DDTHH:MM:SS[.f]Z` when the year is 1970..=9999, else `None` (the caller
/// writes `{"$numberLong": ..}`). Like bson 2.15 (RFC 3339 via the `time` crate) the fraction
/// is left out when the milliseconds are zero and otherwise has its trailing zeros trimmed:
/// `.5`, `.12`, `.123`.
pub(super) fn date(ms: i64) -> Option<String> {
    if !(0..=LAST_FOUR_DIGIT_YEAR_MS).contains(&ms) {
        return None;
    }
    let days = ms / 86_400_000;
    let in_day = ms % 86_400_000;
    let (year, month, day) = civil_from_days(days);
    let (secs, millis) = (in_day / 1000, in_day % 1000);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if millis != 0 {
        let fraction = format!("{millis:03}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    Some(out)
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (`days >= 0`).
/// Counts in 400-year eras of 146,097 days starting on a March 1st, so the leap day is the
/// last day of each counted year and month lengths follow a fixed 153-day, 5-month pattern.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // 719,468 days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The largest coefficient a decimal128 may hold (34 nines); bigger ones are non-canonical.
const MAX_COEFFICIENT: u128 = 9_999_999_999_999_999_999_999_999_999_999_999;
/// Subtracted from the stored 14-bit exponent to get the power of ten.
const EXPONENT_BIAS: i32 = 6176;

/// A decimal128 (16 bytes, little-endian IEEE 754-2008 BID encoding) as `$numberDecimal` text,
/// following the BSON decimal128 spec's to-string rules the way bson 2.15 implements them:
/// `NaN` never carries a sign; `Infinity`/`-Infinity`; a finite value is plain (`0.001`,
/// `-0`, `1.00`) when its exponent is <= 0 and its adjusted exponent is >= -6, else scientific
/// (`1.23E-10`, `1E+6144`, `1.0E+3`). A coefficient above 34 nines, and every value using the
/// "11" combination form, is non-canonical and reads as zero with its exponent.
pub(super) fn decimal128(bytes: [u8; 16]) -> String {
    let x = u128::from_le_bytes(bytes);
    let negative = x >> 127 == 1;
    // Bits 126..=123 all set: infinity or NaN (bit 122 tells which).
    if (x >> 123) & 0xf == 0xf {
        return if (x >> 122) & 1 == 1 {
            "NaN".to_string()
        } else if negative {
            "-Infinity".to_string()
        } else {
            "Infinity".to_string()
        };
    }
    let (stored_exponent, coefficient) = if (x >> 125) & 0b11 == 0b11 {
        // The "11" form implies a coefficient of at least 2^113, always above the maximum.
        ((x >> 111) & 0x3fff, 0)
    } else {
        ((x >> 113) & 0x3fff, x & ((1 << 113) - 1))
    };
    let coefficient = if coefficient > MAX_COEFFICIENT {
        0
    } else {
        coefficient
    };
    let exponent = stored_exponent as i32 - EXPONENT_BIAS;
    let digits = coefficient.to_string();
    let adjusted = exponent + digits.len() as i32 - 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if exponent <= 0 && adjusted >= -6 {
        let decimals = exponent.unsigned_abs() as usize;
        if decimals == 0 {
            out.push_str(&digits);
        } else if decimals >= digits.len() {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', decimals - digits.len()));
            out.push_str(&digits);
        } else {
            let (whole, fraction) = digits.split_at(digits.len() - decimals);
            out.push_str(whole);
            out.push('.');
            out.push_str(fraction);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
}
