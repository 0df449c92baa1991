//! The per-shard manifest: `_shards/shard-00007-of-00064.json`, written by a shard after all its
//! files are complete. `dataset finalize` reads every one of them to check the dataset and to
//! write `meta.json`.
//!
//! Its [`DatasetIdentity`] is the same in every shard of one dataset (schema digest, seed,
//! total rows, file and shard counts, format); a manifest whose identity differs comes from
//! another dataset (or a re-run with other settings) and is refused, never mixed in.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::spec::ShardSpec;
use crate::format::meta::CollectionConfig;
use crate::schema::Schema;

/// Directory (key prefix) of the shard manifests under the dataset's location.
pub const SHARDS_DIR: &str = "_shards";
/// Version of the manifest layout; bumped on incompatible changes.
pub const MANIFEST_VERSION: u32 = 1;

/// `_shards/shard-00007-of-00064.json`.
pub fn manifest_name(index: u32, count: u32) -> String {
    format!("{SHARDS_DIR}/shard-{index:05}-of-{count:05}.json")
}

/// The shard a manifest name belongs to, or `None` for other names.
pub fn parse_manifest_name(name: &str) -> Option<ShardSpec> {
    let rest = name.strip_prefix(SHARDS_DIR)?.strip_prefix('/')?;
    let rest = rest.strip_prefix("shard-")?.strip_suffix(".json")?;
    let (i, n) = rest.split_once("-of-")?;
    ShardSpec::new(i.parse().ok()?, n.parse().ok()?, name).ok()
}

/// What every shard of one dataset agrees on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetIdentity {
    pub collection: String,
    /// SHA-256 of the schema as serialized into the manifest (hex).
    pub schema_sha256: String,
    pub seed: u64,
    pub total_rows: u64,
    pub file_count: usize,
    pub shard_count: u32,
    /// `parquet` or `json`.
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// Rows per row group (Parquet) or encoded block (JSON).
    pub segment_rows: u64,
}

/// One file a shard wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardFile {
    pub file_name: String,
    /// Dataset row index of the file's first row.
    pub first_row: u64,
    pub rows: u64,
    pub size: u64,
    /// SHA-256 of the file's bytes (hex).
    pub sha256: String,
    /// The S3 ETag of the bytes as uploaded in 16 MiB parts (see `storage::digest`).
    pub etag: String,
}

/// Everything one shard wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub version: u32,
    pub index: u32,
    pub dataset: DatasetIdentity,
    /// Files in row order.
    pub files: Vec<ShardFile>,
    pub rows: u64,
    pub bytes: u64,
    /// Seconds the shard spent generating and writing.
    pub seconds: f64,
    /// Unix seconds when the shard finished.
    pub finished_at: u64,
    pub generator: String,
    pub schema: Schema,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_config: Option<CollectionConfig>,
}

impl ShardManifest {
    pub fn spec(&self) -> ShardSpec {
        ShardSpec {
            index: self.index,
            count: self.dataset.shard_count,
        }
    }

    pub fn name(&self) -> String {
        manifest_name(self.index, self.dataset.shard_count)
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).expect("manifests serialise");
        text.push(b'\n');
        text
    }
}

/// SHA-256 (hex) of a schema's JSON form: equal schemas give equal digests.
pub fn schema_sha256(schema: &Schema) -> String {
    let bytes = serde_json::to_vec(schema).expect("schemas serialise");
    hex::encode(Sha256::digest(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(manifest_name(7, 64), "_shards/shard-00007-of-00064.json");
        assert_eq!(
            parse_manifest_name("_shards/shard-00007-of-00064.json"),
            Some(ShardSpec {
                index: 7,
                count: 64
            })
        );
        for other in [
            "_shards/shard-00064-of-00064.json",
            "_shards/.shard-00001-of-00002.json.tmp-9",
            "data-00001-of-00002.parquet",
            "_shards/shard-x-of-00002.json",
        ] {
            assert_eq!(parse_manifest_name(other), None, "{other}");
        }
    }

    #[test]
    fn schema_digest_follows_the_schema() {
        let a = crate::schema::load_builtin("simple").unwrap();
        let mut b = a.clone();
        assert_eq!(schema_sha256(&a), schema_sha256(&b));
        b.collection_name.push('x');
        assert_ne!(schema_sha256(&a), schema_sha256(&b));
    }
}
