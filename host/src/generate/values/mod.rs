//! Native value generators, one file per kind of value.
//!
//! The engine calls only [`build_column`] and [`build_object`]; everything else here is the
//! machinery behind them. Every generator is immutable after build: per-field setup (pools,
//! cluster centres) is drawn once from `Purpose::Setup`, per-chunk values from the chunk's
//! streams, row by row, so a prefix of a chunk equals the same rows of the whole chunk.

mod columns;
mod fastrng;
mod fit;
mod mask;
mod numeric;
mod object;
mod pk;
mod scalar;
mod sparse;
mod text;
mod vector;
mod vocab;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::schema::{DataType, Field};

use super::column::{ColumnGenerator, GenContext};
use super::error::GenerateError;

pub use fastrng::FastRng;
pub use numeric::guess_range;
pub use sparse::{DEFAULT_DENSITY, DEFAULT_SPARSE_DIM};

/// The complete column generator for a field: values, uniqueness for primary keys, enum_values,
/// cardinality_ratio, nulls (nullable fields, `null_ratio`, own stream Purpose::Nulls) and
/// defaults (`default_ratio` rows hold `default_value`, own stream Purpose::Defaults).
/// `path` is the field's stream name: its name for collection fields, "$meta.NAME" for dynamic
/// fields, "PARENT.KEY" for JSON shape keys. Output arrays have type crate::format::arrow_type(field).
pub fn build_column(
    field: &Field,
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    if field.is_primary {
        return pk::build_keys(field, path, ctx);
    }
    let values: Arc<dyn ColumnGenerator> = match field.data_type {
        DataType::Array => Arc::new(columns::ArrayColumn::new(field, path, ctx)?),
        DataType::Json => object::json_column(field, path, ctx)?,
        DataType::SparseFloatVector => Arc::new(sparse::SparseVectors::new(field, path, ctx)?),
        t if t.is_dense_vector() => Arc::new(vector::DenseVectors::new(field, path, ctx)?),
        _ => Arc::new(columns::ScalarColumn::new(field, path, ctx)?),
    };
    mask::Masked::wrap(values, field, path, ctx)
}

/// A Utf8 column of JSON objects, one key per field (used for the `$meta` column from
/// schema.dynamic_fields, and for JSON fields with a `shape`). Null values of nullable keys are
/// written as JSON null.
pub fn build_object(
    fields: &[Field],
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    let keys: Vec<(Field, bool)> = fields.iter().map(|f| (f.clone(), false)).collect();
    Ok(Arc::new(object::ObjectColumn::new(&keys, path, ctx)?))
}
