//! A collection's change stream for `--follow`: the changes to apply (upserts and deletes), the
//! resume token of the last one, and the end of the stream when the collection is dropped or
//! renamed (or its database dropped). Server errors that end a stream for good (its history
//! left the oplog, a token the server cannot resume from) come back as their own
//! [`MongoError`]s, with the server's `errmsg` and the way forward.

use bson::{Bson, Document};
use mongodb::change_stream::ChangeStream;
use mongodb::change_stream::event::{
    ChangeNamespace, ChangeStreamEvent, OperationType, ResumeToken,
};
use mongodb::error::ErrorKind;

use super::doc::SourceDoc;
use super::error::{MongoError, driver_message};

/// One change applied by `--follow`.
#[derive(Debug, Clone)]
pub enum Change {
    /// Insert, update (with the document looked up after it) or replace.
    Upsert(SourceDoc),
    /// The document with this `_id` was deleted.
    Delete(Bson),
}

/// Why a change stream ended for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEnd {
    /// The server's operation: `drop`, `rename`, `dropDatabase`, or `invalidate` (when the
    /// server sent no event saying why), or `closed` (the server ended the cursor silently).
    pub operation: String,
    /// `database.collection` it was renamed to (`rename` only).
    pub to: Option<String>,
}

impl StreamEnd {
    /// "was dropped", "was renamed to db.x", ... for messages.
    pub fn describe(&self) -> String {
        match (self.operation.as_str(), &self.to) {
            ("drop", _) => "was dropped".into(),
            ("rename", Some(to)) => format!("was renamed to {to}"),
            ("rename", None) => "was renamed".into(),
            ("dropDatabase", _) => "was dropped with its database".into(),
            ("closed", _) => "had its change stream closed by the server".into(),
            (op, _) => format!("had its change stream invalidated (`{op}`)"),
        }
    }
}

/// What one call to [`Changes::next_changes`] came to.
#[derive(Debug, Default)]
pub struct ChangeBatch {
    /// In stream order.
    pub changes: Vec<Change>,
    /// The token to resume after the last of `changes` (None when `changes` is empty and the
    /// stream ended, or before the server gave one).
    pub token: Option<ResumeToken>,
    /// The stream ended after `changes`: nothing more will come.
    pub end: Option<StreamEnd>,
}

/// An open change stream.
pub struct Changes {
    pub(super) stream: ChangeStream<ChangeStreamEvent<Document>>,
    pub(super) namespace: String,
}

fn namespace_of(ns: &ChangeNamespace) -> String {
    match &ns.coll {
        Some(c) => format!("{}.{c}", ns.db),
        None => ns.db.clone(),
    }
}

impl Changes {
    /// `database.collection` of the stream.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The token to resume after everything returned so far (None before the server gave one).
    /// While the stream is idle it advances with the server's post-batch token.
    pub fn resume_token(&self) -> Option<ResumeToken> {
        self.stream.resume_token()
    }

    /// Changes available now, at most `n`: waits up to the server's await time for the first,
    /// then takes what is already there. Empty when nothing happened meanwhile. A drop,
    /// rename or invalidate ends the batch with [`ChangeBatch::end`] set; the token is then
    /// the last change's, never the one past the end (a stream cannot resume after it).
    pub async fn next_changes(&mut self, n: usize) -> Result<ChangeBatch, MongoError> {
        let mut out = ChangeBatch::default();
        while out.changes.len() < n {
            let event = self
                .stream
                .next_if_any()
                .await
                .map_err(|e| stream_error(&self.namespace, "change stream", false, e))?;
            let Some(event) = event else {
                // Nothing buffered and the server closed the cursor without saying why:
                // waiting longer would spin on a stream that returns nothing, forever.
                if !self.stream.is_alive() {
                    out.end = Some(StreamEnd {
                        operation: "closed".into(),
                        to: None,
                    });
                }
                break;
            };
            let id = event
                .document_key
                .as_ref()
                .and_then(|k| k.get("_id").cloned())
                .unwrap_or(Bson::Null);
            let change = match event.operation_type {
                OperationType::Insert | OperationType::Update | OperationType::Replace => {
                    match event.full_document {
                        Some(d) => Change::Upsert(SourceDoc::from_document(d)),
                        // Updated, then deleted before the lookup: the delete event follows.
                        None => Change::Delete(id),
                    }
                }
                OperationType::Delete => Change::Delete(id),
                OperationType::Drop => return Ok(ended(out, "drop", None)),
                OperationType::Rename => {
                    let to = event.to.as_ref().map(namespace_of);
                    return Ok(ended(out, "rename", to));
                }
                OperationType::DropDatabase => return Ok(ended(out, "dropDatabase", None)),
                OperationType::Invalidate => return Ok(ended(out, "invalidate", None)),
                // Events a newer server may add (createIndexes, modify, ...) change no document.
                _ => continue,
            };
            out.changes.push(change);
            out.token = Some(event.id);
        }
        if !out.changes.is_empty() {
            // Past the last change, also over events the pipeline left out.
            out.token = self.stream.resume_token().or(out.token);
        }
        Ok(out)
    }
}

fn ended(mut out: ChangeBatch, operation: &str, to: Option<String>) -> ChangeBatch {
    out.end = Some(StreamEnd {
        operation: operation.into(),
        to,
    });
    out
}

/// A driver error of `watch` or of a change stream's `getMore`, as the user should see it:
/// the errors that end a stream for good get their own variants, the others the server's
/// code name and `errmsg` (never the driver's debug text or reply bytes). `resuming`: the
/// stream was opened after a checkpoint's token, so a parse error is about that token.
pub(super) fn stream_error(
    namespace: &str,
    operation: &'static str,
    resuming: bool,
    e: mongodb::error::Error,
) -> MongoError {
    let namespace = namespace.to_string();
    let ErrorKind::Command(c) = e.kind.as_ref() else {
        return MongoError::Query {
            operation,
            namespace,
            reason: driver_message(&e),
        };
    };
    let message = c.message.clone();
    match c.code {
        // ChangeStreamHistoryLost; and CappedPositionLost, which older servers send when the
        // oplog rolled over the resume point.
        286 | 136 => MongoError::HistoryLost { namespace, message },
        // InvalidResumeToken (e.g. resuming after an invalidate); FailedToParse when the
        // checkpoint's token is not one this server can read.
        260 => MongoError::BadResumeToken { namespace, message },
        9 if resuming => MongoError::BadResumeToken { namespace, message },
        // ChangeStreamFatalError: the stream cannot go on.
        280 => MongoError::StreamFatal { namespace, message },
        _ => MongoError::Query {
            operation,
            namespace,
            reason: driver_message(&e),
        },
    }
}

/// A resume token as Extended JSON (for the checkpoint file) and back.
pub fn token_to_json(token: &ResumeToken) -> serde_json::Value {
    bson::to_bson(token)
        .map(|b| b.into_canonical_extjson())
        .unwrap_or(serde_json::Value::Null)
}

/// The token a checkpoint holds; `Err` says why it is not one.
pub fn token_from_json(value: &serde_json::Value) -> Result<ResumeToken, String> {
    let b = Bson::try_from(value.clone()).map_err(|e| e.to_string())?;
    bson::from_bson(b).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_are_described() {
        let end = |op: &str, to: Option<&str>| StreamEnd {
            operation: op.into(),
            to: to.map(String::from),
        };
        assert_eq!(end("drop", None).describe(), "was dropped");
        assert_eq!(
            end("rename", Some("d.new")).describe(),
            "was renamed to d.new"
        );
        assert!(end("invalidate", None).describe().contains("invalidate"));
    }
}
