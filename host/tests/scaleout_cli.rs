//! Sharded generation into a local directory through the real binary: shards started as
//! separate processes (with the three spellings of the shard), status, finalize refusing an
//! incomplete or tampered dataset, a shard killed midway and re-run, and the result compared
//! byte for byte with a single-process run of the same seed. Also the `k8s job` manifest,
//! validated offline against the Kubernetes 1.33 schema with kubernetes-validate (MI_K8S_VALIDATE).

mod common;
mod k8s_common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{bin, pyarrow_check, run_in, text};
use k8s_common::{docs, validate};

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = run_in(dir, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    out
}

/// A shard process, started but not waited for.
fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("JOB_COMPLETION_COUNT")
        .env_remove("MILVUS_INGEST_SHARD_COUNT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("binary starts")
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    out
}

/// Data files (everything but meta.json, manifests and temporary files) and their bytes.
fn data_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "meta.json" && !n.starts_with('.'))
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

fn meta_files(dir: &Path) -> serde_json::Value {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let files: Vec<serde_json::Value> = meta["generation_info"]["data_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            serde_json::json!([
                f["file_name"],
                f["rows"],
                f["file_size_bytes"],
                f["first_row"]
            ])
        })
        .collect();
    serde_json::json!({
        "files": files,
        "rows": meta["generation_info"]["total_rows"],
        "seed": meta["generation_info"]["seed"],
        "schema": meta["schema"],
    })
}

const GEN: [&str; 10] = [
    "generate",
    "--builtin",
    "simple",
    "-r",
    "6000",
    "--rows-per-file",
    "1000",
    "--seed",
    "5",
    "--no-progress",
];

fn gen_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = GEN.to_vec();
    args.extend(["--out", out]);
    args.extend_from_slice(extra);
    args
}

