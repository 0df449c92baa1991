//! Issue 25, measurement, against Milvus Lite 3.2.2 (collections prefixed `mfix_`): recall on
//! exact indexes is 1.0 (FLAT in IP and COSINE; Lite has no binary vectors, BIN_FLAT is tested
//! on Milvus 2.3.5), including sparse vectors so sparse that most queries
//! share an index with fewer than k rows (rows with no common index are no neighbours, so the
//! truth holds fewer than k of them and the report counts those queries).

mod common;
mod milvus_common;

use common::{must, text};
use milvus_common::service_uri;
use serde_json::Value;

const SCHEMA: &str = r#"{"collection_name": "mfix_exact", "fields": [
 {"name": "id", "type": "Int64", "is_primary": true},
 {"name": "sp", "type": "SparseFloatVector", "dim": 100000, "density": 0.0001,
  "index": {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP"}},
 {"name": "fi", "type": "FloatVector", "dim": 16,
  "index": {"index_type": "FLAT", "metric_type": "IP"}},
 {"name": "fc", "type": "FloatVector", "dim": 16,
  "index": {"index_type": "FLAT", "metric_type": "COSINE"}}]}"#;

#[test]
fn exact_indexes_recall_one_in_every_metric_with_sparse_short_of_k() {
    let uri = service_uri("MI_LITE32_URI");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("s.json"), SCHEMA).unwrap();
    let collection = format!("mfix_exact_{}", std::process::id());
    must(
        d,
        &[
            "generate",
            "--schema",
            "s.json",
            "-r",
            "3000",
            "--out",
            "data",
            "--no-progress",
            "--seed",
            "9",
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
    for (field, metric) in [("sp", "IP"), ("fi", "IP"), ("fc", "COSINE")] {
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
                "100",
                "--no-progress",
            ],
        );
        let r: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
        assert_eq!(r["metric"], metric, "{r:#}");
        let p = &r["points"][0];
        assert_eq!(p["errors"], 0, "{field}: {r:#}");
        assert_eq!(p["recall"], 1.0, "{field}: {r:#}");
        assert_eq!(p["min_recall"], 1.0, "{field}: {r:#}");
        let short = r["queries_short_of_k"].as_u64().unwrap();
        if field == "sp" {
            // About 10 of 100,000 indexes per row: a query meets a handful of the 3,000 rows.
            assert!(short > 50, "{short} sparse queries short of k: {r:#}");
            assert!(
                r["notes"]
                    .to_string()
                    .contains("fewer than 10 true neighbours"),
                "{r:#}"
            );
        } else {
            assert_eq!(short, 0, "{field}: {r:#}");
        }
    }
}
