//! Shared by the `sync_*` tests: the servers (MongoDB from `MONGODB_URI` when set, else the
//! SecantusDB of `scripts/services.sh`; Milvus 2.3.5), realistic fixture documents, the
//! independent reader (pymilvus), and — in ONE place, per handler — what each document must
//! become in Milvus. When the shipped handlers replace the 0.1 `episodic-memory` plugin, only
//! [`expected`] changes.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bson::{Document, doc};
use serde_json::{Map, Value};

mod expect;
mod fixtures;
pub use expect::Expect;
pub use fixtures::*;

#[path = "../milvus_common.rs"]
mod milvus_common;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_milvus-ingest"))
}

/// The pinned 0.1 `episodic-memory` handler (built from main before the shipped 0.2 handlers),
/// given with `--plugin` so it wins over the shipped `episodic_memory` handler: these tests pin
/// the pipeline's behaviour to the mapping `expected_episodic_v01` documents.
pub fn v01_episodic_plugin() -> String {
    repo_root()
        .join("host/tests/data/v0_1/episodic_memory.wasm")
        .display()
        .to_string()
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A real mongod when the user points `MONGODB_URI` at one, else SecantusDB.
pub fn mongo_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| milvus_common::service_uri("MI_MONGO_URI"))
}

pub fn milvus_uri() -> String {
    milvus_common::service_uri("MI_MILVUS23_URI")
}

/// The venv python with pymongo (the independent MongoDB reader).
pub fn mongo_python() -> String {
    milvus_common::service_uri("MI_MONGO_PYTHON")
}

/// The tools venv python with pymilvus for Milvus 2.3.5.
pub fn python() -> String {
    milvus_common::service_uri("MI_PYTHON")
}

/// A built guest component.
pub fn wasm(name: &str) -> PathBuf {
    let p = repo_root().join(format!("plugins/target/wasm32-wasip2/release/{name}.wasm"));
    assert!(
        p.is_file(),
        "{} is missing: run scripts/build-plugins.sh",
        p.display()
    );
    p
}

/// Runs the binary with a private home and state directory.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("binary runs")
}

pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .env_remove("MONGODB_DATABASE")
        .env_remove("MILVUS_URI");
    c
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs and expects exit 0; returns the `--output json` summary.
pub fn sync_ok(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--output", "json", "sync"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert!(out.status.success(), "{all:?}\n{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(&out)))
}

// ---- MongoDB -------------------------------------------------------------------------------

pub async fn mongo() -> mongodb::Client {
    let uri = mongo_uri();
    let c = mongodb::Client::with_uri_str(&uri)
        .await
        .unwrap_or_else(|e| panic!("{uri}: {e}"));
    c.database("admin")
        .run_command(doc! {"ping": 1})
        .await
        .unwrap_or_else(|e| {
            panic!("MongoDB at {uri} does not answer ({e}); run `scripts/services.sh up mongo`")
        });
    c
}

/// A fresh (dropped) collection.
pub async fn fresh(
    client: &mongodb::Client,
    db: &str,
    coll: &str,
) -> mongodb::Collection<Document> {
    let c = client.database(db).collection::<Document>(coll);
    c.drop().await.unwrap();
    c
}

pub async fn insert(coll: &mongodb::Collection<Document>, docs: &[Document]) {
    for chunk in docs.chunks(200) {
        coll.insert_many(chunk.to_vec()).await.unwrap();
    }
}

// ---- handlers ----------------------------------------------------------------------------

/// The vector dimension the shipped-handler tests use (`--handler-param dim=8`): small and fast.
pub const DIM: usize = 8;

/// The tenant a `v1_episodic_memory` run resolves from `-c t_ann_v1_episodic_memory`.
pub const TENANT: &str = "t_ann";

/// One shipped handler as the end-to-end tests drive it.
pub struct Handler {
    /// The collection type.
    pub name: &'static str,
    /// What `-c` gets (an alias form for HEAD, to exercise tenant resolution).
    pub c: &'static str,
    /// The MongoDB collection it reads.
    pub source: &'static str,
    /// The field `--days` filters on.
    pub time_field: &'static str,
    /// The text field the file tests change in newer versions of a document.
    pub text_field: &'static str,
    /// Soft-deleted documents are deleted from Milvus.
    pub soft_delete: bool,
    /// Fixture documents (seed, indexes, dim).
    pub docs: fn(u64, std::ops::Range<u64>, usize) -> Vec<Document>,
}

