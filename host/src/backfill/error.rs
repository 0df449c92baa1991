//! Why a backfill stopped. Per-document problems are not errors: they are skips and failures
//! counted in the summary and listed in the report.

use std::path::PathBuf;

use super::vectors::Fatal;
use crate::embed::EmbedError;
use crate::mongo::MongoError;
use crate::sync::SyncError;

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The handler declares nothing to embed (every 0.1.0 handler): exit 2.
    #[error(
        "the sync handler for `{collection_type}` (plugin {plugin}, interface {interface}) declares no embedding (text fields, vector field, model field, dim), so it cannot backfill; interface 0.1.0 handlers never can: use a 0.2.0 handler that fills in `embedding` (the shipped handlers do)"
    )]
    NoEmbedding {
        collection_type: String,
        plugin: String,
        interface: String,
    },
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Vectors(#[from] Fatal),
    #[error(transparent)]
    Mongo(#[from] MongoError),
    /// Handler, Milvus target, checkpoint and report problems (shared with `sync`).
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },
    #[error("{0}")]
    Usage(String),
}

impl BackfillError {
    /// Input the user can fix before anything is written: the CLI exits with 2.
    pub fn is_usage(&self) -> bool {
        match self {
            BackfillError::NoEmbedding { .. }
            | BackfillError::Checkpoint { .. }
            | BackfillError::Usage(_) => true,
            BackfillError::Embed(e) => e.is_usage(),
            BackfillError::Mongo(e) => e.is_usage(),
            BackfillError::Sync(e) => e.is_usage(),
            BackfillError::Vectors(_) => false,
        }
    }
}
