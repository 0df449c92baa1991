//! From our [`Schema`] to Milvus' `CollectionSchema` and index parameters, and the comparison
//! of an existing collection with the one a dataset needs. Pure functions: no RPCs here.

use ::milvus::proto::common::KeyValuePair;
use ::milvus::proto::schema::{
    CollectionSchema, DataType as PType, FieldSchema, FunctionSchema, FunctionType, ValueField,
    value_field,
};
use serde_json::{Map, Value};

use super::client::ServerVersion;
use super::error::{MilvusError, Result};
use crate::schema::{DataType, Field, Schema};

pub fn proto_type(t: DataType) -> PType {
    match t {
        DataType::Bool => PType::Bool,
        DataType::Int8 => PType::Int8,
        DataType::Int16 => PType::Int16,
        DataType::Int32 => PType::Int32,
        DataType::Int64 => PType::Int64,
        DataType::Float => PType::Float,
        DataType::Double => PType::Double,
        DataType::VarChar => PType::VarChar,
        DataType::Json => PType::Json,
        DataType::Array => PType::Array,
        DataType::FloatVector => PType::FloatVector,
        DataType::BinaryVector => PType::BinaryVector,
        DataType::Float16Vector => PType::Float16Vector,
        DataType::BFloat16Vector => PType::BFloat16Vector,
        DataType::SparseFloatVector => PType::SparseFloatVector,
        DataType::Int8Vector => PType::Int8Vector,
    }
}

fn kv(key: &str, value: impl ToString) -> KeyValuePair {
    KeyValuePair {
        key: key.to_string(),
        value: value.to_string(),
    }
}

/// Checks that the server can hold the schema; lists every feature it lacks.
pub fn check_support(schema: &Schema, version: &ServerVersion) -> Result<()> {
    let mut missing: Vec<String> = Vec::new();
    let dense: Vec<&str> = schema.vector_fields().map(|f| f.name.as_str()).collect();
    if !version.at_least(2, 4) && dense.len() > 1 {
        missing.push(format!(
            "more than one vector field ({}); Milvus 2.4+ allows several",
            dense.join(", ")
        ));
    }
    for f in &schema.fields {
        let needs = match f.data_type {
            DataType::Float16Vector | DataType::BFloat16Vector | DataType::SparseFloatVector => {
                Some((2, 4))
            }
            DataType::Int8Vector => Some((2, 6)),
            _ => None,
        };
        if let Some((a, b)) = needs
            && !version.at_least(a, b)
        {
            missing.push(format!(
                "field `{}`: {} needs Milvus {a}.{b}+",
                f.name, f.data_type
            ));
        }
        if f.nullable && !version.at_least(2, 5) {
            missing.push(format!("field `{}`: nullable needs Milvus 2.5+", f.name));
        }
        if f.default_value.is_some() && !version.at_least(2, 5) {
            missing.push(format!(
                "field `{}`: default_value needs Milvus 2.5+",
                f.name
            ));
        }
    }
    if !schema.functions.is_empty() && !version.at_least(2, 5) {
        missing.push("BM25 functions need Milvus 2.5+".to_string());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MilvusError::Unsupported {
            version: version.to_string(),
            feature: format!("schema `{}`", schema.collection_name),
            hint: missing.join("; "),
        })
    }
}

fn default_value(field: &Field) -> Option<ValueField> {
    use value_field::Data;
    let v = field.default_value.as_ref()?;
    let data = match field.data_type {
        DataType::Bool => Data::BoolData(v.as_bool()?),
        DataType::Int8 | DataType::Int16 | DataType::Int32 => Data::IntData(v.as_i64()? as i32),
        DataType::Int64 => Data::LongData(v.as_i64()?),
        DataType::Float => Data::FloatData(v.as_f64()? as f32),
        DataType::Double => Data::DoubleData(v.as_f64()?),
        DataType::VarChar => Data::StringData(v.as_str()?.to_string()),
        _ => return None,
    };
    Some(ValueField { data: Some(data) })
}

fn field_schema(field: &Field, schema: &Schema) -> FieldSchema {
    let mut type_params = Vec::new();
    if field.data_type.is_dense_vector() {
        type_params.push(kv("dim", field.dim.unwrap_or(0)));
    }
    if field.value_type() == DataType::VarChar {
        type_params.push(kv("max_length", field.max_length.unwrap_or(65535)));
    }
    if field.data_type == DataType::Array {
        type_params.push(kv("max_capacity", field.max_capacity.unwrap_or(4096)));
    }
    let bm25_input = schema
        .functions
        .iter()
        .any(|f| f.input_field_names.contains(&field.name));
    if bm25_input {
        type_params.push(kv("enable_analyzer", "true"));
    }
    let is_output = schema.function_outputs().any(|o| o == field.name);
    FieldSchema {
        name: field.name.clone(),
        description: field.description.clone(),
        is_primary_key: field.is_primary,
        auto_id: field.is_primary && field.auto_id,
        data_type: proto_type(field.data_type) as i32,
        element_type: if field.data_type == DataType::Array {
            proto_type(field.value_type()) as i32
        } else {
            0
        },
        type_params,
        is_partition_key: field.is_partition_key,
        nullable: field.nullable,
        default_value: default_value(field),
        is_function_output: is_output,
        ..Default::default()
    }
}

