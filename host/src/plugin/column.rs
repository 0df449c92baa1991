//! Checks a plugin's column against its field and turns it into the field's Arrow array (and
//! back, for validators).
//!
//! The host trusts nothing a plugin returns: the row count, the physical layout for the field's
//! type, the vector dimension, `max_length` in UTF-8 bytes, array capacities, JSON text and
//! nulls (only in nullable fields) are all checked before a value reaches a file.

use std::sync::Arc;

use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, BooleanArray, ListArray, PrimitiveArray, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, FieldRef};

use super::wit::latest::{Arrays, Column, ColumnData, F32Vectors, S8Vectors, Scalars, U8Vectors};
use crate::format::arrow_type;
use crate::schema::{DataType, Field};

/// Name of a layout, for messages.
fn scalars_name(s: &Scalars) -> &'static str {
    match s {
        Scalars::Bools(_) => "bools",
        Scalars::I8s(_) => "i8s",
        Scalars::I16s(_) => "i16s",
        Scalars::I32s(_) => "i32s",
        Scalars::I64s(_) => "i64s",
        Scalars::F32s(_) => "f32s",
        Scalars::F64s(_) => "f64s",
        Scalars::Strings(_) => "strings",
    }
}

fn data_name(d: &ColumnData) -> String {
    match d {
        ColumnData::Scalar(s) => format!("scalar({})", scalars_name(s)),
        ColumnData::Array(a) => format!("array({})", scalars_name(&a.values)),
        ColumnData::FloatVectors(_) => "float-vectors".into(),
        ColumnData::Int8Vectors(_) => "int8-vectors".into(),
        ColumnData::ByteVectors(_) => "byte-vectors".into(),
    }
}

/// The layout a field's type needs, for messages.
fn expected_layout(field: &Field) -> String {
    let scalar = |t: DataType| match t {
        DataType::Bool => "bools",
        DataType::Int8 => "i8s",
        DataType::Int16 => "i16s",
        DataType::Int32 => "i32s",
        DataType::Int64 => "i64s",
        DataType::Float => "f32s",
        DataType::Double => "f64s",
        _ => "strings",
    };
    match field.data_type {
        DataType::Array => format!("array({})", scalar(field.value_type())),
        DataType::FloatVector => "float-vectors".into(),
        DataType::Int8Vector => "int8-vectors".into(),
        DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector => {
            "byte-vectors".into()
        }
        t => format!("scalar({})", scalar(t)),
    }
}

fn scalars_len(s: &Scalars) -> usize {
    match s {
        Scalars::Bools(v) => v.len(),
        Scalars::I8s(v) => v.len(),
        Scalars::I16s(v) => v.len(),
        Scalars::I32s(v) => v.len(),
        Scalars::I64s(v) => v.len(),
        Scalars::F32s(v) => v.len(),
        Scalars::F64s(v) => v.len(),
        Scalars::Strings(p) => p.offsets.len().saturating_sub(1),
    }
}

fn nulls_of(column: &Column, field: &Field, rows: usize) -> Result<Option<NullBuffer>, String> {
    let Some(mask) = &column.nulls else {
        return Ok(None);
    };
    if mask.len() != rows {
        return Err(format!(
            "null mask has {} entries for {rows} rows",
            mask.len()
        ));
    }
    let count = mask.iter().filter(|n| **n).count();
    if count == 0 {
        return Ok(None);
    }
    if !field.nullable {
        let row = mask.iter().position(|n| *n).unwrap_or(0);
        return Err(format!(
            "returned {count} nulls (first at row {row} of the call) but the field is not nullable"
        ));
    }
    // Arrow's validity bitmap is the inverse of our null mask.
    Ok(Some(NullBuffer::new(BooleanBuffer::from_iter(
        mask.iter().map(|n| !n),
    ))))
}

