//! `to-milvus verify`: does the collection hold what the dataset says?
//!
//! - `count`: `count(*)` equals meta.json's rows, and sampled primary keys are found.
//! - `scalar`: also every non-vector field of the sampled rows equals the file's value, and a
//!   self-search on every dense vector field finds each sampled row.
//! - `full`: also the vectors themselves, element-wise (half floats decoded).
//!
//! Rows are sampled evenly over the dataset and read back with literal `pk in [...]` queries.
//! With auto-id keys the files hold no keys: sampled rows are found by searching their first
//! dense vector instead (the top hit must be the row itself), and the report says so.

use std::collections::HashMap;

use ::milvus::proto::common::PlaceholderType;
use arrow_array::{ArrayRef, RecordBatch};
use serde::Serialize;
use serde_json::Value;

use super::client::Client;
use super::dataset::Dataset;
use super::ddl::{metric_of, output_fields};
use super::error::{MilvusError, Result};
use super::query::{Pk, QueryVector, count, hits, in_expr, pks_of, query, search};
use super::values::{Cell, file_cell, meta_contains, returned_cell, row_count, same};
use crate::format::META_COLUMN;
use crate::schema::{DataType, Field, Schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyLevel {
    Count,
    Scalar,
    Full,
}

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub collection: String,
    pub level: VerifyLevel,
    /// Rows compared (spread evenly over the dataset).
    pub sample: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldReport {
    pub field: String,
    pub checked: u64,
    pub mismatches: u64,
    /// `compared`, `self-search`, or why it was not compared.
    pub check: String,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub collection: String,
    pub level: VerifyLevel,
    pub expected_rows: u64,
    pub actual_rows: u64,
    pub sampled: u64,
    pub found: u64,
    pub fields: Vec<FieldReport>,
    pub notes: Vec<String>,
    pub passed: bool,
}

/// Sampled rows: (file, row in file) evenly spread, at most `n`.
fn sample_rows(dataset: &Dataset, n: usize) -> Vec<(usize, u64)> {
    let total = dataset.total_rows();
    if total == 0 || n == 0 {
        return Vec::new();
    }
    let n = (n as u64).min(total);
    let mut out = Vec::new();
    for k in 0..n {
        let mut global = k * total / n + (total / n) / 2;
        for f in 0..dataset.file_count() {
            let rows = dataset.file_rows(f);
            if global < rows {
                out.push((f, global));
                break;
            }
            global -= rows;
        }
    }
    out
}

/// The sampled rows of the files as one list of (file batch, row) pairs.
fn read_samples(dataset: &Dataset, picks: &[(usize, u64)]) -> Result<Vec<(RecordBatch, usize)>> {
    let mut out = Vec::new();
    for f in 0..dataset.file_count() {
        let rows: Vec<u64> = picks.iter().filter(|p| p.0 == f).map(|p| p.1).collect();
        if rows.is_empty() {
            continue;
        }
        if let Some(batch) = dataset.read_rows(f, &rows)? {
            for i in 0..batch.num_rows() {
                out.push((batch.clone(), i));
            }
        }
    }
    Ok(out)
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a ArrayRef> {
    batch.column_by_name(name)
}

/// The bytes of a vector for a search placeholder.
fn query_vector(field: &Field, cell: &Cell, raw: Option<Vec<u8>>) -> Option<QueryVector> {
    let (kind, bytes) = match (field.data_type, cell) {
        (DataType::FloatVector, Cell::Vector(v)) => (
            PlaceholderType::FloatVector,
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        (DataType::BinaryVector, Cell::Bytes(b)) => (PlaceholderType::BinaryVector, b.clone()),
        (DataType::Float16Vector, _) => (PlaceholderType::Float16Vector, raw?),
        (DataType::BFloat16Vector, _) => (PlaceholderType::BFloat16Vector, raw?),
        (DataType::Int8Vector, Cell::Vector(v)) => (
            PlaceholderType::Int8Vector,
            v.iter().map(|x| *x as i8 as u8).collect(),
        ),
        _ => return None,
    };
    Some(QueryVector { kind, bytes })
}

/// Raw little-endian bytes of a half-float vector row in the file.
fn raw_bytes(column: &ArrayRef, row: usize) -> Option<Vec<u8>> {
    use arrow_array::cast::AsArray;
    let list = column.as_list_opt::<i32>()?;
    Some(
        list.value(row)
            .as_primitive_opt::<arrow_array::types::UInt8Type>()?
            .values()
            .to_vec(),
    )
}

fn search_params() -> String {
    // Generous effort so a self-search on an approximate index still finds the row itself.
    r#"{"ef": 128, "nprobe": 128, "drop_ratio_search": 0}"#.to_string()
}

fn file_pk(schema: &Schema, batch: &RecordBatch, row: usize) -> Option<Pk> {
    let pk = schema.primary()?;
    match file_cell(pk, column(batch, &pk.name)?, row) {
        Cell::Int(v) => Some(Pk::Int(v)),
        Cell::Str(s) => Some(Pk::Str(s)),
        _ => None,
    }
}

pub async fn verify_dataset(
    client: &Client,
    dataset: &Dataset,
    options: &VerifyOptions,
) -> Result<VerifyReport> {
    dataset.check_files()?;
    let schema = dataset.schema();
    let name = &options.collection;
    if !client.has_collection(name).await? {
        return Err(MilvusError::NoCollection {
            collection: name.clone(),
        });
    }
    let expected_rows = dataset.total_rows();
    let actual_rows = count(client, name).await?;
    let mut report = VerifyReport {
        collection: name.clone(),
        level: options.level,
        expected_rows,
        actual_rows,
        sampled: 0,
        found: 0,
        fields: Vec::new(),
        notes: Vec::new(),
        passed: false,
    };
    let picks = sample_rows(dataset, options.sample);
    let samples = read_samples(dataset, &picks)?;
    report.sampled = samples.len() as u64;
    let pk_field = schema.primary().cloned();
    let auto_id = pk_field.as_ref().is_none_or(|f| f.auto_id);
    let outputs = output_fields(schema);
    let mut wanted_outputs: Vec<String> = outputs
        .iter()
        .filter(|n| {
            let f = schema.field(n).expect("output fields come from the schema");
            options.level == VerifyLevel::Full || !f.data_type.is_vector()
        })
        .cloned()
        .collect();
    if schema.has_meta_column() {
        wanted_outputs.push(META_COLUMN.to_string());
    }
    let dense: Vec<&Field> = schema
        .fields
        .iter()
        .filter(|f| f.data_type.is_dense_vector())
        .collect();

    // Returned rows aligned with `samples` (None: not found).
    let mut returned: Vec<Option<HashMap<String, Cell>>> = vec![None; samples.len()];
    if !auto_id {
        let pk = pk_field.as_ref().expect("not auto-id means a key");
        let keys: Vec<Option<Pk>> = samples
            .iter()
            .map(|(b, r)| file_pk(schema, b, *r))
            .collect();
        let list: Vec<Pk> = keys.iter().flatten().cloned().collect();
        let mut by_pk: HashMap<Pk, HashMap<String, Cell>> = HashMap::new();
        for chunk in list.chunks(1000) {
            let fields = query(
                client,
                name,
                &in_expr(&pk.name, chunk),
                &wanted_outputs,
                None,
            )
            .await?;
            let Some(pk_data) = fields.iter().find(|f| f.field_name == pk.name) else {
                continue;
            };
            for (i, key) in pks_of(pk_data).into_iter().enumerate() {
                let row: HashMap<String, Cell> = fields
                    .iter()
                    .map(|f| (f.field_name.clone(), returned_cell(f, i)))
                    .collect();
                by_pk.insert(key, row);
            }
        }
        for (i, key) in keys.iter().enumerate() {
            returned[i] = key.as_ref().and_then(|k| by_pk.remove(k));
        }
    } else if let Some(vf) = dense.first() {
        report.notes.push(format!(
            "primary key is auto-id (not in the files): sampled rows were matched by searching `{}`",
            vf.name
        ));
        let metric = metric_of(vf, schema);
        for (i, (batch, row)) in samples.iter().enumerate() {
            let Some(c) = column(batch, &vf.name) else {
                continue;
            };
            let cell = file_cell(vf, c, *row);
            let Some(qv) = query_vector(vf, &cell, raw_bytes(c, *row)) else {
                continue;
            };
            let result = search(
                client,
                name,
                &vf.name,
                &metric,
                vec![qv],
                1,
                &wanted_outputs,
                &search_params(),
            )
            .await?;
            if row_count_of(&result.fields_data) > 0 {
                returned[i] = Some(
                    result
                        .fields_data
                        .iter()
                        .map(|f| (f.field_name.clone(), returned_cell(f, 0)))
                        .collect(),
                );
            }
        }
    } else {
        report.notes.push("primary key is auto-id and there is no dense vector to match rows by: only the count was checked".into());
    }
    report.found = returned.iter().filter(|r| r.is_some()).count() as u64;

    if options.level != VerifyLevel::Count && !samples.is_empty() {
        for field in schema.data_fields() {
            if field.data_type.is_vector() && options.level != VerifyLevel::Full {
                continue;
            }
            report
                .fields
                .push(compare_field(field, &samples, &returned));
        }
        if schema.has_meta_column() {
            report.fields.push(compare_meta(&samples, &returned));
        }
        for vf in &dense {
            report
                .fields
                .push(self_search(client, name, schema, vf, &samples, auto_id).await?);
        }
    }
    let fields_ok = report.fields.iter().all(|f| f.mismatches == 0);
    report.passed = actual_rows == expected_rows && report.found == report.sampled && fields_ok;
    if actual_rows != expected_rows {
        report.notes.push(format!(
            "count(*) is {actual_rows}, meta.json says {expected_rows}"
        ));
    }
    if report.found != report.sampled {
        report.notes.push(format!(
            "{} of {} sampled rows were not found",
            report.sampled - report.found,
            report.sampled
        ));
    }
    Ok(report)
}

fn row_count_of(fields: &[::milvus::proto::schema::FieldData]) -> usize {
    fields.first().map_or(0, row_count)
}

fn compare_field(
    field: &Field,
    samples: &[(RecordBatch, usize)],
    returned: &[Option<HashMap<String, Cell>>],
) -> FieldReport {
    let mut report = FieldReport {
        field: field.name.clone(),
        checked: 0,
        mismatches: 0,
        check: "compared".into(),
        examples: Vec::new(),
    };
    for ((batch, row), got) in samples.iter().zip(returned) {
        let (Some(got), Some(col)) = (got, column(batch, &field.name)) else {
            continue;
        };
        let expected = file_cell(field, col, *row);
        let actual = got.get(&field.name).cloned().unwrap_or(Cell::Null);
        report.checked += 1;
        if !same(&expected, &actual) {
            report.mismatches += 1;
            if report.examples.len() < 3 {
                report
                    .examples
                    .push(format!("file {expected}, Milvus {actual}"));
            }
        }
    }
    report
}

fn compare_meta(
    samples: &[(RecordBatch, usize)],
    returned: &[Option<HashMap<String, Cell>>],
) -> FieldReport {
    let mut report = FieldReport {
        field: META_COLUMN.into(),
        checked: 0,
        mismatches: 0,
        check: "dynamic keys compared".into(),
        examples: Vec::new(),
    };
    let meta = Field::new(META_COLUMN, DataType::Json);
    for ((batch, row), got) in samples.iter().zip(returned) {
        let (Some(got), Some(col)) = (got, column(batch, META_COLUMN)) else {
            continue;
        };
        let Cell::Json(expected) = file_cell(&meta, col, *row) else {
            continue;
        };
        let actual = match got.get(META_COLUMN) {
            Some(Cell::Json(v)) => v.clone(),
            _ => Value::Null,
        };
        report.checked += 1;
        if !meta_contains(&expected, &actual) {
            report.mismatches += 1;
            if report.examples.len() < 3 {
                report
                    .examples
                    .push(format!("file {expected}, Milvus {actual}"));
            }
        }
    }
    report
}

async fn self_search(
    client: &Client,
    name: &str,
    schema: &Schema,
    field: &Field,
    samples: &[(RecordBatch, usize)],
    auto_id: bool,
) -> Result<FieldReport> {
    let metric = metric_of(field, schema);
    let mut report = FieldReport {
        field: field.name.clone(),
        checked: 0,
        mismatches: 0,
        check: format!("self-search ({metric})"),
        examples: Vec::new(),
    };
    let mut vectors = Vec::new();
    let mut keys = Vec::new();
    for (batch, row) in samples.iter().take(50) {
        let Some(col) = column(batch, &field.name) else {
            continue;
        };
        let cell = file_cell(field, col, *row);
        if let Some(qv) = query_vector(field, &cell, raw_bytes(col, *row)) {
            vectors.push(qv);
            keys.push(file_pk(schema, batch, *row));
        }
    }
    if vectors.is_empty() {
        return Ok(report);
    }
    let result = search(
        client,
        name,
        &field.name,
        &metric,
        vectors,
        10,
        &[],
        &search_params(),
    )
    .await?;
    for (i, found) in hits(&result).into_iter().enumerate() {
        report.checked += 1;
        let ok = if auto_id {
            // Without keys: the best hit must be at the row's own distance.
            found
                .first()
                .is_some_and(|(_, score)| match metric.as_str() {
                    "COSINE" => (score - 1.0).abs() < 1e-2,
                    "L2" | "HAMMING" | "JACCARD" => score.abs() < 1e-2,
                    _ => true,
                })
        } else {
            keys[i]
                .as_ref()
                .is_some_and(|k| found.iter().any(|(p, _)| p == k))
        };
        if !ok {
            report.mismatches += 1;
            if report.examples.len() < 3 {
                report.examples.push(format!(
                    "query {i}: own row not in the top 10 ({} hits)",
                    found.len()
                ));
            }
        }
    }
    Ok(report)
}