/// The `CollectionSchema` for `schema` (named `name`).
pub fn collection_schema(schema: &Schema, name: &str) -> CollectionSchema {
    let functions = schema
        .functions
        .iter()
        .map(|f| FunctionSchema {
            name: f.name.clone(),
            r#type: if f.function_type.eq_ignore_ascii_case("bm25") {
                FunctionType::Bm25 as i32
            } else {
                FunctionType::Unknown as i32
            },
            input_field_names: f.input_field_names.clone(),
            output_field_names: f.output_field_names.clone(),
            params: f.params.iter().map(|(k, v)| kv(k, json_text(v))).collect(),
            ..Default::default()
        })
        .collect();
    CollectionSchema {
        name: name.to_string(),
        description: schema.description.clone(),
        fields: schema
            .fields
            .iter()
            .map(|f| field_schema(f, schema))
            .collect(),
        enable_dynamic_field: schema.enable_dynamic_field,
        functions,
        ..Default::default()
    }
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One index to create: on `field`, with `params` as `CreateIndex` extra params.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPlan {
    pub field: String,
    pub index_type: String,
    pub metric_type: Option<String>,
    pub params: Map<String, Value>,
}

/// The metric a vector field is searched with: its index's, else its own, else the default.
pub fn metric_of(field: &Field, schema: &Schema) -> String {
    let is_bm25 = schema.function_outputs().any(|o| o == field.name);
    field
        .index
        .as_ref()
        .and_then(|i| i.metric_type.clone())
        .or_else(|| field.metric_type.clone())
        .unwrap_or_else(|| {
            match field.data_type {
                _ if is_bm25 => "BM25",
                DataType::BinaryVector => "HAMMING",
                DataType::SparseFloatVector => "IP",
                _ => "COSINE",
            }
            .to_string()
        })
        .to_ascii_uppercase()
}

/// Index types as Milvus spells them: the server compares names case-sensitively (2.3 refuses
/// `TRIE`, wanting `Trie`) and DescribeIndex reports them back in this spelling.
const INDEX_TYPES: &[&str] = &[
    "AUTOINDEX",
    "FLAT",
    "IVF_FLAT",
    "IVF_SQ8",
    "IVF_PQ",
    "IVF_RABITQ",
    "HNSW",
    "HNSW_SQ",
    "HNSW_PQ",
    "HNSW_PRQ",
    "DISKANN",
    "SCANN",
    "BIN_FLAT",
    "BIN_IVF_FLAT",
    "SPARSE_INVERTED_INDEX",
    "SPARSE_WAND",
    "GPU_IVF_FLAT",
    "GPU_IVF_PQ",
    "GPU_CAGRA",
    "GPU_BRUTE_FORCE",
    "MINHASH_LSH",
    "Trie",
    "STL_SORT",
    "INVERTED",
    "BITMAP",
    "NGRAM",
    "RTREE",
];

/// `index_type` in the server's own spelling (any case accepted; unknown names kept as given).
pub fn index_type_name(index_type: &str) -> String {
    let t = index_type.trim();
    INDEX_TYPES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(t))
        .map_or_else(|| t.to_string(), |k| k.to_string())
}

/// The index type `version` builds for a scalar field declaring `index_type`. A scalar
/// AUTOINDEX becomes what the server can build: servers before 2.4 have none ("index type not
/// match ... expected=Trie") and get what 2.4+ would pick, `Trie` on VarChar and `STL_SORT` on
/// numbers; Milvus Lite 3.x (`milvus_lite-3.2.2`, a Python re-implementation) builds only
/// `INVERTED` scalar indexes ("AUTOINDEX requires a vector field").
pub fn scalar_index_type(index_type: &str, field: &Field, version: &ServerVersion) -> String {
    let name = index_type_name(index_type);
    if name != "AUTOINDEX" {
        return name;
    }
    if is_python_lite(version) {
        return "INVERTED".to_string();
    }
    if version.at_least(2, 4) {
        return name;
    }
    match field.data_type {
        DataType::VarChar => "Trie".to_string(),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float
        | DataType::Double => "STL_SORT".to_string(),
        _ => name,
    }
}

