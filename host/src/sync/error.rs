//! Why a sync run stopped. Per-document problems are not errors: they are skips and failures
//! counted in the summary and listed in the report.

use std::path::PathBuf;

use super::handlers::HandlerError;
use crate::milvus::MilvusError;
use crate::mongo::MongoError;
use crate::plugin::PluginError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Handler(#[from] HandlerError),
    /// The handler failed on a batch (trap, timeout, broken result); nothing of it was written.
    #[error("document `{id}`: {source}; nothing of its batch was written")]
    Plugin {
        /// The `_id` of the first document the handler fails on alone ("" when none does).
        id: String,
        source: Box<PluginError>,
    },
    #[error("the handler for `{collection_type}` declares an unusable Milvus schema: {reason}")]
    HandlerSchema {
        collection_type: String,
        reason: String,
    },
    #[error(transparent)]
    Mongo(#[from] MongoError),
    #[error(transparent)]
    Milvus(#[from] MilvusError),
    #[error(
        "collection `{collection}` exists with a schema that differs from the handler's:\n{}\nrun `milvus-ingest rebuild` to move it to the handler's schema, or sync into another name",
        differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    SchemaDiffers {
        collection: String,
        differences: Vec<String>,
    },
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },
    #[error("report file {}: {source}", path.display())]
    Report {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

impl SyncError {
    /// Input the user can fix: the CLI exits with 2.
    pub fn is_usage(&self) -> bool {
        match self {
            SyncError::Handler(HandlerError::Plugin(_)) => false,
            SyncError::Handler(_) => true,
            SyncError::Mongo(e) => e.is_usage(),
            SyncError::Milvus(e) => e.is_usage(),
            SyncError::SchemaDiffers { .. }
            | SyncError::Checkpoint { .. }
            | SyncError::HandlerSchema { .. }
            | SyncError::Usage(_) => true,
            SyncError::Plugin { .. } | SyncError::Report { .. } => false,
        }
    }
}
