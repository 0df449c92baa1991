//! Field generators: the trait a plugin implements and the macro that exports it.

use crate::field::FieldSpec;
use crate::types::{Column, PluginInfo};

/// One `generate` call: rows `first_row .. first_row + row_count` of `field`.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// Which of the plugin's generators was asked for.
    pub generator: String,
    pub field: FieldSpec,
    /// The field exactly as the host sent it (schema JSON).
    pub field_json: String,
    /// The schema's `params` object (`Value::Null` when absent).
    pub params: serde_json::Value,
    pub seed: u64,
    pub first_row: u64,
    pub row_count: u32,
}

impl GenerateRequest {
    #[doc(hidden)]
    pub fn from_wire(
        generator: String,
        field_json: String,
        params: &str,
        seed: u64,
        first_row: u64,
        row_count: u32,
    ) -> Result<GenerateRequest, String> {
        let field = FieldSpec::parse(&field_json)?;
        let params = if params.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(params).map_err(|e| format!("params: {e}"))?
        };
        Ok(GenerateRequest {
            generator,
            field,
            field_json,
            params,
            seed,
            first_row,
            row_count,
        })
    }

    /// Dataset row indices of this call.
    pub fn rows(&self) -> std::ops::Range<u64> {
        self.first_row..self.first_row + u64::from(self.row_count)
    }

    /// A number param, or `default` when absent.
    pub fn param_f64(&self, key: &str, default: f64) -> Result<f64, String> {
        match self.params.get(key) {
            None | Some(serde_json::Value::Null) => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| format!("param `{key}` must be a number, got {v}")),
        }
    }

    /// A string param, or `default` when absent.
    pub fn param_str<'a>(&'a self, key: &str, default: &'a str) -> Result<&'a str, String> {
        match self.params.get(key) {
            None | Some(serde_json::Value::Null) => Ok(default),
            Some(v) => v
                .as_str()
                .ok_or_else(|| format!("param `{key}` must be a string, got {v}")),
        }
    }
}

/// A field-generator plugin. Implement it on a unit struct and call [`crate::export_generator!`].
pub trait Generator {
    /// Name, version, and the generators this plugin offers with their types and params.
    fn info() -> PluginInfo;
    /// The column for `req`: exactly `req.row_count` rows of the field's type.
    fn generate(req: GenerateRequest) -> Result<Column, String>;
}

/// Exports a [`Generator`] implementation as the component's `field-generator` world.
#[macro_export]
macro_rules! export_generator {
    ($ty:ty) => {
        #[doc(hidden)]
        #[cfg(target_arch = "wasm32")]
        #[allow(clippy::all, unused)]
        mod __milvus_ingest_export {
            use super::*;
            $crate::__milvus_ingest_bindings!(field_generator);
            $crate::__milvus_ingest_convert!();
            use exports::milvus_ingest::plugin::field_generation as api;

            struct Glue;
            impl api::Guest for Glue {
                fn describe() -> wt::PluginInfo {
                    info_out(<$ty as $crate::Generator>::info())
                }
                fn generate(r: api::GenerateRequest) -> Result<wt::Column, String> {
                    let req = $crate::GenerateRequest::from_wire(
                        r.generator,
                        r.field,
                        &r.params,
                        r.seed,
                        r.first_row,
                        r.row_count,
                    )?;
                    <$ty as $crate::Generator>::generate(req).map(column_out)
                }
            }
            export!(Glue);
        }
    };
}

