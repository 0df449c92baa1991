//! The contract between the engine and whatever produces a column (native or plugin).

use arrow_array::{ArrayRef, RecordBatch};
use rand_chacha::ChaCha8Rng;

use super::error::GenerateError;
use super::rng::{Purpose, stream};

/// Dataset-wide facts a generator may depend on.
#[derive(Debug, Clone)]
pub struct GenContext {
    pub seed: u64,
    /// Rows in the whole dataset (not this run's share): value pools are sized from it.
    pub total_rows: u64,
}

/// One chunk of rows to produce: rows `first_row .. first_row + rows` of the dataset, where
/// `first_row == chunk_index * CHUNK_ROWS`. `rows` is `CHUNK_ROWS` except at the end of the
/// dataset or when the caller needs only a prefix; a generator must produce the same first rows
/// whatever `rows` is (draw row by row, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRequest {
    pub chunk_index: u64,
    pub first_row: u64,
    pub rows: usize,
}

/// Produces one column, chunk by chunk.
///
/// Implementations hold no mutable state: the engine calls them from several threads, in any
/// order, and expects the same array for the same chunk every time.
pub trait ColumnGenerator: Send + Sync {
    /// The column's values for `req`. The returned array has exactly `req.rows` rows and the
    /// Arrow type of `format::arrow_type` for the field.
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError>;
}

/// The random stream of `field_path` for `purpose` in the chunk of `req`.
pub fn chunk_rng(
    ctx: &GenContext,
    field_path: &str,
    purpose: Purpose,
    req: &ChunkRequest,
) -> ChaCha8Rng {
    stream(ctx.seed, field_path, purpose, req.chunk_index)
}

/// One rule a generated row broke, as reported by a validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dataset row index.
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// Checks generated batches before they are written (plugin validators implement this).
pub trait BatchValidator: Send + Sync {
    /// Names the validator in reports, e.g. `vector-check/norm`.
    fn name(&self) -> &str;
    /// Violations in `batch`, whose first row is dataset row `first_row`. An `Err` is a failure
    /// of the validator itself (trap, timeout), not of the data.
    fn validate(
        &self,
        batch: &RecordBatch,
        first_row: u64,
    ) -> Result<Vec<Violation>, GenerateError>;
}
