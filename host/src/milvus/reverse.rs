//! The other direction of `ddl.rs`: a described `CollectionSchema` (and its indexes) back into
//! our [`Schema`] model, so an existing collection can be rebuilt as it is (index-only rebuild)
//! and compared field by field with a new schema. Pure functions: no RPCs here.

use ::milvus::proto::schema::{
    CollectionSchema, DataType as PType, FieldSchema, FunctionType, value_field,
};
use serde_json::{Map, Value};

use super::admin::IndexInfo;
use crate::schema::{DataType, Field, Function, IndexSpec, Schema};

/// Our type for a proto type code (`None` for types we do not model, e.g. Geometry).
pub fn data_type(code: i32) -> Option<DataType> {
    let t = PType::try_from(code).ok()?;
    Some(match t {
        PType::Bool => DataType::Bool,
        PType::Int8 => DataType::Int8,
        PType::Int16 => DataType::Int16,
        PType::Int32 => DataType::Int32,
        PType::Int64 => DataType::Int64,
        PType::Float => DataType::Float,
        PType::Double => DataType::Double,
        PType::VarChar | PType::String => DataType::VarChar,
        PType::Json => DataType::Json,
        PType::Array => DataType::Array,
        PType::FloatVector => DataType::FloatVector,
        PType::BinaryVector => DataType::BinaryVector,
        PType::Float16Vector => DataType::Float16Vector,
        PType::BFloat16Vector => DataType::BFloat16Vector,
        PType::SparseFloatVector => DataType::SparseFloatVector,
        PType::Int8Vector => DataType::Int8Vector,
        _ => return None,
    })
}

fn param(f: &FieldSchema, key: &str) -> Option<u32> {
    f.type_params
        .iter()
        .chain(f.index_params.iter())
        .find(|p| p.key == key)
        .and_then(|p| p.value.trim().parse().ok())
}

fn default_json(f: &FieldSchema) -> Option<Value> {
    use value_field::Data;
    Some(match f.default_value.as_ref()?.data.as_ref()? {
        Data::BoolData(b) => Value::Bool(*b),
        Data::IntData(i) => Value::from(*i),
        Data::LongData(i) => Value::from(*i),
        Data::FloatData(x) => serde_json::Number::from_f64(*x as f64).map(Value::Number)?,
        Data::DoubleData(x) => serde_json::Number::from_f64(*x).map(Value::Number)?,
        Data::StringData(s) => Value::String(s.clone()),
        _ => return None,
    })
}

/// A described field that our model cannot hold (an unknown type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmodelled {
    pub field: String,
    pub type_code: i32,
}

/// The schema of a described collection, with each field's index from `indexes`. Fields of
/// types we do not model are returned separately (the caller refuses to rebuild them).
pub fn schema_of(described: &CollectionSchema, indexes: &[IndexInfo]) -> (Schema, Vec<Unmodelled>) {
    let mut fields = Vec::new();
    let mut unknown = Vec::new();
    for f in &described.fields {
        if f.is_dynamic || f.name == "$meta" {
            continue;
        }
        let Some(t) = data_type(f.data_type) else {
            unknown.push(Unmodelled {
                field: f.name.clone(),
                type_code: f.data_type,
            });
            continue;
        };
        let element_type = (t == DataType::Array)
            .then(|| data_type(f.element_type))
            .flatten();
        let value_type = element_type.unwrap_or(t);
        let index = indexes
            .iter()
            .find(|i| i.field == f.name)
            .map(|i| IndexSpec {
                index_type: i.index_type.clone(),
                metric_type: i.metric_type.clone(),
                params: i.params.clone(),
            });
        fields.push(Field {
            name: f.name.clone(),
            data_type: t,
            description: f.description.clone(),
            is_primary: f.is_primary_key,
            auto_id: f.is_primary_key && f.auto_id,
            is_partition_key: f.is_partition_key,
            nullable: f.nullable,
            default_value: default_json(f),
            max_length: (value_type == DataType::VarChar)
                .then(|| param(f, "max_length"))
                .flatten(),
            dim: t.is_dense_vector().then(|| param(f, "dim")).flatten(),
            element_type,
            max_capacity: (t == DataType::Array)
                .then(|| param(f, "max_capacity"))
                .flatten(),
            index,
            ..Field::default()
        });
    }
    let functions = described
        .functions
        .iter()
        .map(|f| Function {
            name: f.name.clone(),
            function_type: if f.r#type == FunctionType::Bm25 as i32 {
                "BM25".to_string()
            } else {
                FunctionType::try_from(f.r#type)
                    .map(|t| t.as_str_name().to_string())
                    .unwrap_or_default()
            },
            input_field_names: f.input_field_names.clone(),
            output_field_names: f.output_field_names.clone(),
            params: f
                .params
                .iter()
                .map(|p| (p.key.clone(), Value::String(p.value.clone())))
                .collect::<Map<_, _>>(),
        })
        .collect();
    (
        Schema {
            collection_name: described.name.clone(),
            description: described.description.clone(),
            fields,
            enable_dynamic_field: described.enable_dynamic_field,
            dynamic_fields: Vec::new(),
            functions,
            validators: Vec::new(),
        },
        unknown,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::milvus::ddl::collection_schema;
    use crate::schema::load_builtin;

    #[test]
    fn a_schema_survives_the_round_trip_through_the_proto() {
        for name in [
            "simple",
            "ecommerce_search",
            "news_articles",
            "knowledge_base",
        ] {
            let mut original = load_builtin(name).unwrap();
            let proto = collection_schema(&original, "c");
            let (back, unknown) = schema_of(&proto, &[]);
            assert!(unknown.is_empty());
            // Generation controls do not travel through Milvus; compare what does.
            for f in &mut original.fields {
                *f = Field {
                    name: f.name.clone(),
                    data_type: f.data_type,
                    description: f.description.clone(),
                    is_primary: f.is_primary,
                    auto_id: f.is_primary && f.auto_id,
                    is_partition_key: f.is_partition_key,
                    nullable: f.nullable,
                    default_value: f.default_value.clone(),
                    max_length: (f.value_type() == DataType::VarChar)
                        .then(|| f.max_length.unwrap_or(65535)),
                    dim: f.dim.filter(|_| f.data_type.is_dense_vector()),
                    element_type: f.element_type.filter(|_| f.data_type == DataType::Array),
                    max_capacity: (f.data_type == DataType::Array)
                        .then(|| f.max_capacity.unwrap_or(4096)),
                    ..Field::default()
                };
            }
            assert_eq!(back.fields, original.fields, "{name}");
            assert_eq!(back.enable_dynamic_field, original.enable_dynamic_field);
        }
    }
}
