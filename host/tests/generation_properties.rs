//! Properties of generated data seen through the public `RowSource` API, on every built-in
//! schema and on schemas made to stress one rule each: any row range equals the same rows of a
//! larger range (across chunk boundaries), seeds matter, byte limits hold, nulls and defaults
//! come at their ratios, nested shapes keep their ranges, vectors have their geometry.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};
use serde_json::Value;

use milvus_ingest::generate::dataset::RowSource;
use milvus_ingest::generate::{CHUNK_ROWS, GenContext};
use milvus_ingest::schema::{BUILTINS, DataType, Schema, SchemaFormat, load_builtin, parse_schema};

fn rows(schema: &Schema, seed: u64, start: u64, end: u64) -> RecordBatch {
    let ctx = GenContext {
        seed,
        total_rows: 100_000,
    };
    RowSource::new(schema, &ctx, None)
        .expect("generators build")
        .batch(start, end)
        .expect("rows generate")
}

fn schema(json: &str) -> Schema {
    parse_schema(json, SchemaFormat::Json, "test.json").expect("valid schema")
}

#[test]
fn any_row_range_is_the_same_rows_of_a_larger_range_and_seeds_matter() {
    let (start, end) = (CHUNK_ROWS - 50, CHUNK_ROWS + 70);
    for (name, _) in BUILTINS {
        let s = load_builtin(name).unwrap();
        let whole = rows(&s, 9, 0, 2 * CHUNK_ROWS);
        let part = rows(&s, 9, start, end);
        assert_eq!(
            part,
            whole.slice(start as usize, (end - start) as usize),
            "{name}: rows {start}..{end} differ from the same rows of 0..{}",
            2 * CHUNK_ROWS
        );
        assert_ne!(
            rows(&s, 10, start, end),
            part,
            "{name}: the seed changed nothing"
        );
    }
}

#[test]
fn varchar_values_respect_their_byte_limits_in_every_builtin() {
    for (name, _) in BUILTINS {
        let s = load_builtin(name).unwrap();
        let b = rows(&s, 1, 0, 500);
        for f in s.data_fields() {
            let Some(max) = f.max_length else { continue };
            let col = b.column_by_name(&f.name).unwrap();
            let strings: Vec<&str> = if f.data_type == DataType::Array {
                let list = col.as_list::<i32>();
                list.values().as_string::<i32>().iter().flatten().collect()
            } else {
                col.as_string::<i32>().iter().flatten().collect()
            };
            assert!(!strings.is_empty(), "{name}.{}", f.name);
            let min = f.min_length.unwrap_or(0) as usize;
            for v in strings {
                assert!(
                    (min..=max as usize).contains(&v.len()),
                    "{name}.{}: {} bytes: {v:?}",
                    f.name,
                    v.len()
                );
            }
        }
    }
}

#[test]
fn nulls_and_defaults_appear_at_their_ratios() {
    let s = schema(
        r#"{"collection_name": "n", "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "v", "type": "FloatVector", "dim": 2},
            {"name": "maybe", "type": "Int32", "nullable": true, "null_ratio": 0.3},
            {"name": "status", "type": "VarChar", "max_length": 10, "default_value": "new",
             "default_ratio": 0.5, "enum_values": ["open", "closed"]},
            {"name": "tags", "type": "Array", "element_type": "Int16", "max_capacity": 3,
             "nullable": true, "null_ratio": 0.2}]}"#,
    );
    let b = rows(&s, 1, 0, 4000);
    let share = |n: usize| n as f64 / 4000.0;
    let nulls = share(b.column_by_name("maybe").unwrap().null_count());
    assert!((nulls - 0.3).abs() < 0.03, "null share {nulls}");
    let status = b.column_by_name("status").unwrap().as_string::<i32>();
    let defaults = share(status.iter().filter(|v| *v == Some("new")).count());
    assert!((defaults - 0.5).abs() < 0.03, "default share {defaults}");
    assert!(
        status
            .iter()
            .flatten()
            .all(|v| ["new", "open", "closed"].contains(&v))
    );
    let tags = b.column_by_name("tags").unwrap().as_list::<i32>();
    let null_tags = share(tags.null_count());
    assert!(
        (null_tags - 0.2).abs() < 0.03,
        "null array share {null_tags}"
    );
    for i in (0..tags.len()).filter(|i| tags.is_valid(*i)) {
        assert!((1..=3).contains(&tags.value(i).len()));
    }
}

#[test]
fn nested_json_shapes_keep_their_ranges() {
    let s = load_builtin("multimedia_content").unwrap();
    let b = rows(&s, 2, 0, 500);
    let props = b.column_by_name("properties").unwrap().as_string::<i32>();
    let mut cameras = 0;
    for text in props.iter().flatten() {
        let v: Value = serde_json::from_str(text).unwrap();
        let width = v["width"].as_i64().unwrap();
        assert!((64..=7680).contains(&width), "{v}");
        assert!(v["tags"].as_array().is_some_and(|t| t.len() <= 5), "{v}");
        if let Some(iso) = v["camera"]["iso"].as_i64() {
            assert!((50..=6400).contains(&iso), "{v}");
            cameras += 1;
        }
    }
    assert!(cameras > 0, "no camera objects in 500 rows");
    assert!(props.null_count() > 0, "null_ratio 0.2 gave no nulls");
}

