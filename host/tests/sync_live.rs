//! `sync` end to end against a live MongoDB (SecantusDB, or any `MONGODB_URI`) and Milvus
//! 2.3.5, for every shipped handler: every accepted document reads back (through pymilvus)
//! equal to the handler's documented mapping, every bad one is in the report, a re-run changes
//! nothing, `--limit 1234 -b 500` is exact in `_id` order, `--days` keeps its window, soft
//! deletes leave Milvus; a killed run resumes to the exact set, and `--follow` applies inserts,
//! updates and deletes, also those made while the follower was down. One test still runs the
//! 0.1 `episodic-memory` component (compatibility).

mod sync_common;

use std::time::{Duration, Instant};

use bson::doc;
use sync_common::*;

struct Target(String);
impl Target {
    async fn fresh(name: &str) -> Target {
        drop_target(name).await;
        Target(name.to_string())
    }
}

/// The flags every run of a test shares: `handler` (-c ...), target, source, state.
fn base_args(handler: Vec<String>, dir: &std::path::Path, name: &str, db: &str) -> Vec<String> {
    let mut args = handler;
    args.extend(
        [
            "--milvus-name",
            name,
            "--mongo-uri",
            &mongo_uri(),
            "--mongo-db",
            db,
            "--uri",
            &milvus_uri(),
            "--state-dir",
            &dir.join("state").display().to_string(),
            "--no-progress",
        ]
        .map(String::from),
    );
    args
}

