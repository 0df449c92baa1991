//! Booleans, integers and floats: ranges, distributions, and ranges guessed from field names when
//! the schema gives none (an `age` is 18-90, a `created_at` an epoch second, not 0-1e9).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal, Zipf};

use super::scalar::{Scalar, ScalarSource};
use crate::generate::GenerateError;
use crate::schema::{DataType, Distribution, Field};

/// Epoch seconds of 2015-01-01 and 2026-01-01: the window for timestamp-like integers.
const EPOCH_FROM: i64 = 1_420_070_400;
const EPOCH_TO: i64 = 1_767_225_600;

pub(crate) struct BoolSource;

impl ScalarSource for BoolSource {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar {
        Scalar::Bool(rng.random())
    }
}

enum IntShape {
    Uniform,
    Normal(Normal<f64>),
    /// Rank 1 (the most frequent) is `lo`, rank 2 is `lo + 1`, ...
    Zipf(Zipf<f64>),
}

pub(crate) struct IntSource {
    lo: i64,
    hi: i64,
    shape: IntShape,
}

impl IntSource {
    pub(crate) fn new(field: &Field, name: &str, t: DataType) -> Result<IntSource, GenerateError> {
        let (lo, hi) = int_range(field, name, t);
        let shape = match &field.distribution {
            Some(Distribution::Normal { mean, std }) => {
                IntShape::Normal(normal(name, lo as f64, hi as f64, *mean, *std)?)
            }
            Some(Distribution::Zipf { exponent }) => {
                // Zipf over more than 2^53 ranks is indistinguishable from a shorter tail.
                let n = ((hi as i128 - lo as i128 + 1) as f64).min(9.0e15);
                IntShape::Zipf(zipf(name, n, *exponent)?)
            }
            _ => IntShape::Uniform,
        };
        Ok(IntSource { lo, hi, shape })
    }

    #[cfg(test)]
    pub(crate) fn range(&self) -> (i64, i64) {
        (self.lo, self.hi)
    }
}

impl ScalarSource for IntSource {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar {
        let v = match &self.shape {
            IntShape::Uniform => rng.random_range(self.lo..=self.hi),
            IntShape::Normal(d) => (d.sample(rng).round() as i64).clamp(self.lo, self.hi),
            IntShape::Zipf(d) => {
                let rank = d.sample(rng) as i64;
                self.lo.saturating_add(rank - 1).min(self.hi)
            }
        };
        Scalar::Int(v)
    }
}

enum FloatShape {
    Uniform,
    Normal(Normal<f64>),
}

pub(crate) struct FloatSource {
    lo: f64,
    hi: f64,
    shape: FloatShape,
    /// Prices and the like look wrong with 15 decimals.
    decimals: Option<i32>,
}

impl FloatSource {
    pub(crate) fn new(field: &Field, name: &str) -> Result<FloatSource, GenerateError> {
        let (lo, hi, decimals) = float_range(field, name);
        let shape = match &field.distribution {
            Some(Distribution::Normal { mean, std }) => {
                FloatShape::Normal(normal(name, lo, hi, *mean, *std)?)
            }
            _ => FloatShape::Uniform,
        };
        Ok(FloatSource {
            lo,
            hi,
            shape,
            decimals,
        })
    }
}

impl ScalarSource for FloatSource {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar {
        let mut v = match &self.shape {
            FloatShape::Uniform => self.lo + (self.hi - self.lo) * rng.random::<f64>(),
            FloatShape::Normal(d) => d.sample(rng),
        };
        if let Some(d) = self.decimals {
            let scale = 10f64.powi(d);
            v = (v * scale).round() / scale;
        }
        Scalar::Float(v.clamp(self.lo, self.hi))
    }
}

fn normal(
    name: &str,
    lo: f64,
    hi: f64,
    mean: Option<f64>,
    std: Option<f64>,
) -> Result<Normal<f64>, GenerateError> {
    let mean = mean.unwrap_or((lo + hi) / 2.0);
    // A zero-width range still needs a positive deviation; clamping pins the value anyway.
    let std = std.unwrap_or(((hi - lo) / 6.0).max(f64::MIN_POSITIVE));
    Normal::new(mean, std).map_err(|e| {
        GenerateError::field(
            name,
            format!("normal distribution (mean {mean}, std {std}): {e}"),
        )
    })
}

pub(crate) fn zipf(name: &str, n: f64, exponent: Option<f64>) -> Result<Zipf<f64>, GenerateError> {
    let s = exponent.unwrap_or(1.1);
    Zipf::new(n.max(1.0), s).map_err(|e| {
        GenerateError::field(
            name,
            format!("zipf distribution (n {n}, exponent {s}): {e}"),
        )
    })
}

fn name_has(name: &str, words: &[&str]) -> bool {
    let n = name.to_ascii_lowercase();
    words.iter().any(|w| n.contains(w))
}