pub const EPISODIC: Handler = Handler {
    name: "episodic_memory",
    c: "episodic_memory",
    source: "episodic_memories",
    time_field: "created_at",
    text_field: "episode",
    soft_delete: false,
    docs: episodic_docs,
};
pub const EVENT_LOG: Handler = Handler {
    name: "event_log",
    c: "event_log",
    source: "event_log_records",
    time_field: "created_at",
    text_field: "atomic_fact",
    soft_delete: false,
    docs: event_log_docs,
};
pub const FORESIGHT: Handler = Handler {
    name: "foresight",
    c: "foresight",
    source: "foresight_records",
    time_field: "created_at",
    text_field: "content",
    soft_delete: false,
    docs: foresight_docs,
};
pub const V1_EPISODIC: Handler = Handler {
    name: "v1_episodic_memory",
    c: "t_ann_v1_episodic_memory",
    source: "v1_episodic_memories",
    time_field: "updated_at",
    text_field: "episode",
    soft_delete: true,
    docs: v1_episodic_docs,
};

impl Handler {
    /// `-c` and the dimension.
    pub fn args(&self) -> Vec<String> {
        ["-c", self.c, "--handler-param", &format!("dim={DIM}")]
            .map(String::from)
            .to_vec()
    }

    /// Documents whose time field falls in a `--days 7` window.
    pub fn in_last_week(&self, docs: &[Document]) -> usize {
        let from = now_ms() - 7 * 86_400_000;
        docs.iter()
            .filter(|d| {
                d.get_datetime(self.time_field)
                    .is_ok_and(|t| t.timestamp_millis() >= from)
            })
            .count()
    }
}

/// One `#[tokio::test]` per shipped handler, each running `$case(&HANDLER, seed)`.
#[macro_export]
macro_rules! per_handler {
    ($case:ident: $($test:ident => $h:ident, $seed:expr;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                $case(&$h, $seed).await;
            }
        )*
    };
}

/// What `doc` must become under `handler` (a shipped type, `episodic_memory_v01` for the pinned
/// 0.1 plugin, or `sync_note`).
pub fn expected(handler: &str, d: &Document) -> Expect {
    match handler {
        "episodic_memory" => expect::episodic_memory(d, DIM),
        "event_log" => expect::event_log(d, DIM),
        "foresight" => expect::foresight(d, DIM),
        "v1_episodic_memory" => expect::v1_episodic_memory(d, DIM, TENANT),
        "episodic_memory_v01" => expect::episodic_v01(d),
        "sync_note" => expect::note(d),
        other => panic!("no expected mapping for handler `{other}`"),
    }
}

/// Fields holding JSON text whose key order is the handler's business (compared parsed).
fn json_text_fields(handler: &str) -> &'static [&'static str] {
    match handler {
        "episodic_memory_v01" => &["detail"],
        _ => &[],
    }
}

// ---- Milvus --------------------------------------------------------------------------------

/// Every row of `name`, read by pymilvus, by primary key `id`.
pub fn read_milvus(name: &str) -> BTreeMap<String, Map<String, Value>> {
    let script = repo_root().join("tests/sync_read_milvus.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(milvus_uri())
        .arg(name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pymilvus reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_object().unwrap().clone();
            (r["id"].as_str().unwrap().to_string(), r)
        })
        .collect()
}

/// What a sequence of documents leaves behind.
#[derive(Debug, Default)]
pub struct Expected {
    /// Milvus' content by `id`.
    pub rows: BTreeMap<String, Map<String, Value>>,
    /// The skip reason of each `_id` whose last version is skipped.
    pub skipped: BTreeMap<String, String>,
    /// Skipped document versions.
    pub skips: u64,
    /// Deleted (soft-deleted) document versions.
    pub deletes: u64,
}

fn hex(d: &Document) -> String {
    d.get_object_id("_id")
        .map(|o| o.to_hex())
        .unwrap_or_default()
}

impl Expected {
    /// Applies `docs` in order, as upserts do: a row replaces its key, a skip leaves Milvus as
    /// it was, a delete removes the key.
    pub fn apply(mut self, handler: &str, docs: &[Document]) -> Expected {
        for d in docs {
            let id = hex(d);
            self.skipped.remove(&id);
            match expected(handler, d) {
                Expect::Row(e) => {
                    self.rows.insert(id, e);
                }
                Expect::Skip(r) => {
                    self.skips += 1;
                    self.skipped.insert(id, r);
                }
                Expect::Delete => {
                    self.deletes += 1;
                    self.rows.remove(&id);
                }
            }
        }
        self
    }
}

