//! Shipped generator plugins, run as real components: valid Parquet, checked types and limits,
//! identical output for 1 and 2 threads and across hosts.

mod support;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};
use milvus_ingest::format::arrow_schema;
use milvus_ingest::generate::ChunkRequest;
use milvus_ingest::plugin::World;
use milvus_ingest::schema::{Field, PluginRef, Schema, SchemaFormat, parse_schema};
use serde_json::json;
use support::*;

fn schema() -> Schema {
    let text = json!({
        "collection_name": "plugin_fields",
        "fields": [
            {"name": "id", "type": "Int64", "is_primary": true, "auto_id": true},
            {"name": "title", "type": "VarChar", "max_length": 80,
             "generator": {"plugin": "text-gen", "name": "sentence"}},
            {"name": "body", "type": "VarChar", "max_length": 600, "nullable": true, "null_ratio": 0.2,
             "generator": {"plugin": "text-gen", "name": "paragraph", "params": {"min_bytes": 200}}},
            {"name": "location", "type": "Array", "element_type": "Double", "max_capacity": 2,
             "generator": {"plugin": "geo-gen", "name": "point",
                           "params": {"min_lat": 35.0, "max_lat": 45.0, "min_lon": -10.0, "max_lon": 30.0}}},
            {"name": "place", "type": "JSON",
             "generator": {"plugin": "geo-gen", "name": "point"}},
            {"name": "dice", "type": "Int64",
             "generator": {"plugin": "dice", "name": "roll", "params": {"sides": 20}}},
            {"name": "vec", "type": "FloatVector", "dim": 8,
             "generator": {"plugin": "misbehave", "name": "wrong-dim"}}
        ]
    });
    let mut s = parse_schema(&text.to_string(), SchemaFormat::Json, "test").unwrap();
    // The vector column is only for the failure test below.
    s.fields.pop();
    s
}

const PLUGINS: &[&str] = &["text_gen", "geo_gen", "dice", "misbehave"];

#[test]
fn shipped_generators_write_valid_parquet_identical_for_one_and_two_threads() {
    let schema = schema();
    let rows = 2500; // two full chunks and a partial one
    let (host1, _c1) = host(42, PLUGINS);
    let (host2, _c2) = host(42, PLUGINS);
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let one = write_parquet(&schema, &host1, d1.path(), rows, 1).unwrap();
    let two = write_parquet(&schema, &host2, d2.path(), rows, 2).unwrap();
    assert_eq!(
        std::fs::read(&one.path).unwrap(),
        std::fs::read(&two.path).unwrap()
    );

    let batch: RecordBatch = read_parquet(&one.path);
    assert_eq!(batch.num_rows(), rows as usize);
    assert_eq!(batch.schema().fields(), arrow_schema(&schema).fields());

    let title = batch.column_by_name("title").unwrap().as_string::<i32>();
    assert!(
        title
            .iter()
            .all(|t| t.is_some_and(|t| !t.is_empty() && t.len() <= 80))
    );
    let body = batch.column_by_name("body").unwrap().as_string::<i32>();
    let nulls = body.null_count() as f64 / rows as f64;
    assert!((0.1..0.3).contains(&nulls), "null share {nulls}");
    assert!(
        body.iter()
            .flatten()
            .all(|b| (150..=600).contains(&b.len()))
    );

    let loc = batch.column_by_name("location").unwrap().as_list::<i32>();
    for i in 0..loc.len() {
        let p = loc.value(i);
        let p = p.as_primitive::<Float64Type>();
        assert_eq!(p.len(), 2);
        assert!((35.0..=45.0).contains(&p.value(0)) && (-10.0..=30.0).contains(&p.value(1)));
    }
    let place = batch.column_by_name("place").unwrap().as_string::<i32>();
    let v: serde_json::Value = serde_json::from_str(place.value(0)).unwrap();
    assert!(v["lat"].is_f64() && v["lon"].is_f64());
    let dice = batch
        .column_by_name("dice")
        .unwrap()
        .as_primitive::<arrow_array::types::Int64Type>();
    assert!(dice.values().iter().all(|d| (1..=20).contains(d)));
}

