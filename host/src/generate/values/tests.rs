//! Tests of the public entry points over every type and built-in schema.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use serde_json::json;

use super::*;
use crate::format::arrow_type;
use crate::generate::column::ChunkRequest;
use crate::schema::{builtin_names, load_builtin};

fn ctx() -> GenContext {
    GenContext {
        seed: 7,
        total_rows: 100_000,
    }
}

fn req(chunk: u64, rows: usize) -> ChunkRequest {
    ChunkRequest {
        chunk_index: chunk,
        first_row: chunk * 1024,
        rows,
    }
}

fn field(v: serde_json::Value) -> Field {
    serde_json::from_value(v).unwrap()
}

fn generate(f: &Field, rows: usize) -> ArrayRef {
    build_column(f, &f.name, &ctx())
        .unwrap()
        .generate(&req(1, rows))
        .unwrap()
}

/// One field of every type, with the attributes each type requires.
fn one_of_each() -> Vec<Field> {
    DataType::ALL
        .iter()
        .map(|t| {
            let mut f = Field::new(&format!("f_{}", t.name().to_lowercase()), *t);
            match t {
                DataType::VarChar => f.max_length = Some(64),
                DataType::Array => {
                    f.element_type = Some(DataType::VarChar);
                    f.max_length = Some(20);
                    f.max_capacity = Some(5);
                }
                t if t.is_dense_vector() => f.dim = Some(16),
                _ => {}
            }
            f
        })
        .collect()
}

#[test]
fn every_type_has_its_arrow_type_and_is_deterministic() {
    for f in one_of_each() {
        let a = generate(&f, 300);
        assert_eq!(a.data_type(), &arrow_type(&f), "{}", f.data_type);
        assert_eq!(a.len(), 300);
        assert_eq!(a.null_count(), 0, "{}", f.data_type);
        let again = generate(&f, 300);
        assert_eq!(a.to_data(), again.to_data(), "{} twice", f.data_type);
        let prefix = generate(&f, 10);
        assert_eq!(
            prefix.to_data(),
            a.slice(0, 10).to_data(),
            "{} prefix",
            f.data_type
        );
        let other = build_column(&f, &f.name, &ctx())
            .unwrap()
            .generate(&req(2, 300))
            .unwrap();
        if f.data_type != DataType::Bool {
            assert_ne!(
                a.to_data(),
                other.to_data(),
                "{} chunks differ",
                f.data_type
            );
        }
    }
}

#[test]
fn every_type_can_be_nullable_or_defaulted_where_milvus_allows() {
    for mut f in one_of_each()
        .into_iter()
        .filter(|f| !f.data_type.is_vector())
    {
        f.nullable = true;
        f.null_ratio = Some(0.25);
        let a = generate(&f, 1024);
        let share = a.null_count() as f64 / 1024.0;
        assert!((share - 0.25).abs() < 0.05, "{}: {share}", f.data_type);
        assert_eq!(a.data_type(), &arrow_type(&f));
    }
    let f = field(
        json!({"name": "status", "type": "VarChar", "max_length": 20,
        "default_value": "unknown", "default_ratio": 0.3}),
    );
    let a = generate(&f, 1024);
    let hits = a
        .as_string::<i32>()
        .iter()
        .filter(|v| *v == Some("unknown"))
        .count();
    assert!((250..370).contains(&hits), "{hits}");
    let f = field(json!({"name": "level", "type": "Int32", "min": 1, "max": 3,
        "nullable": true, "null_ratio": 0.5, "default_value": 99}));
    let a = generate(&f, 2048);
    let ints = a.as_primitive::<Int32Type>();
    let defaults = ints.iter().filter(|v| *v == Some(99)).count();
    assert!((60..150).contains(&defaults), "{defaults}");
    assert!(
        (900..1150).contains(&ints.null_count()),
        "{}",
        ints.null_count()
    );
}

#[test]
fn ranges_capacities_and_lengths_hold() {
    let f = field(
        json!({"name": "tags", "type": "Array", "element_type": "VarChar",
        "max_length": 7, "min_length": 3, "min_capacity": 2, "max_capacity": 6,
        "words": ["日本語", "naïve", "ok"]}),
    );
    let a = generate(&f, 1024);
    let list = a.as_list::<i32>();
    for i in 0..list.len() {
        assert!((2..=6).contains(&list.value_length(i)));
    }
    for s in list.values().as_string::<i32>().iter() {
        assert!((3..=7).contains(&s.unwrap().len()), "{s:?}");
    }
    let f = field(
        json!({"name": "scores", "type": "Array", "element_type": "Int64",
        "min": -3, "max": 3, "max_capacity": 3}),
    );
    let a = generate(&f, 1024);
    let values = a
        .as_list::<i32>()
        .values()
        .as_primitive::<Int64Type>()
        .clone();
    assert!(values.values().iter().all(|v| (-3..=3).contains(v)));
    let f = field(json!({"name": "ratio", "type": "Float", "min": -0.5, "max": 0.5}));
    let a = generate(&f, 1024);
    assert!(
        a.as_primitive::<Float32Type>()
            .values()
            .iter()
            .all(|v| (-0.5..=0.5).contains(v))
    );
}

