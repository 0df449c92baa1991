//! Ground truth: the exact top-k neighbours of query vectors among a dataset's rows.
//!
//! The files are streamed (only the vector column of Parquet files is decoded) by a reader
//! thread, at most [`IN_FLIGHT`] batches ahead of the scoring, so memory stays at a few
//! batches whatever the dataset's size. Scoring runs on every core ([`super::topk`]). The
//! winners' primary keys are read back at the end. Results are cached next to the dataset
//! under `.ground-truth/`, keyed by the dataset description, the field, the metric, k and the
//! query vectors themselves.

use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{MeasureError, Result};
use super::metric::Metric;
use super::topk::BruteForce;
use super::vectors::{VectorSet, column_error};
use crate::format::META_FILE;
use crate::milvus::dataset::Dataset;
use crate::milvus::query::Pk;
use crate::schema::Field;

/// Rows per decoded batch.
const BATCH_ROWS: usize = 16_384;
/// Batches decoded ahead of the scoring.
const IN_FLIGHT: usize = 2;
/// Directory of cached ground truth inside a dataset (hidden: not part of the dataset).
pub const CACHE_DIR: &str = ".ground-truth";

/// A primary key as stored in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Int(i64),
    Str(String),
}

impl From<&Key> for Pk {
    fn from(k: &Key) -> Pk {
        match k {
            Key::Int(v) => Pk::Int(*v),
            Key::Str(s) => Pk::Str(s.clone()),
        }
    }
}

/// The exact neighbours of each query.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroundTruth {
    pub field: String,
    pub metric: Metric,
    pub k: usize,
    /// Dataset rows scanned.
    pub rows: u64,
    /// Per query: (primary key, score in the server's convention), closest first. Fewer than
    /// `k` when fewer rows can be neighbours (sparse rows sharing an index with the query).
    pub neighbours: Vec<Vec<(Key, f32)>>,
    /// Seconds the brute force took (0 when read from the cache).
    #[serde(skip)]
    pub seconds: f64,
    #[serde(skip)]
    pub cached: bool,
}

impl GroundTruth {
    /// Queries with fewer than `k` true neighbours (recall@k of those is over what exists).
    pub fn short_queries(&self) -> u64 {
        self.neighbours.iter().filter(|n| n.len() < self.k).count() as u64
    }

