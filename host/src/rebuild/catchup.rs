//! `--catch-up`: after the copy, bring the new collection level with rows the old one gained or
//! lost while the copy ran. A second keyset pass reads the primary keys of both collections
//! (keys only, in pages of the full query window), merges the two sorted lists, copies the rows
//! only the old one has and deletes the rows only the new one has. With a time field, rows the
//! old collection changed since the copy's snapshot are copied again (upsert).
//!
//! Keys are held in memory: about 16 bytes (Int64) or the key's length plus 24 bytes (VarChar)
//! per row of each collection.

use std::sync::Arc;

use super::convert::Converter;
use super::error::{RebuildError, Result};
use super::migrate::{QUERY_WINDOW, Reporter, after};
use super::plan::Plan;
use crate::milvus::Client;
use crate::milvus::query::{Pk, in_expr, pks_of};
use crate::milvus::scan::{Write, delete, query_at, wall_clock_ts, write};

/// What the catch-up pass did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CaughtUp {
    /// Rows only the old collection had (inserted during the copy).
    pub added: u64,
    /// Rows only the new collection had (deleted from the old one during the copy).
    pub deleted: u64,
    /// Rows the time field says changed since the snapshot (copied again).
    pub updated: u64,
}

/// Every primary key of `collection` as of `ts`, ascending, each once (duplicate copies of a
/// key count once). Pages until an empty one: a short page is not the end on Milvus 2.3,
/// which applies `limit` before removing duplicate copies.
pub async fn all_pks(client: &Client, collection: &str, pk: &str, ts: u64) -> Result<Vec<Pk>> {
    let mut out: Vec<Pk> = Vec::new();
    loop {
        let page = query_at(
            client,
            collection,
            &after(pk, out.last()),
            &[pk.to_string()],
            Some(QUERY_WINDOW - 1),
            ts,
        )
        .await?;
        let pks = page
            .fields
            .iter()
            .find(|f| f.field_name == pk)
            .map(pks_of)
            .unwrap_or_default();
        if pks.is_empty() {
            return Ok(out);
        }
        // Strictly rising, above the previous page: each key once.
        let pairs = out
            .last()
            .into_iter()
            .chain(pks.iter())
            .zip(pks.iter().skip(usize::from(out.is_empty())));
        if let Some((a, b)) = pairs.into_iter().find(|(a, b)| b <= a) {
            return Err(RebuildError::Usage(format!(
                "`{collection}` returned keys out of order ({b} after {a})"
            )));
        }
        out.extend(pks);
    }
}

/// Keys only in `a` and keys only in `b` (both ascending).
pub fn differences(a: &[Pk], b: &[Pk]) -> (Vec<Pk>, Vec<Pk>) {
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push(x.clone());
                i += 1;
            }
            (Some(_), Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (Some(x), None) => {
                only_a.push(x.clone());
                i += 1;
            }
            (None, Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    (only_a, only_b)
}

/// Copies the rows with keys `pks` from the old collection (as of `ts`) into the new one.
async fn copy_keys(
    client: &Client,
    plan: &Plan,
    converter: &Converter,
    pks: &[Pk],
    ts: u64,
    batch: usize,
    how: Write,
) -> Result<u64> {
    let mut copied = 0;
    for chunk in pks.chunks(batch.clamp(1, QUERY_WINDOW - 1)) {
        // No limit: Milvus 2.3 applies it before removing duplicate copies of a key, so
        // `limit = chunk.len()` would drop keys whose rows have several copies.
        let page = query_at(
            client,
            &plan.old_collection,
            &in_expr(&plan.pk, chunk),
            &plan.read_fields,
            None,
            ts,
        )
        .await?;
        let (fields, rows) = converter
            .convert(page.fields)
            .map_err(|e| RebuildError::Usage(format!("catch-up: {e}")))?;
        if rows == 0 {
            continue; // deleted again since the keys were read
        }
        write(client, &plan.new_collection, fields, rows as u32, how, 6).await?;
        copied += rows as u64;
    }
    Ok(copied)
}

/// Runs the catch-up pass. `changed_since`: (time field, value at the snapshot): rows of the
/// old collection at or above it are copied again.
pub async fn catch_up(
    client: &Client,
    plan: &Plan,
    converter: Arc<Converter>,
    batch: usize,
    changed_since: Option<(&str, i64)>,
    reporter: &dyn Reporter,
) -> Result<CaughtUp> {
    let ts = wall_clock_ts();
    reporter.status("catch-up: comparing the primary keys of both collections");
    let old = all_pks(client, &plan.old_collection, &plan.pk, ts).await?;
    let new = all_pks(client, &plan.new_collection, &plan.pk, 0).await?;
    let (missing, extra) = differences(&old, &new);
    let mut out = CaughtUp {
        added: copy_keys(client, plan, &converter, &missing, ts, batch, Write::Insert).await?,
        ..CaughtUp::default()
    };
    for chunk in extra.chunks(4096) {
        delete(client, &plan.new_collection, &in_expr(&plan.pk, chunk)).await?;
        out.deleted += chunk.len() as u64;
    }
    if let Some((field, since)) = changed_since {
        let mut changed = Vec::new();
        let mut last: Option<Pk> = None;
        loop {
            let mut expr = format!("{field} >= {since}");
            if let Some(l) = &last {
                expr = format!("{expr} and {}", after(&plan.pk, Some(l)));
            }
            let page = query_at(
                client,
                &plan.old_collection,
                &expr,
                std::slice::from_ref(&plan.pk),
                Some(QUERY_WINDOW - 1),
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
                break; // an empty page is the end; a short one is not (see `all_pks`)
            }
            last = pks.last().cloned();
            changed.extend(
                pks.into_iter()
                    .filter(|p| missing.binary_search(p).is_err()),
            );
        }
        out.updated =
            copy_keys(client, plan, &converter, &changed, ts, batch, Write::Upsert).await?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_finds_keys_on_either_side() {
        let p = |v: &[i64]| v.iter().map(|x| Pk::Int(*x)).collect::<Vec<_>>();
        let (a, b) = differences(&p(&[1, 2, 4, 7, 9]), &p(&[2, 3, 4, 9, 10]));
        assert_eq!(a, p(&[1, 7]));
        assert_eq!(b, p(&[3, 10]));
    }
}
