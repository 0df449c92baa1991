//! `bench search` and `bench recall DIR`: flags into options, a tokio runtime, progress bars,
//! and the tables, JSON, CSV and plot of the results.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};

use super::error::CliError;
use super::printer::Printer;
use super::to_milvus::{ConnectArgs, connect};
use crate::measure::coverage::Coverage;
use crate::measure::load::{ProgressFn, RunResult, Stop};
use crate::measure::plot::plot_recall;
use crate::measure::queries::QuerySource;
use crate::measure::recall::{RecallOptions, RecallProgress, RecallReport, bench_recall};
use crate::measure::search_bench::{
    SearchBenchOptions, SearchBenchProgress, SearchBenchReport, bench_search, to_csv,
};
use crate::measure::target::{Sweep, parse_params};
use crate::measure::truth::TruthProgress;
use crate::measure::{MeasureError, Metric};
use crate::milvus::dataset::Dataset;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Search QPS and latency (mean, p50, p95, p99, max) at each concurrency level.
    Search(Box<SearchArgs>),
    /// Recall@k against exact ground truth computed from the dataset, per search-parameter value.
    Recall(Box<RecallArgs>),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Collection (or alias) to search.
    #[arg(long, visible_alias = "collection-name")]
    pub collection: String,
    /// Vector field to search (needed when the collection has several).
    #[arg(long)]
    pub anns_field: Option<String>,
    /// Results per search.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub top_k: u64,
    /// Searches in flight, one run per level: 1,4,16.
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrency: Vec<u64>,
    /// Searches per level (default 1000 when --duration is not given).
    #[arg(long, conflicts_with = "duration")]
    pub queries: Option<u64>,
    /// Time per level instead of a count: 30s, 2m, 500ms.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Searches before each level that are not measured.
    #[arg(long, default_value_t = 50)]
    pub warmup: u64,
    /// Boolean filter expression, e.g. 'category == "books"'.
    #[arg(long, default_value = "")]
    pub filter: String,
    /// Search parameters as key=value (repeat or comma-separate): ef=64, nprobe=16.
    #[arg(long, value_name = "K=V")]
    pub search_params: Vec<String>,
    /// Fields returned with each hit (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub output_fields: Vec<String>,
    /// Dataset the collection was loaded from: query vectors of the same distribution.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// held-out (new rows of the dataset's distribution), dataset (its rows) or random.
    #[arg(long)]
    pub query_source: Option<QuerySource>,
    /// Distinct query vectors, reused round-robin.
    #[arg(long, default_value_t = 1000)]
    pub vectors: usize,
    /// Seed of random query vectors.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the results as CSV (one line per level).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub index_wait: IndexWaitArgs,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct RecallArgs {
    /// Dataset directory (with meta.json) the collection was loaded from.
    pub dir: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Collection (default: the schema's collection_name).
    #[arg(long, visible_alias = "collection-name")]
    pub collection: Option<String>,
    #[arg(long)]
    pub anns_field: Option<String>,
    /// k of recall@k.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub top_k: u64,
    /// Query vectors.
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// held-out (default when possible), dataset or random.
    #[arg(long)]
    pub query_source: Option<QuerySource>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fixed search parameters as key=value.
    #[arg(long, value_name = "K=V")]
    pub search_params: Vec<String>,
    /// One point per value of a search parameter: ef=16,32,64,128 or nprobe=1,4,16.
    #[arg(long, value_name = "NAME=V1,V2,...")]
    pub sweep: Option<String>,
    /// Searches in flight while measuring QPS.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrency: u64,
    /// Draw recall against QPS into FILE.svg or FILE.png.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Recompute the ground truth even if it is cached.
    #[arg(long)]
    pub refresh_truth: bool,
    #[command(flatten)]
    pub index_wait: IndexWaitArgs,
    #[arg(long)]
    pub no_progress: bool,
}

/// Before measuring: flush and wait until every row is searched through the index.
#[derive(Debug, Args)]
pub struct IndexWaitArgs {
    /// Longest wait for every row to be in a sealed, indexed segment the query nodes serve
    /// (the collection is flushed first when some row is not): 30s, 5m.
    #[arg(long, value_parser = parse_duration, default_value = "5m")]
    pub index_wait: Duration,
    /// Measure the collection as it is (no flush, no wait); rows searched without the index
    /// are still counted and reported.
    #[arg(long)]
    pub no_index_wait: bool,
}

impl IndexWaitArgs {
    fn wait(&self) -> Option<Duration> {
        (!self.no_index_wait).then_some(self.index_wait)
    }
}