/// What syncing `docs` in order into an empty collection gives.
pub fn expectations(handler: &str, docs: &[Document]) -> Expected {
    Expected::default().apply(handler, docs)
}

fn same_value(handler: &str, field: &str, want: &Value, got: &Value) -> bool {
    if json_text_fields(handler).contains(&field) {
        let parse = |v: &Value| serde_json::from_str::<Value>(v.as_str().unwrap_or("")).ok();
        return parse(want).is_some() && parse(want) == parse(got);
    }
    match (want, got) {
        (Value::Array(a), Value::Array(b)) if field == "vector" => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.as_f64().map(|f| f as f32) == y.as_f64().map(|f| f as f32))
        }
        _ => want == got,
    }
}

/// Milvus holds exactly `want`, value for value (dynamic keys looked up at the top level or
/// in `$meta`).
pub fn assert_rows(handler: &str, name: &str, want: &BTreeMap<String, Map<String, Value>>) {
    let got = read_milvus(name);
    let (w, g): (Vec<&String>, Vec<&String>) = (want.keys().collect(), got.keys().collect());
    assert_eq!(
        w.len(),
        g.len(),
        "row count of `{name}`: missing {:?}, extra {:?}",
        w.iter()
            .filter(|k| !got.contains_key(**k))
            .take(5)
            .collect::<Vec<_>>(),
        g.iter()
            .filter(|k| !want.contains_key(**k))
            .take(5)
            .collect::<Vec<_>>()
    );
    for (id, e) in want {
        let row = got
            .get(id)
            .unwrap_or_else(|| panic!("`{name}`: row {id} missing"));
        let meta = row.get("$meta").and_then(Value::as_object);
        for k in row.keys().chain(meta.into_iter().flat_map(|m| m.keys())) {
            assert!(
                k == "$meta" || e.contains_key(k),
                "`{name}` row {id} has an unexpected field `{k}`"
            );
        }
        for (field, v) in e {
            let actual = row
                .get(field)
                .or_else(|| row.get("$meta").and_then(|m| m.get(field)))
                .unwrap_or(&Value::Null);
            assert!(
                same_value(handler, field, v, actual),
                "`{name}` row {id} field {field}: want {v}, got {actual}"
            );
        }
    }
}

/// The report lines by id.
pub fn report(path: &Path) -> BTreeMap<String, Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Every document whose last version is skipped is in the report with a reason containing
/// its expected phrase; every line is about a document one of whose versions is skipped.
pub fn assert_report(path: &Path, handler: &str, docs: &[Document]) {
    let ever_bad: std::collections::BTreeSet<String> = docs
        .iter()
        .filter(|d| matches!(expected(handler, d), Expect::Skip(_)))
        .map(hex)
        .collect();
    let lines = report(path);
    for (id, phrase) in &expectations(handler, docs).skipped {
        let line = lines
            .get(id)
            .unwrap_or_else(|| panic!("{id} ({phrase}) is not in the report"));
        let reason = line["reason"].as_str().unwrap();
        assert!(
            reason.contains(phrase.as_str()),
            "{id}: reason `{reason}` lacks `{phrase}`"
        );
    }
    for id in lines.keys() {
        assert!(
            ever_bad.contains(id),
            "{id} is in the report but none of its versions is skipped"
        );
    }
}

/// Drops what a test created under `name` (the alias and the collection behind it).
pub async fn drop_target(name: &str) {
    use milvus_ingest::milvus::alias::{AliasTarget, drop, resolve};
    use milvus_ingest::milvus::collection::drop_collection;
    use milvus_ingest::milvus::{Client, ConnectOptions};
    let client = Client::connect(&ConnectOptions::new(milvus_uri()))
        .await
        .unwrap();
    let real = match resolve(&client, name).await.unwrap() {
        AliasTarget::Alias(real) => {
            drop(&client, name).await.unwrap();
            Some(real)
        }
        AliasTarget::Collection => Some(name.to_string()),
        AliasTarget::Missing => None,
    };
    if let Some(real) = real {
        drop_collection(&client, &real).await.unwrap();
    }
}
