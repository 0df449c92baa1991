//! Arrow columns straight to Milvus `FieldData`, column by column, in the wire encodings of
//! milvus-reference.md. No per-row objects: each column becomes one flat buffer (strings and
//! per-row byte strings are the only per-value allocations, as the proto demands).
//!
//! Nulls travel in `valid_data` with only the non-null values in the data array (Milvus 2.5+).

use std::path::Path;

use ::milvus::proto::schema::{
    ArrayArray, BoolArray, DoubleArray, FieldData, FloatArray, IntArray, JsonArray, LongArray,
    ScalarField, SparseFloatArray, StringArray as PStringArray, VectorField, field_data,
    scalar_field, vector_field,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, GenericListArray, RecordBatch};
use arrow_schema::{DataType as ArrowType, Schema as ArrowSchema};

use super::ddl::proto_type;
use super::error::{MilvusError, Result};
use crate::format::{META_COLUMN, arrow_type};
use crate::schema::{DataType, Field, Schema};

/// Checks a data file's columns against the schema before anything is sent: every column is a
/// data field (or `$meta`) of the expected Arrow type, and every non-nullable field is present.
pub fn check_file_schema(path: &Path, file: &ArrowSchema, schema: &Schema) -> Result<()> {
    let fields = schema.data_fields();
    for column in file.fields() {
        let name = column.name();
        if name == META_COLUMN {
            if !schema.enable_dynamic_field {
                return Err(col_err(
                    path,
                    name,
                    "the schema does not enable the dynamic field",
                ));
            }
            if column.data_type() != &ArrowType::Utf8 {
                return Err(col_err(
                    path,
                    name,
                    &format!("expected Utf8 JSON objects, found {}", column.data_type()),
                ));
            }
            continue;
        }
        let Some(field) = fields.iter().find(|f| f.name == *name) else {
            let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            return Err(col_err(
                path,
                name,
                &format!(
                    "not a field of schema `{}` (data fields: {})",
                    schema.collection_name,
                    known.join(", ")
                ),
            ));
        };
        let want = arrow_type(field);
        if !same_shape(&want, column.data_type()) {
            return Err(col_err(
                path,
                name,
                &format!(
                    "{} field needs Arrow type {want}, found {}",
                    field.data_type,
                    column.data_type()
                ),
            ));
        }
    }
    for field in fields {
        let present = file.fields().iter().any(|c| c.name() == &field.name);
        if !present && !field.nullable && field.default_value.is_none() {
            return Err(col_err(
                path,
                &field.name,
                "column missing (the field is neither nullable nor defaulted)",
            ));
        }
    }
    Ok(())
}

/// Type equality that ignores list child names and nullability (pyarrow says `item`, others
/// `element`).
fn same_shape(want: &ArrowType, have: &ArrowType) -> bool {
    match (want, have) {
        (ArrowType::List(a), ArrowType::List(b)) => same_shape(a.data_type(), b.data_type()),
        (a, b) => a == b,
    }
}

fn col_err(path: &Path, column: &str, reason: &str) -> MilvusError {
    MilvusError::Column {
        path: path.to_path_buf(),
        column: column.to_string(),
        reason: reason.to_string(),
    }
}

/// Converts one batch (already checked with [`check_file_schema`]) to the fields of an insert.
pub fn batch_to_fields(
    path: &Path,
    batch: &RecordBatch,
    schema: &Schema,
) -> Result<Vec<FieldData>> {
    let mut out = Vec::new();
    for field in schema.data_fields() {
        let Some(column) = batch.column_by_name(&field.name) else {
            continue;
        };
        out.push(
            column_to_field(field, column).map_err(|reason| col_err(path, &field.name, &reason))?,
        );
    }
    if let Some(meta) = batch.column_by_name(META_COLUMN) {
        let mut data = json_column(meta).map_err(|r| col_err(path, META_COLUMN, &r))?;
        data.field_name = META_COLUMN.to_string();
        data.is_dynamic = true;
        out.push(data);
    }
    Ok(out)
}

