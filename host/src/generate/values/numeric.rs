//! Integer and floating-point values: ranges, distributions and the ranges guessed from a
//! field's name when it declares none (a `price` looks like a price without configuration).

use rand::distr::Distribution as _;
use rand_distr::Zipf;

use crate::schema::{DataType, Distribution, Field};

use super::fastrng::FastRng;
use crate::generate::error::GenerateError;

/// Epoch seconds of 2020-01-01T00:00:00Z and 2026-12-31T23:59:59Z.
pub const EPOCH_2020: i64 = 1_577_836_800;
pub const EPOCH_2026_END: i64 = 1_798_761_599;

/// The lower-case words of a field name (`createdAt`, `created_at` -> `created`, `at`).
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// What a field name suggests about its numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    pub lo: f64,
    pub hi: f64,
    /// Money: floats rounded to cents.
    pub cents: bool,
    /// Counts are heavily skewed towards small values.
    pub zipf: bool,
}

impl Guess {
    const fn plain(lo: f64, hi: f64) -> Guess {
        Guess {
            lo,
            hi,
            cents: false,
            zipf: false,
        }
    }
}

/// The range a field's name suggests, for `value_type` (integers get whole-number ranges).
pub fn guess_range(name: &str, value_type: DataType) -> Guess {
    let tokens = name_tokens(name);
    let any = |words: &[&str]| tokens.iter().any(|t| words.contains(&t.as_str()));
    let ends = |suffixes: &[&str]| {
        tokens
            .iter()
            .any(|t| suffixes.iter().any(|s| t.ends_with(s)))
    };
    let is_int = value_type.is_integer();
    if any(&[
        "price", "amount", "cost", "fee", "total", "revenue", "salary",
    ]) {
        return Guess {
            cents: !is_int,
            ..Guess::plain(
                if is_int { 1.0 } else { 0.99 },
                if is_int { 1000.0 } else { 999.99 },
            )
        };
    }
    if any(&[
        "score",
        "confidence",
        "probability",
        "similarity",
        "ratio",
        "weight_norm",
    ]) {
        return if is_int {
            Guess::plain(0.0, 100.0)
        } else {
            Guess::plain(0.0, 1.0)
        };
    }
    if any(&["rating", "stars"]) {
        return Guess::plain(1.0, 5.0);
    }
    if any(&["age"]) {
        return Guess::plain(18.0, 90.0);
    }
    if any(&["year"]) {
        return Guess::plain(1990.0, 2026.0);
    }
    if value_type == DataType::Int64
        && (ends(&["timestamp"])
            || any(&["time", "datetime", "ts", "epoch"])
            || tokens.last().is_some_and(|t| t == "at"))
    {
        return Guess::plain(EPOCH_2020 as f64, EPOCH_2026_END as f64);
    }
    // Whole words only: `account` and `discount` are not counts.
    if any(&[
        "count",
        "views",
        "likes",
        "clicks",
        "shares",
        "downloads",
        "followers",
        "num",
        "visits",
        "quantity",
        "stock",
    ]) {
        return Guess {
            zipf: is_int,
            ..Guess::plain(0.0, 1_000_000.0)
        };
    }
    if any(&["lat", "latitude"]) {
        return Guess::plain(-90.0, 90.0);
    }
    if any(&["lon", "lng", "longitude"]) {
        return Guess::plain(-180.0, 180.0);
    }
    if is_int {
        Guess::plain(0.0, 1_000_000.0)
    } else {
        Guess::plain(0.0, 1.0)
    }
}

/// The field's `[min, max]`, filling what it leaves out from the name guess.
fn resolve_range(field: &Field, guess: &Guess) -> (f64, f64) {
    let span = guess.hi - guess.lo;
    match (field.min.map(|b| b.as_f64()), field.max.map(|b| b.as_f64())) {
        (Some(lo), Some(hi)) => (lo, hi),
        (Some(lo), None) => (lo, if guess.hi >= lo { guess.hi } else { lo + span }),
        (None, Some(hi)) => (if guess.lo <= hi { guess.lo } else { hi - span }, hi),
        (None, None) => (guess.lo, guess.hi),
    }
}

