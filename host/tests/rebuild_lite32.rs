//! `rebuild` against Milvus Lite 3.2.2, the server here with aliases, nullable fields and
//! default values: dynamic and nullable fields survive a rebuild, and a schema change adds a
//! field with a default (and drops one). Checked with pymilvus (tests/rebuild_check.py).

mod rebuild_common;

use rebuild_common::{check, cleanup, fill, rebuilt, service_uri};
use serde_json::{Value, json};

const URI: &str = "MI_LITE32_URI";

fn schema(name: &str) -> Value {
    json!({
        "collection_name": name,
        "enable_dynamic_field": true,
        "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "vec", "type": "FloatVector", "dim": 8},
            {"name": "label", "type": "VarChar", "max_length": 40, "nullable": true, "null_ratio": 0.3},
            {"name": "count", "type": "Int64", "nullable": true, "null_ratio": 0.3},
            {"name": "ratio", "type": "Double", "nullable": true},
            {"name": "extra", "type": "JSON", "nullable": true},
            {"name": "tags", "type": "Array", "element_type": "Int32", "max_capacity": 3, "nullable": true},
            {"name": "kind", "type": "VarChar", "max_length": 10, "default_value": "plain"}
        ],
        "dynamic_fields": [{"name": "note", "type": "VarChar", "max_length": 30}]
    })
}

fn aliased(dir: &std::path::Path, uri: &str, schema: &Value, alias: &str) -> String {
    cleanup(URI, alias);
    let real = format!("{alias}_v0");
    fill(dir, uri, schema, 1_500, &real);
    check(URI, &["alias", alias, &real]);
    real
}

fn equal(old: &str, new: &str, expect: Value) {
    let r = check(URI, &["compare", old, new, "id", &expect.to_string()]);
    assert_eq!(r["mismatches"], 0, "{r:#}");
    assert_eq!(r["compared"], 1_500, "{r:#}");
    assert_eq!(r["new_count"], 1_500, "{r:#}");
}

#[test]
fn dynamic_and_nullable_fields_survive_a_rebuild() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_l32_nulls";
    let old = aliased(tmp.path(), &uri, &schema(alias), alias);
    let summary = rebuilt(tmp.path(), &uri, &["--alias", alias]);
    assert_eq!(summary["switched"], true, "{summary:#}");
    let new = summary["new_collection"].as_str().unwrap();
    let now = check(URI, &["describe", alias]);
    assert_eq!(now["aliases"][alias], new, "{now:#}");
    equal(&old, new, json!({}));
    cleanup(URI, alias);
}

#[test]
fn schema_change_adds_a_field_with_a_default_and_drops_one() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_l32_change";
    let old_schema = schema(alias);
    let old = aliased(tmp.path(), &uri, &old_schema, alias);
    let mut new = old_schema.clone();
    let fields = new["fields"].as_array_mut().unwrap();
    fields.retain(|f| f["name"] != "ratio");
    fields.push(json!({"name": "level", "type": "Int32", "default_value": 7}));
    fields.push(json!({"name": "comment", "type": "VarChar", "max_length": 20, "nullable": true}));
    let file = tmp.path().join("new.yaml");
    std::fs::write(&file, serde_yaml::to_string(&new).unwrap()).unwrap();
    let summary = rebuilt(
        tmp.path(),
        &uri,
        &["--alias", alias, "--schema", file.to_str().unwrap()],
    );
    let changes = summary["changes"].to_string();
    assert!(
        changes.contains("level") && changes.contains("ratio"),
        "{summary:#}"
    );
    let new_name = summary["new_collection"].as_str().unwrap();
    equal(
        &old,
        new_name,
        json!({"dropped": ["ratio"], "defaults": {"level": 7, "comment": null}}),
    );
    cleanup(URI, alias);
}

/// The shipped `episodic-memory` sync handler defines the target: its schema and index
/// parameters, matched to the alias by collection type (tenant prefix and all). Its scalar
/// AUTOINDEXes are built as INVERTED, the only scalar index Lite 3.2.2 has; a scalar index Lite
/// cannot build (`--index user_id=STL_SORT`) shows a failed index build changing nothing.
#[test]
fn a_sync_handler_plugin_defines_the_target() {
    // The pinned 0.1 handler (the `detail` layout this collection has); the shipped 0.2
    // handler's LEGACY layout would plan a schema change instead.
    let wasm = rebuild_common::repo_root().join("host/tests/data/v0_1/episodic_memory.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: build the guest plugins first with scripts/build-plugins.sh",
        wasm.display()
    );
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_l32_t_ann_episodic_memory";
    let varchar =
        |name: &str, max: u32| json!({"name": name, "type": "VarChar", "max_length": max});
    let int64 = |name: &str| json!({"name": name, "type": "Int64"});
    let schema = json!({
        "collection_name": alias,
        "enable_dynamic_field": true,
        "fields": [
            {"name": "id", "type": "VarChar", "max_length": 100, "is_primary": true},
            {"name": "vector", "type": "FloatVector", "dim": 1024},
            varchar("user_id", 100), varchar("group_id", 100), varchar("event_type", 50),
            int64("timestamp"),
            {"name": "participants", "type": "Array", "element_type": "VarChar", "max_length": 100, "max_capacity": 100},
            varchar("episode", 10000), varchar("search_content", 5000), varchar("detail", 50000),
            int64("created_at"), int64("updated_at")
        ]
    });
    cleanup(URI, alias);
    let real = format!("{alias}_v0");
    fill(tmp.path(), &uri, &schema, 300, &real);
    check(URI, &["alias", alias, &real]);
    let args = ["--alias", alias, "--plugin", wasm.to_str().unwrap()];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let plan = rebuilt(tmp.path(), &uri, &dry);
    assert_eq!(
        plan["source"], "sync handler for `episodic_memory`",
        "{plan:#}"
    );
    // Same fields (Lite does not report an array's element max_length, so that may show).
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["change"] == "changed" && c["field"] == "participants"),
        "{plan:#}"
    );
    let indexes = plan["indexes"].to_string();
    assert!(
        indexes.contains("HNSW") && indexes.contains("COSINE") && indexes.contains("user_id"),
        "{plan:#}"
    );
    // An index Lite cannot build: the rebuild stops before copying, drops what it created
    // and leaves the alias alone.
    let mut bad = args.to_vec();
    bad.extend(["--index", "user_id=STL_SORT"]);
    let out = rebuild_common::rebuild(tmp.path(), &uri, &bad);
    assert_eq!(out.status.code(), Some(1), "{}", rebuild_common::text(&out));
    let now = check(URI, &["describe", alias]);
    assert_eq!(now["collections"], json!([real]), "{now:#}");
    assert_eq!(now["aliases"][alias], real.as_str(), "{now:#}");
    // The handler's own indexes build (scalar AUTOINDEX as INVERTED) and the alias switches.
    let mut run = args.to_vec();
    run.extend(["--drain-seconds", "0"]);
    let summary = rebuilt(tmp.path(), &uri, &run);
    let new = summary["new_collection"].as_str().unwrap();
    let now = check(URI, &["describe", alias]);
    assert_eq!(now["aliases"][alias], new, "{now:#}");
    assert_eq!(
        now["indexes"][new]["user_id"]["index_type"], "INVERTED",
        "{now:#}"
    );
    assert_eq!(summary["rows_in_new"], 300, "{summary:#}");
    cleanup(URI, alias);
}
