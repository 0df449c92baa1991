//! One page of the old collection (as `Query` returned it) into the fields of an insert into
//! the new one, following the plan's [`Source`] per field. Columns are moved, not rebuilt:
//! vectors and unchanged scalars pass through as the server sent them; only widened fields,
//! promoted dynamic keys and filled fields are built value by value.
//!
//! Nulls: servers send nullable columns either full length (placeholders at nulls) or with
//! only the valid values; inserts want only the valid values next to `valid_data`.

use ::milvus::proto::schema::{
    ArrayArray, BoolArray, DoubleArray, FieldData, FloatArray, IntArray, JsonArray, LongArray,
    ScalarField, StringArray, field_data, scalar_field,
};
use serde_json::{Map, Value};

use super::plan::{FieldSource, Plan, Source};
use crate::milvus::ddl::proto_type;
use crate::milvus::values::row_count;
use crate::schema::{DataType, Field};

const META: &str = "$meta";

/// Turns pages of the old collection into inserts for the new one.
pub struct Converter {
    fields: Vec<FieldSource>,
    keep_meta: bool,
    /// Dynamic keys promoted to fields: removed from `$meta`.
    promoted: Vec<String>,
    pk: String,
}

impl Converter {
    pub fn new(plan: &Plan) -> Converter {
        Converter {
            fields: plan.fields.clone(),
            keep_meta: plan.keep_meta,
            promoted: plan
                .fields
                .iter()
                .filter(|f| f.source == Source::Meta)
                .map(|f| f.field.name.clone())
                .collect(),
            pk: plan.pk.clone(),
        }
    }

    /// Converts one page; returns the fields and the row count. Errors name the field.
    pub fn convert(&self, page: Vec<FieldData>) -> Result<(Vec<FieldData>, usize), String> {
        let rows = page
            .iter()
            .find(|f| f.field_name == self.pk)
            .map(row_count)
            .ok_or_else(|| format!("the page has no primary key column `{}`", self.pk))?;
        let mut by_name: std::collections::HashMap<String, FieldData> = page
            .into_iter()
            .map(|f| {
                let name = if f.is_dynamic {
                    META.to_string()
                } else {
                    f.field_name.clone()
                };
                (name, f)
            })
            .collect();
        let meta_rows: Option<Vec<Map<String, Value>>> = if self.promoted.is_empty() {
            None
        } else {
            Some(match by_name.get(META) {
                Some(m) => json_rows(m, rows)?,
                None => vec![Map::new(); rows],
            })
        };
        let mut out = Vec::with_capacity(self.fields.len() + 1);
        for fs in &self.fields {
            let f = &fs.field;
            let converted = match &fs.source {
                Source::Computed => continue,
                Source::Copy | Source::Widen { .. } => {
                    let old = by_name
                        .remove(&f.name)
                        .ok_or_else(|| format!("field `{}`: missing from the page", f.name))?;
                    let mut data = compact(old, rows);
                    if let Source::Widen { from } = fs.source {
                        data = widen(data, from, f.data_type)
                            .map_err(|e| format!("field `{}`: {e}", f.name))?;
                    }
                    finish(data, f, rows)
                }
                Source::Meta => {
                    let values: Vec<Option<Value>> = meta_rows
                        .as_ref()
                        .expect("promoted keys read $meta")
                        .iter()
                        .map(|m| m.get(&f.name).cloned().filter(|v| !v.is_null()))
                        .collect();
                    from_json(f, &values).map_err(|e| format!("field `{}`: {e}", f.name))?
                }
                Source::Fill => from_json(f, &vec![None; rows])
                    .map_err(|e| format!("field `{}`: {e}", f.name))?,
            };
            out.push(converted);
        }
        if self.keep_meta
            && let Some(mut meta) = by_name.remove(META)
        {
            if let Some(rows_json) = meta_rows {
                let data = rows_json
                    .into_iter()
                    .map(|mut m| {
                        for k in &self.promoted {
                            m.remove(k);
                        }
                        Value::Object(m).to_string().into_bytes()
                    })
                    .collect();
                meta.field = Some(field_data::Field::Scalars(ScalarField {
                    data: Some(scalar_field::Data::JsonData(JsonArray { data })),
                }));
            }
            meta.field_name = META.to_string();
            meta.is_dynamic = true;
            meta.field_id = 0;
            meta.valid_data.clear();
            meta.r#type = proto_type(DataType::Json) as i32;
            out.push(meta);
        }
        Ok((out, rows))
    }
}

