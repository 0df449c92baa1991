//! `sync --from-file`, for every shipped handler: mongodump `.bson` / `.bson.gz` and mongoexport
//! JSON lines / `--jsonArray` (canonical and relaxed Extended JSON v2) into Milvus 2.3.5. The dump and export files are
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

/// Newer versions of documents `ids` (the handler's text field changed, a good vector; with
/// soft deletes, the first `deleted` of them soft-deleted), written with the bson crate as
/// .bson and as JSON lines.
fn updates(
    dir: &Path,
    h: &Handler,
    docs: &[Document],
    ids: &[u64],
    deleted: usize,
) -> Vec<Document> {
    let newer: Vec<Document> = ids
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let mut d = docs[i as usize].clone();
            let text = d.get_str(h.text_field).unwrap_or("").to_string();
            d.insert(h.text_field, format!("第二版：{text}"));
            let v: Vec<Bson> = (0..DIM).map(|k| Bson::Double(k as f64 / 8.0)).collect();
            d.insert("vector", v);
            if h.soft_delete && n < deleted {
                soft_delete(&mut d);
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

fn is_row(h: &Handler, d: &Document) -> bool {
    !matches!(expected(h.name, d), Expect::Skip(_))
}

/// 200 documents through the live server into dump and export files, plus 40 newer versions
/// in a second file: every format converts alike; the newest good version of each `_id` wins;
/// a second run, in other formats, changes nothing; the first versions again win where good.
async fn files_case(h: &Handler, seed: u64) {
    let client = mongo().await;
    let db = format!("st_files_{}", h.name);
    let coll = fresh(&client, &db, h.source).await;
    let docs = (h.docs)(seed, 0..200, DIM);
    insert(&coll, &docs).await;
    let dir = tempfile::tempdir().unwrap();
    pymongo_dump(dir.path(), &db, h.source);
    // Updated documents: 0..30 land in later batches than their first versions, 190..200 in
    // the same batch (-b 64: the batch at 192..256 holds both for 192..200).
    let ids: Vec<u64> = (0..30).chain(190..200).collect();
    let newer = updates(dir.path(), h, &docs, &ids, 4);
    let all: Vec<Document> = docs.iter().cloned().chain(newer.iter().cloned()).collect();
    let want = expectations(h.name, &all);
    let collapsed = (192..200)
        .filter(|&i| is_row(h, &docs[i]) && is_row(h, &newer[i - 190 + 30]))
        .count();

    let name = format!("st_files_{}", h.name);
    drop_target(&name).await;
    let milvus = milvus_uri();
    let state = dir.path().join("state").display().to_string();
    let run_files = |files: &[&str], extra: &[&str]| {
        let mut args = h.args();
        args.extend(
            [
                "--milvus-name",
                &name,
                "--uri",
                &milvus,
                "--state-dir",
                &state,
                "-b",
                "64",
            ]
            .map(String::from),
        );
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
        let keys = [
            "read",
            "converted",
            "skipped",
            "upserted",
            "deleted",
            "collapsed",
        ];
        counts.push((files, keys.map(|k| s[k].clone())));
    }
    for c in &counts {
        assert_eq!(c.1, counts[0].1, "{counts:?}");
        assert_eq!(c.1[0], 240, "{counts:?}");
        assert_eq!(c.1[2], want.skips, "{counts:?}");
    }

    let report_path = dir.path().join("r.jsonl");
    let s = run_files(
        &["dump.bson", "updates.jsonl"],
        &["--report", &report_path.display().to_string()],
    );
    assert_eq!(
        s["collapsed"], collapsed as u64,
        "same-batch duplicates collapse: {s}"
    );
    assert_eq!(s["failed"], 0);
    assert_rows(h.name, &name, &want.rows);
    assert_report(&report_path, h.name, &all);

    // Another pair of formats into the same collection: nothing changes.
    let s = run_files(&["relaxed.json", "updates.bson"], &[]);
    assert_eq!(s["target"], "reused");
    assert_rows(h.name, &name, &want.rows);
    // The first versions again (gzipped dump, then the canonical export): where good, they win
    // now; where bad, they are skipped and the newer version stays.
    let s = run_files(&["dump.bson.gz", "canonical.jsonl"], &[]);
    assert_eq!(s["read"], 400, "{s}");
    let again = Expected {
        rows: want.rows,
        ..Default::default()
    };
    let again = again.apply(h.name, &docs).apply(h.name, &docs);
    assert_rows(h.name, &name, &again.rows);
    drop_target(&name).await;
}

per_handler! { files_case:
    files_episodic_memory => EPISODIC, 21;
    files_event_log => EVENT_LOG, 22;
    files_foresight => FORESIGHT, 23;
    files_v1_episodic_memory => V1_EPISODIC, 24;
}
