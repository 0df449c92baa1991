//! `milvus-ingest generate`: schema in, dataset (or preview, or validation report) out.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{ArgGroup, Args, ValueEnum};
use serde::Serialize;

use super::error::CliError;
use super::plugin_registry::{PluginSourceArgs, load_plugin_arg};
use super::printer::Printer;
use super::progress::Bar;
use super::size::parse_size;
use super::storage_args::StorageArgs;
use crate::format::meta::CollectionConfig;
use crate::format::output_dir::StagedDir;
use crate::format::parquet::Codec;
use crate::format::{LocalSink, META_FILE, NullSink, write_meta};
use crate::generate::dataset::GeneratorResolver;
use crate::generate::engine::OnInvalid;
use crate::generate::job::{Job, JobSettings, OutputFormat};
use crate::generate::plan::SplitRequest;
use crate::plugin::{PluginHost, PluginLimits};
use crate::schema::{Schema, SchemaSource, SchemaStore};
use crate::storage::sink::ObjectSink;
use crate::storage::{Location, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Parquet,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnInvalidArg {
    /// Stop at the first violation; nothing is written.
    Fail,
    /// Write the data and count violations in the summary.
    Report,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["schema", "builtin"])))]
pub struct GenerateArgs {
    /// Schema file (JSON or YAML).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// A built-in schema, or one added with `schema add` (see `schema list`).
    #[arg(long, value_name = "NAME")]
    pub builtin: Option<String>,
    /// Rows to generate [default: 1000, or what --file-count and --file-size imply].
    #[arg(short = 'r', long, value_name = "N")]
    pub total_rows: Option<u64>,
    #[arg(short = 'f', long, value_enum, default_value_t = FormatArg::Parquet)]
    pub format: FormatArg,
    /// Parquet compression: none, snappy, zstd, lz4, gzip.
    #[arg(long, default_value = "snappy", value_parser = parse_codec)]
    pub compression: Codec,
    /// Print the first rows as a table and write nothing.
    #[arg(short = 'p', long)]
    pub preview: bool,
    /// Output directory, or s3://bucket/prefix (also gs://, az://) to write straight to
    /// object storage [default: output/<collection_name>].
    #[arg(short = 'o', long, value_name = "DIR|URL")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Seed for every random value: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Check the schema, print what would be generated, write nothing.
    #[arg(long)]
    pub validate_only: bool,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Rows each worker holds in memory at once (rounded up to 1024); output does not change.
    #[arg(long, default_value_t = 16_384, value_name = "ROWS")]
    pub batch_size: u64,
    /// Replace a non-empty output directory (the old dataset is removed only after success).
    #[arg(long)]
    pub force: bool,
    /// Target size of each file, e.g. 256MB, 1GB; a bare number is MB.
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub file_size: Option<u64>,
    /// Number of files to split the rows into.
    #[arg(long, value_name = "N")]
    pub file_count: Option<u64>,
    /// Rows per file.
    #[arg(long, value_name = "N")]
    pub rows_per_file: Option<u64>,
    /// Partitions for the partition key, recorded in meta.json for `to-milvus`.
    #[arg(long, value_name = "N")]
    pub partitions: Option<u32>,
    /// Collection shards, recorded in meta.json for `to-milvus`.
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Worker threads [default: all cores]; output does not change.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// First row of this run, to generate one part of a larger dataset on several machines.
    #[arg(long, default_value_t = 0, value_name = "ROW")]
    pub start_row: u64,
    /// Rows of the whole dataset when this run is one part of it (sizes value pools).
    #[arg(long, value_name = "N", requires = "start_row")]
    pub dataset_rows: Option<u64>,
    /// Generate and encode but discard the bytes (benchmarks: time without the disk).
    #[arg(long, hide = true)]
    pub null_sink: bool,
    /// What to do when a validator reports bad rows.
    #[arg(long, value_enum, default_value_t = OnInvalidArg::Fail)]
    pub on_invalid: OnInvalidArg,
    /// A Wasm plugin the schema's generators and validators may name: a component file, or a
    /// registry package NAMESPACE:NAME[@REQ] (resolved through milvus-ingest.lock, then the
    /// registry); repeatable.
    #[arg(long = "plugin", value_name = "PATH|NAME[@REQ]")]
    pub plugins: Vec<String>,
    #[command(flatten)]
    pub registry: PluginSourceArgs,
    /// Memory limit per plugin instance, e.g. 256MB, 1GB; a bare number is MB.
    #[arg(long, value_parser = parse_size, default_value = "256MB", value_name = "SIZE")]
    pub plugin_memory: u64,
    /// Time limit per plugin call, in seconds (0: no limit).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub plugin_timeout: f64,
    /// Generate shard I of N (I from 0, like JOB_COMPLETION_INDEX) into --out, which the other
    /// shards share; then `dataset finalize` it. See README "More than one machine".
    #[arg(long, value_name = "I/N", conflicts_with_all = ["parts", "shard_from_env", "start_row", "dataset_rows", "preview", "null_sink"])]
    pub shard: Option<String>,
    /// Number of parts, with --part K (K from 1): the same as --shard K-1/N.
    #[arg(long, value_name = "N", requires = "part", conflicts_with_all = ["shard_from_env", "start_row", "dataset_rows", "preview", "null_sink"])]
    pub parts: Option<u32>,
    /// This run's part, from 1 (with --parts N).
    #[arg(long, value_name = "K", requires = "parts")]
    pub part: Option<u32>,
    /// Take the shard from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) and the count
    /// from JOB_COMPLETION_COUNT or MILVUS_INGEST_SHARD_COUNT.
    #[arg(long, conflicts_with_all = ["start_row", "dataset_rows", "preview", "null_sink"])]
    pub shard_from_env: bool,
}

