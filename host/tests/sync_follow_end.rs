//! `sync --follow` when its change stream ends or cannot resume, against the Mongo-wire server
//! (SecantusDB, or any `MONGODB_URI`) and Milvus 2.3.5: a drop or a rename of the followed
//! collection stops the follower within seconds with exit 1 and one line naming the collection
//! and the operation; the checkpoint keeps the token of the last applied change (checked with
//! pymongo: resuming after it yields the drop or rename again), so a restart stops the same
//! clean way; and a resume token the server refuses comes out as the server's `errmsg` with the
//! way forward, never the driver's debug text.

mod sync_common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sync_common::*;

/// `sync --follow` of `episodic_memory` from `db` at `uri` into `name`, state in `dir/state`.
fn follow_args(dir: &Path, name: &str, uri: &str, db: &str, more: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["--output", "json", "sync"]
        .into_iter()
        .map(String::from)
        .collect();
    args.extend(EPISODIC.args());
    args.extend(
        [
            "--milvus-name",
            name,
            "--mongo-uri",
            uri,
            "--mongo-db",
            db,
            "--uri",
            &milvus_uri(),
            "--state-dir",
            &dir.join("state").display().to_string(),
            "--no-progress",
            "--follow",
        ]
        .map(String::from),
    );
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

fn spawn(dir: &Path, args: &[String]) -> Child {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    command(dir, &argv)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn checkpoint(dir: &Path, name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("state").join(format!("{name}.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

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

/// Waits up to `secs` for the child to exit on its own (killed and failed otherwise).
fn exits_within(mut child: Child, secs: u64, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the follower was still running {secs} s after {what}:\n{}",
                text(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// What pymongo sees when it resumes `db.coll`'s change stream after `token`.
fn probe(db: &str, coll: &str, token: &Value) -> Value {
    let script = repo_root().join("tests/sync_resume_probe.py");
    let out = Command::new(mongo_python())
        .arg(script)
        .args([mongo_uri().as_str(), db, coll, &token.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "probe: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Replaces the checkpoint's resume token (as an older run or a hand edit would leave it).
fn set_token(dir: &Path, name: &str, token: &Value) {
    let path = dir.join("state").join(format!("{name}.json"));
    let mut cp: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    cp["resume_token"] = token.clone();
    std::fs::write(&path, serde_json::to_vec_pretty(&cp).unwrap()).unwrap();
}

/// No driver debug text or reply bytes in a message.
fn assert_clean(line: &str) {
    for raw in [
        "Kind:",
        "labels:",
        "Error {",
        "RawDocument",
        "CommandError",
        "$clusterTime",
    ] {
        assert!(!line.contains(raw), "`{raw}` in: {line}");
    }
}

/// The error line of a stopped follower: exactly one line on stderr after the summary.
fn error_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("initial pass done") && !l.starts_with("connected"))
        .collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: "),
        "one error line expected:\n{}",
        text(out)
    );
    lines[0].to_string()
}

/// Follows `db.episodic_memories`, applies one insert, then `end` ends the stream; the
/// follower must stop with exit 1 naming the collection and `operation`.
async fn stops_on(db: &str, operation: &str) {
    let client = mongo().await;
    client.database(db).drop().await.unwrap();
    let coll = fresh(&client, db, EPISODIC.source).await;
    let docs = episodic_docs(31, 0..20, DIM);
    insert(&coll, &docs).await;
    drop_target(db).await;
    let dir = tempfile::tempdir().unwrap();
    let follower = spawn(
        dir.path(),
        &follow_args(dir.path(), db, &mongo_uri(), db, &[]),
    );
    wait_until(120, "the initial pass", || {
        checkpoint(dir.path(), db).is_some_and(|c| c["scan_complete"] == true)
    })
    .await;
    let token0 = checkpoint(dir.path(), db).unwrap()["resume_token"].clone();
    let extra = episodic_docs(31, 100..101, DIM);
    insert(&coll, &extra).await;
    let want = expectations("episodic_memory", &[docs.clone(), extra].concat())
        .rows
        .len();
    wait_until(60, "the insert to reach Milvus", || {
        read_milvus(db).len() == want
    })
    .await;
    wait_until(10, "the checkpoint after the insert", || {
        checkpoint(dir.path(), db).is_some_and(|c| c["resume_token"] != token0)
    })
    .await;
    let namespace = format!("{db}.{}", EPISODIC.source);
    let what = match operation {
        "drop" => {
            coll.drop().await.unwrap();
            "was dropped".to_string()
        }
        _ => {
            let to = format!("{db}.renamed");
            client
                .database("admin")
                .run_command(bson::doc! {"renameCollection": &namespace, "to": &to})
                .await
                .unwrap();
            format!("was renamed to {to}")
        }
    };
    let out = exits_within(follower, 15, operation);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let line = error_line(&out);
    assert!(
        line.contains(&format!("{namespace} {what}"))
            && line.contains("run a full `sync` without --resume, then `sync --follow`"),
        "{line}"
    );
    let sum: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["changes_applied"], 1, "{sum}");
    assert!(sum["stopped"].as_str().unwrap().contains(&what), "{sum}");

    // The checkpoint resumes after the insert, before the end (pymongo agrees).
    let token = checkpoint(dir.path(), db).unwrap()["resume_token"].clone();
    let seen = probe(db, EPISODIC.source, &token);
    assert_eq!(seen["ops"][0], operation, "{seen}");

    // A restart from it stops the same clean way.
    let resume = follow_args(dir.path(), db, &mongo_uri(), db, &["--resume"]);
    let out = exits_within(spawn(dir.path(), &resume), 15, "the restart");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let line = error_line(&out);
    assert!(line.contains(&format!("{namespace} {what}")), "{line}");

    // A checkpoint holding the token of the invalidate after it (what the idle loop used to
    // save) is refused by the server: its errmsg and the way forward, no driver debug text.
    assert_eq!(seen["ops"][1], "invalidate", "{seen}");
    set_token(dir.path(), db, &seen["tokens"][1]);
    let out = exits_within(
        spawn(dir.path(), &resume),
        15,
        "a restart after the invalidate",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let line = error_line(&out);
    assert!(
        line.contains(&format!(
            "the change stream of {namespace} cannot resume from the checkpoint's token (server: "
        )) && line.contains("invalidate")
            && line.contains("run a full `sync` without --resume, then `sync --follow`"),
        "{line}"
    );
    assert_clean(&line);
    client.database(db).drop().await.unwrap();
    drop_target(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_collection_stops_the_follower() {
    stops_on("st_end_drop", "drop").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_collection_stops_the_follower() {
    stops_on("st_end_rename", "rename").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_is_not_one_is_reported_with_the_way_forward() {
    let db = "st_end_bogus";
    let client = mongo().await;
    let coll = fresh(&client, db, EPISODIC.source).await;
    insert(&coll, &episodic_docs(32, 0..10, DIM)).await;
    drop_target(db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut follower = spawn(
        dir.path(),
        &follow_args(dir.path(), db, &mongo_uri(), db, &[]),
    );
    wait_until(120, "the initial pass", || {
        checkpoint(dir.path(), db).is_some_and(|c| c["scan_complete"] == true)
    })
    .await;
    follower.kill().unwrap();
    follower.wait().unwrap();
    set_token(
        dir.path(),
        db,
        &serde_json::json!({"_data": "826F0000000000000000"}),
    );
    let resume = follow_args(dir.path(), db, &mongo_uri(), db, &["--resume"]);
    let out = exits_within(spawn(dir.path(), &resume), 15, "the restart");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let line = error_line(&out);
    assert!(
        line.contains(&format!(
            "the change stream of {db}.{} cannot resume from the checkpoint's token (server: resume token is not a valid resume token)",
            EPISODIC.source
        )) && line.contains("run a full `sync` without --resume, then `sync --follow`"),
        "{line}"
    );
    assert_clean(&line);
    client.database(db).drop().await.unwrap();
    drop_target(db).await;
}

/// A private SecantusDB keeping at most 20 oplog entries, on a fixed port of its own (the
/// shared one keeps 100,000 for an hour); stopped on drop.
struct SmallOplog {
    child: Child,
    uri: String,
}

impl SmallOplog {
    const PORT: u16 = 27047;

    async fn start(dir: &Path) -> SmallOplog {
        std::net::TcpListener::bind(("127.0.0.1", Self::PORT)).unwrap_or_else(|e| {
            panic!(
                "port {} is not free for a private SecantusDB: {e}",
                Self::PORT
            )
        });
        let python = PathBuf::from(mongo_python());
        let server = python.with_file_name("secantusd-py");
        let data = dir.join("secantus");
        std::fs::create_dir_all(&data).unwrap();
        let child = Command::new(&server)
            .args(["--host", "127.0.0.1", "--port", &Self::PORT.to_string()])
            .arg("--storage-path")
            .arg(&data)
            .args(["--oplog-max-entries", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", server.display()));
        let me = SmallOplog {
            child,
            uri: format!("mongodb://127.0.0.1:{}/?directConnection=true", Self::PORT),
        };
        let t0 = Instant::now();
        loop {
            if let Ok(c) = mongodb::Client::with_uri_str(&me.uri).await
                && c.database("admin")
                    .run_command(bson::doc! {"ping": 1})
                    .await
                    .is_ok()
            {
                return me;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the private SecantusDB did not start"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for SmallOplog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_point_gone_from_the_oplog_is_reported_and_a_full_sync_recovers() {
    let db = "st_end_lost";
    let dir = tempfile::tempdir().unwrap();
    let server = SmallOplog::start(dir.path()).await;
    let client = mongodb::Client::with_uri_str(&server.uri).await.unwrap();
    let coll = client
        .database(db)
        .collection::<bson::Document>(EPISODIC.source);
    let mut docs = episodic_docs(33, 0..10, DIM);
    insert(&coll, &docs).await;
    drop_target(db).await;
    let args = follow_args(dir.path(), db, &server.uri, db, &[]);
    let mut follower = spawn(dir.path(), &args);
    wait_until(120, "the initial pass", || {
        checkpoint(dir.path(), db).is_some_and(|c| c["scan_complete"] == true)
    })
    .await;
    follower.kill().unwrap();
    follower.wait().unwrap();

    // While it is down, 60 more writes and a prune: the saved resume point is gone.
    let more = episodic_docs(33, 100..160, DIM);
    for d in &more {
        coll.insert_one(d.clone()).await.unwrap();
    }
    docs.extend(more);
    let pruned = client
        .database("admin")
        .run_command(bson::doc! {"secantusAdmin.pruneOplog": 1})
        .await
        .unwrap();
    assert!(
        pruned.get_i32("pruned").unwrap_or(0) > 0 || pruned.get_i64("pruned").unwrap_or(0) > 0,
        "{pruned}"
    );
    let resume = follow_args(dir.path(), db, &server.uri, db, &["--resume"]);
    let out = exits_within(spawn(dir.path(), &resume), 15, "the restart");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let line = error_line(&out);
    assert!(
        line.contains(&format!(
            "the change stream of {db}.{} cannot resume: the resume point is no longer in the oplog (server: Resume of change stream was not possible",
            EPISODIC.source
        )) && line.contains("run a full `sync` without --resume, then `sync --follow`"),
        "{line}"
    );
    assert_clean(&line);

    // The way forward: without --resume, a full pass and then the stream from now.
    let mut follower = spawn(dir.path(), &args);
    let good = expectations("episodic_memory", &docs).rows;
    wait_until(120, "every document in Milvus", || {
        read_milvus(db).len() == good.len()
    })
    .await;
    assert_rows("episodic_memory", db, &good);
    follower.kill().unwrap();
    follower.wait().unwrap();
    drop_target(db).await;
}
