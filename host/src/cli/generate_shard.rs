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
use crate::shard::failure::{ShardFailure, failure_name, final_attempt};
use crate::shard::run::{ShardRunError, run_shard};
use crate::shard::target::Target;
use crate::shard::{ShardError, ShardLayout, ShardSpec};
use crate::storage::{Location, StorageOptions};

impl From<ShardError> for CliError {
    fn from(e: ShardError) -> CliError {
        match e {
            ShardError::Storage(s) => s.into(),
            ShardError::Incomplete { .. } => CliError::failure(e).with_hint(
                "run the missing shards (the same command with their --shard I/N); `dataset status` shows what is done",
            ),
            ShardError::FailedForGood { .. } => CliError::failure(e).with_hint(
                "fix the cause, then re-run those shards with their --shard I/N and finalize; to apply the Jobs again instead, first delete the _shards/failed-*.json markers, or the new finalize Job stops on them at once",
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

/// Writes the failure marker of a shard that failed for good (`shard::failure`), so that
/// `dataset finalize --wait` stops waiting for it.
pub struct FailureRecorder {
    spec: ShardSpec,
    out: PathBuf,
    storage: StorageOptions,
}

impl FailureRecorder {
    /// `None` for a whole dataset, or a shard without `--out` (nothing waits on a default
    /// directory). Errors are the shard flags' own (bad input).
    pub fn new(args: &GenerateArgs) -> Result<Option<FailureRecorder>, CliError> {
        let (Some(spec), Some(out)) = (spec(args)?, &args.out) else {
            return Ok(None);
        };
        Ok(Some(FailureRecorder {
            spec,
            out: out.clone(),
            storage: args.storage.options(),
        }))
    }

    /// Records `error` when this attempt is the index's last. Best effort: the error itself is
    /// what the user must see, so a marker that cannot be written is only mentioned.
    pub fn record(&self, error: &CliError, printer: &Printer) {
        let (last, attempts) = final_attempt(error.code, |k| std::env::var(k).ok());
        if !last {
            return;
        }
        let failure = ShardFailure::new(self.spec, error.code, &error.error.to_string(), attempts);
        let name = failure_name(self.spec.index, self.spec.count);
        let written = Location::parse(&self.out.to_string_lossy())
            .map_err(ShardError::from)
            .and_then(|location| Target::open(&location, &self.storage, true))
            .and_then(|target| {
                let bytes = serde_json::to_vec_pretty(&failure).expect("failure serialises");
                target.put(&name, &bytes).map(|_| ())
            });
        if let Err(e) = written {
            printer.status(&format!(
                "could not record the failure of shard {} in {}: {e}",
                self.spec, name
            ));
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
    // A failure recorded by an earlier attempt (then fixed and re-run) no longer holds.
    let _ = target.delete(&failure_name(spec.index, spec.count));
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