/// The whole-number `[min, max]` of an integer field inside its type's range, exact to the
/// last bit (a bound near the i64 limits is not rounded through a float).
fn resolve_int_range(field: &Field, guess: &Guess, value_type: DataType) -> (i64, i64) {
    let (tlo, thi) = value_type.integer_range().expect("integer type");
    let exact = |b: Option<crate::schema::Bound>, up: bool| {
        b.map(|b| {
            b.as_i64().unwrap_or_else(|| {
                let v = b.as_f64();
                (if up { v.ceil() } else { v.floor() }) as i64
            })
        })
    };
    let span = (guess.hi - guess.lo) as i64;
    let (glo, ghi) = (guess.lo as i64, guess.hi as i64);
    let (lo, hi) = match (exact(field.min, true), exact(field.max, false)) {
        (Some(lo), Some(hi)) => (lo, hi),
        (Some(lo), None) => (
            lo,
            if ghi >= lo {
                ghi
            } else {
                lo.saturating_add(span)
            },
        ),
        (None, Some(hi)) => (
            if glo <= hi {
                glo
            } else {
                hi.saturating_sub(span)
            },
            hi,
        ),
        (None, None) => (glo, ghi),
    };
    (lo.clamp(tlo, thi), hi.clamp(tlo, thi))
}

/// Draws integers of one field.
#[derive(Debug, Clone)]
pub enum IntGen {
    Uniform {
        lo: i64,
        hi: i64,
    },
    Normal {
        mean: f64,
        std: f64,
        lo: i64,
        hi: i64,
    },
    /// Rank k (1-based) maps to `lo + k - 1`, so small values are the frequent ones.
    Zipf {
        lo: i64,
        hi: i64,
        zipf: Zipf<f64>,
    },
}

impl IntGen {
    pub fn new(field: &Field, value_type: DataType) -> Result<IntGen, GenerateError> {
        let guess = guess_range(&field.name, value_type);
        let (lo, hi) = resolve_int_range(field, &guess, value_type);
        if lo > hi {
            return Err(GenerateError::field(
                &field.name,
                format!("min/max leave no whole {value_type} value (min {lo} > max {hi})"),
            ));
        }
        Ok(match &field.distribution {
            Some(Distribution::Normal { mean, std }) => {
                let (flo, fhi) = (lo as f64, hi as f64);
                let mean = mean.unwrap_or((flo + fhi) / 2.0);
                mean_inside(field, mean, flo, fhi)?;
                IntGen::Normal {
                    mean,
                    std: std.unwrap_or((fhi - flo) / 6.0).max(f64::MIN_POSITIVE),
                    lo,
                    hi,
                }
            }
            Some(Distribution::Zipf { exponent }) => {
                zipf_gen(field, lo, hi, exponent.unwrap_or(1.1))?
            }
            None if guess.zipf && field.min.is_none() && field.max.is_none() => {
                zipf_gen(field, lo, hi, 1.1)?
            }
            _ => IntGen::Uniform { lo, hi },
        })
    }

    #[inline]
    pub fn draw(&self, rng: &mut FastRng) -> i64 {
        match self {
            IntGen::Uniform { lo, hi } => {
                let span = hi.wrapping_sub(*lo) as u64;
                if span == u64::MAX {
                    rng.bits() as i64
                } else {
                    lo.wrapping_add(rng.below(span + 1) as i64)
                }
            }
            IntGen::Normal { mean, std, lo, hi } => {
                let v = mean + std * f64::from(rng.normal());
                (v.round() as i64).clamp(*lo, *hi)
            }
            IntGen::Zipf { lo, hi, zipf } => {
                // Ranks reach 2^64 over the whole i64 range: saturate, then stay inside.
                let k = zipf.sample(rng) as i64;
                lo.saturating_add(k - 1).min(*hi)
            }
        }
    }
}

