//! `dataset status`: the manifests under a location, which shards are done, which are missing
//! or partial (some files, no manifest). Reads manifests and one listing; no data file is read.

use std::collections::{BTreeMap, HashMap};

use object_store::ObjectMeta;
use serde::Serialize;

use super::error::ShardError;
use super::failure::{ShardFailure, failure_name, is_failure_name};
use super::layout::file_range;
use super::manifest::{DatasetIdentity, ShardManifest, parse_manifest_name};
use super::target::Target;
use crate::format::META_FILE;
use crate::generate::plan::file_name;

/// The manifests found under a location.
pub struct Gathered {
    /// Readable manifests by shard index, of the dataset the newest manifest belongs to.
    pub manifests: BTreeMap<u32, ShardManifest>,
    pub identity: Option<DatasetIdentity>,
    /// Manifests of other settings, or unreadable ones: (name, why).
    pub foreign: Vec<(String, String)>,
    pub listing: HashMap<String, ObjectMeta>,
    /// Failure markers of shards that have no manifest (a manifest wins over a marker).
    pub failures: BTreeMap<u32, ShardFailure>,
}

/// Lists the location and reads every shard manifest in it. The dataset is the one of the most
/// recently finished manifest; manifests that disagree with it are reported as foreign.
pub fn gather(target: &Target) -> Result<Gathered, ShardError> {
    let listing: HashMap<String, ObjectMeta> = target.list()?.into_iter().collect();
    let mut names: Vec<String> = listing
        .keys()
        .filter(|n| parse_manifest_name(n).is_some())
        .cloned()
        .collect();
    names.sort();
    let mut read = Vec::new();
    let mut foreign = Vec::new();
    for (name, bytes) in names.iter().zip(target.read_many(&names)?) {
        let Some(bytes) = bytes else { continue };
        match serde_json::from_slice::<ShardManifest>(&bytes) {
            Ok(m) if m.name() == *name => read.push(m),
            Ok(m) => foreign.push((
                name.clone(),
                format!("its content is shard {} (named {})", m.spec(), m.name()),
            )),
            Err(e) => foreign.push((name.clone(), format!("not a shard manifest ({e})"))),
        }
    }
    let identity = read
        .iter()
        .max_by_key(|m| (m.finished_at, m.index))
        .map(|m| m.dataset.clone());
    let mut manifests = BTreeMap::new();
    for m in read {
        if Some(&m.dataset) == identity.as_ref() {
            manifests.insert(m.index, m);
        } else {
            foreign.push((
                m.name(),
                format!(
                    "another dataset (seed {}, {} rows, {} shards, schema {})",
                    m.dataset.seed,
                    m.dataset.total_rows,
                    m.dataset.shard_count,
                    &m.dataset.schema_sha256[..12.min(m.dataset.schema_sha256.len())]
                ),
            ));
        }
    }
    let failures = read_failures(target, &listing, identity.as_ref(), &manifests)?;
    Ok(Gathered {
        manifests,
        identity,
        foreign,
        listing,
        failures,
    })
}

/// The failure markers of the dataset's shards that have no manifest; with no manifest at all
/// (every shard may fail before one is written), every marker in the location.
fn read_failures(
    target: &Target,
    listing: &HashMap<String, ObjectMeta>,
    identity: Option<&DatasetIdentity>,
    manifests: &BTreeMap<u32, ShardManifest>,
) -> Result<BTreeMap<u32, ShardFailure>, ShardError> {
    let mut names: Vec<String> = match identity {
        Some(id) => (0..id.shard_count)
            .filter(|i| !manifests.contains_key(i))
            .map(|i| failure_name(i, id.shard_count))
            .filter(|n| listing.contains_key(n))
            .collect(),
        None => listing
            .keys()
            .filter(|n| is_failure_name(n))
            .cloned()
            .collect(),
    };
    names.sort();
    Ok(target
        .read_many(&names)?
        .into_iter()
        .flatten()
        .filter_map(|b| serde_json::from_slice::<ShardFailure>(&b).ok())
        .map(|f| (f.index, f))
        .collect())
}

/// One shard's state.
#[derive(Debug, Clone, Serialize)]
pub struct ShardState {
    pub index: u32,
    /// `done`, `failed` (failed for good: see `failure`), `partial` (some of its files exist,
    /// no manifest yet) or `missing`.
    pub state: &'static str,
    pub files: usize,
    pub files_expected: usize,
    pub rows: u64,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// Why a `failed` shard failed (exit code, attempts, first line of the error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub location: String,
    pub collection: Option<String>,
    pub shard_count: u32,
    pub done: usize,
    pub missing: Vec<u32>,
    /// Missing shards that failed for good (a subset of `missing`).
    pub failed: Vec<u32>,
    pub total_rows: u64,
    pub rows_done: u64,
    pub bytes_done: u64,
    /// Whether a `meta.json` is there.
    pub finalized: bool,
    pub shards: Vec<ShardState>,
    /// Manifests that belong to another dataset or could not be read.
    pub foreign: Vec<String>,
}

/// Which shards are done, from the manifests and the listing (no file is read).
pub fn status(target: &Target) -> Result<StatusReport, ShardError> {
    let g = gather(target)?;
    Ok(status_of(&g, &target.location.to_string(), |n| {
        target.store.url(n)
    }))
}

fn status_of(g: &Gathered, location: &str, url: impl Fn(&str) -> String) -> StatusReport {
    let mut report = StatusReport {
        location: location.to_string(),
        collection: g.identity.as_ref().map(|i| i.collection.clone()),
        shard_count: g.identity.as_ref().map_or(0, |i| i.shard_count),
        done: g.manifests.len(),
        missing: Vec::new(),
        failed: g.failures.keys().copied().collect(),
        total_rows: g.identity.as_ref().map_or(0, |i| i.total_rows),
        rows_done: g.manifests.values().map(|m| m.rows).sum(),
        bytes_done: g.manifests.values().map(|m| m.bytes).sum(),
        finalized: g.listing.contains_key(META_FILE),
        shards: Vec::new(),
        foreign: g
            .foreign
            .iter()
            .map(|(n, why)| format!("{}: {why}", url(n)))
            .collect(),
    };
    let Some(id) = &g.identity else {
        return report;
    };
    for index in 0..id.shard_count {
        let range = file_range(id.file_count, id.shard_count, index);
        let expected = range.len();
        let state = match g.manifests.get(&index) {
            Some(m) => ShardState {
                index,
                state: "done",
                files: m.files.len(),
                files_expected: expected,
                rows: m.rows,
                bytes: m.bytes,
                seconds: Some(m.seconds),
                finished_at: Some(m.finished_at),
                error: None,
            },
            None => {
                let present = range
                    .filter(|i| {
                        g.listing.contains_key(&file_name(
                            *i as u64,
                            id.file_count as u64,
                            &id.format,
                        ))
                    })
                    .count();
                report.missing.push(index);
                let failure = g.failures.get(&index);
                ShardState {
                    index,
                    state: match (failure, present) {
                        (Some(_), _) => "failed",
                        (None, 0) => "missing",
                        (None, _) => "partial",
                    },
                    files: present,
                    files_expected: expected,
                    rows: 0,
                    bytes: 0,
                    seconds: None,
                    finished_at: None,
                    error: failure.map(ShardFailure::describe),
                }
            }
        };
        report.shards.push(state);
    }
    report
}