/// `30s`, `2m`, `500ms`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 30s, 2m, 500ms)"))?;
    if !(v > 0.0 && v.is_finite()) {
        return Err(format!("`{text}`: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

impl From<MeasureError> for CliError {
    fn from(e: MeasureError) -> CliError {
        match e {
            MeasureError::Milvus(m) => CliError::from(m),
            other if other.is_usage() => CliError::usage(other),
            other => CliError::failure(other),
        }
    }
}

pub fn run(command: BenchCommand, printer: &Printer) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    match command {
        BenchCommand::Search(args) => runtime.block_on(search(*args, printer)),
        BenchCommand::Recall(args) => runtime.block_on(recall(*args, printer)),
    }
}

fn bar(show: bool, len: u64, unit: &str) -> Option<ProgressBar> {
    show.then(|| {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{msg}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit}"
            ))
            .expect("valid template"),
        );
        bar
    })
}

struct SearchBars {
    show: bool,
    current: std::sync::Mutex<Option<ProgressBar>>,
}

impl SearchBenchProgress for SearchBars {
    fn level(&self, concurrency: usize, stop: Stop) -> Option<ProgressFn> {
        let len = match stop {
            Stop::Queries(n) => n,
            Stop::Duration(_) => 0,
        };
        let bar = bar(self.show, len, "searches")?;
        bar.set_message(format!("concurrency {concurrency}"));
        *self.current.lock().expect("not poisoned") = Some(bar.clone());
        Some(Arc::new(move |n| bar.set_position(n)))
    }

    fn level_done(&self, _: &RunResult) {
        if let Some(bar) = self.current.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
    }
}

async fn search(args: SearchArgs, printer: &Printer) -> Result<(), CliError> {
    let dataset = args.dataset.as_deref().map(Dataset::open).transpose()?;
    let client = connect(&args.connect).await?;
    let stop = match (args.duration, args.queries) {
        (Some(d), _) => Stop::Duration(d),
        (None, q) => Stop::Queries(q.unwrap_or(1000)),
    };
    let options = SearchBenchOptions {
        collection: args.collection.clone(),
        anns_field: args.anns_field.clone(),
        top_k: args.top_k as usize,
        concurrency: args.concurrency.iter().map(|c| *c as usize).collect(),
        stop,
        warmup: args.warmup,
        filter: args.filter.clone(),
        params: parse_params(&args.search_params)?,
        output_fields: args.output_fields.clone(),
        vectors: args.vectors,
        query_source: args.query_source,
        seed: args.seed,
        index_wait: args.index_wait.wait(),
    };
    let progress = SearchBars {
        show: !args.no_progress && std::io::stderr().is_terminal(),
        current: std::sync::Mutex::new(None),
    };
    let report = bench_search(&client, dataset.as_ref(), &options, &progress).await?;
    if let Some(path) = &args.csv {
        crate::fsutil::write_atomically(path, to_csv(&report).as_bytes())
            .map_err(|e| CliError::failure(anyhow::anyhow!("{}: {e}", path.display())))?;
    }
    if printer.is_json() {
        printer.json(&report);
        for w in &report.warnings {
            printer.status(&format!("warning: {w}"));
        }
    } else {
        printer.out(&render_search(&report));
    }
    let errors = report.errors();
    if errors > 0 {
        let first = report
            .levels
            .iter()
            .flat_map(|l| l.error_examples.first())
            .next()
            .cloned()
            .unwrap_or_default();
        let total: u64 = report.levels.iter().map(|l| l.queries + l.errors).sum();
        return Err(CliError::failure(anyhow::anyhow!(
            "{errors} of {total} searches failed; first: {first}"
        )));
    }
    Ok(())
}

fn params_text(params: &Map<String, Value>) -> String {
    if params.is_empty() {
        "server defaults".into()
    } else {
        Value::Object(params.clone()).to_string()
    }
}

fn render_search(r: &SearchBenchReport) -> String {
    let mut out = format!(
        "collection `{}`, field `{}` ({}{}, {}{}), top-k {}, params {}{}\nqueries: {} {} vectors; {} warm-up searches per level\n",
        r.collection,
        r.anns_field,
        r.vector_type,
        r.dim.map(|d| format!(" dim {d}")).unwrap_or_default(),
        r.index_type
            .as_deref()
            .map(|i| format!("{i} "))
            .unwrap_or_default(),
        r.metric,
        r.top_k,
        params_text(&r.params),
        if r.filter.is_empty() {
            String::new()
        } else {
            format!(", filter `{}`", r.filter)
        },
        r.query_vectors,
        serde_json::to_value(r.query_source)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        r.warmup_queries
    );
    if r.index_coverage.coverage == Coverage::Complete {
        out.push_str(&format!("{}\n", r.index_coverage.describe()));
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "concurrency",
        "queries",
        "errors",
        "hits/query",
        "seconds",
        "QPS",
        "mean ms",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
    ]);
    for l in &r.levels {
        table.add_row(vec![
            l.concurrency.to_string(),
            l.queries.to_string(),
            l.errors.to_string(),
            format!("{:.2}", l.mean_hits),
            format!("{:.2}", l.seconds),
            format!("{:.1}", l.qps),
            format!("{:.2}", l.latency.mean_ms),
            format!("{:.2}", l.latency.p50_ms),
            format!("{:.2}", l.latency.p95_ms),
            format!("{:.2}", l.latency.p99_ms),
            format!("{:.2}", l.latency.max_ms),
        ]);
    }
    out.push_str(&table.to_string());
    for l in r.levels.iter().filter(|l| l.errors > 0) {
        for e in &l.error_examples {
            out.push_str(&format!("\nerror at concurrency {}: {e}", l.concurrency));
        }
    }
    for w in &r.warnings {
        out.push_str(&format!("\nwarning: {w}"));
    }
    out
}