/// Checks `column` (the result for `rows` rows of `field`) and converts it to the field's
/// Arrow array. The error text says what is wrong, for [`super::PluginError::Call`].
pub fn to_arrow(column: Column, field: &Field, rows: usize) -> Result<ArrayRef, String> {
    let nulls = nulls_of(&column, field, rows)?;
    let wrong = |data: &ColumnData| {
        format!(
            "returned a {} column, but field type {} needs {}",
            data_name(data),
            if field.data_type == DataType::Array {
                format!("Array<{}>", field.value_type())
            } else {
                field.data_type.to_string()
            },
            expected_layout(field)
        )
    };
    let array: ArrayRef = match (field.data_type, column.data) {
        (DataType::Array, ColumnData::Array(a)) => array_column(a, field, rows, nulls)?,
        (DataType::FloatVector, ColumnData::FloatVectors(F32Vectors { dim, values })) => {
            check_dim(field, dim)?;
            let values = PrimitiveArray::<Float32Type>::new(ScalarBuffer::from(values), None);
            fixed_lists(field, Arc::new(values), dim as usize, rows, nulls)?
        }
        (DataType::Int8Vector, ColumnData::Int8Vectors(S8Vectors { dim, values })) => {
            check_dim(field, dim)?;
            let values = PrimitiveArray::<Int8Type>::new(ScalarBuffer::from(values), None);
            fixed_lists(field, Arc::new(values), dim as usize, rows, nulls)?
        }
        (
            t @ (DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector),
            ColumnData::ByteVectors(U8Vectors {
                bytes_per_row,
                values,
            }),
        ) => {
            let dim = field.dim.unwrap_or(0) as usize;
            let want = if t == DataType::BinaryVector {
                dim / 8
            } else {
                dim * 2
            };
            if bytes_per_row as usize != want {
                return Err(format!(
                    "returned {bytes_per_row} bytes per vector, {t} with dim {dim} needs {want}"
                ));
            }
            let values = PrimitiveArray::<UInt8Type>::new(ScalarBuffer::from(values), None);
            fixed_lists(field, Arc::new(values), want, rows, nulls)?
        }
        (t, ColumnData::Scalar(s))
            if t.is_scalar() || matches!(t, DataType::Json | DataType::SparseFloatVector) =>
        {
            if scalars_len(&s) != rows {
                return Err(format!(
                    "returned {} values for {rows} rows",
                    scalars_len(&s)
                ));
            }
            let got = format!("scalar({})", scalars_name(&s));
            scalar_column(s, t, field, nulls.as_ref()).map_err(|e| {
                e.unwrap_or_else(|| {
                    format!(
                        "returned a {got} column, but field type {t} needs {}",
                        expected_layout(field)
                    )
                })
            })?
        }
        (_, data) => return Err(wrong(&data)),
    };
    debug_assert_eq!(array.data_type(), &arrow_type(field));
    Ok(array)
}

fn check_dim(field: &Field, dim: u32) -> Result<(), String> {
    match field.dim {
        Some(d) if d == dim => Ok(()),
        want => Err(format!(
            "returned vectors of dimension {dim}, the field has dim {}",
            want.map_or("unset".to_string(), |d| d.to_string())
        )),
    }
}

fn item_field(field: &Field) -> FieldRef {
    match arrow_type(field) {
        ArrowType::List(item) => item,
        other => unreachable!("list field with Arrow type {other}"),
    }
}

/// A list column of `rows` lists of exactly `width` values each.
fn fixed_lists(
    field: &Field,
    values: ArrayRef,
    width: usize,
    rows: usize,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef, String> {
    if values.len() != rows * width {
        return Err(format!(
            "returned {} vector values for {rows} rows of width {width} (expected {})",
            values.len(),
            rows * width
        ));
    }
    let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(width, rows));
    Ok(Arc::new(ListArray::new(
        item_field(field),
        offsets,
        values,
        nulls,
    )))
}

