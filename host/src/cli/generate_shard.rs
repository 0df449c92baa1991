//! `generate --shard I/N` (also `--parts N --part K`, `--shard-from-env`): one shard of a
//! dataset into a location other shards write to at the same time. The library does the work
//! (`shard::run`); this file resolves the flags and prints.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::error::CliError;
use super::generate::GenerateArgs;
use super::printer::Printer;
use super::progress::Bar;
use crate::generate::job::Job;
use crate::schema::Schema;
use crate::shard::run::{ShardRunError, run_shard};
use crate::shard::target::Target;
use crate::shard::{ShardError, ShardLayout, ShardSpec};
use crate::storage::Location;

impl From<ShardError> for CliError {
    fn from(e: ShardError) -> CliError {
        match e {
            ShardError::Storage(s) => s.into(),
            ShardError::Incomplete { .. } => CliError::failure(e).with_hint(
                "run the missing shards (the same command with their --shard I/N); `dataset status` shows what is done",
            ),
            e if e.is_usage() => CliError::usage(e),
            e => CliError::failure(e),
        }
    }
}

impl From<ShardRunError> for CliError {
    fn from(e: ShardRunError) -> CliError {
        match e {
            ShardRunError::Shard(e) => e.into(),
            ShardRunError::Generate(e) => e.into(),
        }
    }
}

/// The shard this run generates, from whichever spelling was used; `None` for a whole dataset.
pub fn spec(args: &GenerateArgs) -> Result<Option<ShardSpec>, CliError> {
    let spec = match (&args.shard, args.parts, args.part, args.shard_from_env) {
        (Some(text), ..) => ShardSpec::parse(text)?,
        (None, Some(parts), Some(part), _) => ShardSpec::from_parts(parts, part)?,
        (None, None, None, true) => ShardSpec::from_env(|k| std::env::var(k).ok())?,
        _ => return Ok(None),
    };
    Ok(Some(spec))
}

#[derive(Serialize)]
struct Summary<'a> {
    status: &'a str,
    collection: &'a str,
    shard: ShardSpec,
    out: String,
    manifest: String,
    rows: u64,
    first_row: u64,
    files: Vec<&'a str>,
    dataset_files: usize,
    dataset_rows: u64,
    bytes: u64,
    seconds: f64,
    rows_per_second: f64,
}

pub fn run(
    args: &GenerateArgs,
    spec: ShardSpec,
    schema: &Schema,
    job: Job,
    bar: &Bar,
    cancel: &Arc<AtomicBool>,
    printer: &Printer,
) -> Result<(), CliError> {
    let layout = ShardLayout::new(
        &job.settings().split,
        job.bytes_per_row(),
        job.settings().format.name(),
        spec.count,
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&schema.collection_name));
    let location = Location::parse(&out.to_string_lossy())?;
    let target = Target::open(&location, &args.storage.options(), true)?;
    let outcome = run_shard(&target, job, &layout, spec, args.force, bar, cancel)?;
    let m = &outcome.manifest;
    let summary = Summary {
        status: "ok",
        collection: &schema.collection_name,
        shard: spec,
        out: location.to_string(),
        manifest: target.store.url(&m.name()),
        rows: m.rows,
        first_row: m.files.first().map_or(0, |f| f.first_row),
        files: m.files.iter().map(|f| f.file_name.as_str()).collect(),
        dataset_files: layout.file_count(),
        dataset_rows: layout.total_rows(),
        bytes: m.bytes,
        seconds: m.seconds,
        rows_per_second: m.rows as f64 / m.seconds.max(1e-9),
    };
    if printer.is_json() {
        printer.json(&summary);
    } else {
        let files = match (summary.files.first(), summary.files.last()) {
            (Some(a), Some(b)) if a != b => format!("{a} .. {b}"),
            (Some(a), _) => a.to_string(),
            _ => "no files".into(),
        };
        printer.out(&format!(
            "shard {spec}: generated {} rows of `{}` (from row {}) in {} file(s) ({files}), {} in {:.2}s ({:.0} rows/s) -> {}",
            summary.rows,
            summary.collection,
            summary.first_row,
            summary.files.len(),
            bytesize::ByteSize(summary.bytes),
            summary.seconds,
            summary.rows_per_second,
            summary.out
        ));
        printer.status(&format!(
            "wrote {}; when all {} shards are done: milvus-ingest dataset finalize {}",
            summary.manifest, spec.count, summary.out
        ));
    }
    Ok(())
}
