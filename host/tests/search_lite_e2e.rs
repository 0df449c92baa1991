//! `bench recall` and `bench search` on sparse and binary vectors against Milvus Lite 2.5.1
//! (Milvus 2.3 has no sparse vectors; collections prefixed `search_`): the ground truth in IP
//! over sparse rows and in HAMMING over bits agrees with the server's exact answers on a
//! collection small enough to be searched without an approximate index.

mod common;
mod milvus_common;

use common::must;
use milvus_common::service_uri;
use serde_json::Value;

#[test]
fn sparse_and_binary_recall_is_exact_on_small_segments() {
    let uri = service_uri("MI_LITE25_URI");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("s.json"),
        r#"{"collection_name": "search_sparse", "fields": [
 {"name": "id", "type": "Int64", "is_primary": true},
 {"name": "sp", "type": "SparseFloatVector", "dim": 1000, "density": 0.02},
 {"name": "bits", "type": "BinaryVector", "dim": 64}]}"#,
    )
    .unwrap();
    let collection = format!("search_sparse_{}", std::process::id());
    must(
        d,
        &[
            "generate",
            "--schema",
            "s.json",
            "-r",
            "2000",
            "--out",
            "data",
            "--no-progress",
            "--seed",
            "3",
        ],
    );
    must(
        d,
        &[
            "to-milvus",
            "insert",
            "data",
            "--uri",
            &uri,
            "--collection-name",
            &collection,
            "--drop-if-exists",
            "--no-progress",
        ],
    );
    for (field, metric) in [("sp", "IP"), ("bits", "HAMMING")] {
        let out = must(
            d,
            &[
                "--output",
                "json",
                "bench",
                "recall",
                "data",
                "--uri",
                &uri,
                "--collection",
                &collection,
                "--anns-field",
                field,
                "--queries",
                "50",
                "--no-progress",
            ],
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["metric"], metric, "{r:#}");
        assert_eq!(r["points"][0]["recall"], 1.0, "{r:#}");
        let out = must(
            d,
            &[
                "--output",
                "json",
                "bench",
                "search",
                "--uri",
                &uri,
                "--collection",
                &collection,
                "--anns-field",
                field,
                "--queries",
                "30",
                "--warmup",
                "5",
                "--no-progress",
            ],
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["levels"][0]["queries"], 30, "{r:#}");
        assert_eq!(r["levels"][0]["errors"], 0, "{r:#}");
    }
    // Several vector fields and none chosen: a usage error naming them.
    let out = common::run_in(
        d,
        &[
            "bench",
            "search",
            "--uri",
            &uri,
            "--collection",
            &collection,
            "--queries",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--anns-field"));
}
