//! Few distinct values: `enum_values` lists and `cardinality_ratio` pools.
//!
//! A pool never exists in memory: value `i` of the pool is drawn from its own stream
//! (seed, field, `Setup`, i), so a pool of ten million brands costs nothing up front and any
//! process derives the same brand for the same index.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Zipf};

use super::numbers::zipf;
use super::scalar::{Scalar, ScalarSource};
use crate::generate::rng::{Purpose, stream};
use crate::generate::{GenContext, GenerateError};
use crate::schema::{DataType, Distribution, Field};

/// How an index into `n` choices is picked.
enum Pick {
    Uniform(u64),
    Zipf(Zipf<f64>),
}

impl Pick {
    fn new(field: &Field, name: &str, n: u64) -> Result<Pick, GenerateError> {
        Ok(match &field.distribution {
            Some(Distribution::Zipf { exponent }) => Pick::Zipf(zipf(name, n as f64, *exponent)?),
            _ => Pick::Uniform(n),
        })
    }

    fn index(&self, rng: &mut ChaCha8Rng) -> u64 {
        match self {
            Pick::Uniform(n) => rng.random_range(0..*n),
            Pick::Zipf(d) => d.sample(rng) as u64 - 1,
        }
    }
}

/// One of the declared `enum_values`.
pub(crate) struct EnumSource {
    values: Vec<Scalar>,
    pick: Pick,
}

impl EnumSource {
    pub(crate) fn new(
        field: &Field,
        name: &str,
        t: DataType,
        literals: &[serde_json::Value],
    ) -> Result<EnumSource, GenerateError> {
        let values = literals
            .iter()
            .map(|v| {
                Scalar::from_literal(t, v).ok_or_else(|| {
                    GenerateError::field(name, format!("enum value {v} is not a {t} value"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err(GenerateError::field(name, "enum_values is empty"));
        }
        let pick = Pick::new(field, name, values.len() as u64)?;
        Ok(EnumSource { values, pick })
    }
}

impl ScalarSource for EnumSource {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar {
        let i = self.pick.index(rng) as usize;
        self.values[i.min(self.values.len() - 1)].clone()
    }
}

/// About `cardinality_ratio * total_rows` distinct values of `inner`.
pub(crate) struct PoolSource {
    inner: Box<dyn ScalarSource>,
    pick: Pick,
    seed: u64,
    path: String,
}

impl PoolSource {
    pub(crate) fn new(
        ctx: &GenContext,
        field: &Field,
        path: &str,
        ratio: f64,
        inner: Box<dyn ScalarSource>,
    ) -> Result<PoolSource, GenerateError> {
        let size = ((ratio * ctx.total_rows as f64).ceil() as u64).max(1);
        Ok(PoolSource {
            inner,
            pick: Pick::new(field, path, size)?,
            seed: ctx.seed,
            path: path.to_string(),
        })
    }
}

impl ScalarSource for PoolSource {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar {
        let i = self.pick.index(rng);
        self.inner
            .draw(&mut stream(self.seed, &self.path, Purpose::Setup, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::values::strings::StringSource;
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn a_pool_has_about_ratio_times_rows_distinct_values() {
        let ctx = GenContext {
            seed: 1,
            total_rows: 100_000,
        };
        let mut f = Field::new("brand", DataType::VarChar);
        f.max_length = Some(64);
        f.kind = Some("hex".into());
        let inner = Box::new(StringSource::new(&f, "brand").unwrap());
        let pool = PoolSource::new(&ctx, &f, "brand", 0.001, inner).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let distinct: HashSet<String> = (0..20_000)
            .map(|_| match pool.draw(&mut rng) {
                Scalar::Str(s) => s,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(distinct.len(), 100);
    }

    #[test]
    fn enums_draw_only_declared_values_and_zipf_prefers_the_first() {
        let mut f = Field::new("c", DataType::VarChar);
        f.distribution = Some(Distribution::Zipf {
            exponent: Some(1.5),
        });
        let lits: Vec<serde_json::Value> = ["a", "b", "c", "d"].map(Into::into).to_vec();
        let src = EnumSource::new(&f, "c", DataType::VarChar, &lits).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let draws: Vec<Scalar> = (0..4000).map(|_| src.draw(&mut rng)).collect();
        let count = |s: &str| {
            draws
                .iter()
                .filter(|d| **d == Scalar::Str(s.into()))
                .count()
        };
        assert_eq!(count("a") + count("b") + count("c") + count("d"), 4000);
        assert!(count("a") > count("b") && count("b") > count("d"));
    }
}