/// Conversions between the SDK's types and the generated bindings (expanded in the plugin crate,
/// where the generated types live).
#[doc(hidden)]
#[macro_export]
macro_rules! __milvus_ingest_convert {
    () => {
        use milvus_ingest::plugin::types as wt;

        fn scalars_out(s: $crate::Scalars) -> wt::Scalars {
            use $crate::Scalars as S;
            match s {
                S::Bools(v) => wt::Scalars::Bools(v),
                S::I8s(v) => wt::Scalars::I8s(v),
                S::I16s(v) => wt::Scalars::I16s(v),
                S::I32s(v) => wt::Scalars::I32s(v),
                S::I64s(v) => wt::Scalars::I64s(v),
                S::F32s(v) => wt::Scalars::F32s(v),
                S::F64s(v) => wt::Scalars::F64s(v),
                S::Strings(v) => {
                    let (offsets, data) = $crate::pack_strings(v);
                    wt::Scalars::Strings(wt::PackedStrings { offsets, data })
                }
                S::Packed(p) => wt::Scalars::Strings(wt::PackedStrings {
                    offsets: p.offsets,
                    data: p.data.into_bytes(),
                }),
            }
        }

        fn scalars_in(s: wt::Scalars) -> $crate::Scalars {
            use $crate::Scalars as S;
            match s {
                wt::Scalars::Bools(v) => S::Bools(v),
                wt::Scalars::I8s(v) => S::I8s(v),
                wt::Scalars::I16s(v) => S::I16s(v),
                wt::Scalars::I32s(v) => S::I32s(v),
                wt::Scalars::I64s(v) => S::I64s(v),
                wt::Scalars::F32s(v) => S::F32s(v),
                wt::Scalars::F64s(v) => S::F64s(v),
                wt::Scalars::Strings(p) => S::Strings($crate::unpack_strings(&p.offsets, &p.data)),
            }
        }

        fn column_out(c: $crate::Column) -> wt::Column {
            use $crate::ColumnData as D;
            let data = match c.data {
                D::Scalar(s) => wt::ColumnData::Scalar(scalars_out(s)),
                D::Array(a) => wt::ColumnData::Array(wt::Arrays {
                    lengths: a.lengths,
                    values: scalars_out(a.values),
                }),
                D::FloatVectors(v) => wt::ColumnData::FloatVectors(wt::F32Vectors {
                    dim: v.dim,
                    values: v.values,
                }),
                D::Int8Vectors(v) => wt::ColumnData::Int8Vectors(wt::S8Vectors {
                    dim: v.dim,
                    values: v.values,
                }),
                D::ByteVectors(v) => wt::ColumnData::ByteVectors(wt::U8Vectors {
                    bytes_per_row: v.bytes_per_row,
                    values: v.values,
                }),
            };
            wt::Column {
                data,
                nulls: c.nulls,
            }
        }

        fn column_in(c: wt::Column) -> $crate::Column {
            use $crate::ColumnData as D;
            let data = match c.data {
                wt::ColumnData::Scalar(s) => D::Scalar(scalars_in(s)),
                wt::ColumnData::Array(a) => D::Array($crate::Arrays {
                    lengths: a.lengths,
                    values: scalars_in(a.values),
                }),
                wt::ColumnData::FloatVectors(v) => D::FloatVectors($crate::F32Vectors {
                    dim: v.dim,
                    values: v.values,
                }),
                wt::ColumnData::Int8Vectors(v) => D::Int8Vectors($crate::S8Vectors {
                    dim: v.dim,
                    values: v.values,
                }),
                wt::ColumnData::ByteVectors(v) => D::ByteVectors($crate::U8Vectors {
                    bytes_per_row: v.bytes_per_row,
                    values: v.values,
                }),
            };
            $crate::Column {
                data,
                nulls: c.nulls,
            }
        }

        fn type_out(t: $crate::MilvusType) -> wt::MilvusType {
            use $crate::MilvusType as M;
            match t {
                M::Bool => wt::MilvusType::Bool,
                M::Int8 => wt::MilvusType::Int8,
                M::Int16 => wt::MilvusType::Int16,
                M::Int32 => wt::MilvusType::Int32,
                M::Int64 => wt::MilvusType::Int64,
                M::Float => wt::MilvusType::Float,
                M::Double => wt::MilvusType::Double,
                M::VarChar => wt::MilvusType::Varchar,
                M::Json => wt::MilvusType::Json,
                M::Array => wt::MilvusType::Array,
                M::FloatVector => wt::MilvusType::FloatVector,
                M::BinaryVector => wt::MilvusType::BinaryVector,
                M::Float16Vector => wt::MilvusType::Float16Vector,
                M::BFloat16Vector => wt::MilvusType::Bfloat16Vector,
                M::SparseFloatVector => wt::MilvusType::SparseFloatVector,
                M::Int8Vector => wt::MilvusType::Int8Vector,
            }
        }

        fn info_out(i: $crate::PluginInfo) -> wt::PluginInfo {
            wt::PluginInfo {
                name: i.name,
                version: i.version,
                description: i.description,
                functions: i
                    .functions
                    .into_iter()
                    .map(|f| wt::FunctionInfo {
                        name: f.name,
                        description: f.description,
                        types: f.types.into_iter().map(type_out).collect(),
                        params_schema: f.params_schema,
                    })
                    .collect(),
                stateless: i.stateless,
            }
        }
    };
}
