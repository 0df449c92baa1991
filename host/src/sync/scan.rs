//! The initial pass of a sync: read the source in batches, convert them on scoped threads,
//! merge them into write requests (see `pending.rs`) and send those in order with up to
//! `concurrency` in flight, advancing the checkpoint over the longest acknowledged prefix.

use std::collections::{BTreeMap, HashSet};

use bson::Bson;
use tokio::task::{JoinSet, block_in_place};

use super::batch::{Item, Prepared, prepare};
use super::checkpoint::Checkpoint;
use super::error::SyncError;
use super::pending::{Pending, request_bytes};
use super::report::SyncReporter;
use super::run::{Books, Ctx};
use super::write::send;
use crate::milvus::MilvusError;
use crate::milvus::query::Pk;
use crate::mongo::live::Scan;
use crate::mongo::{FileSource, MongoError};

/// Where a batch ends in the source, so the checkpoint can move past it once acknowledged.
#[derive(Debug, Clone)]
struct Mark {
    last_id: Option<Bson>,
    position: u64,
    read: u64,
}

/// Acknowledged batches, applied to the checkpoint in order.
struct Acks {
    next: u64,
    done: BTreeMap<u64, Mark>,
}

impl Acks {
    /// Records `seq`; true when the checkpoint moved.
    fn ack(&mut self, seq: u64, mark: Mark, cp: &mut Checkpoint) -> bool {
        self.done.insert(seq, mark);
        let mut moved = false;
        while let Some(m) = self.done.remove(&self.next) {
            if let Some(id) = m.last_id {
                cp.last_id = Some(id.into_canonical_extjson());
            }
            cp.position = m.position;
            cp.read = m.read;
            self.next += 1;
            moved = true;
        }
        moved
    }
}

pub(super) enum Reader {
    Live(Box<Scan>),
    Files {
        source: FileSource,
        left: Option<u64>,
    },
}

/// What a write task hands back: (batch, its end in the source, its keys, upserted rows,
/// deleted keys, retries, outcome).
type Done = (
    u64,
    Mark,
    Vec<Pk>,
    usize,
    usize,
    u64,
    Result<(), MilvusError>,
);

impl Reader {
    /// Up to `n` items, with how many file documents were consumed to get them.
    async fn next(&mut self, n: usize) -> Result<(Vec<Item>, u64), MongoError> {
        match self {
            Reader::Live(scan) => Ok((
                scan.next_batch(n)
                    .await?
                    .into_iter()
                    .map(Item::Doc)
                    .collect(),
                0,
            )),
            Reader::Files { source, left } => block_in_place(|| {
                let mut items = Vec::with_capacity(n);
                let mut consumed = 0;
                while items.len() < n && *left != Some(0) {
                    let Some((d, c)) = source.next_doc()? else {
                        break;
                    };
                    consumed += c;
                    items.push(Item::Doc(d));
                    if let Some(l) = left {
                        *l -= 1;
                    }
                }
                Ok((items, consumed))
            }),
        }
    }
}