#[test]
fn enum_values_and_cardinality_limit_distinct_values() {
    let f = field(
        json!({"name": "category", "type": "VarChar", "max_length": 20,
        "enum_values": ["a", "b", "c", "d"], "distribution": {"type": "zipf", "exponent": 2.0}}),
    );
    let a = generate(&f, 4096);
    let values: Vec<&str> = a.as_string::<i32>().iter().map(|v| v.unwrap()).collect();
    let count = |s: &str| values.iter().filter(|v| **v == s).count();
    assert!(count("a") > 2 * count("b") && count("b") > count("d"));
    assert_eq!(values.iter().collect::<HashSet<_>>().len(), 4);

    let f = field(json!({"name": "city_code", "type": "Int64", "cardinality_ratio": 0.001}));
    let ctx = GenContext {
        seed: 1,
        total_rows: 100_000,
    };
    let g = build_column(&f, "city_code", &ctx).unwrap();
    let mut distinct = HashSet::new();
    for c in 0..20 {
        let a = g.generate(&req(c, 1024)).unwrap();
        distinct.extend(a.as_primitive::<Int64Type>().values().iter().copied());
    }
    assert!((80..=100).contains(&distinct.len()), "{}", distinct.len());

    // Too many to pool: values come from hashing the pool index.
    let f = field(
        json!({"name": "label", "type": "VarChar", "max_length": 40, "cardinality_ratio": 0.5}),
    );
    let ctx = GenContext {
        seed: 1,
        total_rows: 1_000_000,
    };
    let a = build_column(&f, "label", &ctx)
        .unwrap()
        .generate(&req(0, 1024))
        .unwrap();
    let distinct: HashSet<_> = a.as_string::<i32>().iter().collect();
    assert!(distinct.len() > 900, "{}", distinct.len());
}

#[test]
fn objects_write_one_key_per_field_and_nulls_as_null() {
    let fields = vec![
        field(json!({"name": "author", "type": "VarChar", "max_length": 100, "kind": "name"})),
        field(json!({"name": "n", "type": "Int32", "nullable": true, "null_ratio": 0.5})),
        field(json!({"name": "tags", "type": "Array", "element_type": "Int8", "max_capacity": 3})),
        field(json!({"name": "meta", "type": "JSON", "shape": {"x": {"type": "Double"}}})),
    ];
    let a = build_object(&fields, "$meta", &ctx())
        .unwrap()
        .generate(&req(0, 200))
        .unwrap();
    let mut nulls = 0;
    for text in a.as_string::<i32>().iter() {
        let v: serde_json::Value = serde_json::from_str(text.unwrap()).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 4, "{v}");
        assert!(obj["author"].as_str().unwrap().contains(' '));
        nulls += usize::from(obj["n"].is_null());
        assert!(obj["tags"].is_array());
        assert!(obj["meta"]["x"].is_f64());
    }
    assert!((60..140).contains(&nulls), "{nulls}");
}

#[test]
fn default_json_objects_vary_between_rows() {
    let f = Field::new("metadata", DataType::Json);
    let a = generate(&f, 500);
    let mut key_sets = HashSet::new();
    for text in a.as_string::<i32>().iter() {
        let v: serde_json::Value = serde_json::from_str(text.unwrap()).unwrap();
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert!(keys.contains(&"score".to_string()));
        key_sets.insert(keys);
    }
    assert!(key_sets.len() > 3, "{key_sets:?}");
}

#[test]
fn every_builtin_schema_generates_every_data_field() {
    for name in builtin_names() {
        let schema = load_builtin(name).unwrap();
        for f in schema.data_fields() {
            let g = build_column(f, &f.name, &ctx()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let a = g
                .generate(&req(3, 1024))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(a.len(), 1024);
            assert_eq!(a.data_type(), &arrow_type(f), "{name}.{}", f.name);
            if let Some(max) = f.max_length
                && f.data_type == DataType::VarChar
            {
                assert!(
                    a.as_string::<i32>()
                        .iter()
                        .all(|v| v.is_none_or(|s| s.len() <= max as usize))
                );
            }
        }
        if schema.has_meta_column() {
            let g = build_object(&schema.dynamic_fields, "$meta", &ctx()).unwrap();
            let a = g.generate(&req(0, 64)).unwrap();
            for text in a.as_string::<i32>().iter() {
                serde_json::from_str::<serde_json::Value>(text.unwrap()).unwrap();
            }
        }
    }
}

#[test]
fn bad_settings_name_the_field() {
    let f = field(json!({"name": "level", "type": "Int8", "enum_values": [1, 300]}));
    let err = build_column(&f, "level", &ctx()).err().unwrap().to_string();
    assert!(err.contains("level") && err.contains("300"), "{err}");
    let f = field(json!({"name": "pk", "type": "VarChar", "max_length": 2, "is_primary": true}));
    let big = GenContext {
        seed: 1,
        total_rows: 10_000,
    };
    let err = build_column(&f, "pk", &big).err().unwrap().to_string();
    assert!(err.contains("pk") && err.contains("max_length 2"), "{err}");
}
