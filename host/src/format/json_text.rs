//! One value of an Arrow column as JSON text, for JSON-rows files, JSON shapes and `$meta`.
//!
//! The encoder is resolved once per field from its Milvus type, so the per-value work is one
//! downcast and a write into a caller's buffer. Floats use the shortest text that reads back to
//! the same value (ryu); non-finite floats, which JSON cannot hold, are written as `null`.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType};

use super::half_text::Half;
use crate::schema::{DataType, Field};

/// How one value (or one list element) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    F32,
    F64,
    /// A string, quoted and escaped.
    Str,
    /// A string that already holds JSON text (JSON fields, sparse vectors, `$meta`).
    Raw,
    /// Little-endian half-precision bytes, two per element, written as numbers.
    Half(Half),
}

/// Writes values of one field's column (of type `arrow_type(field)`) as JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonEncoder {
    scalar: Scalar,
    /// Whether each value is a list of `scalar`s.
    list: bool,
}

fn scalar_of(t: DataType) -> Scalar {
    match t {
        DataType::Bool => Scalar::Bool,
        DataType::Int8 => Scalar::I8,
        DataType::Int16 => Scalar::I16,
        DataType::Int32 => Scalar::I32,
        DataType::Int64 => Scalar::I64,
        DataType::Float => Scalar::F32,
        DataType::Double => Scalar::F64,
        DataType::Json | DataType::SparseFloatVector => Scalar::Raw,
        _ => Scalar::Str,
    }
}

impl JsonEncoder {
    pub fn new(field: &Field) -> JsonEncoder {
        let (scalar, list) = match field.data_type {
            DataType::Array => (scalar_of(field.value_type()), true),
            DataType::FloatVector => (Scalar::F32, true),
            // Binary vectors are dim/8 bytes; half vectors are dim numbers in JSON (Milvus'
            // JSON import reads floats and rounds them), though their Parquet column is bytes.
            DataType::BinaryVector => (Scalar::U8, true),
            DataType::Float16Vector => (Scalar::Half(Half::F16), true),
            DataType::BFloat16Vector => (Scalar::Half(Half::BF16), true),
            DataType::Int8Vector => (Scalar::I8, true),
            t => (scalar_of(t), false),
        };
        JsonEncoder { scalar, list }
    }

    /// An encoder for a Utf8 column that already holds JSON text (the `$meta` column).
    pub fn raw() -> JsonEncoder {
        JsonEncoder {
            scalar: Scalar::Raw,
            list: false,
        }
    }

    /// Appends the value at `row` of `array` to `out` as JSON text (`null` for a null slot or
    /// an array of an unexpected type).
    pub fn encode(&self, array: &dyn Array, row: usize, out: &mut String) {
        if array.is_null(row) {
            out.push_str("null");
            return;
        }
        if !self.list {
            encode_range(self.scalar, array, row..row + 1, out);
            return;
        }
        let Some(list) = array.as_list_opt::<i32>() else {
            out.push_str("null");
            return;
        };
        let offsets = list.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        out.push('[');
        encode_range(self.scalar, list.values().as_ref(), start..end, out);
        out.push(']');
    }
}

/// Writes elements `range` of `array`, comma-separated (one element: no comma).
fn encode_range(
    scalar: Scalar,
    array: &dyn Array,
    range: std::ops::Range<usize>,
    out: &mut String,
) {
    match scalar {
        Scalar::Bool => match array.as_boolean_opt() {
            Some(a) => each(a, range, out, |a, i, out| {
                out.push_str(if a.value(i) { "true" } else { "false" })
            }),
            None => out.push_str("null"),
        },
        Scalar::I8 => ints::<Int8Type>(array, range, out),
        Scalar::I16 => ints::<Int16Type>(array, range, out),
        Scalar::I32 => ints::<Int32Type>(array, range, out),
        Scalar::I64 => ints::<Int64Type>(array, range, out),
        Scalar::U8 => ints::<UInt8Type>(array, range, out),
        Scalar::Half(format) => match array.as_primitive_opt::<UInt8Type>() {
            Some(a) => {
                let bytes = &a.values()[range];
                for (k, pair) in bytes.chunks_exact(2).enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push_str(format.text(u16::from_le_bytes([pair[0], pair[1]])));
                }
            }
            None => out.push_str("null"),
        },
        Scalar::F32 => match array.as_primitive_opt::<Float32Type>() {
            Some(a) => each(a, range, out, |a, i, out| push_f32(a.value(i), out)),
            None => out.push_str("null"),
        },
        Scalar::F64 => match array.as_primitive_opt::<Float64Type>() {
            Some(a) => each(a, range, out, |a, i, out| push_f64(a.value(i), out)),
            None => out.push_str("null"),
        },
        Scalar::Str | Scalar::Raw => match array.as_string_opt::<i32>() {
            Some(a) => each(a, range, out, |a, i, out| {
                if scalar == Scalar::Raw {
                    out.push_str(a.value(i));
                } else {
                    push_json_string(a.value(i), out);
                }
            }),
            None => out.push_str("null"),
        },
    }
}

fn each<A: Array>(
    a: &A,
    range: std::ops::Range<usize>,
    out: &mut String,
    write: impl Fn(&A, usize, &mut String),
) {
    for (k, i) in range.enumerate() {
        if k > 0 {
            out.push(',');
        }
        if a.is_null(i) {
            out.push_str("null");
        } else {
            write(a, i, out);
        }
    }
}

