//! `bench recall DIR`: recall@k of a collection's search against exact ground truth computed
//! from the dataset it was loaded from, for each value of a swept search parameter (`ef`,
//! `nprobe`, ...), with the QPS of each point.
//!
//! A returned row counts as a true neighbour when its key is among the exact top-k, or when its
//! score ties the k-th exact score (within float rounding): with ties at the boundary any of
//! the tied rows is a correct answer. The score judged is the row's true score, recomputed
//! from the dataset ([`super::rescore`]), never the server's (approximate for quantized
//! indexes, which would let wrong rows tie).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::coverage::{Coverage, IndexCoverage, ensure_indexed};
use super::error::{MeasureError, Result};
use super::latency::Latency;
use super::load::{ProgressFn, Stop, run};
use super::metric::Metric;
use super::queries::{QuerySource, query_vectors};
use super::rescore::{Answers, rescore};
use super::target::{Sweep, Target, resolve};
use super::truth::{GroundTruth, Key, TruthProgress, ground_truth};
use crate::milvus::Client;
use crate::milvus::bench_search::{PreparedSearch, SearchSpec};
use crate::milvus::dataset::Dataset;
use crate::milvus::inspect::statistics_row_count;
use crate::milvus::query::Pk;
use crate::schema::DataType;

/// Relative tolerance for a score to tie the k-th exact score.
const TIE_TOLERANCE: f32 = 1e-5;

/// What `bench recall` runs.
#[derive(Debug, Clone)]
pub struct RecallOptions {
    pub collection: String,
    pub anns_field: Option<String>,
    pub top_k: usize,
    pub queries: usize,
    pub query_source: Option<QuerySource>,
    pub seed: u64,
    /// Base search parameters; the swept one is set on top for each point.
    pub params: Map<String, Value>,
    pub sweep: Option<Sweep>,
    /// Searches in flight while measuring each point.
    pub concurrency: usize,
    /// Recompute the ground truth even when cached.
    pub refresh_truth: bool,
    /// How long to wait for every row to be searched through the index (flushing first);
    /// `None` measures as the collection is (the coverage is still reported).
    pub index_wait: Option<Duration>,
}

/// One search-parameter value and what it achieved.
#[derive(Debug, Clone, Serialize)]
pub struct RecallPoint {
    /// The swept parameter's value (`None` without a sweep).
    pub value: Option<Value>,
    pub params: Map<String, Value>,
    /// Mean recall@k over the queries that were answered.
    pub recall: f64,
    /// The worst query's recall.
    pub min_recall: f64,
    pub qps: f64,
    pub latency: Latency,
    pub errors: u64,
    pub error_examples: Vec<String>,
}

/// What `bench recall` measured.
#[derive(Debug, Clone, Serialize)]
pub struct RecallReport {
    pub collection: String,
    pub anns_field: String,
    pub metric: Metric,
    pub index_type: Option<String>,
    pub top_k: usize,
    pub queries: usize,
    pub query_source: QuerySource,
    pub dataset_rows: u64,
    pub collection_rows: Option<u64>,
    /// The swept parameter's name.
    pub sweep: Option<String>,
    pub concurrency: usize,
    /// Whether the searches went through the index for every row (see [`IndexCoverage`]).
    pub index_coverage: IndexCoverage,
    pub truth_seconds: f64,
    pub truth_cached: bool,
    /// Queries with fewer than `top_k` true neighbours (sparse rows sharing an index with the
    /// query): their recall is over the neighbours that exist.
    pub queries_short_of_k: u64,
    /// Queries with no true neighbour at all (counted as recall 1 when the answer is empty).
    pub queries_without_neighbours: u64,
    pub points: Vec<RecallPoint>,
    pub notes: Vec<String>,
    /// What the numbers do not cover: rows searched without the index.
    pub warnings: Vec<String>,
}

/// Hooks for a progress display.
pub trait RecallProgress: TruthProgress {
    /// A sweep point starts; returns the callback told of finished queries.
    fn point(&self, _params: &Map<String, Value>) -> Option<ProgressFn> {
        None
    }
}

