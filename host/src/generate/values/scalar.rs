//! One scalar value at a time (Bool, integers, floats, VarChar), with `enum_values` and
//! `cardinality_ratio` layered on top, and the typed buffers columns and arrays collect into.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array,
};
use rand::Rng;
use rand::distr::Distribution as _;
use rand_distr::Zipf;
use serde_json::Value;

use crate::generate::column::GenContext;
use crate::generate::error::GenerateError;
use crate::generate::rng::{Purpose, scramble, stream};
use crate::schema::{DataType, Distribution, Field};

use super::fastrng::FastRng;
use super::numeric::{FloatGen, IntGen};
use super::text::StrGen;

/// Pools up to this size are drawn once at build time; larger ones are recomputed per value
/// from the value's index (same values, no memory).
const POOL_LIMIT: u64 = 65_536;

/// Chooses an index among `n` values.
#[derive(Debug, Clone)]
pub enum Picker {
    Uniform(u64),
    /// Rank 1 is the most frequent, so zipf skews towards the first values.
    Zipf(Zipf<f64>),
}

impl Picker {
    fn new(field: &Field, n: u64) -> Result<Picker, GenerateError> {
        match &field.distribution {
            Some(Distribution::Zipf { exponent }) => {
                let e = exponent.unwrap_or(1.1);
                Zipf::new(n as f64, e).map(Picker::Zipf).map_err(|err| {
                    GenerateError::field(&field.name, format!("zipf exponent {e}: {err}"))
                })
            }
            _ => Ok(Picker::Uniform(n)),
        }
    }

    #[inline]
    fn pick(&self, rng: &mut FastRng) -> u64 {
        match self {
            Picker::Uniform(n) => rng.below(*n),
            Picker::Zipf(z) => (z.sample(rng) as u64).saturating_sub(1),
        }
    }
}

/// A base generator plus the ways values can be reused.
#[derive(Debug, Clone)]
pub enum Source<G, V> {
    Fresh(G),
    /// `enum_values`, or a cardinality pool drawn at build time.
    Pool {
        values: Vec<V>,
        picker: Picker,
    },
    /// A cardinality pool too large to hold: value k is drawn from a generator seeded by k.
    Hashed {
        base: G,
        picker: Picker,
        key: u64,
    },
}

/// A fair coin.
#[derive(Debug, Clone)]
pub struct Coin;

impl Source<Coin, bool> {
    #[inline]
    fn draw(&self, rng: &mut FastRng) -> bool {
        match self {
            Source::Fresh(Coin) | Source::Hashed { .. } => rng.bits() >> 63 == 1,
            Source::Pool { values, picker } => values[picker.pick(rng) as usize],
        }
    }
}

macro_rules! numeric_source {
    ($base:ty, $v:ty) => {
        impl Source<$base, $v> {
            #[inline]
            fn draw(&self, rng: &mut FastRng) -> $v {
                match self {
                    Source::Fresh(g) => g.draw(rng),
                    Source::Pool { values, picker } => values[picker.pick(rng) as usize],
                    Source::Hashed { base, picker, key } => {
                        let k = picker.pick(rng);
                        base.draw(&mut FastRng::new(scramble(k, *key)))
                    }
                }
            }
        }
    };
}
numeric_source!(IntGen, i64);
numeric_source!(FloatGen, f64);

impl Source<StrGen, String> {
    /// One value; borrowed from the pool or written into `scratch`.
    #[inline]
    fn draw<'a>(&'a self, rng: &mut FastRng, scratch: &'a mut String) -> &'a str {
        match self {
            Source::Fresh(g) => {
                g.draw(rng, scratch);
                scratch
            }
            Source::Pool { values, picker } => &values[picker.pick(rng) as usize],
            Source::Hashed { base, picker, key } => {
                let k = picker.pick(rng);
                base.draw(&mut FastRng::new(scramble(k, *key)), scratch);
                scratch
            }
        }
    }
}

