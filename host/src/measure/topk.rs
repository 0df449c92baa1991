//! Exact top-k by brute force over batches of vectors, in parallel across cores.
//!
//! Each batch is scored against every query; queries are split into chunks that the rayon
//! pool works on independently (each chunk owns its queries' heaps, so nothing is shared or
//! locked). Dense batches are taken a cache-sized slice at a time, and inside a chunk each
//! slice is walked in blocks of [`BLOCK_ROWS`] rows that stay in L1 while every query of the
//! chunk is scored against them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::metric::{DenseOp, Metric, binary_score, dense_scores, norm, normalize, sparse_dot};
use super::vectors::VectorSet;

/// Rows scored together per query (64 x 128-d floats = 32 KiB, in L1).
const BLOCK_ROWS: usize = 64;
/// Rows all threads score together (2048 x 128-d floats = 1 MiB, in L2/L3).
const SUB_ROWS: usize = 2048;

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: f32,
    row: u64,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Closer first; equal keys by row, so results do not depend on thread timing.
    fn cmp(&self, other: &Self) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then(self.row.cmp(&other.row))
    }
}

/// The `k` closest rows seen so far for one query (a max-heap of keys).
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Entry>,
}

impl TopK {
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    #[inline]
    pub fn offer(&mut self, key: f32, row: u64) {
        if key.is_nan() {
            return;
        }
        let entry = Entry { key, row };
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if let Some(worst) = self.heap.peek()
            && entry < *worst
        {
            self.heap.pop();
            self.heap.push(entry);
        }
    }

    /// (row, key) closest first.
    pub fn sorted(&self) -> Vec<(u64, f32)> {
        let mut v: Vec<Entry> = self.heap.iter().copied().collect();
        v.sort();
        v.into_iter().map(|e| (e.row, e.key)).collect()
    }
}

/// Brute-force state for one set of queries.
pub struct BruteForce {
    metric: Metric,
    queries: VectorSet,
    heaps: Vec<TopK>,
    chunk: usize,
}

impl BruteForce {
    /// Prepares `queries` (normalised for COSINE) for a top-`k` search in `metric`.
    pub fn new(queries: &VectorSet, metric: Metric, k: usize) -> BruteForce {
        let mut queries = queries.clone();
        if metric == Metric::Cosine
            && let VectorSet::Dense { dim, data } = &mut queries
        {
            data.chunks_exact_mut(*dim).for_each(normalize);
        }
        let n = queries.len();
        // Several chunks per thread so a slow one does not hold the batch up.
        let chunk = n.div_ceil(rayon::current_num_threads() * 4).max(1);
        BruteForce {
            metric,
            heaps: vec![TopK::new(k); n],
            queries,
            chunk,
        }
    }

    /// Scores every query against `batch`, whose first row is dataset row `first_row`.
    pub fn add(&mut self, first_row: u64, batch: &VectorSet) {
        if let VectorSet::Dense { data, .. } = batch {
            return self.add_dense(first_row, data);
        }
        let metric = self.metric;
        let chunk = self.chunk;
        match (&self.queries, batch) {
            (VectorSet::Binary { bytes, data: q }, VectorSet::Binary { data: rows, .. }) => {
                let bytes = *bytes;
                self.heaps
                    .par_chunks_mut(chunk)
                    .zip(q.par_chunks(chunk * bytes))
                    .for_each(|(heaps, qs)| {
                        for (heap, query) in heaps.iter_mut().zip(qs.chunks_exact(bytes)) {
                            for (i, row) in rows.chunks_exact(bytes).enumerate() {
                                let s = binary_score(metric, query, row);
                                heap.offer(metric.key(s), first_row + i as u64);
                            }
                        }
                    });
            }
            (VectorSet::Sparse { rows: q }, VectorSet::Sparse { rows }) => {
                self.heaps
                    .par_chunks_mut(chunk)
                    .zip(q.par_chunks(chunk))
                    .for_each(|(heaps, qs)| {
                        for (heap, query) in heaps.iter_mut().zip(qs) {
                            for (i, row) in rows.iter().enumerate() {
                                // A row sharing no index with the query (score 0) is no
                                // neighbour: the server never returns it, so the truth must
                                // not pad a short top-k with it.
                                let s = sparse_dot(query, row);
                                if s > 0.0 {
                                    heap.offer(metric.key(s), first_row + i as u64);
                                }
                            }
                        }
                    });
            }
            _ => panic!("queries and rows of different vector shapes"),
        }
    }