/// Null mask as `valid_data` (empty when the column has no nulls and is not nullable).
fn validity(field: &Field, column: &dyn Array) -> Vec<bool> {
    if !(field.nullable || field.default_value.is_some()) {
        return Vec::new();
    }
    (0..column.len()).map(|i| column.is_valid(i)).collect()
}

fn scalar(field: &Field, data: scalar_field::Data, valid: Vec<bool>) -> FieldData {
    FieldData {
        r#type: proto_type(field.data_type) as i32,
        field_name: field.name.clone(),
        field: Some(field_data::Field::Scalars(ScalarField { data: Some(data) })),
        valid_data: valid,
        ..Default::default()
    }
}

/// The `FieldData` of a FloatVector column: `data` holds the rows' components one row after
/// another (`dim` per row).
pub fn float_vector_field(field: &Field, data: Vec<f32>) -> FieldData {
    vector(
        field,
        i64::from(field.dim.unwrap_or(0)),
        vector_field::Data::FloatVector(FloatArray { data }),
    )
}

fn vector(field: &Field, dim: i64, data: vector_field::Data) -> FieldData {
    FieldData {
        r#type: proto_type(field.data_type) as i32,
        field_name: field.name.clone(),
        field: Some(field_data::Field::Vectors(VectorField {
            dim,
            data: Some(data),
        })),
        ..Default::default()
    }
}

macro_rules! non_null {
    ($arr:expr) => {
        $arr.iter().flatten()
    };
}