fn zipf_gen(field: &Field, lo: i64, hi: i64, exponent: f64) -> Result<IntGen, GenerateError> {
    let n = (hi as f64 - lo as f64) + 1.0;
    let zipf = Zipf::new(n, exponent)
        .map_err(|e| GenerateError::field(&field.name, format!("zipf over {n} values: {e}")))?;
    Ok(IntGen::Zipf { lo, hi, zipf })
}

/// A normal mean outside the range would clamp (nearly) every value onto one end.
fn mean_inside(field: &Field, mean: f64, lo: f64, hi: f64) -> Result<(), GenerateError> {
    if (lo..=hi).contains(&mean) {
        Ok(())
    } else {
        Err(GenerateError::field(
            &field.name,
            format!(
                "normal mean {mean} is outside the range [{lo}, {hi}]: every value would be clamped to one end"
            ),
        ))
    }
}

/// Draws floating-point values of one field.
#[derive(Debug, Clone)]
pub struct FloatGen {
    lo: f64,
    hi: f64,
    /// `hi - lo` overflows: interpolate between the ends instead.
    wide: bool,
    /// `Some((mean, std))` for a clamped normal, else uniform.
    normal: Option<(f64, f64)>,
    cents: bool,
    single: bool,
}

impl FloatGen {
    pub fn new(field: &Field, value_type: DataType) -> Result<FloatGen, GenerateError> {
        let guess = guess_range(&field.name, value_type);
        let (lo, hi) = resolve_range(field, &guess);
        let single = value_type == DataType::Float;
        let limit = if single {
            f64::from(f32::MAX)
        } else {
            f64::MAX
        };
        let (lo, hi) = (lo.clamp(-limit, limit), hi.clamp(-limit, limit));
        if lo > hi || lo.is_nan() || hi.is_nan() {
            return Err(GenerateError::field(
                &field.name,
                format!("min ({lo}) must be <= max ({hi})"),
            ));
        }
        // Halves before differences: `hi - lo` overflows to infinity for ranges wider than
        // f64::MAX (-1e308..1e308), which would put every value on one end.
        let normal = match &field.distribution {
            Some(Distribution::Normal { mean, std }) => {
                let mean = mean.unwrap_or(lo / 2.0 + hi / 2.0);
                mean_inside(field, mean, lo, hi)?;
                Some((mean, std.unwrap_or(hi / 6.0 - lo / 6.0)))
            }
            _ => None,
        };
        Ok(FloatGen {
            lo,
            hi,
            wide: !(hi - lo).is_finite(),
            normal,
            cents: guess.cents && field.min.is_none_or(|m| m.as_f64() >= 0.0),
            single,
        })
    }

