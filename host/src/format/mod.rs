//! File formats: the Arrow layout of each field, Parquet and JSON writers, `meta.json`, and
//! the sinks files are written to.

pub mod arrow_types;
pub mod half_text;
pub mod json_rows;
pub mod json_text;
pub mod meta;
pub mod output_dir;
pub mod parquet;
mod parquet_dense;
pub mod sink;

pub use arrow_types::{META_COLUMN, arrow_field, arrow_schema, arrow_type};
pub use json_text::JsonEncoder;
pub use meta::{
    CollectionConfig, DataFile, DatasetMeta, GenerationInfo, META_FILE, read_meta, write_meta,
};
pub use sink::{LocalSink, NullSink, Sink, SinkFile};
