//! Shared helpers of the end-to-end tests: the services' addresses (from the env.sh that
//! `scripts/services.sh up` writes) and a small deterministic dataset writer (Parquet +
//! meta.json in the layout of `format::arrow_types`), so these tests do not depend on the
//! generator's value quality.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float32Builder, Float64Builder, Int8Builder, Int16Builder, Int32Builder,
    Int64Builder, ListBuilder, StringBuilder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use milvus_ingest::format::{DataFile, DatasetMeta, GenerationInfo, META_COLUMN, arrow_schema};
use milvus_ingest::schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;

/// Variables exported by `$MILVUS_INGEST_SERVICES_DIR/env.sh`.
pub fn services() -> HashMap<String, String> {
    let dir = std::env::var("MILVUS_INGEST_SERVICES_DIR")
        .unwrap_or_else(|_| "/tmp/milvus-ingest-services".into());
    let path = Path::new(&dir).join("env.sh");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the test services are not up ({}: {e}); run `scripts/services.sh up` first",
            path.display()
        )
    });
    let mut vars = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("export ")
            && let Some((k, v)) = rest.split_once('=')
        {
            vars.insert(k.to_string(), v.trim_matches(['"', '\'']).to_string());
        }
    }
    vars
}

/// The URI in `var` (e.g. `MI_MILVUS23_URI`); fails the test with a clear message if missing.
pub fn service_uri(var: &str) -> String {
    if let Ok(v) = std::env::var(var) {
        return v;
    }
    services().get(var).cloned().unwrap_or_else(|| {
        panic!("{var} is not in the services env.sh: run `scripts/services.sh up` (the service may have failed to start)")
    })
}

fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A float in [-1, 1) from (row, field salt, position).
fn unit(row: u64, salt: u64, k: u64) -> f32 {
    (mix(row.wrapping_mul(1_000_003) ^ salt.wrapping_mul(7919) ^ k.wrapping_mul(104_729)) >> 40)
        as f32
        / (1u64 << 23) as f32
        - 1.0
}

fn salt(name: &str) -> u64 {
    name.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    })
}

fn is_null(field: &Field, row: u64) -> bool {
    field.nullable && row % 5 == 3
}

fn varchar(field: &Field, row: u64) -> String {
    let limit = field.max_length.unwrap_or(64) as usize;
    let mut s = if field.is_primary {
        format!("pk-{row:08}")
    } else {
        format!("{}-{row}-é", field.name)
    };
    while s.len() > limit {
        s.pop();
    }
    s
}