    #[inline]
    pub fn draw(&self, rng: &mut FastRng) -> f64 {
        let mut v = match self.normal {
            Some((mean, std)) => mean + std * f64::from(rng.normal()),
            None if self.wide => {
                let u = rng.unit();
                self.lo * (1.0 - u) + self.hi * u
            }
            None => self.lo + (self.hi - self.lo) * rng.unit(),
        };
        // Cents only where they exist: beyond 2^53 / 100 every f64 is already whole, and
        // `v * 100` could overflow.
        if self.cents && v.abs() < 9.0e13 {
            v = (v * 100.0).round() / 100.0;
        }
        v = v.clamp(self.lo, self.hi);
        if self.single {
            // Rounding to f32 may step just outside the range; step back inside.
            let mut f = v as f32;
            if f64::from(f) > self.hi {
                f = f.next_down();
            } else if f64::from(f) < self.lo {
                f = f.next_up();
            }
            v = f64::from(f);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, t: DataType) -> Field {
        Field::new(name, t)
    }

    #[test]
    fn names_split_into_lower_case_words() {
        assert_eq!(name_tokens("createdAt"), ["created", "at"]);
        assert_eq!(name_tokens("view_count"), ["view", "count"]);
        assert_eq!(name_tokens("HTTPStatus"), ["httpstatus"]);
    }

    #[test]
    fn ranges_follow_field_names() {
        assert_eq!(guess_range("price", DataType::Float).hi, 999.99);
        assert!(guess_range("unit_price", DataType::Double).cents);
        assert_eq!(guess_range("rating", DataType::Int8).hi, 5.0);
        assert_eq!(
            guess_range("created_at", DataType::Int64).lo,
            EPOCH_2020 as f64
        );
        assert!(guess_range("view_count", DataType::Int64).zipf);
        assert!(!guess_range("account_id", DataType::Int64).zipf);
        assert_eq!(guess_range("posts", DataType::Int64).lo, 0.0);
        assert_eq!(guess_range("latitude", DataType::Double).lo, -90.0);
        assert_eq!(guess_range("translation", DataType::Double).hi, 1.0);
        assert_eq!(guess_range("lng", DataType::Float).hi, 180.0);
    }

    #[test]
    fn integers_stay_in_range_and_type() {
        let mut rng = FastRng::new(3);
        let g = IntGen::new(&field("x", DataType::Int8), DataType::Int8).unwrap();
        let mut f = field("x", DataType::Int16);
        f.min = Some(crate::schema::Bound::from(-5.0));
        f.max = Some(crate::schema::Bound::from(5.0));
        f.distribution = Some(Distribution::Normal {
            mean: Some(4.0),
            std: Some(10.0),
        });
        let n = IntGen::new(&f, DataType::Int16).unwrap();
        let mut full = field("y", DataType::Int64);
        full.min = Some(crate::schema::Bound::from(i64::MIN));
        full.max = Some(crate::schema::Bound::from(i64::MAX));
        let full = IntGen::new(&full, DataType::Int64).unwrap();
        for _ in 0..10_000 {
            assert!((0..=127).contains(&g.draw(&mut rng)));
            assert!((-5..=5).contains(&n.draw(&mut rng)));
            full.draw(&mut rng);
        }
    }

    #[test]
    fn zipf_prefers_the_low_end_and_normal_centres_on_its_mean() {
        let mut rng = FastRng::new(5);
        let mut f = field("category_id", DataType::Int64);
        f.min = Some(crate::schema::Bound::from(1.0));
        f.max = Some(crate::schema::Bound::from(100.0));
        f.distribution = Some(Distribution::Zipf {
            exponent: Some(1.05),
        });
        let z = IntGen::new(&f, DataType::Int64).unwrap();
        let draws: Vec<i64> = (0..20_000).map(|_| z.draw(&mut rng)).collect();
        let ones = draws.iter().filter(|v| **v == 1).count();
        let hundreds = draws.iter().filter(|v| **v == 100).count();
        assert!(draws.iter().all(|v| (1..=100).contains(v)));
        assert!(ones > 10 * hundreds.max(1), "{ones} vs {hundreds}");

        let mut f = field("w", DataType::Double);
        f.min = Some(crate::schema::Bound::from(0.0));
        f.max = Some(crate::schema::Bound::from(100.0));
        f.distribution = Some(Distribution::Normal {
            mean: Some(30.0),
            std: Some(5.0),
        });
        let g = FloatGen::new(&f, DataType::Double).unwrap();
        let mean = (0..20_000).map(|_| g.draw(&mut rng)).sum::<f64>() / 20_000.0;
        assert!((mean - 30.0).abs() < 0.3, "{mean}");
    }

    #[test]
    fn prices_are_cents_inside_the_range() {
        let mut rng = FastRng::new(9);
        let mut f = field("price", DataType::Float);
        f.min = Some(crate::schema::Bound::from(0.99));
        f.max = Some(crate::schema::Bound::from(999.99));
        let g = FloatGen::new(&f, DataType::Float).unwrap();
        for _ in 0..10_000 {
            let v = g.draw(&mut rng);
            assert!((0.99..=999.99).contains(&v), "{v}");
            assert!(((v * 100.0).round() - v * 100.0).abs() < 0.01, "{v}");
        }
    }
}