/// Milvus Lite 3.x, which answers GetVersion with `milvus_lite-<its own version>` (Milvus
/// 2.3's `milvus-server` build says `v2.3.5-lite`, a real Milvus).
fn is_python_lite(version: &ServerVersion) -> bool {
    version
        .text
        .as_deref()
        .is_some_and(|t| t.starts_with("milvus_lite"))
}

/// Indexes for every vector field (declared or default) and every scalar field that declares
/// one, with index types named as `version` wants them (see [`scalar_index_type`]).
pub fn index_plans(
    schema: &Schema,
    use_autoindex: bool,
    version: &ServerVersion,
) -> Vec<IndexPlan> {
    let mut plans = Vec::new();
    for field in &schema.fields {
        let declared = field.index.as_ref();
        if !field.data_type.is_vector() {
            if let Some(spec) = declared {
                plans.push(IndexPlan {
                    field: field.name.clone(),
                    index_type: scalar_index_type(&spec.index_type, field, version),
                    metric_type: None,
                    params: spec.params.clone(),
                });
            }
            continue;
        }
        let metric = Some(metric_of(field, schema));
        let plan = match (declared, use_autoindex) {
            (_, true) => IndexPlan {
                field: field.name.clone(),
                index_type: "AUTOINDEX".to_string(),
                metric_type: metric,
                params: Map::new(),
            },
            (Some(spec), false) => IndexPlan {
                field: field.name.clone(),
                index_type: index_type_name(&spec.index_type),
                metric_type: metric,
                params: spec.params.clone(),
            },
            (None, false) => {
                let (index_type, params) = match field.data_type {
                    DataType::BinaryVector => ("BIN_IVF_FLAT", serde_json::json!({"nlist": 128})),
                    DataType::SparseFloatVector => ("SPARSE_INVERTED_INDEX", serde_json::json!({})),
                    DataType::Int8Vector => {
                        ("HNSW", serde_json::json!({"M": 16, "efConstruction": 200}))
                    }
                    _ => ("HNSW", serde_json::json!({"M": 16, "efConstruction": 200})),
                };
                IndexPlan {
                    field: field.name.clone(),
                    index_type: index_type.to_string(),
                    metric_type: metric,
                    params: params.as_object().cloned().unwrap_or_default(),
                }
            }
        };
        plans.push(plan);
    }
    plans
}

fn param<'a>(f: &'a FieldSchema, key: &str) -> Option<&'a str> {
    f.type_params
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

fn type_name(code: i32) -> String {
    PType::try_from(code)
        .map(|t| t.as_str_name().to_string())
        .unwrap_or_else(|_| format!("type {code}"))
}

/// Every way `existing` (from DescribeCollection) differs from `wanted`; empty when it can be
/// reused. Server-added details (field ids, the hidden `$meta` field, analyzer params) are
/// ignored.
pub fn differences(wanted: &CollectionSchema, existing: &CollectionSchema) -> Vec<String> {
    let mut out = Vec::new();
    let visible = |s: &CollectionSchema| -> Vec<FieldSchema> {
        s.fields
            .iter()
            .filter(|f| !f.is_dynamic && f.name != "$meta")
            .cloned()
            .collect()
    };
    let (want, have) = (visible(wanted), visible(existing));
    for w in &want {
        let Some(h) = have.iter().find(|h| h.name == w.name) else {
            out.push(format!("field `{}` is missing from the collection", w.name));
            continue;
        };
        if w.data_type != h.data_type {
            out.push(format!(
                "field `{}`: type is {}, the dataset needs {}",
                w.name,
                type_name(h.data_type),
                type_name(w.data_type)
            ));
            continue;
        }
        let mut differ = |what: &str, have: String, want: String| {
            if have != want {
                out.push(format!(
                    "field `{}`: {what} is {have}, the dataset needs {want}",
                    w.name
                ));
            }
        };
        differ(
            "primary key",
            h.is_primary_key.to_string(),
            w.is_primary_key.to_string(),
        );
        differ("auto_id", h.auto_id.to_string(), w.auto_id.to_string());
        differ("nullable", h.nullable.to_string(), w.nullable.to_string());
        differ(
            "partition key",
            h.is_partition_key.to_string(),
            w.is_partition_key.to_string(),
        );
        if w.data_type == PType::Array as i32 {
            differ(
                "element type",
                type_name(h.element_type),
                type_name(w.element_type),
            );
        }
        for key in ["dim", "max_length", "max_capacity"] {
            if let Some(want) = param(w, key) {
                differ(
                    key,
                    param(h, key).unwrap_or("unset").to_string(),
                    want.to_string(),
                );
            }
        }
    }
    for h in &have {
        if !want.iter().any(|w| w.name == h.name) {
            out.push(format!(
                "field `{}` ({}) is in the collection but not in the dataset",
                h.name,
                type_name(h.data_type)
            ));
        }
    }
    if wanted.enable_dynamic_field && !existing.enable_dynamic_field {
        out.push("the dataset needs the dynamic field, the collection has it disabled".to_string());
    }
    out
}

