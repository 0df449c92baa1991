//! Shared by the `rebuild` tests: filling a collection with our own `generate` and `to-milvus
//! insert`, the independent pymilvus checks of tests/rebuild_check.py, and a searcher thread
//! that keeps searching through an alias while a rebuild runs.

#![allow(dead_code, unused_imports)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

#[path = "../common.rs"]
mod common;
#[path = "../milvus_common.rs"]
mod milvus_common;

pub use common::{bin, must, repo_root, run_in, text};
pub use milvus_common::service_uri;

/// The interpreter with pymilvus for `uri_var`'s server: the server's own venv when the
/// services env names one, else `MI_PYTHON`.
pub fn python_for(uri_var: &str) -> String {
    let own = uri_var.replace("_URI", "_PYTHON");
    for var in [own.as_str(), "MI_PYTHON"] {
        if let Ok(v) = std::env::var(var) {
            return v;
        }
        if let Some(v) = milvus_common::services().get(var) {
            return v.clone();
        }
    }
    panic!("MI_PYTHON is not set and not in the services env.sh: run `scripts/services.sh up`")
}

/// Runs tests/rebuild_check.py and parses its JSON answer.
pub fn check(uri_var: &str, args: &[&str]) -> Value {
    let script = common::repo_root().join("tests/rebuild_check.py");
    let out = Command::new(python_for(uri_var))
        .arg(&script)
        .arg(service_uri(uri_var))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "rebuild_check.py {args:?}: {}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| {
        panic!(
            "rebuild_check.py {args:?} printed no JSON ({e}): {}",
            text(&out)
        )
    })
}

/// Drops every collection and alias whose name starts with `prefix`.
pub fn cleanup(uri_var: &str, prefix: &str) {
    check(uri_var, &["cleanup", prefix]);
}

/// Writes `schema` to `dir`, generates `rows` rows and inserts them into `collection`.
pub fn fill(dir: &Path, uri: &str, schema: &Value, rows: u64, collection: &str) {
    let file = dir.join(format!("{collection}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(schema).unwrap()).unwrap();
    let data = format!("data_{collection}");
    must(
        dir,
        &[
            "generate",
            "--schema",
            file.to_str().unwrap(),
            "-r",
            &rows.to_string(),
            "--out",
            &data,
            "--seed",
            "11",
            "--no-progress",
        ],
    );
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            &data,
            "--uri",
            uri,
            "--collection-name",
            collection,
            "--drop-if-exists",
            "--batch-size",
            "5000",
            "--no-progress",
        ],
    );
}

/// Runs `rebuild` with `args` (plus --uri and --no-progress); returns the output.
pub fn rebuild(dir: &Path, uri: &str, args: &[&str]) -> Output {
    let mut all = vec!["--output", "json", "rebuild", "--uri", uri, "--no-progress"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// The JSON summary of a successful rebuild.
pub fn rebuilt(dir: &Path, uri: &str, args: &[&str]) -> Value {
    let out = rebuild(dir, uri, args);
    assert!(out.status.success(), "rebuild {args:?}: {}", text(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON summary ({e}): {}", text(&out)))
}

/// Searches `alias` in a loop on its own thread, counting answers and failures.
pub struct Searcher {
    stop: Arc<AtomicBool>,
    pub ok: Arc<AtomicU64>,
    pub failed: Arc<AtomicU64>,
    errors: Arc<std::sync::Mutex<Vec<String>>>,
    handle: Option<JoinHandle<()>>,
}

impl Searcher {
    /// Starts searching `field` (float vectors of `dim`) of `alias` with `metric`.
    pub fn start(uri: &str, alias: &str, field: &str, dim: usize, metric: &str) -> Searcher {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (uri, alias, field, metric) = (
            uri.to_string(),
            alias.to_string(),
            field.to_string(),
            metric.to_string(),
        );
        let handle = {
            let (stop, ok, failed, errors) =
                (stop.clone(), ok.clone(), failed.clone(), errors.clone());
            std::thread::spawn(move || {
                use milvus_ingest::milvus::query::{QueryVector, hits, search};
                use milvus_ingest::milvus::{Client, ConnectOptions};
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let client = Client::connect(&ConnectOptions::new(uri)).await.unwrap();
                    let mut i = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let v: Vec<f32> = (0..dim)
                            .map(|k| ((k as u32 * 7 + i) % 13) as f32 - 6.0)
                            .collect();
                        let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                        let r = search(
                            &client,
                            &alias,
                            &field,
                            &metric,
                            vec![QueryVector {
                                kind: ::milvus::proto::common::PlaceholderType::FloatVector,
                                bytes,
                            }],
                            5,
                            &[],
                            r#"{"ef": 64, "nprobe": 8}"#,
                        )
                        .await;
                        match r {
                            Ok(res) if hits(&res).first().is_some_and(|h| !h.is_empty()) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                                errors.lock().unwrap().push("empty answer".into());
                            }
                            Err(e) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                                errors.lock().unwrap().push(e.to_string());
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                });
            })
        };
        Searcher {
            stop,
            ok,
            failed,
            errors,
            handle: Some(handle),
        }
    }

    /// Stops the thread; returns (answers, failures, first errors).
    pub fn stop(mut self) -> (u64, u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
        let errors = self
            .errors
            .lock()
            .unwrap()
            .iter()
            .take(5)
            .cloned()
            .collect();
        (
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            errors,
        )
    }
}
