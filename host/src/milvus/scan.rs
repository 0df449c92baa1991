//! Reading a whole collection page by page, and writing pages into another one.
//!
//! Pages are cut by primary key (`pk > last`, `limit n`), never by offset: Milvus refuses
//! `offset + limit >= 16384`, and offsets over an unordered result skip or repeat rows. Every
//! read of one scan carries the same guarantee timestamp with `Customized` consistency (the
//! proxy would replace it with "now" under `Strong`), so the scan sees one state of the
//! collection even while it is being written to.

use std::time::{SystemTime, UNIX_EPOCH};

use ::milvus::proto::common::{ConsistencyLevel, KeyValuePair};
use ::milvus::proto::milvus::{DeleteRequest, InsertRequest, QueryRequest, UpsertRequest};
use ::milvus::proto::schema::FieldData;

use super::client::Client;
use super::error::{MilvusError, Result};
use super::retry::Retry;

/// Milvus hybrid timestamps keep the logical counter in the low 18 bits.
const LOGICAL_BITS: u32 = 18;

/// A hybrid timestamp for "now" by this machine's clock. Used as the snapshot of a scan when
/// the server does not hand one out (`session_ts`, 2.4+); a server whose clock is behind ours
/// only makes the first read wait until it catches up.
pub fn wall_clock_ts() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    ms << LOGICAL_BITS
}

/// The wall-clock time of a hybrid timestamp, in Unix milliseconds.
pub fn ts_millis(ts: u64) -> u64 {
    ts >> LOGICAL_BITS
}

/// One answer of [`query_at`].
pub struct Page {
    pub fields: Vec<FieldData>,
    /// The timestamp the server read at, when it says (2.4+); 0 otherwise.
    pub session_ts: u64,
}

/// Rows matching `expr` as of `ts` (0: as of now, Strong). `iterator` asks servers that know
/// it for the iterator read path (results in primary-key order, reads pinned to `ts`).
pub async fn query_at(
    client: &Client,
    collection: &str,
    expr: &str,
    output_fields: &[String],
    limit: Option<usize>,
    ts: u64,
) -> Result<Page> {
    let mut query_params = Vec::new();
    if let Some(limit) = limit {
        query_params.push(KeyValuePair {
            key: "iterator".into(),
            value: "True".into(),
        });
        query_params.push(KeyValuePair {
            key: "limit".into(),
            value: limit.to_string(),
        });
    }
    let consistency = if ts == 0 {
        ConsistencyLevel::Strong
    } else {
        ConsistencyLevel::Customized
    };
    let resp = client
        .raw()
        .query(client.request(QueryRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            expr: expr.to_string(),
            output_fields: output_fields.to_vec(),
            query_params,
            guarantee_timestamp: ts,
            consistency_level: consistency as i32,
            use_default_consistency: false,
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("Query", s))?
        .into_inner();
    client.check("Query", resp.status.as_ref())?;
    Ok(Page {
        fields: resp.fields_data,
        session_ts: resp.session_ts,
    })
}

/// `count(*)` of the rows matching `expr` as of `ts` (0: now, Strong consistency, so every
/// acknowledged write counts).
pub async fn count_at(client: &Client, collection: &str, expr: &str, ts: u64) -> Result<u64> {
    let page = query_at(
        client,
        collection,
        expr,
        &["count(*)".to_string()],
        None,
        ts,
    )
    .await?;
    super::query::count_of(&page.fields)
}

/// How to write a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Insert,
    /// Replaces rows with the same primary key (used for rows that may already be there).
    Upsert,
}

/// Writes `fields` (`rows` rows) into `collection`, retrying transient failures with
/// exponential backoff within one `--rpc-timeout` ([`Retry`]). Returns the number of retries.
pub async fn write(
    client: &Client,
    collection: &str,
    fields: Vec<FieldData>,
    rows: u32,
    how: Write,
    attempts: u32,
) -> Result<u32> {
    let rpc = match how {
        Write::Insert => "Insert",
        Write::Upsert => "Upsert",
    };
    let mut retry = Retry::new(client, rpc, attempts);
    loop {
        let outcome = match how {
            Write::Insert => client
                .raw()
                .insert(retry.request(InsertRequest {
                    db_name: client.db_name.clone(),
                    collection_name: collection.to_string(),
                    fields_data: fields.clone(),
                    num_rows: rows,
                    ..Default::default()
                }))
                .await
                .map_err(|s| client.grpc_error("Insert", s))
                .and_then(|r| {
                    let r = r.into_inner();
                    client.check("Insert", r.status.as_ref())?;
                    rejected("Insert", &r.err_index)
                }),
            Write::Upsert => client
                .raw()
                .upsert(retry.request(UpsertRequest {
                    db_name: client.db_name.clone(),
                    collection_name: collection.to_string(),
                    fields_data: fields.clone(),
                    num_rows: rows,
                    ..Default::default()
                }))
                .await
                .map_err(|s| client.grpc_error("Upsert", s))
                .and_then(|r| {
                    let r = r.into_inner();
                    client.check("Upsert", r.status.as_ref())?;
                    rejected("Upsert", &r.err_index)
                }),
        };
        match outcome {
            Ok(()) => return Ok(retry.retries()),
            Err(e) => retry.failed(client, e).await?,
        }
    }
}

fn rejected(rpc: &'static str, err_index: &[u32]) -> Result<()> {
    if err_index.is_empty() {
        Ok(())
    } else {
        Err(MilvusError::Rpc {
            rpc,
            reason: format!("{} rows rejected", err_index.len()),
            transient: false,
        })
    }
}

/// Deletes the rows matching `expr` (a primary-key expression on servers before 2.3).
pub async fn delete(client: &Client, collection: &str, expr: &str) -> Result<()> {
    let resp = client
        .raw()
        .delete(client.request(DeleteRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            expr: expr.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("Delete", s))?
        .into_inner();
    client.check("Delete", resp.status.as_ref())
}
