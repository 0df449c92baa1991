//! `k8s job`: prints the Kubernetes manifest that generates a dataset in shards (an Indexed Job)
//! and finalizes it (a second Job). Rendering is `shard::k8s`; this file checks the flags.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};

use super::error::CliError;
use super::generate::FormatArg;
use super::printer::Printer;
use super::size::parse_size;
use crate::generate::job::{Job, JobSettings, OutputFormat};
use crate::generate::plan::SplitRequest;
use crate::schema::{SchemaSource, SchemaStore};
use crate::shard::k8s::{
    DEFAULT_IMAGE, DEFAULT_SECRET, JobRequest, SCHEMA_DIR, SchemaFile, documents, job_name, render,
};
use crate::shard::{ShardLayout, ShardSpec};
use crate::storage::Location;

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// Print an Indexed Job that generates a dataset in shards straight into object storage,
    /// and a Job that finalizes it (apply with `kubectl apply -f`).
    Job(Box<JobArgs>),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["schema", "builtin"])))]
pub struct JobArgs {
    /// Schema file (JSON or YAML); shipped to the pods as a ConfigMap.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// A built-in schema, or one added with `schema add`.
    #[arg(long, value_name = "NAME")]
    pub builtin: Option<String>,
    /// Rows of the whole dataset.
    #[arg(short = 'r', long, value_name = "N")]
    pub total_rows: Option<u64>,
    #[arg(short = 'f', long, value_enum, default_value_t = FormatArg::Parquet)]
    pub format: FormatArg,
    /// Parquet compression: none, snappy, zstd, lz4, gzip.
    #[arg(long, default_value = "snappy")]
    pub compression: String,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Target size of each file, e.g. 256MB, 1GB.
    #[arg(long, value_name = "SIZE")]
    pub file_size: Option<String>,
    #[arg(long, value_name = "N")]
    pub file_count: Option<u64>,
    #[arg(long, value_name = "N")]
    pub rows_per_file: Option<u64>,
    /// Partitions for the partition key, recorded in meta.json.
    #[arg(long, value_name = "N")]
    pub partitions: Option<u32>,
    /// Collection shards (Milvus), recorded in meta.json.
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Where the dataset goes: s3://bucket/prefix (also gs://, az://), shared by every pod.
    #[arg(short = 'o', long, value_name = "URL")]
    pub out: String,
    /// Pods running at once.
    #[arg(long, value_name = "N")]
    pub parallelism: u32,
    /// Shards, i.e. the Job's completions [default: --parallelism].
    #[arg(long, value_name = "N")]
    pub completions: Option<u32>,
    /// Worker threads per pod (also its CPU request; memory is sized from it).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub workers: u32,
    /// Container image with the milvus-ingest binary (build it from the repository's Dockerfile).
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Job name [default: milvus-ingest-<collection>].
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub namespace: Option<String>,
    /// Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for gs:// and az://: the
    /// GOOGLE_*/AZURE_* variables), read by the pods; never inlined.
    #[arg(long, default_value = DEFAULT_SECRET)]
    pub secret: String,
    /// S3-compatible endpoint the pods use (AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Region of the bucket (AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// Let the pods use a plain-HTTP --endpoint-url (e.g. an in-cluster MinIO service).
    #[arg(long)]
    pub allow_http: bool,
    /// Retries of a failed shard pod before its index counts as failed.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub backoff_limit_per_index: u32,
    /// Seconds the finalize Job waits for every shard.
    #[arg(long, default_value_t = 86_400, value_name = "SECONDS")]
    pub finalize_wait: u64,
}

pub fn run(command: K8sCommand, printer: &Printer) -> Result<(), CliError> {
    match command {
        K8sCommand::Job(args) => job(*args, printer),
    }
}

