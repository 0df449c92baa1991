//! `sync --from-file`: mongodump `.bson` / `.bson.gz` and mongoexport JSON lines / `--jsonArray`
//! (canonical and relaxed Extended JSON v2) into Milvus 2.3.5. The dump and export files are
//! written by pymongo (an independent BSON and Extended JSON writer) from documents inserted
//! into the live server and read back; the second file, with newer versions of some documents
//! (the same `_id`s, some in the same batch, some in earlier ones), by the `bson` crate.

mod sync_common;

use std::path::Path;
use std::process::Command;

use bson::{Bson, Document};
use sync_common::*;

/// Dumps db.coll with pymongo: `dump.bson`, `dump.bson.gz`, `canonical.jsonl`, `relaxed.json`
/// (a `--jsonArray` export), all in `_id` order.
fn pymongo_dump(dir: &Path, db: &str, coll: &str) {
    let py = std::env::var("MI_MONGO_PYTHON").unwrap_or_else(|_| {
        let vars = std::fs::read_to_string(
            Path::new(
                &std::env::var("MILVUS_INGEST_SERVICES_DIR")
                    .unwrap_or("/tmp/milvus-ingest-services".into()),
            )
            .join("env.sh"),
        )
        .unwrap_or_default();
        vars.lines()
            .find_map(|l| l.strip_prefix("export MI_MONGO_PYTHON="))
            .map(|v| v.trim_matches(['\'', '"']).to_string())
            .expect("MI_MONGO_PYTHON (pymongo) is not set: run `scripts/services.sh up mongo`")
    });
    let script = r#"
import gzip, sys, bson
from bson import json_util
from pymongo import MongoClient
uri, db, coll, out = sys.argv[1:5]
docs = list(MongoClient(uri)[db][coll].find().sort("_id", 1))
raw = b"".join(bson.encode(d) for d in docs)
open(out + "/dump.bson", "wb").write(raw)
open(out + "/dump.bson.gz", "wb").write(gzip.compress(raw))
with open(out + "/canonical.jsonl", "w") as f:
    for d in docs:
        f.write(json_util.dumps(d, json_options=json_util.CANONICAL_JSON_OPTIONS) + "\n")
with open(out + "/relaxed.json", "w") as f:
    f.write("[" + ",\n".join(json_util.dumps(d, json_options=json_util.RELAXED_JSON_OPTIONS) for d in docs) + "]")
"#;
    let out = Command::new(py)
        .args([
            "-c",
            script,
            &mongo_uri(),
            db,
            coll,
            &dir.display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pymongo dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Newer versions of documents `ids`, written with the bson crate as .bson and as JSON lines.
fn updates(dir: &Path, docs: &[Document], ids: &[u64]) -> Vec<Document> {
    let newer: Vec<Document> = ids
        .iter()
        .map(|&i| {
            let mut d = docs[i as usize].clone();
            d.insert(
                "episode",
                format!("第二版：{}", d.get_str("episode").unwrap_or("")),
            );
            if !matches!(d.get("vector"), Some(Bson::Array(a)) if a.len() == DIM) {
                d.insert(
                    "vector",
                    (0..DIM)
                        .map(|k| Bson::Double(k as f64 / 1024.0))
                        .collect::<Vec<_>>(),
                );
            }
            d
        })
        .collect();
    let mut raw = Vec::new();
    for d in &newer {
        d.to_writer(&mut raw).unwrap();
    }
    std::fs::write(dir.join("updates.bson"), raw).unwrap();
    let lines: Vec<String> = newer
        .iter()
        .map(|d| Bson::Document(d.clone()).into_relaxed_extjson().to_string())
        .collect();
    std::fs::write(dir.join("updates.jsonl"), lines.join("\n") + "\n").unwrap();
    newer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dumps_and_exports_sync_the_same_entities() {
    let client = mongo().await;
    let (db, coll_name) = ("sync_test_files", "episodic_memories");
    let coll = fresh(&client, db, coll_name).await;
    let docs = episodic_docs(21, 0..200);
    insert(&coll, &docs).await;
    let dir = tempfile::tempdir().unwrap();
    pymongo_dump(dir.path(), db, coll_name);
    // Updated documents: 0..30 land in later batches than their first versions, 190..200 in
    // the same batch (-b 64: the batch at 192..256 holds both).
    let ids: Vec<u64> = (0..30).chain(190..200).collect();
    let newer = updates(dir.path(), &docs, &ids);
    let all: Vec<Document> = docs.iter().cloned().chain(newer).collect();
    let (good, _) = expectations("episodic_memory", &all);

    let name = "sync_files_all";
    drop_target(name).await;
    let milvus = milvus_uri();
    let state = dir.path().join("state").display().to_string();
    let plugin = v01_episodic_plugin();
    let run_files = |files: &[&str], extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "-c",
            "episodic_memory",
            "--plugin",
            &plugin,
            "--milvus-name",
            name,
            "--uri",
            &milvus,
            "--state-dir",
            &state,
            "-b",
            "64",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        args.push("--from-file".into());
        args.extend(
            files
                .iter()
                .map(|f| dir.path().join(f).display().to_string()),
        );
        args.extend(extra.iter().map(|s| s.to_string()));
        sync_ok(
            dir.path(),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };

    // Every format gives the same conversion (dry runs: nothing written).
    let mut counts = Vec::new();
    for files in [
        ["dump.bson", "updates.jsonl"],
        ["dump.bson.gz", "updates.bson"],
        ["canonical.jsonl", "updates.bson"],
        ["relaxed.json", "updates.jsonl"],
    ] {
        let s = run_files(&files, &["--dry-run"]);
        counts.push((
            files,
            s["read"].clone(),
            s["converted"].clone(),
            s["skipped"].clone(),
            s["upserted"].clone(),
            s["collapsed"].clone(),
        ));
    }
    for c in &counts {
        assert_eq!((&c.1, &c.3), (&counts[0].1, &counts[0].3), "{counts:?}");
        assert_eq!(c.1, 240, "{counts:?}");
    }

    let report_path = dir.path().join("r.jsonl");
    let s = run_files(
        &["dump.bson", "updates.jsonl"],
        &["--report", &report_path.display().to_string()],
    );
    assert_eq!(s["collapsed"], 8, "same-batch duplicates collapse: {s}");
    assert_eq!(s["failed"], 0);
    assert_rows("episodic_memory", name, &good);
    assert_report(&report_path, "episodic_memory", &all);

    // Another pair of formats into the same collection: nothing changes.
    let s = run_files(&["relaxed.json", "updates.bson"], &[]);
    assert_eq!(s["target"], "reused");
    assert_rows("episodic_memory", name, &good);
    // The first versions again (gzipped dump, then the canonical export): they win now.
    let s = run_files(&["dump.bson.gz", "canonical.jsonl"], &[]);
    assert_eq!(s["read"], 400, "{s}");
    // Where a first version is bad it is skipped, so the newer good version stays.
    let mut want = good.clone();
    want.extend(expectations("episodic_memory", &docs).0);
    assert_rows("episodic_memory", name, &want);
    drop_target(name).await;
}
