//! `vector-check`: validators for FloatVector columns.
//!
//! - `dimension`: every row has the field's `dim` values, all finite.
//! - `norm`: every row's L2 norm lies in `[min, max]` (params; defaults 1 +/- `tolerance`,
//!   tolerance 1e-3), i.e. by default vectors must be unit length, as COSINE/IP indexes expect.
//!
//! Both accept several columns at once (collection-level validators).

use milvus_ingest_sdk::prelude::*;
use milvus_ingest_sdk::serde_json::json;
use milvus_ingest_sdk::{F32Vectors, NamedColumn, ValidateRequest, Validator, Violation};

pub struct VectorCheck;

/// At most this many violations per column per batch: enough to diagnose, bounded output.
const MAX_REPORTS: usize = 100;

fn vectors(c: &NamedColumn) -> Result<&F32Vectors, String> {
    match &c.column.data {
        ColumnData::FloatVectors(v) => Ok(v),
        _ => Err(format!("column `{}` is not a FloatVector column", c.name)),
    }
}

fn check_dimension(
    c: &NamedColumn,
    first_row: u64,
    out: &mut Vec<Violation>,
) -> Result<(), String> {
    let v = vectors(c)?;
    let want = c.field.dim.unwrap_or(v.dim);
    let mut push = |row: u64, message: String| {
        if out.len() < MAX_REPORTS {
            out.push(Violation {
                row,
                field: c.name.clone(),
                message,
            });
        }
    };
    if v.dim != want {
        push(
            first_row,
            format!("vectors have dimension {}, the field has dim {want}", v.dim),
        );
        return Ok(());
    }
    if want == 0 || v.values.len() % want as usize != 0 {
        push(
            first_row,
            format!("{} values do not split into rows of {want}", v.values.len()),
        );
        return Ok(());
    }
    for (i, row) in v.values.chunks(want as usize).enumerate() {
        if let Some(j) = row.iter().position(|x| !x.is_finite()) {
            push(first_row + i as u64, format!("component {j} is {}", row[j]));
        }
    }
    Ok(())
}

fn check_norm(
    c: &NamedColumn,
    first_row: u64,
    (min, max): (f64, f64),
    out: &mut Vec<Violation>,
) -> Result<(), String> {
    let v = vectors(c)?;
    if v.dim == 0 {
        return Err(format!("column `{}` has dimension 0", c.name));
    }
    let mut reported = 0;
    for (i, row) in v.values.chunks(v.dim as usize).enumerate() {
        let nulls = c.column.nulls.as_ref();
        if nulls.is_some_and(|n| n.get(i) == Some(&true)) {
            continue;
        }
        let norm = row
            .iter()
            .map(|x| f64::from(*x) * f64::from(*x))
            .sum::<f64>()
            .sqrt();
        if !(min..=max).contains(&norm) && reported < MAX_REPORTS {
            reported += 1;
            out.push(Violation {
                row: first_row + i as u64,
                field: c.name.clone(),
                message: format!("L2 norm {norm:.6} outside [{min}, {max}]"),
            });
        }
    }
    Ok(())
}

fn norm_bounds(params: &milvus_ingest_sdk::serde_json::Value) -> Result<(f64, f64), String> {
    let get = |k: &str| -> Result<Option<f64>, String> {
        match params.get(k) {
            None | Some(milvus_ingest_sdk::serde_json::Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("param `{k}` must be a number")),
        }
    };
    let tol = get("tolerance")?.unwrap_or(1e-3);
    let min = get("min")?.unwrap_or(1.0 - tol);
    let max = get("max")?.unwrap_or(1.0 + tol);
    if !(min <= max && min >= 0.0) {
        return Err(format!("need 0 <= min <= max, got {min}..{max}"));
    }
    Ok((min, max))
}

impl Validator for VectorCheck {
    fn info() -> PluginInfo {
        // Violations depend only on the batch: instances may be reused.
        PluginInfo::new("vector-check", env!("CARGO_PKG_VERSION"), "float vector checks")
            .stateless()
            .function(FunctionInfo::new(
                "dimension",
                "each row has `dim` finite values",
                &[MilvusType::FloatVector],
            ))
            .function(
                FunctionInfo::new("norm", "each row's L2 norm lies in [min, max]", &[MilvusType::FloatVector])
                    .params_schema(json!({
                        "type": "object",
                        "properties": {
                            "min": {"type": "number"}, "max": {"type": "number"},
                            "tolerance": {"type": "number", "description": "around 1 when min/max are absent"}
                        },
                        "additionalProperties": false
                    })),
            )
    }

    fn validate(req: ValidateRequest) -> Result<Vec<Violation>, String> {
        let mut out = Vec::new();
        match req.validator.as_str() {
            "dimension" => {
                for c in &req.columns {
                    check_dimension(c, req.first_row, &mut out)?;
                }
            }
            "norm" => {
                let bounds = norm_bounds(&req.params)?;
                for c in &req.columns {
                    check_norm(c, req.first_row, bounds, &mut out)?;
                }
            }
            other => return Err(format!("no validator `{other}`; expected dimension, norm")),
        }
        Ok(out)
    }
}

milvus_ingest_sdk::export_validator!(VectorCheck);

#[cfg(test)]
mod tests {
    use super::*;

    fn column(dim: u32, values: Vec<f32>) -> (String, String, Column) {
        let field = format!(r#"{{"name":"v","type":"FloatVector","dim":{dim}}}"#);
        ("v".into(), field, Column::float_vectors(dim, values))
    }

    fn run(
        name: &str,
        params: &str,
        cols: Vec<(String, String, Column)>,
    ) -> Result<Vec<Violation>, String> {
        VectorCheck::validate(ValidateRequest::from_wire(name.into(), params, 2048, cols).unwrap())
    }

    #[test]
    fn norms_outside_the_band_are_reported_with_dataset_rows() {
        let values = vec![1.0, 0.0, 0.6, 0.8, 3.0, 4.0];
        let found = run("norm", "null", vec![column(2, values.clone())]).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].row, 2050);
        assert!(found[0].message.contains("5.0"), "{}", found[0].message);
        assert!(
            run("norm", r#"{"min":0,"max":10}"#, vec![column(2, values)])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn dimension_and_finiteness() {
        let found = run(
            "dimension",
            "null",
            vec![column(2, vec![1.0, f32::NAN, 0.0, 1.0])],
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].row, 2048);
        let mut wrong = column(3, vec![0.0; 6]);
        wrong.1 = r#"{"name":"v","type":"FloatVector","dim":4}"#.into();
        let found = run("dimension", "null", vec![wrong]).unwrap();
        assert!(found[0].message.contains("dim 4"));
    }

    #[test]
    fn bad_params_and_columns_are_errors() {
        assert!(
            run(
                "norm",
                r#"{"min":2,"max":1}"#,
                vec![column(2, vec![1.0, 0.0])]
            )
            .is_err()
        );
        let strings = (
            "s".into(),
            r#"{"name":"s","type":"VarChar"}"#.into(),
            Column::strings(vec![]),
        );
        assert!(run("norm", "null", vec![strings]).is_err());
        assert!(run("shape", "null", vec![]).is_err());
    }
}