fn job(args: JobArgs, printer: &Printer) -> Result<(), CliError> {
    if !Location::is_remote(&args.out) {
        return Err(CliError::usage_msg(format!(
            "--out {}: pods need a location they all reach: s3://bucket/prefix, gs://... or az://...",
            args.out
        )));
    }
    Location::parse(&args.out)?;
    if args.parallelism == 0 || args.completions == Some(0) || args.workers == 0 {
        return Err(CliError::usage_msg(
            "--parallelism, --completions and --workers must be at least 1",
        ));
    }
    if let Some(url) = &args.endpoint_url
        && url.starts_with("http://")
        && !args.allow_http
    {
        return Err(CliError::usage_msg(format!(
            "--endpoint-url {url} is plain HTTP: pass --allow-http to let the pods send data unencrypted"
        )));
    }
    let shards = args.completions.unwrap_or(args.parallelism);
    // Each pod checks its shard count on start; a count it refuses would make every pod exit 2,
    // so refuse it here, with the pods' words, before anything is printed.
    let flag = match args.completions {
        Some(n) => format!("--completions {n}"),
        None => format!("--parallelism {shards} (the completions without --completions)"),
    };
    ShardSpec::new(0, shards, &flag)?;
    let store = SchemaStore::for_user();
    let (source, shipped) = match (&args.schema, &args.builtin) {
        (Some(path), _) => (SchemaSource::File(path.clone()), Some(path.clone())),
        (None, Some(name)) => (
            SchemaSource::Named(name.clone()),
            // A schema added with `schema add` is not in the image: ship it like a file.
            store.path_of(name),
        ),
        (None, None) => unreachable!("clap requires one"),
    };
    let schema = source.load(&store)?;
    let codec = args
        .compression
        .parse()
        .map_err(|e: String| CliError::usage_msg(format!("--compression: {e}")))?;
    let file_size = args
        .file_size
        .as_deref()
        .map(parse_size)
        .transpose()
        .map_err(|e| CliError::usage_msg(format!("--file-size: {e}")))?;
    // Plan the dataset here, so a layout the shards cannot share fails now, not in the pods.
    let settings = JobSettings {
        seed: args.seed,
        split: SplitRequest {
            total_rows: args.total_rows,
            rows_per_file: args.rows_per_file,
            file_count: args.file_count,
            file_size,
        },
        start_row: 0,
        dataset_rows: None,
        format: match args.format {
            FormatArg::Parquet => OutputFormat::Parquet(codec),
            FormatArg::Json => OutputFormat::Json,
        },
        workers: 1,
        batch_rows: 16_384,
        on_invalid: Default::default(),
        collection_config: None,
    };
    let prepared = Job::prepare(schema.clone(), settings, None)?;
    let layout = ShardLayout::new(
        &prepared.settings().split,
        prepared.bytes_per_row(),
        prepared.settings().format.name(),
        shards,
    )?;

    let mut generate_args = Vec::new();
    let schema_file = match shipped {
        Some(path) => {
            let content = std::fs::read_to_string(&path)
                .map_err(|e| CliError::usage_msg(format!("cannot read {}: {e}", path.display())))?;
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "schema.json".into());
            generate_args.extend(["--schema".into(), format!("{SCHEMA_DIR}/{file_name}")]);
            Some(SchemaFile { file_name, content })
        }
        None => {
            generate_args.extend([
                "--builtin".to_string(),
                args.builtin.clone().expect("builtin"),
            ]);
            None
        }
    };
    let mut push = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            generate_args.extend([flag.to_string(), v]);
        }
    };
    // The resolved total, so every pod plans the same dataset whatever defaults it has.
    push("--total-rows", Some(layout.total_rows().to_string()));
    push("--rows-per-file", args.rows_per_file.map(|v| v.to_string()));
    push("--file-count", args.file_count.map(|v| v.to_string()));
    push("--file-size", args.file_size.clone());
    push(
        "--format",
        Some(match args.format {
            FormatArg::Parquet => "parquet".into(),
            FormatArg::Json => "json".into(),
        }),
    );
    push("--compression", Some(args.compression.clone()));
    push("--seed", Some(args.seed.to_string()));
    push("--partitions", args.partitions.map(|v| v.to_string()));
    push("--shards", args.shards.map(|v| v.to_string()));

    let request = JobRequest {
        name: job_name(
            &args
                .name
                .clone()
                .unwrap_or_else(|| format!("milvus-ingest-{}", schema.collection_name)),
        ),
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        shards,
        parallelism: args.parallelism,
        backoff_limit_per_index: args.backoff_limit_per_index,
        location: args.out.clone(),
        generate_args,
        schema_file,
        secret: args.secret.clone(),
        endpoint_url: args.endpoint_url.clone(),
        region: args.region.clone(),
        allow_http: args.allow_http,
        workers: args.workers,
        finalize_wait: args.finalize_wait,
    };
    if printer.is_json() {
        // A v1 List, which `kubectl apply -f` takes as well.
        printer.json(&serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": documents(&request),
        }));
    } else {
        printer.out(render(&request).trim_end());
    }
    printer.status(&format!(
        "{} shard(s) of {} rows in {} file(s) ({} per shard)",
        shards,
        layout.total_rows(),
        layout.file_count(),
        layout.file_range(0).len()
    ));
    Ok(())
}
