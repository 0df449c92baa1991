//! File formats: the Arrow layout of each field, Parquet and JSON writers, `meta.json`.

pub mod arrow_types;

pub use arrow_types::{META_COLUMN, arrow_field, arrow_schema, arrow_type};
