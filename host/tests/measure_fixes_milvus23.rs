//! Issue 25, measurement, against Milvus 2.3.5 (collections prefixed `mfix_`):
//!
//! - recall of IVF_PQ is judged by the returned rows' true distances, so it agrees (within
//!   0.02) with numpy computing recall from the true distances of the ids pymilvus gets back
//!   (tests/recall_check.py), and FLAT stays exactly 1.0;
//! - a `bench search` filter that matches nothing is shown (hits per query), warned about and
//!   marked in the JSON;
//! - right after `to-milvus insert`, `bench recall` waits until every row is in a sealed,
//!   indexed segment the query nodes serve, and says so in the table and the JSON.

mod common;
mod milvus_common;

use std::path::Path;
use std::process::Command;

use common::{must, python, repo_root, text};
use milvus_common::service_uri;
use serde_json::Value;

const ROWS: u64 = 3000;

fn schema(collection: &str, index: &str) -> String {
    format!(
        r#"{{"collection_name": "{collection}", "fields": [
 {{"name": "id", "type": "Int64", "is_primary": true}},
 {{"name": "tag", "type": "Int64", "min": 0, "max": 9}},
 {{"name": "vec", "type": "FloatVector", "dim": 16, "metric_type": "L2",
   "distribution": {{"type": "gaussian"}}, "index": {index}}}]}}"#
    )
}

/// Generates `ROWS` rows into `dir/name` and inserts them into `collection`.
fn load(dir: &Path, uri: &str, name: &str, collection: &str, index: &str) {
    std::fs::write(dir.join(format!("{name}.json")), schema(collection, index)).unwrap();
    let schema_file = format!("{name}.json");
    let rows = ROWS.to_string();
    must(
        dir,
        &[
            "generate",
            "--schema",
            &schema_file,
            "-r",
            &rows,
            "--out",
            name,
            "--no-progress",
            "--seed",
            "5",
        ],
    );
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            name,
            "--uri",
            uri,
            "--collection-name",
            collection,
            "--drop-if-exists",
            "--no-progress",
        ],
    );
}

/// Runs tests/recall_check.py (pymilvus and numpy, no project code) and returns its JSON.
fn reference(args: &[&str]) -> Value {
    let out = Command::new(python())
        .arg(repo_root().join("tests/recall_check.py"))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "recall_check.py {args:?} failed (MI_PYTHON needs pymilvus, numpy, pyarrow): {}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null)
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

fn recall(dir: &Path, uri: &str, data: &str, collection: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "--output",
        "json",
        "bench",
        "recall",
        data,
        "--uri",
        uri,
        "--collection",
        collection,
        "--top-k",
        "10",
        "--queries",
        "200",
        "--query-source",
        "dataset",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    json_of(&must(dir, &args))
}

const PQ_INDEX: &str =
    r#"{"index_type": "IVF_PQ", "metric_type": "L2", "params": {"nlist": 1, "m": 4}}"#;

/// Recall of `collection` over the first 200 dataset-row queries, by numpy on the true
/// distances of the ids pymilvus gets back with `nprobe` 1.
fn numpy_recall(dir: &Path, uri: &str, data: &str, collection: &str) -> f64 {
    reference(&[
        "recall",
        uri,
        dir.join(data).to_str().unwrap(),
        collection,
        "vec",
        "L2",
        "200",
        "10",
        r#"{"nprobe": 1}"#,
    ])["recall"]
        .as_f64()
        .unwrap()
}

#[test]
fn ivf_pq_recall_is_judged_by_true_distances() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pid = std::process::id();
    let pq = format!("mfix_pq_{pid}");
    let flat = format!("mfix_flat_{pid}");
    load(dir, &uri, "pq", &pq, PQ_INDEX);
    load(
        dir,
        &uri,
        "flat",
        &flat,
        r#"{"index_type": "FLAT", "metric_type": "L2"}"#,
    );
    // The index must be what is searched (not a growing segment's brute force): this test
    // waits by itself, independently of `bench`'s own wait.
    reference(&["wait", &uri, &pq, &ROWS.to_string()]);

    let r = recall(dir, &uri, "pq", &pq, &["--search-params", "nprobe=1"]);
    let measured = r["points"][0]["recall"].as_f64().unwrap();
    let numpy = numpy_recall(dir, &uri, "pq", &pq);
    assert!(
        (measured - numpy).abs() <= 0.02,
        "bench recall says {measured:.4}, numpy on the true distances of the returned ids {numpy:.4}: {r:#}"
    );
    // PQ with m 4 on 16-d is coarse: far from exact, so the comparison above means something.
    assert!(
        numpy < 0.9,
        "IVF_PQ m=4 recall {numpy} is suspiciously high"
    );

    let r = recall(dir, &uri, "flat", &flat, &[]);
    assert_eq!(r["points"][0]["recall"], 1.0, "{r:#}");
    assert_eq!(r["points"][0]["min_recall"], 1.0, "{r:#}");
}

