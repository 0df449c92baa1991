//! The true scores of the rows a server returned, recomputed from the dataset.
//!
//! A quantized index (IVF_PQ, SQ8, ... without refine) reports approximate distances, mostly
//! closer than the true ones, so judging an answer by the server's score lets wrong rows tie
//! the k-th true neighbour. Recall judges each returned key by its own vector's exact score
//! instead (as ann-benchmarks does): the dataset is scanned once (primary key and vector
//! columns only) for the vectors of every key any answer returned.

use std::collections::{HashMap, HashSet};

use super::error::Result;
use super::metric::{DenseOp, Metric, binary_score, dense_scores, norm, normalize, sparse_dot};
use super::truth::{key_at, scan_columns};
use super::vectors::{VectorSet, column_error};
use crate::milvus::dataset::Dataset;
use crate::milvus::query::Pk;
use crate::schema::Field;

/// Answers of one sweep point: per query, the (key, score) list, or `None` if the search failed.
pub type Answers = Vec<Option<Vec<(Pk, f32)>>>;

/// Replaces every score in `points` (per point, per query) with the exact score of the
/// returned key's vector in the dataset against query `i` of `queries`, in the server's
/// convention (squared L2, IP, COSINE, HAMMING, JACCARD). Keys the dataset does not hold get
/// NaN, which never ties anything. Returns how many distinct returned keys were not found.
pub fn rescore(
    dataset: &Dataset,
    field: &Field,
    metric: Metric,
    queries: &VectorSet,
    points: &mut [Answers],
) -> Result<u64> {
    let wanted: HashSet<Pk> = points
        .iter()
        .flatten()
        .flatten()
        .flat_map(|answer| answer.iter().map(|(pk, _)| pk.clone()))
        .collect();
    let (slots, vectors) = fetch(dataset, field, &wanted)?;
    let queries = prepared(queries, metric);
    for answers in points.iter_mut() {
        for (q, answer) in answers.iter_mut().enumerate() {
            for (pk, score) in answer.iter_mut().flatten() {
                *score = match slots.get(&*pk) {
                    Some(&row) => pair_score(metric, &queries, q, &vectors, row),
                    None => f32::NAN,
                };
            }
        }
    }
    Ok((wanted.len() - slots.len()) as u64)
}

/// The vectors of the `wanted` keys: key -> index into the returned set.
fn fetch(
    dataset: &Dataset,
    field: &Field,
    wanted: &HashSet<Pk>,
) -> Result<(HashMap<Pk, usize>, VectorSet)> {
    let dim = field.dim.unwrap_or(0) as usize;
    let mut vectors = VectorSet::empty(field.data_type, dim);
    let mut slots = HashMap::with_capacity(wanted.len());
    if wanted.is_empty() {
        return Ok((slots, vectors));
    }
    let pk = dataset
        .schema()
        .primary()
        .map(|f| f.name.clone())
        .unwrap_or_default();
    for f in 0..dataset.file_count() {
        let path = dataset.path(f);
        let what = format!("{}: column `{}`", path.display(), field.name);
        scan_columns(
            dataset,
            f,
            &[pk.as_str(), field.name.as_str()],
            &mut |batch| {
                let keys = batch
                    .column_by_name(&pk)
                    .ok_or_else(|| column_error(&path, format!("no column `{pk}`")))?;
                let mut rows = Vec::new();
                for i in 0..batch.num_rows() {
                    let key = Pk::from(&key_at(keys, i, &path)?);
                    if wanted.contains(&key) && !slots.contains_key(&key) {
                        slots.insert(key, slots.len());
                        rows.push(i);
                    }
                }
                if !rows.is_empty() {
                    let column = batch.column_by_name(&field.name).ok_or_else(|| {
                        column_error(&path, format!("no column `{}`", field.name))
                    })?;
                    let taken = arrow_select::take::take(
                        column.as_ref(),
                        &arrow_array::UInt32Array::from_iter_values(rows.iter().map(|&r| r as u32)),
                        None,
                    )
                    .map_err(|e| column_error(&path, e.to_string()))?;
                    let set = VectorSet::from_column(field.data_type, dim, &taken, &what)
                        .map_err(|r| column_error(&path, r))?;
                    vectors.extend(set);
                }
                Ok(slots.len() < wanted.len())
            },
        )?;
        if slots.len() == wanted.len() {
            break;
        }
    }
    Ok((slots, vectors))
}

/// Queries as the brute force scores them: unit length for COSINE.
fn prepared(queries: &VectorSet, metric: Metric) -> VectorSet {
    let mut queries = queries.clone();
    if metric == Metric::Cosine
        && let VectorSet::Dense { dim, data } = &mut queries
    {
        data.chunks_exact_mut(*dim).for_each(normalize);
    }
    queries
}

/// Score of query `q` against row `r`, computed as [`super::topk::BruteForce`] does.
fn pair_score(metric: Metric, queries: &VectorSet, q: usize, rows: &VectorSet, r: usize) -> f32 {
    match (queries, rows) {
        (VectorSet::Dense { dim, data: qs }, VectorSet::Dense { data: xs, .. }) => {
            let (query, row) = (&qs[q * dim..(q + 1) * dim], &xs[r * dim..(r + 1) * dim]);
            let op = if metric == Metric::L2 {
                DenseOp::L2
            } else {
                DenseOp::Dot
            };
            let mut out = [0f32];
            dense_scores(op, query, row, *dim, &mut out);
            if metric == Metric::Cosine {
                let n = norm(row);
                if n > 0.0 { out[0] * (1.0 / n) } else { 0.0 }
            } else {
                out[0]
            }
        }
        (VectorSet::Binary { bytes, data: qs }, VectorSet::Binary { data: xs, .. }) => {
            binary_score(
                metric,
                &qs[q * bytes..(q + 1) * bytes],
                &xs[r * bytes..(r + 1) * bytes],
            )
        }
        (VectorSet::Sparse { rows: qs }, VectorSet::Sparse { rows: xs }) => {
            sparse_dot(&qs[q], &xs[r])
        }
        _ => panic!("queries and rows of different vector shapes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::topk::BruteForce;
    use crate::schema::DataType;

    #[test]
    fn pair_scores_equal_the_brute_force_scores() {
        let data = VectorSet::random(DataType::FloatVector, 20, 50, 1);
        let queries = VectorSet::random(DataType::FloatVector, 20, 3, 2);
        for metric in [Metric::L2, Metric::Ip, Metric::Cosine] {
            let mut brute = BruteForce::new(&queries, metric, 5);
            brute.add(0, &data);
            let q = prepared(&queries, metric);
            for (i, top) in brute.finish().iter().enumerate() {
                for &(row, score) in top {
                    assert_eq!(pair_score(metric, &q, i, &data, row as usize), score);
                }
            }
        }
    }
}
