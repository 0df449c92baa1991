//! Plain Rust mirrors of the WIT `types` interface; the export macros convert them.

/// Milvus field types, as schema files name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilvusType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    VarChar,
    Json,
    Array,
    FloatVector,
    BinaryVector,
    Float16Vector,
    BFloat16Vector,
    SparseFloatVector,
    Int8Vector,
}

impl MilvusType {
    /// Parses a schema type name (case-insensitive; `String` means VarChar).
    pub fn parse(name: &str) -> Option<MilvusType> {
        use MilvusType::*;
        Some(match name.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => Bool,
            "int8" => Int8,
            "int16" => Int16,
            "int32" => Int32,
            "int64" => Int64,
            "float" | "float32" => Float,
            "double" | "float64" => Double,
            "varchar" | "string" => VarChar,
            "json" => Json,
            "array" => Array,
            "floatvector" => FloatVector,
            "binaryvector" => BinaryVector,
            "float16vector" => Float16Vector,
            "bfloat16vector" => BFloat16Vector,
            "sparsefloatvector" => SparseFloatVector,
            "int8vector" => Int8Vector,
            _ => return None,
        })
    }
}

/// Vectors flattened row-major: row `i` is `values[i * dim .. (i + 1) * dim]`.
#[derive(Debug, Clone, PartialEq)]
pub struct F32Vectors {
    pub dim: u32,
    pub values: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct S8Vectors {
    pub dim: u32,
    pub values: Vec<i8>,
}

/// Binary (`dim / 8` bytes per row) or float16/bfloat16 (`2 * dim` bytes per row) vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct U8Vectors {
    pub bytes_per_row: u32,
    pub values: Vec<u8>,
}

/// Scalar values, one physical layout per case.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalars {
    Bools(Vec<bool>),
    I8s(Vec<i8>),
    I16s(Vec<i16>),
    I32s(Vec<i32>),
    I64s(Vec<i64>),
    F32s(Vec<f32>),
    F64s(Vec<f64>),
    /// VarChar, JSON text, sparse vectors as JSON text.
    Strings(Vec<String>),
    /// The same as `Strings`, already in the interface's layout (see [`StringsBuilder`]):
    /// no per-row allocation and no packing copy.
    Packed(PackedStrings),
}

/// Strings as one UTF-8 buffer and `rows + 1` byte offsets (row `i` is
/// `data[offsets[i]..offsets[i + 1]]`), the layout interface 0.2 carries and Arrow uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PackedStrings {
    pub offsets: Vec<u32>,
    pub data: String,
}

/// Builds a string column row by row into one buffer: append the pieces of a row
/// (`push_str`, `push`, or `write!` through [`std::fmt::Write`]), then `finish_row`.
///
/// ```
/// use milvus_ingest_sdk::StringsBuilder;
/// let mut b = StringsBuilder::with_capacity(2, 16);
/// b.push_str("hello");
/// b.push(' ');
/// b.push_str("world");
/// b.truncate_row(8);
/// b.finish_row();
/// b.finish_row(); // an empty row
/// let packed = b.finish();
/// assert_eq!(packed.offsets, vec![0, 8, 8]);
/// assert_eq!(packed.data, "hello wo");
/// ```
#[derive(Debug, Clone)]
pub struct StringsBuilder {
    packed: PackedStrings,
    row_start: usize,
}

impl StringsBuilder {
    /// Room for `rows` rows of `bytes` bytes in total.
    pub fn with_capacity(rows: usize, bytes: usize) -> StringsBuilder {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringsBuilder {
            packed: PackedStrings {
                offsets,
                data: String::with_capacity(bytes),
            },
            row_start: 0,
        }
    }

    pub fn push_str(&mut self, s: &str) {
        if s.len() <= 16 {
            push_short(&mut self.packed.data, s);
        } else {
            self.packed.data.push_str(s);
        }
    }

    pub fn push(&mut self, c: char) {
        self.packed.data.push(c);
    }

    /// Bytes in the row being built.
    pub fn row_len(&self) -> usize {
        self.packed.data.len() - self.row_start
    }

    /// Cuts the row being built to at most `max` bytes, never inside a character.
    pub fn truncate_row(&mut self, max: usize) {
        let row = &self.packed.data[self.row_start..];
        if row.len() > max {
            let mut end = max;
            while !row.is_char_boundary(end) {
                end -= 1;
            }
            self.packed.data.truncate(self.row_start + end);
        }
    }

    /// Ends the row being built (an empty one if nothing was pushed).
    pub fn finish_row(&mut self) {
        self.row_start = self.packed.data.len();
        self.packed.offsets.push(self.row_start as u32);
    }

    /// The rows finished so far (a row still being built is dropped).
    pub fn finish(mut self) -> PackedStrings {
        self.packed.data.truncate(self.row_start);
        self.packed
    }
}