pub(crate) fn column_to_field(
    field: &Field,
    column: &ArrayRef,
) -> std::result::Result<FieldData, String> {
    use scalar_field::Data as S;
    let valid = validity(field, column.as_ref());
    let wrong = || format!("unexpected Arrow type {}", column.data_type());
    let data = match field.data_type {
        DataType::Bool => {
            let a = column.as_boolean_opt().ok_or_else(wrong)?;
            S::BoolData(BoolArray {
                data: non_null!(a).collect(),
            })
        }
        DataType::Int8 => {
            let a = column.as_primitive_opt::<Int8Type>().ok_or_else(wrong)?;
            S::IntData(IntArray {
                data: non_null!(a).map(i32::from).collect(),
            })
        }
        DataType::Int16 => {
            let a = column.as_primitive_opt::<Int16Type>().ok_or_else(wrong)?;
            S::IntData(IntArray {
                data: non_null!(a).map(i32::from).collect(),
            })
        }
        DataType::Int32 => {
            let a = column.as_primitive_opt::<Int32Type>().ok_or_else(wrong)?;
            S::IntData(IntArray {
                data: non_null!(a).collect(),
            })
        }
        DataType::Int64 => {
            let a = column.as_primitive_opt::<Int64Type>().ok_or_else(wrong)?;
            S::LongData(LongArray {
                data: non_null!(a).collect(),
            })
        }
        DataType::Float => {
            let a = column.as_primitive_opt::<Float32Type>().ok_or_else(wrong)?;
            S::FloatData(FloatArray {
                data: non_null!(a).collect(),
            })
        }
        DataType::Double => {
            let a = column.as_primitive_opt::<Float64Type>().ok_or_else(wrong)?;
            S::DoubleData(DoubleArray {
                data: non_null!(a).collect(),
            })
        }
        DataType::VarChar => {
            let a = column.as_string_opt::<i32>().ok_or_else(wrong)?;
            let limit = field.max_length.unwrap_or(65535) as usize;
            let mut data = Vec::with_capacity(a.len());
            for (i, s) in a.iter().enumerate() {
                if let Some(s) = s {
                    if s.len() > limit {
                        return Err(format!(
                            "row {i}: {} UTF-8 bytes exceed max_length {limit}",
                            s.len()
                        ));
                    }
                    data.push(s.to_string());
                }
            }
            S::StringData(PStringArray { data })
        }
        DataType::Json => {
            let mut fd = json_column(column)?;
            fd.field_name = field.name.clone();
            fd.valid_data = valid;
            return Ok(fd);
        }
        DataType::Array => {
            let list = column.as_list_opt::<i32>().ok_or_else(wrong)?;
            let element = field.value_type();
            let mut rows = Vec::with_capacity(list.len());
            for i in 0..list.len() {
                if list.is_null(i) {
                    continue;
                }
                let sub = Field {
                    data_type: element,
                    max_length: field.max_length,
                    ..Field::default()
                };
                let converted =
                    column_to_field(&sub, &list.value(i)).map_err(|e| format!("row {i}: {e}"))?;
                if let Some(cap) = field.max_capacity
                    && list.value_length(i) as u32 > cap
                {
                    return Err(format!(
                        "row {i}: {} elements exceed max_capacity {cap}",
                        list.value_length(i)
                    ));
                }
                match converted.field {
                    Some(field_data::Field::Scalars(s)) => rows.push(s),
                    _ => return Err(format!("row {i}: array elements are not scalars")),
                }
            }
            S::ArrayData(ArrayArray {
                data: rows,
                element_type: proto_type(element) as i32,
            })
        }
        DataType::FloatVector => {
            let dim = field.dim.unwrap_or(0) as usize;
            let list = column.as_list_opt::<i32>().ok_or_else(wrong)?;
            let values = list
                .values()
                .as_primitive_opt::<Float32Type>()
                .ok_or_else(wrong)?;
            let range = dense_range(list, dim)?;
            let data = values.values()[range].to_vec();
            return Ok(vector(
                field,
                dim as i64,
                vector_field::Data::FloatVector(FloatArray { data }),
            ));
        }
        DataType::BinaryVector
        | DataType::Float16Vector
        | DataType::BFloat16Vector
        | DataType::Int8Vector => {
            let dim = field.dim.unwrap_or(0) as usize;
            let width = match field.data_type {
                DataType::BinaryVector => dim / 8,
                DataType::Int8Vector => dim,
                _ => dim * 2,
            };
            let list = column.as_list_opt::<i32>().ok_or_else(wrong)?;
            let bytes = if field.data_type == DataType::Int8Vector {
                let v = list
                    .values()
                    .as_primitive_opt::<Int8Type>()
                    .ok_or_else(wrong)?;
                v.values()[dense_range(list, width)?]
                    .iter()
                    .map(|b| *b as u8)
                    .collect()
            } else {
                let v = list
                    .values()
                    .as_primitive_opt::<UInt8Type>()
                    .ok_or_else(wrong)?;
                v.values()[dense_range(list, width)?].to_vec()
            };
            let data = match field.data_type {
                DataType::BinaryVector => vector_field::Data::BinaryVector(bytes),
                DataType::Float16Vector => vector_field::Data::Float16Vector(bytes),
                DataType::BFloat16Vector => vector_field::Data::Bfloat16Vector(bytes),
                _ => vector_field::Data::Int8Vector(bytes),
            };
            return Ok(vector(field, dim as i64, data));
        }
        DataType::SparseFloatVector => {
            let a = column.as_string_opt::<i32>().ok_or_else(wrong)?;
            let mut contents = Vec::with_capacity(a.len());
            let mut dim = 0u64;
            for (i, text) in a.iter().enumerate() {
                let text = text.ok_or_else(|| format!("row {i}: null sparse vector"))?;
                let (row, row_dim) = encode_sparse(text).map_err(|e| format!("row {i}: {e}"))?;
                dim = dim.max(row_dim);
                contents.push(row);
            }
            let data = vector_field::Data::SparseFloatVector(SparseFloatArray {
                contents,
                dim: dim as i64,
            });
            return Ok(vector(field, dim as i64, data));
        }
    };
    Ok(scalar(field, data, valid))
}

