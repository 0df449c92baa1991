//! The resume state of a sync: what was read and acknowledged by Milvus, and what it was read
//! with (source, filter, target). One JSON file per target collection, by default in
//! `$XDG_STATE_HOME/milvus-ingest/sync/` (`~/.local/state/milvus-ingest/sync/<collection>.json`),
//! or in `--state-dir`. Written atomically (temporary file, fsync, rename), so a kill at any
//! moment leaves the previous or the next state, never half of one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::SyncError;
use crate::mongo::TimeWindow;

const VERSION: u32 = 1;

/// Where checkpoints live unless `--state-dir` says otherwise.
pub fn default_state_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("milvus-ingest")
        .join("sync")
}

/// The checkpoint file of target `collection` in `dir`.
pub fn checkpoint_path(dir: &Path, collection: &str) -> PathBuf {
    let safe: String = collection
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.json"))
}

/// What a run reads and where it writes: a checkpoint only continues a run with the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub collection_type: String,
    pub milvus_uri: String,
    pub db_name: String,
    pub collection: String,
    /// `mongodb://host/db.collection` (no credentials) or `files:` and the paths.
    pub source: String,
    /// `--days` as given (the window then comes from the checkpoint, not from now).
    pub days: Option<u32>,
    pub window: TimeWindow,
    pub limit: Option<u64>,
}

impl Identity {
    /// The differences that forbid resuming, as `what: was → now` lines.
    pub fn differences(&self, now: &Identity) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |what: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{what}: {a} → {b}"));
            }
        };
        cmp(
            "collection type",
            self.collection_type.clone(),
            now.collection_type.clone(),
        );
        cmp("Milvus", self.milvus_uri.clone(), now.milvus_uri.clone());
        cmp("database", self.db_name.clone(), now.db_name.clone());
        cmp(
            "collection",
            self.collection.clone(),
            now.collection.clone(),
        );
        cmp("source", self.source.clone(), now.source.clone());
        cmp(
            "--days",
            format!("{:?}", self.days),
            format!("{:?}", now.days),
        );
        if self.days.is_none() {
            cmp(
                "time window",
                format!("{:?}", self.window),
                format!("{:?}", now.window),
            );
        }
        cmp(
            "--limit",
            format!("{:?}", self.limit),
            format!("{:?}", now.limit),
        );
        out
    }
}

/// The resume state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub identity: Identity,
    /// Canonical Extended JSON of the last `_id` acknowledged (live sources).
    pub last_id: Option<serde_json::Value>,
    /// Documents consumed from the files, in or out of the window (file sources).
    pub position: u64,
    /// Documents read and acknowledged (counts towards `--limit`).
    pub read: u64,
    /// Whether the initial pass reached the end.
    pub scan_complete: bool,
    /// Change-stream resume token (Extended JSON), for `--follow`.
    pub resume_token: Option<serde_json::Value>,
    pub updated_at: String,
}

impl Checkpoint {
    pub fn new(identity: Identity) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            identity,
            last_id: None,
            position: 0,
            read: 0,
            scan_complete: false,
            resume_token: None,
            updated_at: String::new(),
        }
    }

    /// The checkpoint at `path`, None when there is none. A file that is not a checkpoint is
    /// an error (never silently restarted from scratch).
    pub fn load(path: &Path) -> Result<Option<Checkpoint>, SyncError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SyncError::Checkpoint {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| SyncError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!("not a sync checkpoint ({e}); remove it to start over"),
        })?;
        if cp.version != VERSION {
            return Err(SyncError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!(
                    "version {} (this milvus-ingest writes {VERSION})",
                    cp.version
                ),
            });
        }
        Ok(Some(cp))
    }

    /// Refuses to continue a checkpoint written for another source, filter or target.
    pub fn check_matches(&self, path: &Path, now: &Identity) -> Result<(), SyncError> {
        let diffs = self.identity.differences(now);
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(SyncError::Checkpoint {
                path: path.to_path_buf(),
                reason: format!(
                    "it belongs to a different run, so --resume would skip or repeat documents:\n{}\nrerun with the same flags, or without --resume to start over",
                    diffs
                        .iter()
                        .map(|d| format!("  - {d}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            })
        }
    }

    /// Writes atomically: a temporary file in the same directory, fsync, rename.
    pub fn save(&mut self, path: &Path) -> Result<(), SyncError> {
        let err = |e: std::io::Error| SyncError::Checkpoint {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        self.updated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
        let text = serde_json::to_vec_pretty(self).expect("checkpoints serialise");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(err)?;
            f.write_all(&text).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        std::fs::rename(&tmp, path).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            collection_type: "episodic_memory".into(),
            milvus_uri: "http://127.0.0.1:19530".into(),
            db_name: String::new(),
            collection: "c".into(),
            source: "mongodb://h/db.coll".into(),
            days: Some(7),
            window: TimeWindow {
                field: "created_at".into(),
                from_ms: Some(5),
                until_ms: None,
            },
            limit: None,
        }
    }

    #[test]
    fn saves_atomically_and_refuses_another_filter() {
        let dir = tempfile::tempdir().unwrap();
        let path = checkpoint_path(dir.path(), "a/b c");
        assert!(path.ends_with("a_b_c.json"));
        assert!(Checkpoint::load(&path).unwrap().is_none());
        let mut cp = Checkpoint::new(identity());
        cp.read = 42;
        cp.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap().unwrap();
        assert_eq!(back.read, 42);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary files left"
        );
        let mut rolled = identity();
        rolled.window.from_ms = Some(99);
        back.check_matches(&path, &rolled).unwrap();
        let mut other = identity();
        other.days = Some(1);
        let e = back.check_matches(&path, &other).unwrap_err().to_string();
        assert!(e.contains("--days: Some(7) → Some(1)"), "{e}");
        std::fs::write(&path, "{}").unwrap();
        assert!(
            Checkpoint::load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a sync checkpoint")
        );
    }
}
