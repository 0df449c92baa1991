//! Properties every generator must have, checked on every built-in schema and on schemas made
//! to stress one rule each.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use serde_json::Value;

use super::*;
use crate::generate::CHUNK_ROWS;
use crate::schema::{BUILTINS, SchemaFormat, load_builtin, parse_schema};

fn ctx(seed: u64) -> GenContext {
    GenContext {
        seed,
        total_rows: 100_000,
    }
}

fn chunk(index: u64, rows: usize) -> ChunkRequest {
    ChunkRequest {
        chunk_index: index,
        first_row: index * CHUNK_ROWS,
        rows,
    }
}

fn schema(json: &str) -> Schema {
    parse_schema(json, SchemaFormat::Json, "test.json").expect("valid schema")
}

fn batch(schema: &Schema, seed: u64, req: &ChunkRequest) -> RecordBatch {
    native_batch(&ctx(seed), schema, req).expect("generates")
}

#[test]
fn every_builtin_generates_its_arrow_schema_and_a_prefix_is_the_same_rows() {
    for (name, _) in BUILTINS {
        let s = load_builtin(name).unwrap();
        // `RecordBatch::try_new` inside checks every column against `format::arrow_schema`.
        let full = batch(&s, 9, &chunk(3, CHUNK_ROWS as usize));
        assert_eq!(full.num_rows(), CHUNK_ROWS as usize, "{name}");
        let prefix = batch(&s, 9, &chunk(3, 100));
        assert_eq!(
            prefix,
            full.slice(0, 100),
            "{name}: a shorter request changed rows"
        );
        assert_eq!(
            batch(&s, 9, &chunk(3, 100)),
            prefix,
            "{name}: not deterministic"
        );
        assert_ne!(
            batch(&s, 10, &chunk(3, 100)),
            prefix,
            "{name}: seed ignored"
        );
    }
}

#[test]
fn varchar_values_respect_their_byte_limits_in_every_builtin() {
    for (name, _) in BUILTINS {
        let s = load_builtin(name).unwrap();
        let b = batch(&s, 1, &chunk(0, 500));
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
            for v in strings {
                assert!(v.len() <= max as usize, "{name}.{}: {v:?}", f.name);
                assert!(
                    v.len() >= f.min_length.unwrap_or(0) as usize,
                    "{name}.{}",
                    f.name
                );
            }
        }
    }
}

#[test]
fn primary_keys_are_unique_across_chunks_in_every_style() {
    let s = schema(
        r#"{"collection_name": "k", "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "v", "type": "FloatVector", "dim": 2}]}"#,
    );
    let mut ids = HashSet::new();
    for c in 0..5 {
        let b = batch(&s, 1, &chunk(c, CHUNK_ROWS as usize));
        ids.extend(
            b.column(0)
                .as_primitive::<Int64Type>()
                .values()
                .iter()
                .copied(),
        );
    }
    assert_eq!(ids.len(), 5 * CHUNK_ROWS as usize);
    assert!(ids.contains(&1), "Int64 keys count from 1");

    for (max_length, kind, len) in [(50, "", 16), (64, r#", "kind": "uuid""#, 36), (4, "", 4)] {
        let s = schema(&format!(
            r#"{{"collection_name": "k", "fields": [
                {{"name": "id", "type": "VarChar", "max_length": {max_length}, "is_primary": true {kind}}},
                {{"name": "v", "type": "FloatVector", "dim": 2}}]}}"#
        ));
        let mut keys = HashSet::new();
        for c in 0..5 {
            let b = batch(&s, 1, &chunk(c, CHUNK_ROWS as usize));
            for k in b.column(0).as_string::<i32>().iter().flatten() {
                assert_eq!(k.len(), len, "{k}");
                keys.insert(k.to_string());
            }
        }
        assert_eq!(
            keys.len(),
            5 * CHUNK_ROWS as usize,
            "max_length {max_length}"
        );
    }
}

#[test]
fn impossible_key_ranges_are_errors_naming_the_field() {
    let s = schema(
        r#"{"collection_name": "k", "fields": [
            {"name": "id", "type": "Int64", "is_primary": true, "min": 1, "max": 10},
            {"name": "v", "type": "FloatVector", "dim": 2}]}"#,
    );
    let err = native_batch(&ctx(1), &s, &chunk(0, 10)).unwrap_err();
    assert!(err.to_string().contains("`id`") && err.is_usage(), "{err}");
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
    let b = batch(&s, 1, &chunk(0, 4000));
    let rows = 4000.0;
    let nulls = b.column_by_name("maybe").unwrap().null_count() as f64 / rows;
    assert!((nulls - 0.3).abs() < 0.03, "{nulls}");
    let status = b.column_by_name("status").unwrap().as_string::<i32>();
    let defaults = status.iter().filter(|v| *v == Some("new")).count() as f64 / rows;
    assert!((defaults - 0.5).abs() < 0.03, "{defaults}");
    assert!(
        status
            .iter()
            .flatten()
            .all(|v| ["new", "open", "closed"].contains(&v))
    );
    let tags = b.column_by_name("tags").unwrap().as_list::<i32>();
    let null_tags = tags.null_count() as f64 / rows;
    assert!((null_tags - 0.2).abs() < 0.03, "{null_tags}");
    for i in 0..tags.len() {
        if tags.is_valid(i) {
            assert!((1..=3).contains(&tags.value(i).len()));
        }
    }
}

