//! `bench search`, `bench recall` and `health` through the real binary against Milvus 2.3.5
//! (collections prefixed `search_`): a clustered 128-d dataset is generated and inserted twice,
//! once indexed with HNSW and once with FLAT (the same rows: same seed, same field).
//!
//! - FLAT recall is exactly 1.0: the ground truth agrees with the server's exact search.
//! - HNSW recall does not fall as `ef` grows and reaches >= 0.95.
//! - The brute force agrees with numpy on a small sample (tests/numpy_topk.py).
//! - `bench search` at concurrency 4 is not slower than at 1 (loosely: no timing thresholds).
//! - `health`: HEALTHY / DEGRADED / UNHEALTHY and their exit codes 0 / 1 / 2.

mod common;
mod milvus_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{must, python, repo_root, run_in};
use milvus_common::service_uri;
use serde_json::Value;

const ROWS: &str = "8000";

struct Setup {
    dir: PathBuf,
    uri: String,
    hnsw: String,
    flat: String,
}

fn schema(index: &str) -> String {
    format!(
        r#"{{
  "collection_name": "search_e2e",
  "fields": [
    {{"name": "id", "type": "Int64", "is_primary": true}},
    {{"name": "tag", "type": "Int64", "min": 0, "max": 9}},
    {{"name": "vec", "type": "FloatVector", "dim": 128, "metric_type": "L2",
      "distribution": {{"type": "clustered", "clusters": 16, "spread": 1.0}}{index}}}
  ]
}}"#
    )
}

/// Waits until `health` reports every index built (sealed segments searched through the index).
fn wait_indexed(dir: &Path, uri: &str, collection: &str) {
    let started = Instant::now();
    loop {
        let out = run_in(
            dir,
            &[
                "health",
                "--uri",
                uri,
                "--collection",
                collection,
                "--format",
                "json",
            ],
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let index = &report["checks"]["index_state"];
        if index["status"] == "OK" && index["total_rows"].as_u64().unwrap_or(0) > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "index of {collection} not built after 120s: {report:#}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The tests take turns on the server, so the QPS comparison is not skewed by a sibling test's
/// load (other processes may still load the machine: the comparison stays loose).
fn turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let uri = service_uri("MI_MILVUS23_URI");
        let dir = tempfile::tempdir().unwrap().keep();
        let pid = std::process::id();
        let hnsw = format!("search_hnsw_{pid}");
        let flat = format!("search_flat_{pid}");
        for (name, index, collection) in [
            ("hnsw", String::new(), &hnsw),
            (
                "flat",
                r#", "index": {"index_type": "FLAT", "metric_type": "L2"}"#.to_string(),
                &flat,
            ),
        ] {
            std::fs::write(dir.join(format!("{name}.json")), schema(&index)).unwrap();
            let schema_file = format!("{name}.json");
            must(
                &dir,
                &[
                    "generate",
                    "--schema",
                    &schema_file,
                    "-r",
                    ROWS,
                    "--out",
                    name,
                    "--no-progress",
                    "--seed",
                    "11",
                ],
            );
            must(
                &dir,
                &[
                    "to-milvus",
                    "insert",
                    name,
                    "--uri",
                    &uri,
                    "--collection-name",
                    collection,
                    "--drop-if-exists",
                    "--no-progress",
                ],
            );
            wait_indexed(&dir, &uri, collection);
        }
        Setup {
            dir,
            uri,
            hnsw,
            flat,
        }
    })
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn recall(s: &Setup, data: &str, collection: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "--output",
        "json",
        "bench",
        "recall",
        data,
        "--uri",
        &s.uri,
        "--collection",
        collection,
        "--top-k",
        "10",
        "--no-progress",
    ];
    if !extra.contains(&"--queries") {
        args.extend_from_slice(&["--queries", "200"]);
    }
    args.extend_from_slice(extra);
    json_of(&must(&s.dir, &args))
}