/// Draws values of one scalar Milvus type.
#[derive(Debug, Clone)]
pub enum ScalarGen {
    Bool(Source<Coin, bool>),
    Int(Source<IntGen, i64>),
    Float(Source<FloatGen, f64>),
    Str(Source<StrGen, String>),
}

/// Values collected for one column (or the elements of an array column).
pub enum ScalarBuf {
    Bool(BooleanBuilder),
    Int(Vec<i64>),
    Float(Vec<f64>),
    Str(StringBuilder, String),
}

impl ScalarGen {
    /// The generator of `value_type` values for `field` (its range, kind, enum values and
    /// cardinality); `path` keys the cardinality pool.
    pub fn new(
        field: &Field,
        value_type: DataType,
        path: &str,
        ctx: &GenContext,
    ) -> Result<ScalarGen, GenerateError> {
        if let Some(values) = &field.enum_values {
            return enum_pool(field, value_type, values);
        }
        let Some(ratio) = field.cardinality_ratio else {
            return fresh(field, value_type);
        };
        let k = ((ratio * ctx.total_rows as f64).round() as u64).max(1);
        let picker = Picker::new(field, k)?;
        // The picker does the skewing; values themselves are drawn plainly.
        let mut plain = field.clone();
        if matches!(plain.distribution, Some(Distribution::Zipf { .. })) {
            plain.distribution = None;
        }
        let key: u64 = stream(ctx.seed, path, Purpose::Setup, 0).random();
        let base = fresh(&plain, value_type)?;
        Ok(match base {
            ScalarGen::Bool(_) => ScalarGen::Bool(Source::Fresh(Coin)),
            ScalarGen::Int(Source::Fresh(g)) => {
                ScalarGen::Int(layer(g, picker, key, k, |g, r| g.draw(r)))
            }
            ScalarGen::Float(Source::Fresh(g)) => {
                ScalarGen::Float(layer(g, picker, key, k, |g, r| g.draw(r)))
            }
            ScalarGen::Str(Source::Fresh(g)) => ScalarGen::Str(layer(g, picker, key, k, |g, r| {
                let mut s = String::new();
                g.draw(r, &mut s);
                s
            })),
            other => other,
        })
    }

    pub fn new_buf(&self, capacity: usize) -> ScalarBuf {
        match self {
            ScalarGen::Bool(_) => ScalarBuf::Bool(BooleanBuilder::with_capacity(capacity)),
            ScalarGen::Int(_) => ScalarBuf::Int(Vec::with_capacity(capacity)),
            ScalarGen::Float(_) => ScalarBuf::Float(Vec::with_capacity(capacity)),
            ScalarGen::Str(_) => ScalarBuf::Str(
                StringBuilder::with_capacity(capacity, capacity * 16),
                String::new(),
            ),
        }
    }

    /// Draws one value into `buf`, which must come from this generator's `new_buf`.
    #[inline]
    pub fn append(&self, rng: &mut FastRng, buf: &mut ScalarBuf) {
        match (self, buf) {
            (ScalarGen::Bool(s), ScalarBuf::Bool(b)) => b.append_value(s.draw(rng)),
            (ScalarGen::Int(s), ScalarBuf::Int(v)) => v.push(s.draw(rng)),
            (ScalarGen::Float(s), ScalarBuf::Float(v)) => v.push(s.draw(rng)),
            (ScalarGen::Str(s), ScalarBuf::Str(b, scratch)) => b.append_value(s.draw(rng, scratch)),
            _ => unreachable!("a ScalarBuf is only filled by the generator that made it"),
        }
    }
}

