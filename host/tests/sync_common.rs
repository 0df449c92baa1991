//! Shared by the `sync_*` tests: the servers (MongoDB from `MONGODB_URI` when set, else the
//! SecantusDB of `scripts/services.sh`; Milvus 2.3.5), realistic fixture documents, the
//! independent reader (pymilvus), and — in ONE place, per handler — what each document must
//! become in Milvus. When the shipped handlers replace the 0.1 `episodic-memory` plugin, only
//! [`expected`] changes.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bson::oid::ObjectId;
use bson::{Bson, DateTime, Document, doc};
use serde_json::{Map, Value, json};

#[path = "milvus_common.rs"]
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

// ---- fixtures ------------------------------------------------------------------------------

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A float exactly representable as f32, in [-1, 1).
fn unit(seed: u64, i: u64, k: u64) -> f64 {
    let bits = mix(seed ^ i.wrapping_mul(1_000_003) ^ k.wrapping_mul(7919)) >> 40;
    ((bits as f32 / (1u64 << 23) as f32) - 1.0) as f64
}

/// ObjectIds in `i` order (timestamp, then a fixed middle, then the counter).
pub fn oid(seed: u64, i: u64) -> ObjectId {
    let mut b = [0u8; 12];
    b[..4].copy_from_slice(&(1_775_000_000u32).to_be_bytes());
    b[4..9].copy_from_slice(&seed.to_be_bytes()[3..8]);
    b[9..].copy_from_slice(&(i as u32).to_be_bytes()[1..4]);
    ObjectId::from_bytes(b)
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub const DIM: usize = 1024;

/// What document `i` of a fixture is made to test.
pub fn flavour(i: u64) -> &'static str {
    match i % 25 {
        3 => "no vector",
        4 => "empty vector",
        5 => "wrong dim",
        6 => "nan",
        7 => "nulls",
        8 => "long chinese",
        9 => "old",
        _ => "plain",
    }
}

/// Realistic `episodic_memories` documents: Chinese text, one of every defect every 25.
pub fn episodic_docs(seed: u64, range: std::ops::Range<u64>) -> Vec<Document> {
    let now = now_ms();
    let sentence = "张伟与李娜在线上会议中讨论了新版本的发布计划，并决定推迟发布会。";
    range
        .map(|i| {
            let created = if flavour(i) == "old" {
                now - 30 * 86_400_000
            } else {
                now - (i as i64 % 5) * 86_400_000 - 1000
            };
            let vector: Bson = match flavour(i) {
                "no vector" => Bson::Null,
                "empty vector" => Bson::Array(vec![]),
                "wrong dim" => {
                    Bson::Array((0..3).map(|k| Bson::Double(unit(seed, i, k))).collect())
                }
                "nan" => Bson::Array(
                    (0..DIM as u64)
                        .map(|k| Bson::Double(if k == 17 { f64::NAN } else { unit(seed, i, k) }))
                        .collect(),
                ),
                _ => Bson::Array(
                    (0..DIM as u64)
                        .map(|k| Bson::Double(unit(seed, i, k)))
                        .collect(),
                ),
            };
            let episode = if flavour(i) == "long chinese" {
                sentence.repeat(120) // 120 × 93 bytes: over the 10000-byte limit
            } else {
                format!("第{i}次会议：{sentence}")
            };
            let mut d = doc! {
                "_id": oid(seed, i),
                "user_id": format!("user_{}", i % 7),
                "user_name": "张伟",
                "group_id": format!("group_{}", i % 3),
                "group_name": "Alpha项目组",
                "timestamp": DateTime::from_millis(created - 60_000),
                "participants": ["张伟", "李娜"],
                "summary": format!("张伟和李娜商定第{i}件事"),
                "subject": "产品发布会筹备",
                "episode": episode,
                "type": "Conversation",
                "keywords": ["发布会", "测试"],
                "linked_entities": [],
                "memcell_event_id_list": [oid(seed + 1, i).to_hex()],
                "extend": {"memory_type": "episodic_memory", "ori_event_id": Bson::Null},
                "vector": vector,
                "vector_model": "Qwen/Qwen3-Embedding-4B",
                "created_at": DateTime::from_millis(created),
                "updated_at": DateTime::from_millis(created),
            };
            if flavour(i) == "nulls" {
                d.insert("group_id", Bson::Null);
                d.insert("participants", Bson::Null);
                d.insert("type", Bson::Null);
                d.insert("subject", Bson::Null);
                d.insert("user_id", "用户".repeat(40)); // 240 bytes: over the 100-byte limit
            }
            d
        })
        .collect()
}

