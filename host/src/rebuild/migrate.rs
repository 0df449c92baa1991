//! The copy: primary-key keyset pages from the old collection (`pk > last`, `limit n`, all at
//! one snapshot timestamp), converted, written into the new collection with several writes in
//! flight. Reading is sequential by nature (the next page starts after this page's last key);
//! writes overlap it.
//!
//! Completeness does not rest on trust: every page must come back in strictly increasing key
//! order above the previous page (else the copy stops), so pages cover disjoint key ranges and
//! no key is read twice; the copy ends only at an empty page, never at a short one (Milvus 2.3
//! applies `limit` before it removes duplicate copies of a key, so a page of a collection
//! filled by plain inserts can be short long before the end). The caller then compares the
//! keys read with `count(*)` at the same snapshot, or, where they differ, with the number of
//! distinct keys (see [`super::distinct`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::catchup::all_pks;
use super::convert::Converter;
use super::error::{RebuildError, Result};
use super::plan::Plan;
use super::ranges::copy_ranges;
use crate::milvus::query::{Pk, pks_of};
use crate::milvus::scan::{Write, query_at, write};
use crate::milvus::{Client, MilvusError};

/// Milvus' query window: `offset + limit` must stay below this.
pub const QUERY_WINDOW: usize = 16_384;

/// What the copy tells the user while it works.
pub trait Reporter: Send + Sync {
    fn status(&self, _message: &str) {}
    /// Rows to copy (an estimate: the old collection's count) and rows already copied.
    fn copy_start(&self, _total: u64, _done: u64) {}
    fn copied(&self, _rows: u64) {}
    fn copy_end(&self) {}
    fn warning(&self, _message: &str) {}
}

/// A reporter that says nothing.
pub struct Silent;
impl Reporter for Silent {}

#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Rows per page (and per write).
    pub batch_size: usize,
    /// Writes in flight.
    pub concurrency: usize,
    /// Attempts per write for transient errors.
    pub attempts: u32,
    /// An integer field holding each row's last-modified time (for `--catch-up`).
    pub time_field: Option<String>,
}

/// What a copy did.
#[derive(Debug, Clone, Default)]
pub struct Copied {
    pub rows: u64,
    pub pages: u64,
    pub retries: u64,
    /// The last primary key copied.
    pub last: Option<Pk>,
    /// The largest value of the time field seen (`CopyOptions::time_field`).
    pub max_time: Option<i64>,
}

/// `pk > last` (or everything).
pub fn after(pk: &str, last: Option<&Pk>) -> String {
    last.map_or_else(String::new, |l| format!("{pk} > {l}"))
}

