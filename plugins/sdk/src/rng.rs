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
