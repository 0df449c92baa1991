//! Appending the rows of one write request's columns to another's, so several small batches
//! (a `sync` handler call each) go to Milvus as one request of a useful size: every Upsert is
//! a round trip plus per-request work on the server, which dominated `sync -b 500` of 1024-d
//! rows.

use ::milvus::proto::schema::{FieldData, ScalarField, field_data, scalar_field, vector_field};

/// Appends `more` (columns of `more_rows` rows) to `into` (columns of `into_rows` rows). Both
/// must hold the same fields (matched by name) with the same types, as columns built from one
/// schema do; the error names the field otherwise. Null masks (`valid_data`) are kept aligned:
/// a side without one counts as all valid.
pub fn append_fields(
    into: &mut [FieldData],
    into_rows: usize,
    more: Vec<FieldData>,
    more_rows: usize,
) -> Result<(), String> {
    if into.len() != more.len() {
        return Err(format!(
            "{} columns cannot take {} columns",
            into.len(),
            more.len()
        ));
    }
    for m in more {
        let name = m.field_name.clone();
        let target = into
            .iter_mut()
            .find(|f| f.field_name == m.field_name)
            .ok_or_else(|| format!("field `{name}`: not in the request it is appended to"))?;
        append_one(target, into_rows, m, more_rows).map_err(|e| format!("field `{name}`: {e}"))?;
    }
    Ok(())
}

fn append_one(
    into: &mut FieldData,
    into_rows: usize,
    more: FieldData,
    more_rows: usize,
) -> Result<(), String> {
    if into.r#type != more.r#type {
        return Err("different types".into());
    }
    match (into.valid_data.is_empty(), more.valid_data.is_empty()) {
        (true, true) => {}
        (false, true) => into.valid_data.extend(std::iter::repeat_n(true, more_rows)),
        (true, false) => {
            into.valid_data = std::iter::repeat_n(true, into_rows).collect();
            into.valid_data.extend(more.valid_data);
        }
        (false, false) => into.valid_data.extend(more.valid_data),
    }
    use field_data::Field;
    match (&mut into.field, more.field) {
        (Some(Field::Scalars(a)), Some(Field::Scalars(b))) => append_scalars(a, b),
        (Some(Field::Vectors(a)), Some(Field::Vectors(b))) => {
            use vector_field::Data as V;
            if a.dim != b.dim {
                return Err(format!("dim {} and {}", a.dim, b.dim));
            }
            match (&mut a.data, b.data) {
                (Some(V::FloatVector(x)), Some(V::FloatVector(y))) => x.data.extend(y.data),
                (Some(V::BinaryVector(x)), Some(V::BinaryVector(y)))
                | (Some(V::Float16Vector(x)), Some(V::Float16Vector(y)))
                | (Some(V::Bfloat16Vector(x)), Some(V::Bfloat16Vector(y)))
                | (Some(V::Int8Vector(x)), Some(V::Int8Vector(y))) => x.extend(y),
                (Some(V::SparseFloatVector(x)), Some(V::SparseFloatVector(y))) => {
                    x.contents.extend(y.contents);
                    x.dim = x.dim.max(y.dim);
                }
                (Some(V::VectorArray(x)), Some(V::VectorArray(y))) => x.data.extend(y.data),
                _ => return Err("different vector kinds".into()),
            }
            Ok(())
        }
        _ => Err("different column kinds".into()),
    }
}

fn append_scalars(a: &mut ScalarField, b: ScalarField) -> Result<(), String> {
    use scalar_field::Data as S;
    match (&mut a.data, b.data) {
        (Some(S::BoolData(x)), Some(S::BoolData(y))) => x.data.extend(y.data),
        (Some(S::IntData(x)), Some(S::IntData(y))) => x.data.extend(y.data),
        (Some(S::LongData(x)), Some(S::LongData(y))) => x.data.extend(y.data),
        (Some(S::FloatData(x)), Some(S::FloatData(y))) => x.data.extend(y.data),
        (Some(S::DoubleData(x)), Some(S::DoubleData(y))) => x.data.extend(y.data),
        (Some(S::StringData(x)), Some(S::StringData(y))) => x.data.extend(y.data),
        (Some(S::BytesData(x)), Some(S::BytesData(y))) => x.data.extend(y.data),
        (Some(S::ArrayData(x)), Some(S::ArrayData(y))) => x.data.extend(y.data),
        (Some(S::JsonData(x)), Some(S::JsonData(y))) => x.data.extend(y.data),
        (Some(S::GeometryData(x)), Some(S::GeometryData(y))) => x.data.extend(y.data),
        (Some(S::TimestamptzData(x)), Some(S::TimestamptzData(y))) => x.data.extend(y.data),
        (Some(S::GeometryWktData(x)), Some(S::GeometryWktData(y))) => x.data.extend(y.data),
        _ => return Err("different scalar kinds".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::milvus::upsert::rows_to_fields;
    use serde_json::{Map, Value, json};

    fn schema() -> crate::schema::Schema {
        crate::schema::parse_schema(
            &json!({
                "collection_name": "t",
                "enable_dynamic_field": true,
                "fields": [
                    {"name": "id", "type": "Int64", "is_primary": true},
                    {"name": "s", "type": "VarChar", "max_length": 10, "nullable": true},
                    {"name": "tags", "type": "Array", "element_type": "Int32", "max_capacity": 3},
                    {"name": "v", "type": "FloatVector", "dim": 2}
                ]
            })
            .to_string(),
            crate::schema::SchemaFormat::Json,
            "test",
        )
        .unwrap()
    }

    fn rows(values: &[Value]) -> Vec<Map<String, Value>> {
        values
            .iter()
            .map(|v| v.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn appended_columns_equal_columns_built_at_once() {
        let s = schema();
        let a = rows(&[
            json!({"id": 1, "s": "a", "tags": [1], "v": [0.5, 1.0], "x": 1}),
            json!({"id": 2, "s": null, "tags": [], "v": [0.0, 1.5]}),
        ]);
        let b = rows(&[json!({"id": 3, "s": "c", "tags": [2, 3], "v": [2.0, 2.5], "y": "z"})]);
        let mut merged = rows_to_fields(&s, &a).unwrap();
        append_fields(&mut merged, 2, rows_to_fields(&s, &b).unwrap(), 1).unwrap();
        let all: Vec<_> = a.iter().chain(&b).cloned().collect();
        assert_eq!(merged, rows_to_fields(&s, &all).unwrap());
    }

    #[test]
    fn columns_of_another_shape_are_refused() {
        let s = schema();
        let r = rows(&[json!({"id": 1, "s": "a", "tags": [1], "v": [0.5, 1.0]})]);
        let mut one = rows_to_fields(&s, &r).unwrap();
        let mut other = rows_to_fields(&s, &r).unwrap();
        other.pop();
        assert!(append_fields(&mut one, 1, other, 1).is_err());
    }
}