/// The rows of a `$meta` column as JSON objects.
fn json_rows(meta: &FieldData, rows: usize) -> Result<Vec<Map<String, Value>>, String> {
    let Some(field_data::Field::Scalars(ScalarField {
        data: Some(scalar_field::Data::JsonData(j)),
    })) = &meta.field
    else {
        return Ok(vec![Map::new(); rows]);
    };
    j.data
        .iter()
        .map(|bytes| match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Ok(Map::new()),
            Err(e) => Err(format!("$meta: invalid JSON: {e}")),
        })
        .collect()
}

/// Drops the placeholder values at nulls of a full-length nullable column.
fn compact(mut data: FieldData, rows: usize) -> FieldData {
    if data.valid_data.is_empty() || data.valid_data.iter().all(|v| *v) {
        return data;
    }
    let keep = data.valid_data.clone();
    if let Some(field_data::Field::Scalars(s)) = &mut data.field
        && let Some(d) = &mut s.data
        && scalar_len(d) == rows
    {
        retain(d, &keep);
    }
    data
}

fn scalar_len(d: &scalar_field::Data) -> usize {
    use scalar_field::Data as S;
    match d {
        S::BoolData(a) => a.data.len(),
        S::IntData(a) => a.data.len(),
        S::LongData(a) => a.data.len(),
        S::FloatData(a) => a.data.len(),
        S::DoubleData(a) => a.data.len(),
        S::StringData(a) => a.data.len(),
        S::JsonData(a) => a.data.len(),
        S::ArrayData(a) => a.data.len(),
        S::BytesData(a) => a.data.len(),
        _ => 0,
    }
}

fn retain(d: &mut scalar_field::Data, keep: &[bool]) {
    use scalar_field::Data as S;
    fn filter<T>(v: &mut Vec<T>, keep: &[bool]) {
        let mut i = 0;
        v.retain(|_| {
            let k = keep.get(i).copied().unwrap_or(true);
            i += 1;
            k
        });
    }
    match d {
        S::BoolData(a) => filter(&mut a.data, keep),
        S::IntData(a) => filter(&mut a.data, keep),
        S::LongData(a) => filter(&mut a.data, keep),
        S::FloatData(a) => filter(&mut a.data, keep),
        S::DoubleData(a) => filter(&mut a.data, keep),
        S::StringData(a) => filter(&mut a.data, keep),
        S::JsonData(a) => filter(&mut a.data, keep),
        S::ArrayData(a) => filter(&mut a.data, keep),
        S::BytesData(a) => filter(&mut a.data, keep),
        _ => {}
    }
}

/// Converts a scalar column to a wider type (the plan only allows lossless pairs).
fn widen(mut data: FieldData, from: DataType, to: DataType) -> Result<FieldData, String> {
    use scalar_field::Data as S;
    let Some(field_data::Field::Scalars(s)) = &mut data.field else {
        return Err("expected a scalar column".into());
    };
    let old = s.data.take();
    s.data = Some(match (old, to) {
        (Some(S::IntData(a)), DataType::Int16 | DataType::Int32) => S::IntData(a),
        (Some(S::IntData(a)), DataType::Int64) => S::LongData(LongArray {
            data: a.data.into_iter().map(i64::from).collect(),
        }),
        (Some(S::IntData(a)), DataType::Float) => S::FloatData(FloatArray {
            data: a.data.into_iter().map(|v| v as f32).collect(),
        }),
        (Some(S::IntData(a)), DataType::Double) => S::DoubleData(DoubleArray {
            data: a.data.into_iter().map(f64::from).collect(),
        }),
        (Some(S::FloatData(a)), DataType::Double) => S::DoubleData(DoubleArray {
            data: a.data.into_iter().map(f64::from).collect(),
        }),
        (other, _) => {
            return Err(format!(
                "cannot widen {from} to {to} (the server sent {})",
                other.map_or("nothing", |_| "another encoding")
            ));
        }
    });
    Ok(data)
}

