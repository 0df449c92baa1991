//! The small file that lets an interrupted rebuild continue (`--resume`) or be undone
//! (`--abort`): the plan, and the primary key up to which every row is in the new collection.
//! Written atomically (temporary name, then rename), so a crash leaves the old or the new
//! version, never half of one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{RebuildError, Result};
use super::plan::Plan;
use crate::fsutil::temp_sibling;
use crate::milvus::query::Pk;

/// Where the rebuild stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub uri: String,
    pub db_name: String,
    pub plan: Plan,
    /// Every row with a primary key up to this one is in the new collection (none: nothing
    /// copied yet).
    pub checkpoint: Option<Value>,
    pub rows_copied: u64,
    /// The copy reached the end of the old collection.
    pub copied: bool,
    /// Rows are copied at all (false with `--no-migrate-data`).
    pub migrate: bool,
    /// Largest value of the time field copied (for `--catch-up`).
    #[serde(default)]
    pub max_time: Option<i64>,
}

/// A primary key as JSON (number or string).
pub fn pk_to_json(pk: &Pk) -> Value {
    match pk {
        Pk::Int(i) => Value::from(*i),
        Pk::Str(s) => Value::String(s.clone()),
    }
}

pub fn pk_from_json(v: &Value) -> Option<Pk> {
    match v {
        Value::Number(n) => n.as_i64().map(Pk::Int),
        Value::String(s) => Some(Pk::Str(s.clone())),
        _ => None,
    }
}

/// The directory of state files: `$MILVUS_INGEST_HOME/rebuild`, else the platform data dir.
pub fn state_dir() -> PathBuf {
    std::env::var_os("MILVUS_INGEST_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("milvus-ingest")))
        .unwrap_or_else(|| PathBuf::from(".milvus-ingest"))
        .join("rebuild")
}

/// The state file of one alias on one server and database.
pub fn state_path(dir: &Path, uri: &str, db_name: &str, alias: &str) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    dir.join(format!(
        "{}-{}-{}.json",
        clean(
            uri.trim_start_matches("http://")
                .trim_start_matches("https://")
        ),
        clean(db_name),
        clean(alias)
    ))
}

fn err(path: &Path, reason: impl ToString) -> RebuildError {
    RebuildError::State {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

impl State {
    /// Writes the state (atomically).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(path, e))?;
        }
        let tmp = temp_sibling(path);
        let text = serde_json::to_vec_pretty(self).map_err(|e| err(path, e))?;
        std::fs::write(&tmp, text).map_err(|e| err(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| err(path, e))
    }

    /// Reads a state file; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<State>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| err(path, format!("not a rebuild state file: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(path, e)),
        }
    }

    pub fn remove(path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(err(path, e)),
        }
    }
}