#[test]
fn flat_recall_is_exactly_one() {
    let _turn = turn();
    let s = setup();
    let r = recall(s, "flat", &s.flat, &[]);
    assert_eq!(r["metric"], "L2", "{r:#}");
    assert_eq!(r["query_source"], "held-out");
    let p = &r["points"][0];
    assert_eq!(p["recall"], 1.0, "{r:#}");
    assert_eq!(p["errors"], 0);
    // The second run reads the cached ground truth and agrees.
    let again = recall(s, "flat", &s.flat, &[]);
    assert_eq!(again["truth_cached"], true);
    assert_eq!(again["points"][0]["recall"], 1.0);
}

#[test]
fn hnsw_recall_rises_with_ef_and_reaches_095() {
    let _turn = turn();
    let s = setup();
    let plot = s.dir.join("recall.svg");
    let r = recall(
        s,
        "hnsw",
        &s.hnsw,
        &[
            "--sweep",
            "ef=10,20,40,80,320",
            "--plot",
            plot.to_str().unwrap(),
        ],
    );
    let recalls: Vec<f64> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["recall"].as_f64().unwrap())
        .collect();
    assert_eq!(recalls.len(), 5, "{r:#}");
    // HNSW's answer for a query only improves with ef; allow float-noise-sized wiggles.
    for w in recalls.windows(2) {
        assert!(w[1] + 0.005 >= w[0], "recall fell as ef grew: {recalls:?}");
    }
    assert!(*recalls.last().unwrap() >= 0.95, "{recalls:?}");
    assert!(
        recalls.last().unwrap() >= recalls.first().unwrap(),
        "{recalls:?}"
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("<svg") && svg.contains("ef=320"), "{svg}");
}

