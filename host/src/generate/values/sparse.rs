//! Sparse float vectors as Milvus bulk import reads them: JSON text `{"index": value, ...}` with
//! indices sorted, about `density * dim` non-zero entries per row, never an empty row.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};
use rand::Rng;

use crate::generate::rng::Purpose;
use crate::generate::{ChunkRequest, ColumnGenerator, GenContext, GenerateError, chunk_rng};
use crate::schema::Field;

/// Index space when the schema gives no `dim`: the size of a typical BM25 vocabulary.
const DEFAULT_INDEX_SPACE: u32 = 30_000;
const DEFAULT_DENSITY: f64 = 0.01;

pub(crate) struct SparseColumn {
    ctx: GenContext,
    path: String,
    dim: usize,
    /// Non-zero entries per row are drawn uniformly from this range.
    nnz: (usize, usize),
}

impl SparseColumn {
    pub(crate) fn new(ctx: &GenContext, field: &Field) -> Result<SparseColumn, GenerateError> {
        let dim = field.dim.unwrap_or(DEFAULT_INDEX_SPACE).max(1) as usize;
        let density = field.density.unwrap_or(DEFAULT_DENSITY);
        let mean = ((dim as f64 * density).round() as usize).clamp(1, dim);
        let nnz = ((mean / 2).max(1), (mean + mean / 2).min(dim));
        Ok(SparseColumn {
            ctx: ctx.clone(),
            path: field.name.clone(),
            dim,
            nnz,
        })
    }
}

impl ColumnGenerator for SparseColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = chunk_rng(&self.ctx, &self.path, Purpose::Values, req);
        let mut text = String::new();
        let mut rows = Vec::with_capacity(req.rows);
        let mut indices: Vec<u32> = Vec::with_capacity(self.nnz.1);
        for _ in 0..req.rows {
            let k = rng.random_range(self.nnz.0..=self.nnz.1);
            // Draw with replacement and drop repeats: far cheaper than exact sampling, and at
            // sparse densities the count loses under 1% to collisions.
            indices.clear();
            indices.extend((0..k).map(|_| rng.random_range(0..self.dim as u32)));
            indices.sort_unstable();
            indices.dedup();
            text.clear();
            text.push('{');
            for (i, index) in indices.iter().enumerate() {
                // Weights in (0, 1] with 4 decimals, written as integers: shortest-float
                // formatting was most of this column's cost.
                let weight = rng.random_range(1..=10_000u32);
                let sep = if i == 0 { "" } else { "," };
                if weight == 10_000 {
                    let _ = write!(text, "{sep}\"{index}\":1");
                } else {
                    let _ = write!(text, "{sep}\"{index}\":0.{weight:04}");
                }
            }
            text.push('}');
            rows.push(text.clone());
        }
        Ok(Arc::new(StringArray::from(rows)))
    }
}
