//! Closed-loop search load: `concurrency` workers each send one search (one query vector) at a
//! time and send the next as soon as the answer arrives, until a number of queries or a
//! duration is reached. Every latency is kept; failures are counted with their messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::latency::Latency;
use crate::milvus::bench_search::PreparedSearch;
use crate::milvus::query::{Pk, hits};

/// Error messages kept per run (the count is always exact).
const KEPT_ERRORS: usize = 5;

/// When a run stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// After this many queries have been sent.
    Queries(u64),
    /// After this long (queries in flight then still complete).
    Duration(Duration),
}

/// Called with the number of queries finished so far.
pub type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub concurrency: usize,
    /// Searches answered successfully.
    pub queries: u64,
    pub errors: u64,
    /// The first few error messages.
    pub error_examples: Vec<String>,
    pub seconds: f64,
    /// Successful searches per second of wall time.
    pub qps: f64,
    pub latency: Latency,
    /// Mean number of hits per answer (below top-k when a filter leaves fewer rows).
    pub mean_hits: f64,
    /// Answered searches that returned no hit at all.
    pub empty_answers: u64,
    /// True when searches were answered but none returned a hit (a filter that matches no
    /// row, an empty collection): the QPS is then of searches that found nothing.
    pub no_hits: bool,
    /// Per query index (when hits were kept): the answer's (pk, score) list; `None` if failed.
    #[serde(skip)]
    pub hits: Vec<Option<Vec<(Pk, f32)>>>,
}

struct Worker {
    latencies: Vec<Duration>,
    errors: u64,
    examples: Vec<String>,
    hit_count: u64,
    empty: u64,
    hits: Vec<(usize, Vec<(Pk, f32)>)>,
}

/// Runs `vectors` (placeholder bytes, reused round-robin) against `search` with
/// `concurrency` workers until `stop`. With `keep_hits`, each query index's answer is kept
/// (used by recall, where every vector is sent exactly once).
pub async fn run(
    search: &PreparedSearch,
    vectors: Arc<Vec<Vec<u8>>>,
    concurrency: usize,
    stop: Stop,
    keep_hits: bool,
    progress: Option<ProgressFn>,
) -> RunResult {
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let search = search.clone();
        let vectors = vectors.clone();
        let next = next.clone();
        let done = done.clone();
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let mut w = Worker {
                latencies: Vec::new(),
                errors: 0,
                examples: Vec::new(),
                hit_count: 0,
                empty: 0,
                hits: Vec::new(),
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let go = match stop {
                    Stop::Queries(n) => i < n,
                    Stop::Duration(d) => started.elapsed() < d,
                };
                if !go || vectors.is_empty() {
                    break;
                }
                let index = (i % vectors.len() as u64) as usize;
                let t0 = Instant::now();
                match search.run(vec![vectors[index].clone()]).await {
                    Ok(result) => {
                        w.latencies.push(t0.elapsed());
                        let found = hits(&result).into_iter().next().unwrap_or_default();
                        w.hit_count += found.len() as u64;
                        w.empty += u64::from(found.is_empty());
                        if keep_hits {
                            w.hits.push((index, found));
                        }
                    }
                    Err(e) => {
                        w.errors += 1;
                        if w.examples.len() < KEPT_ERRORS {
                            w.examples.push(e.to_string());
                        }
                    }
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = &progress {
                    p(n);
                }
            }
            w
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut examples: Vec<String> = Vec::new();
    let mut hit_count = 0;
    let mut empty_answers = 0;
    let mut kept: Vec<Option<Vec<(Pk, f32)>>> = if keep_hits {
        vec![None; vectors.len()]
    } else {
        Vec::new()
    };
    for task in tasks {
        match task.await {
            Ok(w) => {
                latencies.extend(w.latencies);
                errors += w.errors;
                hit_count += w.hit_count;
                empty_answers += w.empty;
                for e in w.examples {
                    if examples.len() < KEPT_ERRORS {
                        examples.push(e);
                    }
                }
                for (i, h) in w.hits {
                    kept[i] = Some(h);
                }
            }
            Err(e) => {
                errors += 1;
                examples.push(format!("worker failed: {e}"));
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let queries = latencies.len() as u64;
    RunResult {
        concurrency,
        queries,
        errors,
        error_examples: examples,
        seconds,
        qps: queries as f64 / seconds.max(1e-9),
        latency: Latency::of(&latencies),
        mean_hits: hit_count as f64 / queries.max(1) as f64,
        empty_answers,
        no_hits: queries > 0 && hit_count == 0,
        hits: kept,
    }
}
