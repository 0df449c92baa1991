//! A live MongoDB collection: one cursor ordered by `_id` (resuming is `_id > last`, never
//! skip/limit paging, which is slow on deep pages and skips or repeats documents), and its
//! change stream for `--follow` (read in `super::changes`).

use std::time::Duration;

use bson::{Bson, Document, RawDocumentBuf, doc};
use futures::TryStreamExt;
use mongodb::change_stream::event::ResumeToken;
use mongodb::error::ErrorKind;
use mongodb::options::{ClientOptions, FullDocumentType};
use mongodb::{Client, Collection, Cursor};

use super::changes::{Changes, stream_error};
use super::doc::SourceDoc;
use super::error::{MongoError, driver_message};

/// The URI without its credentials, for messages and checkpoints.
pub fn redact_uri(uri: &str) -> String {
    match (uri.find("://"), uri.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &uri[..s], &uri[at + 1..]),
        _ => uri.to_string(),
    }
}

/// A URI the driver refused: a failed SRV or TXT lookup (the name may be right and the DNS
/// down) is a connection failure (exit 1), anything else a bad URI (exit 2).
fn parse_error(shown: &str, e: mongodb::error::Error) -> MongoError {
    match e.kind.as_ref() {
        ErrorKind::DnsResolve { message, .. } => MongoError::Connect {
            uri: shown.to_string(),
            reason: format!("the DNS lookup of the mongodb+srv:// name failed: {message}"),
        },
        _ => MongoError::BadUri {
            reason: format!("{shown}: {}", driver_message(&e)),
        },
    }
}

/// For a mongodb+srv:// URI that leaves TLS at its default: the reason a server without TLS
/// cannot be reached (the spec turns TLS on for SRV URIs), else "".
fn srv_tls_note(uri: &str) -> &'static str {
    let query = uri
        .split_once('?')
        .map_or("", |(_, q)| q)
        .to_ascii_lowercase();
    let set = query
        .split('&')
        .any(|kv| kv.starts_with("tls=") || kv.starts_with("ssl="));
    if uri.starts_with("mongodb+srv://") && !set {
        " (mongodb+srv:// turns TLS on: for a server without TLS add tls=false to the URI)"
    } else {
        ""
    }
}

/// One collection of a live server.
pub struct LiveSource {
    client: Client,
    coll: Collection<Document>,
    uri: String,
    pub database: String,
    pub collection: String,
}

