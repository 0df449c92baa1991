//! Arrow columns handed to validator plugins, in the WIT column layout.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};

use super::wit::latest::{
    Arrays, Column, ColumnData, F32Vectors, PackedStrings, S8Vectors, Scalars, U8Vectors,
};
use crate::schema::{DataType, Field};

fn scalars(array: &dyn Array, t: DataType) -> Result<Scalars, String> {
    let fail = || {
        format!(
            "column of Arrow type {} does not hold {t}",
            array.data_type()
        )
    };
    Ok(match t {
        DataType::Bool => Scalars::Bools(
            array
                .as_boolean_opt()
                .ok_or_else(fail)?
                .values()
                .iter()
                .collect(),
        ),
        DataType::Int8 => Scalars::I8s(prim::<Int8Type>(array).ok_or_else(fail)?),
        DataType::Int16 => Scalars::I16s(prim::<Int16Type>(array).ok_or_else(fail)?),
        DataType::Int32 => Scalars::I32s(prim::<Int32Type>(array).ok_or_else(fail)?),
        DataType::Int64 => Scalars::I64s(prim::<Int64Type>(array).ok_or_else(fail)?),
        DataType::Float => Scalars::F32s(prim::<Float32Type>(array).ok_or_else(fail)?),
        DataType::Double => Scalars::F64s(prim::<Float64Type>(array).ok_or_else(fail)?),
        _ => {
            let s = array.as_string_opt::<i32>().ok_or_else(fail)?;
            // The array's own offsets and bytes, rebased to 0 (null rows keep their bytes,
            // the null mask says which they are).
            let offsets = s.value_offsets();
            let (start, end) = (offsets[0], offsets[offsets.len() - 1]);
            Scalars::Strings(PackedStrings {
                offsets: offsets.iter().map(|o| (o - start) as u32).collect(),
                data: s.value_data()[start as usize..end as usize].to_vec(),
            })
        }
    })
}

fn prim<T: arrow_array::ArrowPrimitiveType>(array: &dyn Array) -> Option<Vec<T::Native>> {
    Some(array.as_primitive_opt::<T>()?.values().to_vec())
}

/// `field`'s column as the WIT layout a validator receives.
pub fn to_wit(array: &ArrayRef, field: &Field) -> Result<Column, String> {
    let nulls = array
        .nulls()
        .filter(|n| n.null_count() > 0)
        .map(|n| (0..array.len()).map(|i| n.is_null(i)).collect());
    let data = if matches!(
        field.data_type,
        DataType::Array
            | DataType::FloatVector
            | DataType::Int8Vector
            | DataType::BinaryVector
            | DataType::Float16Vector
            | DataType::BFloat16Vector
    ) {
        let list = array
            .as_list_opt::<i32>()
            .ok_or_else(|| format!("column of Arrow type {} is not a list", array.data_type()))?;
        let offsets = list.value_offsets();
        let start = offsets[0] as usize;
        let end = offsets[offsets.len() - 1] as usize;
        let values = list.values().slice(start, end - start);
        let dim = field.dim.unwrap_or(0);
        match field.data_type {
            DataType::FloatVector => ColumnData::FloatVectors(F32Vectors {
                dim,
                values: prim::<Float32Type>(&values).ok_or("vector values are not float32")?,
            }),
            DataType::Int8Vector => ColumnData::Int8Vectors(S8Vectors {
                dim,
                values: prim::<Int8Type>(&values).ok_or("vector values are not int8")?,
            }),
            DataType::Array => ColumnData::Array(Arrays {
                lengths: offsets.windows(2).map(|w| (w[1] - w[0]) as u32).collect(),
                values: scalars(&values, field.value_type())?,
            }),
            t => ColumnData::ByteVectors(U8Vectors {
                bytes_per_row: if t == DataType::BinaryVector {
                    dim / 8
                } else {
                    dim * 2
                },
                values: prim::<UInt8Type>(&values).ok_or("vector values are not uint8")?,
            }),
        }
    } else {
        ColumnData::Scalar(scalars(array, field.data_type)?)
    };
    Ok(Column { data, nulls })
}
