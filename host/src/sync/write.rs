//! Sending one prepared batch: deletes, then the upsert, each retried with exponential backoff
//! on transient errors (unavailable, rate-limited, timeouts). Both are idempotent, so a retry
//! after a lost acknowledgement changes nothing.

use std::future::Future;

use ::milvus::proto::schema::FieldData;

use crate::milvus::query::Pk;
use crate::milvus::retry::Retry;
use crate::milvus::upsert::{delete, upsert};
use crate::milvus::{Client, MilvusError};

/// Runs `op` while it fails transiently, with the backoff and the one-deadline budget of
/// every Milvus write ([`Retry`]); returns the retries made.
async fn with_retries<F, Fut>(
    client: &Client,
    rpc: &'static str,
    attempts: u32,
    mut op: F,
) -> (u64, Result<(), MilvusError>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), MilvusError>>,
{
    let mut retry = Retry::new(client, rpc, attempts);
    loop {
        let outcome = match op().await {
            Ok(()) => Ok(()),
            Err(e) => match retry.failed(client, e).await {
                Ok(()) => continue,
                Err(e) => Err(e),
            },
        };
        return (u64::from(retry.retries()), outcome);
    }
}

/// Deletes `deletes`, then upserts `fields` (`rows` rows) into `collection`.
pub async fn send(
    client: &Client,
    collection: &str,
    pk_field: &str,
    fields: Option<Vec<FieldData>>,
    rows: usize,
    deletes: &[Pk],
    attempts: u32,
) -> (u64, Result<(), MilvusError>) {
    let mut retries = 0;
    // Bounded expressions: a few thousand keys per Delete.
    for chunk in deletes.chunks(2000) {
        let (r, result) = with_retries(client, "Delete", attempts, || {
            delete(client, collection, pk_field, chunk)
        })
        .await;
        retries += r;
        if result.is_err() {
            return (retries, result);
        }
    }
    if let Some(fields) = fields {
        let (r, result) = with_retries(client, "Upsert", attempts, || {
            upsert(client, collection, fields.clone(), rows)
        })
        .await;
        retries += r;
        return (retries, result);
    }
    (retries, Ok(()))
}
