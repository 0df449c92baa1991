//! JSON objects: the `$meta` column, JSON fields with a declared `shape`, and the realistic
//! default object of JSON fields without one.
//!
//! Each key is an ordinary column generator (so every value control works inside JSON); a
//! chunk generates all key columns and then writes one object per row.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::StringBuilder;
use serde_json::{Value, json};

use crate::format::json_text::{JsonEncoder, push_json_string};
use crate::generate::column::{ChunkRequest, ColumnGenerator, GenContext};
use crate::generate::error::GenerateError;
use crate::schema::{DataType, Field};

use super::build_column;
use super::vocab::{SIZES, SOURCES};

struct Key {
    /// `"name":`, escaped once.
    prefix: String,
    column: Arc<dyn ColumnGenerator>,
    encoder: JsonEncoder,
    /// Leave the key out of the row (rather than write `null`) when the value is null.
    omit_null: bool,
}

pub struct ObjectColumn {
    keys: Vec<Key>,
}

impl ObjectColumn {
    /// One key per field, in order; `omit_null` per field as in [`Key::omit_null`].
    pub fn new(
        fields: &[(Field, bool)],
        path: &str,
        ctx: &GenContext,
    ) -> Result<ObjectColumn, GenerateError> {
        let mut keys = Vec::with_capacity(fields.len());
        for (field, omit_null) in fields {
            let mut prefix = String::new();
            push_json_string(&field.name, &mut prefix);
            prefix.push(':');
            keys.push(Key {
                prefix,
                column: build_column(field, &format!("{path}.{}", field.name), ctx)?,
                encoder: JsonEncoder::new(field),
                omit_null: *omit_null,
            });
        }
        Ok(ObjectColumn { keys })
    }
}

impl ColumnGenerator for ObjectColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let columns = self
            .keys
            .iter()
            .map(|k| k.column.generate(req))
            .collect::<Result<Vec<_>, _>>()?;
        let mut b = StringBuilder::with_capacity(req.rows, req.rows * 32 * self.keys.len().max(1));
        let mut text = String::new();
        for row in 0..req.rows {
            text.clear();
            text.push('{');
            let mut first = true;
            for (key, column) in self.keys.iter().zip(&columns) {
                if key.omit_null && column.is_null(row) {
                    continue;
                }
                if !first {
                    text.push(',');
                }
                first = false;
                text.push_str(&key.prefix);
                key.encoder.encode(column.as_ref(), row, &mut text);
            }
            text.push('}');
            b.append_value(&text);
        }
        Ok(Arc::new(b.finish()))
    }
}

/// The keys of a JSON field's `shape`, each spec parsed as a field named by its key.
pub fn shape_fields(field: &Field) -> Result<Vec<Field>, GenerateError> {
    let Some(shape) = &field.shape else {
        return Ok(Vec::new());
    };
    shape
        .iter()
        .map(|(key, spec)| {
            let mut f: Field = serde_json::from_value(spec.clone()).map_err(|e| {
                GenerateError::field(
                    &format!("{}.{key}", field.name),
                    format!("bad shape entry: {e}"),
                )
            })?;
            f.name = key.clone();
            Ok(f)
        })
        .collect()
}

fn spec(value: Value) -> Field {
    serde_json::from_value(value).expect("built-in default JSON keys are valid fields")
}

/// Keys of the default object of a JSON field without a shape: a mix of types, a nested
/// object and keys that only some rows carry, like real semi-structured metadata.
pub fn default_object_fields() -> Vec<(Field, bool)> {
    vec![
        (
            spec(
                json!({"name": "source", "type": "VarChar", "max_length": 16, "enum_values": SOURCES, "distribution": {"type": "zipf"}}),
            ),
            false,
        ),
        (
            spec(json!({"name": "score", "type": "Double", "min": 0.0, "max": 1.0})),
            false,
        ),
        (
            spec(
                json!({"name": "tags", "type": "Array", "element_type": "VarChar", "max_length": 24, "kind": "word", "min_capacity": 0, "max_capacity": 4}),
            ),
            false,
        ),
        (spec(json!({"name": "active", "type": "Bool"})), false),
        (
            spec(json!({"name": "priority", "type": "Int32", "min": 1, "max": 5})),
            false,
        ),
        (
            spec(
                json!({"name": "created_at", "type": "VarChar", "max_length": 32, "kind": "datetime"}),
            ),
            false,
        ),
        (
            spec(json!({
                "name": "attributes", "type": "JSON", "nullable": true, "null_ratio": 0.3,
                "shape": {
                    "color": {"type": "VarChar", "max_length": 16, "kind": "color"},
                    "size": {"type": "VarChar", "max_length": 4, "enum_values": SIZES},
                    "weight_kg": {"type": "Double", "min": 0.1, "max": 25.0}
                }
            })),
            true,
        ),
        (
            spec(
                json!({"name": "note", "type": "VarChar", "max_length": 120, "kind": "sentence", "nullable": true, "null_ratio": 0.5}),
            ),
            true,
        ),
        (
            spec(
                json!({"name": "version", "type": "Int64", "min": 1, "max": 20, "nullable": true, "null_ratio": 0.6}),
            ),
            true,
        ),
    ]
}

/// The generator of a JSON field: its shape's keys, or the default object.
pub fn json_column(
    field: &Field,
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    debug_assert_eq!(field.data_type, DataType::Json);
    let keys: Vec<(Field, bool)> = if field.shape.is_some() {
        shape_fields(field)?
            .into_iter()
            .map(|f| (f, false))
            .collect()
    } else {
        default_object_fields()
    };
    Ok(Arc::new(ObjectColumn::new(&keys, path, ctx)?))
}
