//! `to-milvus insert`: stream a dataset's files into a collection.
//!
//! One blocking thread reads Parquet batches and converts them to `FieldData` (CPU work); the
//! async side keeps up to `concurrency` Insert requests in flight. Requests are cut by rows
//! (`batch_size`) and by bytes (well under Milvus' 64 MB limit). Transient failures are retried
//! with exponential backoff; the first permanent failure stops the run. With a progress file,
//! a killed run resumes without losing or duplicating rows (see [`super::progress`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ::milvus::proto::milvus::InsertRequest;
use ::milvus::proto::schema::FieldData;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{BooleanArray, RecordBatch};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::client::Client;
use super::collection::{CollectionOptions, Prepared, flush, prepare};
use super::convert::{batch_bytes, batch_to_fields};
use super::dataset::Dataset;
use super::error::{MilvusError, Result};
use super::progress::{Header, Previous, ProgressFile, progress_path, subtract};
use super::query::{Pk, existing_pks};
use super::retry::Retry;
use crate::schema::{DataType, Schema};

#[derive(Debug, Clone)]
pub struct InsertOptions {
    pub collection: CollectionOptions,
    /// Rows per request at most.
    pub batch_size: usize,
    /// Arrow bytes per request at most (the request is a little larger on the wire).
    pub max_request_bytes: usize,
    pub concurrency: usize,
    pub resume: bool,
    /// Attempts per request for transient errors.
    pub attempts: u32,
}

impl InsertOptions {
    pub fn new(collection: CollectionOptions) -> InsertOptions {
        InsertOptions {
            collection,
            batch_size: 10_000,
            max_request_bytes: 16 * 1024 * 1024,
            concurrency: 4,
            resume: false,
            attempts: 6,
        }
    }
}

/// What the inserter tells the user while it works.
pub trait InsertReporter: Send + Sync {
    fn prepared(&self, _collection: &str, _how: &Prepared) {}
    /// Rows to insert in this run, and rows an earlier run already inserted.
    fn start(&self, _to_insert: u64, _already: u64) {}
    fn inserted(&self, _rows: u64) {}
    fn warning(&self, _message: &str) {}
}

/// A reporter that says nothing.
pub struct Silent;
impl InsertReporter for Silent {}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InsertSummary {
    pub collection: String,
    pub total_rows: u64,
    pub inserted: u64,
    /// Rows an earlier run had inserted (`--resume`).
    pub skipped: u64,
    pub failed: u64,
    pub requests: u64,
    pub retries: u64,
    /// Wall time of the whole run, including the final flush.
    pub seconds: f64,
    pub rows_per_second: f64,
    /// Until the last insert was acknowledged (before the flush).
    pub insert_seconds: f64,
    pub failures: Vec<String>,
}

/// One Insert request's worth of rows `[start, end)` of file `file`.
struct Job {
    file: usize,
    start: u64,
    end: u64,
    fields: Vec<FieldData>,
    /// Sent by an earlier run without an acknowledgement: pks must be checked first.
    in_doubt: Option<RecordBatch>,
}