fn vectors(fields: &str) -> RecordBatch {
    let s = schema(&format!(
        r#"{{"collection_name": "v", "fields": [
            {{"name": "id", "type": "Int64", "is_primary": true}}, {fields}]}}"#
    ));
    rows(&s, 3, 0, 50)
}

fn row_lengths(b: &RecordBatch, name: &str) -> Vec<usize> {
    let list = b.column_by_name(name).unwrap().as_list::<i32>();
    let lens: HashSet<usize> = (0..list.len()).map(|i| list.value(i).len()).collect();
    lens.into_iter().collect()
}

#[test]
fn float_vectors_are_unit_length_and_clusters_stay_tight() {
    let b = vectors(
        r#"{"name": "f", "type": "FloatVector", "dim": 16},
           {"name": "c", "type": "FloatVector", "dim": 8,
            "distribution": {"type": "clustered", "clusters": 3, "spread": 0.01}},
           {"name": "h", "type": "Float16Vector", "dim": 12},
           {"name": "bf", "type": "BFloat16Vector", "dim": 12}"#,
    );
    assert_eq!(row_lengths(&b, "f"), vec![16]);
    assert_eq!(row_lengths(&b, "h"), vec![24]);
    assert_eq!(row_lengths(&b, "bf"), vec![24]);

    let f = b.column_by_name("f").unwrap().as_list::<i32>();
    for i in 0..f.len() {
        let row = f.value(i);
        let norm: f32 = row
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|x| x * x)
            .sum();
        assert!((norm - 1.0).abs() < 1e-3, "row {i}: squared norm {norm}");
    }

    // With spread 0.01 every row lies close to one of the three centres.
    let c = b.column_by_name("c").unwrap().as_list::<i32>();
    let mut directions: Vec<Vec<f32>> = Vec::new();
    for i in 0..c.len() {
        let v = c.value(i).as_primitive::<Float32Type>().values().to_vec();
        let dot = |d: &Vec<f32>| d.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>();
        let norm = dot(&v).sqrt();
        if !directions
            .iter()
            .any(|d| dot(d) / (norm * dot(d).sqrt()) > 0.99)
        {
            directions.push(v);
        }
    }
    assert!(directions.len() <= 3, "{} clusters", directions.len());
}

/// A spread of 1e20 used to overflow the squared norm, so every row came out all zeros.
#[test]
fn huge_clustered_spreads_still_give_unit_rows() {
    let b = vectors(
        r#"{"name": "c", "type": "FloatVector", "dim": 768,
            "distribution": {"type": "clustered", "clusters": 4, "spread": 1e20}},
           {"name": "h", "type": "Float16Vector", "dim": 64,
            "distribution": {"type": "clustered", "clusters": 4, "spread": 1e30}}"#,
    );
    let c = b.column_by_name("c").unwrap().as_list::<i32>();
    for i in 0..c.len() {
        let row = c.value(i);
        let v = row.as_primitive::<Float32Type>().values();
        let norm: f32 = v.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-3, "row {i}: squared norm {norm}");
    }
    let h = b.column_by_name("h").unwrap().as_list::<i32>();
    for i in 0..h.len() {
        let row = h.value(i);
        let bytes = row.as_primitive::<arrow_array::types::UInt8Type>().values();
        assert!(
            bytes.iter().any(|x| *x != 0),
            "row {i} of the float16 field is all zero"
        );
    }
}

#[test]
fn binary_int8_and_sparse_vectors_have_their_shapes() {
    let b = vectors(
        r#"{"name": "b", "type": "BinaryVector", "dim": 64},
           {"name": "i", "type": "Int8Vector", "dim": 10},
           {"name": "s", "type": "SparseFloatVector", "dim": 1000, "density": 0.02}"#,
    );
    assert_eq!(row_lengths(&b, "b"), vec![8]);
    assert_eq!(row_lengths(&b, "i"), vec![10]);
    let sparse = b.column_by_name("s").unwrap().as_string::<i32>();
    for text in sparse.iter().flatten() {
        let v: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
        let idx: Vec<u32> = v.keys().map(|k| k.parse().unwrap()).collect();
        assert!(!idx.is_empty(), "an empty sparse row");
        assert!(
            idx.windows(2).all(|w| w[0] < w[1]),
            "indices not sorted: {text}"
        );
        assert!(idx.iter().all(|i| *i < 1000), "index outside dim: {text}");
        assert!(
            v.values().all(|x| x.as_f64().is_some_and(|x| x > 0.0)),
            "{text}"
        );
    }
}
