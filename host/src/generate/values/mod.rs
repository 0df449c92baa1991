//! Native value generators, one file per kind of value.
//!
//! The engine calls only [`build_column`] and [`build_object`]; everything else here is the
//! machinery behind them. Every generator is immutable after build: per-field setup (pools,
//! cluster centres) is drawn once from `Purpose::Setup`, per-chunk values from the chunk's
//! streams, row by row, so a prefix of a chunk equals the same rows of the whole chunk.

use std::sync::Arc;

use crate::schema::Field;

use super::column::{ColumnGenerator, GenContext};
use super::error::GenerateError;

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
    let _ = (path, ctx);
    Err(GenerateError::field(&field.name, "generator not written yet"))
}

/// A Utf8 column of JSON objects, one key per field (used for the `$meta` column from
/// schema.dynamic_fields, and for JSON fields with a `shape`). Null values of nullable keys are
/// written as JSON null.
pub fn build_object(
    fields: &[Field],
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    let _ = (fields, ctx);
    Err(GenerateError::field(path, "generator not written yet"))
}
