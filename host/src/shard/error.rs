//! Errors of sharded generation, status and finalize.

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// Bad flags or environment (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Some shards have not written their manifest yet.
    #[error("{location} is incomplete: {} of {count} shard(s) missing: {}", .missing.len(), list_missing(.missing, .count))]
    Incomplete {
        location: String,
        count: u32,
        missing: Vec<u32>,
    },
    /// Shards that failed for good (their failure markers; see `failure`): waiting is pointless.
    #[error("{location}: {} shard(s) failed for good, so the dataset cannot be finalized:\n  {}", .failures.len(), .failures.join("\n  "))]
    FailedForGood {
        location: String,
        failures: Vec<String>,
    },
    /// Manifests or files contradict each other or what is in the bucket.
    #[error("{location} is not consistent:\n  {}", .problems.join("\n  "))]
    Inconsistent {
        location: String,
        problems: Vec<String>,
    },
    #[error("{url}: not a valid shard manifest: {reason}")]
    BadManifest { url: String, reason: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
}

impl ShardError {
    pub fn is_usage(&self) -> bool {
        match self {
            ShardError::Usage(_) => true,
            ShardError::Storage(e) => e.is_usage(),
            _ => false,
        }
    }
}

fn list_missing(missing: &[u32], count: &u32) -> String {
    const SHOWN: usize = 20;
    let mut names: Vec<String> = missing
        .iter()
        .take(SHOWN)
        .map(|i| format!("{i} ({})", super::manifest::manifest_name(*i, *count)))
        .collect();
    if missing.len() > SHOWN {
        names.push(format!("and {} more", missing.len() - SHOWN));
    }
    names.join(", ")
}
