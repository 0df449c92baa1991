//! The dataset's files and each shard's slice of them. Pure data, computed without I/O.
//!
//! Every shard computes the same [`ShardLayout`] from the same inputs (total rows, file split
//! settings, measured row width, shard count), so shard 7 knows that it writes
//! `data-00071-of-00640.parquet` to `data-00080-of-00640.parquet` without asking anyone. The
//! layout is an ordinary [`Plan`]: a single process given the same split
//! (`--rows-per-file` = the layout's rows per file) writes byte-identical files.

use std::ops::Range;

use crate::generate::GenerateError;
use crate::generate::plan::{Plan, SplitRequest, plan};

/// The whole dataset's plan, cut into `count` shards of contiguous files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardLayout {
    /// Every file of the dataset, in row order, starting at row 0.
    pub plan: Plan,
    pub count: u32,
}

impl ShardLayout {
    /// Plans the dataset for `count` shards from what the user asked (`split`) and the measured
    /// encoded bytes per row.
    ///
    /// When the user fixed the number of files (`--file-count` or `--rows-per-file`), that is
    /// kept and must give at least one file per shard. Otherwise (nothing asked, or only
    /// `--file-size`) the file count is rounded up to a multiple of `count` so every shard gets
    /// the same number of files; files only get smaller, never larger than asked.
    pub fn new(
        split: &SplitRequest,
        bytes_per_row: f64,
        extension: &str,
        count: u32,
    ) -> Result<ShardLayout, GenerateError> {
        let base = plan(split, 0, bytes_per_row, extension)?;
        let total = base.total_rows();
        let files = base.files.len() as u64;
        let n = u64::from(count);
        let fixed = split.file_count.is_some() || split.rows_per_file.is_some();
        let plan = if fixed || files.is_multiple_of(n) {
            base
        } else {
            let wanted = files.div_ceil(n) * n;
            let resplit = |per_file: u64| {
                let split = SplitRequest {
                    total_rows: Some(total),
                    rows_per_file: Some(per_file),
                    file_count: None,
                    file_size: None,
                };
                plan(&split, 0, bytes_per_row, extension)
            };
            // ceil(total / wanted) rows per file can make fewer files than wanted, even fewer
            // than shards (1e8 rows for 99,999 shards: 1,001 a file, 99,901 files); then one
            // row less a file makes at least `wanted`.
            let even = resplit(total.div_ceil(wanted))?;
            if (even.files.len() as u64) < wanted {
                resplit((total / wanted).max(1))?
            } else {
                even
            }
        };
        if (plan.files.len() as u64) < n {
            return Err(GenerateError::Usage(format!(
                "{count} shards need at least {count} files, but {total} rows make {} file(s) of up to {} rows{}; use fewer shards or more rows",
                plan.files.len(),
                plan.files.first().map_or(0, |f| f.rows),
                if fixed {
                    " (with the --file-count/--rows-per-file given)"
                } else {
                    ""
                }
            )));
        }
        Ok(ShardLayout { plan, count })
    }

    pub fn total_rows(&self) -> u64 {
        self.plan.total_rows()
    }

    pub fn file_count(&self) -> usize {
        self.plan.files.len()
    }

    /// Indexes into `plan.files` of shard `index`: a balanced, contiguous run of files.
    pub fn file_range(&self, index: u32) -> Range<usize> {
        file_range(self.plan.files.len(), self.count, index)
    }

    /// The part of the plan shard `index` writes (global names and row numbers).
    pub fn shard_plan(&self, index: u32) -> Plan {
        Plan {
            files: self.plan.files[self.file_range(index)].to_vec(),
            segment_rows: self.plan.segment_rows,
        }
    }
}

