//! The outcome of a backfill, for the table and `--output json`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

/// Every selected document is exactly one of: written, skipped, failed (or, in a dry run,
/// only selected).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BackfillSummary {
    pub collection_type: String,
    /// `mongodb://host/db.collection` (no credentials).
    pub source: String,
    /// The embeddings endpoint (`{url}/embeddings`); never the key.
    pub endpoint: String,
    /// `--model`: what is asked for and written to the model field.
    pub model: String,
    /// The model name the endpoint reported ("" when none or in a dry run).
    pub endpoint_model: String,
    pub dim: u32,
    pub dry_run: bool,
    /// Continued from a checkpoint (documents it had already handled).
    pub resumed_after: Option<u64>,
    pub selected: u64,
    /// `missing`, `empty`, `wrong_dim`, `other_model`.
    pub selected_by_reason: BTreeMap<String, u64>,
    /// Texts that got a checked vector.
    pub embedded: u64,
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Documents whose vector, model and updated_at were `$set` in MongoDB.
    pub written: u64,
    /// Rows upserted into Milvus (`--sync`).
    pub synced: u64,
    /// The Milvus name synced to (`--sync`).
    pub sync_collection: Option<String>,
    pub failed: u64,
    /// The first failure messages (at most 20).
    pub failures: Vec<String>,
    pub requests: u64,
    pub retries: u64,
    pub seconds: f64,
    pub texts_per_second: f64,
    pub checkpoint: Option<PathBuf>,
    /// Dry run: the selected documents as (`_id`, reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<(String, String)>,
}

impl BackfillSummary {
    pub fn skip(&mut self, reason: &str) {
        self.skipped += 1;
        let class: String = reason
            .split(|c: char| c.is_ascii_digit())
            .collect::<Vec<_>>()
            .join("N")
            .chars()
            .take(120)
            .collect();
        *self.skipped_by_reason.entry(class).or_default() += 1;
    }

    pub fn fail(&mut self, message: String) {
        self.failed += 1;
        if self.failures.len() < 20 {
            self.failures.push(message);
        }
    }
}