#[test]
fn brute_force_agrees_with_numpy() {
    let _turn = turn();
    let s = setup();
    // Dataset rows as queries: the sample is reproducible outside (row k * total / n).
    let data = s.dir.join("numpy");
    let _ = std::fs::remove_dir_all(&data);
    copy_dir(&s.dir.join("flat"), &data);
    let r = recall(
        s,
        data.to_str().unwrap(),
        &s.flat,
        &["--queries", "25", "--query-source", "dataset"],
    );
    assert_eq!(r["points"][0]["recall"], 1.0, "{r:#}");
    let cache: Vec<PathBuf> = std::fs::read_dir(data.join(".ground-truth"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cache.len(), 1, "{cache:?}");
    let out = Command::new(python())
        .arg(repo_root().join("tests/numpy_topk.py"))
        .arg(&data)
        .arg(&cache[0])
        .args(["vec", "L2", "25"])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "numpy reference disagrees (MI_PYTHON needs numpy and pyarrow):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn bench_search_reports_levels_and_more_qps_with_concurrency() {
    let _turn = turn();
    let s = setup();
    let csv = s.dir.join("search.csv");
    let out = must(
        &s.dir,
        &[
            "--output",
            "json",
            "bench",
            "search",
            "--uri",
            &s.uri,
            "--collection",
            &s.hnsw,
            "--concurrency",
            "1,4",
            "--queries",
            "300",
            "--warmup",
            "20",
            "--dataset",
            "hnsw",
            "--search-params",
            "ef=64",
            "--filter",
            "tag >= 0",
            "--output-fields",
            "tag",
            "--csv",
            csv.to_str().unwrap(),
            "--no-progress",
        ],
    );
    let r = json_of(&out);
    assert_eq!(r["anns_field"], "vec");
    assert_eq!(r["metric"], "L2");
    assert_eq!(r["query_source"], "held-out");
    let levels = r["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 2);
    for l in levels {
        assert_eq!(l["queries"], 300, "{l:#}");
        assert_eq!(l["errors"], 0, "{l:#}");
        assert_eq!(l["mean_hits"], 10.0);
        let t = &l["latency"];
        let p = |k: &str| t[k].as_f64().unwrap();
        assert!(
            p("p50_ms") <= p("p95_ms") && p("p95_ms") <= p("p99_ms") && p("p99_ms") <= p("max_ms")
        );
    }
    let (q1, q4) = (
        levels[0]["qps"].as_f64().unwrap(),
        levels[1]["qps"].as_f64().unwrap(),
    );
    assert!(
        q4 >= q1 * 0.8, // loose: other processes share the machine and the server
        "concurrency 4 ({q4:.0} QPS) slower than 1 ({q1:.0} QPS)"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("collection,anns_field,metric"));
}

#[test]
fn bench_search_counts_errors_and_fails() {
    let _turn = turn();
    let s = setup();
    let out = run_in(
        &s.dir,
        &[
            "--output",
            "json",
            "bench",
            "search",
            "--uri",
            &s.uri,
            "--collection",
            &s.hnsw,
            "--queries",
            "5",
            "--warmup",
            "0",
            "--filter",
            "no_such_field > 1",
            "--no-progress",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out);
    assert_eq!(r["levels"][0]["errors"], 5, "{r:#}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 of 5 searches failed"));
}

fn health(s: &Setup, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["health", "--uri", &s.uri, "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(&s.dir, &all);
    (out.status.code(), json_of(&out))
}

#[test]
fn health_statuses_and_exit_codes() {
    let _turn = turn();
    let s = setup();
    let generous = [
        "--query-threshold-ms",
        "10000",
        "--search-threshold-ms",
        "10000",
    ];
    let mut args = vec!["--collection", s.hnsw.as_str()];
    args.extend_from_slice(&generous);
    let (code, r) = health(s, &args);
    assert_eq!(
        (code, &r["overall_status"]),
        (Some(0), &Value::from("HEALTHY")),
        "{r:#}"
    );
    for check in [
        "connection",
        "collection_exists",
        "alias",
        "data_integrity",
        "load_state",
        "index_state",
        "query_performance",
        "search_performance",
    ] {
        assert_eq!(r["checks"][check]["status"], "OK", "{check}: {r:#}");
    }
    assert_eq!(r["checks"]["data_integrity"]["row_count"], 8000);
    assert_eq!(r["checks"]["search_performance"]["results_count"], 5);
    assert_eq!(r["checks"]["load_state"]["state"], "Loaded");
    assert!(r["timestamp"].is_string() && r["collection"] == s.hnsw.as_str());

    args.extend_from_slice(&["--min-rows", "1000000000"]);
    let (code, r) = health(s, &args);
    assert_eq!(
        (code, &r["overall_status"]),
        (Some(1), &Value::from("DEGRADED")),
        "{r:#}"
    );
    assert_eq!(r["checks"]["data_integrity"]["status"], "WARN");

    let (code, r) = health(s, &["--collection", "search_no_such_collection"]);
    assert_eq!(
        (code, &r["overall_status"]),
        (Some(2), &Value::from("UNHEALTHY")),
        "{r:#}"
    );
    assert_eq!(r["checks"]["collection_exists"]["status"], "FAIL");

    let out = run_in(
        &s.dir,
        &[
            "health",
            "--uri",
            "http://127.0.0.1:1",
            "--collection",
            "x",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    assert_eq!(r["overall_status"], "UNHEALTHY");
    assert_eq!(r["checks"]["connection"]["status"], "FAIL");

    // Usage errors exit 2 as well.
    let out = run_in(
        &s.dir,
        &["health", "--collection", "x", "--min-rows", "lots"],
    );
    assert_eq!(out.status.code(), Some(2));

    // Prometheus text for a textfile collector.
    let mut args = vec![
        "health",
        "--uri",
        &s.uri,
        "--collection",
        &s.hnsw,
        "--format",
        "prometheus",
    ];
    args.extend_from_slice(&generous);
    let out = run_in(&s.dir, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "milvus_ingest_health_status{{collection=\"{}\"}} 0",
            s.hnsw
        )),
        "{text}"
    );
    assert!(
        text.contains("# TYPE milvus_ingest_health_rows gauge"),
        "{text}"
    );
}
