//! `bench search`: QPS and latency of a collection's vector search at several concurrency
//! levels, each after a warm-up, with query vectors from a dataset or random ones of the
//! field's type.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::coverage::{Coverage, IndexCoverage, ensure_indexed};
use super::error::Result;
use super::load::{ProgressFn, RunResult, Stop, run};
use super::queries::{QuerySource, query_vectors};
use super::target::resolve;
use crate::milvus::Client;
use crate::milvus::bench_search::{PreparedSearch, SearchSpec};
use crate::milvus::dataset::Dataset;
use crate::schema::DataType;

/// What `bench search` runs.
#[derive(Debug, Clone)]
pub struct SearchBenchOptions {
    pub collection: String,
    pub anns_field: Option<String>,
    pub top_k: usize,
    /// One run per level, in this order.
    pub concurrency: Vec<usize>,
    pub stop: Stop,
    /// Queries sent (and not measured) before each level.
    pub warmup: u64,
    pub filter: String,
    pub params: Map<String, Value>,
    pub output_fields: Vec<String>,
    /// Distinct query vectors, reused round-robin.
    pub vectors: usize,
    pub query_source: Option<QuerySource>,
    pub seed: u64,
    /// How long to wait for every row to be searched through the index (flushing first);
    /// `None` measures as the collection is (the coverage is still reported).
    pub index_wait: Option<Duration>,
}

/// What `bench search` measured.
#[derive(Debug, Clone, Serialize)]
pub struct SearchBenchReport {
    pub collection: String,
    pub anns_field: String,
    pub vector_type: DataType,
    pub dim: Option<u32>,
    pub metric: String,
    pub index_type: Option<String>,
    pub top_k: usize,
    pub filter: String,
    pub params: Map<String, Value>,
    pub output_fields: Vec<String>,
    pub query_source: QuerySource,
    pub query_vectors: usize,
    pub warmup_queries: u64,
    /// Whether the searches went through the index for every row (see [`IndexCoverage`]).
    pub index_coverage: IndexCoverage,
    pub levels: Vec<RunResult>,
    /// What the numbers do not cover: levels whose searches found nothing, or only some.
    pub warnings: Vec<String>,
}

impl SearchBenchReport {
    pub fn errors(&self) -> u64 {
        self.levels.iter().map(|l| l.errors).sum()
    }
}

/// Hooks for a progress display.
pub trait SearchBenchProgress {
    /// A level starts; returns the callback told of finished queries.
    fn level(&self, concurrency: usize, stop: Stop) -> Option<ProgressFn>;
    fn level_done(&self, _result: &RunResult) {}
}

/// No progress display.
pub struct NoProgress;
impl SearchBenchProgress for NoProgress {
    fn level(&self, _: usize, _: Stop) -> Option<ProgressFn> {
        None
    }
}

/// Runs the benchmark. Failed searches are counted in each level's `errors`, not raised.
pub async fn bench_search(
    client: &Client,
    dataset: Option<&Dataset>,
    options: &SearchBenchOptions,
    progress: &dyn SearchBenchProgress,
) -> Result<SearchBenchReport> {
    let target = resolve(
        client,
        &options.collection,
        options.anns_field.as_deref(),
        dataset.map(|d| d.schema()),
    )
    .await?;
    let coverage = ensure_indexed(
        client,
        &target.info.name,
        &target.field.name,
        options.index_wait,
    )
    .await?;
    let field = target.schema_field(dataset.map(|d| d.schema()));
    let (vectors, source) = query_vectors(
        dataset,
        &field,
        options.vectors.max(1),
        options.query_source,
        options.seed,
    )?;
    let encoded: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..vectors.len())
            .map(|i| vectors.encode(field.data_type, i))
            .collect(),
    );
    let spec = SearchSpec {
        collection: target.info.name.clone(),
        anns_field: target.field.name.clone(),
        metric: target.metric.clone(),
        top_k: options.top_k,
        params: options.params.clone(),
        filter: options.filter.clone(),
        output_fields: options.output_fields.clone(),
    };
    let search = PreparedSearch::new(client, &spec, field.data_type)?;
    let mut levels = Vec::new();
    for &c in &options.concurrency {
        if options.warmup > 0 {
            run(
                &search,
                encoded.clone(),
                c,
                Stop::Queries(options.warmup),
                false,
                None,
            )
            .await;
        }
        let result = run(
            &search,
            encoded.clone(),
            c,
            options.stop,
            false,
            progress.level(c, options.stop),
        )
        .await;
        progress.level_done(&result);
        levels.push(result);
    }
    Ok(SearchBenchReport {
        collection: target.info.name.clone(),
        anns_field: target.field.name.clone(),
        vector_type: target.field.data_type,
        dim: target.field.dim,
        metric: target.metric.clone(),
        index_type: target.field.index_type.clone(),
        top_k: options.top_k,
        filter: options.filter.clone(),
        params: options.params.clone(),
        output_fields: options.output_fields.clone(),
        query_source: source,
        query_vectors: vectors.len(),
        warmup_queries: options.warmup,
        warnings: coverage_warning(&coverage)
            .into_iter()
            .chain(hit_warnings(&levels, &options.filter))
            .collect(),
        index_coverage: coverage,
        levels,
    })
}

/// A warning when some rows were (or may have been) searched without the index.
fn coverage_warning(coverage: &IndexCoverage) -> Option<String> {
    (coverage.coverage != Coverage::Complete).then(|| coverage.describe())
}

/// One warning per level whose answers were empty: all of them (the QPS is of searches that
/// found nothing) or some (those answers cost less than a full top-k).
fn hit_warnings(levels: &[RunResult], filter: &str) -> Vec<String> {
    let why = if filter.is_empty() {
        "is the collection empty?".to_string()
    } else {
        format!("does the filter `{filter}` match any row?")
    };
    levels
        .iter()
        .filter_map(|l| {
            if l.no_hits {
                Some(format!(
                    "concurrency {}: none of the {} searches returned a hit ({why}); its QPS is of searches that found nothing",
                    l.concurrency, l.queries
                ))
            } else if l.empty_answers > 0 {
                Some(format!(
                    "concurrency {}: {} of {} searches returned no hit",
                    l.concurrency, l.empty_answers, l.queries
                ))
            } else {
                None
            }
        })
        .collect()
}

/// The report as CSV: one line per concurrency level.
pub fn to_csv(report: &SearchBenchReport) -> String {
    let mut out = String::from(
        "collection,anns_field,metric,top_k,concurrency,queries,errors,seconds,qps,mean_ms,p50_ms,p95_ms,p99_ms,max_ms,mean_hits\n",
    );
    for l in &report.levels {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{:.3},{:.1},{:.3},{:.3},{:.3},{:.3},{:.3},{:.2}\n",
            report.collection,
            report.anns_field,
            report.metric,
            report.top_k,
            l.concurrency,
            l.queries,
            l.errors,
            l.seconds,
            l.qps,
            l.latency.mean_ms,
            l.latency.p50_ms,
            l.latency.p95_ms,
            l.latency.p99_ms,
            l.latency.max_ms,
            l.mean_hits
        ));
    }
    out
}
