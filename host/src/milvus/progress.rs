//! The `--resume` record of an insert: an append-only text file next to the data.
//!
//! Line 1 is a JSON header naming the target (URI, database, collection) and the files with
//! their row counts; a resume against anything else is refused. Then, per request, `S f s e`
//! before it is sent and `A f s e` once Milvus acknowledged rows `[s, e)` of file `f`; `D` when
//! the run finished. Each line is one `write` on an `O_APPEND` file, so a killed process leaves
//! at worst a torn last line, which is ignored.
//!
//! Insert is not idempotent, so a range that was sent but never acknowledged is "in doubt": it
//! may or may not be in Milvus. The inserter resolves those by asking Milvus which of their
//! primary keys exist (impossible for auto-id keys, which it reports).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::error::{MilvusError, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub uri: String,
    pub db_name: String,
    pub collection: String,
    /// (file name, rows) in dataset order.
    pub files: Vec<(String, u64)>,
}

/// What an earlier run left: per file, acknowledged and in-doubt ranges.
#[derive(Debug, Default, Clone)]
pub struct Previous {
    pub acked: Vec<Vec<(u64, u64)>>,
    pub in_doubt: Vec<Vec<(u64, u64)>>,
    pub done: bool,
}

pub struct ProgressFile {
    path: PathBuf,
    file: Mutex<File>,
}

/// `DIR/.milvus-ingest-insert.<collection>.progress`.
pub fn progress_path(dir: &Path, collection: &str) -> PathBuf {
    dir.join(format!(".milvus-ingest-insert.{collection}.progress"))
}

impl ProgressFile {
    /// Starts a new record, replacing any earlier one.
    pub fn create(path: &Path, header: &Header) -> Result<ProgressFile> {
        let mut file = File::create(path).map_err(|e| MilvusError::io(path, e))?;
        let line = serde_json::to_string(header).expect("header serialises") + "\n";
        file.write_all(line.as_bytes())
            .map_err(|e| MilvusError::io(path, e))?;
        Ok(ProgressFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Reopens an earlier record for appending and returns what it says.
    pub fn resume(path: &Path, header: &Header) -> Result<(ProgressFile, Previous)> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((
                    ProgressFile::create(path, header)?,
                    Previous::empty(header.files.len()),
                ));
            }
            Err(e) => return Err(MilvusError::io(path, e)),
        };
        let mut lines = text.lines();
        let old: Header = lines
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| MilvusError::Data {
                path: path.to_path_buf(),
                reason: "not a progress file (bad header); delete it or run without --resume"
                    .into(),
            })?;
        if &old != header {
            return Err(MilvusError::Usage(format!(
                "{}: records an insert of {} files into `{}` at {} (db {}), not this one; delete it or run without --resume",
                path.display(),
                old.files.len(),
                old.collection,
                old.uri,
                old.db_name
            )));
        }
        let previous = parse(lines, header.files.len());
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| MilvusError::io(path, e))?;
        Ok((
            ProgressFile {
                path: path.to_path_buf(),
                file: Mutex::new(file),
            },
            previous,
        ))
    }

    fn line(&self, text: String) -> Result<()> {
        let mut file = self.file.lock().expect("progress lock");
        // A torn earlier line (killed writer) must not swallow this one.
        file.write_all(format!("\n{text}\n").as_bytes())
            .map_err(|e| MilvusError::io(&self.path, e))
    }

    pub fn sent(&self, file: usize, start: u64, end: u64) -> Result<()> {
        self.line(format!("S {file} {start} {end}"))
    }

    pub fn acked(&self, file: usize, start: u64, end: u64) -> Result<()> {
        self.line(format!("A {file} {start} {end}"))
    }

    pub fn done(&self) -> Result<()> {
        self.line("D".to_string())?;
        self.file
            .lock()
            .expect("progress lock")
            .sync_all()
            .map_err(|e| MilvusError::io(&self.path, e))
    }
}

impl Previous {
    pub fn empty(files: usize) -> Previous {
        Previous {
            acked: vec![Vec::new(); files],
            in_doubt: vec![Vec::new(); files],
            done: false,
        }
    }
}

fn parse<'a>(lines: impl Iterator<Item = &'a str>, files: usize) -> Previous {
    let mut prev = Previous::empty(files);
    let mut sent: Vec<Vec<(u64, u64)>> = vec![Vec::new(); files];
    for line in lines {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["D"] => prev.done = true,
            [kind @ ("S" | "A"), f, s, e] => {
                let (Ok(f), Ok(s), Ok(e)) =
                    (f.parse::<usize>(), s.parse::<u64>(), e.parse::<u64>())
                else {
                    continue;
                };
                if f >= files || s >= e {
                    continue;
                }
                if *kind == "S" {
                    sent[f].push((s, e));
                } else {
                    prev.acked[f].push((s, e));
                }
            }
            _ => {}
        }
    }
    for (f, sent) in sent.iter().enumerate() {
        prev.acked[f] = merge(std::mem::take(&mut prev.acked[f]));
        let doubt = sent
            .iter()
            .flat_map(|&r| subtract(r, &prev.acked[f]))
            .collect();
        prev.in_doubt[f] = merge(doubt);
    }
    prev
}

/// Sorted, non-overlapping union of ranges.
pub fn merge(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Parts of `range` not covered by the sorted, merged `covered`.
pub fn subtract(range: (u64, u64), covered: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut at = range.0;
    for &(s, e) in covered {
        if e <= at || s >= range.1 {
            continue;
        }
        if s > at {
            out.push((at, s));
        }
        at = at.max(e);
    }
    if at < range.1 {
        out.push((at, range.1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_torn_lines_and_find_in_doubt_ranges() {
        let text = "S 0 0 10\nA 0 0 10\nS 0 10 20\nS 0 20 30\nA 0 20 30\nS 1 0 5\nA 1 0";
        let prev = parse(text.lines(), 2);
        assert_eq!(prev.acked[0], vec![(0, 10), (20, 30)]);
        assert_eq!(prev.in_doubt[0], vec![(10, 20)]);
        assert_eq!(prev.in_doubt[1], vec![(0, 5)]);
        assert!(!prev.done);
        assert_eq!(subtract((0, 40), &prev.acked[0]), vec![(10, 20), (30, 40)]);
    }
}
