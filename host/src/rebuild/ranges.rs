//! Parallel reads for the copy: the old collection's primary keys are read first (keys only,
//! a full query window per page, cheap), cut into ranges of `batch_size` keys, and the ranges
//! `(lo, hi]` are then read, converted and written by several tasks at once. A range is read
//! by keyset inside its bounds until its page reaches `hi` or comes back empty (never until a
//! short page: Milvus 2.3 applies `limit` before removing duplicate copies of a key), so rows
//! written into it meanwhile are not cut off; ranges are disjoint, so no row is read twice. The caller reads what lies above the
//! last key (rows added at the end meanwhile) with the sequential keyset loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::convert::Converter;
use super::error::{RebuildError, Result};
use super::migrate::{Copied, QUERY_WINDOW, Reporter, max_int};
use super::plan::Plan;
use crate::milvus::Client;
use crate::milvus::query::{Pk, pks_of};
use crate::milvus::scan::{Write, query_at, write};

/// What one range task did: rows, retries, largest time-field value.
type RangeDone = (u64, Result<(u64, u32, Option<i64>)>);

#[allow(clippy::too_many_arguments)]
async fn copy_range(
    client: Client,
    plan: Arc<Plan>,
    converter: Arc<Converter>,
    range: (Option<Pk>, Pk),
    limit: usize,
    ts: u64,
    attempts: u32,
    time_field: Option<String>,
) -> Result<(u64, u32, Option<i64>)> {
    let (lo, hi) = range;
    let mut after = lo;
    let (mut rows, mut retries, mut max_time) = (0u64, 0u32, None);
    loop {
        let mut expr = format!("{} <= {hi}", plan.pk);
        if let Some(a) = &after {
            expr = format!("{} > {a} and {expr}", plan.pk);
        }
        let page = query_at(
            &client,
            &plan.old_collection,
            &expr,
            &plan.read_fields,
            Some(limit),
            ts,
        )
        .await?;
        let pks = page
            .fields
            .iter()
            .find(|f| f.field_name == plan.pk)
            .map(pks_of)
            .unwrap_or_default();
        if pks.is_empty() {
            break;
        }
        if pks.windows(2).any(|w| w[0] >= w[1]) || after.as_ref().is_some_and(|a| &pks[0] <= a) {
            return Err(RebuildError::Usage(format!(
                "`{}` returned keys out of order: keyset pages cannot be proven complete",
                plan.old_collection
            )));
        }
        if let Some(t) = &time_field {
            let m = page
                .fields
                .iter()
                .find(|f| &f.field_name == t)
                .and_then(max_int);
            max_time = max_time.max(m);
        }
        let n = pks.len();
        after = pks.last().cloned();
        let (fields, got) = converter
            .convert(page.fields)
            .map_err(|e| RebuildError::Usage(format!("converting rows up to key {hi}: {e}")))?;
        retries += write(
            &client,
            &plan.new_collection,
            fields,
            got as u32,
            Write::Insert,
            attempts,
        )
        .await?;
        rows += n as u64;
        if after.as_ref() == Some(&hi) {
            break; // nothing in the range lies above its upper bound
        }
    }
    Ok((rows, retries, max_time))
}

/// Copies the rows of the ranges cut from `keys` (ascending, all above `start`), `concurrency`
/// ranges at a time. `checkpoint(hi, rows)` follows the contiguous prefix of finished ranges.
#[allow(clippy::too_many_arguments)]
pub async fn copy_ranges(
    client: &Client,
    plan: &Plan,
    converter: Arc<Converter>,
    keys: &[Pk],
    start: Option<Pk>,
    ts: u64,
    batch: usize,
    concurrency: usize,
    attempts: u32,
    time_field: Option<String>,
    reporter: &dyn Reporter,
    checkpoint: &mut dyn FnMut(&Pk, u64) -> Result<()>,
    copied: &mut Copied,
) -> Result<()> {
    let limit = batch.clamp(1, QUERY_WINDOW - 1);
    let plan = Arc::new(plan.clone());
    let mut ranges = Vec::new();
    let mut lo = start;
    for chunk in keys.chunks(limit) {
        let hi = chunk.last().cloned().expect("chunks are not empty");
        ranges.push((lo.clone(), hi.clone()));
        lo = Some(hi);
    }
    let mut pending: BTreeMap<u64, (Pk, Option<u64>)> = BTreeMap::new();
    let mut in_flight: JoinSet<RangeDone> = JoinSet::new();
    let mut acked = 0u64;
    let mut settle = |done: RangeDone,
                      pending: &mut BTreeMap<u64, (Pk, Option<u64>)>,
                      copied: &mut Copied|
     -> Result<()> {
        let (seq, outcome) = done;
        let (rows, retries, max_time) = outcome?;
        copied.rows += rows;
        copied.pages += 1;
        copied.retries += retries as u64;
        copied.max_time = copied.max_time.max(max_time);
        reporter.copied(rows);
        if let Some(p) = pending.get_mut(&seq) {
            p.1 = Some(rows);
        }
        while let Some(entry) = pending.first_entry() {
            let Some(rows) = entry.get().1 else { break };
            let (hi, _) = entry.remove();
            acked += rows;
            checkpoint(&hi, acked)?;
        }
        Ok(())
    };
    for (seq, range) in ranges.into_iter().enumerate() {
        while in_flight.len() >= concurrency.max(1) {
            let done = in_flight
                .join_next()
                .await
                .expect("not empty")
                .expect("range task panicked");
            settle(done, &mut pending, copied)?;
        }
        let seq = seq as u64;
        pending.insert(seq, (range.1.clone(), None));
        let task = copy_range(
            client.clone(),
            plan.clone(),
            converter.clone(),
            range,
            limit,
            ts,
            attempts,
            time_field.clone(),
        );
        in_flight.spawn(async move { (seq, task.await) });
    }
    while let Some(done) = in_flight.join_next().await {
        settle(done.expect("range task panicked"), &mut pending, copied)?;
    }
    copied.last = keys.last().cloned().or(copied.last.take());
    Ok(())
}
