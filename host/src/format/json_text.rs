//! Placeholder JSON value encoder (replaced by the full one).

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int64Type};

use crate::schema::{DataType, Field};

pub struct JsonEncoder {
    data_type: DataType,
}

impl JsonEncoder {
    pub fn new(field: &Field) -> JsonEncoder {
        JsonEncoder {
            data_type: field.data_type,
        }
    }

    pub fn encode(&self, array: &dyn Array, row: usize, out: &mut String) {
        use std::fmt::Write;
        if array.is_null(row) {
            out.push_str("null");
            return;
        }
        match self.data_type {
            DataType::Int64 => {
                let _ = write!(out, "{}", array.as_primitive::<Int64Type>().value(row));
            }
            DataType::FloatVector => {
                let list = array.as_list::<i32>();
                let values = list.value(row);
                out.push('[');
                for (i, v) in values
                    .as_primitive::<Float32Type>()
                    .values()
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{v}");
                }
                out.push(']');
            }
            _ => {
                let s = array.as_string::<i32>().value(row);
                out.push_str(&serde_json::to_string(s).unwrap_or_default());
            }
        }
    }
}
