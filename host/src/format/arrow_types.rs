//! The Arrow (and so Parquet) type of every Milvus field, exactly as Milvus bulk import reads
//! them (see milvus-reference.md): lists not fixed-size lists, `Utf8` not `LargeUtf8`, half
//! floats as bytes, sparse vectors and JSON as JSON text, dynamic keys in a `$meta` column.

use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema, SchemaRef};

use crate::schema::{DataType, Field, Schema};

/// Name of the column that carries dynamic fields as one JSON object per row.
pub const META_COLUMN: &str = "$meta";

fn list_of(item: ArrowType) -> ArrowType {
    // pyarrow (and so pymilvus' BulkWriter) names the child `item` and makes it nullable.
    ArrowType::List(Arc::new(ArrowField::new("item", item, true)))
}

fn scalar_type(t: DataType) -> ArrowType {
    match t {
        DataType::Bool => ArrowType::Boolean,
        DataType::Int8 => ArrowType::Int8,
        DataType::Int16 => ArrowType::Int16,
        DataType::Int32 => ArrowType::Int32,
        DataType::Int64 => ArrowType::Int64,
        DataType::Float => ArrowType::Float32,
        DataType::Double => ArrowType::Float64,
        _ => ArrowType::Utf8,
    }
}

/// The Arrow type of a field's column.
pub fn arrow_type(field: &Field) -> ArrowType {
    match field.data_type {
        DataType::Array => list_of(scalar_type(field.value_type())),
        DataType::FloatVector => list_of(ArrowType::Float32),
        DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector => {
            list_of(ArrowType::UInt8)
        }
        DataType::Int8Vector => list_of(ArrowType::Int8),
        DataType::Json | DataType::SparseFloatVector | DataType::VarChar => ArrowType::Utf8,
        t => scalar_type(t),
    }
}

pub fn arrow_field(field: &Field) -> ArrowField {
    ArrowField::new(&field.name, arrow_type(field), field.nullable)
}

/// The columns of a data file: every generated field in schema order, then `$meta`.
pub fn arrow_schema(schema: &Schema) -> SchemaRef {
    let mut fields: Vec<ArrowField> = schema.data_fields().into_iter().map(arrow_field).collect();
    if schema.has_meta_column() {
        fields.push(ArrowField::new(META_COLUMN, ArrowType::Utf8, false));
    }
    Arc::new(ArrowSchema::new(fields))
}
