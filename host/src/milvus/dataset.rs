//! A generated dataset on local disk, as insert and verify read it: `meta.json` for the schema
//! and the files in row order, and streaming readers over row ranges of each file.
//!
//! Parquet files are read with `ParquetRecordBatchReader` and a row selection, so a range (or a
//! handful of sampled rows) costs the row groups it touches, never the whole file.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};

use super::convert::check_file_schema;
use super::error::{MilvusError, Result};
use crate::format::{DatasetMeta, META_FILE};
use crate::schema::Schema;

pub struct Dataset {
    pub dir: PathBuf,
    pub meta: DatasetMeta,
}

impl Dataset {
    /// Reads `DIR/meta.json`.
    pub fn open(dir: &Path) -> Result<Dataset> {
        let path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| MilvusError::Data {
            path: path.clone(),
            reason: format!("cannot read the dataset description ({e}); is this a directory written by `generate`?"),
        })?;
        let meta: DatasetMeta = serde_json::from_str(&text).map_err(|e| MilvusError::Data {
            path: path.clone(),
            reason: format!("not a valid meta.json: {e}"),
        })?;
        Ok(Dataset {
            dir: dir.to_path_buf(),
            meta,
        })
    }

    pub fn schema(&self) -> &Schema {
        &self.meta.schema
    }

    pub fn total_rows(&self) -> u64 {
        self.meta
            .generation_info
            .data_files
            .iter()
            .map(|f| f.rows)
            .sum()
    }

    pub fn file_count(&self) -> usize {
        self.meta.generation_info.data_files.len()
    }

    pub fn file_rows(&self, index: usize) -> u64 {
        self.meta.generation_info.data_files[index].rows
    }

    pub fn path(&self, index: usize) -> PathBuf {
        self.dir
            .join(&self.meta.generation_info.data_files[index].file_name)
    }

    fn is_parquet(&self) -> bool {
        self.meta
            .generation_info
            .format
            .eq_ignore_ascii_case("parquet")
    }

    /// Checks every file before anything is sent: it exists, its columns match the schema and
    /// its row count matches meta.json.
    pub fn check_files(&self) -> Result<()> {
        if !self.is_parquet() {
            if !self
                .meta
                .generation_info
                .format
                .eq_ignore_ascii_case("json")
            {
                return Err(MilvusError::Usage(format!(
                    "{}: unknown format `{}`; expected parquet or json",
                    self.dir.join(META_FILE).display(),
                    self.meta.generation_info.format
                )));
            }
            // JSON rows are checked against the schema as they are parsed.
            for i in 0..self.file_count() {
                let path = self.path(i);
                std::fs::metadata(&path).map_err(|e| MilvusError::io(&path, e))?;
            }
            return Ok(());
        }
        for i in 0..self.file_count() {
            let path = self.path(i);
            let builder = self.builder(&path)?;
            check_file_schema(&path, builder.schema(), self.schema())?;
            let rows = builder.metadata().file_metadata().num_rows() as u64;
            if rows != self.file_rows(i) {
                return Err(MilvusError::Data {
                    path,
                    reason: format!("holds {rows} rows, meta.json says {}", self.file_rows(i)),
                });
            }
        }
        Ok(())
    }

    fn builder(&self, path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
        let file = File::open(path).map_err(|e| MilvusError::io(path, e))?;
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| MilvusError::Data {
            path: path.to_path_buf(),
            reason: format!("not a readable Parquet file: {e}"),
        })
    }

    /// Batches of at most `batch_size` rows covering rows `[start, end)` of file `index`.
    pub fn read_range(
        &self,
        index: usize,
        start: u64,
        end: u64,
        batch_size: usize,
    ) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>>>> {
        let path = self.path(index);
        if !self.is_parquet() {
            let batches =
                super::json_reader::read_range(&path, self.schema(), start, end, batch_size)?;
            return Ok(Box::new(batches));
        }
        let selection = RowSelection::from(vec![
            RowSelector::skip(start as usize),
            RowSelector::select((end - start) as usize),
        ]);
        let reader = self
            .builder(&path)?
            .with_batch_size(batch_size)
            .with_row_selection(selection)
            .build()
            .map_err(|e| MilvusError::Data {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        Ok(Box::new(reader.map(move |b| {
            b.map_err(|e| MilvusError::Data {
                path: path.clone(),
                reason: format!("reading: {e}"),
            })
        })))
    }

    /// The rows at `rows` (sorted, file-relative) of file `index`, in that order, as one batch.
    pub fn read_rows(&self, index: usize, rows: &[u64]) -> Result<Option<RecordBatch>> {
        if !self.is_parquet() {
            return self.read_json_rows(index, rows);
        }
        let mut selectors = Vec::new();
        let mut at = 0u64;
        for &r in rows {
            if r > at {
                selectors.push(RowSelector::skip((r - at) as usize));
            }
            selectors.push(RowSelector::select(1));
            at = r + 1;
        }
        let path = self.path(index);
        let reader = self
            .builder(&path)?
            .with_batch_size(rows.len().max(1))
            .with_row_selection(RowSelection::from(selectors))
            .build()
            .map_err(|e| MilvusError::Data {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let batches: Vec<RecordBatch> =
            reader
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| MilvusError::Data {
                    path: path.clone(),
                    reason: format!("reading: {e}"),
                })?;
        if batches.is_empty() {
            return Ok(None);
        }
        let schema = batches[0].schema();
        arrow_select::concat::concat_batches(&schema, &batches)
            .map(Some)
            .map_err(|e| MilvusError::Data {
                path,
                reason: e.to_string(),
            })
    }

    fn read_json_rows(&self, index: usize, rows: &[u64]) -> Result<Option<RecordBatch>> {
        let (Some(&first), Some(&last)) = (rows.first(), rows.last()) else {
            return Ok(None);
        };
        let path = self.path(index);
        let data = |e: arrow_schema::ArrowError| MilvusError::Data {
            path: path.clone(),
            reason: e.to_string(),
        };
        let mut picked = Vec::new();
        let mut at = first;
        for batch in self.read_range(index, first, last + 1, 4096)? {
            let batch = batch?;
            let end = at + batch.num_rows() as u64;
            let take: Vec<u32> = rows
                .iter()
                .filter(|r| **r >= at && **r < end)
                .map(|r| (*r - at) as u32)
                .collect();
            let indices = arrow_array::UInt32Array::from(take);
            picked.push(arrow_select::take::take_record_batch(&batch, &indices).map_err(data)?);
            at = end;
        }
        if picked.is_empty() {
            return Ok(None);
        }
        let schema = picked[0].schema();
        arrow_select::concat::concat_batches(&schema, &picked)
            .map(Some)
            .map_err(data)
    }
}