/// Runs recall for every sweep point. Failed searches are counted, not raised.
pub async fn bench_recall(
    client: &Client,
    dataset: &Dataset,
    options: &RecallOptions,
    progress: &dyn RecallProgress,
) -> Result<RecallReport> {
    if options.top_k == 0 {
        return Err(MeasureError::Usage("--top-k must be at least 1".into()));
    }
    let target = resolve(
        client,
        &options.collection,
        options.anns_field.as_deref(),
        Some(dataset.schema()),
    )
    .await?;
    let metric = Metric::parse(&target.metric)?;
    let field = target.schema_field(Some(dataset.schema()));
    let (vectors, source) = query_vectors(
        Some(dataset),
        &field,
        options.queries.max(1),
        options.query_source,
        options.seed,
    )?;
    let truth = tokio::task::block_in_place(|| {
        ground_truth(
            dataset,
            &field,
            metric,
            options.top_k,
            &vectors,
            options.refresh_truth,
            progress,
        )
    })?;
    let mut notes = Vec::new();
    let coverage = ensure_indexed(
        client,
        &target.info.name,
        &target.field.name,
        options.index_wait,
    )
    .await?;
    let warnings: Vec<String> = (coverage.coverage != Coverage::Complete)
        .then(|| coverage.describe())
        .into_iter()
        .collect();
    notes.extend(short_note(&truth, vectors.len()));
    let collection_rows = statistics_row_count(client, &target.info.name).await.ok();
    if let Some(rows) = collection_rows
        && rows != dataset.total_rows()
    {
        notes.push(format!(
            "the collection reports {rows} rows, the dataset has {}: recall is measured against the dataset",
            dataset.total_rows()
        ));
    }
    let encoded: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..vectors.len())
            .map(|i| vectors.encode(field.data_type, i))
            .collect(),
    );
    let (mut points, mut answers) =
        run_points(client, &target, field.data_type, options, encoded, progress).await?;
    // The server's scores are approximate for quantized indexes: judge by the true ones.
    let unknown =
        tokio::task::block_in_place(|| rescore(dataset, &field, metric, &vectors, &mut answers))?;
    if unknown > 0 {
        notes.push(format!(
            "{unknown} returned keys are not in the dataset: counted as wrong answers"
        ));
    }
    for (point, got) in points.iter_mut().zip(&answers) {
        (point.recall, point.min_recall) = recall_of_answers(&truth, got, metric, options.top_k);
    }
    Ok(RecallReport {
        collection: target.info.name.clone(),
        anns_field: target.field.name.clone(),
        metric,
        index_type: target.field.index_type.clone(),
        top_k: options.top_k,
        queries: vectors.len(),
        query_source: source,
        dataset_rows: dataset.total_rows(),
        collection_rows,
        sweep: options.sweep.as_ref().map(|s| s.param.clone()),
        concurrency: options.concurrency,
        index_coverage: coverage,
        truth_seconds: truth.seconds,
        truth_cached: truth.cached,
        queries_short_of_k: truth.short_queries(),
        queries_without_neighbours: truth.empty_queries(),
        points,
        notes,
        warnings,
    })
}

/// Searches every query once per sweep point: each point's QPS and latency, and its answers
/// (per query, `None` when the search failed).
async fn run_points(
    client: &Client,
    target: &Target,
    vector_type: DataType,
    options: &RecallOptions,
    encoded: Arc<Vec<Vec<u8>>>,
    progress: &dyn RecallProgress,
) -> Result<(Vec<RecallPoint>, Vec<Answers>)> {
    let values: Vec<Option<Value>> = match &options.sweep {
        Some(s) => s.values.iter().cloned().map(Some).collect(),
        None => vec![None],
    };
    let mut points = Vec::new();
    let mut answers = Vec::new();
    for value in values {
        let mut params = options.params.clone();
        if let (Some(s), Some(v)) = (&options.sweep, &value) {
            params.insert(s.param.clone(), v.clone());
        }
        let spec = SearchSpec {
            collection: target.info.name.clone(),
            anns_field: target.field.name.clone(),
            metric: target.metric.clone(),
            top_k: options.top_k,
            params: params.clone(),
            filter: String::new(),
            output_fields: Vec::new(),
        };
        let search = PreparedSearch::new(client, &spec, vector_type)?;
        let result = run(
            &search,
            encoded.clone(),
            options.concurrency,
            Stop::Queries(encoded.len() as u64),
            true,
            progress.point(&params),
        )
        .await;
        answers.push(result.hits);
        points.push(RecallPoint {
            value,
            params,
            recall: 0.0,
            min_recall: 0.0,
            qps: result.qps,
            latency: result.latency,
            errors: result.errors,
            error_examples: result.error_examples,
        });
    }
    Ok((points, answers))
}

