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
    /// The collection followed was dropped or renamed (or its database dropped): its change
    /// stream ended. The checkpoint keeps the token of the last change applied.
    #[error(
        "MongoDB collection {namespace} {}, which ends its change stream: --follow stops (every change before it is applied, and the checkpoint resumes after the last one); run a full `sync` without --resume, then `sync --follow`",
        end.describe()
    )]
    StreamEnded {
        namespace: String,
        end: super::changes::StreamEnd,
    },
    /// ChangeStreamHistoryLost (286): the checkpoint's resume point left the oplog.
    #[error(
        "the change stream of {namespace} cannot resume: the resume point is no longer in the oplog (server: {message}); run a full `sync` without --resume, then `sync --follow`"
    )]
    HistoryLost { namespace: String, message: String },
    /// InvalidResumeToken (260): the server cannot resume from the checkpoint's token.
    #[error(
        "the change stream of {namespace} cannot resume from the checkpoint's token (server: {message}); run a full `sync` without --resume, then `sync --follow`"
    )]
    BadResumeToken { namespace: String, message: String },
    /// ChangeStreamFatalError (280): the stream cannot go on (e.g. resuming after a drop).
    #[error(
        "the change stream of {namespace} cannot go on (server: {message}); run a full `sync` without --resume, then `sync --follow`"
    )]
    StreamFatal { namespace: String, message: String },
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

/// A driver error as the user should see it: a server error as its code name, code and
/// `errmsg`; anything else as the driver's description of its kind. Never the `Display` of
/// the whole error, which appends the server's raw reply as a hex dump.
pub(crate) fn driver_message(e: &mongodb::error::Error) -> String {
    use mongodb::error::{ErrorKind, WriteFailure};
    match e.kind.as_ref() {
        ErrorKind::Command(c) if c.code_name.is_empty() => {
            format!("error {}: {}", c.code, c.message)
        }
        ErrorKind::Command(c) => format!("{} ({}): {}", c.code_name, c.code, c.message),
        ErrorKind::Write(WriteFailure::WriteError(w)) => {
            format!("write error {}: {}", w.code, w.message)
        }
        kind => kind.to_string(),
    }
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
