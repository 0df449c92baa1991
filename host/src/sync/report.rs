//! What a run tells the user: progress through [`SyncReporter`], the [`SyncSummary`] at the
//! end, and the `--report` file: one JSON line (`id`, `status`, `reason`) per skipped or failed
//! document, written to `FILE.partial` and renamed to `FILE` when the run ends.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::SyncError;

/// Progress callbacks; the CLI draws a bar (on a terminal only) and prints warnings.
pub trait SyncReporter: Send + Sync {
    /// Documents to read when known (files and limits), else None.
    fn start(&self, _total: Option<u64>) {}
    /// Documents read so far (this run).
    fn read(&self, _documents: u64) {}
    fn warning(&self, _message: &str) {}
    /// The initial pass ended; `--follow` now tails the change stream.
    fn following(&self) {}
    /// Changes applied while following (running total).
    fn changes(&self, _applied: u64) {}
}

/// A reporter that says nothing.
pub struct Quiet;
impl SyncReporter for Quiet {}

/// The outcome of a run. Every document read is exactly one of: upserted, deleted, skipped,
/// collapsed (a later document with the same key in its batch won) or failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncSummary {
    pub collection_type: String,
    /// The Milvus name written to (an alias) and the collection behind it.
    pub collection: String,
    pub real_collection: String,
    /// created / reused / "dry run".
    pub target: String,
    pub source: String,
    pub dry_run: bool,
    /// Continued from a checkpoint (documents it had already acknowledged).
    pub resumed_after: Option<u64>,
    pub read: u64,
    pub converted: u64,
    pub skipped: u64,
    /// Skips grouped by reason (digits folded, so "3 dimensions" and "5 dimensions" share a row).
    pub skipped_by_reason: BTreeMap<String, u64>,
    pub collapsed: u64,
    pub upserted: u64,
    pub deleted: u64,
    pub failed: u64,
    pub retries: u64,
    /// Change-stream events applied by `--follow`.
    pub changes_applied: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
    pub checkpoint: Option<PathBuf>,
    pub failures: Vec<String>,
    /// Why `--follow` stopped on its own (the collection was dropped or renamed): the run then
    /// exits 1 with this message after the summary. None when stopped by Ctrl-C or SIGTERM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl SyncSummary {
    /// Counts a skip under its reason class.
    pub fn skip(&mut self, reason: &str) {
        self.skipped += 1;
        let mut class = String::with_capacity(reason.len());
        let mut in_number = false;
        for c in reason.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    class.push('N');
                }
                in_number = true;
            } else {
                in_number = false;
                class.push(c);
            }
        }
        let class: String = class.chars().take(120).collect();
        *self.skipped_by_reason.entry(class).or_default() += 1;
    }
}

/// The `--report` file.
pub struct ReportFile {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    status: &'a str,
    reason: &'a str,
}

impl ReportFile {
    pub fn create(path: &Path) -> Result<ReportFile, SyncError> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial).map_err(|source| SyncError::Report {
            path: partial.clone(),
            source,
        })?;
        Ok(ReportFile {
            path: path.to_path_buf(),
            partial,
            out: BufWriter::new(file),
        })
    }

    /// One line: `status` is `skipped` or `failed`.
    pub fn line(&mut self, id: &str, status: &str, reason: &str) -> Result<(), SyncError> {
        let text = serde_json::to_string(&Line { id, status, reason }).expect("lines serialise");
        writeln!(self.out, "{text}").map_err(|source| SyncError::Report {
            path: self.partial.clone(),
            source,
        })
    }

    /// Flushes and moves the file into place.
    pub fn finish(mut self) -> Result<(), SyncError> {
        let err = |source| SyncError::Report {
            path: self.path.clone(),
            source,
        };
        self.out.flush().map_err(err)?;
        self.out.get_ref().sync_all().map_err(err)?;
        std::fs::rename(&self.partial, &self.path).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_without_their_numbers() {
        let mut s = SyncSummary::default();
        s.skip("vector has 3 dimensions, expected 1024");
        s.skip("vector has 12 dimensions, expected 1024");
        s.skip("no vector");
        assert_eq!(s.skipped, 3);
        assert_eq!(
            s.skipped_by_reason["vector has N dimensions, expected N"],
            2
        );
        assert_eq!(s.skipped_by_reason["no vector"], 1);
    }

    #[test]
    fn the_report_appears_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let mut r = ReportFile::create(&path).unwrap();
        r.line("a\"b", "skipped", "no vector").unwrap();
        assert!(!path.exists());
        r.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["id"], "a\"b");
        assert_eq!(v["reason"], "no vector");
    }
}