#[test]
fn a_filter_that_matches_nothing_is_warned_about_and_marked() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let collection = format!("mfix_filter_{}", std::process::id());
    load(
        dir,
        &uri,
        "data",
        &collection,
        r#"{"index_type": "FLAT", "metric_type": "L2"}"#,
    );
    let args = |output: &'static str, filter: &'static str| {
        vec![
            "--output".to_string(),
            output.into(),
            "bench".into(),
            "search".into(),
            "--uri".into(),
            uri.clone(),
            "--collection".into(),
            collection.clone(),
            "--queries".into(),
            "40".into(),
            "--warmup".into(),
            "5".into(),
            "--concurrency".into(),
            "1,2".into(),
            "--filter".into(),
            filter.into(),
            "--no-progress".into(),
        ]
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        must(dir, &a)
    };
    // tag is 0..=9: nothing is above 100.
    let out = run(args("json", "tag > 100"));
    let r = json_of(&out);
    for l in r["levels"].as_array().unwrap() {
        assert_eq!(l["no_hits"], true, "{r:#}");
        assert_eq!(l["mean_hits"], 0.0, "{r:#}");
        assert_eq!(l["empty_answers"], 40, "{r:#}");
    }
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{r:#}");
    assert!(warnings[0].as_str().unwrap().contains("tag > 100"), "{r:#}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: concurrency 1: none of the 40"),
        "{}",
        text(&out)
    );
    let table = String::from_utf8_lossy(&run(args("text", "tag > 100")).stdout).into_owned();
    assert!(table.contains("hits/query"), "{table}");
    assert!(table.contains("warning: concurrency 2: none"), "{table}");

    // A filter that matches rows: full answers, no warning.
    let r = json_of(&run(args("json", "tag >= 0")));
    assert_eq!(r["levels"][0]["no_hits"], false, "{r:#}");
    assert_eq!(r["levels"][0]["mean_hits"], 10.0, "{r:#}");
    assert_eq!(r["warnings"], Value::Array(vec![]), "{r:#}");
}

#[test]
fn right_after_insert_recall_waits_for_the_index() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let collection = format!("mfix_fresh_{}", std::process::id());
    load(dir, &uri, "data", &collection, PQ_INDEX);
    // At once: the rows were just flushed; the index and the handoff are still to come.
    let r = recall(
        dir,
        &uri,
        "data",
        &collection,
        &["--search-params", "nprobe=1"],
    );
    let c = &r["index_coverage"];
    assert_eq!(c["coverage"], "complete", "{r:#}");
    assert_eq!(c["rows"], ROWS, "{r:#}");
    assert_eq!(c["indexed_rows"], ROWS, "{r:#}");
    assert_eq!(c["unindexed_rows"], 0, "{r:#}");
    let measured = r["points"][0]["recall"].as_f64().unwrap();
    let numpy = numpy_recall(dir, &uri, "data", &collection);
    assert!(
        (measured - numpy).abs() <= 0.02,
        "right after the insert bench recall says {measured:.4}, numpy {numpy:.4}: {r:#}"
    );
    assert!(numpy < 0.9, "{numpy}: searched without the index?");

    // Rows inserted and not flushed stay in a growing segment, searched by brute force.
    reference(&["insert", &uri, &collection, "2000", "1000000"]);
    let search = |extra: &[&str]| {
        let mut a = vec![
            "--output",
            "json",
            "bench",
            "search",
            "--uri",
            &uri,
            "--collection",
            &collection,
            "--queries",
            "20",
            "--warmup",
            "0",
            "--no-progress",
        ];
        a.extend_from_slice(extra);
        must(dir, &a)
    };
    let out = search(&["--no-index-wait"]);
    let r = json_of(&out);
    let c = &r["index_coverage"];
    assert_eq!(c["coverage"], "partial", "{r:#}");
    assert_eq!(c["flushed"], false, "{r:#}");
    assert!(c["unindexed_rows"].as_u64().unwrap() > 0, "{r:#}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("searched without the index"),
        "{}",
        text(&out)
    );
    // Waiting (the default) flushes and waits until the new rows are indexed too.
    let r = json_of(&search(&[]));
    let c = &r["index_coverage"];
    assert_eq!(c["coverage"], "complete", "{r:#}");
    assert_eq!(c["flushed"], true, "{r:#}");
    assert_eq!(c["indexed_rows"], ROWS + 2000, "{r:#}");
    assert_eq!(r["warnings"], Value::Array(vec![]), "{r:#}");
}

