//! Sending one prepared batch: deletes, then the upsert, each retried with exponential backoff
//! on transient errors (unavailable, rate-limited, timeouts). Both are idempotent, so a retry
//! after a lost acknowledgement changes nothing.

use std::future::Future;
use std::time::Duration;

use ::milvus::proto::schema::FieldData;

use crate::milvus::query::Pk;
use crate::milvus::upsert::{delete, upsert};
use crate::milvus::{Client, MilvusError};

/// Runs `op` up to `attempts` times while it fails transiently; returns the retries made.
pub async fn with_retries<F, Fut>(attempts: u32, mut op: F) -> (u64, Result<(), MilvusError>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), MilvusError>>,
{
    let mut retries = 0u64;
    let mut backoff = Duration::from_millis(250);
    loop {
        match op().await {
            Ok(()) => return (retries, Ok(())),
            Err(e) if e.is_transient() && retries + 1 < u64::from(attempts.max(1)) => {
                retries += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
            Err(e) => return (retries, Err(e)),
        }
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
        let (r, result) =
            with_retries(attempts, || delete(client, collection, pk_field, chunk)).await;
        retries += r;
        if result.is_err() {
            return (retries, result);
        }
    }
    if let Some(fields) = fields {
        let (r, result) = with_retries(attempts, || {
            upsert(client, collection, fields.clone(), rows)
        })
        .await;
        retries += r;
        return (retries, result);
    }
    (retries, Ok(()))
}