/// The range of an integer field: the schema's `min`/`max` where given, else a range that suits
/// the field's name, always inside the type.
fn int_range(field: &Field, name: &str, t: DataType) -> (i64, i64) {
    let (tlo, thi) = t.integer_range().unwrap_or((i64::MIN, i64::MAX));
    let (dlo, dhi) = if name_has(name, &["timestamp", "_at", "time", "epoch", "date"]) {
        (EPOCH_FROM, EPOCH_TO)
    } else if name_has(name, &["year"]) {
        (1970, 2025)
    } else if name_has(name, &["age"]) && !name_has(name, &["page", "image", "usage"]) {
        (18, 90)
    } else if name_has(name, &["rating", "stars", "priority", "level"]) {
        (1, 5)
    } else if name_has(name, &["count", "num", "qty", "quantity", "views", "likes"]) {
        (0, 1000)
    } else {
        match t {
            DataType::Int8 => (0, 100),
            DataType::Int16 => (0, 10_000),
            DataType::Int32 => (0, 1_000_000),
            _ => (0, 1_000_000_000),
        }
    };
    let (dlo, dhi) = (dlo.clamp(tlo, thi), dhi.clamp(tlo, thi));
    let span = dhi - dlo;
    let lo = field.min.map(|m| m as i64);
    let hi = field.max.map(|m| m as i64);
    match (lo, hi) {
        (Some(lo), Some(hi)) => (lo, hi),
        (Some(lo), None) => (
            lo,
            if dhi >= lo {
                dhi
            } else {
                lo.saturating_add(span).min(thi)
            },
        ),
        (None, Some(hi)) => (
            if dlo <= hi {
                dlo
            } else {
                hi.saturating_sub(span).max(tlo)
            },
            hi,
        ),
        (None, None) => (dlo, dhi),
    }
}

/// The range (and rounding) of a float field, like [`int_range`].
fn float_range(field: &Field, name: &str) -> (f64, f64, Option<i32>) {
    let (dlo, dhi, decimals) = if name_has(name, &["price", "amount", "cost", "fee", "total"]) {
        (1.0, 1000.0, Some(2))
    } else if name_has(name, &["latitude", "lat"]) && !name_has(name, &["late"]) {
        (-90.0, 90.0, None)
    } else if name_has(name, &["longitude", "lon", "lng"]) {
        (-180.0, 180.0, None)
    } else if name_has(name, &["rating", "stars"]) {
        (1.0, 5.0, Some(1))
    } else {
        (0.0, 1.0, None)
    };
    let span = dhi - dlo;
    let lo = field.min;
    let hi = field.max;
    let (lo, hi) = match (lo, hi) {
        (Some(lo), Some(hi)) => (lo, hi),
        (Some(lo), None) => (lo, if dhi >= lo { dhi } else { lo + span }),
        (None, Some(hi)) => (if dlo <= hi { dlo } else { hi - span }, hi),
        (None, None) => (dlo, dhi),
    };
    (lo, hi, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(7)
    }

    fn ints(src: &IntSource, n: usize) -> Vec<i64> {
        let mut r = rng();
        (0..n)
            .map(|_| match src.draw(&mut r) {
                Scalar::Int(i) => i,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn integers_stay_in_declared_and_guessed_ranges() {
        let mut f = Field::new("x", DataType::Int8);
        f.min = Some(-5.0);
        f.max = Some(5.0);
        let src = IntSource::new(&f, "x", DataType::Int8).unwrap();
        assert!(ints(&src, 2000).iter().all(|v| (-5..=5).contains(v)));

        let f = Field::new("created_at", DataType::Int64);
        let src = IntSource::new(&f, "created_at", DataType::Int64).unwrap();
        assert!(
            ints(&src, 100)
                .iter()
                .all(|v| (EPOCH_FROM..=EPOCH_TO).contains(v))
        );

        // Only a min above the guessed range: the range moves up instead of inverting.
        let mut f = Field::new("x", DataType::Int8);
        f.min = Some(120.0);
        let src = IntSource::new(&f, "x", DataType::Int8).unwrap();
        assert_eq!(src.range(), (120, 127));
    }

    #[test]
    fn zipf_makes_the_low_ranks_common_and_normal_clusters_at_the_mean() {
        let mut f = Field::new("category_id", DataType::Int64);
        f.min = Some(1.0);
        f.max = Some(100.0);
        f.distribution = Some(Distribution::Zipf { exponent: None });
        let src = IntSource::new(&f, "category_id", DataType::Int64).unwrap();
        let v = ints(&src, 10_000);
        let ones = v.iter().filter(|&&x| x == 1).count();
        let hundreds = v.iter().filter(|&&x| x == 100).count();
        assert!(ones > 10 * hundreds.max(1), "{ones} vs {hundreds}");
        assert!(v.iter().all(|x| (1..=100).contains(x)));

        let mut f = Field::new("w", DataType::Int32);
        f.min = Some(80.0);
        f.max = Some(4000.0);
        f.distribution = Some(Distribution::Normal {
            mean: Some(900.0),
            std: Some(400.0),
        });
        let src = IntSource::new(&f, "w", DataType::Int32).unwrap();
        let v = ints(&src, 10_000);
        let mean = v.iter().sum::<i64>() as f64 / v.len() as f64;
        assert!((mean - 900.0).abs() < 30.0, "{mean}");
        assert!(v.iter().all(|x| (80..=4000).contains(x)));
    }

    #[test]
    fn prices_have_two_decimals_and_declared_ranges_hold() {
        let f = Field::new("price", DataType::Float);
        let src = FloatSource::new(&f, "price").unwrap();
        let mut r = rng();
        for _ in 0..1000 {
            let Scalar::Float(v) = src.draw(&mut r) else {
                panic!()
            };
            assert!((1.0..=1000.0).contains(&v));
            assert!(((v * 100.0).round() - v * 100.0).abs() < 1e-6, "{v}");
        }
        let mut f = Field::new("s", DataType::Double);
        f.min = Some(-2.0);
        f.max = Some(-1.0);
        let src = FloatSource::new(&f, "s").unwrap();
        for _ in 0..1000 {
            let Scalar::Float(v) = src.draw(&mut r) else {
                panic!()
            };
            assert!((-2.0..=-1.0).contains(&v));
        }
    }
}