    /// Scores every query against dense rows (`dim` floats each) starting at `first_row`.
    /// The rows are taken [`SUB_ROWS`] at a time, each slice scored by all threads while it
    /// is in cache, so the rows are read from memory once whatever the number of queries.
    pub fn add_dense(&mut self, first_row: u64, rows: &[f32]) {
        let VectorSet::Dense { dim, data: q } = &self.queries else {
            panic!("dense rows for non-dense queries")
        };
        let (dim, metric, chunk) = (*dim, self.metric, self.chunk);
        let op = if metric == Metric::L2 {
            DenseOp::L2
        } else {
            DenseOp::Dot
        };
        for (s, slice) in rows.chunks(SUB_ROWS * dim).enumerate() {
            let slice_first = first_row + (s * SUB_ROWS) as u64;
            // COSINE = dot(q/|q|, x) / |x|: each row's norm is computed once.
            let inv_norms: Vec<f32> = if metric == Metric::Cosine {
                slice
                    .chunks_exact(dim)
                    .map(|r| {
                        let n = norm(r);
                        if n > 0.0 { 1.0 / n } else { 0.0 }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            self.heaps
                .par_chunks_mut(chunk)
                .zip(q.par_chunks(chunk * dim))
                .for_each(|(heaps, qs)| {
                    let mut scores = [0f32; BLOCK_ROWS];
                    for (b, block) in slice.chunks(BLOCK_ROWS * dim).enumerate() {
                        let n = block.len() / dim;
                        let base = b * BLOCK_ROWS;
                        for (heap, query) in heaps.iter_mut().zip(qs.chunks_exact(dim)) {
                            dense_scores(op, query, block, dim, &mut scores[..n]);
                            for (i, s) in scores[..n].iter().enumerate() {
                                let score = if inv_norms.is_empty() {
                                    *s
                                } else {
                                    s * inv_norms[base + i]
                                };
                                heap.offer(metric.key(score), slice_first + (base + i) as u64);
                            }
                        }
                    }
                });
        }
    }

    /// Per query: (dataset row, score in the server's convention), closest first. Sparse
    /// queries list only rows with a positive score, so fewer than k when fewer rows share an
    /// index with the query.
    pub fn finish(self) -> Vec<Vec<(u64, f32)>> {
        let metric = self.metric;
        self.heaps
            .iter()
            .map(|h| {
                h.sorted()
                    .into_iter()
                    .map(|(row, key)| (row, metric.score(key)))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_closest_and_breaks_ties_by_row() {
        let mut t = TopK::new(3);
        for (row, key) in [(0, 5.0), (1, 1.0), (2, 3.0), (3, 1.0), (4, 9.0), (5, 0.5)] {
            t.offer(key, row);
        }
        assert_eq!(t.sorted(), vec![(5, 0.5), (1, 1.0), (3, 1.0)]);
    }

    #[test]
    fn sparse_truth_lists_only_rows_sharing_an_index() {
        let rows = VectorSet::Sparse {
            rows: vec![
                vec![(1, 1.0)],
                vec![(2, 1.0), (7, 0.5)],
                vec![(3, 2.0)],
                vec![(7, 2.0)],
            ],
        };
        let queries = VectorSet::Sparse {
            rows: vec![vec![(7, 1.0)], vec![(9, 1.0)]],
        };
        let mut brute = BruteForce::new(&queries, Metric::Ip, 3);
        brute.add(0, &rows);
        assert_eq!(brute.finish(), vec![vec![(3, 2.0), (1, 0.5)], vec![]]);
    }

    #[test]
    fn batches_in_any_split_give_the_same_answer() {
        let data = VectorSet::random(crate::schema::DataType::FloatVector, 24, 500, 3);
        let queries = VectorSet::random(crate::schema::DataType::FloatVector, 24, 37, 4);
        for metric in [Metric::L2, Metric::Ip, Metric::Cosine] {
            let mut whole = BruteForce::new(&queries, metric, 7);
            whole.add(0, &data);
            let mut parts = BruteForce::new(&queries, metric, 7);
            let VectorSet::Dense { data: d, .. } = &data else {
                unreachable!()
            };
            for (i, chunk) in d.chunks(24 * 130).enumerate() {
                let part = VectorSet::Dense {
                    dim: 24,
                    data: chunk.to_vec(),
                };
                parts.add((i * 130) as u64, &part);
            }
            let (a, b) = (whole.finish(), parts.finish());
            assert_eq!(a, b, "{metric}");
            // Closest first, in the server's convention.
            let first = &a[0];
            if metric.larger_is_closer() {
                assert!(first[0].1 >= first[6].1);
            } else {
                assert!(first[0].1 <= first[6].1);
            }
        }
    }
}
