//! `to-milvus import`: create the collection, then have Milvus bulk-import the dataset's files
//! from the bucket it reads; optionally upload them first (`--local-path`) and wait for the
//! import (`--wait`), then load and print the row count.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::error::CliError;
use super::printer::Printer;
use super::storage_args::StorageArgs;
use super::to_milvus::{ConnectArgs, connect};
use super::upload::Bar as UploadBar;
use crate::format::{DatasetMeta, META_FILE, read_meta};
use crate::milvus::import::{
    ImportApi, ImportReporter, TaskState, check_import_support, submit, wait,
};
use crate::milvus::{CollectionOptions, collection, query};
use crate::storage::{Location, StorageError, Store, UploadOptions, upload_dir};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApiArg {
    /// gRPC `Import`, one task per file (Milvus 2.3+).
    V1,
    /// ImportV2 over REST, up to 1024 files per job (Milvus 2.4+).
    V2,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Dataset directory to upload first (omit to import what is already in the bucket).
    #[arg(long, value_name = "DIR")]
    pub local_path: Option<PathBuf>,
    /// Where the dataset is (or goes): a key prefix inside --bucket, or s3://bucket/prefix.
    #[arg(long, value_name = "PREFIX")]
    pub s3_path: String,
    /// The bucket Milvus reads (its `minio.bucketName`).
    #[arg(long, env = "MILVUS_BUCKET")]
    pub bucket: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[arg(long)]
    pub collection_name: Option<String>,
    /// Drop an existing collection of that name and create it anew.
    #[arg(long)]
    pub drop_if_exists: bool,
    /// Force the import protocol [default: v2 for Milvus 2.4+, v1 before].
    #[arg(long, value_enum)]
    pub api: Option<ApiArg>,
    /// Wait for the import to finish, then load and count.
    #[arg(long)]
    pub wait: bool,
    /// Seconds --wait may take.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    pub timeout: u64,
    /// Upload requests in flight (with --local-path).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: u64,
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Serialize)]
struct Summary {
    status: &'static str,
    collection: String,
    api: ImportApi,
    files: usize,
    tasks: Vec<TaskState>,
    row_count: Option<u64>,
    expected_rows: u64,
    seconds: f64,
}

struct WaitBar(Option<ProgressBar>);

impl ImportReporter for WaitBar {
    fn progress(&self, percent: u32, rows: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(percent as u64);
            bar.set_message(format!("{rows} rows"));
        }
    }
}

fn location(args: &ImportArgs) -> Result<Location, CliError> {
    if Location::is_remote(&args.s3_path) {
        let location = Location::parse(&args.s3_path)?;
        if let (Location::S3 { bucket, .. }, Some(given)) = (&location, &args.bucket)
            && bucket != given
        {
            return Err(CliError::usage_msg(format!(
                "--s3-path {} is in bucket `{bucket}` but --bucket is `{given}`",
                args.s3_path
            )));
        }
        if !matches!(location, Location::S3 { .. }) {
            return Err(CliError::usage_msg(
                "to-milvus import reads from the S3-compatible bucket Milvus uses: --s3-path must be s3://... or a prefix",
            ));
        }
        return Ok(location);
    }
    let Some(bucket) = &args.bucket else {
        return Err(CliError::usage_msg(
            "--bucket is required when --s3-path is a prefix (the bucket Milvus reads, e.g. a-bucket)",
        ));
    };
    Ok(Location::parse(&format!(
        "s3://{bucket}/{}",
        args.s3_path.trim_matches('/')
    ))?)
}