#[test]
fn bin_flat_recall_is_exactly_one_in_hamming_and_jaccard() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for metric in ["HAMMING", "JACCARD"] {
        let collection = format!("mfix_bin_{}_{}", metric.to_lowercase(), std::process::id());
        std::fs::write(
            dir.join("bin.json"),
            format!(
                r#"{{"collection_name": "{collection}", "fields": [
 {{"name": "id", "type": "Int64", "is_primary": true}},
 {{"name": "bits", "type": "BinaryVector", "dim": 64,
   "index": {{"index_type": "BIN_FLAT", "metric_type": "{metric}"}}}}]}}"#
            ),
        )
        .unwrap();
        let data = format!("bin_{metric}");
        must(
            dir,
            &[
                "generate",
                "--schema",
                "bin.json",
                "-r",
                "3000",
                "--out",
                &data,
                "--no-progress",
                "--seed",
                "4",
            ],
        );
        must(
            dir,
            &[
                "to-milvus",
                "insert",
                &data,
                "--uri",
                &uri,
                "--collection-name",
                &collection,
                "--drop-if-exists",
                "--no-progress",
            ],
        );
        let r = recall(dir, &uri, &data, &collection, &[]);
        assert_eq!(r["metric"], metric, "{r:#}");
        assert_eq!(r["points"][0]["recall"], 1.0, "{metric}: {r:#}");
        assert_eq!(r["points"][0]["min_recall"], 1.0, "{metric}: {r:#}");
        assert_eq!(r["index_coverage"]["coverage"], "complete", "{r:#}");
    }
}

#[test]
fn segments_too_small_to_index_are_reported_without_waiting_for_ever() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let collection = format!("mfix_small_{}", std::process::id());
    std::fs::write(dir.join("small.json"), schema(&collection, PQ_INDEX)).unwrap();
    must(
        dir,
        &[
            "generate",
            "--schema",
            "small.json",
            "-r",
            "300",
            "--out",
            "small",
            "--no-progress",
        ],
    );
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            "small",
            "--uri",
            &uri,
            "--collection-name",
            &collection,
            "--drop-if-exists",
            "--no-progress",
        ],
    );
    let started = std::time::Instant::now();
    let out = must(
        dir,
        &[
            "--output",
            "json",
            "bench",
            "search",
            "--uri",
            &uri,
            "--collection",
            &collection,
            "--queries",
            "5",
            "--warmup",
            "0",
            "--no-progress",
        ],
    );
    let r = json_of(&out);
    let c = &r["index_coverage"];
    // Milvus 2.3.5 builds no index for a 300-row segment: it is searched by brute force.
    assert_eq!(c["coverage"], "partial", "{r:#}");
    assert_eq!(c["unindexed_rows"], 300, "{r:#}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap_or("")
            .contains("fewer than 1024 rows"),
        "{r:#}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "waited {:?} for an index that never comes",
        started.elapsed()
    );
}
