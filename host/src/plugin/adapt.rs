//! Conversions between interface versions: 0.1 values to the 0.2 shapes the host speaks, and
//! 0.2 requests to what a 0.1 component expects. The shapes are identical except where 0.2
//! added something (`stateless`, sync params and deletes), so these only move values.

use super::wit::{v0_1 as old, v0_2 as new};

impl From<old::Scalars> for new::Scalars {
    fn from(s: old::Scalars) -> Self {
        match s {
            old::Scalars::Bools(v) => new::Scalars::Bools(v),
            old::Scalars::I8s(v) => new::Scalars::I8s(v),
            old::Scalars::I16s(v) => new::Scalars::I16s(v),
            old::Scalars::I32s(v) => new::Scalars::I32s(v),
            old::Scalars::I64s(v) => new::Scalars::I64s(v),
            old::Scalars::F32s(v) => new::Scalars::F32s(v),
            old::Scalars::F64s(v) => new::Scalars::F64s(v),
            old::Scalars::Strings(p) => new::Scalars::Strings(new::PackedStrings {
                offsets: p.offsets,
                data: p.data,
            }),
        }
    }
}

impl From<new::Scalars> for old::Scalars {
    fn from(s: new::Scalars) -> Self {
        match s {
            new::Scalars::Bools(v) => old::Scalars::Bools(v),
            new::Scalars::I8s(v) => old::Scalars::I8s(v),
            new::Scalars::I16s(v) => old::Scalars::I16s(v),
            new::Scalars::I32s(v) => old::Scalars::I32s(v),
            new::Scalars::I64s(v) => old::Scalars::I64s(v),
            new::Scalars::F32s(v) => old::Scalars::F32s(v),
            new::Scalars::F64s(v) => old::Scalars::F64s(v),
            new::Scalars::Strings(p) => old::Scalars::Strings(old::PackedStrings {
                offsets: p.offsets,
                data: p.data,
            }),
        }
    }
}

/// One direction of the column conversion; the macro writes both (the shapes are the same).
macro_rules! column_from {
    ($from:ident, $to:ident) => {
        impl From<$from::Column> for $to::Column {
            fn from(c: $from::Column) -> Self {
                let data = match c.data {
                    $from::ColumnData::Scalar(s) => $to::ColumnData::Scalar(s.into()),
                    $from::ColumnData::Array(a) => $to::ColumnData::Array($to::Arrays {
                        lengths: a.lengths,
                        values: a.values.into(),
                    }),
                    $from::ColumnData::FloatVectors(v) => {
                        $to::ColumnData::FloatVectors($to::F32Vectors {
                            dim: v.dim,
                            values: v.values,
                        })
                    }
                    $from::ColumnData::Int8Vectors(v) => {
                        $to::ColumnData::Int8Vectors($to::S8Vectors {
                            dim: v.dim,
                            values: v.values,
                        })
                    }
                    $from::ColumnData::ByteVectors(v) => {
                        $to::ColumnData::ByteVectors($to::U8Vectors {
                            bytes_per_row: v.bytes_per_row,
                            values: v.values,
                        })
                    }
                };
                $to::Column {
                    data,
                    nulls: c.nulls,
                }
            }
        }
    };
}
column_from!(old, new);
column_from!(new, old);

impl From<old::MilvusType> for new::MilvusType {
    fn from(t: old::MilvusType) -> Self {
        use new::MilvusType as N;
        use old::MilvusType as O;
        match t {
            O::Bool => N::Bool,
            O::Int8 => N::Int8,
            O::Int16 => N::Int16,
            O::Int32 => N::Int32,
            O::Int64 => N::Int64,
            O::Float => N::Float,
            O::Double => N::Double,
            O::Varchar => N::Varchar,
            O::Json => N::Json,
            O::Array => N::Array,
            O::FloatVector => N::FloatVector,
            O::BinaryVector => N::BinaryVector,
            O::Float16Vector => N::Float16Vector,
            O::Bfloat16Vector => N::Bfloat16Vector,
            O::SparseFloatVector => N::SparseFloatVector,
            O::Int8Vector => N::Int8Vector,
        }
    }
}

impl From<old::PluginInfo> for new::PluginInfo {
    /// 0.1 plugins never declared themselves stateless: they keep a fresh instance per call.
    fn from(i: old::PluginInfo) -> Self {
        new::PluginInfo {
            name: i.name,
            version: i.version,
            description: i.description,
            functions: i
                .functions
                .into_iter()
                .map(|f| new::FunctionInfo {
                    name: f.name,
                    description: f.description,
                    types: f.types.into_iter().map(Into::into).collect(),
                    params_schema: f.params_schema,
                })
                .collect(),
            stateless: false,
        }
    }
}

impl From<&new::GenerateRequest> for old::GenerateRequest {
    fn from(r: &new::GenerateRequest) -> Self {
        old::GenerateRequest {
            generator: r.generator.clone(),
            field: r.field.clone(),
            params: r.params.clone(),
            seed: r.seed,
            first_row: r.first_row,
            row_count: r.row_count,
        }
    }
}

impl From<&new::ValidateRequest> for old::ValidateRequest {
    fn from(r: &new::ValidateRequest) -> Self {
        old::ValidateRequest {
            validator: r.validator.clone(),
            params: r.params.clone(),
            first_row: r.first_row,
            columns: r
                .columns
                .iter()
                .map(|c| old::NamedColumn {
                    name: c.name.clone(),
                    field: c.field.clone(),
                    column: c.column.clone().into(),
                })
                .collect(),
        }
    }
}

impl From<old::Violation> for new::Violation {
    fn from(v: old::Violation) -> Self {
        new::Violation {
            row: v.row,
            field: v.field,
            message: v.message,
        }
    }
}

impl From<old::document_sync::ConvertResult> for new::document_sync::ConvertResult {
    /// 0.1 handlers cannot delete: `deletes` is empty.
    fn from(r: old::document_sync::ConvertResult) -> Self {
        use new::document_sync as n;
        n::ConvertResult {
            entities: r
                .entities
                .into_iter()
                .map(|e| n::Entity {
                    index: e.index,
                    row: e.row,
                })
                .collect(),
            skipped: r
                .skipped
                .into_iter()
                .map(|s| n::Skip {
                    index: s.index,
                    id: s.id,
                    reason: s.reason,
                })
                .collect(),
            deletes: Vec::new(),
        }
    }
}
