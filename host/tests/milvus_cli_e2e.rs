//! End-to-end through the real binary: `generate` a built-in schema, `to-milvus insert` it,
//! `to-milvus verify --level full` it (which searches every dense vector field), against the
//! servers `scripts/services.sh up` starts. Which schema goes to which server follows
//! ARCHITECTURE.md section 6:
//!
//! - Milvus 2.3.5: single-vector schemas without nullable/default fields.
//! - Milvus Lite 2.5.1: several vectors, float16/bfloat16/sparse/binary; no nullable/default.
//! - Milvus Lite 3.2.2: nullable and default values; float vectors only.
//!
//! `multimedia_content` has default values *and* float16/binary vectors, which no server here
//! accepts together: it runs on Lite 2.5.1 with its defaults removed, and its defaults are
//! covered on Lite 3.2.2 by a float-vector schema.

mod common;
mod milvus_common;

use std::path::Path;

use common::{must, run_in, text};
use milvus_common::service_uri;

fn generate(dir: &Path, source: &[&str], rows: &str, out: &str) {
    let mut args = vec!["generate"];
    args.extend_from_slice(source);
    args.extend_from_slice(&[
        "-r",
        rows,
        "--rows-per-file",
        "1100",
        "--out",
        out,
        "--no-progress",
        "--seed",
        "7",
    ]);
    must(dir, &args);
}

/// Inserts `data` into `collection` at `uri`, verifies at full level, and checks the report
/// looked at every sampled row and every field.
fn insert_and_verify(dir: &Path, uri: &str, data: &str, collection: &str) {
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            data,
            "--uri",
            uri,
            "--collection-name",
            collection,
            "--drop-if-exists",
            "--batch-size",
            "400",
            "--no-progress",
        ],
    );
    let out = must(
        dir,
        &[
            "--output",
            "json",
            "to-milvus",
            "verify",
            data,
            "--uri",
            uri,
            "--collection-name",
            collection,
            "--level",
            "full",
            "--sample",
            "30",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(report["sampled"], report["found"], "{report:#}");
    assert!(report["sampled"].as_u64().unwrap() > 0);
    let fields = report["fields"].as_array().unwrap();
    assert!(
        fields.iter().all(|f| f["checked"].as_u64().unwrap() > 0),
        "{report:#}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f["check"].as_str().unwrap().starts_with("self-search")),
        "no vector was searched: {report:#}"
    );
}

#[test]
fn single_vector_builtins_on_milvus_23() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "simple",
        "product_catalog",
        "news_articles",
        "multi_tenant_data",
    ] {
        let data = format!("data/{name}");
        generate(tmp.path(), &["--builtin", name], "3000", &data);
        insert_and_verify(tmp.path(), &uri, &data, &format!("e2e_cli23_{name}"));
    }
}

#[test]
fn milvus_23_refuses_what_it_cannot_hold_before_creating_anything() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &["--builtin", "knowledge_base"], "50", "kb");
    let out = run_in(
        tmp.path(),
        &[
            "to-milvus",
            "insert",
            "kb",
            "--uri",
            &uri,
            "--collection-name",
            "e2e_cli23_kb",
            "--no-progress",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("more than one vector field") && t.contains("nullable"),
        "{t}"
    );
}

#[test]
fn vector_types_on_lite_25() {
    let uri = service_uri("MI_LITE25_URI");
    let tmp = tempfile::tempdir().unwrap();
    // multimedia_content without its default values (Lite 2.5.1 refuses them).
    let mut schema: serde_json::Value =
        serde_json::from_str(milvus_ingest::schema::builtin_text("multimedia_content").unwrap())
            .unwrap();
    for field in schema["fields"].as_array_mut().unwrap() {
        field.as_object_mut().unwrap().remove("default_value");
        field.as_object_mut().unwrap().remove("nullable");
        field.as_object_mut().unwrap().remove("null_ratio");
    }
    std::fs::write(tmp.path().join("mm.json"), schema.to_string()).unwrap();
    generate(tmp.path(), &["--schema", "mm.json"], "2500", "mm");
    insert_and_verify(tmp.path(), &uri, "mm", "e2e_cli25_multimedia");
}

#[test]
fn nullable_and_defaults_on_lite_32() {
    let uri = service_uri("MI_LITE32_URI");
    let tmp = tempfile::tempdir().unwrap();
    for name in ["ecommerce_search", "knowledge_base"] {
        let data = format!("data/{name}");
        generate(tmp.path(), &["--builtin", name], "1500", &data);
        insert_and_verify(tmp.path(), &uri, &data, &format!("e2e_cli32_{name}"));
    }
    let schema = r#"{"collection_name": "defaults", "fields": [
        {"name": "id", "type": "Int64", "is_primary": true},
        {"name": "kind", "type": "VarChar", "max_length": 20, "default_value": "image", "enum_values": ["image", "video"]},
        {"name": "public", "type": "Bool", "default_value": true},
        {"name": "score", "type": "Double", "nullable": true, "default_value": 0.5},
        {"name": "note", "type": "VarChar", "max_length": 50, "nullable": true},
        {"name": "v", "type": "FloatVector", "dim": 16, "metric_type": "L2"}]}"#;
    std::fs::write(tmp.path().join("defaults.json"), schema).unwrap();
    generate(
        tmp.path(),
        &["--schema", "defaults.json"],
        "1500",
        "defaults",
    );
    insert_and_verify(tmp.path(), &uri, "defaults", "e2e_cli32_defaults");
}

#[test]
fn json_datasets_insert_and_verify_too() {
    let uri = service_uri("MI_LITE25_URI");
    let tmp = tempfile::tempdir().unwrap();
    for name in ["news_articles", "document_search"] {
        let data = format!("json/{name}");
        must(
            tmp.path(),
            &[
                "generate",
                "--builtin",
                name,
                "-f",
                "json",
                "-r",
                "1200",
                "--rows-per-file",
                "500",
                "--out",
                &data,
                "--no-progress",
            ],
        );
        insert_and_verify(tmp.path(), &uri, &data, &format!("e2e_json_{name}"));
    }
}