/// Says how many queries have fewer than k true neighbours, and why.
fn short_note(truth: &GroundTruth, queries: usize) -> Option<String> {
    let short = truth.short_queries();
    (short > 0).then(|| {
        let why = if truth.rows < truth.k as u64 {
            "the dataset has fewer rows than k"
        } else {
            "a sparse row sharing no index with the query is no neighbour"
        };
        format!(
            "{short} of {queries} queries have fewer than {} true neighbours ({} have none): {why}, so their recall is over the neighbours that exist",
            truth.k,
            truth.empty_queries()
        )
    })
}

/// Mean and minimum recall@k over the answered queries.
pub fn recall_of_answers(
    truth: &GroundTruth,
    answers: &[Option<Vec<(Pk, f32)>>],
    metric: Metric,
    k: usize,
) -> (f64, f64) {
    let mut sum = 0.0;
    let mut min = f64::INFINITY;
    let mut n = 0usize;
    for (exact, got) in truth.neighbours.iter().zip(answers) {
        let Some(got) = got else { continue };
        let r = recall_at_k(exact, got, metric, k);
        sum += r;
        min = min.min(r);
        n += 1;
    }
    if n == 0 {
        (0.0, 0.0)
    } else {
        (sum / n as f64, min)
    }
}

/// Recall@k of one answer against the exact neighbours (closest first). `got`'s scores must be
/// the returned rows' true scores (see [`super::rescore::rescore`]).
pub fn recall_at_k(exact: &[(Key, f32)], got: &[(Pk, f32)], metric: Metric, k: usize) -> f64 {
    let wanted = k.min(exact.len());
    if wanted == 0 {
        return 1.0;
    }
    let set: HashSet<Pk> = exact[..wanted].iter().map(|(key, _)| key.into()).collect();
    let kth = metric.key(exact[wanted - 1].1);
    let tolerance = TIE_TOLERANCE * kth.abs().max(1.0);
    let mut seen = HashSet::new();
    let found = got
        .iter()
        .take(k)
        .filter(|(pk, _)| seen.insert(pk.clone()))
        .filter(|(pk, score)| set.contains(pk) || metric.key(*score) <= kth + tolerance)
        .count();
    found.min(wanted) as f64 / wanted as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_counts_true_keys_and_ties_at_the_boundary() {
        let exact = vec![(Key::Int(1), 0.9), (Key::Int(2), 0.8), (Key::Int(3), 0.7)];
        let all = vec![(Pk::Int(3), 0.7), (Pk::Int(1), 0.9), (Pk::Int(2), 0.8)];
        assert_eq!(recall_at_k(&exact, &all, Metric::Ip, 3), 1.0);
        let one_wrong = vec![(Pk::Int(1), 0.9), (Pk::Int(2), 0.8), (Pk::Int(9), 0.5)];
        assert!((recall_at_k(&exact, &one_wrong, Metric::Ip, 3) - 2.0 / 3.0).abs() < 1e-9);
        // Row 9 scores exactly as well as the 3rd exact neighbour: a tie, so correct.
        let tie = vec![(Pk::Int(1), 0.9), (Pk::Int(2), 0.8), (Pk::Int(9), 0.7)];
        assert_eq!(recall_at_k(&exact, &tie, Metric::Ip, 3), 1.0);
        // Duplicates in an answer count once.
        let dup = vec![(Pk::Int(1), 0.9), (Pk::Int(1), 0.9), (Pk::Int(1), 0.9)];
        assert!((recall_at_k(&exact, &dup, Metric::Ip, 3) - 1.0 / 3.0).abs() < 1e-9);
        let l2 = vec![(Key::Int(1), 0.1), (Key::Int(2), 0.2)];
        assert_eq!(
            recall_at_k(&l2, &[(Pk::Int(2), 0.2), (Pk::Int(5), 0.3)], Metric::L2, 2),
            0.5
        );
    }
}
