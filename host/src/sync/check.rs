//! Entities against the collection schema, on the host, before any request: a handler's
//! mistake (a string over its byte limit, a null in a non-nullable field, a vector of the wrong
//! dimension or with a NaN) then costs one skipped document with a reason, never a rejected
//! batch. JSON fields arrive as JSON text (the contract with handlers) and leave parsed.

use serde_json::{Map, Value};

use crate::schema::{DataType, Field, Schema};

/// Checks `entity` and returns it ready for the request; the error names the field and rule.
/// `float_vectors` are the FloatVector fields a handler returned as float32 lists (not also in
/// `entity`).
pub fn check_entity(
    schema: &Schema,
    mut entity: Map<String, Value>,
    float_vectors: &[(String, Vec<f32>)],
) -> Result<Map<String, Value>, String> {
    for (name, values) in float_vectors {
        let field = schema.field(name).ok_or_else(|| {
            format!("field `{name}`: a float vector for no field of the collection")
        })?;
        check_float32(field, values).map_err(|e| format!("field `{name}`: {e}"))?;
    }
    for field in schema.data_fields() {
        if float_vectors.iter().any(|(name, _)| *name == field.name) {
            continue;
        }
        let slot = entity.get_mut(&field.name);
        let value = match slot {
            None | Some(Value::Null) => {
                if field.nullable || field.default_value.is_some() {
                    continue;
                }
                let what = if entity.contains_key(&field.name) {
                    "null"
                } else {
                    "missing"
                };
                return Err(format!(
                    "field `{}`: {what}, and the field is not nullable",
                    field.name
                ));
            }
            Some(v) => v,
        };
        if field.data_type == DataType::Json
            && let Value::String(text) = value
        {
            *value = serde_json::from_str(text)
                .map_err(|e| format!("field `{}`: not JSON text: {e}", field.name))?;
        }
        check_value(field, value).map_err(|e| format!("field `{}`: {e}", field.name))?;
        if field.is_primary && value.as_str() == Some("") {
            return Err(format!("field `{}`: the primary key is empty", field.name));
        }
    }
    if !schema.enable_dynamic_field
        && let Some(k) = entity.keys().find(|k| schema.field(k).is_none())
    {
        return Err(format!(
            "key `{k}` is not a field of the collection, and its dynamic field is off"
        ));
    }
    Ok(entity)
}

