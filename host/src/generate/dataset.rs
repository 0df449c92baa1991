//! A dataset's row source: the column generators of a schema, producing record batches for
//! any row range.
//!
//! Ranges are cut on the chunk grid (`CHUNK_ROWS`), so the batches handed to writers and
//! validators are the same whatever the caller's batch size: that keeps encoded bytes identical.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use super::column::{BatchValidator, ChunkRequest, ColumnGenerator, GenContext};
use super::error::GenerateError;
use super::rng::CHUNK_ROWS;
use super::values::{build_column, build_object};
use crate::format::{META_COLUMN, arrow_schema};
use crate::schema::{Field, PluginRef, Schema};

/// Resolves `generator: {plugin: ...}` references (implemented by the plugin runtime).
pub trait GeneratorResolver: Sync {
    fn generator(
        &self,
        reference: &PluginRef,
        field: &Field,
        path: &str,
        ctx: &GenContext,
    ) -> Result<Arc<dyn ColumnGenerator>, GenerateError>;

    /// Validators named in the schema (per field and per collection).
    fn validators(&self, schema: &Schema) -> Result<Vec<Arc<dyn BatchValidator>>, GenerateError>;
}

struct Column {
    name: String,
    generator: Arc<dyn ColumnGenerator>,
}

/// The generators of every column of a data file.
pub struct RowSource {
    schema: SchemaRef,
    columns: Vec<Column>,
    validators: Vec<Arc<dyn BatchValidator>>,
}

impl RowSource {
    pub fn new(
        schema: &Schema,
        ctx: &GenContext,
        plugins: Option<&dyn GeneratorResolver>,
    ) -> Result<RowSource, GenerateError> {
        let mut columns = Vec::new();
        for field in schema.data_fields() {
            let generator = match (&field.generator, plugins) {
                (Some(reference), Some(resolver)) => {
                    resolver.generator(reference, field, &field.name, ctx)?
                }
                (Some(reference), None) => {
                    return Err(GenerateError::field(
                        &field.name,
                        format!(
                            "uses plugin `{}`, which is not loaded: pass it with --plugin PATH",
                            reference.plugin
                        ),
                    ));
                }
                (None, _) => build_column(field, &field.name, ctx)?,
            };
            columns.push(Column {
                name: field.name.clone(),
                generator,
            });
        }
        if schema.has_meta_column() {
            columns.push(Column {
                name: META_COLUMN.to_string(),
                generator: build_object(&schema.dynamic_fields, META_COLUMN, ctx)?,
            });
        }
        let validators = match plugins {
            Some(resolver) => resolver.validators(schema)?,
            None => {
                if let Some(f) = schema.fields.iter().find(|f| !f.validators.is_empty()) {
                    return Err(GenerateError::field(
                        &f.name,
                        format!(
                            "uses validator plugin `{}`, which is not loaded: pass it with --plugin PATH",
                            f.validators[0].plugin
                        ),
                    ));
                }
                if let Some(v) = schema.validators.first() {
                    return Err(GenerateError::Usage(format!(
                        "the schema uses validator plugin `{}`, which is not loaded: pass it with --plugin PATH",
                        v.plugin
                    )));
                }
                Vec::new()
            }
        };
        Ok(RowSource {
            schema: arrow_schema(schema),
            columns,
            validators,
        })
    }

    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.schema
    }

    pub fn validators(&self) -> &[Arc<dyn BatchValidator>] {
        &self.validators
    }

    /// The batches of rows `[start, end)`, one per chunk the range touches, in order.
    pub fn pieces(
        &self,
        start: u64,
        end: u64,
    ) -> impl Iterator<Item = Result<RecordBatch, GenerateError>> + '_ {
        let first_chunk = start / CHUNK_ROWS;
        let last_chunk = if end == start {
            first_chunk
        } else {
            (end - 1) / CHUNK_ROWS + 1
        };
        (first_chunk..last_chunk).map(move |chunk| {
            let chunk_start = chunk * CHUNK_ROWS;
            let from = start.max(chunk_start);
            let to = end.min(chunk_start + CHUNK_ROWS);
            self.piece(chunk, from, to)
        })
    }

    /// Rows `[from, to)` of one chunk.
    fn piece(&self, chunk: u64, from: u64, to: u64) -> Result<RecordBatch, GenerateError> {
        let chunk_start = chunk * CHUNK_ROWS;
        let req = ChunkRequest {
            chunk_index: chunk,
            first_row: chunk_start,
            rows: (to - chunk_start) as usize,
        };
        let offset = (from - chunk_start) as usize;
        let len = (to - from) as usize;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for (column, field) in self.columns.iter().zip(self.schema.fields()) {
            let array = column.generator.generate(&req)?;
            if array.len() != req.rows {
                return Err(GenerateError::field(
                    &column.name,
                    format!(
                        "generator returned {} rows for a chunk of {}",
                        array.len(),
                        req.rows
                    ),
                ));
            }
            if array.data_type() != field.data_type() {
                return Err(GenerateError::field(
                    &column.name,
                    format!(
                        "generator returned {} where the file column is {}",
                        array.data_type(),
                        field.data_type()
                    ),
                ));
            }
            arrays.push(if offset == 0 && len == array.len() {
                array
            } else {
                array.slice(offset, len)
            });
        }
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| GenerateError::Invalid(format!("assembling rows {from}..{to}: {e}")))
    }

    /// Rows `[start, end)` as one batch (for previews and samples).
    pub fn batch(&self, start: u64, end: u64) -> Result<RecordBatch, GenerateError> {
        let pieces: Vec<RecordBatch> = self.pieces(start, end).collect::<Result<_, _>>()?;
        arrow_select::concat::concat_batches(&self.schema, &pieces)
            .map_err(|e| GenerateError::Invalid(format!("assembling rows {start}..{end}: {e}")))
    }
}