/// Copies every row with a key above `start_after`, as of `ts`. `checkpoint(last, rows)` is
/// called whenever every row up to `last` is acknowledged by the new collection.
#[allow(clippy::too_many_arguments)]
pub async fn copy_rows(
    client: &Client,
    plan: &Plan,
    converter: Arc<Converter>,
    ts: u64,
    start_after: Option<Pk>,
    options: &CopyOptions,
    reporter: &dyn Reporter,
    mut checkpoint: impl FnMut(&Pk, u64) -> Result<()>,
) -> Result<Copied> {
    let limit = options.batch_size.clamp(1, QUERY_WINDOW - 1);
    let concurrency = options.concurrency.max(1);
    let mut copied = Copied {
        last: start_after.clone(),
        ..Copied::default()
    };
    // Several writers: read the keys first and copy key ranges in parallel; the loop below
    // then only reads what lies above the last key.
    if concurrency > 1 {
        let keys: Vec<Pk> = all_pks(client, &plan.old_collection, &plan.pk, ts)
            .await?
            .into_iter()
            .filter(|k| start_after.as_ref().is_none_or(|s| k > s))
            .collect();
        if !keys.is_empty() {
            copy_ranges(
                client,
                plan,
                converter.clone(),
                &keys,
                start_after.clone(),
                ts,
                limit,
                concurrency,
                options.attempts,
                options.time_field.clone(),
                reporter,
                &mut checkpoint,
                &mut copied,
            )
            .await?;
        }
    }
    let mut last = copied.last.clone();
    let mut next_seq = 0u64;
    // Pages written but not yet contiguous with the checkpoint: seq -> (last key, rows, done).
    let mut pending: BTreeMap<u64, (Pk, u64, bool)> = BTreeMap::new();
    let mut in_flight: JoinSet<(u64, Result<u32>)> = JoinSet::new();
    let mut acked_rows = copied.rows;

    let mut settle = |seq: u64,
                      outcome: Result<u32>,
                      pending: &mut BTreeMap<u64, (Pk, u64, bool)>,
                      copied: &mut Copied|
     -> Result<()> {
        copied.retries += outcome? as u64;
        if let Some(p) = pending.get_mut(&seq) {
            p.2 = true;
            reporter.copied(p.1);
        }
        while let Some(entry) = pending.first_entry() {
            if !entry.get().2 {
                break;
            }
            let (pk, rows, _) = entry.remove();
            acked_rows += rows;
            checkpoint(&pk, acked_rows)?;
        }
        Ok(())
    };

    loop {
        let expr = after(&plan.pk, last.as_ref());
        let page = query_at(
            client,
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
        check_order(&pks, last.as_ref(), &plan.old_collection)?;
        let page_last = pks.last().cloned().expect("not empty");
        if let Some(t) = &options.time_field {
            let max = page
                .fields
                .iter()
                .find(|f| &f.field_name == t)
                .and_then(max_int);
            copied.max_time = copied.max_time.max(max);
        }
        let n = pks.len();
        let (fields, rows) = converter.convert(page.fields).map_err(|e| {
            RebuildError::Usage(format!(
                "converting rows after key {}: {e}",
                last.as_ref()
                    .map_or("(start)".to_string(), |l| l.to_string())
            ))
        })?;
        debug_assert_eq!(rows, n);
        while in_flight.len() >= concurrency {
            let (seq, outcome) = in_flight
                .join_next()
                .await
                .expect("not empty")
                .expect("write task panicked");
            settle(seq, outcome, &mut pending, &mut copied)?;
        }
        let seq = next_seq;
        next_seq += 1;
        pending.insert(seq, (page_last.clone(), n as u64, false));
        let (client, name, attempts) = (
            client.clone(),
            plan.new_collection.clone(),
            options.attempts,
        );
        in_flight.spawn(async move {
            let outcome = write(&client, &name, fields, n as u32, Write::Insert, attempts)
                .await
                .map_err(RebuildError::from);
            (seq, outcome)
        });
        copied.rows += n as u64;
        copied.pages += 1;
        last = Some(page_last);
        // A short page is not the end: only an empty one is (see the module comment).
    }
    while let Some(done) = in_flight.join_next().await {
        let (seq, outcome) = done.expect("write task panicked");
        settle(seq, outcome, &mut pending, &mut copied)?;
    }
    copied.last = last;
    Ok(copied)
}

/// The largest value of an integer column.
pub(super) fn max_int(data: &::milvus::proto::schema::FieldData) -> Option<i64> {
    use ::milvus::proto::schema::{field_data, scalar_field};
    match &data.field {
        Some(field_data::Field::Scalars(s)) => match &s.data {
            Some(scalar_field::Data::LongData(l)) => l.data.iter().copied().max(),
            Some(scalar_field::Data::IntData(l)) => l.data.iter().map(|v| *v as i64).max(),
            _ => None,
        },
        _ => None,
    }
}

/// Keys must rise strictly, above the previous page's last key.
fn check_order(pks: &[Pk], last: Option<&Pk>, collection: &str) -> Result<()> {
    let mut prev = last;
    for pk in pks {
        if prev.is_some_and(|p| pk <= p) {
            return Err(RebuildError::Milvus(MilvusError::Rpc {
                rpc: "Query",
                reason: format!(
                    "`{collection}` returned key {pk} after {}: the server does not return query results in primary-key order, so keyset pages cannot be proven complete",
                    prev.expect("checked")
                ),
                transient: false,
            }));
        }
        prev = Some(pk);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_must_rise_strictly_above_the_last_key() {
        let p = |v: &[i64]| v.iter().map(|x| Pk::Int(*x)).collect::<Vec<_>>();
        assert!(check_order(&p(&[3, 4, 9]), Some(&Pk::Int(2)), "c").is_ok());
        assert!(check_order(&p(&[3, 3]), None, "c").is_err());
        assert!(check_order(&p(&[2, 5]), Some(&Pk::Int(2)), "c").is_err());
        let s = |v: &str| Pk::Str(v.into());
        assert!(check_order(&[s("a"), s("b")], Some(&s("")), "c").is_ok());
        assert_eq!(after("id", Some(&s("x\"y"))), r#"id > "x\"y""#);
        assert_eq!(after("id", None), "");
    }
}
