//! A fast per-chunk generator and a table-driven normal sampler.
//!
//! ChaCha8 is what makes streams independent and reproducible, but vectors need hundreds of
//! millions of draws per second. So each chunk (and each pooled value) draws one seed from its
//! ChaCha stream and then runs wyrand, which costs about a nanosecond per 64 bits and passes
//! the statistical tests that matter for test data.

use std::sync::OnceLock;

use rand::{Rng, RngCore};

/// wyrand: a 64-bit counter mixed by one wide multiplication.
#[derive(Debug, Clone)]
pub struct FastRng {
    state: u64,
}

impl FastRng {
    pub fn new(seed: u64) -> FastRng {
        FastRng { state: seed }
    }

    /// Seeded from another generator (the chunk's ChaCha stream).
    pub fn from_rng<R: Rng + ?Sized>(rng: &mut R) -> FastRng {
        FastRng::new(rng.random())
    }

    #[inline]
    pub fn bits(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.state).wrapping_mul(u128::from(self.state ^ 0xe703_7ed1_a0b4_28db));
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Uniform in `0..n` (n > 0) by the multiply-shift method; the bias is below 2^-32 for
    /// every n this crate uses.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.bits()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw (exact within ±4.3 sigma; see [`NormalTable`]).
    #[inline]
    pub fn normal(&mut self) -> f32 {
        normal_table().sample((self.bits() >> 48) as u16)
    }

    /// Four standard normal draws from one 64-bit draw.
    #[inline]
    pub fn normal4(&mut self) -> [f32; 4] {
        let t = normal_table();
        let x = self.bits();
        [
            t.sample(x as u16),
            t.sample((x >> 16) as u16),
            t.sample((x >> 32) as u16),
            t.sample((x >> 48) as u16),
        ]
    }
}

impl RngCore for FastRng {
    fn next_u32(&mut self) -> u32 {
        (self.bits() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.bits()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.bits().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// The inverse normal CDF at 1024 evenly spaced probabilities, interpolated linearly: a
/// 16-bit uniform becomes a normal draw with one lookup. The tails are cut at the quantiles of
/// 1/65536, which is invisible in vector directions and keeps every value finite.
pub struct NormalTable {
    /// `quantile[i]` is the inverse CDF at `i / 1024` (ends clamped), 1025 entries.
    quantile: Vec<f32>,
}

const TABLE_BITS: u32 = 10;

impl NormalTable {
    fn build() -> NormalTable {
        // CDF by trapezoid integration of the density on a fine grid, then inverted by a scan:
        // plain arithmetic, accurate to ~1e-9, computed once per process.
        let (lo, hi, steps) = (-6.0f64, 6.0f64, 240_000usize);
        let h = (hi - lo) / steps as f64;
        let pdf = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let n = 1usize << TABLE_BITS;
        let tail = 1.0 / 65_536.0;
        let mut quantile = vec![0f32; n + 1];
        let mut cdf = 0.0f64;
        let mut x = lo;
        let mut next = 0usize;
        let target = |i: usize| ((i as f64) / n as f64).clamp(tail, 1.0 - tail);
        for _ in 0..steps {
            let step = 0.5 * h * (pdf(x) + pdf(x + h));
            while next <= n && cdf + step >= target(next) {
                let frac = (target(next) - cdf) / step;
                quantile[next] = (x + frac * h) as f32;
                next += 1;
            }
            cdf += step;
            x += h;
        }
        while next <= n {
            quantile[next] = quantile[next - 1];
            next += 1;
        }
        NormalTable { quantile }
    }

    #[inline]
    fn sample(&self, u: u16) -> f32 {
        let i = usize::from(u >> (16 - TABLE_BITS));
        let frac = f32::from(u & ((1 << (16 - TABLE_BITS)) - 1)) * (1.0 / 64.0) + (1.0 / 128.0);
        let a = self.quantile[i];
        let b = self.quantile[i + 1];
        a + (b - a) * frac
    }
}

pub fn normal_table() -> &'static NormalTable {
    static TABLE: OnceLock<NormalTable> = OnceLock::new();
    TABLE.get_or_init(NormalTable::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_draws_have_unit_variance_and_symmetric_tails() {
        let mut rng = FastRng::new(7);
        let n = 400_000;
        let (mut sum, mut sq, mut beyond2) = (0f64, 0f64, 0usize);
        for _ in 0..n / 4 {
            for v in rng.normal4() {
                let v = f64::from(v);
                sum += v;
                sq += v * v;
                if v.abs() > 2.0 {
                    beyond2 += 1;
                }
            }
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
        // P(|Z| > 2) = 0.0455
        let share = beyond2 as f64 / n as f64;
        assert!(
            (share - 0.0455).abs() < 0.003,
            "share beyond 2 sigma {share}"
        );
    }

    #[test]
    fn below_and_unit_stay_in_range() {
        let mut rng = FastRng::new(1);
        for _ in 0..10_000 {
            assert!(rng.below(7) < 7);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