/// `notes` documents for the `sync_note` test handler (4-d vectors).
pub fn note_docs(seed: u64, range: std::ops::Range<u64>) -> Vec<Document> {
    range
        .map(|i| {
            let mut d = doc! {
                "_id": oid(seed, i),
                "title": format!("笔记{i}"),
                "tags": ["a", "b"],
                "score": i as i64,
                "meta": {"k": i as i64, "中": "文"},
                "vector": (0..4).map(|k| Bson::Double(unit(seed, i, k))).collect::<Vec<_>>(),
                "created_at": DateTime::from_millis(now_ms()),
            };
            match i % 6 {
                1 => {
                    d.insert("title", "很长的标题".repeat(3)); // 45 bytes > 32
                }
                2 => {
                    d.insert("title", Bson::Null);
                }
                3 => {
                    d.insert("vector", vec![Bson::Double(0.5)]);
                }
                4 => {
                    d.insert(
                        "vector",
                        vec![
                            Bson::Double(0.5),
                            Bson::Double(f64::NAN),
                            Bson::Double(0.1),
                            Bson::Double(0.2),
                        ],
                    );
                }
                _ => {}
            }
            d
        })
        .collect()
}

// ---- the expected mapping, per handler -----------------------------------------------------

fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn string(d: &Document, k: &str) -> String {
    d.get_str(k).unwrap_or("").to_string()
}

fn secs(d: &Document, k: &str) -> i64 {
    d.get_datetime(k)
        .map(|t| t.timestamp_millis().div_euclid(1000))
        .unwrap_or(0)
}

fn vector(d: &Document, dim: usize) -> Result<Vec<f64>, String> {
    let items = match d.get("vector") {
        None | Some(Bson::Null) => return Err("no vector".into()),
        Some(Bson::Array(a)) => a,
        Some(_) => return Err("`vector` is not an array".into()),
    };
    if items.len() != dim {
        return Err(format!("{} dimensions", items.len()));
    }
    items
        .iter()
        .map(|b| match b {
            Bson::Double(x) if x.is_finite() => Ok(*x),
            _ => Err("not a finite number".to_string()),
        })
        .collect()
}

/// What `doc` must become in Milvus under `handler` (the entity, without `$meta`), or a phrase
/// its skip reason must contain.
pub fn expected(handler: &str, d: &Document) -> Result<Map<String, Value>, String> {
    match handler {
        "episodic_memory" => expected_episodic_v01(d),
        "sync_note" => expected_note(d),
        other => panic!("no expected mapping for handler `{other}`"),
    }
}