/// Files `[index * files / count, (index + 1) * files / count)`: shards differ by at most one
/// file, and the ranges of all shards tile `0..files` in order.
pub fn file_range(files: usize, count: u32, index: u32) -> Range<usize> {
    let (files, count, index) = (files as u128, u128::from(count), u128::from(index));
    let start = index * files / count;
    let end = (index + 1) * files / count;
    start as usize..end as usize
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

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

    /// Every row in exactly one file, every name unique across shards, shards in order.
    fn check(layout: &ShardLayout) {
        let mut next_row = 0;
        let mut names = HashSet::new();
        let mut files_seen = 0;
        for index in 0..layout.count {
            let part = layout.shard_plan(index);
            assert_eq!(part.segment_rows, layout.plan.segment_rows);
            for f in &part.files {
                assert_eq!(f.first_row, next_row, "gap or overlap at {}", f.name);
                assert!(f.rows > 0);
                next_row += f.rows;
                assert!(names.insert(f.name.clone()), "{} twice", f.name);
                files_seen += 1;
            }
        }
        assert_eq!(next_row, layout.total_rows());
        assert_eq!(files_seen, layout.file_count());
    }

    #[test]
    fn shards_tile_the_dataset_for_many_shapes() {
        for total in [64u64, 1000, 1003, 99_999, 1_000_000, 123_456_789] {
            for count in [1u32, 2, 3, 5, 7, 64] {
                for req in [
                    split(Some(total), None, None, None),
                    split(Some(total), None, None, Some(5_000_000)),
                    split(Some(total), None, Some(u64::from(count) * 3), None),
                    split(
                        Some(total),
                        Some(total.div_ceil(u64::from(count) * 2)),
                        None,
                        None,
                    ),
                ] {
                    match ShardLayout::new(&req, 120.0, "parquet", count) {
                        Ok(layout) => check(&layout),
                        // Only tiny datasets may have fewer files than shards.
                        Err(e) => assert!(total < 100_000 && e.is_usage(), "{total}/{count}: {e}"),
                    }
                }
            }
        }
    }

    #[test]
    fn the_shard_limit_itself_is_a_valid_count() {
        // ceil(1e8 / 99,999) = 1,001 rows a file made only 99,901 files.
        let req = split(Some(100_000_000), None, None, None);
        let layout = ShardLayout::new(&req, 120.0, "parquet", 99_999).unwrap();
        assert!(layout.file_count() >= 99_999, "{}", layout.file_count());
        check(&layout);
    }

    #[test]
    fn the_layout_is_a_single_process_plan() {
        // 1,000,000 rows of 2 KB in files of <= 256 MB: 8 files alone, 9 rounded for 3 shards.
        let req = split(Some(1_000_000), None, None, Some(256 << 20));
        let alone = plan(&req, 0, 2048.0, "parquet").unwrap();
        assert_eq!(alone.files.len(), 8);
        let layout = ShardLayout::new(&req, 2048.0, "parquet", 3).unwrap();
        assert_eq!(layout.file_count(), 9);
        assert_eq!(layout.plan.files[4].name, "data-00005-of-00009.parquet");
        let per = layout.plan.files[0].rows;
        let single = plan(
            &split(Some(1_000_000), Some(per), None, None),
            0,
            2048.0,
            "parquet",
        )
        .unwrap();
        assert_eq!(layout.plan, single);
        // A count that already divides is the single-process plan unchanged.
        let layout = ShardLayout::new(&req, 2048.0, "parquet", 4).unwrap();
        assert_eq!(layout.plan, alone);
        check(&layout);
    }

    #[test]
    fn the_issue_example_names_640_files() {
        let req = split(Some(1_000_000_000), None, Some(640), None);
        let layout = ShardLayout::new(&req, 3000.0, "parquet", 64).unwrap();
        assert_eq!(layout.file_range(7), 70..80);
        assert_eq!(
            layout.shard_plan(4).files[1].name,
            "data-00042-of-00640.parquet"
        );
        check(&layout);
    }

    #[test]
    fn fixed_file_counts_are_kept_and_must_cover_every_shard() {
        let layout =
            ShardLayout::new(&split(Some(1000), Some(100), None, None), 50.0, "json", 3).unwrap();
        assert_eq!(layout.file_count(), 10);
        let sizes: Vec<usize> = (0..3).map(|i| layout.file_range(i).len()).collect();
        assert_eq!(sizes, vec![3, 3, 4]);
        let err =
            ShardLayout::new(&split(Some(1000), None, Some(2), None), 50.0, "json", 3).unwrap_err();
        assert!(
            err.to_string().contains("3 shards need at least 3 files"),
            "{err}"
        );
    }

    #[test]
    fn file_ranges_tile_in_order() {
        for files in [1usize, 5, 64, 640, 1001] {
            for count in 1..=files.min(70) as u32 {
                let mut next = 0;
                for i in 0..count {
                    let r = file_range(files, count, i);
                    assert_eq!(r.start, next);
                    assert!(
                        r.len() == files / count as usize
                            || r.len() == files.div_ceil(count as usize)
                    );
                    next = r.end;
                }
                assert_eq!(next, files);
            }
        }
    }
}
