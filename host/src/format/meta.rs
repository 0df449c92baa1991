//! `meta.json`: the description of a generated dataset, compatible with the predecessor tool.
//!
//! Readers (insert, import, verify) take the schema and the file list from here; the file list
//! is in row order, so concatenating the files gives the dataset.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::schema::Schema;

pub const META_FILE: &str = "meta.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DatasetMeta {
    pub schema: Schema,
    pub generation_info: GenerationInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_config: Option<CollectionConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GenerationInfo {
    pub total_rows: u64,
    /// `parquet` or `json`.
    pub format: String,
    pub seed: u64,
    pub data_files: Vec<DataFile>,
    pub file_count: usize,
    /// First dataset row in these files (non-zero for a shard produced with `--start-row`).
    #[serde(default)]
    pub start_row: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// Seconds spent generating and writing.
    #[serde(default)]
    pub generation_time: f64,
    #[serde(default)]
    pub rows_per_second: f64,
    #[serde(default)]
    pub total_size_bytes: u64,
    #[serde(default)]
    pub generator: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataFile {
    pub file_name: String,
    pub rows: u64,
    pub file_size_bytes: u64,
    /// Dataset row index of the file's first row.
    #[serde(default)]
    pub first_row: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CollectionConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_partitions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_shards: Option<u32>,
}

/// Writes `meta.json` into `sink` (atomically: it appears complete or not at all).
pub fn write_meta(sink: &dyn super::sink::Sink, meta: &DatasetMeta) -> std::io::Result<u64> {
    let mut file = sink.create(META_FILE)?;
    let text = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
    file.write_all(&text)?;
    file.write_all(b"\n")?;
    file.commit()
}

/// Reads `meta.json` from a dataset directory.
pub fn read_meta(dir: &std::path::Path) -> Result<DatasetMeta, String> {
    let path = dir.join(META_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a valid meta.json: {e}", path.display()))
}