#[test]
fn json_shapes_nest_and_meta_leaves_null_keys_out() {
    let s = load_builtin("multimedia_content").unwrap();
    let b = batch(&s, 2, &chunk(0, 500));
    let props = b.column_by_name("properties").unwrap().as_string::<i32>();
    let mut cameras = 0;
    for v in props.iter().flatten() {
        let v: Value = serde_json::from_str(v).unwrap();
        let w = v["width"].as_i64().unwrap();
        assert!((64..=7680).contains(&w));
        assert!(
            v["tags"]
                .as_array()
                .is_some_and(|t| (1..=5).contains(&t.len()))
        );
        if let Some(iso) = v["camera"]["iso"].as_i64() {
            assert!((50..=6400).contains(&iso));
            cameras += 1;
        }
    }
    assert!(cameras > 0 && props.null_count() > 0);

    let s = schema(
        r#"{"collection_name": "m", "enable_dynamic_field": true, "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "v", "type": "FloatVector", "dim": 2}],
            "dynamic_fields": [
              {"name": "city", "type": "VarChar", "max_length": 40, "kind": "city"},
              {"name": "rank", "type": "Int64", "nullable": true, "null_ratio": 0.5}]}"#,
    );
    let b = batch(&s, 2, &chunk(0, 200));
    let meta = b.column_by_name("$meta").unwrap().as_string::<i32>();
    let mut without_rank = 0;
    for v in meta.iter() {
        let v: Value = serde_json::from_str(v.unwrap()).unwrap();
        assert!(v["city"].is_string());
        if v.get("rank").is_none() {
            without_rank += 1;
        } else {
            assert!(v["rank"].is_i64());
        }
    }
    assert!((50..150).contains(&without_rank), "{without_rank}");
}

fn vector_batch(fields: &str) -> RecordBatch {
    let s = schema(&format!(
        r#"{{"collection_name": "v", "fields": [
            {{"name": "id", "type": "Int64", "is_primary": true}}, {fields}]}}"#
    ));
    batch(&s, 3, &chunk(0, 50))
}

fn row_lengths(b: &RecordBatch, name: &str) -> Vec<usize> {
    let list = b.column_by_name(name).unwrap().as_list::<i32>();
    let lens: HashSet<usize> = (0..list.len()).map(|i| list.value(i).len()).collect();
    lens.into_iter().collect()
}

#[test]
fn float_vectors_are_unit_length_and_clusters_stay_tight() {
    let b = vector_batch(
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
    let row = f.value(0);
    let norm: f32 = row
        .as_primitive::<Float32Type>()
        .values()
        .iter()
        .map(|x| x * x)
        .sum();
    assert!((norm - 1.0).abs() < 1e-4, "{norm}");

    // Tight clusters: every row is close to one of three directions.
    let c = b.column_by_name("c").unwrap().as_list::<i32>();
    let mut directions: Vec<Vec<f32>> = Vec::new();
    for i in 0..c.len() {
        let v = c.value(i).as_primitive::<Float32Type>().values().to_vec();
        let near = |d: &Vec<f32>| d.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>() > 0.99;
        if !directions.iter().any(near) {
            directions.push(v);
        }
    }
    assert!(directions.len() <= 3, "{} clusters", directions.len());
}

#[test]
fn binary_int8_and_sparse_vectors_have_their_shapes() {
    let b = vector_batch(
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
        assert!(idx.windows(2).all(|w| w[0] < w[1]) && idx.iter().all(|i| *i < 1000));
        // 10..=30 drawn; repeats are dropped, so a row may come out slightly shorter.
        assert!((8..=30).contains(&idx.len()), "{}", idx.len());
        assert!(
            v.values()
                .all(|x| x.as_f64().is_some_and(|x| x > 0.0 && x <= 1.0))
        );
    }
}

#[test]
fn fields_with_plugin_generators_and_auto_ids_are_refused_natively() {
    let mut s = load_builtin("product_catalog").unwrap();
    let auto = s.primary().unwrap().clone();
    let Err(err) = field_generator(&ctx(1), &auto) else {
        panic!("an auto_id key was generated")
    };
    assert!(err.to_string().contains("auto_id"), "{err}");
    let field = s.fields.iter_mut().find(|f| !f.is_primary).unwrap();
    field.generator = Some(crate::schema::PluginRef {
        plugin: "text-gen".into(),
        name: "titles".into(),
        params: Value::Null,
        fields: vec![],
    });
    let err = native_batch(&ctx(1), &s, &chunk(0, 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("text-gen"), "{err}");
}
