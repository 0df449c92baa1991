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
    let total: usize = values.iter().map(String::len).sum();
    let mut offsets = Vec::with_capacity(values.len() + 1);
    let mut data = Vec::with_capacity(total);
    offsets.push(0);
    for v in values {
        data.extend_from_slice(v.as_bytes());
        offsets.push(data.len() as u32);
    }
    (offsets, data)
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
    fn strings_pack_and_unpack() {
        let v = vec!["a".to_string(), String::new(), "héllo".to_string()];
        let (o, d) = pack_strings(v.clone());
        assert_eq!(o, vec![0, 1, 1, 7]);
        assert_eq!(unpack_strings(&o, &d), v);
    }
}
