//! `health --textfile` against Milvus 2.3.5 through the real binary: the Prometheus file is
//! replaced on every run whatever the status (an unhealthy collection never keeps showing its
//! last healthy figures), carries a timestamp gauge, leaves no temporary file, and the exit
//! codes stay 0 / 2.

mod common;
mod milvus_common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{must, run_in, text};
use milvus_common::service_uri;

const COLLECTION: &str = "ops_health_textfile";
const GENEROUS: [&str; 4] = [
    "--query-threshold-ms",
    "10000",
    "--search-threshold-ms",
    "10000",
];

/// The value of the sample of `family` (the first one) in exposition text.
fn sample(text: &str, family: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(&format!("{family}{{")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {family} sample in:\n{text}"))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// `health` with `--textfile`, returning the exit code.
fn health(dir: &Path, uri: &str, collection: &str, file: &Path) -> Option<i32> {
    let mut args = vec!["health", "--uri", uri, "--collection", collection];
    args.extend(GENEROUS);
    args.extend(["--textfile", file.to_str().unwrap()]);
    let out = run_in(dir, &args);
    // The table still goes to stdout; the textfile is extra.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(collection),
        "{}",
        text(&out)
    );
    out.status.code()
}

/// A loaded, indexed collection (retried until `health` calls it HEALTHY).
fn healthy_collection(dir: &Path, uri: &str) {
    must(
        dir,
        &["generate", "--builtin", "simple", "-r", "500", "--out", "d"],
    );
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            "d",
            "--uri",
            uri,
            "--collection-name",
            COLLECTION,
            "--drop-if-exists",
            "--no-progress",
        ],
    );
    let started = Instant::now();
    loop {
        let mut args = vec!["health", "--uri", uri, "--collection", COLLECTION];
        args.extend(GENEROUS);
        let out = run_in(dir, &args);
        if out.status.code() == Some(0) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not healthy after 120 s: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn the_textfile_is_replaced_whatever_the_status() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    healthy_collection(dir, &uri);
    let collector = dir.join("textfile");
    std::fs::create_dir(&collector).unwrap();
    let file = collector.join("kb.prom");

    let before = now();
    assert_eq!(health(dir, &uri, COLLECTION, &file), Some(0));
    let healthy = std::fs::read_to_string(&file).unwrap();
    assert_eq!(sample(&healthy, "milvus_ingest_health_status"), 0.0);
    let t1 = sample(&healthy, "milvus_ingest_health_timestamp_seconds");
    assert!(t1 >= before - 1.0 && t1 <= now() + 1.0, "{t1} vs {before}");
    assert!(healthy.contains("# TYPE milvus_ingest_health_timestamp_seconds gauge"));

    // Unhealthy (no such collection): exit 2 as before, and the file says so.
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(health(dir, &uri, "ops_health_no_such", &file), Some(2));
    let unhealthy = std::fs::read_to_string(&file).unwrap();
    assert_eq!(sample(&unhealthy, "milvus_ingest_health_status"), 2.0);
    let t2 = sample(&unhealthy, "milvus_ingest_health_timestamp_seconds");
    assert!(t2 > t1, "timestamp did not move: {t1} then {t2}");

    // Unreachable server: exit 2, and the file is replaced again.
    assert_eq!(
        health(dir, "http://127.0.0.1:1", COLLECTION, &file),
        Some(2)
    );
    let down = std::fs::read_to_string(&file).unwrap();
    assert_eq!(sample(&down, "milvus_ingest_health_status"), 2.0);
    assert!(down.contains("check=\"connection\"} 2"), "{down}");

    // Only the target is in the collector's directory: no temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(&collector)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["kb.prom"]);

    // A directory that does not exist is bad input, refused before any check runs.
    let missing = dir.join("no/such/dir/kb.prom");
    let out = run_in(
        dir,
        &[
            "health",
            "--uri",
            &uri,
            "--collection",
            COLLECTION,
            "--textfile",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--textfile"), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
}

/// A textfile that is a symlink (the collector's directory linking to a file kept elsewhere)
/// stays a link: the file it points to is replaced. The rename used to replace the link
/// itself with a regular file and leave the linked file with its old figures.
#[test]
fn a_symlinked_textfile_stays_a_link_and_its_target_is_replaced() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("kept")).unwrap();
    std::fs::create_dir_all(dir.join("collector")).unwrap();
    let target = dir.join("kept/kb.prom");
    std::fs::write(&target, "old figures\n").unwrap();
    let link = dir.join("collector/kb.prom");
    std::os::unix::fs::symlink("../kept/kb.prom", &link).unwrap();
    let code = health(dir, &uri, "ops_health_no_such_collection", &link);
    assert_eq!(code, Some(2));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        sample(&written, "milvus_ingest_health_status"),
        2.0,
        "{written}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}
