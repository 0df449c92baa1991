//! Cell values for `verify`: what a data file says a row holds and what Milvus returned, both
//! decoded into one comparable form. The file side reads Arrow directly (not through the
//! insert conversion), so an encoding bug in insert cannot hide itself here.

use ::milvus::proto::schema::{FieldData, field_data, scalar_field, vector_field};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use serde_json::Value;

use crate::schema::{DataType, Field};

/// One field of one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Json(Value),
    List(Vec<Cell>),
    Vector(Vec<f32>),
    Bytes(Vec<u8>),
    Sparse(Vec<(u32, f32)>),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short = |v: &[f32]| {
            let head: Vec<String> = v.iter().take(4).map(|x| format!("{x}")).collect();
            format!(
                "[{}{}] ({} values)",
                head.join(", "),
                if v.len() > 4 { ", ..." } else { "" },
                v.len()
            )
        };
        match self {
            Cell::Null => f.write_str("null"),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::Str(s) => write!(f, "{s:?}"),
            Cell::Json(v) => write!(f, "{v}"),
            Cell::List(l) => write!(
                f,
                "[{}]",
                l.iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Cell::Vector(v) => f.write_str(&short(v)),
            Cell::Bytes(b) => write!(f, "{} bytes {}", b.len(), hex::encode(&b[..b.len().min(8)])),
            Cell::Sparse(p) => write!(f, "sparse with {} entries", p.len()),
        }
    }
}

fn decode_halves(bytes: &[u8], bf16: bool) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|c| {
            let bits = u16::from_le_bytes([c[0], c[1]]);
            if bf16 {
                half::bf16::from_bits(bits).to_f32()
            } else {
                half::f16::from_bits(bits).to_f32()
            }
        })
        .collect()
}

fn decode_sparse(bytes: &[u8]) -> Vec<(u32, f32)> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            (
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            )
        })
        .collect()
}

/// Sparse JSON text (`{"i": v}` or `{"indices", "values"}`) as sorted pairs.
fn sparse_from_text(text: &str) -> Option<Vec<(u32, f32)>> {
    let (bytes, _) = super::convert::encode_sparse(text).ok()?;
    Some(decode_sparse(&bytes))
}

/// Row `row` of a file column, as the field's value (defaults applied to nulls: Milvus does).
pub fn file_cell(field: &Field, column: &ArrayRef, row: usize) -> Cell {
    if column.is_null(row) {
        return match &field.default_value {
            Some(v) => json_to_cell(field.data_type, v),
            None => Cell::Null,
        };
    }
    match field.data_type {
        DataType::Array => {
            let list = column.as_list::<i32>();
            let values = list.value(row);
            let element = Field {
                data_type: field.value_type(),
                ..Field::default()
            };
            Cell::List(
                (0..values.len())
                    .map(|i| file_cell(&element, &values, i))
                    .collect(),
            )
        }
        DataType::FloatVector => Cell::Vector(
            column
                .as_list::<i32>()
                .value(row)
                .as_primitive::<Float32Type>()
                .values()
                .to_vec(),
        ),
        DataType::Float16Vector | DataType::BFloat16Vector => {
            let v = column.as_list::<i32>().value(row);
            Cell::Vector(decode_halves(
                v.as_primitive::<UInt8Type>().values(),
                field.data_type == DataType::BFloat16Vector,
            ))
        }
        DataType::BinaryVector => Cell::Bytes(
            column
                .as_list::<i32>()
                .value(row)
                .as_primitive::<UInt8Type>()
                .values()
                .to_vec(),
        ),
        DataType::Int8Vector => Cell::Vector(
            column
                .as_list::<i32>()
                .value(row)
                .as_primitive::<Int8Type>()
                .values()
                .iter()
                .map(|v| *v as f32)
                .collect(),
        ),
        DataType::SparseFloatVector => {
            let text = column.as_string::<i32>().value(row);
            sparse_from_text(text).map_or_else(|| Cell::Str(text.to_string()), Cell::Sparse)
        }
        DataType::Json => {
            let text = column.as_string::<i32>().value(row);
            serde_json::from_str(text).map_or_else(|_| Cell::Str(text.to_string()), Cell::Json)
        }
        DataType::Bool => Cell::Bool(column.as_boolean().value(row)),
        DataType::Int8 => Cell::Int(column.as_primitive::<Int8Type>().value(row) as i64),
        DataType::Int16 => Cell::Int(column.as_primitive::<Int16Type>().value(row) as i64),
        DataType::Int32 => Cell::Int(column.as_primitive::<Int32Type>().value(row) as i64),
        DataType::Int64 => Cell::Int(column.as_primitive::<Int64Type>().value(row)),
        DataType::Float => Cell::Float(column.as_primitive::<Float32Type>().value(row) as f64),
        DataType::Double => Cell::Float(column.as_primitive::<Float64Type>().value(row)),
        DataType::VarChar => Cell::Str(column.as_string::<i32>().value(row).to_string()),
    }
}

