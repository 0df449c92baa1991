//! Errors of the MongoDB source. Each names what the user must look at: the URI (without
//! credentials), the database and collection, or the file and the document's position in it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MongoError {
    #[error("invalid MongoDB URI: {reason}")]
    BadUri { reason: String },
    #[error("cannot reach MongoDB at {uri}: {reason}")]
    Connect { uri: String, reason: String },
    #[error("MongoDB {operation} on {namespace} failed: {reason}")]
    Query {
        operation: &'static str,
        namespace: String,
        reason: String,
    },
    #[error(
        "--follow needs a change stream, and the server at {uri} is not a replica set or sharded cluster ({reason})"
    )]
    NoChangeStream { uri: String, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: document {index}: {reason}", path.display())]
    BadDocument {
        path: PathBuf,
        index: u64,
        reason: String,
    },
    #[error("{}: {reason}", path.display())]
    BadFile { path: PathBuf, reason: String },
    #[error("{0}")]
    Usage(String),
}

impl MongoError {
    /// Input the user can fix (a URI, a file, a flag): the CLI exits with 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            MongoError::BadUri { .. }
                | MongoError::BadDocument { .. }
                | MongoError::BadFile { .. }
                | MongoError::Usage(_)
                | MongoError::Io { .. }
        )
    }
}
