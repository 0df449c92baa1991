//! The plan: which rows go to which file and row group. Pure data, computed without I/O.
//!
//! "Two of {file size, file count, total rows} determine the third": the planner turns whichever
//! the user gave, plus a measured bytes-per-row figure, into files of contiguous rows, and cuts
//! each file into row groups of a fixed row count that depends only on the schema.

use super::error::GenerateError;
use super::rng::CHUNK_ROWS;

/// Row groups aim at this many encoded bytes: large enough for fast scans and imports, small
/// enough that every worker can hold one in memory.
pub const ROW_GROUP_TARGET_BYTES: f64 = 32.0 * 1024.0 * 1024.0;
const MAX_ROW_GROUP_ROWS: u64 = 1 << 20;
/// Without a split request, files are cut near this size.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
pub const DEFAULT_TOTAL_ROWS: u64 = 1000;

/// What the user asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SplitRequest {
    pub total_rows: Option<u64>,
    pub rows_per_file: Option<u64>,
    pub file_count: Option<u64>,
    /// Target bytes per file.
    pub file_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub name: String,
    /// Dataset row index of the first row.
    pub first_row: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
    /// Rows per row group (Parquet) or per encoded block (JSON); a file's last one may be shorter.
    pub segment_rows: u64,
}

/// One unit of parallel work: a row group of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub file: usize,
    pub first_row: u64,
    pub rows: u64,
}

impl Plan {
    pub fn total_rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Every segment, in output order.
    pub fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        for (file, f) in self.files.iter().enumerate() {
            let mut first = f.first_row;
            let end = f.first_row + f.rows;
            while first < end {
                let rows = self.segment_rows.min(end - first);
                out.push(Segment {
                    file,
                    first_row: first,
                    rows,
                });
                first += rows;
            }
        }
        out
    }
}

/// Rows per segment for a measured row width: a whole number of chunks.
pub fn segment_rows_for(bytes_per_row: f64) -> u64 {
    let rows = (ROW_GROUP_TARGET_BYTES / bytes_per_row.max(1.0)) as u64;
    (rows / CHUNK_ROWS * CHUNK_ROWS).clamp(CHUNK_ROWS, MAX_ROW_GROUP_ROWS)
}

/// Builds the plan. `start_row` is the dataset row this run starts at; `extension` is
/// `parquet` or `json`.
pub fn plan(
    split: &SplitRequest,
    start_row: u64,
    bytes_per_row: f64,
    extension: &str,
) -> Result<Plan, GenerateError> {
    let usage = |m: String| Err(GenerateError::Usage(m));
    for (value, flag) in [
        (split.rows_per_file, "--rows-per-file"),
        (split.file_count, "--file-count"),
        (split.file_size, "--file-size"),
    ] {
        if value == Some(0) {
            return usage(format!("{flag} must be greater than 0"));
        }
    }
    let rows_for_size = split
        .file_size
        .map(|bytes| ((bytes as f64 / bytes_per_row.max(1.0)) as u64).max(1));

    let total = match (
        split.total_rows,
        split.file_count,
        rows_for_size,
        split.rows_per_file,
    ) {
        (Some(total), ..) => total,
        // Count and size (or rows per file) given: the total follows.
        (None, Some(count), Some(per), _) | (None, Some(count), None, Some(per)) => count * per,
        _ => DEFAULT_TOTAL_ROWS,
    };
    if total == 0 {
        return usage("--total-rows must be greater than 0".into());
    }

    let mut per_file = match (split.rows_per_file, split.file_count) {
        (Some(per), _) => per,
        (None, Some(count)) => total.div_ceil(count),
        (None, None) => total,
    };
    if let Some(per) = rows_for_size {
        per_file = per_file.min(per);
    }
    if split.file_size.is_none() && split.rows_per_file.is_none() && split.file_count.is_none() {
        // Nothing asked: still keep files under the default size.
        let cap = ((DEFAULT_MAX_FILE_BYTES as f64 / bytes_per_row.max(1.0)) as u64).max(1);
        per_file = per_file.min(cap);
    }
    let count = total.div_ceil(per_file);
    if let Some(wanted) = split.file_count
        && count != wanted
        && split.total_rows.is_some()
    {
        return usage(format!(
            "--file-count {wanted} does not fit {total} rows with the other limits ({count} files of up to {per_file} rows); drop one of --file-count, --file-size, --rows-per-file"
        ));
    }

    let files = (0..count)
        .map(|i| {
            let first = start_row + i * per_file;
            let rows = per_file.min(start_row + total - first);
            PlannedFile {
                name: file_name(i, count, extension),
                first_row: first,
                rows,
            }
        })
        .collect();
    Ok(Plan {
        files,
        segment_rows: segment_rows_for(bytes_per_row),
    })
}

/// `data.parquet` for one file, `data-00001-of-00005.parquet` for several (the predecessor's names).
pub fn file_name(index: u64, count: u64, extension: &str) -> String {
    if count == 1 {
        format!("data.{extension}")
    } else {
        format!("data-{:05}-of-{:05}.{extension}", index + 1, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(
        total: Option<u64>,
        per: Option<u64>,
        count: Option<u64>,
        size: Option<u64>,
    ) -> SplitRequest {
        SplitRequest {
            total_rows: total,
            rows_per_file: per,
            file_count: count,
            file_size: size,
        }
    }

    #[test]
    fn two_of_three_decide_the_third() {
        // total + rows per file
        let p = plan(
            &split(Some(2500), Some(1000), None, None),
            0,
            100.0,
            "parquet",
        )
        .unwrap();
        assert_eq!(
            p.files.iter().map(|f| f.rows).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
        assert_eq!(p.files[1].name, "data-00002-of-00003.parquet");
        // total + count
        let p = plan(&split(Some(10), None, Some(3), None), 0, 100.0, "json").unwrap();
        assert_eq!(
            p.files.iter().map(|f| f.rows).collect::<Vec<_>>(),
            vec![4, 4, 2]
        );
        // count + size: the total follows
        let p = plan(&split(None, None, Some(2), Some(1000)), 0, 100.0, "parquet").unwrap();
        assert_eq!(p.total_rows(), 20);
        // total + size
        let p = plan(
            &split(Some(25), None, None, Some(1000)),
            0,
            100.0,
            "parquet",
        )
        .unwrap();
        assert_eq!(p.files.len(), 3);
        // nothing: one file
        let p = plan(&split(None, None, None, None), 0, 100.0, "parquet").unwrap();
        assert_eq!(
            p.files,
            vec![PlannedFile {
                name: "data.parquet".into(),
                first_row: 0,
                rows: 1000
            }]
        );
    }

    #[test]
    fn segments_cover_every_row_once_in_order() {
        let p = plan(
            &split(Some(5000), Some(1500), None, None),
            7,
            20_000.0,
            "parquet",
        )
        .unwrap();
        let segs = p.segments();
        let mut next = 7;
        for s in &segs {
            assert_eq!(s.first_row, next);
            next += s.rows;
        }
        assert_eq!(next, 5007);
        assert!(segs.iter().all(|s| s.rows <= p.segment_rows));
    }

    #[test]
    fn zero_and_contradictions_are_usage_errors() {
        assert!(plan(&split(Some(0), None, None, None), 0, 1.0, "parquet").is_err());
        assert!(plan(&split(Some(10), Some(0), None, None), 0, 1.0, "parquet").is_err());
        assert!(
            plan(
                &split(Some(100), Some(10), Some(3), None),
                0,
                1.0,
                "parquet"
            )
            .is_err()
        );
    }
}