/// Runs the whole insert. `Err` only for problems found before the first row is sent
/// (connection, schema, files); row failures are counted in the summary.
pub async fn insert_dataset(
    client: &Client,
    dataset: Arc<Dataset>,
    options: &InsertOptions,
    reporter: &dyn InsertReporter,
) -> Result<InsertSummary> {
    if options.resume && options.collection.drop_if_exists {
        return Err(MilvusError::Usage("--resume and --drop-if-exists contradict each other: resuming keeps the rows already inserted".into()));
    }
    dataset.check_files()?;
    let name = options.collection.name.clone();
    let header = Header {
        uri: client.uri.clone(),
        db_name: client.db_name.clone(),
        collection: name.clone(),
        files: dataset
            .meta
            .generation_info
            .data_files
            .iter()
            .map(|f| (f.file_name.clone(), f.rows))
            .collect(),
    };
    let path = progress_path(&dataset.dir, &name);
    let (progress, previous) = if options.resume {
        ProgressFile::resume(&path, &header)?
    } else {
        (
            ProgressFile::create(&path, &header)?,
            Previous::empty(dataset.file_count()),
        )
    };
    let prepared = prepare(client, dataset.schema(), &options.collection).await?;
    reporter.prepared(&name, &prepared.how);
    for w in &prepared.warnings {
        reporter.warning(w);
    }

    let work = plan(&dataset, &previous);
    let to_insert: u64 = work.iter().map(|w| w.2 - w.1).sum();
    let total = dataset.total_rows();
    let skipped = total - to_insert;
    reporter.start(to_insert, skipped);
    let pk_check = pk_checkable(&dataset);
    if !pk_check && work.iter().any(|w| w.3) {
        reporter.warning("an earlier run was killed with requests in flight and the primary key is auto-id: those rows cannot be checked and are inserted again, which may duplicate up to one batch per in-flight request");
    }

    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<Result<Job>>(options.concurrency.max(1) * 2);
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (dataset, stop) = (Arc::clone(&dataset), Arc::clone(&stop));
        let (batch_size, max_bytes) = (options.batch_size.max(1), options.max_request_bytes.max(1));
        tokio::task::spawn_blocking(move || {
            produce(&dataset, work, batch_size, max_bytes, pk_check, &tx, &stop)
        })
    };

    let progress = Arc::new(progress);
    let schema = Arc::new(dataset.schema().clone());
    let mut summary = InsertSummary {
        collection: name.clone(),
        total_rows: total,
        inserted: 0,
        skipped,
        failed: 0,
        requests: 0,
        retries: 0,
        seconds: 0.0,
        rows_per_second: 0.0,
        insert_seconds: 0.0,
        failures: Vec::new(),
    };
    let mut in_flight: JoinSet<(u64, u64, Result<()>)> = JoinSet::new();
    let absorb = |done: (u64, u64, Result<()>), summary: &mut InsertSummary| {
        let (rows, retries, result) = done;
        summary.retries += retries;
        summary.requests += 1;
        match result {
            Ok(()) => {
                summary.inserted += rows;
                reporter.inserted(rows);
            }
            Err(e) => {
                summary.failed += rows;
                summary.failures.push(e.to_string());
                stop.store(true, Ordering::Relaxed);
            }
        }
    };
    while let Some(job) = rx.recv().await {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let job = match job {
            Ok(job) => job,
            Err(e) => {
                summary.failures.push(e.to_string());
                stop.store(true, Ordering::Relaxed);
                break;
            }
        };
        while in_flight.len() >= options.concurrency.max(1) {
            if let Some(done) = in_flight.join_next().await {
                absorb(done.expect("insert task panicked"), &mut summary);
            }
        }
        // A request that failed while this one waited for a slot stops the run: sending it
        // anyway would add a whole deadline to a run against a server that stopped answering.
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (client, progress, name) = (client.clone(), Arc::clone(&progress), name.clone());
        let attempts = options.attempts.max(1);
        let schema = Arc::clone(&schema);
        in_flight
            .spawn(async move { send(&client, &name, &schema, job, &progress, attempts).await });
    }
    drop(rx);
    while let Some(done) = in_flight.join_next().await {
        absorb(done.expect("insert task panicked"), &mut summary);
    }
    let _ = producer.await;
    let accounted = summary.inserted + summary.skipped + summary.failed;
    if accounted < total {
        // Rows never sent because the run stopped early count as failed.
        summary.failed += total - accounted;
    }
    summary.insert_seconds = started.elapsed().as_secs_f64();
    if summary.failed == 0 {
        flush(client, &name, Duration::from_secs(120)).await?;
        progress.done()?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rows_per_second = summary.inserted as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// Whether in-doubt ranges can be checked by primary key (the keys are in the files).
fn pk_checkable(dataset: &Dataset) -> bool {
    dataset
        .schema()
        .primary()
        .is_some_and(|f| !f.auto_id && matches!(f.data_type, DataType::Int64 | DataType::VarChar))
}

/// (file, start, end, in doubt) ranges still to insert, in dataset order.
fn plan(dataset: &Dataset, previous: &Previous) -> Vec<(usize, u64, u64, bool)> {
    let mut work = Vec::new();
    if previous.done {
        return work;
    }
    for f in 0..dataset.file_count() {
        let rows = dataset.file_rows(f);
        let mut ranges: Vec<(u64, u64, bool)> = Vec::new();
        for (s, e) in subtract((0, rows), &previous.acked[f]) {
            for (a, b) in subtract((s, e), &previous.in_doubt[f]) {
                ranges.push((a, b, false));
            }
        }
        for &(s, e) in &previous.in_doubt[f] {
            ranges.push((s, e.min(rows), true));
        }
        ranges.sort();
        work.extend(
            ranges
                .into_iter()
                .filter(|r| r.0 < r.1)
                .map(|(s, e, d)| (f, s, e, d)),
        );
    }
    work
}

fn produce(
    dataset: &Dataset,
    work: Vec<(usize, u64, u64, bool)>,
    batch_size: usize,
    max_bytes: usize,
    pk_check: bool,
    tx: &mpsc::Sender<Result<Job>>,
    stop: &AtomicBool,
) {
    let schema = dataset.schema();
    for (file, start, end, in_doubt) in work {
        let batches = match dataset.read_range(file, start, end, batch_size) {
            Ok(b) => b,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let mut at = start;
        for batch in batches {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            // Cut by bytes: equal row slices, each under the limit.
            let pieces = batch_bytes(&batch).div_ceil(max_bytes).max(1);
            let rows = batch.num_rows();
            let per = rows.div_ceil(pieces).max(1);
            let mut offset = 0;
            while offset < rows {
                let n = per.min(rows - offset);
                let piece = batch.slice(offset, n);
                let job = batch_to_fields(&dataset.path(file), &piece, schema).map(|fields| Job {
                    file,
                    start: at,
                    end: at + n as u64,
                    fields,
                    in_doubt: (in_doubt && pk_check).then(|| piece.clone()),
                });
                let failed = job.is_err();
                if tx.blocking_send(job).is_err() || failed {
                    return;
                }
                at += n as u64;
                offset += n;
            }
        }
    }
}

/// Sends one job; returns (rows, retries, outcome).
async fn send(
    client: &Client,
    collection: &str,
    schema: &Schema,
    job: Job,
    progress: &ProgressFile,
    attempts: u32,
) -> (u64, u64, Result<()>) {
    let rows = job.end - job.start;
    let mut fields = job.fields;
    let mut num_rows = rows;
    if let Some(batch) = &job.in_doubt {
        match missing_rows(client, collection, schema, batch).await {
            Ok(None) => {}
            Ok(Some(mask)) => {
                // Some rows of this range are already in Milvus: send only the others.
                let kept = mask.true_count() as u64;
                if kept == 0 {
                    return (rows, 0, progress.acked(job.file, job.start, job.end));
                }
                let filtered = match arrow_select::filter::filter_record_batch(batch, &mask) {
                    Ok(b) => b,
                    Err(e) => return (rows, 0, Err(MilvusError::Usage(e.to_string()))),
                };
                fields = match batch_to_fields(std::path::Path::new(""), &filtered, schema) {
                    Ok(f) => f,
                    Err(e) => return (rows, 0, Err(e)),
                };
                num_rows = kept;
            }
            Err(e) => return (rows, 0, Err(e)),
        }
    }
    if let Err(e) = progress.sent(job.file, job.start, job.end) {
        return (rows, 0, Err(e));
    }
    let request = InsertRequest {
        db_name: client.db_name.clone(),
        collection_name: collection.to_string(),
        fields_data: fields,
        num_rows: num_rows as u32,
        ..Default::default()
    };
    let mut retry = Retry::new(client, "Insert", attempts);
    loop {
        let outcome = match client.raw().insert(retry.request(request.clone())).await {
            Ok(resp) => {
                let resp = resp.into_inner();
                client.check("Insert", resp.status.as_ref()).and_then(|()| {
                    if resp.err_index.is_empty() {
                        Ok(())
                    } else {
                        Err(MilvusError::Rpc {
                            rpc: "Insert",
                            reason: format!("{} rows rejected", resp.err_index.len()),
                            transient: false,
                        })
                    }
                })
            }
            Err(status) => Err(client.grpc_error("Insert", status)),
        };
        let error = match outcome {
            Ok(()) => {
                let retries = u64::from(retry.retries());
                return (rows, retries, progress.acked(job.file, job.start, job.end));
            }
            Err(e) => e,
        };
        if let Err(e) = retry.failed(client, error).await {
            let retries = u64::from(retry.retries());
            return (
                rows,
                retries,
                Err(e.at(&format!(
                    "file #{} rows {}..{}",
                    job.file, job.start, job.end
                ))),
            );
        }
    }
}

/// For an in-doubt batch: `None` when none of its keys is in Milvus, else a mask of the rows
/// still missing.
async fn missing_rows(
    client: &Client,
    collection: &str,
    schema: &Schema,
    batch: &RecordBatch,
) -> Result<Option<BooleanArray>> {
    let pk = schema
        .primary()
        .expect("checked: the schema has a primary key");
    let column = batch
        .column_by_name(&pk.name)
        .ok_or_else(|| MilvusError::Usage(format!("primary key column `{}` missing", pk.name)))?;
    let keys: Vec<Pk> = if pk.data_type == DataType::Int64 {
        column
            .as_primitive::<Int64Type>()
            .iter()
            .flatten()
            .map(Pk::Int)
            .collect()
    } else {
        column
            .as_string::<i32>()
            .iter()
            .flatten()
            .map(|s| Pk::Str(s.to_string()))
            .collect()
    };
    let mut present = std::collections::HashSet::new();
    // Bounded expressions: a few thousand keys per query.
    for chunk in keys.chunks(4096) {
        present.extend(existing_pks(client, collection, &pk.name, chunk).await?);
    }
    if present.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        keys.iter().map(|k| Some(!present.contains(k))).collect(),
    ))
}