/// Loads `--plugin` components into a host seeded like the run, or `None` without plugins.
fn plugin_host(args: &GenerateArgs) -> Result<Option<PluginHost>, CliError> {
    if args.plugins.is_empty() {
        return Ok(None);
    }
    if !(args.plugin_timeout.is_finite() && args.plugin_timeout >= 0.0) {
        return Err(CliError::usage_msg(format!(
            "--plugin-timeout must be a number of seconds >= 0, got {}",
            args.plugin_timeout
        )));
    }
    let limits = PluginLimits {
        memory: usize::try_from(args.plugin_memory).unwrap_or(usize::MAX),
        timeout: Duration::from_secs_f64(args.plugin_timeout),
    };
    let host = PluginHost::new(limits, args.seed).map_err(CliError::failure)?;
    let mut session = None;
    for value in &args.plugins {
        load_plugin_arg(
            &host,
            value,
            &mut session,
            &args.registry,
            args.storage.allow_http,
        )?;
    }
    Ok(Some(host))
}

fn parse_codec(text: &str) -> Result<Codec, String> {
    text.parse()
}

#[derive(Serialize)]
struct Summary<'a> {
    status: &'a str,
    collection: &'a str,
    out: String,
    rows: u64,
    files: usize,
    bytes: u64,
    seconds: f64,
    rows_per_second: f64,
    violations: u64,
}

pub fn run(args: GenerateArgs, printer: &Printer) -> Result<(), CliError> {
    // A shard that fails for good says so where `dataset finalize --wait` looks.
    let recorder = super::generate_shard::FailureRecorder::new(&args)?;
    let result = run_generate(args, printer);
    if let (Some(recorder), Err(e)) = (recorder, &result) {
        recorder.record(e, printer);
    }
    result
}

fn run_generate(args: GenerateArgs, printer: &Printer) -> Result<(), CliError> {
    let store = SchemaStore::for_user();
    let source = match (&args.schema, &args.builtin) {
        (Some(path), _) => SchemaSource::File(path.clone()),
        (None, Some(name)) => SchemaSource::Named(name.clone()),
        (None, None) => unreachable!("clap requires one"),
    };
    let shard = super::generate_shard::spec(&args)?;
    let schema = source.load(&store)?;
    let settings = settings(&args, &schema)?;
    let plugins = plugin_host(&args)?;
    let resolver = plugins.as_ref().map(|h| h as &dyn GeneratorResolver);

    if args.preview {
        return preview(&schema, &args, settings, resolver, printer);
    }
    let job = Job::prepare(schema.clone(), settings, resolver)?;
    if args.validate_only {
        return report_validation(&schema, &job, printer);
    }

    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        // Only the first Ctrl-C is caught: a second one while we clean up still kills us.
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst));
    }
    let bar = Bar::new(!args.no_progress);
    if let Some(spec) = shard {
        return super::generate_shard::run(&args, spec, &schema, job, &bar, &cancel, printer);
    }
    if args.null_sink {
        let (report, meta) = job.run(&NullSink, &bar, &cancel)?;
        return summarize(&schema, "(null sink)".into(), &report, &meta, printer);
    }
    if let Some(out) = &args.out
        && Location::is_remote(&out.to_string_lossy())
    {
        return generate_remote(
            &out.to_string_lossy(),
            &args,
            &schema,
            job,
            &bar,
            &cancel,
            printer,
        );
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&schema.collection_name));
    let staged = StagedDir::prepare(&out, args.force).map_err(|e| {
        let exists = matches!(e, crate::format::output_dir::OutputDirError::Exists(_));
        if exists {
            CliError::usage(e)
        } else {
            CliError::failure(e)
        }
    })?;
    let sink = LocalSink::new(staged.path());
    let (report, meta) = job.run(&sink, &bar, &cancel)?;
    write_meta(&sink, &meta)
        .map_err(|e| CliError::failure(anyhow::anyhow!("writing meta.json: {e}")))?;
    staged.commit().map_err(CliError::failure)?;
    summarize(&schema, out.display().to_string(), &report, &meta, printer)
}