fn array_column(
    a: Arrays,
    field: &Field,
    rows: usize,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef, String> {
    if a.lengths.len() != rows {
        return Err(format!(
            "returned {} array lengths for {rows} rows",
            a.lengths.len()
        ));
    }
    let total: u64 = a.lengths.iter().map(|l| u64::from(*l)).sum();
    if total != scalars_len(&a.values) as u64 {
        return Err(format!(
            "array lengths add up to {total} elements but {} were returned",
            scalars_len(&a.values)
        ));
    }
    if let Some(cap) = field.max_capacity
        && let Some((i, l)) = a.lengths.iter().enumerate().find(|(_, l)| **l > cap)
    {
        return Err(format!(
            "row {i} of the call holds {l} elements, max_capacity is {cap}"
        ));
    }
    let element = field.value_type();
    let layout = scalars_name(&a.values);
    let values = scalar_column(a.values, element, field, None).map_err(|e| {
        e.unwrap_or_else(|| {
            format!(
                "returned array({layout}), but field type Array<{element}> needs {}",
                expected_layout(field)
            )
        })
    })?;
    let offsets = OffsetBuffer::from_lengths(a.lengths.iter().map(|l| *l as usize));
    Ok(Arc::new(ListArray::new(
        item_field(field),
        offsets,
        values,
        nulls,
    )))
}

/// Scalar values as an Arrow array of type `t`. `Err(None)` means a layout mismatch (the
/// caller words it); `Err(Some(_))` a bad value.
fn scalar_column(
    s: Scalars,
    t: DataType,
    field: &Field,
    nulls: Option<&NullBuffer>,
) -> Result<ArrayRef, Option<String>> {
    let n = nulls.cloned();
    Ok(match (t, s) {
        (DataType::Bool, Scalars::Bools(v)) => {
            Arc::new(BooleanArray::new(BooleanBuffer::from(v), n))
        }
        (DataType::Int8, Scalars::I8s(v)) => {
            Arc::new(PrimitiveArray::<Int8Type>::new(ScalarBuffer::from(v), n))
        }
        (DataType::Int16, Scalars::I16s(v)) => {
            Arc::new(PrimitiveArray::<Int16Type>::new(ScalarBuffer::from(v), n))
        }
        (DataType::Int32, Scalars::I32s(v)) => {
            Arc::new(PrimitiveArray::<Int32Type>::new(ScalarBuffer::from(v), n))
        }
        (DataType::Int64, Scalars::I64s(v)) => {
            Arc::new(PrimitiveArray::<Int64Type>::new(ScalarBuffer::from(v), n))
        }
        (DataType::Float, Scalars::F32s(v)) => {
            Arc::new(PrimitiveArray::<Float32Type>::new(ScalarBuffer::from(v), n))
        }
        (DataType::Double, Scalars::F64s(v)) => {
            Arc::new(PrimitiveArray::<Float64Type>::new(ScalarBuffer::from(v), n))
        }
        (DataType::VarChar | DataType::Json | DataType::SparseFloatVector, Scalars::Strings(p)) => {
            // Null rows keep their placeholder bytes; the validity bitmap hides them.
            let array = packed_strings(p.offsets, p.data, n).map_err(Some)?;
            check_strings(&array, t, field).map_err(Some)?;
            Arc::new(array)
        }
        _ => return Err(None),
    })
}

/// Packed strings as an Arrow array: offsets must start at 0, never decrease, end at the data
/// length, and cut the data into valid UTF-8 (Arrow's own validation checks both).
fn packed_strings(
    offsets: Vec<u32>,
    data: Vec<u8>,
    nulls: Option<NullBuffer>,
) -> Result<StringArray, String> {
    if offsets.first() != Some(&0) || offsets.last().map(|l| *l as usize) != Some(data.len()) {
        return Err(format!(
            "packed strings: offsets must run from 0 to the data length {} (got {:?} .. {:?})",
            data.len(),
            offsets.first(),
            offsets.last()
        ));
    }
    if data.len() > i32::MAX as usize {
        return Err(format!("packed strings: {} bytes exceed 2 GiB", data.len()));
    }
    let offsets: Vec<i32> = offsets.into_iter().map(|o| o as i32).collect();
    if offsets.windows(2).any(|w| w[1] < w[0]) {
        return Err("packed strings: offsets decrease".into());
    }
    StringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(data),
        nulls,
    )
    .map_err(|e| format!("packed strings: {e}"))
}

fn check_strings(array: &StringArray, t: DataType, field: &Field) -> Result<(), String> {
    let offsets = array.value_offsets();
    if t == DataType::VarChar {
        let limit = field.max_length.unwrap_or(u32::MAX) as usize;
        let too_long = (0..array.len())
            .find(|&i| (offsets[i + 1] - offsets[i]) as usize > limit && array.is_valid(i));
        if let Some(i) = too_long {
            return Err(format!(
                "value at row {i} of the call is {} bytes, max_length is {limit} (UTF-8 bytes)",
                offsets[i + 1] - offsets[i]
            ));
        }
    } else {
        for i in 0..array.len() {
            if array.is_valid(i)
                && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(array.value(i))
            {
                return Err(format!(
                    "value at row {i} of the call is not valid JSON ({e})"
                ));
            }
        }
    }
    Ok(())
}