/// The value range of a list column of fixed-width rows, checking every row's width.
fn dense_range<T: arrow_array::OffsetSizeTrait>(
    list: &GenericListArray<T>,
    width: usize,
) -> std::result::Result<std::ops::Range<usize>, String> {
    if list.null_count() > 0 {
        return Err("vectors cannot be null".to_string());
    }
    let offsets = list.value_offsets();
    for (i, w) in offsets.windows(2).enumerate() {
        let len = (w[1] - w[0]).as_usize();
        if len != width {
            return Err(format!(
                "row {i}: vector has {len} values, the field needs {width}"
            ));
        }
    }
    Ok(offsets[0].as_usize()..offsets[offsets.len() - 1].as_usize())
}

/// JSON text column (JSON fields and `$meta`) as `json_data`, checking each value parses.
fn json_column(column: &ArrayRef) -> std::result::Result<FieldData, String> {
    let a = column
        .as_string_opt::<i32>()
        .ok_or_else(|| format!("expected Utf8 JSON text, found {}", column.data_type()))?;
    let mut data = Vec::with_capacity(a.len());
    for (i, text) in a.iter().enumerate() {
        if let Some(text) = text {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| format!("row {i}: invalid JSON: {e}"))?;
            data.push(text.as_bytes().to_vec());
        }
    }
    Ok(FieldData {
        r#type: proto_type(DataType::Json) as i32,
        field: Some(field_data::Field::Scalars(ScalarField {
            data: Some(scalar_field::Data::JsonData(JsonArray { data })),
        })),
        ..Default::default()
    })
}

/// `{"<index>": value, ...}` (or `{"indices": [...], "values": [...]}`) to (u32 LE, f32 LE)
/// pairs sorted by index; returns the bytes and max index + 1.
pub fn encode_sparse(text: &str) -> std::result::Result<(Vec<u8>, u64), String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid sparse vector JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or("a sparse vector must be a JSON object")?;
    let mut pairs: Vec<(u32, f32)> = Vec::with_capacity(obj.len());
    if let (Some(idx), Some(vals)) = (obj.get("indices"), obj.get("values")) {
        let (idx, vals) = (
            idx.as_array().ok_or("indices must be a list")?,
            vals.as_array().ok_or("values must be a list")?,
        );
        if idx.len() != vals.len() {
            return Err("indices and values differ in length".to_string());
        }
        for (i, v) in idx.iter().zip(vals) {
            let i = i
                .as_u64()
                .filter(|i| *i < u32::MAX as u64)
                .ok_or("index is not a u32")?;
            pairs.push((i as u32, v.as_f64().ok_or("value is not a number")? as f32));
        }
    } else {
        for (k, v) in obj {
            let i: u32 = k
                .parse()
                .map_err(|_| format!("key `{k}` is not a u32 index"))?;
            pairs.push((
                i,
                v.as_f64()
                    .ok_or_else(|| format!("value of `{k}` is not a number"))?
                    as f32,
            ));
        }
    }
    pairs.sort_by_key(|p| p.0);
    let mut bytes = Vec::with_capacity(pairs.len() * 8);
    for (i, v) in &pairs {
        bytes.extend_from_slice(&i.to_le_bytes());
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let dim = pairs.last().map_or(0, |p| p.0 as u64 + 1);
    Ok((bytes, dim))
}

/// Bytes a batch occupies in Arrow, a close upper bound of its request size.
pub fn batch_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|c| {
            c.to_data()
                .get_slice_memory_size()
                .unwrap_or_else(|_| c.get_array_memory_size())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_vectors_encode_sorted_little_endian_pairs() {
        let (bytes, dim) = encode_sparse(r#"{"7": 0.5, "2": 1.0}"#).unwrap();
        assert_eq!(dim, 8);
        assert_eq!(&bytes[0..4], &2u32.to_le_bytes());
        assert_eq!(&bytes[4..8], &1.0f32.to_le_bytes());
        assert_eq!(&bytes[8..12], &7u32.to_le_bytes());
        assert!(encode_sparse(r#"{"x": 1}"#).unwrap_err().contains("`x`"));
    }
}