/// Streams the dataset to an object-store prefix. The prefix must be empty (or `--force`): the
/// old `meta.json` is withdrawn first, the new one written last, and objects the new dataset
/// does not list are removed only after it is complete.
fn generate_remote(
    url: &str,
    args: &GenerateArgs,
    schema: &Schema,
    job: Job,
    bar: &Bar,
    cancel: &Arc<AtomicBool>,
    printer: &Printer,
) -> Result<(), CliError> {
    let location = Location::parse(url)?;
    let store = Store::open(&location, &args.storage.options())?;
    let sink = ObjectSink::new(store)?;
    let store = sink.store().clone();
    sink.block_on(store.check_access())?;
    let existing = sink.block_on(store.list())?;
    if !existing.is_empty() {
        if !args.force {
            return Err(CliError::usage_msg(format!(
                "{location} already holds {} object(s); pass --force to replace the dataset there",
                existing.len()
            )));
        }
        sink.block_on(store.delete(META_FILE))?;
    }
    let (report, meta) = job.run(&sink, bar, cancel)?;
    write_meta(&sink, &meta)
        .map_err(|e| CliError::failure(anyhow::anyhow!("writing {}: {e}", store.url(META_FILE))))?;
    let keep: std::collections::HashSet<&str> = meta
        .generation_info
        .data_files
        .iter()
        .map(|f| f.file_name.as_str())
        .chain([META_FILE])
        .collect();
    for (name, _) in existing.iter().filter(|(n, _)| !keep.contains(n.as_str())) {
        sink.block_on(store.delete(name))?;
    }
    summarize(schema, location.to_string(), &report, &meta, printer)
}

fn summarize(
    schema: &Schema,
    out: String,
    report: &crate::generate::engine::RunReport,
    meta: &crate::format::DatasetMeta,
    printer: &Printer,
) -> Result<(), CliError> {
    let summary = Summary {
        status: "ok",
        collection: &schema.collection_name,
        out,
        rows: report.rows,
        files: report.files.len(),
        bytes: report.bytes,
        seconds: report.seconds,
        rows_per_second: meta.generation_info.rows_per_second,
        violations: report.violations,
    };
    if printer.is_json() {
        printer.json(&summary);
    } else {
        printer.out(&format!(
            "generated {} rows of `{}` in {} file(s), {} in {:.2}s ({:.0} rows/s) -> {}",
            summary.rows,
            summary.collection,
            summary.files,
            bytesize::ByteSize(summary.bytes),
            summary.seconds,
            summary.rows_per_second,
            summary.out
        ));
        if report.violations > 0 {
            printer.out(&format!(
                "{} validator violation(s); first ones:",
                report.violations
            ));
            for (validator, v) in &report.violation_samples {
                printer.out(&format!(
                    "  {validator}: row {}, field `{}`: {}",
                    v.row, v.field, v.message
                ));
            }
        }
    }
    Ok(())
}

