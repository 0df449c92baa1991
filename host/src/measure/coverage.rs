//! Before measuring: is every row searched through the index?
//!
//! Right after an insert the rows sit in growing segments, which the query nodes search by
//! brute force: recall is then 1.0 and the QPS is not the index's. So before a benchmark the
//! collection is flushed (sealing the growing segments), and we wait until the index covers
//! every row and the query nodes serve the sealed, indexed segments (`GetQuerySegmentInfo`).
//! When that does not happen in time (or the caller does not wait), the rows still searched
//! without the index are counted, so the report can say what its numbers cover.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::error::Result;
use crate::milvus::Client;
use crate::milvus::collection::flush;
use crate::milvus::inspect::{index_progress, load_state, statistics_row_count};
use crate::milvus::query::count;
use crate::milvus::segments::{ServedSegment, served_segments};

/// Milvus' default `indexCoord.segment.minSegmentNumRowsToEnableIndex`: smaller segments get
/// no index and are searched by brute force however long one waits.
const SMALL_SEGMENT_ROWS: u64 = 1024;

/// Pause between two looks at the segments.
const POLL: Duration = Duration::from_millis(500);

/// How much of the collection the measured searches went through the index for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    /// Every row is in a sealed, indexed segment the query nodes serve.
    Complete,
    /// Some rows were searched without the index (`unindexed_rows`).
    Partial,
    /// The server does not say which segments it serves (Milvus Lite).
    Unknown,
}

/// What [`ensure_indexed`] found before the measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexCoverage {
    pub coverage: Coverage,
    /// Rows of the collection: `count(*)` at Strong consistency (growing rows included), or
    /// its statistics when it is not loaded.
    pub rows: u64,
    /// Rows in sealed segments the query nodes serve through the index (for FLAT and BIN_FLAT,
    /// which scan the raw vectors anyway, every sealed row).
    pub indexed_rows: u64,
    /// Rows searched without the index: growing, sealed but not yet indexed, or not loaded.
    pub unindexed_rows: u64,
    /// Whether the collection was flushed to seal its growing segments.
    pub flushed: bool,
    /// Seconds spent flushing and waiting.
    pub waited_seconds: f64,
    /// Why coverage is unknown or partial, when the server said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl IndexCoverage {
    /// One line for the table output.
    pub fn describe(&self) -> String {
        let how = match (self.flushed, self.waited_seconds) {
            (true, s) => format!(" (flushed, waited {s:.1}s)"),
            (false, s) if s >= 0.1 => format!(" (waited {s:.1}s)"),
            _ => String::new(),
        };
        match self.coverage {
            Coverage::Complete => format!(
                "index: all {} rows in sealed, indexed segments served by the query nodes{how}",
                self.rows
            ),
            Coverage::Partial => format!(
                "{} of {} rows were searched without the index (growing, unindexed or unloaded segments){how}: the numbers are not the index's alone{}",
                self.unindexed_rows,
                self.rows,
                self.detail
                    .as_deref()
                    .map(|d| format!("; {d}"))
                    .unwrap_or_default()
            ),
            Coverage::Unknown => format!(
                "index coverage unknown: {}",
                self.detail.as_deref().unwrap_or("the server does not say")
            ),
        }
    }
}