#[test]
fn a_different_seed_gives_different_text() {
    let field = Field {
        max_length: Some(100),
        ..Field::new("t", milvus_ingest::schema::DataType::VarChar)
    };
    let r = PluginRef {
        plugin: "text-gen".into(),
        name: "sentence".into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let req = ChunkRequest {
        chunk_index: 3,
        first_row: 3072,
        rows: 10,
    };
    let (a, _ca) = host(1, &["text_gen"]);
    let (b, _cb) = host(2, &["text_gen"]);
    let ga = a.resolve_generator(&r, &field).unwrap();
    let first = ga.generate(&req).unwrap();
    assert_eq!(&first, &ga.generate(&req).unwrap());
    assert_ne!(
        &first,
        &b.resolve_generator(&r, &field)
            .unwrap()
            .generate(&req)
            .unwrap()
    );
}

#[test]
fn resolving_checks_names_worlds_and_types() {
    let (host, _c) = host(0, &["text_gen", "vector_check"]);
    let info = host.get("text-gen").unwrap().info().clone();
    assert_eq!(info.world, World::FieldGenerator);
    assert_eq!(info.interface_version, "0.2.0");
    assert_eq!(info.functions.len(), 2);
    let field = Field::new("n", milvus_ingest::schema::DataType::Int64);
    let r = |plugin: &str, name: &str| PluginRef {
        plugin: plugin.into(),
        name: name.into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let err = |r: PluginRef| {
        host.resolve_generator(&r, &field)
            .err()
            .unwrap()
            .to_string()
    };
    assert!(err(r("text-gen", "sentence")).contains("does not support type Int64"));
    assert!(err(r("text-gen", "haiku")).contains("offers: sentence, paragraph"));
    assert!(err(r("vector-check", "norm")).contains("is a validator, not a field-generator"));
    let e = err(r("nope", "x"));
    assert!(
        e.contains("no plugin named `nope`") && e.contains("text-gen"),
        "{e}"
    );
}

#[test]
fn compiled_components_are_cached_on_disk() {
    let cache = tempfile::tempdir().unwrap();
    let limits = milvus_ingest::plugin::PluginLimits::default();
    let h = milvus_ingest::plugin::PluginHost::with_cache_dir(limits, 0, Some(cache.path().into()))
        .unwrap();
    h.load(&wasm("geo_gen")).unwrap();
    let cached = entries(cache.path());
    assert_eq!(cached.len(), 1, "{cached:?}");
    let sha = h.get("geo-gen").unwrap().info().sha256.clone();
    assert!(cached[0].starts_with(&sha) && cached[0].ends_with(".cwasm"));
    // A second host loads from the cache (and a corrupt entry is recompiled, not fatal).
    std::fs::write(cache.path().join(&cached[0]), b"garbage").unwrap();
    let h2 =
        milvus_ingest::plugin::PluginHost::with_cache_dir(limits, 0, Some(cache.path().into()))
            .unwrap();
    h2.load(&wasm("geo_gen")).unwrap();
    assert!(std::fs::read(cache.path().join(&cached[0])).unwrap().len() > 1000);
}

#[test]
fn a_failing_generator_leaves_no_file() {
    let mut schema = schema();
    schema.fields.push(
        parse_schema(
            &json!({"collection_name": "x", "fields": [
                {"name": "id", "type": "Int64", "is_primary": true},
                {"name": "vec", "type": "FloatVector", "dim": 8,
                 "generator": {"plugin": "misbehave", "name": "wrong-dim"}}]})
            .to_string(),
            SchemaFormat::Json,
            "test",
        )
        .unwrap()
        .fields
        .pop()
        .unwrap(),
    );
    let (host, _c) = host(0, PLUGINS);
    let dir = tempfile::tempdir().unwrap();
    let err = write_parquet(&schema, &host, dir.path(), 3000, 2)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("plugin `misbehave`")
            && err.contains("`generate(wrong-dim)`")
            && err.contains("field `vec`")
            && err.contains("dimension 3"),
        "{err}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}