/// Flags resolved and checked against the schema.
fn settings(args: &GenerateArgs, schema: &Schema) -> Result<JobSettings, CliError> {
    if args.batch_size == 0 {
        return Err(CliError::usage_msg("--batch-size must be greater than 0"));
    }
    if args.workers == Some(0) {
        return Err(CliError::usage_msg("--workers must be at least 1"));
    }
    if let Some(shards) = args.shards
        && !(1..=16).contains(&shards)
    {
        return Err(CliError::usage_msg(format!(
            "--shards {shards}: Milvus allows 1 to 16 shards"
        )));
    }
    let partition_key = schema.fields.iter().find(|f| f.is_partition_key);
    if let Some(n) = args.partitions {
        if partition_key.is_none() {
            return Err(CliError::usage_msg(format!(
                "--partitions {n} needs a partition key field (`is_partition_key: true`) in `{}`",
                schema.collection_name
            )));
        }
        if !(1..=4096).contains(&n) {
            return Err(CliError::usage_msg(format!(
                "--partitions {n}: Milvus allows 1 to 4096"
            )));
        }
    }
    let collection_config = (args.partitions.is_some()
        || args.shards.is_some()
        || partition_key.is_some())
    .then(|| CollectionConfig {
        num_partitions: args.partitions,
        partition_key_field: partition_key.map(|f| f.name.clone()),
        num_shards: args.shards,
    });
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    Ok(JobSettings {
        seed: args.seed,
        split: SplitRequest {
            total_rows: args.total_rows,
            rows_per_file: args.rows_per_file,
            file_count: args.file_count,
            file_size: args.file_size,
        },
        start_row: args.start_row,
        dataset_rows: args.dataset_rows,
        format: match args.format {
            FormatArg::Parquet => OutputFormat::Parquet(args.compression),
            FormatArg::Json => OutputFormat::Json,
        },
        workers,
        batch_rows: args.batch_size,
        on_invalid: match args.on_invalid {
            OnInvalidArg::Fail => OnInvalid::Fail,
            OnInvalidArg::Report => OnInvalid::Report,
        },
        collection_config,
    })
}

fn report_validation(schema: &Schema, job: &Job, printer: &Printer) -> Result<(), CliError> {
    let plan = job.plan();
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "status": "valid",
            "collection": schema.collection_name,
            "fields": schema.fields.len(),
            "rows": plan.total_rows(),
            "files": plan.files.iter().map(|f| serde_json::json!({"file_name": f.name, "rows": f.rows})).collect::<Vec<_>>(),
            "estimated_bytes_per_row": job.bytes_per_row(),
        }));
    } else {
        printer.out(&format!(
            "schema `{}` is valid: {} fields ({} vector), {} rows would go to {} {} file(s) of ~{} each",
            schema.collection_name,
            schema.fields.len(),
            schema.vector_fields().count(),
            plan.total_rows(),
            plan.files.len(),
            job.plan().files.first().map(|f| f.name.rsplit('.').next().unwrap_or("")).unwrap_or(""),
            bytesize::ByteSize((job.bytes_per_row() * plan.files[0].rows as f64) as u64),
        ));
        printer.status("validate only: nothing was written");
    }
    Ok(())
}

/// The most rows `--preview` renders; a table of more is not read by anyone.
const PREVIEW_MAX_ROWS: u64 = 100;

fn preview(
    schema: &Schema,
    args: &GenerateArgs,
    mut settings: JobSettings,
    resolver: Option<&dyn GeneratorResolver>,
    printer: &Printer,
) -> Result<(), CliError> {
    // The same rule as a real run: a preview of 0 rows is not a smaller preview of something else.
    if args.total_rows == Some(0) {
        return Err(CliError::usage_msg("--total-rows must be greater than 0"));
    }
    let asked = args.total_rows.unwrap_or(5);
    let rows = asked.min(PREVIEW_MAX_ROWS);
    settings.split = SplitRequest {
        total_rows: Some(rows),
        ..SplitRequest::default()
    };
    let job = Job::prepare(schema.clone(), settings, resolver)?;
    let batch = job.source().batch(args.start_row, args.start_row + rows)?;
    if printer.is_json() {
        let mut out = Vec::new();
        crate::format::json_rows::JsonRowsEncoder::new(schema).encode_rows(&batch, &mut out);
        printer.out(&format!("[{}]", String::from_utf8_lossy(&out)));
    } else {
        printer.out(&super::table::render_batch(schema, &batch));
    }
    if asked > rows {
        printer.status(&format!(
            "warning: a preview shows at most {PREVIEW_MAX_ROWS} rows: these are the first {rows} of the {asked} asked for"
        ));
    }
    printer.status(&format!(
        "preview of {rows} row(s): nothing was written (drop --preview to generate)"
    ));
    Ok(())
}