fn with_sync(v: &[String]) -> Vec<&str> {
    std::iter::once("sync")
        .chain(v.iter().map(String::as_str))
        .collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn plus(args: &[String], more: &[&str]) -> Vec<String> {
    args.iter()
        .cloned()
        .chain(more.iter().map(|s| s.to_string()))
        .collect()
}

/// 1500 documents inserted in reverse `_id` order, then: `--limit 1234 -b 500` (exactly the
/// first 1234 in `_id` order), everything, a re-run, `--days 7`, and (HEAD) soft deletes.
async fn live_case(h: &Handler, seed: u64) {
    let client = mongo().await;
    let db = format!("st_live_{}", h.name);
    let coll = fresh(&client, &db, h.source).await;
    let mut docs = (h.docs)(seed, 0..1500, DIM);
    docs.reverse();
    insert(&coll, &docs).await;
    docs.reverse();
    let t = Target::fresh(&format!("st_live_{}", h.name)).await;
    let dir = tempfile::tempdir().unwrap();
    let args = base_args(h.args(), dir.path(), &t.0, &db);
    let r1 = dir.path().join("r1.jsonl").display().to_string();

    let s = sync_ok(
        dir.path(),
        &refs(&plus(
            &args,
            &["--limit", "1234", "-b", "500", "--report", &r1],
        )),
    );
    let want = expectations(h.name, &docs[..1234]);
    assert_eq!(s["read"], 1234, "{s}");
    assert_eq!(s["upserted"], want.rows.len() as u64, "{s}");
    assert_eq!(s["skipped"], want.skips, "{s}");
    assert_eq!(s["deleted"], want.deletes, "{s}");
    assert_eq!((&s["failed"], &s["target"]), (&0.into(), &"created".into()));
    assert_rows(h.name, &t.0, &want.rows);
    assert_report(r1.as_ref(), h.name, &docs[..1234]);

    // Everything; then the same flags again: upserts over the same keys change nothing.
    let r2 = dir.path().join("r2.jsonl").display().to_string();
    let all = expectations(h.name, &docs);
    for report in [&r2, &dir.path().join("r3.jsonl").display().to_string()] {
        let s = sync_ok(
            dir.path(),
            &refs(&plus(&args, &["-b", "200", "--report", report])),
        );
        assert_eq!(s["read"], 1500, "{s}");
        assert_eq!(s["upserted"], all.rows.len() as u64, "{s}");
        assert_eq!(s["target"], "reused", "{s}");
        assert_rows(h.name, &t.0, &all.rows);
        assert_report(report.as_ref(), h.name, &docs);
    }

    // --days 7 on the handler's time field leaves out old and undated documents.
    let s = sync_ok(dir.path(), &refs(&plus(&args, &["-d", "7", "--dry-run"])));
    assert_eq!(s["read"], h.in_last_week(&docs) as u64, "{s}");
    assert!(s["read"].as_u64().unwrap() < 1500, "{s}");

    if h.soft_delete {
        // Documents soft-deleted in MongoDB leave Milvus on the next run.
        let gone: Vec<u64> = vec![0, 1, 21];
        for &i in &gone {
            let mut d = docs[i as usize].clone();
            soft_delete(&mut d);
            coll.replace_one(doc! {"_id": oid(seed, i)}, d.clone())
                .await
                .unwrap();
            docs[i as usize] = d;
        }
        let s = sync_ok(dir.path(), &refs(&args));
        let after = expectations(h.name, &docs);
        assert_eq!(s["deleted"], after.deletes, "{s}");
        assert_eq!(after.rows.len() + gone.len(), all.rows.len());
        assert_rows(h.name, &t.0, &after.rows);
    }
    drop_target(&t.0).await;
}

per_handler! { live_case:
    live_episodic_memory => EPISODIC, 11;
    live_event_log => EVENT_LOG, 12;
    live_foresight => FORESIGHT, 13;
    live_v1_episodic_memory => V1_EPISODIC, 14;
}

/// The 0.1 `episodic-memory` component (the layout before the shipped handlers, 1024-d) still
/// loads and syncs through `--plugin`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_0_1_episodic_memory_component_still_syncs() {
    let client = mongo().await;
    let db = "st_live_v01";
    let coll = fresh(&client, db, "episodic_memories").await;
    let old_flavours = [
        "plain",
        "null vector",
        "missing vector",
        "empty vector",
        "wrong dim",
        "nan",
        "nulls",
        "long chinese",
        "old",
    ];
    let docs: Vec<_> = episodic_docs(15, 0..60, 1024)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| old_flavours.contains(&flavour(*i as u64)))
        .map(|(_, d)| d)
        .collect();
    insert(&coll, &docs).await;
    let t = Target::fresh("st_live_v01").await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl").display().to_string();
    let plugin = ["-c", "episodic_memory", "--plugin", &v01_episodic_plugin()];
    let args = base_args(plugin.map(String::from).to_vec(), dir.path(), &t.0, db);
    let args = plus(&args, &["-b", "16", "--report", &report]);
    let s = sync_ok(dir.path(), &refs(&args));
    let want = expectations("episodic_memory_v01", &docs);
    assert_eq!(s["upserted"], want.rows.len() as u64, "{s}");
    assert_rows("episodic_memory_v01", &t.0, &want.rows);
    assert_report(report.as_ref(), "episodic_memory_v01", &docs);
    drop_target(&t.0).await;
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
    let db = "st_live_resume";
    let coll = fresh(&client, db, EPISODIC.source).await;
    let docs = episodic_docs(16, 0..2500, DIM);
    insert(&coll, &docs).await;
    let t = Target::fresh("st_live_resume").await;
    let dir = tempfile::tempdir().unwrap();
    let args = base_args(EPISODIC.args(), dir.path(), &t.0, db);
    // One request per batch (no merging), so the kill lands midway.
    let mut args = plus(
        &args,
        &["-b", "50", "--concurrency", "2", "--max-request-mb", "0"],
    );
    let mut child = command(dir.path(), &with_sync(&args)).spawn().unwrap();
    wait_until(120, "a first checkpoint", || {
        checkpoint(dir.path(), &t.0).is_some_and(|c| c["read"].as_u64().unwrap_or(0) >= 300)
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let cp = checkpoint(dir.path(), &t.0).unwrap();
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
    let good = expectations("episodic_memory", &docs).rows;
    assert_rows("episodic_memory", &t.0, &good);
    drop_target(&t.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_applies_changes_also_those_made_while_it_was_down() {
    let client = mongo().await;
    let db = "st_live_follow";
    let coll = fresh(&client, db, EPISODIC.source).await;
    let docs = episodic_docs(17, 0..40, DIM);
    insert(&coll, &docs).await;
    let t = Target::fresh("st_live_follow").await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = base_args(EPISODIC.args(), dir.path(), &t.0, db);
    args.push("--follow".into());
    let mut follower = command(dir.path(), &with_sync(&args)).spawn().unwrap();
    wait_until(120, "the initial pass", || {
        checkpoint(dir.path(), &t.0).is_some_and(|c| c["scan_complete"] == true)
    })
    .await;
    let mut state = docs.clone();

    // While it follows: an insert, an update, a delete.
    let extra = episodic_docs(17, 100..101, DIM);
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
    let good = expectations("episodic_memory", &state).rows;
    let want_len = good.len();
    wait_until(60, "the changes to reach Milvus", || {
        let got = read_milvus(&t.0);
        got.len() == want_len
            && got
                .get(&id0.to_hex())
                .is_some_and(|r| r["episode"] == "更新后的情节")
    })
    .await;
    assert_rows("episodic_memory", &t.0, &good);
    follower.kill().unwrap();
    follower.wait().unwrap();

    // While it is down: another insert, update and delete.
    let extra = episodic_docs(17, 200..202, DIM);
    insert(&coll, &extra).await;
    state.extend(extra);
    let pos = |state: &Vec<bson::Document>, i: u64| {
        let id = oid(17, i);
        state
            .iter()
            .position(|d| d.get_object_id("_id").unwrap() == id)
            .unwrap()
    };
    let id2 = oid(17, 10);
    let p2 = pos(&state, 10);
    let mut replaced = state[p2].clone();
    replaced.insert("summary", "替换后的摘要");
    coll.replace_one(doc! {"_id": id2}, replaced.clone())
        .await
        .unwrap();
    state[p2] = replaced;
    let id3 = oid(17, 11);
    coll.delete_one(doc! {"_id": id3}).await.unwrap();
    let p3 = pos(&state, 11);
    state.remove(p3);
    args.push("--resume".into());
    let mut follower = command(dir.path(), &with_sync(&args)).spawn().unwrap();
    let good = expectations("episodic_memory", &state).rows;
    let want_len = good.len();
    let id2hex = id2.to_hex();
    wait_until(90, "the changes made while down to reach Milvus", || {
        let got = read_milvus(&t.0);
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
    assert_rows("episodic_memory", &t.0, &good);
    follower.kill().unwrap();
    follower.wait().unwrap();
    drop_target(&t.0).await;
}
