//! The schema model: what a schema file may say about a collection and each of its fields.
//!
//! The same structs describe a collection field, a declared dynamic field and a key inside a
//! JSON shape, so every value control (kinds, ranges, distributions, null ratios) works the same
//! wherever a value is generated.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bound::Bound;
use super::types::DataType;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A whole collection schema.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub collection_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub fields: Vec<Field>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_dynamic_field: bool,
    /// Keys generated into the `$meta` column when the dynamic field is enabled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_fields: Vec<Field>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<Function>,
    /// Validators that see several columns at once (plugins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<PluginRef>,
}

/// One field (or dynamic key, or JSON shape key).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Empty only for JSON shape entries, whose name is their key.
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_primary: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_id: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_partition_key: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,

    // ---- value range and length controls ----
    /// Smallest value (integers exact to 64 bits, see [`Bound`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bound>,
    /// VarChar limit in UTF-8 bytes (also for VarChar array elements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Shortest generated VarChar value in UTF-8 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dim: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element_type: Option<DataType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<u32>,
    /// Shortest generated array (defaults to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<u32>,

    // ---- value shape controls ----
    /// Share of distinct values: 0.01 means about 1% of rows have distinct values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardinality_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// What a string is: `name`, `sentence`, `email`, ... (see `schema help`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Vocabulary for `kind: words` and `kind: sentence` built from the user's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<String>>,
    /// Share of rows that are null (nullable fields only; default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_ratio: Option<f64>,
    /// Share of rows that take `default_value` (default 0.1 when a default is declared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
    /// Share of a sparse vector's dimensions that are non-zero (default 0.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<f64>,
    /// Declared keys of a JSON value, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Map<String, Value>>,

    // ---- Milvus collection settings ----
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexSpec>,

    // ---- plugins ----
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<PluginRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<PluginRef>,
}

/// How numbers, enum choices and vectors are spread.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Uniform,
    /// Clamped to `[min, max]`; defaults: mean at the centre, std a sixth of the range.
    Normal {
        #[serde(default)]
        mean: Option<f64>,
        #[serde(default)]
        std: Option<f64>,
    },
    /// Rank-frequency skew over integers or enum values; exponent defaults to 1.1.
    Zipf {
        #[serde(default)]
        exponent: Option<f64>,
    },
    /// Vectors: unit-length gaussian directions (the default for float vectors).
    Gaussian,
    /// Vectors around `clusters` centres with noise `spread`, so ANN recall is meaningful.
    Clustered {
        clusters: u32,
        #[serde(default)]
        spread: Option<f64>,
    },
}

impl Distribution {
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Normal { .. } => "normal",
            Distribution::Zipf { .. } => "zipf",
            Distribution::Gaussian => "gaussian",
            Distribution::Clustered { .. } => "clustered",
        }
    }
}

/// A BM25 (or other) function whose output field Milvus computes itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub name: String,
    #[serde(rename = "type")]
    pub function_type: String,
    pub input_field_names: Vec<String>,
    pub output_field_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
}

/// Index settings for one field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    pub index_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
}

/// A reference to a generator or validator exported by a Wasm plugin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginRef {
    pub plugin: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
    /// Columns a collection-level validator reads (field-level validators read their field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl Schema {
    pub fn primary(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.is_primary)
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Names of fields whose values Milvus computes (function outputs): never generated.
    pub fn function_outputs(&self) -> impl Iterator<Item = &str> {
        self.functions
            .iter()
            .flat_map(|f| f.output_field_names.iter().map(String::as_str))
    }

    /// Fields that appear in data files: everything but auto-id keys and function outputs.
    pub fn data_fields(&self) -> Vec<&Field> {
        let outputs: Vec<&str> = self.function_outputs().collect();
        self.fields
            .iter()
            .filter(|f| !(outputs.contains(&f.name.as_str()) || f.is_primary && f.auto_id))
            .collect()
    }

    pub fn vector_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.data_type.is_vector())
    }

    /// Whether files carry a `$meta` column: whenever the dynamic field is enabled, declared
    /// keys or not (`{}` in rows without keys), as pymilvus' BulkWriter writes it. Milvus
    /// 2.4.0's Parquet import refuses a file of a dynamic collection without `$meta`.
    pub fn has_meta_column(&self) -> bool {
        self.enable_dynamic_field
    }
}

impl Field {
    pub fn new(name: &str, data_type: DataType) -> Field {
        Field {
            name: name.to_string(),
            data_type,
            ..Field::default()
        }
    }

    /// The Milvus type of each element for arrays, else the field's own type.
    pub fn value_type(&self) -> DataType {
        if self.data_type == DataType::Array {
            self.element_type.unwrap_or(DataType::VarChar)
        } else {
            self.data_type
        }
    }

    pub fn effective_null_ratio(&self) -> f64 {
        if self.nullable {
            self.null_ratio.unwrap_or(0.1)
        } else {
            0.0
        }
    }

    pub fn effective_default_ratio(&self) -> f64 {
        if self.default_value.is_some() {
            self.default_ratio.unwrap_or(0.1)
        } else {
            0.0
        }
    }
}