/// A FloatVector value given as float32 components.
fn check_float32(field: &Field, values: &[f32]) -> Result<(), String> {
    if field.data_type != DataType::FloatVector {
        return Err(format!(
            "float32 components for a {} field",
            field.data_type
        ));
    }
    let dim = field.dim.unwrap_or(0) as usize;
    if values.len() != dim {
        return Err(format!(
            "{} dimensions, the collection has {dim}",
            values.len()
        ));
    }
    match values.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(format!(
            "component {i} is not a finite number ({})",
            values[i]
        )),
        None => Ok(()),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn scalar(field: &Field, t: DataType, v: &Value) -> Result<(), String> {
    let expected = |what: &str| Err(format!("expected {what}, found {}", kind(v)));
    match t {
        DataType::Bool => {
            if v.is_boolean() {
                Ok(())
            } else {
                expected("a boolean")
            }
        }
        t if t.is_integer() => {
            let Some(x) = v.as_i64() else {
                return expected(&format!("an integer ({t})"));
            };
            match t.integer_range() {
                Some((lo, hi)) if x < lo || x > hi => {
                    Err(format!("{x} is outside {t}'s range {lo}..={hi}"))
                }
                _ => Ok(()),
            }
        }
        DataType::Float | DataType::Double => match v.as_f64() {
            Some(x) if t == DataType::Float && !(x as f32).is_finite() => {
                Err(format!("{x} does not fit a Float"))
            }
            Some(_) => Ok(()),
            None => expected("a number"),
        },
        DataType::VarChar => {
            let Some(s) = v.as_str() else {
                return expected("a string");
            };
            match field.max_length {
                Some(max) if s.len() > max as usize => Err(format!(
                    "{} bytes, the limit is {max} (UTF-8 bytes)",
                    s.len()
                )),
                _ => Ok(()),
            }
        }
        other => Err(format!("{other} cannot be an array element")),
    }
}

fn check_value(field: &Field, v: &Value) -> Result<(), String> {
    let dim = field.dim.unwrap_or(0) as usize;
    let list = |v: &Value| -> Result<usize, String> {
        v.as_array()
            .map(Vec::len)
            .ok_or_else(|| format!("expected a list, found {}", kind(v)))
    };
    match field.data_type {
        DataType::Json => Ok(()),
        DataType::Array => {
            let n = list(v)?;
            if let Some(cap) = field.max_capacity
                && n > cap as usize
            {
                return Err(format!("{n} elements, the capacity is {cap}"));
            }
            for (i, x) in v.as_array().expect("checked").iter().enumerate() {
                scalar(field, field.value_type(), x).map_err(|e| format!("element {i}: {e}"))?;
            }
            Ok(())
        }
        DataType::FloatVector => {
            let n = list(v)?;
            if n != dim {
                return Err(format!("{n} dimensions, the collection has {dim}"));
            }
            for (i, x) in v.as_array().expect("checked").iter().enumerate() {
                match x.as_f64() {
                    Some(f) if (f as f32).is_finite() => {}
                    _ => return Err(format!("component {i} is not a finite number ({x})")),
                }
            }
            Ok(())
        }
        DataType::BinaryVector
        | DataType::Float16Vector
        | DataType::BFloat16Vector
        | DataType::Int8Vector => {
            let want = match field.data_type {
                DataType::BinaryVector => dim / 8,
                DataType::Int8Vector => dim,
                _ => dim * 2,
            };
            let n = list(v)?;
            if n != want {
                return Err(format!("{n} values, the collection needs {want}"));
            }
            let (lo, hi) = if field.data_type == DataType::Int8Vector {
                (-128, 127)
            } else {
                (0, 255)
            };
            for (i, x) in v.as_array().expect("checked").iter().enumerate() {
                match x.as_i64() {
                    Some(b) if (lo..=hi).contains(&b) => {}
                    _ => return Err(format!("component {i} is not an integer {lo}..={hi} ({x})")),
                }
            }
            Ok(())
        }
        DataType::SparseFloatVector => match v {
            Value::Object(_) | Value::String(_) => Ok(()),
            other => Err(format!(
                "expected an object of index: value, found {}",
                kind(other)
            )),
        },
        t => scalar(field, t, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        crate::schema::parse_schema(
            &json!({
                "collection_name": "t",
                "fields": [
                    {"name": "id", "type": "VarChar", "max_length": 10, "is_primary": true},
                    {"name": "v", "type": "FloatVector", "dim": 3},
                    {"name": "tags", "type": "Array", "element_type": "VarChar", "max_length": 6, "max_capacity": 2},
                    {"name": "n", "type": "Int8"},
                    {"name": "meta", "type": "JSON"}
                ]
            })
            .to_string(),
            crate::schema::SchemaFormat::Json,
            "test",
        )
        .unwrap()
    }

    fn entity(extra: Value) -> Map<String, Value> {
        let mut e =
            json!({"id": "a", "v": [0.1, 0.2, 0.3], "tags": ["x"], "n": 1, "meta": "{\"k\": [1]}"});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e.as_object().unwrap().clone()
    }

    #[test]
    fn good_entities_pass_and_json_text_is_parsed() {
        let e = check_entity(&schema(), entity(json!({})), &[]).unwrap();
        assert_eq!(e["meta"], json!({"k": [1]}));
    }

    #[test]
    fn each_rule_names_the_field() {
        let s = schema();
        let cases = [
            (
                json!({"id": "中文中文"}),
                "field `id`: 12 bytes, the limit is 10",
            ),
            (json!({"id": null}), "field `id`: null"),
            (
                json!({"v": [0.1, 0.2]}),
                "field `v`: 2 dimensions, the collection has 3",
            ),
            (
                json!({"v": [0.1, null, 0.3]}),
                "field `v`: component 1 is not a finite number",
            ),
            (json!({"v": [0.1, 1e300, 0.3]}), "component 1"),
            (
                json!({"tags": ["a", "b", "c"]}),
                "field `tags`: 3 elements, the capacity is 2",
            ),
            (
                json!({"tags": ["长长长"]}),
                "field `tags`: element 0: 9 bytes",
            ),
            (json!({"n": 300}), "field `n`: 300 is outside Int8"),
            (json!({"n": "1"}), "field `n`: expected an integer"),
            (json!({"meta": "{oops"}), "field `meta`: not JSON text"),
            (json!({"id": ""}), "primary key is empty"),
        ];
        for (extra, want) in cases {
            let err = check_entity(&s, entity(extra.clone()), &[]).unwrap_err();
            assert!(err.contains(want), "{extra}: {err}");
        }
        let mut missing = entity(json!({}));
        missing.remove("n");
        assert!(
            check_entity(&s, missing, &[])
                .unwrap_err()
                .contains("field `n`: missing")
        );
        let err = check_entity(&s, entity(json!({"extra": 1})), &[]).unwrap_err();
        assert!(err.contains("dynamic field is off"), "{err}");
    }

    #[test]
    fn float32_vectors_are_checked_like_json_ones() {
        let s = schema();
        let mut row = entity(json!({}));
        row.remove("v");
        let good = [("v".to_string(), vec![0.1_f32, 0.2, 0.3])];
        assert!(check_entity(&s, row.clone(), &good).is_ok());
        let cases = [
            (
                ("v", vec![0.1_f32, 0.2]),
                "field `v`: 2 dimensions, the collection has 3",
            ),
            (
                ("v", vec![0.1, f32::NAN, 0.3]),
                "field `v`: component 1 is not a finite number",
            ),
            (
                ("n", vec![1.0]),
                "field `n`: float32 components for a Int8 field",
            ),
            (("zz", vec![1.0]), "field `zz`: a float vector for no field"),
        ];
        for ((name, values), want) in cases {
            let err = check_entity(&s, row.clone(), &[(name.to_string(), values)]).unwrap_err();
            assert!(err.contains(want), "{name}: {err}");
        }
        assert!(
            check_entity(&s, row, &[])
                .unwrap_err()
                .contains("field `v`: missing")
        );
    }
}