struct RecallBars {
    show: bool,
    truth: std::sync::Mutex<Option<ProgressBar>>,
    queries: u64,
}

impl TruthProgress for RecallBars {
    fn rows(&self, done: u64, total: u64) {
        let mut slot = self.truth.lock().expect("not poisoned");
        if slot.is_none() {
            *slot = bar(self.show, total, "rows");
            if let Some(b) = slot.as_ref() {
                b.set_message("ground truth");
            }
        }
        if let Some(b) = slot.as_ref() {
            b.set_position(done);
            if done >= total {
                b.finish_and_clear();
            }
        }
    }
}

impl RecallProgress for RecallBars {
    fn point(&self, params: &Map<String, Value>) -> Option<ProgressFn> {
        let bar = bar(self.show, self.queries, "searches")?;
        bar.set_message(params_text(params));
        let total = self.queries;
        Some(Arc::new(move |n| {
            bar.set_position(n);
            if n >= total {
                bar.finish_and_clear();
            }
        }))
    }
}

async fn recall(args: RecallArgs, printer: &Printer) -> Result<(), CliError> {
    let dataset = Dataset::open(&args.dir)?;
    let sweep = args.sweep.as_deref().map(Sweep::parse).transpose()?;
    if let Some(p) = &args.plot
        && !matches!(
            p.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("svg" | "png")
        )
    {
        return Err(CliError::usage_msg(format!(
            "--plot {}: the file must end in .svg or .png",
            p.display()
        )));
    }
    let client = connect(&args.connect).await?;
    let options = RecallOptions {
        collection: args
            .collection
            .clone()
            .unwrap_or_else(|| dataset.schema().collection_name.clone()),
        anns_field: args.anns_field.clone(),
        top_k: args.top_k as usize,
        queries: args.queries,
        query_source: args.query_source,
        seed: args.seed,
        params: parse_params(&args.search_params)?,
        sweep,
        concurrency: args.concurrency as usize,
        refresh_truth: args.refresh_truth,
        index_wait: args.index_wait.wait(),
    };
    let progress = RecallBars {
        show: !args.no_progress && std::io::stderr().is_terminal(),
        truth: std::sync::Mutex::new(None),
        queries: args.queries as u64,
    };
    let report = bench_recall(&client, &dataset, &options, &progress).await?;
    if let Some(path) = &args.plot {
        plot_recall(&report, path)?;
    }
    if printer.is_json() {
        printer.json(&report);
        for w in &report.warnings {
            printer.status(&format!("warning: {w}"));
        }
    } else {
        printer.out(&render_recall(&report));
    }
    let errors: u64 = report.points.iter().map(|p| p.errors).sum();
    if errors > 0 {
        let first = report
            .points
            .iter()
            .flat_map(|p| p.error_examples.first())
            .next()
            .cloned()
            .unwrap_or_default();
        return Err(CliError::failure(anyhow::anyhow!(
            "{errors} searches failed (their queries are left out of the recall); first: {first}"
        )));
    }
    Ok(())
}

fn render_recall(r: &RecallReport) -> String {
    let metric: Metric = r.metric;
    let mut out = format!(
        "collection `{}`, field `{}` ({}{}), recall@{} over {} {} queries; ground truth over {} rows {}\n",
        r.collection,
        r.anns_field,
        r.index_type
            .as_deref()
            .map(|i| format!("{i} "))
            .unwrap_or_default(),
        metric,
        r.top_k,
        r.queries,
        serde_json::to_value(r.query_source)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        r.dataset_rows,
        if r.truth_cached {
            "(cached)".to_string()
        } else {
            format!("({:.1}s)", r.truth_seconds)
        }
    );
    if r.index_coverage.coverage == Coverage::Complete {
        out.push_str(&format!("{}\n", r.index_coverage.describe()));
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "params",
        "recall",
        "min recall",
        "QPS",
        "mean ms",
        "p99 ms",
        "errors",
    ]);
    for p in &r.points {
        table.add_row(vec![
            params_text(&p.params),
            format!("{:.4}", p.recall),
            format!("{:.2}", p.min_recall),
            format!("{:.1}", p.qps),
            format!("{:.2}", p.latency.mean_ms),
            format!("{:.2}", p.latency.p99_ms),
            p.errors.to_string(),
        ]);
    }
    out.push_str(&table.to_string());
    for n in &r.notes {
        out.push_str(&format!("\nnote: {n}"));
    }
    for w in &r.warnings {
        out.push_str(&format!("\nwarning: {w}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
