//! `sync` end to end against a live MongoDB (SecantusDB, or any `MONGODB_URI`) and Milvus
//! 2.3.5: every accepted document reads back (through pymilvus) equal to the handler's
//! mapping, every bad one is in the report, re-runs change nothing, `--limit` is exact, a
//! killed run resumes to the exact set, and `--follow` applies inserts, updates and deletes,
//! also those made while the follower was down.

mod sync_common;

use std::time::{Duration, Instant};

use bson::doc;
use sync_common::*;

const DB: &str = "sync_test_memsys";

struct Target(&'static str);
impl Target {
    async fn fresh(name: &'static str) -> Target {
        drop_target(name).await;
        Target(name)
    }
}

fn base_args<'a>(
    dir: &'a std::path::Path,
    name: &'a str,
    coll_uri: &'a str,
    milvus: &'a str,
) -> Vec<String> {
    vec![
        "-c".into(),
        "episodic_memory".into(),
        "--milvus-name".into(),
        name.into(),
        "--mongo-uri".into(),
        coll_uri.into(),
        "--mongo-db".into(),
        DB.into(),
        "--uri".into(),
        milvus.into(),
        "--state-dir".into(),
        dir.join("state").display().to_string(),
        "--no-progress".into(),
        // Last, so the tests' positional edits (args[7] is --mongo-db's value) stay valid.
        "--plugin".into(),
        v01_episodic_plugin(),
    ]
}

