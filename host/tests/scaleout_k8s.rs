//! `k8s job` refusing what its pods would refuse, and the failure policy of its Jobs, through
//! the real binary; manifests validated offline with kubernetes-validate (MI_K8S_VALIDATE).

mod common;
mod k8s_common;

use std::process::Command;

use common::{bin, run_in, text};

/// More completions than shards a dataset may have (99,999) is refused before anything is
/// printed, with the rule the pods themselves print for that count.
#[test]
fn completions_above_the_shard_limit_are_refused_before_printing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // 100,000 one-row files, so the layout alone would accept 100,000 shards.
    let base = [
        "--builtin",
        "simple",
        "-r",
        "100000",
        "--rows-per-file",
        "1",
    ];
    let mut args = vec!["k8s", "job"];
    args.extend(base);
    args.extend(["--out", "s3://bkt/p", "--parallelism", "10"]);
    args.extend(["--completions", "100000"]);
    let out = run_in(dir, &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(out.stdout.is_empty(), "printed a manifest: {}", text(&out));
    let rule = "the shard count must be 1 to 99999, got 100000";
    let ours = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        ours.contains("--completions 100000") && ours.contains(rule),
        "{ours}"
    );

    // What a pod of that Job prints: the same rule.
    let mut pod = vec!["generate"];
    pod.extend(base);
    pod.extend(["--out", "out", "--shard-from-env"]);
    let out = Command::new(bin())
        .args(&pod)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .env("JOB_COMPLETION_INDEX", "0")
        .env("JOB_COMPLETION_COUNT", "100000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(rule), "{}", text(&out));

    // Without --completions, --parallelism is the count, and the message says so.
    let mut args = vec!["k8s", "job"];
    args.extend(base);
    args.extend(["--out", "s3://bkt/p", "--parallelism", "100000"]);
    let out = run_in(dir, &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    assert!(
        text(&out).contains("--parallelism 100000") && text(&out).contains(rule),
        "{}",
        text(&out)
    );

    // The limit itself is accepted.
    let mut args = vec!["k8s", "job"];
    args.extend(base);
    args.extend(["--out", "s3://bkt/p", "--parallelism", "10"]);
    args.extend(["--completions", "99999"]);
    let out = run_in(dir, &args);
    assert!(out.status.success(), "{}", text(&out));
}

/// The shard Job fails an index at once on bad input (exit 2) and does not count evictions
/// against `backoffLimitPerIndex`; the pods learn their index's failures so far. Validated
/// against the Kubernetes 1.33 schema (which checks the policy's shape).
#[test]
fn the_jobs_have_a_pod_failure_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = run_in(
        dir,
        &[
            "k8s",
            "job",
            "--builtin",
            "simple",
            "-r",
            "100000",
            "--out",
            "s3://bkt/p",
            "--parallelism",
            "4",
            "--backoff-limit-per-index",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let yaml = String::from_utf8(out.stdout).unwrap();
    let check = k8s_common::validate(dir, &yaml);
    assert!(check.status.success(), "{}\n{yaml}", text(&check));
    let d = k8s_common::docs(&yaml);
    let spec = &d[0]["spec"];
    assert_eq!(spec["backoffLimitPerIndex"].as_u64(), Some(2));
    assert_eq!(
        spec["template"]["spec"]["restartPolicy"].as_str(),
        Some("Never")
    );
    let rules = spec["podFailurePolicy"]["rules"].as_sequence().unwrap();
    let fail_index = rules
        .iter()
        .find(|r| r["action"].as_str() == Some("FailIndex"))
        .expect("a FailIndex rule");
    assert_eq!(fail_index["onExitCodes"]["operator"].as_str(), Some("In"));
    assert_eq!(fail_index["onExitCodes"]["values"][0].as_u64(), Some(2));
    assert_eq!(
        fail_index["onExitCodes"]["containerName"].as_str(),
        Some("generate")
    );
    let ignore = rules
        .iter()
        .find(|r| r["action"].as_str() == Some("Ignore"))
        .expect("an Ignore rule");
    assert_eq!(
        ignore["onPodConditions"][0]["type"].as_str(),
        Some("DisruptionTarget")
    );
    let env = spec["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap();
    let var = |n: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(n))
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(
        var("MILVUS_INGEST_INDEX_FAILURES")["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        Some("metadata.annotations['batch.kubernetes.io/job-index-failure-count']")
    );
    assert_eq!(
        var("MILVUS_INGEST_INDEX_RETRIES")["value"].as_str(),
        Some("2")
    );
    let fin = &d[1]["spec"]["podFailurePolicy"]["rules"];
    assert_eq!(fin[0]["action"].as_str(), Some("FailJob"));
}

/// Shard 1 of 2 fails for good (bad input: its schema file is missing): `dataset finalize
/// --wait` stops at once with exit 1 naming it, instead of waiting out `--wait`; `dataset
/// status` shows it failed; a fixed re-run clears the marker and finalize completes.
#[test]
fn finalize_stops_waiting_for_a_shard_that_failed_for_good() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("s.json"),
        milvus_ingest::schema::builtin_text("simple").unwrap(),
    )
    .unwrap();
    let shard = |schema: &str, i: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new(bin());
        cmd.args([
            "generate",
            "--schema",
            schema,
            "-r",
            "2000",
            "--rows-per-file",
            "500",
            "--out",
            "ds",
            "--shard",
            i,
            "--no-progress",
        ])
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .env_remove("MILVUS_INGEST_INDEX_FAILURES")
        .env_remove("MILVUS_INGEST_INDEX_RETRIES");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = shard("s.json", "0/2", &[]);
    assert!(out.status.success(), "{}", text(&out));
    // A failure a retry may cure (exit 1: here a directory where a data file goes) leaves no
    // marker on the first of four attempts, and one on the last.
    let marker = dir.join("ds/_shards/failed-00001-of-00002.json");
    let blocker = dir.join("ds/data-00004-of-00004.parquet");
    std::fs::create_dir_all(blocker.join("x")).unwrap();
    let attempt = |failures: &str| {
        shard(
            "s.json",
            "1/2",
            &[
                ("MILVUS_INGEST_INDEX_FAILURES", failures),
                ("MILVUS_INGEST_INDEX_RETRIES", "3"),
            ],
        )
    };
    let out = attempt("0");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!marker.exists(), "marker after a first attempt");
    let out = attempt("3");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&marker).expect("marker after the last attempt"))
            .unwrap();
    assert_eq!(recorded["exit_code"], 1, "{recorded:#}");
    assert_eq!(recorded["attempts"], 4, "{recorded:#}");
    std::fs::remove_dir_all(&blocker).unwrap();
    std::fs::remove_file(&marker).unwrap();

    // Bad input is final on any attempt, the first of four included.
    let out = shard(
        "missing.json",
        "1/2",
        &[
            ("MILVUS_INGEST_INDEX_FAILURES", "0"),
            ("MILVUS_INGEST_INDEX_RETRIES", "3"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        dir.join("ds/_shards/failed-00001-of-00002.json").is_file(),
        "no failure marker: {}",
        text(&out)
    );

    let started = std::time::Instant::now();
    let out = run_in(
        dir,
        &["dataset", "finalize", "ds", "--wait", "600", "--poll", "1"],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(took.as_secs() < 30, "waited {took:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed for good")
            && err.contains("shard 1 (exit 2")
            && err.contains("missing.json"),
        "{err}"
    );
    assert!(!dir.join("ds/meta.json").exists());

    let out = run_in(dir, &["--output", "json", "dataset", "status", "ds"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["failed"], serde_json::json!([1]), "{status:#}");
    assert_eq!(status["shards"][1]["state"], "failed", "{status:#}");

    // Fixed and re-run: the marker goes, finalize completes.
    let out = shard("s.json", "1/2", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!dir.join("ds/_shards/failed-00001-of-00002.json").exists());
    let out = run_in(dir, &["dataset", "finalize", "ds", "--wait", "60"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// The finalize Job of `k8s job` starts with the shard Job, long before any shard has written
/// its manifest: `dataset finalize --wait` must wait for the first one, not exit 2 at once
/// ("holds no shard manifests"), which the finalize Job's `FailJob` rule then makes final.
#[test]
fn finalize_wait_started_before_any_shard_waits_for_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("ds")).unwrap();
    let finalize = Command::new(bin())
        .args(["dataset", "finalize", "ds", "--wait", "120", "--poll", "1"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    for i in ["0/2", "1/2"] {
        let args = [
            "generate",
            "--builtin",
            "simple",
            "-r",
            "2000",
            "--rows-per-file",
            "500",
            "--out",
            "ds",
            "--shard",
            i,
            "--no-progress",
        ];
        let out = run_in(dir, &args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = finalize.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join("ds/meta.json").is_file());
}

/// Every shard failed for good before any wrote a manifest (bad input in all pods):
/// `dataset finalize --wait` names them at once (exit 1) instead of waiting out `--wait`.
#[test]
fn finalize_wait_stops_when_every_shard_failed_before_any_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for i in ["0/2", "1/2"] {
        let out = Command::new(bin())
            .args(["generate", "--schema", "missing.json", "-r", "2000"])
            .args(["--out", "ds", "--shard", i, "--no-progress"])
            .current_dir(dir)
            .env_remove("MILVUS_INGEST_INDEX_FAILURES")
            .env_remove("MILVUS_INGEST_INDEX_RETRIES")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    }
    let started = std::time::Instant::now();
    let out = run_in(
        dir,
        &["dataset", "finalize", "ds", "--wait", "600", "--poll", "1"],
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed for good")
            && err.contains("shard 0 (exit 2")
            && err.contains("shard 1 (exit 2"),
        "{err}"
    );
}

/// Exactly the shard limit (99,999 completions) is accepted for a dataset that has rows for
/// it: 1e8 rows used to be refused ("99999 shards need at least 99999 files, but 100000000
/// rows make 99901 file(s) of up to 1001 rows").
#[test]
fn completions_at_the_shard_limit_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(
        tmp.path(),
        &[
            "k8s",
            "job",
            "--builtin",
            "simple",
            "-r",
            "100000000",
            "--out",
            "s3://bkt/p",
            "--parallelism",
            "100",
            "--completions",
            "99999",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(yaml.contains("completions: 99999"), "{yaml}");
}