/// Makes sure every row of `collection` is searched through the index of `field`: when
/// some is not, flushes once and waits up to `wait` (no flush and no wait when `None`).
/// Never fails for a slow build: the rows still not covered are reported instead.
pub async fn ensure_indexed(
    client: &Client,
    collection: &str,
    field: &str,
    wait: Option<Duration>,
) -> Result<IndexCoverage> {
    let started = Instant::now();
    let mut now = look(client, collection, field).await?;
    let Some(wait) = wait else { return Ok(now) };
    // A detail (no index, a failed build, not loaded) is something waiting does not fix.
    if now.coverage != Coverage::Partial || now.detail.is_some() {
        return Ok(now);
    }
    flush(client, collection, wait).await?;
    loop {
        now = look(client, collection, field).await?;
        now.flushed = true;
        now.waited_seconds = started.elapsed().as_secs_f64();
        if now.coverage != Coverage::Partial || now.detail.is_some() || started.elapsed() >= wait {
            return Ok(now);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The coverage right now, without changing anything.
async fn look(client: &Client, collection: &str, field: &str) -> Result<IndexCoverage> {
    let mut out = IndexCoverage {
        coverage: Coverage::Unknown,
        rows: 0,
        indexed_rows: 0,
        unindexed_rows: 0,
        flushed: false,
        waited_seconds: 0.0,
        detail: None,
    };
    let Some(segments) = served_segments(client, collection).await? else {
        out.detail = Some("the server does not report the segments it serves".into());
        return Ok(out);
    };
    let state = load_state(client, collection).await?;
    if state == "Loaded" {
        // count(*) at Strong consistency includes the growing rows; the statistics do not.
        out.rows = count(client, collection).await?;
    } else {
        out.rows = statistics_row_count(client, collection).await?;
        out.detail = Some(format!("the collection is not loaded ({state})"));
    }
    let index = index_progress(client, collection)
        .await?
        .into_iter()
        .find(|i| i.field == field);
    match &index {
        Some(i) if i.state == "Failed" => {
            out.detail = Some(format!(
                "building the {} index failed: {}",
                i.index_type,
                i.fail_reason.as_deref().unwrap_or("no reason given")
            ));
        }
        Some(_) => {}
        None => out.detail = Some(format!("field `{field}` has no index")),
    }
    // FLAT and BIN_FLAT are a scan of the raw vectors: their segments never name an index.
    let scan = index.as_ref().is_some_and(|i| {
        matches!(
            i.index_type.to_ascii_uppercase().as_str(),
            "FLAT" | "BIN_FLAT"
        )
    });
    // Otherwise only the segment's own word counts: Milvus 2.3.5 serves a freshly sealed
    // segment for seconds without its index (no index id) after `DescribeIndex` says "built".
    let mut seen = HashSet::new();
    let indexed: u64 = segments
        .iter()
        .filter(|s| seen.insert(s.id) && s.is_sealed() && (scan || s.has_index()))
        .map(|s| s.rows)
        .sum();
    out.indexed_rows = indexed.min(out.rows);
    out.unindexed_rows = out.rows - out.indexed_rows;
    let built = index.as_ref().is_some_and(|i| {
        i.state == "Finished" && i.pending_rows == 0 && i.indexed_rows >= i.total_rows
    });
    if built && !scan && out.unindexed_rows > 0 && out.detail.is_none() {
        out.detail = small_segments_note(&segments, out.rows, out.unindexed_rows);
    }
    out.coverage = if out.unindexed_rows == 0 {
        Coverage::Complete
    } else {
        Coverage::Partial
    };
    Ok(out)
}

/// When every row is sealed and served, and the rows without an index are all in segments
/// too small to be indexed, says so (waiting would not change it).
fn small_segments_note(segments: &[ServedSegment], rows: u64, unindexed: u64) -> Option<String> {
    let mut seen = HashSet::new();
    let sealed: Vec<&ServedSegment> = segments
        .iter()
        .filter(|s| seen.insert(s.id) && s.is_sealed())
        .collect();
    let sealed_rows: u64 = sealed.iter().map(|s| s.rows).sum();
    let small: u64 = sealed
        .iter()
        .filter(|s| !s.has_index() && s.rows < SMALL_SEGMENT_ROWS)
        .map(|s| s.rows)
        .sum();
    (sealed_rows >= rows && small >= unindexed).then(|| {
        format!(
            "{small} rows are in sealed segments of fewer than {SMALL_SEGMENT_ROWS} rows, which Milvus does not index (it searches them by brute force)"
        )
    })
}