    /// Queries with no true neighbour at all (their recall is 1 whatever comes back empty).
    pub fn empty_queries(&self) -> u64 {
        self.neighbours.iter().filter(|n| n.is_empty()).count() as u64
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Metric, D::Error> {
        let s = String::deserialize(d)?;
        Metric::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Told how far the scan has got.
pub trait TruthProgress: Sync {
    fn rows(&self, _done: u64, _total: u64) {}
}

/// No progress reporting.
pub struct Quiet;
impl TruthProgress for Quiet {}

/// The cache file for these inputs.
pub fn cache_path(
    dataset: &Dataset,
    field: &Field,
    metric: Metric,
    k: usize,
    queries: &VectorSet,
) -> Result<PathBuf> {
    let meta_path = dataset.dir.join(META_FILE);
    let meta = std::fs::read(&meta_path).map_err(|e| MeasureError::io(&meta_path, e))?;
    let mut h = Sha256::new();
    // v2: sparse truth no longer pads a short top-k with rows of score 0.
    h.update(b"milvus-ingest ground truth v2\0");
    h.update(&meta);
    h.update(field.name.as_bytes());
    h.update([0]);
    h.update(metric.name().as_bytes());
    h.update((k as u64).to_le_bytes());
    queries.digest_into(&mut h);
    let digest = hex::encode(&h.finalize()[..12]);
    Ok(dataset.dir.join(CACHE_DIR).join(format!(
        "{}-{}-k{k}-{digest}.json",
        field.name,
        metric.name()
    )))
}

/// The exact top-`k` of `queries` among the dataset's `field` values, from the cache when it
/// holds them (unless `refresh`), else computed and cached.
pub fn ground_truth(
    dataset: &Dataset,
    field: &Field,
    metric: Metric,
    k: usize,
    queries: &VectorSet,
    refresh: bool,
    progress: &dyn TruthProgress,
) -> Result<GroundTruth> {
    let path = cache_path(dataset, field, metric, k, queries)?;
    if !refresh
        && let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(mut truth) = serde_json::from_str::<GroundTruth>(&text)
        && truth.neighbours.len() == queries.len()
    {
        truth.cached = true;
        return Ok(truth);
    }
    let truth = compute(dataset, field, metric, k, queries, progress)?;
    write_cache(&path, &truth)?;
    Ok(truth)
}

fn write_cache(path: &Path, truth: &GroundTruth) -> Result<()> {
    let dir = path.parent().expect("cache files live in a directory");
    std::fs::create_dir_all(dir).map_err(|e| MeasureError::io(dir, e))?;
    let text = serde_json::to_vec(truth).expect("ground truth serialises");
    crate::fsutil::write_atomically(path, &text).map_err(|e| MeasureError::io(path, e))
}

/// Computes the ground truth without the cache.
pub fn compute(
    dataset: &Dataset,
    field: &Field,
    metric: Metric,
    k: usize,
    queries: &VectorSet,
    progress: &dyn TruthProgress,
) -> Result<GroundTruth> {
    let started = std::time::Instant::now();
    let total = dataset.total_rows();
    let mut brute = BruteForce::new(queries, metric, k);
    let (tx, rx) = crossbeam_channel::bounded::<Result<(u64, VectorSet)>>(IN_FLIGHT);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            let mut first = 0u64;
            for f in 0..dataset.file_count() {
                let sent = read_file(dataset, f, field, &mut |set| {
                    let n = set.len() as u64;
                    let ok = tx.send(Ok((first, set))).is_ok();
                    first += n;
                    ok
                });
                if let Err(e) = sent {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        });
        // Owned here so an early error drops it, which stops the reader before the join.
        let rx = rx;
        let mut done = 0;
        for item in rx.iter() {
            let (first, set) = item?;
            brute.add(first, &set);
            done += set.len() as u64;
            progress.rows(done, total);
        }
        Ok(())
    })?;
    let rows_per_query = brute.finish();
    let neighbours = resolve_keys(dataset, rows_per_query)?;
    Ok(GroundTruth {
        field: field.name.clone(),
        metric,
        k,
        rows: total,
        neighbours,
        seconds: started.elapsed().as_secs_f64(),
        cached: false,
    })
}

/// Streams file `index`'s `field` column in batches into `sink` (which returns false to stop).
fn read_file(
    dataset: &Dataset,
    index: usize,
    field: &Field,
    sink: &mut dyn FnMut(VectorSet) -> bool,
) -> Result<()> {
    let path = dataset.path(index);
    let dim = field.dim.unwrap_or(0) as usize;
    let what = format!("{}: column `{}`", path.display(), field.name);
    scan_columns(dataset, index, &[field.name.as_str()], &mut |batch| {
        let column = batch
            .column_by_name(&field.name)
            .ok_or_else(|| column_error(&path, format!("no column `{}`", field.name)))?;
        let set = VectorSet::from_column(field.data_type, dim, column, &what)
            .map_err(|r| column_error(&path, r))?;
        Ok(sink(set))
    })
}

/// Streams file `index` in batches of [`BATCH_ROWS`] rows into `sink` (which returns false to
/// stop). Of Parquet files only `columns` are decoded; JSON files are read whole. Columns are
/// looked up by name in each batch (their order is the file's, not `columns`').
pub(crate) fn scan_columns(
    dataset: &Dataset,
    index: usize,
    columns: &[&str],
    sink: &mut dyn FnMut(&arrow_array::RecordBatch) -> Result<bool>,
) -> Result<()> {
    let path = dataset.path(index);
    if !dataset
        .meta
        .generation_info
        .format
        .eq_ignore_ascii_case("parquet")
    {
        let rows = dataset.file_rows(index);
        for batch in dataset.read_range(index, 0, rows, BATCH_ROWS)? {
            if !sink(&batch?)? {
                break;
            }
        }
        return Ok(());
    }
    let file = File::open(&path).map_err(|e| MeasureError::io(&path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| column_error(&path, format!("not a readable Parquet file: {e}")))?;
    let fields = builder.parquet_schema().root_schema().get_fields();
    let mut roots = Vec::with_capacity(columns.len());
    for name in columns {
        let position = fields
            .iter()
            .position(|f| f.name() == *name)
            .ok_or_else(|| column_error(&path, format!("no column `{name}`")))?;
        roots.push(position);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| column_error(&path, e.to_string()))?;
    for batch in reader {
        let batch = batch.map_err(|e| column_error(&path, format!("reading: {e}")))?;
        if !sink(&batch)? {
            break;
        }
    }
    Ok(())
}

/// Replaces dataset row numbers with the rows' primary keys.
fn resolve_keys(dataset: &Dataset, rows: Vec<Vec<(u64, f32)>>) -> Result<Vec<Vec<(Key, f32)>>> {
    let schema = dataset.schema();
    let pk = schema
        .primary()
        .filter(|f| !f.auto_id)
        .ok_or_else(|| {
            MeasureError::Usage(format!(
                "{}: the primary key is auto_id, so the files hold no keys to compare the server's answers with; generate the dataset with explicit keys",
                dataset.dir.join(META_FILE).display()
            ))
        })?;
    let mut wanted: Vec<u64> = rows.iter().flatten().map(|(r, _)| *r).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut keys = std::collections::HashMap::with_capacity(wanted.len());
    let mut start = 0u64;
    let mut at = 0usize;
    for f in 0..dataset.file_count() {
        let end = start + dataset.file_rows(f);
        let mut local = Vec::new();
        while at < wanted.len() && wanted[at] < end {
            local.push(wanted[at] - start);
            at += 1;
        }
        if !local.is_empty() {
            let path = dataset.path(f);
            let batch = dataset
                .read_rows(f, &local)?
                .ok_or_else(|| column_error(&path, "rows missing".into()))?;
            let column = batch
                .column_by_name(&pk.name)
                .ok_or_else(|| column_error(&path, format!("no column `{}`", pk.name)))?;
            for (i, row) in local.iter().enumerate() {
                keys.insert(start + row, key_at(column, i, &path)?);
            }
        }
        start = end;
    }
    Ok(rows
        .into_iter()
        .map(|list| {
            list.into_iter()
                .map(|(r, s)| (keys[&r].clone(), s))
                .collect()
        })
        .collect())
}

pub(crate) fn key_at(column: &arrow_array::ArrayRef, i: usize, path: &Path) -> Result<Key> {
    use arrow_array::cast::AsArray;
    if let Some(v) = column.as_primitive_opt::<arrow_array::types::Int64Type>() {
        return Ok(Key::Int(v.value(i)));
    }
    if let Some(v) = column.as_string_opt::<i32>() {
        return Ok(Key::Str(v.value(i).to_string()));
    }
    Err(column_error(
        path,
        format!("primary key column is {}", column.data_type()),
    ))
}
