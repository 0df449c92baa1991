//! Where query vectors come from.
//!
//! - `held-out`: rows the generator would produce *after* the dataset's last row (same seed,
//!   same field, same distribution, e.g. the same cluster centres), so they are not in the
//!   collection: the realistic case of searching with a new document's embedding.
//! - `dataset`: rows of the dataset itself, evenly spread (each is its own nearest neighbour).
//! - `random`: random vectors of the field's type and norm (see [`VectorSet::random`]).

use std::str::FromStr;

use serde::Serialize;

use super::error::{MeasureError, Result};
use super::vectors::{VectorSet, column_error, expect_rows};
use crate::generate::{CHUNK_ROWS, ChunkRequest, GenContext};
use crate::milvus::dataset::Dataset;
use crate::schema::Field;

/// Held-out rows start at this chunk, far past any dataset (row 2^50).
const HELD_OUT_CHUNK: u64 = 1 << 40;

/// Where query vectors come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuerySource {
    HeldOut,
    Dataset,
    Random,
}

impl FromStr for QuerySource {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "held-out" => Ok(QuerySource::HeldOut),
            "dataset" => Ok(QuerySource::Dataset),
            "random" => Ok(QuerySource::Random),
            other => Err(format!(
                "unknown query source `{other}` (held-out, dataset, random)"
            )),
        }
    }
}

/// Whether held-out rows can be generated for `field`: the dataset was written by our
/// generator and the field uses a native generator (a plugin is not loaded here).
pub fn can_hold_out(dataset: &Dataset, field: &Field) -> bool {
    dataset
        .meta
        .generation_info
        .generator
        .starts_with("milvus-ingest")
        && field.generator.is_none()
}

/// `n` query vectors of `field` from `source` (`None`: held-out when possible, else dataset).
/// Returns the vectors and the source used.
pub fn query_vectors(
    dataset: Option<&Dataset>,
    field: &Field,
    n: usize,
    source: Option<QuerySource>,
    seed: u64,
) -> Result<(VectorSet, QuerySource)> {
    let dim = field.dim.unwrap_or(0) as usize;
    let source = match (source, dataset) {
        (Some(s), _) => s,
        (None, Some(d)) if can_hold_out(d, field) => QuerySource::HeldOut,
        (None, Some(_)) => QuerySource::Dataset,
        (None, None) => QuerySource::Random,
    };
    let vectors = match (source, dataset) {
        (QuerySource::Random, _) => VectorSet::random(field.data_type, dim, n, seed),
        (_, None) => {
            return Err(MeasureError::Usage(
                "held-out and dataset queries need --dataset DIR".into(),
            ));
        }
        (QuerySource::HeldOut, Some(d)) => held_out(d, field, n)?,
        (QuerySource::Dataset, Some(d)) => sampled(d, field, n)?,
    };
    Ok((vectors, source))
}

fn held_out(dataset: &Dataset, field: &Field, n: usize) -> Result<VectorSet> {
    if !can_hold_out(dataset, field) {
        return Err(MeasureError::Usage(format!(
            "{}: held-out queries need a dataset written by milvus-ingest with a built-in generator for field `{}`; use --query-source dataset",
            dataset.dir.display(),
            field.name
        )));
    }
    let info = &dataset.meta.generation_info;
    let ctx = GenContext {
        seed: info.seed,
        total_rows: info.total_rows,
    };
    let generator = crate::generate::values::build_column(field, &field.name, &ctx)
        .map_err(|e| MeasureError::Usage(format!("field `{}`: {e}", field.name)))?;
    let mut out = VectorSet::empty(field.data_type, field.dim.unwrap_or(0) as usize);
    let mut chunk = HELD_OUT_CHUNK;
    while out.len() < n {
        let rows = (n - out.len()).min(CHUNK_ROWS as usize);
        let column = generator
            .generate(&ChunkRequest {
                chunk_index: chunk,
                first_row: chunk * CHUNK_ROWS,
                rows,
            })
            .map_err(|e| MeasureError::Usage(format!("field `{}`: {e}", field.name)))?;
        let set = VectorSet::from_column(
            field.data_type,
            field.dim.unwrap_or(0) as usize,
            &column,
            &format!("held-out rows of field `{}`", field.name),
        )
        .map_err(MeasureError::Usage)?;
        out.extend(set);
        chunk += 1;
    }
    Ok(out)
}

/// `n` rows spread evenly over the dataset (fewer when it has fewer rows).
fn sampled(dataset: &Dataset, field: &Field, n: usize) -> Result<VectorSet> {
    let total = dataset.total_rows();
    let n = (n as u64).min(total);
    let dim = field.dim.unwrap_or(0) as usize;
    let mut out = VectorSet::empty(field.data_type, dim);
    let mut picks: Vec<Vec<u64>> = vec![Vec::new(); dataset.file_count()];
    for k in 0..n {
        let mut global = k * total / n.max(1);
        for (f, rows) in picks.iter_mut().enumerate() {
            let file_rows = dataset.file_rows(f);
            if global < file_rows {
                rows.push(global);
                break;
            }
            global -= file_rows;
        }
    }
    for (f, rows) in picks.iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        let path = dataset.path(f);
        let Some(batch) = dataset.read_rows(f, rows)? else {
            continue;
        };
        let column = batch
            .column_by_name(&field.name)
            .ok_or_else(|| column_error(&path, format!("no column `{}`", field.name)))?;
        let what = format!("{}: column `{}`", path.display(), field.name);
        out.extend(
            VectorSet::from_column(field.data_type, dim, column, &what)
                .map_err(|r| column_error(&path, r))?,
        );
    }
    expect_rows(&out, n as usize, &dataset.dir.display().to_string())?;
    Ok(out)
}
