//! One shard's run: check the location, withdraw this shard's old manifest, write its files
//! (hashing them on the way), then write its manifest last.
//!
//! A shard only ever writes the files of its own slice of the layout and its own manifest, so
//! shards never write the same object, and re-running a shard (a Job retry, or a re-run after a
//! kill) replaces exactly its own objects with the same bytes.

use std::sync::atomic::AtomicBool;
use std::time::{SystemTime, UNIX_EPOCH};

use super::digest_sink::DigestSink;
use super::error::ShardError;
use super::layout::ShardLayout;
use super::manifest::{
    DatasetIdentity, MANIFEST_VERSION, SHARDS_DIR, ShardFile, ShardManifest, manifest_name,
    parse_manifest_name, schema_sha256,
};
use super::spec::ShardSpec;
use super::target::Target;
use crate::format::META_FILE;
use crate::generate::GenerateError;
use crate::generate::engine::{Progress, RunReport};
use crate::generate::job::{Job, OutputFormat};

/// Why a shard run failed.
#[derive(Debug, thiserror::Error)]
pub enum ShardRunError {
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
}

/// The identity every shard of the dataset `job` (planned as `layout`) records.
pub fn identity(job: &Job, layout: &ShardLayout) -> DatasetIdentity {
    let settings = job.settings();
    DatasetIdentity {
        collection: job.schema().collection_name.clone(),
        schema_sha256: schema_sha256(job.schema()),
        seed: settings.seed,
        total_rows: layout.total_rows(),
        file_count: layout.file_count(),
        shard_count: layout.count,
        format: settings.format.name().to_string(),
        compression: match settings.format {
            OutputFormat::Parquet(codec) => Some(codec.name().to_string()),
            OutputFormat::Json => None,
        },
        segment_rows: layout.plan.segment_rows,
    }
}

/// Refuses a location that holds another dataset: a manifest of other settings, or a
/// `meta.json` without any shard manifests (a single-process dataset). With `force`, the
/// foreign manifests and `meta.json` are removed instead (this shard's files replace theirs).
fn check_location(target: &Target, ours: &DatasetIdentity, force: bool) -> Result<(), ShardError> {
    let listing = target.list()?;
    let manifests: Vec<String> = listing
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| parse_manifest_name(n).is_some())
        .collect();
    let mut foreign = Vec::new();
    let mut same = 0usize;
    // Read manifests of our shard count first: one agreeing manifest settles it.
    for (name, bytes) in manifests.iter().zip(target.read_many(&manifests)?) {
        let Some(bytes) = bytes else { continue };
        match serde_json::from_slice::<ShardManifest>(&bytes) {
            Ok(m) if &m.dataset == ours => same += 1,
            Ok(m) => foreign.push((name.clone(), describe_difference(&m.dataset, ours))),
            Err(e) => foreign.push((name.clone(), format!("unreadable ({e})"))),
        }
    }
    let has_meta = listing.iter().any(|(n, _)| n == META_FILE);
    let mut problems: Vec<String> = foreign
        .iter()
        .map(|(n, why)| format!("{}: {why}", target.store.url(n)))
        .collect();
    if has_meta && same == 0 && manifests.is_empty() {
        problems.push(format!(
            "{} holds a dataset that was not generated in shards",
            target.store.url(META_FILE)
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    if !force {
        return Err(ShardError::Usage(format!(
            "{} holds another dataset: {}; pass --force to replace it (each shard removes the foreign manifests)",
            target.location,
            problems.join("; ")
        )));
    }
    for (name, _) in &foreign {
        target.delete(name)?;
    }
    if has_meta && same == 0 {
        target.delete(META_FILE)?;
    }
    Ok(())
}

fn describe_difference(theirs: &DatasetIdentity, ours: &DatasetIdentity) -> String {
    let mut diffs = Vec::new();
    let mut cmp = |what: &str, a: String, b: String| {
        if a != b {
            diffs.push(format!("{what} {a} (this run: {b})"));
        }
    };
    cmp(
        "collection",
        theirs.collection.clone(),
        ours.collection.clone(),
    );
    cmp(
        "schema",
        theirs.schema_sha256[..12.min(theirs.schema_sha256.len())].to_string(),
        ours.schema_sha256[..12].to_string(),
    );
    cmp("seed", theirs.seed.to_string(), ours.seed.to_string());
    cmp(
        "total rows",
        theirs.total_rows.to_string(),
        ours.total_rows.to_string(),
    );
    cmp(
        "files",
        theirs.file_count.to_string(),
        ours.file_count.to_string(),
    );
    cmp(
        "shards",
        theirs.shard_count.to_string(),
        ours.shard_count.to_string(),
    );
    cmp("format", theirs.format.clone(), ours.format.clone());
    cmp(
        "compression",
        format!("{:?}", theirs.compression),
        format!("{:?}", ours.compression),
    );
    cmp(
        "row group rows",
        theirs.segment_rows.to_string(),
        ours.segment_rows.to_string(),
    );
    if diffs.is_empty() {
        "same settings".into()
    } else {
        format!("written with {}", diffs.join(", "))
    }
}

/// What [`run_shard`] produced.
pub struct ShardOutcome {
    pub manifest: ShardManifest,
    pub report: RunReport,
}

/// Runs shard `spec` of `job` (prepared for the whole dataset) into `target`.
pub fn run_shard(
    target: &Target,
    job: Job,
    layout: &ShardLayout,
    spec: ShardSpec,
    force: bool,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<ShardOutcome, ShardRunError> {
    let identity = identity(&job, layout);
    check_location(target, &identity, force)?;
    let own = manifest_name(spec.index, spec.count);
    // Withdraw our old claim first: a run that dies from here on must not look done.
    target.delete(&own)?;
    let job = job.with_plan(layout.shard_plan(spec.index));
    let sink = DigestSink::new(target.sink());
    let (report, meta) = job.run(&sink, progress, cancel)?;
    let mut files = Vec::with_capacity(report.files.len());
    for f in &report.files {
        let digest = sink
            .digest(&f.file_name)
            .ok_or_else(|| ShardError::Usage(format!("{}: no digest recorded", f.file_name)))?;
        files.push(ShardFile {
            file_name: f.file_name.clone(),
            first_row: f.first_row,
            rows: f.rows,
            size: digest.size,
            sha256: digest.sha256,
            etag: digest.etag,
        });
    }
    let manifest = ShardManifest {
        version: MANIFEST_VERSION,
        index: spec.index,
        dataset: identity,
        rows: report.rows,
        bytes: report.bytes,
        files,
        seconds: report.seconds,
        finished_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        generator: meta.generation_info.generator.clone(),
        schema: meta.schema.clone(),
        collection_config: meta.collection_config.clone(),
    };
    debug_assert!(own.starts_with(SHARDS_DIR));
    target.put(&own, &manifest.to_json())?;
    Ok(ShardOutcome { manifest, report })
}
