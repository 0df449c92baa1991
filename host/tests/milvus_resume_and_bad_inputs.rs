//! `to-milvus insert` killed midway and resumed, and bad inputs that must leave the
//! collection as it was. Against Milvus 2.3.5 from `scripts/services.sh up`.

mod common;
mod fault_proxy;
mod milvus_common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use common::{bin, must, run_in, text};
use milvus_common::service_uri;
use milvus_ingest::milvus::query::count;
use milvus_ingest::milvus::{Client, ConnectOptions};

fn rows_in(uri: &str, collection: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = Client::connect(&ConnectOptions::new(uri)).await.unwrap();
        count(&client, collection).await.unwrap()
    })
}

#[test]
fn a_killed_insert_resumes_without_losing_or_duplicating_rows() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    simple_60k(dir);
    let name = "e2e_resume";
    let progress = dir
        .join("d")
        .join(format!(".milvus-ingest-insert.{name}.progress"));
    let mut child = Command::new(bin())
        .args([
            "to-milvus",
            "insert",
            "d",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--drop-if-exists",
        ])
        .args(["--batch-size", "300", "--concurrency", "4", "--no-progress"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a good part (but not all) of the rows are acknowledged.
    let started = Instant::now();
    loop {
        if acked_requests(&progress) >= 40 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "insert ended before it could be killed; make the dataset larger"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "insert made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let record = std::fs::read_to_string(&progress).unwrap();
    assert!(
        !record.lines().any(|l| l == "D"),
        "the run finished before the kill"
    );
    let before = rows_in(&uri, name);
    assert!(before > 0 && before < 60000, "{before} rows after the kill");

    let out = must(
        dir,
        &[
            "to-milvus",
            "insert",
            "d",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--resume",
            "--no-progress",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("already there from an earlier run"),
        "{stdout}"
    );
    // Insert never deduplicates and count(*) counts every copy: exactly 60000 means no row
    // was lost and none was inserted twice.
    assert_eq!(rows_in(&uri, name), 60000);
    must(
        dir,
        &[
            "to-milvus",
            "verify",
            "d",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--level",
            "scalar",
        ],
    );
    // Resuming a finished run inserts nothing.
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            "d",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--resume",
            "--no-progress",
        ],
    );
    assert_eq!(rows_in(&uri, name), 60000);
}

/// The documented bound for a server that stops answering: every attempt of one request
/// shares its `--rpc-timeout` (10 s here), and no request is sent once one has failed (one
/// that was sent took a deadline of its own: 20 s after the freeze).
const FROZEN_BOUND: Duration = Duration::from_secs(16);

/// Milvus frozen (as by SIGSTOP) in the middle of an insert: the command used to wait on
/// (396 s and counting in the issue); it must end with exit 1 and a clear message within the
/// bound, and `--resume` must then complete exactly.
#[test]
fn a_frozen_server_ends_the_insert_in_bounded_time_and_resume_is_exact() {
    let uri = service_uri("MI_MILVUS23_URI");
    let upstream = uri
        .trim_start_matches("http://")
        .parse()
        .expect("MI_MILVUS23_URI is http://IP:PORT");
    let proxy = fault_proxy::FreezeProxy::start(upstream);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    simple_60k(dir);
    let name = "e2e_frozen_insert";
    let progress = dir
        .join("d")
        .join(format!(".milvus-ingest-insert.{name}.progress"));
    let mut child = Command::new(bin())
        .args(["to-milvus", "insert", "d", "--uri", &proxy.uri()])
        .args([
            "--collection-name",
            name,
            "--drop-if-exists",
            "--rpc-timeout",
            "10",
        ])
        .args(["--batch-size", "300", "--concurrency", "4", "--no-progress"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while acked_requests(&progress) < 20 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "insert ended before the freeze"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "insert made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.freeze();
    let frozen_at = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if frozen_at.elapsed() > Duration::from_secs(300) {
            child.kill().unwrap();
            panic!("the insert was still waiting 300 s after the server froze");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let waited = frozen_at.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        waited < FROZEN_BOUND,
        "ended {waited:?} after the freeze: {stderr}"
    );
    assert!(stderr.contains("did not answer"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    eprintln!("ended {waited:?} after the freeze:\n{stderr}");
    // The server "restarts": the relay closes its connections and drops the requests it held,
    // and a new one answers at the same address (the progress file names the URI).
    let addr = proxy.addr;
    drop(proxy);
    std::thread::sleep(Duration::from_millis(500));
    let proxy = fault_proxy::FreezeProxy::start_on(addr, upstream);
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            "d",
            "--uri",
            &proxy.uri(),
            "--collection-name",
            name,
            "--resume",
            "--no-progress",
        ],
    );
    // Insert never deduplicates and count(*) counts every copy: exactly 60000 means no row
    // was lost and none was inserted twice.
    assert_eq!(rows_in(&uri, name), 60000);
}

/// 60,000 rows of `simple` in three files, in `dir/d`.
fn simple_60k(dir: &std::path::Path) {
    must(
        dir,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "60000",
            "--rows-per-file",
            "20000",
            "--out",
            "d",
            "--no-progress",
        ],
    );
}

/// Requests the progress file records as acknowledged.
fn acked_requests(progress: &std::path::Path) -> usize {
    std::fs::read_to_string(progress)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("A "))
        .count()
}

#[test]
fn unreachable_or_malformed_uris_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    must(
        tmp.path(),
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "10",
            "--out",
            "d",
            "--no-progress",
        ],
    );
    let out = run_in(
        tmp.path(),
        &[
            "to-milvus",
            "insert",
            "d",
            "--uri",
            "http://127.0.0.1:1",
            "--no-progress",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("cannot connect to Milvus at http://127.0.0.1:1") && t.contains("hint:"),
        "{t}"
    );
    let out = run_in(
        tmp.path(),
        &["to-milvus", "verify", "d", "--uri", "ftp://host:1"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("invalid Milvus URI `ftp://host:1`"), "{t}");
}

#[test]
fn schema_mismatch_and_bad_files_leave_the_collection_as_it_was() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let name = "e2e_bad_inputs";
    must(
        dir,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "2000",
            "--out",
            "simple",
            "--no-progress",
        ],
    );
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            "simple",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--drop-if-exists",
            "--no-progress",
        ],
    );
    assert_eq!(rows_in(&uri, name), 2000);

    // Another schema into the same collection: refused, with each difference listed.
    must(
        dir,
        &[
            "generate",
            "--builtin",
            "news_articles",
            "-r",
            "100",
            "--out",
            "news",
            "--no-progress",
        ],
    );
    let out = run_in(
        dir,
        &[
            "to-milvus",
            "insert",
            "news",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--no-progress",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("different schema")
            && t.contains("`article_id` is missing")
            && t.contains("`id` (Int64) is in the collection"),
        "{t}"
    );
    assert_eq!(rows_in(&uri, name), 2000);

    // A Parquet file whose vector column has the wrong type: refused before anything is sent.
    let data = dir.join("simple");
    let file = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let rows = 2000;
    let mut ids = Int64Builder::new();
    let mut vectors = ListBuilder::new(Float64Builder::new());
    for i in 0..rows {
        ids.append_value(i);
        for _ in 0..128 {
            vectors.values().append_value(0.5);
        }
        vectors.append(true);
    }
    let columns: Vec<ArrayRef> = vec![Arc::new(ids.finish()), Arc::new(vectors.finish())];
    let batch = RecordBatch::try_from_iter(["id", "embedding"].into_iter().zip(columns)).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&file).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let out = run_in(
        dir,
        &[
            "to-milvus",
            "insert",
            "simple",
            "--uri",
            &uri,
            "--collection-name",
            name,
            "--no-progress",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(&format!(
            "simple/{}",
            file.file_name().unwrap().to_string_lossy()
        )) && t.contains("column `embedding`")
            && t.contains("Float64"),
        "{t}"
    );
    assert_eq!(rows_in(&uri, name), 2000);
}

/// `--rpc-timeout 0` was taken as 1 s without a word (a user meaning "no deadline" got
/// requests cut after one second), and a huge value panicked (exit 101, "duration is
/// unrealistically large"): both are refused as bad input, exit 2, naming the flag.
#[test]
fn rpc_timeouts_out_of_range_are_refused() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    must(
        tmp.path(),
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "10",
            "--out",
            "d",
            "--no-progress",
        ],
    );
    for value in ["0", "18446744073709551615", "86401"] {
        let out = run_in(
            tmp.path(),
            &[
                "to-milvus",
                "insert",
                "d",
                "--uri",
                &uri,
                "--collection-name",
                "e2e_rpc_timeout_range",
                "--rpc-timeout",
                value,
                "--no-progress",
            ],
        );
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "--rpc-timeout {value}: {t}");
        assert!(t.contains("--rpc-timeout"), "{t}");
    }
}