/// The 0.1 `episodic-memory` plugin (plugins/episodic-memory/src/lib.rs).
fn expected_episodic_v01(d: &Document) -> Result<Map<String, Value>, String> {
    let id = d
        .get_object_id("_id")
        .map_err(|_| "no _id".to_string())?
        .to_hex();
    let v = vector(d, DIM)?;
    let episode = string(d, "episode");
    let sc: Vec<String> = [episode.clone(), string(d, "summary"), string(d, "subject")]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let mut detail = Map::new();
    for (out, src) in [
        ("title", "subject"),
        ("summary", "summary"),
        ("participants", "participants"),
        ("keywords", "keywords"),
        ("linked_entities", "linked_entities"),
        ("subject", "subject"),
        ("memcell_event_id_list", "memcell_event_id_list"),
        ("extend", "extend"),
    ] {
        if let Some(b) = d.get(src).filter(|b| !matches!(b, Bson::Null)) {
            detail.insert(out.into(), b.clone().into_relaxed_extjson());
        }
    }
    let participants: Vec<Value> = d
        .get_array("participants")
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str())
                .take(100)
                .map(|p| json!(cut(p, 100)))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "id": id,
        "vector": v,
        "user_id": cut(&string(d, "user_id"), 100),
        "group_id": cut(&string(d, "group_id"), 100),
        "event_type": cut(&string(d, "type"), 50),
        "timestamp": secs(d, "timestamp"),
        "participants": participants,
        "episode": cut(&episode, 10_000),
        "search_content": cut(&sc.join(" "), 5000),
        "detail": Value::Object(detail).to_string(),
        "created_at": secs(d, "created_at"),
        "updated_at": secs(d, "updated_at"),
    })
    .as_object()
    .unwrap()
    .clone())
}

/// The `sync-notes` test guest (plugins/testing/sync-notes) plus the host's checks.
fn expected_note(d: &Document) -> Result<Map<String, Value>, String> {
    let id = d
        .get_object_id("_id")
        .map_err(|_| "no _id".to_string())?
        .to_hex();
    let title = match d.get("title") {
        Some(Bson::String(s)) if s.len() > 32 => return Err("the limit is 32".into()),
        Some(Bson::String(s)) => s.clone(),
        _ => return Err("field `title`: null".into()),
    };
    let v = vector(d, 4).map_err(|e| {
        if e.contains("dimensions") {
            "the collection has 4".to_string()
        } else {
            "component 1 is not a finite number".to_string()
        }
    })?;
    Ok(json!({
        "id": id,
        "vector": v,
        "title": title,
        "tags": d.get_array("tags").map(|a| a.iter().map(|b| b.clone().into_relaxed_extjson()).collect::<Vec<_>>()).unwrap_or_default(),
        "score": d.get_i64("score").unwrap_or(0),
        "meta": d.get_document("meta").map(|m| Bson::Document(m.clone()).into_relaxed_extjson()).unwrap_or(json!({})),
        "source": "notes",
    })
    .as_object()
    .unwrap()
    .clone())
}

/// Fields holding JSON text (compared parsed, as key order is the handler's business).
fn json_text_fields(handler: &str) -> &'static [&'static str] {
    match handler {
        "episodic_memory" => &["detail"],
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

/// Documents in order; the expected Milvus content (last version of each `_id` wins) and the
/// skip reasons of the others.
pub fn expectations(
    handler: &str,
    docs: &[Document],
) -> (
    BTreeMap<String, Map<String, Value>>,
    BTreeMap<String, String>,
) {
    let mut good = BTreeMap::new();
    let mut bad = BTreeMap::new();
    for d in docs {
        let id = d
            .get_object_id("_id")
            .map(|o| o.to_hex())
            .unwrap_or_default();
        match expected(handler, d) {
            Ok(e) => {
                bad.remove(&id);
                good.insert(id, e);
            }
            Err(r) => {
                good.remove(&id);
                bad.insert(id, r);
            }
        }
    }
    (good, bad)
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

/// Every document whose last version is bad is in the report with a reason containing its
/// expected phrase; every line is about a document one of whose versions is bad.
pub fn assert_report(path: &Path, handler: &str, docs: &[Document]) {
    let (_, bad) = expectations(handler, docs);
    let ever_bad: std::collections::BTreeSet<String> = docs
        .iter()
        .filter(|d| expected(handler, d).is_err())
        .map(|d| {
            d.get_object_id("_id")
                .map(|o| o.to_hex())
                .unwrap_or_default()
        })
        .collect();
    let lines = report(path);
    for (id, phrase) in &bad {
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
            "{id} is in the report but none of its versions is bad"
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