pub async fn run(args: ImportArgs, printer: &Printer) -> Result<(), CliError> {
    let started = std::time::Instant::now();
    let location = location(&args)?;
    let store = Store::open(&location, &args.storage.options())?;
    // Credentials (and TLS) are checked before anything is uploaded.
    let client = connect(&args.connect).await?;
    let meta: DatasetMeta = match &args.local_path {
        Some(dir) => {
            let meta = read_meta(dir).map_err(|e| CliError::usage(anyhow::anyhow!(e)))?;
            let bar = UploadBar::new(!args.no_progress);
            let options = UploadOptions {
                concurrency: args.concurrency as usize,
                ..UploadOptions::default()
            };
            let summary = upload_dir(dir, &store, &options, &bar, &AtomicBool::new(false)).await;
            bar.finish();
            let summary = summary?;
            printer.status(&format!(
                "uploaded {} file(s) ({}), {} already there, to {}",
                summary.uploaded_files,
                bytesize::ByteSize(summary.uploaded_bytes),
                summary.skipped_files,
                summary.destination
            ));
            meta
        }
        None => {
            store.check_access().await?;
            let bytes = store.get(META_FILE).await.map_err(|e| match e {
                StorageError::NotFound { url } => CliError::usage_msg(format!(
                    "{url} does not exist: no complete dataset there; upload one first or pass --local-path DIR"
                )),
                other => other.into(),
            })?;
            serde_json::from_slice(&bytes).map_err(|e| {
                CliError::usage_msg(format!(
                    "{} is not a valid meta.json: {e}",
                    store.url(META_FILE)
                ))
            })?
        }
    };
    // Milvus answers a missing file only deep inside a failed task: check every object first.
    let mut missing = Vec::new();
    for file in &meta.generation_info.data_files {
        match store.head(&file.file_name).await? {
            Some(object) if object.size == file.file_size_bytes || file.file_size_bytes == 0 => {}
            Some(object) => missing.push(format!(
                "{} holds {} bytes, meta.json says {}",
                store.url(&file.file_name),
                object.size,
                file.file_size_bytes
            )),
            None => missing.push(format!("{} does not exist", store.url(&file.file_name))),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::failure(anyhow::anyhow!(
            "the dataset at {location} is incomplete:\n  {}",
            missing.join("\n  ")
        ))
        .with_hint("upload it again (`upload` or --local-path): uploads resume and skip what is already there"));
    }

    let name = args
        .collection_name
        .clone()
        .unwrap_or_else(|| meta.schema.collection_name.clone());
    let mut options = CollectionOptions::new(name.clone());
    options.drop_if_exists = args.drop_if_exists;
    let config = meta.collection_config.clone().unwrap_or_default();
    options.partitions = config.num_partitions;
    options.shards = config.num_shards;
    let api = match args.api {
        Some(ApiArg::V1) => ImportApi::V1,
        Some(ApiArg::V2) => ImportApi::V2,
        None => ImportApi::for_server(&client),
    };
    check_import_support(&meta.schema, api, &client.version.to_string())?;
    let prepared = collection::prepare(&client, &meta.schema, &options).await?;
    for warning in &prepared.warnings {
        printer.status(&format!("warning: {warning}"));
    }
    let keys: Vec<String> = meta
        .generation_info
        .data_files
        .iter()
        .map(|f| location.key(&f.file_name))
        .collect();
    let tasks = submit(&client, &name, &keys, api).await?;
    printer.status(&format!(
        "Milvus {} ({}): submitted {} file(s) of {location} as {} import {} into `{name}`",
        client.version,
        client.uri,
        keys.len(),
        tasks.len(),
        match api {
            ImportApi::V1 => "task(s)",
            ImportApi::V2 => "job(s)",
        }
    ));
    let expected_rows = meta.generation_info.total_rows;
    let mut summary = Summary {
        status: "submitted",
        collection: name.clone(),
        api,
        files: keys.len(),
        tasks: Vec::new(),
        row_count: None,
        expected_rows,
        seconds: 0.0,
    };
    if args.wait {
        let show = !args.no_progress && std::io::stderr().is_terminal();
        let bar = WaitBar(show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}% {msg}",
                )
                .expect("valid template"),
            );
            bar
        }));
        let states = wait(
            &client,
            &tasks,
            Duration::from_secs(args.timeout),
            Duration::from_secs(2),
            &bar,
        )
        .await;
        if let Some(b) = &bar.0 {
            b.finish_and_clear();
        }
        let states = states?;
        let failed: Vec<&TaskState> = states.iter().filter(|s| s.failed).collect();
        if !failed.is_empty() {
            let lines: Vec<String> = failed
                .iter()
                .map(|s| {
                    format!(
                        "{} (task {}): {}",
                        s.files.join(", "),
                        s.id,
                        s.reason.as_deref().unwrap_or("no reason given")
                    )
                })
                .collect();
            return Err(CliError::failure(anyhow::anyhow!(
                "{} of {} import task(s) failed:\n  {}",
                failed.len(),
                states.len(),
                lines.join("\n  ")
            )));
        }
        collection::load(&client, &name, Duration::from_secs(args.timeout)).await?;
        // Imported segments reach the query nodes shortly after the tasks complete.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut count = query::count(&client, &name).await?;
        while count < expected_rows && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            count = query::count(&client, &name).await?;
        }
        summary.status = "completed";
        summary.row_count = Some(count);
        summary.tasks = states;
    } else {
        summary.tasks = tasks
            .iter()
            .map(|t| TaskState {
                id: t.id.clone(),
                files: t.files.clone(),
                state: "Submitted".into(),
                progress: 0,
                rows: 0,
                done: false,
                failed: false,
                reason: None,
            })
            .collect();
    }
    summary.seconds = started.elapsed().as_secs_f64();
    if printer.is_json() {
        printer.json(&summary);
    } else if let Some(count) = summary.row_count {
        printer.out(&format!(
            "imported {} file(s) into `{name}` in {:.1}s; collection loaded, {count} rows (meta.json: {expected_rows})",
            keys.len(),
            summary.seconds
        ));
    } else {
        let ids: Vec<&str> = summary.tasks.iter().map(|t| t.id.as_str()).collect();
        printer.out(&format!(
            "submitted {} import task(s) for `{name}`: {} (pass --wait to follow them)",
            ids.len(),
            ids.join(", ")
        ));
    }
    if summary.row_count.is_some_and(|c| c != expected_rows) {
        return Err(CliError::failure(anyhow::anyhow!(
            "`{name}` holds {} rows after the import, meta.json says {expected_rows}",
            summary.row_count.unwrap_or(0)
        ))
        .with_hint("was the collection not empty before? use --drop-if-exists to start afresh"));
    }
    Ok(())
}