#[test]
fn shards_in_a_directory_finalize_into_the_single_process_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &gen_args("single", &[]));

    // Shards 0 and 1 at the same time, with two spellings; shard 2 later from the environment.
    let a = spawn(
        dir,
        &gen_args("sharded", &["--shard", "0/3", "--output", "json"]),
        &[],
    );
    let b = spawn(
        dir,
        &gen_args("sharded", &["--parts", "3", "--part", "2"]),
        &[],
    );
    let summary: serde_json::Value = serde_json::from_slice(&finish(a).stdout).unwrap();
    assert_eq!(summary["rows"], 2000, "{summary:#}");
    assert_eq!(
        summary["files"],
        serde_json::json!(["data-00001-of-00006.parquet", "data-00002-of-00006.parquet"])
    );
    finish(b);

    let status = json(&ok(
        dir,
        &["--output", "json", "dataset", "status", "sharded"],
    ));
    assert_eq!(status["done"], 2, "{status:#}");
    assert_eq!(status["missing"], serde_json::json!([2]), "{status:#}");
    assert_eq!(status["shards"][2]["state"], "missing", "{status:#}");
    let table = String::from_utf8(ok(dir, &["dataset", "status", "sharded"]).stdout).unwrap();
    assert!(
        table.contains("2 of 3 shard(s) done") && table.contains("missing: 2"),
        "{table}"
    );

    let refused = run_in(dir, &["dataset", "finalize", "sharded"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let err = text(&refused);
    assert!(
        err.contains("1 of 3 shard(s) missing")
            && err.contains("2 (_shards/shard-00002-of-00003.json)"),
        "{err}"
    );
    assert!(!dir.join("sharded/meta.json").exists());

    let c = spawn(
        dir,
        &gen_args("sharded", &["--shard-from-env"]),
        &[("JOB_COMPLETION_INDEX", "2"), ("JOB_COMPLETION_COUNT", "3")],
    );
    finish(c);
    let fin = json(&ok(
        dir,
        &["--output", "json", "dataset", "finalize", "sharded"],
    ));
    assert_eq!(fin["rows"], 6000, "{fin:#}");
    assert_eq!(fin["verified"], "size_and_sha256", "{fin:#}");

    // Same meta.json file list, schema and seed, and the same bytes in every file.
    assert_eq!(
        meta_files(&dir.join("sharded")),
        meta_files(&dir.join("single"))
    );
    assert_eq!(
        data_files(&dir.join("sharded")),
        data_files(&dir.join("single"))
    );
    assert!(
        dir.join("sharded/_shards/shard-00001-of-00003.json")
            .is_file()
    );
    pyarrow_check(&dir.join("sharded"));

    // A re-run of one shard replaces only its files, with the same bytes.
    ok(dir, &gen_args("sharded", &["--shard", "1/3"]));
    assert_eq!(
        data_files(&dir.join("sharded")),
        data_files(&dir.join("single"))
    );
    ok(dir, &["dataset", "finalize", "sharded"]);

    // A file changed after its shard wrote it (same size) is caught by the re-hash.
    let victim = dir.join("sharded/data-00004-of-00006.parquet");
    let original = std::fs::read(&victim).unwrap();
    let mut changed = original.clone();
    let mid = changed.len() / 2;
    changed[mid] ^= 0x55;
    std::fs::write(&victim, &changed).unwrap();
    let bad = run_in(dir, &["dataset", "finalize", "sharded"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(
        text(&bad).contains("data-00004-of-00006.parquet (shard 1) has SHA-256"),
        "{}",
        text(&bad)
    );
    std::fs::write(&victim, &original).unwrap();

    // Another dataset's shard into the same place is refused (exit 2) unless --force.
    let other = run_in(
        dir,
        &gen_args("sharded", &["--shard", "0/3", "--compression", "zstd"]),
    );
    assert_eq!(other.status.code(), Some(2), "{}", text(&other));
    assert!(
        text(&other).contains("another dataset") && text(&other).contains("--force"),
        "{}",
        text(&other)
    );
}

#[test]
fn shard_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (extra, want) in [
        (vec!["--shard", "3/3"], "out of range"),
        (vec!["--shard", "x"], "INDEX/COUNT"),
        (vec!["--parts", "3", "--part", "0"], "counts from 1"),
        (vec!["--shard-from-env"], "JOB_COMPLETION_INDEX is not set"),
        (vec!["--shard", "0/7"], "7 shards need at least 7 files"),
    ] {
        let out = Command::new(bin())
            .args(gen_args("out", &extra))
            .current_dir(dir)
            .env_remove("JOB_COMPLETION_INDEX")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(want), "{extra:?}: {}", text(&out));
    }
    let out = Command::new(bin())
        .args(gen_args("out", &["--shard-from-env"]))
        .current_dir(dir)
        .env("JOB_COMPLETION_INDEX", "1")
        .env_remove("JOB_COMPLETION_COUNT")
        .env_remove("MILVUS_INGEST_SHARD_COUNT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("JOB_COMPLETION_COUNT"),
        "{}",
        text(&out)
    );
    // Nothing generated with --shard there: finalize says so.
    std::fs::create_dir(dir.join("empty")).unwrap();
    let out = run_in(dir, &["dataset", "finalize", "empty"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no shard manifests"), "{}", text(&out));
}

/// Shard 1 of 4 is killed (SIGKILL, as an evicted pod) after its first file is complete:
/// finalize refuses and names it; re-running only that shard gives the single-process dataset.
#[test]
fn a_killed_shard_rerun_alone_gives_the_same_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let args = |out: &'static str, extra: &[&'static str]| -> Vec<&'static str> {
        let mut a = vec![
            "generate",
            "--builtin",
            "simple",
            "-r",
            "120000",
            "--rows-per-file",
            "3000",
            "--seed",
            "77",
            "--no-progress",
            "--workers",
            "1",
            "--out",
            out,
        ];
        a.extend_from_slice(extra);
        a
    };
    ok(dir, &args("single", &[]));
    for i in [0, 2, 3] {
        let spec = format!("{i}/4");
        let spec: &'static str = Box::leak(spec.into_boxed_str());
        ok(dir, &args("sharded", &["--shard", spec]));
    }
    // Shard 1 writes data-00011..data-00020; kill it once the first is there.
    let mut victim = spawn(dir, &args("sharded", &["--shard", "1/4"]), &[]);
    let first = dir.join("sharded/data-00011-of-00040.parquet");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !first.exists() {
        assert!(Instant::now() < deadline, "shard 1 wrote nothing in 120 s");
        assert!(
            victim.try_wait().unwrap().is_none(),
            "shard 1 ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    assert!(
        !dir.join("sharded/_shards/shard-00001-of-00004.json")
            .exists(),
        "shard 1 finished before it was killed: make it bigger"
    );
    assert!(!dir.join("sharded/data-00020-of-00040.parquet").exists());

    let status = json(&ok(
        dir,
        &["--output", "json", "dataset", "status", "sharded"],
    ));
    assert_eq!(status["shards"][1]["state"], "partial", "{status:#}");
    let refused = run_in(dir, &["dataset", "finalize", "sharded"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("1 (_shards/shard-00001-of-00004.json)"),
        "{}",
        text(&refused)
    );

    ok(dir, &args("sharded", &["--shard", "1/4"]));
    ok(dir, &["dataset", "finalize", "sharded"]);
    assert_eq!(
        meta_files(&dir.join("sharded")),
        meta_files(&dir.join("single"))
    );
    assert_eq!(
        data_files(&dir.join("sharded")),
        data_files(&dir.join("single"))
    );
}

#[test]
fn the_k8s_manifest_validates_against_kubernetes_1_33() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = ok(
        dir,
        &[
            "k8s",
            "job",
            "--builtin",
            "news_articles",
            "-r",
            "1000000000",
            "--out",
            "s3://bkt/news",
            "--parallelism",
            "64",
            "--endpoint-url",
            "http://minio.data:9000",
            "--secret",
            "news-s3",
            "--allow-http",
        ],
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    let check = validate(dir, &yaml);
    assert!(
        check.status.success(),
        "kubernetes-validate: {}\n{yaml}",
        text(&check)
    );

    let d = docs(&yaml);
    assert_eq!(d.len(), 2, "{yaml}");
    let job = &d[0];
    assert_eq!(job["kind"].as_str(), Some("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(spec["completions"].as_u64(), Some(64));
    assert_eq!(spec["parallelism"].as_u64(), Some(64));
    assert!(spec["backoffLimitPerIndex"].as_u64().is_some());
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    let c = &pod["containers"][0];
    let args: Vec<&str> = c["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "generate");
    for want in [
        "--shard-from-env",
        "--builtin",
        "news_articles",
        "s3://bkt/news",
        "1000000000",
        "--allow-http",
    ] {
        assert!(args.contains(&want), "{want} not in {args:?}");
    }
    let env = c["env"].as_sequence().unwrap();
    let var = |n: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(n))
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(var("JOB_COMPLETION_COUNT")["value"].as_str(), Some("64"));
    assert_eq!(
        var("AWS_ENDPOINT_URL")["value"].as_str(),
        Some("http://minio.data:9000")
    );
    for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        let r = &var(key)["valueFrom"]["secretKeyRef"];
        assert_eq!(r["name"].as_str(), Some("news-s3"));
        assert_eq!(r["key"].as_str(), Some(key));
        assert!(var(key).get("value").is_none(), "{key} inlined");
    }
    assert!(
        c["resources"]["requests"]["memory"]
            .as_str()
            .unwrap()
            .ends_with("Mi")
    );
    let fin = &d[1];
    assert_eq!(
        fin["metadata"]["name"].as_str(),
        Some("milvus-ingest-news-articles-finalize")
    );
    let fargs = &fin["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(fargs[0].as_str(), Some("dataset"));
    assert_eq!(fargs[1].as_str(), Some("finalize"));

    // The validator is strict: a misspelt field is refused (so the pass above means something).
    let broken = yaml.replacen(
        "completionMode: Indexed",
        "completionMode: Indexed\n  completionMod: Indexed",
        1,
    );
    assert!(
        !validate(dir, &broken).status.success(),
        "kubernetes-validate accepted a misspelt field"
    );

    // A schema file goes along as a ConfigMap; a local --out is refused.
    std::fs::write(
        dir.join("my.json"),
        milvus_ingest::schema::builtin_text("simple").unwrap(),
    )
    .unwrap();
    let yaml = String::from_utf8(
        ok(
            dir,
            &[
                "k8s",
                "job",
                "--schema",
                "my.json",
                "-r",
                "1000",
                "--out",
                "gs://b/p",
                "--parallelism",
                "2",
            ],
        )
        .stdout,
    )
    .unwrap();
    let check = validate(dir, &yaml);
    assert!(check.status.success(), "{}\n{yaml}", text(&check));
    let d = docs(&yaml);
    assert_eq!(d[0]["kind"].as_str(), Some("ConfigMap"));
    assert!(
        d[0]["data"]["my.json"]
            .as_str()
            .unwrap()
            .contains("collection_name")
    );
    let out = run_in(
        dir,
        &[
            "k8s",
            "job",
            "--builtin",
            "simple",
            "--out",
            "data",
            "--parallelism",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Plain HTTP off loopback only when asked for.
    let out = run_in(
        dir,
        &[
            "k8s",
            "job",
            "--builtin",
            "simple",
            "--out",
            "s3://bkt/p",
            "--parallelism",
            "2",
            "--endpoint-url",
            "http://minio:9000",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--allow-http"), "{}", text(&out));
}
