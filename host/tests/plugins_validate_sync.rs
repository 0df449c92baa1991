//! The validator and sync-handler worlds, and `plugin inspect`, on real components.

mod support;

use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, ListArray, RecordBatch};
use arrow_buffer::OffsetBuffer;
use milvus_ingest::format::arrow_schema;
use milvus_ingest::plugin::{Documents, World, inspect, inspect_text};
use milvus_ingest::schema::{SchemaFormat, parse_schema};
use serde_json::json;
use support::*;

fn vectors(rows: &[[f32; 4]]) -> ArrayRef {
    let values = Float32Array::from(rows.iter().flatten().copied().collect::<Vec<_>>());
    let item = Arc::new(::arrow_schema::Field::new(
        "item",
        ::arrow_schema::DataType::Float32,
        true,
    ));
    Arc::new(ListArray::new(
        item,
        OffsetBuffer::from_lengths(std::iter::repeat_n(4, rows.len())),
        Arc::new(values),
        None,
    ))
}

#[test]
fn vector_validators_report_rows_of_the_dataset() {
    let schema = parse_schema(
        &json!({"collection_name": "v", "fields": [
            {"name": "id", "type": "Int64", "is_primary": true, "auto_id": true},
            {"name": "a", "type": "FloatVector", "dim": 4,
             "validators": [{"plugin": "vector-check", "name": "norm"}]},
            {"name": "b", "type": "FloatVector", "dim": 4}],
            "validators": [{"plugin": "vector-check", "name": "dimension", "fields": ["a", "b"]}]})
        .to_string(),
        SchemaFormat::Json,
        "test",
    )
    .unwrap();
    let (host, _c) = host(0, &["vector_check"]);
    let a = vectors(&[
        [1.0, 0.0, 0.0, 0.0],
        [0.5, 0.5, 0.5, 0.5],
        [2.0, 0.0, 0.0, 0.0],
    ]);
    let b = vectors(&[[0.0; 4], [f32::INFINITY, 0.0, 0.0, 0.0], [0.0; 4]]);
    let batch = RecordBatch::try_new(arrow_schema(&schema), vec![a, b]).unwrap();
    let norm = host
        .resolve_validator(
            &schema.fields[1].validators[0],
            &schema,
            Some(&schema.fields[1]),
        )
        .unwrap();
    assert_eq!(norm.name(), "vector-check/norm");
    let found = norm.validate(&batch, 5000).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].row, found[0].field.as_str()), (5002, "a"));
    let dim = host
        .resolve_validator(&schema.validators[0], &schema, None)
        .unwrap();
    let found = dim.validate(&batch, 0).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].row, found[0].field.as_str()), (1, "b"));
    assert!(found[0].message.contains("inf"), "{}", found[0].message);
}

fn doc(id: &str, vector: serde_json::Value) -> String {
    json!({"_id": {"$oid": id}, "user_id": "u", "group_id": null, "participants": null,
           "episode": "é".repeat(3000), "summary": "s", "subject": null, "type": "chat",
           "vector": vector, "timestamp": {"$date": "2024-05-01T00:00:00Z"},
           "created_at": {"$date": {"$numberLong": "1714521600000"}}})
    .to_string()
}

#[test]
fn the_episodic_memory_handler_converts_and_skips_with_reasons() {
    let (host, _c) = host(0, &["episodic_memory"]);
    let handler = host.sync_handler("episodic_memory").unwrap();
    let d = handler.describe();
    assert_eq!(d.source_collection, "episodic_memories");
    assert_eq!(
        (d.source_database.as_str(), d.source_time_field.as_str()),
        ("memsys", "created_at")
    );
    assert_eq!(d.index_params["vector"]["index_type"], "HNSW");
    // The schema it wants is valid for this project's schema model.
    let schema = parse_schema(&d.milvus_schema.to_string(), SchemaFormat::Json, "test").unwrap();
    assert_eq!(schema.field("vector").unwrap().dim, Some(1024));

    let docs = vec![
        doc("65f1a2b3c4d5e6f708192a3b", json!(vec![0.01f32; 1024])),
        doc("65f1a2b3c4d5e6f708192a3c", json!(vec![0.01f32; 768])),
        doc("65f1a2b3c4d5e6f708192a3d", serde_json::Value::Null),
        "not json".to_string(),
    ];
    let out = handler.convert(Documents::Text(&docs)).unwrap();
    assert_eq!(out.entities.len(), 1);
    let (index, row) = (out.entities[0].index, out.entities[0].to_json());
    assert_eq!(index, 0);
    assert_eq!(row["group_id"], "");
    assert_eq!(row["participants"], json!([]));
    assert_eq!(row["created_at"], 1_714_521_600);
    let sc = row["search_content"].as_str().unwrap();
    // A JSON list of [summary, episode], cut within 5000 bytes and still valid JSON.
    assert!(sc.len() <= 5000 && sc.len() >= 4997, "{}", sc.len());
    let items: Vec<String> = serde_json::from_str(sc).unwrap();
    assert_eq!(items[0], "s");
    assert_eq!(row["metadata"], r#"{"summary": "s"}"#);
    assert_eq!(
        (row["parent_type"].clone(), row["parent_id"].clone()),
        (json!(""), json!(""))
    );
    let reasons: Vec<_> = out
        .skipped
        .iter()
        .map(|s| (s.index, s.reason.as_str()))
        .collect();
    assert_eq!(reasons[0], (1, "vector has 768 dimensions, expected 1024"));
    assert_eq!(reasons[1], (2, "no vector"));
    assert!(reasons[2].1.starts_with("not valid JSON"));
    assert_eq!(out.skipped[0].id, "65f1a2b3c4d5e6f708192a3c");

    let err = host
        .sync_handler("semantic_memory")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("episodic_memory"), "{err}");
}

#[test]
fn inspect_prints_world_version_and_exports() {
    let info = inspect(&wasm("text_gen")).unwrap();
    assert_eq!(info.world, World::FieldGenerator);
    let text = inspect_text(&info);
    for want in [
        "plugin:            text-gen",
        "world:             field-generator",
        "interface version: 0.2.0",
        "paragraph [VarChar]",
        "milvus-ingest:plugin/field-generation@0.2.0",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["world"], "field-generator");
    assert_eq!(
        json["functions"][1]["params_schema"]["properties"]["min_bytes"]["type"],
        "integer"
    );
    let sync = inspect(&wasm("episodic_memory")).unwrap();
    let text = inspect_text(&sync);
    for want in [
        "collection type:   episodic_memory",
        "milvus name: episodic_memory (alias forms [{tenant}_]episodic_memory[_{namespace}], tenant prefix optional)",
        "primary key: id; vector dim: 1024",
        "embeds: episode -> vector (model name in vector_model, dim 1024)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let json = serde_json::to_value(&sync).unwrap();
    assert_eq!(
        json["handlers"][0]["embedding"]["text_fields"],
        json!(["episode"])
    );
    assert_eq!(json["handlers"][0]["naming"]["tenant_prefix"], "optional");
}

#[test]
fn the_readme_example_is_the_built_dice_plugin() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = readme
        .split("```rust\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let source = std::fs::read_to_string(root.join("examples/dice/src/lib.rs")).unwrap();
    assert_eq!(example, source);
    assert!(example.lines().count() < 30);
    let info = inspect(&wasm("dice")).unwrap();
    assert_eq!(info.functions[0].name, "roll");
}
