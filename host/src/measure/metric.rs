//! Distance metrics as Milvus scores them, and the inner loops of the brute-force search.
//!
//! Scores follow the server's conventions so recall can compare them directly: `L2` is the
//! squared Euclidean distance, `IP` the dot product, `COSINE` the cosine similarity, `HAMMING`
//! the number of differing bits, `JACCARD` one minus intersection over union of the set bits.
//! Internally every score becomes a *key* where smaller is better.
//!
//! The dense loops keep 16 independent partial sums so they vectorise; on x86-64 CPUs with
//! AVX2 the same code is compiled a second time for those instructions and chosen at run time.

use std::fmt;

use serde::Serialize;

use super::error::{MeasureError, Result};

/// A metric brute force can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Metric {
    L2,
    Ip,
    Cosine,
    Hamming,
    Jaccard,
}

impl Metric {
    /// Parses a Milvus metric name (case-insensitive).
    pub fn parse(name: &str) -> Result<Metric> {
        Ok(match name.to_ascii_uppercase().as_str() {
            "L2" => Metric::L2,
            "IP" => Metric::Ip,
            "COSINE" => Metric::Cosine,
            "HAMMING" => Metric::Hamming,
            "JACCARD" => Metric::Jaccard,
            other => {
                return Err(MeasureError::Usage(format!(
                    "metric `{other}` cannot be computed by brute force (supported: L2, IP, COSINE, HAMMING, JACCARD)"
                )));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::L2 => "L2",
            Metric::Ip => "IP",
            Metric::Cosine => "COSINE",
            Metric::Hamming => "HAMMING",
            Metric::Jaccard => "JACCARD",
        }
    }

    /// Whether a larger score is a closer neighbour (IP, COSINE).
    pub fn larger_is_closer(self) -> bool {
        matches!(self, Metric::Ip | Metric::Cosine)
    }

    /// The ordering key of a score: smaller is closer.
    pub fn key(self, score: f32) -> f32 {
        if self.larger_is_closer() {
            -score
        } else {
            score
        }
    }

    /// The score back from its key.
    pub fn score(self, key: f32) -> f32 {
        self.key(key)
    }

    pub fn is_binary(self) -> bool {
        matches!(self, Metric::Hamming | Metric::Jaccard)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which dense loop to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseOp {
    /// Dot product (IP; COSINE on normalised vectors).
    Dot,
    /// Squared Euclidean distance.
    L2,
}

#[inline(always)]
fn sum16(acc: [f32; 16]) -> f32 {
    let mut half = [0f32; 8];
    for i in 0..8 {
        half[i] = acc[i] + acc[i + 8];
    }
    (half[0] + half[4]) + (half[1] + half[5]) + ((half[2] + half[6]) + (half[3] + half[7]))
}

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (mut ca, mut cb) = (a.chunks_exact(16), b.chunks_exact(16));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    sum16(acc) + tail
}

#[inline(always)]
fn l2_body(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (mut ca, mut cb) = (a.chunks_exact(16), b.chunks_exact(16));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..16 {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    sum16(acc) + tail
}

#[inline(always)]
fn block_body(op: DenseOp, query: &[f32], rows: &[f32], dim: usize, out: &mut [f32]) {
    match op {
        DenseOp::Dot => {
            for (row, o) in rows.chunks_exact(dim).zip(out) {
                *o = dot_body(query, row);
            }
        }
        DenseOp::L2 => {
            for (row, o) in rows.chunks_exact(dim).zip(out) {
                *o = l2_body(query, row);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn block_avx2(op: DenseOp, query: &[f32], rows: &[f32], dim: usize, out: &mut [f32]) {
    block_body(op, query, rows, dim, out)
}

fn block_portable(op: DenseOp, query: &[f32], rows: &[f32], dim: usize, out: &mut [f32]) {
    block_body(op, query, rows, dim, out)
}

/// Scores `query` against each `dim`-float row of `rows`, into `out` (one per row).
pub fn dense_scores(op: DenseOp, query: &[f32], rows: &[f32], dim: usize, out: &mut [f32]) {
    debug_assert_eq!(query.len(), dim);
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has just been checked for the features block_avx2 is compiled for.
            unsafe { block_avx2(op, query, rows, dim, out) };
            return;
        }
    }
    block_portable(op, query, rows, dim, out)
}

/// Euclidean length of a vector.
pub fn norm(v: &[f32]) -> f32 {
    dot_body(v, v).sqrt()
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let n = norm(v);
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn words(a: &[u8]) -> impl Iterator<Item = u64> + '_ {
    let chunks = a.chunks_exact(8);
    let tail = chunks.remainder();
    chunks
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .chain((!tail.is_empty()).then(|| {
            let mut w = [0u8; 8];
            w[..tail.len()].copy_from_slice(tail);
            u64::from_le_bytes(w)
        }))
}

/// HAMMING or JACCARD of two bit vectors of equal length.
pub fn binary_score(metric: Metric, a: &[u8], b: &[u8]) -> f32 {
    match metric {
        Metric::Hamming => words(a)
            .zip(words(b))
            .map(|(x, y)| (x ^ y).count_ones())
            .sum::<u32>() as f32,
        _ => {
            let (mut inter, mut union) = (0u32, 0u32);
            for (x, y) in words(a).zip(words(b)) {
                inter += (x & y).count_ones();
                union += (x | y).count_ones();
            }
            if union == 0 {
                0.0
            } else {
                1.0 - inter as f32 / union as f32
            }
        }
    }
}

/// Dot product of two sparse vectors given as index-sorted (index, value) pairs.
pub fn sparse_dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn dense_loops_match_the_textbook_formulas_for_any_dim() {
        for dim in [1, 3, 15, 16, 17, 33, 128, 130] {
            let q: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.37).sin()).collect();
            let rows: Vec<f32> = (0..dim * 5).map(|i| (i as f32 * 0.11).cos()).collect();
            let mut dots = vec![0f32; 5];
            let mut l2 = vec![0f32; 5];
            dense_scores(DenseOp::Dot, &q, &rows, dim, &mut dots);
            dense_scores(DenseOp::L2, &q, &rows, dim, &mut l2);
            for (r, row) in rows.chunks(dim).enumerate() {
                assert!((dots[r] - naive_dot(&q, row)).abs() < 1e-4, "dim {dim}");
                let want: f32 = q.iter().zip(row).map(|(x, y)| (x - y) * (x - y)).sum();
                assert!((l2[r] - want).abs() < 1e-4, "dim {dim}");
            }
        }
    }

    #[test]
    fn binary_and_sparse_scores() {
        let a = [0b1111_0000u8, 0xff, 0x01];
        let b = [0b1010_0000u8, 0x0f, 0x01];
        assert_eq!(binary_score(Metric::Hamming, &a, &b), 2.0 + 4.0);
        // a has 4+8+1 = 13 bits, b has 2+4+1 = 7, all of b's are in a.
        assert!((binary_score(Metric::Jaccard, &a, &b) - (1.0 - 7.0 / 13.0)).abs() < 1e-6);
        assert_eq!(binary_score(Metric::Jaccard, &[0], &[0]), 0.0);
        let x = [(1, 2.0), (5, 1.0), (9, 3.0)];
        let y = [(0, 7.0), (5, 4.0), (9, 0.5)];
        assert_eq!(sparse_dot(&x, &y), 4.0 + 1.5);
    }

    #[test]
    fn keys_order_closer_first() {
        assert!(Metric::Ip.key(0.9) < Metric::Ip.key(0.1));
        assert!(Metric::L2.key(0.1) < Metric::L2.key(0.9));
        assert_eq!(Metric::Cosine.score(Metric::Cosine.key(0.5)), 0.5);
        assert!(Metric::parse("bm25").is_err());
        assert_eq!(Metric::parse("cosine").unwrap(), Metric::Cosine);
    }
}
