//! The field a benchmark searches: resolved from the collection's schema on the server (type,
//! dim, the metric its index was built with), checked against the dataset's schema when one is
//! given, with search parameters parsed from `k=v` flags.

use serde_json::{Map, Value};

use super::error::{MeasureError, Result};
use crate::milvus::Client;
use crate::milvus::inspect::{CollectionInfo, VectorField, describe_collection};
use crate::schema::{DataType, Field, Schema};

/// The collection and vector field to search, and how.
#[derive(Debug, Clone)]
pub struct Target {
    pub info: CollectionInfo,
    pub field: VectorField,
    /// Upper-case metric: the index's, else the dataset schema's, else the type's default.
    pub metric: String,
}

impl Target {
    /// The field as our schema model describes it (for query generation).
    pub fn schema_field(&self, dataset: Option<&Schema>) -> Field {
        dataset
            .and_then(|s| s.field(&self.field.name))
            .cloned()
            .unwrap_or_else(|| {
                let mut f = Field::new(&self.field.name, self.field.data_type);
                f.dim = self.field.dim;
                f
            })
    }
}

/// Describes `collection` and picks the vector field (`anns_field`, else the only one).
pub async fn resolve(
    client: &Client,
    collection: &str,
    anns_field: Option<&str>,
    dataset: Option<&Schema>,
) -> Result<Target> {
    let info = describe_collection(client, collection).await?;
    let field = info.vector_field(anns_field)?.clone();
    if field.function_output {
        return Err(MeasureError::Usage(format!(
            "field `{}` is filled by a BM25 function: it is searched with text, not vectors",
            field.name
        )));
    }
    if let Some(schema) = dataset {
        check_dataset_field(schema, &field)?;
    }
    let metric = field
        .metric
        .clone()
        .or_else(|| {
            dataset
                .and_then(|s| s.field(&field.name).map(|f| (s, f)))
                .map(|(s, f)| crate::milvus::ddl::metric_of(f, s))
        })
        .unwrap_or_else(|| {
            match field.data_type {
                DataType::BinaryVector => "HAMMING",
                DataType::SparseFloatVector => "IP",
                _ => "COSINE",
            }
            .to_string()
        });
    Ok(Target {
        info,
        field,
        metric,
    })
}

fn check_dataset_field(schema: &Schema, field: &VectorField) -> Result<()> {
    let Some(own) = schema.field(&field.name) else {
        return Err(MeasureError::Usage(format!(
            "the dataset (schema `{}`) has no field `{}`, the collection's vector field",
            schema.collection_name, field.name
        )));
    };
    if own.data_type != field.data_type
        || (field.dim.is_some() && own.dim.is_some() && own.dim != field.dim)
    {
        return Err(MeasureError::Usage(format!(
            "field `{}`: the dataset has {} (dim {}), the collection {} (dim {})",
            field.name,
            own.data_type,
            own.dim.map_or("-".into(), |d| d.to_string()),
            field.data_type,
            field.dim.map_or("-".into(), |d| d.to_string())
        )));
    }
    Ok(())
}

/// Parses `k=v` search parameters into the `params` object (numbers and booleans typed).
pub fn parse_params(pairs: &[String]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for pair in pairs {
        for item in pair.split(',').filter(|s| !s.trim().is_empty()) {
            let (k, v) = item.split_once('=').ok_or_else(|| {
                MeasureError::Usage(format!(
                    "--search-params `{item}`: expected key=value (e.g. ef=64)"
                ))
            })?;
            out.insert(k.trim().to_string(), typed(v.trim()));
        }
    }
    Ok(out)
}

/// `64` -> number, `true` -> bool, anything else a string.
pub fn typed(v: &str) -> Value {
    serde_json::from_str::<Value>(v)
        .ok()
        .filter(|x| x.is_number() || x.is_boolean())
        .unwrap_or_else(|| Value::String(v.to_string()))
}

/// A parameter swept over values: `ef=16,32,64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub param: String,
    pub values: Vec<Value>,
}

impl Sweep {
    pub fn parse(text: &str) -> Result<Sweep> {
        let bad = |why: &str| {
            MeasureError::Usage(format!(
                "--sweep `{text}`: {why} (expected NAME=V1,V2,..., e.g. ef=16,32,64)"
            ))
        };
        let (name, values) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("empty parameter name"));
        }
        let values: Vec<Value> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(typed)
            .collect();
        if values.is_empty() {
            return Err(bad("no values"));
        }
        Ok(Sweep {
            param: name.to_string(),
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_and_sweeps_parse_with_types() {
        let p =
            parse_params(&["ef=64".into(), "radius=0.5,level=2".into(), "x=abc".into()]).unwrap();
        assert_eq!(
            Value::Object(p).to_string(),
            r#"{"ef":64,"radius":0.5,"level":2,"x":"abc"}"#
        );
        assert!(
            parse_params(&["ef".into()])
                .unwrap_err()
                .to_string()
                .contains("key=value")
        );
        let s = Sweep::parse("ef=16, 32,64").unwrap();
        assert_eq!(s.param, "ef");
        assert_eq!(
            s.values,
            vec![Value::from(16), Value::from(32), Value::from(64)]
        );
        assert!(Sweep::parse("ef=").is_err());
        assert!(Sweep::parse("16,32").is_err());
    }
}