fn ints<T>(array: &dyn Array, range: std::ops::Range<usize>, out: &mut String)
where
    T: ArrowPrimitiveType,
    T::Native: itoa_like::Int,
{
    match array.as_primitive_opt::<T>() {
        Some(a) => each(a, range, out, |a, i, out| itoa_like::push(a.value(i), out)),
        None => out.push_str("null"),
    }
}

/// Integer formatting without `format!` allocation.
mod itoa_like {
    pub trait Int: Copy {
        fn to_i128(self) -> i128;
    }
    macro_rules! int {
        ($($t:ty),*) => { $(impl Int for $t { fn to_i128(self) -> i128 { self as i128 } })* };
    }
    int!(i8, i16, i32, i64, u8);

    pub fn push<T: Int>(v: T, out: &mut String) {
        let v = v.to_i128();
        let mut digits = [0u8; 40];
        let mut n = v.unsigned_abs();
        let mut pos = digits.len();
        loop {
            pos -= 1;
            digits[pos] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            out.push('-');
        }
        out.push_str(std::str::from_utf8(&digits[pos..]).expect("ASCII digits"));
    }
}

pub fn push_f32(v: f32, out: &mut String) {
    if v.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(v));
    } else {
        out.push_str("null");
    }
}

pub fn push_f64(v: f64, out: &mut String) {
    if v.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(v));
    } else {
        out.push_str("null");
    }
}

/// `s` as a quoted JSON string.
pub fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{
        BooleanArray, Float32Array, Float64Array, Int8Array, Int64Array, ListArray, StringArray,
        UInt8Array,
    };
    use std::sync::Arc;

    fn enc(t: DataType) -> JsonEncoder {
        let mut f = Field::new("f", t);
        if t == DataType::Array {
            f.element_type = Some(DataType::VarChar);
        }
        JsonEncoder::new(&f)
    }

    fn text(e: JsonEncoder, a: &dyn Array, row: usize) -> String {
        let mut s = String::new();
        e.encode(a, row, &mut s);
        s
    }

    #[test]
    fn scalars_encode_as_json() {
        assert_eq!(
            text(enc(DataType::Bool), &BooleanArray::from(vec![true]), 0),
            "true"
        );
        let ints = Int64Array::from(vec![Some(-42), None]);
        assert_eq!(text(enc(DataType::Int64), &ints, 0), "-42");
        assert_eq!(text(enc(DataType::Int64), &ints, 1), "null");
        assert_eq!(
            text(enc(DataType::Int8), &Int8Array::from(vec![i8::MIN]), 0),
            "-128"
        );
        let f = Float32Array::from(vec![0.1f32, f32::NAN, 1.0]);
        assert_eq!(text(enc(DataType::Float), &f, 0), "0.1");
        assert_eq!(text(enc(DataType::Float), &f, 1), "null");
        assert_eq!(text(enc(DataType::Float), &f, 2), "1.0");
        let d = Float64Array::from(vec![1e300]);
        let back: f64 = serde_json::from_str(&text(enc(DataType::Double), &d, 0)).unwrap();
        assert_eq!(back, 1e300);
        let s = StringArray::from(vec!["a\"b\\c\nd\u{1}é"]);
        let t = text(enc(DataType::VarChar), &s, 0);
        assert_eq!(
            serde_json::from_str::<String>(&t).unwrap(),
            "a\"b\\c\nd\u{1}é"
        );
        let raw = StringArray::from(vec![r#"{"a":1}"#]);
        assert_eq!(text(enc(DataType::Json), &raw, 0), r#"{"a":1}"#);
        assert_eq!(
            text(enc(DataType::SparseFloatVector), &raw, 0),
            r#"{"a":1}"#
        );
    }

    #[test]
    fn lists_encode_as_json_arrays() {
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("x");
        b.values().append_value("日本");
        b.append(true);
        b.append(true);
        let a = b.finish();
        assert_eq!(text(enc(DataType::Array), &a, 0), r#"["x","日本"]"#);
        assert_eq!(text(enc(DataType::Array), &a, 1), "[]");

        let item = Arc::new(arrow_schema::Field::new(
            "item",
            arrow_schema::DataType::UInt8,
            true,
        ));
        let bytes = ListArray::new(
            item,
            arrow_buffer::OffsetBuffer::from_lengths([2, 1]),
            Arc::new(UInt8Array::from(vec![0u8, 255, 7])),
            None,
        );
        assert_eq!(text(enc(DataType::BinaryVector), &bytes, 0), "[0,255]");
        assert_eq!(text(enc(DataType::BinaryVector), &bytes, 1), "[7]");

        // Half vectors: two bytes per element in the column, one number each in JSON.
        let mut raw = Vec::new();
        for v in [-0.634_277_34_f32, 1.0, 0.0, -2.5] {
            raw.extend(half::f16::from_f32(v).to_le_bytes());
        }
        let f16s = ListArray::new(
            Arc::new(arrow_schema::Field::new(
                "item",
                arrow_schema::DataType::UInt8,
                true,
            )),
            arrow_buffer::OffsetBuffer::from_lengths([8]),
            Arc::new(UInt8Array::from(raw)),
            None,
        );
        assert_eq!(
            text(enc(DataType::Float16Vector), &f16s, 0),
            "[-0.6343,1.0,0.0,-2.5]"
        );
    }
}
