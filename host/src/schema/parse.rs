//! Reading schema text (JSON or YAML) into the model.
//!
//! Both formats go through `serde_json::Value` first so they share one model and one set of
//! messages, and each field is decoded on its own so a file with several broken fields reports
//! all of them at once instead of stopping at the first.

use std::path::Path;

use serde_json::Value;

use super::error::{Problem, SchemaError};
use super::field::{Field, Schema};
use super::validate::validate;

/// The text formats a schema may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaFormat {
    Json,
    Yaml,
}

impl SchemaFormat {
    /// By extension; files without a known extension are sniffed by their first character.
    pub fn detect(path: &Path, text: &str) -> SchemaFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                SchemaFormat::Yaml
            }
            Some(e) if e.eq_ignore_ascii_case("json") => SchemaFormat::Json,
            _ if text.trim_start().starts_with('{') => SchemaFormat::Json,
            _ => SchemaFormat::Yaml,
        }
    }
}

/// Reads, parses and validates a schema file.
pub fn load_schema_file(path: &Path) -> Result<Schema, SchemaError> {
    let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let format = SchemaFormat::detect(path, &text);
    parse_schema(&text, format, &path.display().to_string())
}

/// Parses and validates schema text; `origin` names it in messages (a path or `builtin:NAME`).
pub fn parse_schema(text: &str, format: SchemaFormat, origin: &str) -> Result<Schema, SchemaError> {
    let value = parse_value(text, format, origin)?;
    let schema = decode(value, origin)?;
    let problems = validate(&schema);
    if problems.is_empty() {
        Ok(schema)
    } else {
        Err(SchemaError::Invalid {
            origin: origin.to_string(),
            problems,
        })
    }
}

fn parse_value(text: &str, format: SchemaFormat, origin: &str) -> Result<Value, SchemaError> {
    match format {
        SchemaFormat::Json => serde_json::from_str(text).map_err(|e| SchemaError::Syntax {
            origin: origin.to_string(),
            format: "JSON",
            message: e.to_string(),
        }),
        SchemaFormat::Yaml => serde_yaml::from_str(text).map_err(|e| SchemaError::Syntax {
            origin: origin.to_string(),
            format: "YAML",
            message: e.to_string(),
        }),
    }
}

/// Turns a parsed document into the model, collecting every decoding problem.
fn decode(value: Value, origin: &str) -> Result<Schema, SchemaError> {
    let invalid = |problems| SchemaError::Invalid {
        origin: origin.to_string(),
        problems,
    };
    let Value::Object(mut top) = value else {
        return Err(invalid(vec![Problem::collection(
            "a schema must be an object with `collection_name` and `fields`",
        )]));
    };
    let mut problems = Vec::new();

    let fields = decode_field_list(top.remove("fields"), "fields", true, &mut problems);
    let dynamic_fields = decode_field_list(
        top.remove("dynamic_fields"),
        "dynamic_fields",
        false,
        &mut problems,
    );

    top.insert("fields".into(), Value::Array(Vec::new()));
    let mut schema: Option<Schema> = match decode_with_path::<Schema>(Value::Object(top)) {
        Ok(s) => Some(s),
        Err((path, message)) => {
            let problem = if path.is_empty() || path == "." {
                Problem::collection(message)
            } else {
                Problem {
                    field: None,
                    attribute: Some(path),
                    rule: message,
                }
            };
            problems.push(problem);
            None
        }
    };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut s = schema.take().expect("decoded when there are no problems");
    s.fields = fields;
    s.dynamic_fields = dynamic_fields;
    Ok(s)
}

fn decode_field_list(
    value: Option<Value>,
    list_name: &str,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Field> {
    let items = match value {
        None if required => {
            problems.push(Problem::collection(format!(
                "`{list_name}` is missing: a schema needs a list of fields"
            )));
            return Vec::new();
        }
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(Problem::collection(format!(
                "`{list_name}` must be a list, found {}",
                kind_of(&other)
            )));
            return Vec::new();
        }
    };
    let mut fields = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let label = item
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{list_name}[{index}]"));
        match decode_with_path::<Field>(item) {
            Ok(field) => fields.push(field),
            Err((path, message)) => problems.push(Problem {
                field: Some(label),
                attribute: (!path.is_empty() && path != ".").then_some(path),
                rule: message,
            }),
        }
    }
    fields
}

/// Decodes with the path of the offending key, e.g. `("max_length", "invalid type: ...")`.
fn decode_with_path<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        (path, message)
    })
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_give_the_same_model() {
        let json = r#"{"collection_name":"c","fields":[
            {"name":"id","type":"Int64","is_primary":true},
            {"name":"v","type":"FloatVector","dim":8}]}"#;
        let yaml = "collection_name: c\nfields:\n  - {name: id, type: Int64, is_primary: true}\n  - {name: v, type: FloatVector, dim: 8}\n";
        let a = parse_schema(json, SchemaFormat::Json, "a.json").unwrap();
        let b = parse_schema(yaml, SchemaFormat::Yaml, "b.yaml").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn every_broken_field_is_reported_with_its_attribute() {
        let json = r#"{"collection_name":"c","fields":[
            {"name":"id","type":"Int64","is_primary":true},
            {"name":"a","type":"VarChar","max_lenght":5},
            {"name":"b","type":"Int32","min":"low"},
            {"name":"v","type":"FloatVector","dim":8}]}"#;
        let err = parse_schema(json, SchemaFormat::Json, "s.json").unwrap_err();
        let SchemaError::Invalid { problems, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 2, "{err}");
        assert_eq!(problems[0].field.as_deref(), Some("a"));
        assert!(problems[0].rule.contains("max_lenght"), "{err}");
        assert_eq!(problems[1].field.as_deref(), Some("b"));
        assert_eq!(problems[1].attribute.as_deref(), Some("min"));
    }
}
