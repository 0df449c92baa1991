//! Writing back to a live collection: many `$set` updates by `_id` in one `update` command
//! (unordered, so one bad document does not stop the others), for `backfill`.

use bson::{Bson, Document, doc};

use super::doc::id_key;
use super::error::{MongoError, driver_message};
use super::live::LiveSource;

/// Statements per `update` command: well under the server's 100,000 and 16 MiB limits for
/// documents carrying a few-thousand-float vector each.
const PER_COMMAND: usize = 500;

/// The outcome of [`LiveSource::set_many`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SetOutcome {
    /// Documents matched by `_id`.
    pub matched: u64,
    /// Per-document failures as (`_id` as reports show it, server message).
    pub failed: Vec<(String, String)>,
    /// `_id`s no document matched (deleted meanwhile).
    pub missing: Vec<String>,
}

impl LiveSource {
    /// Applies `{_id: id} → {$set: fields}` for each pair, in commands of up to 500 statements.
    /// `Err` when a command as a whole fails (connection lost); per-document write errors and
    /// vanished documents come back in the outcome.
    pub async fn set_many(&self, updates: &[(Bson, Document)]) -> Result<SetOutcome, MongoError> {
        let db = self.db();
        let mut out = SetOutcome::default();
        for chunk in updates.chunks(PER_COMMAND) {
            let statements: Vec<Bson> = chunk
                .iter()
                .map(|(id, set)| {
                    Bson::Document(doc! {"q": {"_id": id.clone()}, "u": {"$set": set.clone()}})
                })
                .collect();
            let reply = db
                .run_command(doc! {
                    "update": self.collection.as_str(),
                    "updates": statements,
                    "ordered": false,
                })
                .await
                .map_err(|e| MongoError::Query {
                    operation: "update",
                    namespace: self.namespace(),
                    reason: driver_message(&e),
                })?;
            let n = number(reply.get("n"));
            out.matched += n;
            let mut bad = vec![false; chunk.len()];
            if let Ok(errors) = reply.get_array("writeErrors") {
                for e in errors.iter().filter_map(Bson::as_document) {
                    let index = number(e.get("index")) as usize;
                    let message = e.get_str("errmsg").unwrap_or("write error").to_string();
                    if let Some((id, _)) = chunk.get(index) {
                        bad[index] = true;
                        out.failed.push((id_key(id), message));
                    }
                }
            }
            let ok = bad.iter().filter(|b| !**b).count() as u64;
            if n < ok {
                // Which ones vanished is not in the reply: ask for the ids still there.
                let ids: Vec<Bson> = chunk
                    .iter()
                    .zip(&bad)
                    .filter(|(_, b)| !**b)
                    .map(|((id, _), _)| id.clone())
                    .collect();
                let present = self.present(&ids).await?;
                for id in ids {
                    if !present.contains(&id) {
                        out.missing.push(id_key(&id));
                    }
                }
            }
        }
        Ok(out)
    }

    async fn present(&self, ids: &[Bson]) -> Result<Vec<Bson>, MongoError> {
        use futures::TryStreamExt;
        let coll = self.db().collection::<Document>(&self.collection);
        let err = |e: mongodb::error::Error| MongoError::Query {
            operation: "find",
            namespace: self.namespace(),
            reason: driver_message(&e),
        };
        let cursor = coll
            .find(doc! {"_id": {"$in": ids.to_vec()}})
            .projection(doc! {"_id": 1})
            .await
            .map_err(err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(err)?;
        Ok(docs
            .into_iter()
            .filter_map(|d| d.get("_id").cloned())
            .collect())
    }
}

fn number(v: Option<&Bson>) -> u64 {
    match v {
        Some(Bson::Int32(i)) => *i as u64,
        Some(Bson::Int64(i)) => *i as u64,
        Some(Bson::Double(d)) => *d as u64,
        _ => 0,
    }
}
