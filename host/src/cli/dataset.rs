//! `dataset status` and `dataset finalize`: the state of a dataset generated in shards, and the
//! step that turns a complete set of shards into one dataset (`meta.json`).

use std::time::Duration;

use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::error::CliError;
use super::printer::Printer;
use super::storage_args::StorageArgs;
use crate::shard::finalize::finalize;
use crate::shard::status::status;
use crate::shard::target::Target;
use crate::storage::Location;

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Which shards of a dataset generated with `generate --shard` are done.
    Status(StatusArgs),
    /// Check that every shard is done and its files are intact, then write the dataset's
    /// meta.json (what `to-milvus insert`, `import` and `verify` read).
    Finalize(FinalizeArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The dataset's location: a directory or s3://bucket/prefix (also gs://, az://).
    #[arg(value_name = "DIR|URL")]
    pub location: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// The dataset's location: a directory or s3://bucket/prefix (also gs://, az://).
    #[arg(value_name = "DIR|URL")]
    pub location: String,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Wait up to this many seconds for missing shards instead of refusing at once.
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
    /// Seconds between looks while waiting.
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    pub poll: u64,
}

pub fn run(command: DatasetCommand, printer: &Printer) -> Result<(), CliError> {
    match command {
        DatasetCommand::Status(args) => run_status(args, printer),
        DatasetCommand::Finalize(args) => run_finalize(args, printer),
    }
}

fn open(location: &str, storage: &StorageArgs) -> Result<Target, CliError> {
    let location = Location::parse(location)?;
    Ok(Target::open(&location, &storage.options(), false)?)
}

fn run_status(args: StatusArgs, printer: &Printer) -> Result<(), CliError> {
    let target = open(&args.location, &args.storage)?;
    let report = status(&target)?;
    if printer.is_json() {
        printer.json(&report);
        return Ok(());
    }
    if report.shard_count == 0 {
        printer.out(&format!(
            "{}: no shard manifests (nothing generated there with --shard yet)",
            report.location
        ));
    } else {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(vec!["shard", "state", "files", "rows", "size", "seconds"]);
        for s in &report.shards {
            table.add_row(vec![
                s.index.to_string(),
                s.state.to_string(),
                format!("{}/{}", s.files, s.files_expected),
                s.rows.to_string(),
                bytesize::ByteSize(s.bytes).to_string(),
                s.seconds.map_or(String::new(), |v| format!("{v:.1}")),
            ]);
        }
        printer.out(&table.to_string());
        printer.out(&format!(
            "{} of {} shard(s) done ({} of {} rows, {}) of `{}` at {}; {}",
            report.done,
            report.shard_count,
            report.rows_done,
            report.total_rows,
            bytesize::ByteSize(report.bytes_done),
            report.collection.as_deref().unwrap_or("?"),
            report.location,
            if report.finalized {
                "finalized (meta.json present)".to_string()
            } else if report.missing.is_empty() {
                format!("ready: milvus-ingest dataset finalize {}", report.location)
            } else {
                format!("not finalized; missing: {}", join(&report.missing))
            }
        ));
    }
    for s in report.shards.iter().filter(|s| s.error.is_some()) {
        printer.status(&format!(
            "failed for good: {}",
            s.error.as_deref().unwrap_or("")
        ));
    }
    for f in &report.foreign {
        printer.status(&format!("warning: {f}"));
    }
    Ok(())
}

fn join(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_finalize(args: FinalizeArgs, printer: &Printer) -> Result<(), CliError> {
    if args.poll == 0 {
        return Err(CliError::usage_msg("--poll must be at least 1 second"));
    }
    let target = open(&args.location, &args.storage)?;
    let report = finalize(
        &target,
        args.wait.map(Duration::from_secs),
        Duration::from_secs(args.poll),
    )?;
    if printer.is_json() {
        printer.json(&report);
    } else {
        printer.out(&format!(
            "finalized `{}`: {} shard(s), {} file(s), {} rows, {} (checked: {}) -> {}",
            report.collection,
            report.shards,
            report.files,
            report.rows,
            bytesize::ByteSize(report.bytes),
            serde_json::to_value(report.verified)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default(),
            target.store.url(crate::format::META_FILE)
        ));
    }
    Ok(())
}