fn json_to_cell(t: DataType, v: &Value) -> Cell {
    match (t, v) {
        (_, Value::Null) => Cell::Null,
        (DataType::Bool, Value::Bool(b)) => Cell::Bool(*b),
        (t, Value::Number(n)) if t.is_integer() => n.as_i64().map_or(Cell::Null, Cell::Int),
        (t, Value::Number(n)) if t.is_float() => n.as_f64().map_or(Cell::Null, Cell::Float),
        (DataType::VarChar, Value::String(s)) => Cell::Str(s.clone()),
        (_, other) => Cell::Json(other.clone()),
    }
}

/// Number of rows a returned column holds.
pub fn row_count(data: &FieldData) -> usize {
    if !data.valid_data.is_empty() {
        return data.valid_data.len();
    }
    match &data.field {
        Some(field_data::Field::Scalars(s)) => scalar_len(s.data.as_ref()),
        Some(field_data::Field::Vectors(v)) => {
            let dim = v.dim.max(1) as usize;
            match &v.data {
                Some(vector_field::Data::FloatVector(f)) => f.data.len() / dim,
                Some(vector_field::Data::BinaryVector(b)) => b.len() / (dim / 8).max(1),
                Some(vector_field::Data::Float16Vector(b))
                | Some(vector_field::Data::Bfloat16Vector(b)) => b.len() / (2 * dim),
                Some(vector_field::Data::Int8Vector(b)) => b.len() / dim,
                Some(vector_field::Data::SparseFloatVector(s)) => s.contents.len(),
                _ => 0,
            }
        }
        _ => 0,
    }
}

fn scalar_len(data: Option<&scalar_field::Data>) -> usize {
    use scalar_field::Data as S;
    match data {
        Some(S::BoolData(a)) => a.data.len(),
        Some(S::IntData(a)) => a.data.len(),
        Some(S::LongData(a)) => a.data.len(),
        Some(S::FloatData(a)) => a.data.len(),
        Some(S::DoubleData(a)) => a.data.len(),
        Some(S::StringData(a)) => a.data.len(),
        Some(S::JsonData(a)) => a.data.len(),
        Some(S::ArrayData(a)) => a.data.len(),
        Some(S::BytesData(a)) => a.data.len(),
        _ => 0,
    }
}

fn scalar_cell(data: Option<&scalar_field::Data>, i: usize) -> Cell {
    use scalar_field::Data as S;
    let opt = match data {
        Some(S::BoolData(a)) => a.data.get(i).map(|v| Cell::Bool(*v)),
        Some(S::IntData(a)) => a.data.get(i).map(|v| Cell::Int(*v as i64)),
        Some(S::LongData(a)) => a.data.get(i).map(|v| Cell::Int(*v)),
        Some(S::FloatData(a)) => a.data.get(i).map(|v| Cell::Float(*v as f64)),
        Some(S::DoubleData(a)) => a.data.get(i).map(|v| Cell::Float(*v)),
        Some(S::StringData(a)) => a.data.get(i).map(|v| Cell::Str(v.clone())),
        Some(S::JsonData(a)) => a.data.get(i).map(|v| {
            serde_json::from_slice(v).map_or_else(
                |_| Cell::Str(String::from_utf8_lossy(v).into_owned()),
                Cell::Json,
            )
        }),
        Some(S::ArrayData(a)) => a.data.get(i).map(|row| {
            let n = scalar_len(row.data.as_ref());
            Cell::List((0..n).map(|k| scalar_cell(row.data.as_ref(), k)).collect())
        }),
        _ => None,
    };
    opt.unwrap_or(Cell::Null)
}