/// Fields a query can return (everything but function outputs, which Milvus cannot output).
pub fn output_fields(schema: &Schema) -> Vec<String> {
    let outputs: Vec<&str> = schema.function_outputs().collect();
    schema
        .fields
        .iter()
        .filter(|f| !outputs.contains(&f.name.as_str()))
        .map(|f| f.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::load_builtin;

    fn recent() -> ServerVersion {
        ServerVersion {
            text: Some("v2.5.4".into()),
            number: Some((2, 5, 4)),
        }
    }

    #[test]
    fn index_types_take_the_servers_spelling_and_version() {
        let v23 = ServerVersion {
            text: Some("v2.3.5".into()),
            number: Some((2, 3, 5)),
        };
        let varchar = Field::new("s", DataType::VarChar);
        let int = Field::new("n", DataType::Int64);
        assert_eq!(scalar_index_type("TRIE", &varchar, &v23), "Trie");
        assert_eq!(scalar_index_type("autoindex", &varchar, &v23), "Trie");
        assert_eq!(scalar_index_type("AUTOINDEX", &int, &v23), "STL_SORT");
        assert_eq!(scalar_index_type("AUTOINDEX", &int, &recent()), "AUTOINDEX");
        assert_eq!(scalar_index_type("inverted", &int, &recent()), "INVERTED");
        assert_eq!(index_type_name("hnsw"), "HNSW");
        let lite = ServerVersion {
            text: Some("milvus_lite-3.2.2".into()),
            number: None,
        };
        assert_eq!(scalar_index_type("AUTOINDEX", &int, &lite), "INVERTED");
        assert_eq!(index_type_name("MyType"), "MyType");
    }

    #[test]
    fn default_indexes_follow_the_vector_type() {
        let schema = load_builtin("multimedia_content").unwrap();
        let plans = index_plans(&schema, false, &recent());
        let by = |n: &str| plans.iter().find(|p| p.field == n).unwrap().clone();
        assert_eq!(by("content_embedding").index_type, "HNSW");
        assert_eq!(by("thumbnail_embedding").metric_type.as_deref(), Some("L2"));
        assert_eq!(
            by("fingerprint_hash").metric_type.as_deref(),
            Some("HAMMING")
        );
        let docs = load_builtin("document_search").unwrap();
        let plans = index_plans(&docs, false, &recent());
        let bm25 = plans
            .iter()
            .find(|p| p.field == "title_bm25_vector")
            .unwrap();
        assert_eq!(bm25.metric_type.as_deref(), Some("BM25"));
        assert!(
            index_plans(&docs, true, &recent())
                .iter()
                .all(|p| p.index_type == "AUTOINDEX")
        );
    }

    #[test]
    fn differences_name_each_field_and_rule() {
        let schema = load_builtin("simple").unwrap();
        let wanted = collection_schema(&schema, "c");
        assert!(differences(&wanted, &wanted).is_empty());
        let mut other = load_builtin("simple").unwrap();
        other.fields[1].dim = Some(64);
        other.fields.push(Field::new("extra", DataType::Bool));
        let diffs = differences(&wanted, &collection_schema(&other, "c"));
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert!(
            diffs[0].contains("embedding") && diffs[0].contains("64") && diffs[0].contains("128")
        );
        assert!(diffs[1].contains("extra"));
    }

    #[test]
    fn old_servers_get_one_message_listing_what_they_lack() {
        let v23 = ServerVersion {
            text: Some("v2.3.5".into()),
            number: Some((2, 3, 5)),
        };
        let err = check_support(&load_builtin("multimedia_content").unwrap(), &v23).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("more than one vector") && text.contains("Float16Vector"),
            "{text}"
        );
        assert!(check_support(&load_builtin("simple").unwrap(), &v23).is_ok());
    }

    #[test]
    fn a_varchar_auto_id_key_is_sent_with_auto_id() {
        let schema = crate::schema::parse_schema(
            "collection_name: c\nfields:\n  - {name: pk, type: VarChar, max_length: 64, is_primary: true, auto_id: true}\n  - {name: v, type: FloatVector, dim: 4}\n",
            crate::schema::SchemaFormat::Yaml,
            "test",
        )
        .unwrap();
        let wanted = collection_schema(&schema, "c");
        let pk = wanted.fields.iter().find(|f| f.name == "pk").unwrap();
        assert!(pk.is_primary_key && pk.auto_id);
        assert_eq!(pk.data_type, PType::VarChar as i32);
    }
}