impl ScalarBuf {
    /// The Arrow array of `value_type` (integers and floats narrowed to the type, whose range
    /// the generators already respect).
    pub fn finish(self, value_type: DataType) -> ArrayRef {
        match self {
            ScalarBuf::Bool(mut b) => Arc::new(b.finish()),
            ScalarBuf::Int(v) => match value_type {
                DataType::Int8 => Arc::new(Int8Array::from_iter_values(v.iter().map(|x| *x as i8))),
                DataType::Int16 => {
                    Arc::new(Int16Array::from_iter_values(v.iter().map(|x| *x as i16)))
                }
                DataType::Int32 => {
                    Arc::new(Int32Array::from_iter_values(v.iter().map(|x| *x as i32)))
                }
                _ => Arc::new(Int64Array::from(v)),
            },
            ScalarBuf::Float(v) => match value_type {
                DataType::Float => {
                    Arc::new(Float32Array::from_iter_values(v.iter().map(|x| *x as f32)))
                }
                _ => Arc::new(Float64Array::from(v)),
            },
            ScalarBuf::Str(mut b, _) => Arc::new(b.finish()),
        }
    }
}

fn fresh(field: &Field, value_type: DataType) -> Result<ScalarGen, GenerateError> {
    Ok(match value_type {
        DataType::Bool => ScalarGen::Bool(Source::Fresh(Coin)),
        t if t.is_integer() => ScalarGen::Int(Source::Fresh(IntGen::new(field, t)?)),
        t if t.is_float() => ScalarGen::Float(Source::Fresh(FloatGen::new(field, t)?)),
        DataType::VarChar => ScalarGen::Str(Source::Fresh(StrGen::new(field)?)),
        t => {
            return Err(GenerateError::field(
                &field.name,
                format!("{t} is not a scalar type"),
            ));
        }
    })
}

/// A pool of `k` values (held when small, recomputed by index when large).
fn layer<G, V>(
    base: G,
    picker: Picker,
    key: u64,
    k: u64,
    draw: impl Fn(&G, &mut FastRng) -> V,
) -> Source<G, V> {
    if k <= POOL_LIMIT {
        let values = (0..k)
            .map(|i| draw(&base, &mut FastRng::new(scramble(i, key))))
            .collect();
        Source::Pool { values, picker }
    } else {
        Source::Hashed { base, picker, key }
    }
}

fn enum_pool(field: &Field, t: DataType, values: &[Value]) -> Result<ScalarGen, GenerateError> {
    if values.is_empty() {
        return Err(GenerateError::field(
            &field.name,
            "enum_values must not be empty",
        ));
    }
    let picker = Picker::new(field, values.len() as u64)?;
    let wrong =
        |v: &Value| GenerateError::field(&field.name, format!("enum value {v} is not a {t} value"));
    Ok(match t {
        DataType::Bool => ScalarGen::Bool(Source::Pool {
            values: values
                .iter()
                .map(|v| v.as_bool().ok_or_else(|| wrong(v)))
                .collect::<Result<_, _>>()?,
            picker,
        }),
        t if t.is_integer() => {
            let (lo, hi) = t.integer_range().expect("integer type");
            ScalarGen::Int(Source::Pool {
                values: values
                    .iter()
                    .map(|v| {
                        v.as_i64()
                            .filter(|n| (lo..=hi).contains(n))
                            .ok_or_else(|| wrong(v))
                    })
                    .collect::<Result<_, _>>()?,
                picker,
            })
        }
        t if t.is_float() => ScalarGen::Float(Source::Pool {
            values: values
                .iter()
                .map(|v| v.as_f64().ok_or_else(|| wrong(v)))
                .collect::<Result<_, _>>()?,
            picker,
        }),
        DataType::VarChar => {
            let max = field.max_length.unwrap_or(u32::MAX) as usize;
            ScalarGen::Str(Source::Pool {
                values: values
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .filter(|s| s.len() <= max)
                            .map(str::to_string)
                            .ok_or_else(|| wrong(v))
                    })
                    .collect::<Result<_, _>>()?,
                picker,
            })
        }
        t => {
            return Err(GenerateError::field(
                &field.name,
                format!("{t} cannot take enum_values"),
            ));
        }
    })
}