/// Appends `s` (at most 16 bytes) with fixed-size word copies.
///
/// A variable-length copy compiles to WebAssembly's `memory.copy`, which wasmtime runs as a call
/// into the host: for a word of a few bytes that call costs several times the copy. Two
/// overlapping fixed-size loads and stores (8, 4 or 1 bytes wide) need no call.
#[inline]
fn push_short(data: &mut String, s: &str) {
    let src = s.as_bytes();
    let n = src.len();
    debug_assert!(n <= 16);
    // SAFETY: `s` is a whole `&str`, so the buffer stays UTF-8; the writes below stay within
    // the `n` reserved bytes after the current length, which `set_len` then covers.
    unsafe {
        let buf = data.as_mut_vec();
        buf.reserve(n);
        let len = buf.len();
        let dst = buf.as_mut_ptr().add(len);
        if n >= 8 {
            let head = u64::from_ne_bytes(src[..8].try_into().unwrap());
            let tail = u64::from_ne_bytes(src[n - 8..].try_into().unwrap());
            dst.cast::<u64>().write_unaligned(head);
            dst.add(n - 8).cast::<u64>().write_unaligned(tail);
        } else if n >= 4 {
            let head = u32::from_ne_bytes(src[..4].try_into().unwrap());
            let tail = u32::from_ne_bytes(src[n - 4..].try_into().unwrap());
            dst.cast::<u32>().write_unaligned(head);
            dst.add(n - 4).cast::<u32>().write_unaligned(tail);
        } else if n > 0 {
            *dst = src[0];
            *dst.add(n / 2) = src[n / 2];
            *dst.add(n - 1) = src[n - 1];
        }
        buf.set_len(len + n);
    }
}

impl std::fmt::Write for StringsBuilder {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// Array fields: row `i` holds `lengths[i]` consecutive elements of `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrays {
    pub lengths: Vec<u32>,
    pub values: Scalars,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Scalar(Scalars),
    Array(Arrays),
    FloatVectors(F32Vectors),
    Int8Vectors(S8Vectors),
    ByteVectors(U8Vectors),
}

/// One column; `nulls` (true = null) has one entry per row when present.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub data: ColumnData,
    pub nulls: Option<Vec<bool>>,
}

impl Column {
    pub fn new(data: ColumnData) -> Column {
        Column { data, nulls: None }
    }

    pub fn strings(values: Vec<String>) -> Column {
        Column::new(ColumnData::Scalar(Scalars::Strings(values)))
    }

    /// A string column from a [`StringsBuilder`] (the cheapest way to return many strings).
    pub fn packed_strings(values: PackedStrings) -> Column {
        Column::new(ColumnData::Scalar(Scalars::Packed(values)))
    }

    pub fn float_vectors(dim: u32, values: Vec<f32>) -> Column {
        Column::new(ColumnData::FloatVectors(F32Vectors { dim, values }))
    }

    pub fn f64_arrays(lengths: Vec<u32>, values: Vec<f64>) -> Column {
        Column::new(ColumnData::Array(Arrays {
            lengths,
            values: Scalars::F64s(values),
        }))
    }

    /// Marks rows as null (the host checks the field is nullable).
    pub fn with_nulls(mut self, nulls: Vec<bool>) -> Column {
        self.nulls = Some(nulls);
        self
    }
}

/// One generator or validator a plugin exports.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    pub description: String,
    pub types: Vec<MilvusType>,
    /// JSON Schema of the params object.
    pub params_schema: String,
}

impl FunctionInfo {
    pub fn new(name: &str, description: &str, types: &[MilvusType]) -> FunctionInfo {
        FunctionInfo {
            name: name.to_string(),
            description: description.to_string(),
            types: types.to_vec(),
            params_schema: r#"{"type":"object"}"#.to_string(),
        }
    }

    pub fn params_schema(mut self, schema: serde_json::Value) -> FunctionInfo {
        self.params_schema = schema.to_string();
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub functions: Vec<FunctionInfo>,
    /// Output depends only on each request (no WASI randomness or clocks, no state kept between
    /// calls): the host may then reuse one instance for many calls. Default false.
    pub stateless: bool,
}

impl PluginInfo {
    pub fn new(name: &str, version: &str, description: &str) -> PluginInfo {
        PluginInfo {
            name: name.to_string(),
            version: version.to_string(),
            description: description.to_string(),
            functions: Vec::new(),
            stateless: false,
        }
    }

    /// Declares the plugin stateless (see [`PluginInfo::stateless`]).
    pub fn stateless(mut self) -> PluginInfo {
        self.stateless = true;
        self
    }

    pub fn function(mut self, f: FunctionInfo) -> PluginInfo {
        self.functions.push(f);
        self
    }
}

/// Packs strings into (offsets, bytes), the layout strings cross the boundary in.
#[doc(hidden)]
pub fn pack_strings(values: Vec<String>) -> (Vec<u32>, Vec<u8>) {
    // Through the builder, so short values (enum labels, words) skip `memory.copy` too.
    let total: usize = values.iter().map(String::len).sum();
    let mut b = StringsBuilder::with_capacity(values.len(), total);
    for v in &values {
        b.push_str(v);
        b.finish_row();
    }
    let packed = b.finish();
    (packed.offsets, packed.data.into_bytes())
}

/// The inverse of [`pack_strings`] (the host sends valid UTF-8 on valid offsets).
#[doc(hidden)]
pub fn unpack_strings(offsets: &[u32], data: &[u8]) -> Vec<String> {
    offsets
        .windows(2)
        .map(|w| String::from_utf8_lossy(&data[w[0] as usize..w[1] as usize]).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_pushes_copy_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyzé0123456789";
        for n in 0..=text.len() {
            let Some(piece) = text.get(..n) else { continue };
            let mut b = StringsBuilder::with_capacity(1, 0);
            b.push_str("x");
            b.push_str(piece);
            b.push_str(piece);
            b.finish_row();
            assert_eq!(b.finish().data, format!("x{piece}{piece}"));
        }
    }

    #[test]
    fn strings_pack_and_unpack() {
        let v = vec!["a".to_string(), String::new(), "héllo".to_string()];
        let (o, d) = pack_strings(v.clone());
        assert_eq!(o, vec![0, 1, 1, 7]);
        assert_eq!(unpack_strings(&o, &d), v);
    }
}
