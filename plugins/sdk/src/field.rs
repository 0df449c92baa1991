//! The field spec the host sends: the schema's JSON for the field, of which plugins usually
//! need only a few keys.

use serde::Deserialize;

use crate::types::MilvusType;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub nullable: bool,
    pub dim: Option<u32>,
    /// VarChar limit in UTF-8 bytes.
    pub max_length: Option<u32>,
    pub min_length: Option<u32>,
    pub element_type: Option<String>,
    pub max_capacity: Option<u32>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub null_ratio: Option<f64>,
}

impl FieldSpec {
    pub fn parse(json: &str) -> Result<FieldSpec, String> {
        serde_json::from_str(json).map_err(|e| format!("field spec: {e}"))
    }

    pub fn milvus_type(&self) -> Option<MilvusType> {
        MilvusType::parse(&self.type_name)
    }

    pub fn element_type(&self) -> Option<MilvusType> {
        self.element_type.as_deref().and_then(MilvusType::parse)
    }
}