fn with_sync(v: &[String]) -> Vec<&str> {
    std::iter::once("sync")
        .chain(v.iter().map(String::as_str))
        .collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_documents_read_back_as_mapped_and_a_rerun_changes_nothing() {
    let client = mongo().await;
    // The 0.1 handler reads `episodic_memories` of the database given with --mongo-db.
    let coll = fresh(&client, DB, "episodic_memories").await;
    let docs = episodic_docs(11, 0..260);
    insert(&coll, &docs).await;
    let t = Target::fresh("sync_live_mapped").await;
    let dir = tempfile::tempdir().unwrap();
    let (mongo, milvus) = (mongo_uri(), milvus_uri());
    let report_path = dir.path().join("report.jsonl");
    let mut args = base_args(dir.path(), t.0, &mongo, &milvus);
    args.extend([
        "-b".into(),
        "64".into(),
        "--report".into(),
        report_path.display().to_string(),
    ]);
    let summary = sync_ok(dir.path(), &refs(&args));
    let (good, bad) = expectations("episodic_memory", &docs);
    assert_eq!(summary["read"], 260, "{summary}");
    assert_eq!(summary["upserted"], good.len() as u64, "{summary}");
    assert_eq!(summary["skipped"], bad.len() as u64, "{summary}");
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["target"], "created");
    assert_rows("episodic_memory", t.0, &good);
    assert_report(&report_path, "episodic_memory", &docs);

    // Same flags again: upserts over the same keys, nothing added or changed.
    let again = sync_ok(dir.path(), &refs(&args));
    assert_eq!(again["target"], "reused");
    assert_eq!(again["upserted"], good.len() as u64);
    assert_rows("episodic_memory", t.0, &good);

    // --days 7 leaves out the documents created 30 days ago; --limit counts them not.
    let mut days = base_args(dir.path(), t.0, &mongo, &milvus);
    days.extend(["-d".into(), "7".into(), "--dry-run".into()]);
    let s = sync_ok(dir.path(), &refs(&days));
    let old = docs
        .iter()
        .enumerate()
        .filter(|(i, _)| flavour(*i as u64) == "old")
        .count() as u64;
    assert_eq!(s["read"], 260 - old, "{s}");
    drop_target(t.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_reads_exactly_the_first_documents_in_id_order() {
    let client = mongo().await;
    let db = "sync_test_limit";
    let coll = fresh(&client, db, "episodic_memories").await;
    // Inserted in reverse: the scan must still follow `_id`, not insertion order.
    let mut docs = episodic_docs(12, 0..1500);
    docs.reverse();
    insert(&coll, &docs).await;
    docs.reverse();
    let t = Target::fresh("sync_live_limit").await;
    let dir = tempfile::tempdir().unwrap();
    let (mongo, milvus) = (mongo_uri(), milvus_uri());
    let mut args = base_args(dir.path(), t.0, &mongo, &milvus);
    args[7] = db.into();
    args.extend(["--limit".into(), "1234".into(), "-b".into(), "500".into()]);
    let s = sync_ok(dir.path(), &refs(&args));
    assert_eq!(s["read"], 1234, "{s}");
    let (good, _) = expectations("episodic_memory", &docs[..1234]);
    assert_rows("episodic_memory", t.0, &good);
    drop_target(t.0).await;
}

/// Polls `check` every 200 ms for up to `secs`.
async fn wait_until(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn checkpoint(dir: &std::path::Path, name: &str) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("state").join(format!("{name}.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_to_the_exact_set() {
    let client = mongo().await;
    let db = "sync_test_resume";
    let coll = fresh(&client, db, "episodic_memories").await;
    let docs = episodic_docs(13, 0..2500);
    insert(&coll, &docs).await;
    let t = Target::fresh("sync_live_resume").await;
    let dir = tempfile::tempdir().unwrap();
    let (mongo, milvus) = (mongo_uri(), milvus_uri());
    let mut args = base_args(dir.path(), t.0, &mongo, &milvus);
    args[7] = db.into();
    args.extend(["-b".into(), "50".into(), "--concurrency".into(), "2".into()]);
    let mut child = command(dir.path(), &with_sync(&args)).spawn().unwrap();
    wait_until(120, "a first checkpoint", || {
        checkpoint(dir.path(), t.0).is_some_and(|c| c["read"].as_u64().unwrap_or(0) >= 300)
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let cp = checkpoint(dir.path(), t.0).unwrap();
    assert!(
        !cp["scan_complete"].as_bool().unwrap(),
        "killed too late: {cp}"
    );
    let read_before = cp["read"].as_u64().unwrap();

    // Other flags would skip or repeat documents: refused, exit 2.
    let mut other = args.clone();
    other.extend(["--resume".into(), "--days".into(), "3".into()]);
    let out = run(dir.path(), &with_sync(&other));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--days"), "{}", text(&out));

    args.push("--resume".into());
    let s = sync_ok(dir.path(), &refs(&args));
    assert_eq!(s["resumed_after"], read_before, "{s}");
    assert_eq!(s["read"].as_u64().unwrap() + read_before, 2500, "{s}");
    let (good, _) = expectations("episodic_memory", &docs);
    assert_rows("episodic_memory", t.0, &good);
    drop_target(t.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_applies_changes_also_those_made_while_it_was_down() {
    let client = mongo().await;
    let db = "sync_test_follow";
    let coll = fresh(&client, db, "episodic_memories").await;
    let docs = episodic_docs(14, 0..40);
    insert(&coll, &docs).await;
    let t = Target::fresh("sync_live_follow").await;
    let dir = tempfile::tempdir().unwrap();
    let (mongo, milvus) = (mongo_uri(), milvus_uri());
    let mut args = base_args(dir.path(), t.0, &mongo, &milvus);
    args[7] = db.into();
    args.push("--follow".into());
    let mut follower = command(dir.path(), &with_sync(&args)).spawn().unwrap();
    wait_until(120, "the initial pass", || {
        checkpoint(dir.path(), t.0).is_some_and(|c| c["scan_complete"] == true)
    })
    .await;
    let mut state = docs.clone();

    // While it follows: an insert, an update, a delete.
    let extra = episodic_docs(14, 100..101);
    insert(&coll, &extra).await;
    state.extend(extra);
    let id0 = state[0].get_object_id("_id").unwrap();
    coll.update_one(
        doc! {"_id": id0},
        doc! {"$set": {"episode": "更新后的情节"}},
    )
    .await
    .unwrap();
    state[0].insert("episode", "更新后的情节");
    let id1 = state[1].get_object_id("_id").unwrap();
    coll.delete_one(doc! {"_id": id1}).await.unwrap();
    state.remove(1);
    let (good, _) = expectations("episodic_memory", &state);
    let want_len = good.len();
    wait_until(60, "the changes to reach Milvus", || {
        let got = read_milvus(t.0);
        got.len() == want_len
            && got
                .get(&id0.to_hex())
                .is_some_and(|r| r["episode"] == "更新后的情节")
    })
    .await;
    assert_rows("episodic_memory", t.0, &good);
    follower.kill().unwrap();
    follower.wait().unwrap();

    // While it is down: another insert, update and delete.
    let extra = episodic_docs(14, 200..202);
    insert(&coll, &extra).await;
    state.extend(extra);
    let pos = |state: &Vec<bson::Document>, i: u64| {
        let id = oid(14, i);
        state
            .iter()
            .position(|d| d.get_object_id("_id").unwrap() == id)
            .unwrap()
    };
    let id2 = oid(14, 10);
    let p2 = pos(&state, 10);
    let mut replaced = state[p2].clone();
    replaced.insert("summary", "替换后的摘要");
    coll.replace_one(doc! {"_id": id2}, replaced.clone())
        .await
        .unwrap();
    state[p2] = replaced;
    let id3 = oid(14, 11);
    coll.delete_one(doc! {"_id": id3}).await.unwrap();
    let p3 = pos(&state, 11);
    state.remove(p3);
    args.push("--resume".into());
    let mut follower = command(dir.path(), &with_sync(&args)).spawn().unwrap();
    let (good, _) = expectations("episodic_memory", &state);
    let want_len = good.len();
    let id2hex = id2.to_hex();
    wait_until(90, "the changes made while down to reach Milvus", || {
        let got = read_milvus(t.0);
        got.len() == want_len
            && !got.contains_key(&id3.to_hex())
            && got.get(&id2hex).is_some_and(|r| {
                r["search_content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("替换后的摘要")
            })
    })
    .await;
    assert_rows("episodic_memory", t.0, &good);
    follower.kill().unwrap();
    follower.wait().unwrap();
    drop_target(t.0).await;
}