/// An empty value of a scalar type (what an empty array row must carry).
fn empty(t: DataType) -> scalar_field::Data {
    use scalar_field::Data as S;
    match t {
        DataType::Bool => S::BoolData(BoolArray::default()),
        DataType::Int8 | DataType::Int16 | DataType::Int32 => S::IntData(IntArray::default()),
        DataType::Int64 => S::LongData(LongArray::default()),
        DataType::Float => S::FloatData(FloatArray::default()),
        DataType::Double => S::DoubleData(DoubleArray::default()),
        DataType::Json => S::JsonData(JsonArray::default()),
        _ => S::StringData(StringArray::default()),
    }
}

/// Query answers carry an empty array row as a `ScalarField` without data; Milvus 2.3.5's
/// insert validation dereferences that data and crashes the server. Give every such row the
/// empty value of the element type.
fn fill_empty_array_rows(data: &mut FieldData, element: DataType) {
    if let Some(field_data::Field::Scalars(ScalarField {
        data: Some(scalar_field::Data::ArrayData(a)),
    })) = &mut data.field
    {
        a.element_type = proto_type(element) as i32;
        for row in &mut a.data {
            if row.data.is_none() {
                row.data = Some(empty(element));
            }
        }
    }
}

/// Sets name, type and validity as the new field needs them.
fn finish(mut data: FieldData, f: &Field, rows: usize) -> FieldData {
    if f.data_type == DataType::Array {
        fill_empty_array_rows(&mut data, f.value_type());
    }
    data.field_name = f.name.clone();
    data.field_id = 0;
    data.is_dynamic = false;
    data.r#type = proto_type(f.data_type) as i32;
    let wants_validity = f.nullable || f.default_value.is_some();
    if wants_validity && data.valid_data.is_empty() && !f.data_type.is_vector() {
        data.valid_data = vec![true; rows];
    } else if !wants_validity {
        data.valid_data.clear();
    }
    data
}

/// A column of `f` from JSON values (`None`: null, or the default where there is one).
pub fn from_json(f: &Field, values: &[Option<Value>]) -> Result<FieldData, String> {
    let may_be_missing = f.nullable || f.default_value.is_some();
    if !may_be_missing && let Some(i) = values.iter().position(Option::is_none) {
        return Err(format!(
            "row {i} has no value and the field is neither nullable nor defaulted"
        ));
    }
    let present: Vec<&Value> = values.iter().flatten().collect();
    let data = scalar_data(f, &present)?;
    Ok(FieldData {
        r#type: proto_type(f.data_type) as i32,
        field_name: f.name.clone(),
        field: Some(field_data::Field::Scalars(ScalarField { data: Some(data) })),
        valid_data: if may_be_missing {
            values.iter().map(Option::is_some).collect()
        } else {
            Vec::new()
        },
        ..Default::default()
    })
}

