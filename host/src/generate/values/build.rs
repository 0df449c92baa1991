//! Arrow arrays from drawn values, in exactly the types of `format::arrow_type`.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array,
    Int64Array, ListArray, StringArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::DataType as ArrowType;

use super::scalar::Scalar;
use crate::generate::GenerateError;
use crate::schema::DataType;

fn int(v: &Scalar) -> i64 {
    match v {
        Scalar::Int(i) => *i,
        Scalar::Float(f) => *f as i64,
        Scalar::Bool(b) => i64::from(*b),
        Scalar::Str(_) => 0,
    }
}

fn float(v: &Scalar) -> f64 {
    match v {
        Scalar::Float(f) => *f,
        Scalar::Int(i) => *i as f64,
        Scalar::Bool(b) => f64::from(u8::from(*b)),
        Scalar::Str(_) => 0.0,
    }
}

/// A column of scalars of Milvus type `t`; `None` is a null. Samplers draw inside the type's
/// range, so the narrowing casts below never wrap.
pub(crate) fn scalar_array(t: DataType, values: &[Option<Scalar>]) -> ArrayRef {
    match t {
        DataType::Bool => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(|s| matches!(s, Scalar::Bool(true))))
                .collect::<BooleanArray>(),
        ),
        DataType::Int8 => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(|s| int(s) as i8))
                .collect::<Int8Array>(),
        ),
        DataType::Int16 => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(|s| int(s) as i16))
                .collect::<Int16Array>(),
        ),
        DataType::Int32 => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(|s| int(s) as i32))
                .collect::<Int32Array>(),
        ),
        DataType::Int64 => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(int))
                .collect::<Int64Array>(),
        ),
        DataType::Float => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(|s| float(s) as f32))
                .collect::<Float32Array>(),
        ),
        DataType::Double => Arc::new(
            values
                .iter()
                .map(|v| v.as_ref().map(float))
                .collect::<Float64Array>(),
        ),
        _ => Arc::new(
            values
                .iter()
                .map(|v| {
                    v.as_ref().map(|s| match s {
                        Scalar::Str(s) => s.as_str(),
                        _ => "",
                    })
                })
                .collect::<StringArray>(),
        ),
    }
}

/// A `List<_>` column of type `list_type` from per-row lengths (`None` = null row) and the
/// flattened child values.
pub(crate) fn list_array(
    list_type: &ArrowType,
    lengths: &[Option<usize>],
    child: ArrayRef,
    field_name: &str,
) -> Result<ArrayRef, GenerateError> {
    let ArrowType::List(item) = list_type else {
        return Err(GenerateError::field(
            field_name,
            format!("expected a list Arrow type, found {list_type}"),
        ));
    };
    let offsets = OffsetBuffer::from_lengths(lengths.iter().map(|l| l.unwrap_or(0)));
    let nulls = lengths
        .iter()
        .any(Option::is_none)
        .then(|| NullBuffer::from_iter(lengths.iter().map(Option::is_some)));
    ListArray::try_new(item.clone(), offsets, child, nulls)
        .map(|a| Arc::new(a) as ArrayRef)
        .map_err(|e| GenerateError::field(field_name, format!("building the list column: {e}")))
}
