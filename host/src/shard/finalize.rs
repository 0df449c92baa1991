//! `dataset status` and `dataset finalize`: read every shard manifest under a location, check
//! them against each other and against the objects there, and write the dataset's `meta.json`.
//!
//! The checks on manifests and listings are pure functions ([`assemble`], [`check_objects`]);
//! only [`finalize`] (through [`super::status::gather`]) touches the target.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use object_store::ObjectMeta;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ShardError;
use super::layout::file_range;
use super::manifest::ShardManifest;
use super::status::gather;
use super::target::Target;
use crate::format::meta::{DataFile, DatasetMeta, GenerationInfo};
use crate::format::{META_FILE, write_meta};
use crate::generate::plan::file_name;
use crate::storage::StoreKind;
use crate::storage::digest::normalize_etag;

/// Builds the dataset's `meta.json` from a complete set of manifests, checking that they tile
/// the dataset: every row in exactly one file, file names unique and as the layout names them,
/// every shard's files where the layout puts them. Returns every problem found.
pub fn assemble(manifests: &BTreeMap<u32, ShardManifest>) -> Result<DatasetMeta, Vec<String>> {
    let mut problems = Vec::new();
    let Some(first) = manifests.values().next() else {
        return Err(vec!["no shard manifests".into()]);
    };
    let id = &first.dataset;
    for index in 0..id.shard_count {
        let Some(m) = manifests.get(&index) else {
            problems.push(format!("shard {index} is missing"));
            continue;
        };
        if m.dataset != *id {
            problems.push(format!("{} belongs to another dataset", m.name()));
            continue;
        }
        let range = file_range(id.file_count, id.shard_count, index);
        let names: Vec<String> = range
            .clone()
            .map(|i| file_name(i as u64, id.file_count as u64, &id.format))
            .collect();
        let got: Vec<&str> = m.files.iter().map(|f| f.file_name.as_str()).collect();
        if got != names.iter().map(String::as_str).collect::<Vec<_>>() {
            problems.push(format!(
                "{} lists files {:?}, the layout gives shard {index} {:?}",
                m.name(),
                got,
                names
            ));
        }
        if m.files.iter().map(|f| f.rows).sum::<u64>() != m.rows {
            problems.push(format!(
                "{}: file rows do not add up to {}",
                m.name(),
                m.rows
            ));
        }
    }
    let mut files: Vec<_> = manifests.values().flat_map(|m| m.files.iter()).collect();
    files.sort_by_key(|f| f.first_row);
    let mut next = 0u64;
    let mut seen = HashSet::new();
    for f in &files {
        if f.first_row != next {
            problems.push(format!(
                "{} starts at row {}, expected {next} (rows missing or twice)",
                f.file_name, f.first_row
            ));
        }
        if !seen.insert(f.file_name.as_str()) {
            problems.push(format!("{} is listed twice", f.file_name));
        }
        next = f.first_row + f.rows;
    }
    if next != id.total_rows {
        problems.push(format!(
            "the files hold rows 0..{next}, the dataset has {}",
            id.total_rows
        ));
    }
    if files.len() != id.file_count {
        problems.push(format!(
            "{} files listed, the dataset has {}",
            files.len(),
            id.file_count
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let seconds = manifests.values().map(|m| m.seconds).fold(0.0, f64::max);
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    Ok(DatasetMeta {
        schema: first.schema.clone(),
        generation_info: GenerationInfo {
            total_rows: id.total_rows,
            format: id.format.clone(),
            seed: id.seed,
            file_count: files.len(),
            data_files: files
                .iter()
                .map(|f| DataFile {
                    file_name: f.file_name.clone(),
                    rows: f.rows,
                    file_size_bytes: f.size,
                    first_row: f.first_row,
                })
                .collect(),
            start_row: 0,
            compression: id.compression.clone(),
            // The slowest shard: with shards in parallel, that is the dataset's time.
            generation_time: seconds,
            rows_per_second: id.total_rows as f64 / seconds.max(1e-9),
            total_size_bytes: bytes,
            generator: first.generator.clone(),
        },
        collection_config: first.collection_config.clone(),
    })
}

/// How files were checked against their manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Size and the S3 ETag from the listing (content-derived, see `storage::digest`).
    SizeAndEtag,
    /// Size and a fresh SHA-256 of each local file.
    SizeAndSha256,
    /// Size only (stores whose ETags are opaque: GCS, Azure).
    Size,
}

/// Checks every listed file of `manifests` against `listing` by size, and by ETag when
/// `etags` (S3). Returns the problems.
pub fn check_objects(
    manifests: &BTreeMap<u32, ShardManifest>,
    listing: &HashMap<String, ObjectMeta>,
    etags: bool,
    url: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut problems = Vec::new();
    for m in manifests.values() {
        for f in &m.files {
            match listing.get(&f.file_name) {
                None => problems.push(format!(
                    "{} (shard {}) does not exist",
                    url(&f.file_name),
                    m.index
                )),
                Some(o) if o.size != f.size => problems.push(format!(
                    "{} (shard {}) holds {} bytes, its manifest says {}",
                    url(&f.file_name),
                    m.index,
                    o.size,
                    f.size
                )),
                Some(o) if etags => {
                    let etag = o.e_tag.as_deref().map(normalize_etag);
                    if etag.as_deref() != Some(f.etag.as_str()) {
                        problems.push(format!(
                            "{} (shard {}) has ETag {}, its manifest says {} (changed after the shard wrote it)",
                            url(&f.file_name),
                            m.index,
                            etag.unwrap_or_else(|| "(none)".into()),
                            f.etag
                        ));
                    }
                }
                Some(_) => {}
            }
        }
    }
    problems
}

/// Re-hashes local files (SHA-256) on a few threads; returns the problems.
fn rehash_local(target: &Target, manifests: &BTreeMap<u32, ShardManifest>) -> Vec<String> {
    let files: Vec<(u32, &super::manifest::ShardFile)> = manifests
        .values()
        .flat_map(|m| m.files.iter().map(move |f| (m.index, f)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let hash = |path: &std::path::Path| -> std::io::Result<String> {
        let mut file = std::fs::File::open(path)?;
        let mut sha = Sha256::new();
        std::io::copy(&mut file, &mut sha)?;
        Ok(hex::encode(sha.finalize()))
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let files = &files;
                s.spawn(move || {
                    let mut problems = Vec::new();
                    for (index, f) in files.iter().skip(t).step_by(threads) {
                        let Some(path) = target.store.local_path(&f.file_name) else {
                            continue;
                        };
                        match hash(&path) {
                            Ok(sha) if sha == f.sha256 => {}
                            Ok(sha) => problems.push(format!(
                                "{} (shard {index}) has SHA-256 {sha}, its manifest says {} (changed after the shard wrote it)",
                                path.display(),
                                f.sha256
                            )),
                            Err(e) => problems.push(format!("{}: {e}", path.display())),
                        }
                    }
                    problems
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("hash thread"))
            .collect()
    })
}

/// What [`finalize`] did.
#[derive(Debug, Clone, Serialize)]
pub struct FinalizeReport {
    pub status: &'static str,
    pub location: String,
    pub collection: String,
    pub shards: u32,
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    pub verified: Verification,
    /// Seconds finalize took, waiting for shards (with `wait`) included.
    pub seconds: f64,
}

/// Checks that every shard is done and its files are intact, then writes `meta.json`.
/// With `wait`, missing shards are waited for (polling every `poll`) until `wait` has passed.
pub fn finalize(
    target: &Target,
    wait: Option<Duration>,
    poll: Duration,
) -> Result<FinalizeReport, ShardError> {
    let started = Instant::now();
    let location = target.location.to_string();
    let url = |n: &str| target.store.url(n);
    let g = loop {
        let g = gather(target)?;
        // A shard that failed for good never comes: stop waiting now, naming it. (Checked
        // before the manifests: every shard may have failed before any wrote one.)
        if !g.failures.is_empty() {
            return Err(ShardError::FailedForGood {
                location,
                failures: g.failures.values().map(|f| f.describe()).collect(),
            });
        }
        let time_left = wait.is_some_and(|limit| started.elapsed() + poll <= limit);
        let Some(id) = &g.identity else {
            // The finalize Job of `k8s job` starts with the shards, before any is done.
            if time_left {
                std::thread::sleep(poll);
                continue;
            }
            return Err(ShardError::Usage(format!(
                "{location} holds no shard manifests ({}/shard-*.json): nothing was generated there with --shard{}",
                super::manifest::SHARDS_DIR,
                wait.map_or(String::new(), |w| format!(" (waited {} s)", w.as_secs()))
            )));
        };
        if !g.foreign.is_empty() {
            return Err(ShardError::Inconsistent {
                location,
                problems: g
                    .foreign
                    .iter()
                    .map(|(n, why)| format!("{}: {why}", url(n)))
                    .collect(),
            });
        }
        let missing: Vec<u32> = (0..id.shard_count)
            .filter(|i| !g.manifests.contains_key(i))
            .collect();
        if missing.is_empty() {
            break g;
        }
        if !time_left {
            return Err(ShardError::Incomplete {
                location,
                count: id.shard_count,
                missing,
            });
        }
        std::thread::sleep(poll);
    };
    let meta = assemble(&g.manifests).map_err(|problems| ShardError::Inconsistent {
        location: location.clone(),
        problems,
    })?;
    let verified = match target.kind() {
        StoreKind::S3 => Verification::SizeAndEtag,
        StoreKind::Local => Verification::SizeAndSha256,
        _ => Verification::Size,
    };
    let mut problems = check_objects(
        &g.manifests,
        &g.listing,
        verified == Verification::SizeAndEtag,
        url,
    );
    if problems.is_empty() && verified == Verification::SizeAndSha256 {
        problems = rehash_local(target, &g.manifests);
    }
    if !problems.is_empty() {
        return Err(ShardError::Inconsistent { location, problems });
    }
    write_meta(target.sink(), &meta).map_err(|e| ShardError::Io {
        what: "writing",
        path: url(META_FILE),
        source: e,
    })?;
    let id = g.identity.expect("checked above");
    Ok(FinalizeReport {
        status: "ok",
        location,
        collection: id.collection,
        shards: id.shard_count,
        files: meta.generation_info.file_count,
        rows: meta.generation_info.total_rows,
        bytes: meta.generation_info.total_size_bytes,
        verified,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::plan::SplitRequest;
    use crate::shard::layout::ShardLayout;
    use crate::shard::manifest::{DatasetIdentity, MANIFEST_VERSION, ShardFile, schema_sha256};

    /// The manifests a complete run of `layout` would write (sizes and digests made up).
    fn manifests(layout: &ShardLayout) -> BTreeMap<u32, ShardManifest> {
        let schema = crate::schema::load_builtin("simple").unwrap();
        let dataset = DatasetIdentity {
            collection: schema.collection_name.clone(),
            schema_sha256: schema_sha256(&schema),
            seed: 1,
            total_rows: layout.total_rows(),
            file_count: layout.file_count(),
            shard_count: layout.count,
            format: "parquet".into(),
            compression: Some("snappy".into()),
            segment_rows: layout.plan.segment_rows,
        };
        (0..layout.count)
            .map(|i| {
                let files: Vec<ShardFile> = layout
                    .shard_plan(i)
                    .files
                    .iter()
                    .map(|f| ShardFile {
                        file_name: f.name.clone(),
                        first_row: f.first_row,
                        rows: f.rows,
                        size: f.rows * 10,
                        sha256: format!("sha-{}", f.name),
                        etag: format!("etag-{}", f.name),
                    })
                    .collect();
                let m = ShardManifest {
                    version: MANIFEST_VERSION,
                    index: i,
                    dataset: dataset.clone(),
                    rows: files.iter().map(|f| f.rows).sum(),
                    bytes: files.iter().map(|f| f.size).sum(),
                    files,
                    seconds: 1.0 + f64::from(i),
                    finished_at: 0,
                    generator: "test".into(),
                    schema: schema.clone(),
                    collection_config: None,
                };
                (i, m)
            })
            .collect()
    }

    fn layout() -> ShardLayout {
        let split = SplitRequest {
            total_rows: Some(10_000),
            rows_per_file: Some(1000),
            ..Default::default()
        };
        ShardLayout::new(&split, 100.0, "parquet", 3).unwrap()
    }

    #[test]
    fn a_complete_set_assembles_in_global_order() {
        let layout = layout();
        let meta = assemble(&manifests(&layout)).unwrap();
        let info = &meta.generation_info;
        assert_eq!(info.total_rows, 10_000);
        assert_eq!(info.file_count, 10);
        let names: Vec<&str> = info
            .data_files
            .iter()
            .map(|f| f.file_name.as_str())
            .collect();
        let want: Vec<&str> = layout.plan.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, want);
        assert_eq!(info.generation_time, 3.0, "the slowest shard");
        assert_eq!(info.total_size_bytes, 100_000);
    }

    #[test]
    fn gaps_overlaps_and_strangers_are_named() {
        let layout = layout();
        let mut m = manifests(&layout);
        m.remove(&1);
        let err = assemble(&m).unwrap_err().join("\n");
        assert!(err.contains("shard 1 is missing"), "{err}");

        let mut m = manifests(&layout);
        m.get_mut(&2).unwrap().files[0].first_row += 1;
        let err = assemble(&m).unwrap_err().join("\n");
        assert!(
            err.contains("data-00007-of-00010.parquet starts at row 6001"),
            "{err}"
        );

        let mut m = manifests(&layout);
        m.get_mut(&0).unwrap().files[1].file_name = "data-00005-of-00010.parquet".into();
        let err = assemble(&m).unwrap_err().join("\n");
        assert!(err.contains("the layout gives shard 0"), "{err}");
        assert!(err.contains("listed twice"), "{err}");
    }

    #[test]
    fn objects_are_checked_by_size_and_etag() {
        let layout = layout();
        let m = manifests(&layout);
        let object = |f: &ShardFile, size: u64, etag: &str| {
            (
                f.file_name.clone(),
                ObjectMeta {
                    location: object_store::path::Path::from(f.file_name.as_str()),
                    last_modified: chrono::Utc::now(),
                    size,
                    e_tag: Some(format!("\"{etag}\"")),
                    version: None,
                },
            )
        };
        let all: Vec<&ShardFile> = m.values().flat_map(|s| s.files.iter()).collect();
        let mut listing: HashMap<String, ObjectMeta> =
            all.iter().map(|f| object(f, f.size, &f.etag)).collect();
        assert!(check_objects(&m, &listing, true, str::to_string).is_empty());
        listing.remove(&all[0].file_name);
        let (name, o) = object(all[3], all[3].size + 1, &all[3].etag);
        listing.insert(name, o);
        let (name, o) = object(all[5], all[5].size, "other");
        listing.insert(name, o);
        let problems = check_objects(&m, &listing, true, str::to_string).join("\n");
        assert!(
            problems.contains("data-00001-of-00010.parquet (shard 0) does not exist"),
            "{problems}"
        );
        assert!(
            problems.contains("data-00004-of-00010.parquet (shard 1) holds"),
            "{problems}"
        );
        assert!(
            problems.contains("data-00006-of-00010.parquet (shard 1) has ETag other"),
            "{problems}"
        );
        // Without ETags (GCS, Azure) only sizes count.
        assert_eq!(check_objects(&m, &listing, false, str::to_string).len(), 2);
    }
}