fn scalar_column(field: &Field, t: DataType, rows: std::ops::Range<u64>) -> ArrayRef {
    let s = salt(&field.name);
    macro_rules! build {
        ($b:expr, $f:expr) => {{
            let mut b = $b;
            for r in rows.clone() {
                if is_null(field, r) {
                    b.append_null()
                } else {
                    b.append_value($f(r))
                }
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    match t {
        DataType::Bool => build!(BooleanBuilder::new(), |r: u64| (r + s).is_multiple_of(2)),
        DataType::Int8 => build!(Int8Builder::new(), |r: u64| ((r + s) % 100) as i8),
        DataType::Int16 => build!(Int16Builder::new(), |r: u64| ((r + s) % 1000) as i16),
        DataType::Int32 => build!(Int32Builder::new(), |r: u64| ((r * 7 + s) % 5 + 1) as i32),
        DataType::Int64 => build!(Int64Builder::new(), |r: u64| if field.is_primary {
            r as i64
        } else {
            ((r + s) % 100 + 1) as i64
        }),
        DataType::Float => build!(Float32Builder::new(), |r: u64| unit(r, s, 0) * 100.0),
        DataType::Double => build!(Float64Builder::new(), |r: u64| unit(r, s, 0) as f64 * 1e3
            + 0.125),
        DataType::Json => build!(StringBuilder::new(), |r: u64| format!(
            r#"{{"i": {r}, "name": "n{r}", "tags": ["a", "b"], "x": {}}}"#,
            unit(r, s, 1)
        )),
        DataType::SparseFloatVector => build!(StringBuilder::new(), |r: u64| {
            let dim = field.dim.unwrap_or(1000) as u64;
            let mut idx: Vec<u64> = (0..5).map(|k| mix(r * 31 + k + s) % dim).collect();
            idx.sort();
            idx.dedup();
            let parts: Vec<String> = idx
                .iter()
                .enumerate()
                .map(|(k, i)| format!("\"{i}\": {}", (unit(r, s, k as u64).abs() + 0.01)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }),
        _ => build!(StringBuilder::new(), |r: u64| varchar(field, r)),
    }
}

fn column(field: &Field, rows: std::ops::Range<u64>) -> ArrayRef {
    let s = salt(&field.name);
    let dim = field.dim.unwrap_or(0) as u64;
    match field.data_type {
        DataType::Array => {
            let element = field.value_type();
            let cap = field.max_capacity.unwrap_or(4).min(3) as u64;
            let sub = Field {
                name: field.name.clone(),
                max_length: field.max_length,
                ..Field::default()
            };
            // Build each row's elements as a scalar column, then concatenate into a list.
            let mut offsets = vec![0i32];
            let mut parts: Vec<ArrayRef> = Vec::new();
            let mut valid = Vec::new();
            for r in rows.clone() {
                let null = is_null(field, r);
                let n = if null { 0 } else { 1 + (r % cap.max(1)) };
                parts.push(scalar_column(&sub, element, r * 10..r * 10 + n));
                offsets.push(offsets.last().unwrap() + n as i32);
                valid.push(!null);
            }
            let refs: Vec<&dyn arrow_array::Array> = parts.iter().map(|a| a.as_ref()).collect();
            let values = arrow_select::concat::concat(&refs).unwrap();
            let item = Arc::new(arrow_schema::Field::new(
                "item",
                values.data_type().clone(),
                true,
            ));
            Arc::new(arrow_array::ListArray::new(
                item,
                arrow_buffer::OffsetBuffer::new(offsets.into()),
                values,
                field
                    .nullable
                    .then(|| arrow_buffer::NullBuffer::from(valid)),
            ))
        }
        DataType::FloatVector => {
            let mut b = ListBuilder::new(Float32Builder::new());
            for r in rows {
                for k in 0..dim {
                    b.values().append_value(unit(r, s, k));
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
        DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector => {
            let mut b = ListBuilder::new(UInt8Builder::new());
            for r in rows {
                match field.data_type {
                    DataType::BinaryVector => {
                        for k in 0..dim / 8 {
                            b.values()
                                .append_value((mix(r * 1000 + k + s) & 0xff) as u8);
                        }
                    }
                    DataType::Float16Vector => {
                        for k in 0..dim {
                            for byte in half::f16::from_f32(unit(r, s, k)).to_le_bytes() {
                                b.values().append_value(byte);
                            }
                        }
                    }
                    _ => {
                        for k in 0..dim {
                            for byte in half::bf16::from_f32(unit(r, s, k)).to_le_bytes() {
                                b.values().append_value(byte);
                            }
                        }
                    }
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
        DataType::Int8Vector => {
            let mut b = ListBuilder::new(Int8Builder::new());
            for r in rows {
                for k in 0..dim {
                    b.values().append_value((unit(r, s, k) * 127.0) as i8);
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
        t => scalar_column(field, t, rows),
    }
}

/// Writes `rows` rows of `schema` as `files` Parquet files plus meta.json into `dir`.
pub fn write_dataset(dir: &Path, schema: &Schema, rows: u64, files: u64) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let arrow = arrow_schema(schema);
    let per = rows.div_ceil(files.max(1));
    let mut data_files = Vec::new();
    let mut first = 0;
    let mut n = 0;
    while first < rows {
        n += 1;
        let end = (first + per).min(rows);
        let name = if files == 1 {
            "data.parquet".to_string()
        } else {
            format!("data-{n:05}-of-{files:05}.parquet")
        };
        let mut columns: Vec<ArrayRef> = Vec::new();
        for f in arrow.fields() {
            if f.name() == META_COLUMN {
                let mut b = StringBuilder::new();
                for r in first..end {
                    b.append_value(format!(
                        r#"{{"author": "a{r}", "word_count": {}}}"#,
                        r % 4000
                    ));
                }
                columns.push(Arc::new(b.finish()));
            } else {
                columns.push(column(schema.field(f.name()).unwrap(), first..end));
            }
        }
        let batch = RecordBatch::try_new(arrow.clone(), columns).unwrap();
        let path = dir.join(&name);
        let mut w =
            ArrowWriter::try_new(File::create(&path).unwrap(), arrow.clone(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        data_files.push(DataFile {
            file_name: name,
            rows: end - first,
            file_size_bytes: std::fs::metadata(&path).unwrap().len(),
            first_row: first,
        });
        first = end;
    }
    let meta = DatasetMeta {
        schema: schema.clone(),
        generation_info: GenerationInfo {
            total_rows: rows,
            format: "parquet".into(),
            seed: 0,
            file_count: data_files.len(),
            data_files,
            start_row: 0,
            compression: None,
            generation_time: 0.0,
            rows_per_second: 0.0,
            total_size_bytes: 0,
            generator: "tests/common".into(),
        },
        collection_config: None,
    };
    std::fs::write(
        dir.join("meta.json"),
        serde_json::to_string_pretty(&meta).unwrap(),
    )
    .unwrap();
    dir.to_path_buf()
}