/// The initial pass; false when a write failed (the run then stops reading).
pub(super) async fn scan(
    ctx: &Ctx<'_>,
    reader: &mut Reader,
    cp: &mut Checkpoint,
    books: &mut Books,
    reporter: &dyn SyncReporter,
) -> Result<bool, SyncError> {
    let options = ctx.options;
    let mut acks = Acks {
        next: 0,
        done: BTreeMap::new(),
    };
    let (mut position, mut read) = (cp.position, cp.read);
    let files = matches!(reader, Reader::Files { .. });
    let mut in_flight: JoinSet<Done> = JoinSet::new();
    let mut flight_keys: HashSet<Pk> = HashSet::new();
    let mut failed = false;
    let mut seq = 0u64;
    let mut absorb = |done: Done,
                      books: &mut Books,
                      cp: &mut Checkpoint,
                      flight_keys: &mut HashSet<Pk>|
     -> Result<bool, SyncError> {
        let (seq, mark, keys, ups, dels, retries, result) = done;
        books.summary.retries += retries;
        for k in &keys {
            flight_keys.remove(k);
        }
        match result {
            Ok(()) => {
                books.summary.upserted += ups as u64;
                books.summary.deleted += dels as u64;
                if acks.ack(seq, mark, cp) {
                    cp.save(&ctx.checkpoint_path)?;
                }
                Ok(true)
            }
            Err(e) => {
                books.failed(&keys, &e)?;
                Ok(false)
            }
        }
    };
    // Waits until at most `limit` requests are in flight, booking each that finishes.
    macro_rules! drain {
        ($limit:expr) => {
            // After a conversion error `failed` is not read again: the error wins.
            #[allow(unused_assignments)]
            while in_flight.len() > $limit {
                if let Some(done) = in_flight.join_next().await {
                    failed |= !absorb(
                        done.expect("write task panicked"),
                        books,
                        cp,
                        &mut flight_keys,
                    )?;
                }
            }
        };
    }
    // Batches are converted `threads` at a time on scoped threads (the handler is the CPU
    // cost), then merged into requests of up to `max_request_bytes` (see `pending.rs`) and
    // sent in order while the next group converts.
    let threads = options.convert_threads.max(1);
    let max_bytes = options.max_request_bytes;
    let mut pending: Option<Pending<Mark>> = None;
    'read: loop {
        let mut group = Vec::with_capacity(threads);
        while group.len() < threads {
            let (items, consumed) = reader.next(options.batch_size).await?;
            if items.is_empty() {
                break;
            }
            position += consumed;
            read += items.len() as u64;
            let mark = Mark {
                last_id: match items.last() {
                    Some(Item::Doc(d)) if !files => Some(d.id.clone()),
                    _ => None,
                },
                position,
                read,
            };
            group.push((items, mark));
        }
        let end = group.is_empty();
        let results: Vec<Result<Prepared, SyncError>> = block_in_place(|| {
            std::thread::scope(|s| {
                let workers: Vec<_> = group
                    .iter()
                    .map(|(items, _)| s.spawn(|| prepare(&ctx.handler.handler, &ctx.schema, items)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("conversion thread panicked"))
                    .collect()
            })
        });
        let mut ready: Vec<Pending<Mark>> = Vec::new();
        let mut conversion_error = None;
        for ((items, mark), result) in group.into_iter().zip(results) {
            books.summary.read += items.len() as u64;
            reporter.read(books.summary.read);
            let prepared = match result {
                Ok(p) => p,
                Err(e) => {
                    // Earlier batches are sent (and checkpointed); nothing of this one is.
                    conversion_error = Some(e);
                    break;
                }
            };
            books.skipped(&prepared)?;
            if ctx.client.is_none() || options.dry_run {
                books.summary.upserted += prepared.upserts.len() as u64;
                books.summary.deleted += prepared.deletes.len() as u64;
                continue;
            }
            let bytes = request_bytes(&prepared);
            match pending.as_mut() {
                Some(p) if p.takes(&prepared, bytes, max_bytes) => p.add(prepared, mark, bytes)?,
                Some(_) => ready.extend(pending.replace(Pending::new(prepared, mark, bytes))),
                None => pending = Some(Pending::new(prepared, mark, bytes)),
            }
            if pending.as_ref().is_some_and(|p| p.bytes >= max_bytes) {
                ready.extend(pending.take());
            }
        }
        if end || conversion_error.is_some() {
            ready.extend(pending.take());
        }
        let client = match (ctx.client, options.dry_run) {
            (Some(c), false) => c,
            _ => {
                if let Some(e) = conversion_error {
                    return Err(e);
                }
                if end {
                    break;
                }
                continue;
            }
        };
        for request in ready {
            // Files may hold one `_id` in several batches: the later must land last, so a
            // request sharing a key with one in flight waits for all of them.
            let limit = if files && request.keys.iter().any(|k| flight_keys.contains(k)) {
                0
            } else {
                options.concurrency.max(1) - 1
            };
            drain!(limit);
            if failed {
                break 'read;
            }
            if files {
                flight_keys.extend(request.keys.iter().cloned());
            }
            let this_seq = seq;
            seq += 1;
            let (client, collection, pk_field, attempts) = (
                client.clone(),
                ctx.name.clone(),
                ctx.pk_field.clone(),
                options.attempts,
            );
            in_flight.spawn(async move {
                let (ups, dels) = (request.rows, request.deletes.len());
                let (retries, result) = send(
                    &client,
                    &collection,
                    &pk_field,
                    request.fields,
                    ups,
                    &request.deletes,
                    attempts,
                )
                .await;
                (
                    this_seq,
                    request.mark,
                    request.keys,
                    ups,
                    dels,
                    retries,
                    result,
                )
            });
        }
        if let Some(e) = conversion_error {
            drain!(0);
            return Err(e);
        }
        if end {
            break;
        }
    }
    drain!(0);
    if !failed && !options.dry_run {
        cp.scan_complete = true;
        cp.save(&ctx.checkpoint_path)?;
    }
    Ok(!failed)
}
