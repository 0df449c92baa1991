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
