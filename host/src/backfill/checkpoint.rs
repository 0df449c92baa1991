//! The resume state of a backfill: the last `_id` whose vector was written (and synced), how
//! many documents were handled, and what the run selects with. One JSON file per collection
//! type and Milvus name, by default in `~/.local/state/milvus-ingest/backfill/` (next to sync's
//! directory), written atomically (temporary file, fsync, rename).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::BackfillError;
use crate::mongo::TimeWindow;

const VERSION: u32 = 1;

/// Where backfill checkpoints live unless `--state-dir` says otherwise.
pub fn default_state_dir() -> PathBuf {
    crate::sync::default_state_dir().with_file_name("backfill")
}

/// What a run selects and where it writes: a checkpoint only continues a run with the same.
/// Holds no API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub collection_type: String,
    /// `mongodb://host/db.collection` without credentials.
    pub source: String,
    pub model: String,
    pub only_missing: bool,
    pub window: TimeWindow,
    pub limit: Option<u64>,
    /// `uri/database/collection` of the Milvus target with `--sync`.
    pub sync_target: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub identity: Identity,
    /// Canonical Extended JSON of the last `_id` handled.
    pub last_id: Option<serde_json::Value>,
    /// Documents handled (counts towards `--limit`).
    pub read: u64,
    pub complete: bool,
    pub updated_at: String,
}

fn err(path: &Path, reason: impl ToString) -> BackfillError {
    BackfillError::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

impl Checkpoint {
    pub fn new(identity: Identity) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            identity,
            last_id: None,
            read: 0,
            complete: false,
            updated_at: String::new(),
        }
    }

    /// The checkpoint at `path`; None when there is none. A file that is not one is an error.
    pub fn load(path: &Path) -> Result<Option<Checkpoint>, BackfillError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(path, e)),
        };
        let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| {
            err(
                path,
                format!("not a backfill checkpoint ({e}); remove it to start over"),
            )
        })?;
        if cp.version != VERSION {
            return Err(err(
                path,
                format!("version {} (this build writes {VERSION})", cp.version),
            ));
        }
        Ok(Some(cp))
    }

    /// Refuses to continue a checkpoint of a run with other flags.
    pub fn check_matches(&self, path: &Path, now: &Identity) -> Result<(), BackfillError> {
        if &self.identity == now {
            return Ok(());
        }
        let was = serde_json::to_string(&self.identity).unwrap_or_default();
        let is = serde_json::to_string(now).unwrap_or_default();
        Err(err(
            path,
            format!(
                "it belongs to a different run (was {was}, now {is}); rerun with the same flags, or without --resume to start over"
            ),
        ))
    }

    /// Writes atomically: a temporary file in the same directory, fsync, rename.
    pub fn save(&mut self, path: &Path) -> Result<(), BackfillError> {
        self.updated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(path, e))?;
        }
        let tmp = crate::fsutil::temp_sibling(path);
        let text = serde_json::to_vec_pretty(self).expect("checkpoints serialise");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(|e| err(path, e))?;
            f.write_all(&text).map_err(|e| err(path, e))?;
            f.sync_all().map_err(|e| err(path, e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| err(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        let id = Identity {
            collection_type: "episodic_memory".into(),
            source: "mongodb://h/db.c".into(),
            model: "m".into(),
            only_missing: false,
            window: TimeWindow {
                field: "created_at".into(),
                from_ms: None,
                until_ms: None,
            },
            limit: Some(3),
            sync_target: None,
        };
        let mut cp = Checkpoint::new(id.clone());
        cp.read = 2;
        cp.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap().unwrap();
        assert_eq!(back.read, 2);
        back.check_matches(&path, &id).unwrap();
        let mut other = id;
        other.model = "n".into();
        assert!(back.check_matches(&path, &other).is_err());
        std::fs::write(&path, "{").unwrap();
        assert!(Checkpoint::load(&path).is_err());
    }
}
