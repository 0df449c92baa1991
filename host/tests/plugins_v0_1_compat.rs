//! Components built against interface 0.1.0 (kept prebuilt in tests/data/v0_1, from before the
//! SDK moved to 0.2.0) still load and produce exactly what the 0.2.0 builds of the same plugins
//! produce: the host adapts them to the 0.2 shapes.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, ListArray, RecordBatch};
use arrow_buffer::OffsetBuffer;
use milvus_ingest::format::arrow_schema;
use milvus_ingest::generate::ChunkRequest;
use milvus_ingest::plugin::{Documents, PluginHost, World, inspect};
use milvus_ingest::schema::{Field, PluginRef, SchemaFormat, parse_schema};
use serde_json::json;
use support::*;

fn v0_1(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/v0_1")
        .join(format!("{name}.wasm"))
}

fn host_of(path: &Path, seed: u64) -> (PluginHost, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let host =
        PluginHost::with_cache_dir(Default::default(), seed, Some(cache.path().to_path_buf()))
            .unwrap();
    host.load(path).unwrap();
    (host, cache)
}

#[test]
fn old_components_report_their_version_and_world() {
    for (name, world) in [
        ("text_gen", World::FieldGenerator),
        ("vector_check", World::Validator),
        ("episodic_memory", World::SyncHandler),
    ] {
        let old = inspect(&v0_1(name)).unwrap();
        assert_eq!(
            (old.world, old.interface_version.as_str()),
            (world, "0.1.0")
        );
        assert!(!old.stateless);
    }
    let new = inspect(&wasm("text_gen")).unwrap();
    assert_eq!(new.interface_version, "0.2.0");
    // The 0.2 build declares itself stateless (instances are reused); the 0.1 one cannot.
    assert!(new.stateless);
    let old = inspect(&v0_1("text_gen")).unwrap();
    let names = |i: &milvus_ingest::plugin::PluginInfo| {
        i.functions
            .iter()
            .map(|f| (f.name.clone(), f.types.clone(), f.params_schema.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&old), names(&new));
}

#[test]
fn an_old_generator_produces_the_same_columns_as_its_new_build() {
    let field: Field = serde_json::from_value(
        json!({"name": "t", "type": "VarChar", "max_length": 300, "nullable": true}),
    )
    .unwrap();
    let (old, _a) = host_of(&v0_1("text_gen"), 7);
    let (new, _b) = host_of(&wasm("text_gen"), 7);
    for (name, params) in [
        ("sentence", serde_json::Value::Null),
        ("paragraph", json!({"min_bytes": 50, "max_bytes": 280})),
    ] {
        let r = PluginRef {
            plugin: "text-gen".into(),
            name: name.into(),
            params,
            fields: vec![],
        };
        for (chunk, rows) in [(0, 1024), (5, 17)] {
            let req = ChunkRequest {
                chunk_index: chunk,
                first_row: chunk * 1024,
                rows,
            };
            let a = old
                .resolve_generator(&r, &field)
                .unwrap()
                .generate(&req)
                .unwrap();
            let b = new
                .resolve_generator(&r, &field)
                .unwrap()
                .generate(&req)
                .unwrap();
            assert_eq!(&a, &b, "{name} chunk {chunk}");
        }
    }
}

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
fn an_old_validator_finds_the_same_violations_as_its_new_build() {
    let schema = parse_schema(
        &json!({"collection_name": "v", "fields": [
            {"name": "id", "type": "Int64", "is_primary": true, "auto_id": true},
            {"name": "a", "type": "FloatVector", "dim": 4,
             "validators": [{"plugin": "vector-check", "name": "norm"}]}]})
        .to_string(),
        SchemaFormat::Json,
        "test",
    )
    .unwrap();
    let a = vectors(&[[1.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.5; 4]]);
    let batch = RecordBatch::try_new(arrow_schema(&schema), vec![a]).unwrap();
    let run = |path: &Path| {
        let (host, _c) = host_of(path, 0);
        host.resolve_validator(
            &schema.fields[1].validators[0],
            &schema,
            Some(&schema.fields[1]),
        )
        .unwrap()
        .validate(&batch, 100)
        .unwrap()
    };
    let old = run(&v0_1("vector_check"));
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].row, 101);
    assert_eq!(old, run(&wasm("vector_check")));
}

#[test]
fn an_old_sync_handler_converts_gets_dim_from_the_host_and_never_deletes() {
    let (host, _c) = host_of(&v0_1("episodic_memory"), 0);
    let h = host.sync_handler("episodic_memory").unwrap();
    let d = h.describe();
    assert_eq!((d.primary_key.as_str(), d.dim), ("id", Some(1024)));
    assert!(d.embedding.is_none(), "0.1 handlers cannot backfill");
    assert_eq!(d.naming.default_name, "episodic_memory");
    let doc = json!({"_id": {"$oid": "65f1a2b3c4d5e6f708192a3b"}, "episode": "e", "summary": "s",
        "timestamp": {"$date": "2024-05-01T00:00:00Z"}, "vector": vec![0.5f32; 1024],
        "deleted_at": {"$date": "2024-05-02T00:00:00Z"}})
    .to_string();
    let out = h
        .convert(Documents::Text(std::slice::from_ref(&doc)))
        .unwrap();
    assert_eq!((out.entities.len(), out.deletes.len()), (1, 0));
    assert!(out.entities[0].row["detail"].is_string(), "the 0.1 layout");

    // The host applies `dim` to a 0.1 handler's schema; the plugin itself cannot see it.
    let params = BTreeMap::from([("dim".to_string(), "384".to_string())]);
    let h = host.sync_handler_with("episodic_memory", &params).unwrap();
    assert_eq!(h.describe().dim, Some(384));
    let schema = parse_schema(
        &h.describe().milvus_schema.to_string(),
        SchemaFormat::Json,
        "test",
    )
    .unwrap();
    assert_eq!(schema.field("vector").unwrap().dim, Some(384));
    let bad = BTreeMap::from([("dim".to_string(), "many".to_string())]);
    let err = host
        .sync_handler_with("episodic_memory", &bad)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("positive integer"), "{err}");
}
