//! A small deterministic random generator keyed by (seed, key, row).
//!
//! Keying by row (not by chunk) means a row's values never depend on how the host splits the
//! dataset into calls, which is exactly what the host's determinism promise needs.

/// SplitMix64-based generator: fast, tiny, good enough for synthetic data (not cryptography).
#[derive(Debug, Clone)]
pub struct RowRng {
    state: u64,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, stable across Rust releases (unlike std's hasher).
pub(crate) fn hash_str(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Natural logarithm of a positive, finite, normal `x`, to within about 1e-15 absolute plus
/// 1e-13 relative error (plenty for draws stored as `f32`).
///
/// The normal samplers call this instead of `f64::ln` because WebAssembly has no logarithm
/// instruction: `ln` is a call into the guest's libm, and every call also pays the host's
/// time-limit check at function entry. This one inlines: `x = 2^k * m` with `m` in `[1, 2)`;
/// the top 6 bits of `m` pick `c` (the middle of its 1/64-wide bucket, so `|m/c - 1| < 1/128`)
/// and `ln x = k ln 2 + ln c + ln(m/c)`, the last by its Taylor series to `r^7` (next term
/// below 1e-17).
#[inline(always)]
fn ln(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    let bits = x.to_bits();
    let k = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let (inv_c, ln_c) = LN_TABLE[((bits >> 46) & 63) as usize];
    let r = m * inv_c - 1.0;
    let r2 = r * r;
    let p = r + r2
        * ((-0.5 + r * (1.0 / 3.0))
            + r2 * ((-0.25 + r * 0.2) + r2 * (-1.0 / 6.0 + r * (1.0 / 7.0))));
    k as f64 * LN2 + ln_c + p
}

/// `(1/c, ln c)` for `c = 1 + (i + 0.5)/64`, computed at compile time (IEEE arithmetic is
/// exact-rounded in const evaluation, so every platform gets the same table).
const LN_TABLE: [(f64, f64); 64] = ln_table();

const fn ln_table() -> [(f64, f64); 64] {
    let mut table = [(0.0, 0.0); 64];
    let mut i = 0;
    while i < 64 {
        let c = 1.0 + (i as f64 + 0.5) / 64.0;
        table[i] = (1.0 / c, ln_series(c));
        i += 1;
    }
    table
}

/// `ln c` for `c` in `[1, 2)` as `2 atanh(z)`, `z = (c - 1)/(c + 1)` (`z < 1/3`), summed to
/// `z^61` (terms fall by at least 9x each). Slow; only the table uses it.
const fn ln_series(c: f64) -> f64 {
    let z = (c - 1.0) / (c + 1.0);
    let w = z * z;
    let mut sum = 0.0;
    let mut n = 61;
    while n >= 1 {
        sum = sum * w + 1.0 / n as f64;
        n -= 2;
    }
    2.0 * z * sum
}

/// Marsaglia's polar step: the two normal draws a candidate `(u, v, u^2 + v^2)` gives, or
/// `None` when it falls outside the unit disc (or on its centre).
#[inline(always)]
fn polar((u, v, s): (f64, f64, f64)) -> Option<(f64, f64)> {
    (s > 0.0 && s < 1.0).then(|| {
        let m = (-2.0 * ln(s) / s).sqrt();
        (u * m, v * m)
    })
}

impl RowRng {
    /// The stream for one row of one field (use the field name as `key`).
    pub fn for_row(seed: u64, key: &str, row: u64) -> RowRng {
        let state = mix(seed ^ mix(hash_str(key)) ^ mix(row.wrapping_add(0x9e37_79b9_7f4a_7c15)));
        RowRng { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift range reduction; the 32-bit form avoids 128-bit multiplication, which
        // WebAssembly lacks (it would be a library call per draw).
        match u32::try_from(n) {
            Ok(n) => ((self.next_u64() >> 32) * u64::from(n)) >> 32,
            Err(_) => ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64,
        }
    }

    /// Two independent standard normal draws (Marsaglia's polar method: one `ln` and one
    /// `sqrt` per pair, no trigonometry; about 1.27 pairs of uniforms per call).
    pub fn normal_pair(&mut self) -> (f64, f64) {
        loop {
            if let Some(pair) = polar(self.candidate()) {
                return pair;
            }
        }
    }

    /// Fills `out` with standard normal draws: the pairs [`RowRng::normal_pair`] would give,
    /// in order (for an odd length the last pair's second draw is dropped). The values depend
    /// only on the stream and `out.len()`.
    ///
    /// Two candidate pairs are drawn per loop iteration: the logarithms of the two are
    /// independent, and a sandboxed plugin pays the host's time-limit check once per iteration.
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        let n = out.len();
        let mut i = 0;
        while i < n {
            let first = self.candidate();
            let second = self.candidate();
            for candidate in [first, second] {
                if i < n
                    && let Some((a, b)) = polar(candidate)
                {
                    out[i] = a as f32;
                    if i + 1 < n {
                        out[i + 1] = b as f32;
                    }
                    i += 2;
                }
            }
        }
    }

    /// A point uniform in the square [-1, 1)^2 and its squared length.
    fn candidate(&mut self) -> (f64, f64, f64) {
        let u = self.next_f64() * 2.0 - 1.0;
        let v = self.next_f64() * 2.0 - 1.0;
        (u, v, u * u + v * v)
    }

    /// A standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_the_platform_logarithm() {
        let mut r = RowRng::for_row(7, "ln", 0);
        let mut xs: Vec<f64> = (0..200_000)
            .map(|_| r.next_f64())
            .filter(|x| *x > 0.0)
            .collect();
        xs.extend([
            1e-300,
            2f64.powi(-104),
            0.5,
            std::f64::consts::FRAC_1_SQRT_2,
            0.7071067811865475,
            1.0,
        ]);
        xs.extend([1.0 - f64::EPSILON, 1.0 + f64::EPSILON, 2.0, 1e300, f64::MAX]);
        for x in xs {
            let (got, want) = (ln(x), x.ln());
            let err = (got - want).abs();
            assert!(
                err <= 1e-15 + 1e-13 * want.abs(),
                "ln({x:e}) = {got:e}, want {want:e}"
            );
        }
    }

    #[test]
    fn fill_normal_gives_the_pairs_in_order() {
        for len in [0, 1, 2, 7, 768] {
            let mut filled = vec![0f32; len];
            RowRng::for_row(3, "v", 9).fill_normal(&mut filled);
            let mut r = RowRng::for_row(3, "v", 9);
            let mut want = Vec::new();
            while want.len() < len {
                let (a, b) = r.normal_pair();
                want.extend([a as f32, b as f32]);
            }
            want.truncate(len);
            assert_eq!(filled, want);
        }
        let mut v = vec![0f32; 100_000];
        RowRng::for_row(1, "stats", 0).fill_normal(&mut v);
        let mean = v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len() as f64;
        let var = v
            .iter()
            .map(|x| (f64::from(*x) - mean).powi(2))
            .sum::<f64>()
            / v.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
    }

    #[test]
    fn rows_are_independent_streams() {
        let a = RowRng::for_row(1, "f", 5).next_u64();
        assert_eq!(a, RowRng::for_row(1, "f", 5).next_u64());
        assert_ne!(a, RowRng::for_row(1, "f", 6).next_u64());
        assert_ne!(a, RowRng::for_row(2, "f", 5).next_u64());
        assert_ne!(a, RowRng::for_row(1, "g", 5).next_u64());
        let mut r = RowRng::for_row(0, "x", 0);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