impl LiveSource {
    /// Connects and checks the server answers (a `ping`), so a wrong URI fails before any work.
    /// `database` falls back to the URI's default database, then to `fallback_db`.
    pub async fn connect(
        uri: &str,
        database: Option<&str>,
        fallback_db: &str,
        collection: &str,
    ) -> Result<LiveSource, MongoError> {
        let shown = redact_uri(uri);
        // mongodb+srv:// looks up the hosts (SRV) and options (TXT) here, in the system's DNS
        // (/etc/resolv.conf); TLS is then on unless the URI says tls=false.
        let mut options = ClientOptions::parse(uri)
            .await
            .map_err(|e| parse_error(&shown, e))?;
        options.app_name = Some("milvus-ingest".into());
        if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(Duration::from_secs(10));
        }
        let db = database
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .or_else(|| options.default_database.clone())
            .unwrap_or_else(|| fallback_db.to_string());
        if db.is_empty() {
            return Err(MongoError::Usage(
                "no MongoDB database: pass --mongo-db (or MONGODB_DATABASE), or name it in the URI"
                    .into(),
            ));
        }
        let client = Client::with_options(options).map_err(|e| MongoError::BadUri {
            reason: format!("{shown}: {}", driver_message(&e)),
        })?;
        client
            .database("admin")
            .run_command(doc! {"ping": 1})
            .await
            .map_err(|e| MongoError::Connect {
                uri: shown.clone(),
                reason: format!("{}{}", driver_message(&e), srv_tls_note(uri)),
            })?;
        let coll = client.database(&db).collection::<Document>(collection);
        Ok(LiveSource {
            client,
            coll,
            uri: shown,
            database: db,
            collection: collection.to_string(),
        })
    }

    /// `database.collection`, for messages.
    pub fn namespace(&self) -> String {
        format!("{}.{}", self.database, self.collection)
    }

    /// The URI without credentials.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The database handle, for writers next to this module (`super::write`).
    pub(crate) fn db(&self) -> mongodb::Database {
        self.client.database(&self.database)
    }

    fn query_error(&self, operation: &'static str, e: mongodb::error::Error) -> MongoError {
        MongoError::Query {
            operation,
            namespace: self.namespace(),
            reason: driver_message(&e),
        }
    }

    /// Documents matching `filter` with `_id > after`, in `_id` order, at most `limit`.
    pub async fn scan(
        &self,
        filter: Document,
        after: Option<&Bson>,
        limit: Option<u64>,
        batch_size: u32,
    ) -> Result<Scan, MongoError> {
        let mut clauses = Vec::new();
        if !filter.is_empty() {
            clauses.push(filter);
        }
        if let Some(last) = after {
            clauses.push(doc! {"_id": {"$gt": last.clone()}});
        }
        let filter = match clauses.len() {
            0 => doc! {},
            1 => clauses.pop().expect("one"),
            _ => doc! {"$and": clauses},
        };
        // Raw BSON: documents go to the pipeline as bytes and are decoded once, by the thread
        // that converts them, instead of into a `Document` tree here.
        let raw = self.coll.clone_with_type::<RawDocumentBuf>();
        let mut find = raw
            .find(filter)
            .sort(doc! {"_id": 1})
            .batch_size(batch_size.max(1));
        if let Some(l) = limit {
            find = find.limit(i64::try_from(l).unwrap_or(i64::MAX));
        }
        let cursor = find.await.map_err(|e| self.query_error("find", e))?;
        Ok(Scan {
            cursor,
            left: limit,
            namespace: self.namespace(),
        })
    }

    /// Whether the server can open change streams (a replica set member or a mongos); the
    /// reason when not.
    pub async fn change_streams(&self) -> Result<Result<(), String>, MongoError> {
        let hello = self
            .client
            .database("admin")
            .run_command(doc! {"hello": 1})
            .await
            .map_err(|e| self.query_error("hello", e))?;
        if hello.get_str("setName").is_ok() || hello.get_str("msg") == Ok("isdbgrid") {
            Ok(Ok(()))
        } else {
            Ok(Err("a standalone server".to_string()))
        }
    }

    /// Opens the collection's change stream (inserts, updates with the document looked up,
    /// replaces, deletes, and the drop, rename or invalidate that ends it) after `resume` when
    /// given, else from now.
    pub async fn watch(&self, resume: Option<ResumeToken>) -> Result<Changes, MongoError> {
        let resuming = resume.is_some();
        let kinds = [
            "insert",
            "update",
            "replace",
            "delete",
            "drop",
            "rename",
            "dropDatabase",
            "invalidate",
        ];
        let stream = self
            .coll
            .watch()
            .pipeline([doc! {"$match": {"operationType": {"$in": kinds.as_slice()}}}])
            .full_document(FullDocumentType::UpdateLookup)
            .max_await_time(Duration::from_millis(500))
            .resume_after(resume)
            .await
            .map_err(|e| {
                let text = driver_message(&e);
                if text.contains("replica set") || text.contains("40573") {
                    MongoError::NoChangeStream {
                        uri: self.uri.clone(),
                        reason: text,
                    }
                } else {
                    stream_error(&self.namespace(), "watch", resuming, e)
                }
            })?;
        Ok(Changes {
            stream,
            namespace: self.namespace(),
        })
    }
}

/// An open `_id`-ordered cursor.
pub struct Scan {
    cursor: Cursor<RawDocumentBuf>,
    left: Option<u64>,
    namespace: String,
}

impl Scan {
    /// Up to `n` more documents; empty at the end.
    pub async fn next_batch(&mut self, n: usize) -> Result<Vec<SourceDoc>, MongoError> {
        self.next_raw(n)
            .await?
            .into_iter()
            .map(|raw| SourceDoc::from_raw(raw).map_err(|e| self.bad_reply(e)))
            .collect()
    }

    /// Up to `n` more documents as BSON (for callers that change them before converting).
    pub async fn next_documents(&mut self, n: usize) -> Result<Vec<Document>, MongoError> {
        self.next_raw(n)
            .await?
            .iter()
            .map(|raw| Document::try_from(raw.as_ref()).map_err(|e| self.bad_reply(e)))
            .collect()
    }

    fn bad_reply(&self, e: bson::raw::Error) -> MongoError {
        MongoError::Query {
            operation: "find",
            namespace: self.namespace.clone(),
            reason: format!("the server sent a document that is not valid BSON: {e}"),
        }
    }

    async fn next_raw(&mut self, n: usize) -> Result<Vec<RawDocumentBuf>, MongoError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n && self.left != Some(0) {
            match self.cursor.try_next().await {
                Ok(Some(d)) => {
                    out.push(d);
                    if let Some(l) = &mut self.left {
                        *l -= 1;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(MongoError::Query {
                        operation: "find",
                        namespace: self.namespace.clone(),
                        reason: driver_message(&e),
                    });
                }
            }
        }
        Ok(out)
    }
}