fn scalar_data(f: &Field, values: &[&Value]) -> Result<scalar_field::Data, String> {
    use scalar_field::Data as S;
    let t = f.data_type;
    let bad = |v: &Value| format!("value {v} is not a {t}");
    let ints = |values: &[&Value]| -> Result<Vec<i64>, String> {
        let (lo, hi) = t.integer_range().unwrap_or((i64::MIN, i64::MAX));
        values
            .iter()
            .map(|v| {
                v.as_i64()
                    .filter(|i| (lo..=hi).contains(i))
                    .ok_or_else(|| bad(v))
            })
            .collect()
    };
    Ok(match t {
        DataType::Bool => S::BoolData(BoolArray {
            data: values
                .iter()
                .map(|v| v.as_bool().ok_or_else(|| bad(v)))
                .collect::<Result<_, _>>()?,
        }),
        DataType::Int8 | DataType::Int16 | DataType::Int32 => S::IntData(IntArray {
            data: ints(values)?.into_iter().map(|v| v as i32).collect(),
        }),
        DataType::Int64 => S::LongData(LongArray {
            data: ints(values)?,
        }),
        DataType::Float => S::FloatData(FloatArray {
            data: values
                .iter()
                .map(|v| v.as_f64().map(|x| x as f32).ok_or_else(|| bad(v)))
                .collect::<Result<_, _>>()?,
        }),
        DataType::Double => S::DoubleData(DoubleArray {
            data: values
                .iter()
                .map(|v| v.as_f64().ok_or_else(|| bad(v)))
                .collect::<Result<_, _>>()?,
        }),
        DataType::VarChar => {
            let limit = f.max_length.unwrap_or(65535) as usize;
            S::StringData(StringArray {
                data: values
                    .iter()
                    .map(|v| {
                        let s = v.as_str().ok_or_else(|| bad(v))?;
                        if s.len() > limit {
                            return Err(format!(
                                "a {}-byte string exceeds max_length {limit}",
                                s.len()
                            ));
                        }
                        Ok(s.to_string())
                    })
                    .collect::<Result<_, _>>()?,
            })
        }
        DataType::Json => S::JsonData(JsonArray {
            data: values.iter().map(|v| v.to_string().into_bytes()).collect(),
        }),
        DataType::Array => {
            let element = Field {
                data_type: f.value_type(),
                max_length: f.max_length,
                ..Field::default()
            };
            let cap = f.max_capacity.unwrap_or(4096) as usize;
            let mut rows = Vec::with_capacity(values.len());
            for v in values {
                let items = v.as_array().ok_or_else(|| bad(v))?;
                if items.len() > cap {
                    return Err(format!(
                        "{} elements exceed max_capacity {cap}",
                        items.len()
                    ));
                }
                let refs: Vec<&Value> = items.iter().collect();
                rows.push(ScalarField {
                    data: Some(scalar_data(&element, &refs)?),
                });
            }
            S::ArrayData(ArrayArray {
                data: rows,
                element_type: proto_type(f.value_type()) as i32,
            })
        }
        other => return Err(format!("{other} values cannot come from JSON")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(name: &str, v: Vec<i64>) -> FieldData {
        FieldData {
            field_name: name.into(),
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::LongData(LongArray { data: v })),
            })),
            ..Default::default()
        }
    }

    #[test]
    fn empty_array_rows_get_typed_empty_data() {
        let mut d = FieldData {
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::ArrayData(ArrayArray {
                    data: vec![ScalarField { data: None }],
                    element_type: 0,
                })),
            })),
            ..Default::default()
        };
        let mut f = Field::new("a", DataType::Array);
        f.element_type = Some(DataType::VarChar);
        d = finish(d, &f, 1);
        let Some(field_data::Field::Scalars(ScalarField {
            data: Some(scalar_field::Data::ArrayData(a)),
        })) = &d.field
        else {
            panic!()
        };
        assert!(matches!(
            a.data[0].data,
            Some(scalar_field::Data::StringData(_))
        ));
    }

    #[test]
    fn full_length_nullable_columns_are_compacted() {
        let mut d = long("x", vec![1, 0, 3]);
        d.valid_data = vec![true, false, true];
        let d = compact(d, 3);
        match d.field {
            Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::LongData(l)),
            })) => assert_eq!(l.data, vec![1, 3]),
            _ => panic!(),
        }
    }

    #[test]
    fn json_values_fill_typed_columns_and_missing_ones_need_a_default() {
        let mut f = Field::new("n", DataType::Int16);
        let vals = vec![Some(serde_json::json!(5)), None];
        assert!(from_json(&f, &vals).unwrap_err().contains("row 1"));
        f.nullable = true;
        let d = from_json(&f, &vals).unwrap();
        assert_eq!(d.valid_data, vec![true, false]);
        assert!(from_json(&f, &[Some(serde_json::json!(70000))]).is_err());
    }
}