/// Row `row` of a column Milvus returned.
pub fn returned_cell(data: &FieldData, row: usize) -> Cell {
    let mut index = row;
    if !data.valid_data.is_empty() {
        if !data.valid_data.get(row).copied().unwrap_or(false) {
            return Cell::Null;
        }
        // Servers send either full-length data (placeholders at nulls) or only valid values.
        let full = match &data.field {
            Some(field_data::Field::Scalars(s)) => {
                scalar_len(s.data.as_ref()) == data.valid_data.len()
            }
            _ => true,
        };
        if !full {
            index = data.valid_data[..row].iter().filter(|v| **v).count();
        }
    }
    match &data.field {
        Some(field_data::Field::Scalars(s)) => scalar_cell(s.data.as_ref(), index),
        Some(field_data::Field::Vectors(v)) => {
            let dim = v.dim.max(1) as usize;
            match &v.data {
                Some(vector_field::Data::FloatVector(f)) => Cell::Vector(
                    f.data
                        .get(index * dim..(index + 1) * dim)
                        .unwrap_or(&[])
                        .to_vec(),
                ),
                Some(vector_field::Data::BinaryVector(b)) => {
                    let w = dim / 8;
                    Cell::Bytes(b.get(index * w..(index + 1) * w).unwrap_or(&[]).to_vec())
                }
                Some(vector_field::Data::Float16Vector(b)) => Cell::Vector(decode_halves(
                    b.get(index * 2 * dim..(index + 1) * 2 * dim).unwrap_or(&[]),
                    false,
                )),
                Some(vector_field::Data::Bfloat16Vector(b)) => Cell::Vector(decode_halves(
                    b.get(index * 2 * dim..(index + 1) * 2 * dim).unwrap_or(&[]),
                    true,
                )),
                Some(vector_field::Data::Int8Vector(b)) => Cell::Vector(
                    b.get(index * dim..(index + 1) * dim)
                        .unwrap_or(&[])
                        .iter()
                        .map(|v| *v as i8 as f32)
                        .collect(),
                ),
                Some(vector_field::Data::SparseFloatVector(s)) => Cell::Sparse(
                    s.contents
                        .get(index)
                        .map(|c| decode_sparse(c))
                        .unwrap_or_default(),
                ),
                _ => Cell::Null,
            }
        }
        _ => Cell::Null,
    }
}

/// Whether a returned value equals the file's: floats within tolerance (f32 relative 1e-6),
/// JSON structurally, vectors element-wise.
pub fn same(expected: &Cell, actual: &Cell) -> bool {
    fn close(a: f64, b: f64, rel: f64) -> bool {
        a == b || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
    }
    fn json_same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => close(x, y, 1e-9),
                _ => x == y,
            },
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| json_same(v, w)))
            }
            (a, b) => a == b,
        }
    }
    match (expected, actual) {
        (Cell::Float(a), Cell::Float(b)) => close(*a, *b, 1e-6),
        (Cell::Int(a), Cell::Float(b)) | (Cell::Float(b), Cell::Int(a)) => {
            close(*a as f64, *b, 1e-6)
        }
        (Cell::Json(a), Cell::Json(b)) => json_same(a, b),
        (Cell::List(a), Cell::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Cell::Vector(a), Cell::Vector(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| close(*x as f64, *y as f64, 1e-6))
        }
        (Cell::Sparse(a), Cell::Sparse(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.0 == y.0 && close(x.1 as f64, y.1 as f64, 1e-6))
        }
        (a, b) => a == b,
    }
}

/// Whether every key of the file's `$meta` object is in the returned one with the same value.
pub fn meta_contains(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        // A row without dynamic keys (`{}`): servers return `{}`, null or nothing for it.
        (Value::Object(e), _) if e.is_empty() => true,
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| {
            a.get(k)
                .is_some_and(|w| same(&Cell::Json(v.clone()), &Cell::Json(w.clone())))
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_tolerate_float_noise_but_not_real_differences() {
        assert!(same(&Cell::Float(0.1f32 as f64), &Cell::Float(0.1)));
        assert!(!same(&Cell::Float(0.1), &Cell::Float(0.2)));
        let a: Value = serde_json::json!({"a": 1, "b": [1, 2.5]});
        let b: Value = serde_json::from_str(r#"{"b": [1, 2.5], "a": 1.0}"#).unwrap();
        assert!(same(&Cell::Json(a.clone()), &Cell::Json(b)));
        assert!(!same(
            &Cell::Json(a),
            &Cell::Json(serde_json::json!({"a": 1}))
        ));
        assert_eq!(
            decode_halves(&half::f16::from_f32(1.5).to_le_bytes(), false),
            vec![1.5]
        );
    }
}
