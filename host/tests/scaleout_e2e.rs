//! Sharded generation into Garage through the real binary, as a Kubernetes Indexed Job runs it:
//! five shard processes at once, each told its index by `JOB_COMPLETION_INDEX`, then `dataset
//! finalize`; the dataset is compared row for row (pyarrow + boto3, no project code) with a
//! single-process run of the same seed, and `to-milvus import` of it into Milvus 2.3.5 counts
//! exactly. Keys and collections carry `so_` plus the process id, so runs do not collide.

mod common;
mod milvus_common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{bin, run_in, text};
use milvus_common::{service_uri, services};

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

struct S3 {
    endpoint: String,
    key: String,
    secret: String,
    region: String,
    bucket: String,
}

fn s3() -> S3 {
    let vars = services();
    let get = |k: &str| {
        vars.get(k).cloned().unwrap_or_else(|| {
            panic!("{k} is not in the services env.sh: run `scripts/services.sh up garage milvus`")
        })
    };
    S3 {
        endpoint: get("MI_S3_ENDPOINT"),
        key: get("MI_S3_ACCESS_KEY"),
        secret: get("MI_S3_SECRET_KEY"),
        region: get("MI_S3_REGION"),
        bucket: get("MI_S3_BUCKET"),
    }
}

impl S3 {
    fn args(&self) -> Vec<String> {
        [
            "--endpoint-url",
            &self.endpoint,
            "--region",
            &self.region,
            "--access-key-id",
            &self.key,
            "--secret-access-key",
            &self.secret,
        ]
        .map(String::from)
        .to_vec()
    }
}

fn unique(name: &str) -> String {
    format!(
        "so_{name}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            % 1_000_000
    )
}

fn run(dir: &Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(dir, &args)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const GEN: [&str; 12] = [
    "generate",
    "--builtin",
    "simple",
    "-r",
    "20000",
    "--rows-per-file",
    "4000",
    "--seed",
    "9",
    "--no-progress",
    "--compression",
    "zstd",
];

/// Reads the dataset at s3://bucket/prefix with boto3 + pyarrow in meta.json's order and checks
/// it equals the local single-process dataset: same meta.json file list, same bytes, same rows.
fn assert_same_dataset(s3: &S3, prefix: &str, local: &Path) {
    let script = r#"
import io, json, os, sys, boto3, pyarrow as pa, pyarrow.parquet as pq
endpoint, key, secret, region, bucket, prefix, local = sys.argv[1:]
c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
get = lambda name: c.get_object(Bucket=bucket, Key=prefix + "/" + name)["Body"].read()
meta = json.loads(get("meta.json"))
with open(os.path.join(local, "meta.json")) as f:
    lmeta = json.load(f)
files = lambda m: [(d["file_name"], d["rows"], d["file_size_bytes"], d["first_row"]) for d in m["generation_info"]["data_files"]]
assert files(meta) == files(lmeta), f"{files(meta)} != {files(lmeta)}"
assert meta["schema"] == lmeta["schema"]
for k in ("total_rows", "seed", "format", "compression", "file_count", "start_row"):
    assert meta["generation_info"][k] == lmeta["generation_info"][k], k
remote, single = [], []
for name, *_ in files(meta):
    body = get(name)
    with open(os.path.join(local, name), "rb") as f:
        assert body == f.read(), f"{name} differs"
    remote.append(pq.read_table(io.BytesIO(body)))
    single.append(pq.read_table(os.path.join(local, name)))
remote, single = pa.concat_tables(remote), pa.concat_tables(single)
assert remote.num_rows == meta["generation_info"]["total_rows"]
assert remote.equals(single), "rows differ"
print(remote.num_rows)
"#;
    let out = Command::new(common::python())
        .arg("-c")
        .arg(script)
        .args([
            &s3.endpoint,
            &s3.key,
            &s3.secret,
            &s3.region,
            &s3.bucket,
            prefix,
            local.to_str().unwrap(),
        ])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "pyarrow comparison: {}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "20000");
}

#[test]
fn five_indexed_shards_on_garage_equal_a_single_run_and_import_exactly() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut single = strings(&GEN);
    single.extend(strings(&["--out", "single"]));
    let out = run(dir, &single);
    assert!(out.status.success(), "{}", text(&out));

    let prefix = unique("ds");
    let url = format!("s3://{}/{prefix}", s3.bucket);
    // Five pods at once: same command, JOB_COMPLETION_INDEX differs.
    let children: Vec<_> = (0..5)
        .map(|i| {
            let mut args = strings(&GEN);
            args.extend(["--out".into(), url.clone(), "--shard-from-env".into()]);
            args.extend(s3.args());
            Command::new(bin())
                .args(&args)
                .current_dir(dir)
                .env("MILVUS_INGEST_HOME", dir.join(".home"))
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .env("JOB_COMPLETION_COUNT", "5")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }

    let mut status = strings(&["--output", "json", "dataset", "status", &url]);
    status.extend(s3.args());
    let report = json(&run(dir, &status));
    assert_eq!(report["done"], 5, "{report:#}");
    assert_eq!(report["finalized"], false, "{report:#}");

    let mut finalize = strings(&["--output", "json", "dataset", "finalize", &url]);
    finalize.extend(s3.args());
    let out = run(dir, &finalize);
    assert!(out.status.success(), "{}", text(&out));
    let fin = json(&out);
    assert_eq!(fin["rows"], 20000, "{fin:#}");
    assert_eq!(fin["files"], 5, "{fin:#}");
    assert_eq!(fin["verified"], "size_and_etag", "{fin:#}");

    assert_same_dataset(&s3, &prefix, &dir.join("single"));

    let collection = unique("import");
    let mut import = strings(&[
        "--output",
        "json",
        "to-milvus",
        "import",
        "--no-progress",
        "--s3-path",
        &url,
        "--collection-name",
        &collection,
        "--drop-if-exists",
        "--wait",
        "--timeout",
        "600",
        "--uri",
        &service_uri("MI_MILVUS23_URI"),
    ]);
    import.extend(s3.args());
    let out = run(dir, &import);
    assert!(out.status.success(), "{}", text(&out));
    let summary = json(&out);
    assert_eq!(summary["row_count"], 20000, "{summary:#}");
    assert_eq!(summary["expected_rows"], 20000, "{summary:#}");
    assert_eq!(summary["files"], 5, "{summary:#}");
}

/// Finalize refuses while shard 2 is missing and names it; shard 2 killed mid-upload (SIGKILL,
/// as an evicted pod) and re-run alone completes the same dataset.
#[test]
fn a_shard_killed_mid_upload_is_named_and_its_rerun_completes_the_dataset() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let prefix = unique("kill");
    let url = format!("s3://{}/{prefix}", s3.bucket);
    let shard = |i: u32| {
        let mut args = strings(&GEN);
        args.extend([
            "--out".into(),
            url.clone(),
            "--shard".into(),
            format!("{i}/5"),
        ]);
        args.extend(s3.args());
        args
    };
    for i in [0, 1, 3, 4] {
        let out = run(dir, &shard(i));
        assert!(out.status.success(), "{}", text(&out));
    }
    let mut finalize = strings(&["dataset", "finalize", &url]);
    finalize.extend(s3.args());
    let out = run(dir, &finalize);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("1 of 5 shard(s) missing: 2 (_shards/shard-00002-of-00005.json)"),
        "{}",
        text(&out)
    );

    // Shard 2 is killed a moment after it starts; whatever it left, its re-run replaces it.
    let mut victim = Command::new(bin())
        .args(shard(2))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = victim.kill();
    victim.wait().unwrap();
    let out = run(dir, &shard(2));
    assert!(out.status.success(), "{}", text(&out));
    let out = run(dir, &finalize);
    assert!(out.status.success(), "{}", text(&out));

    let mut single = strings(&GEN);
    single.extend(strings(&["--out", "single"]));
    let out = run(dir, &single);
    assert!(out.status.success(), "{}", text(&out));
    assert_same_dataset(&s3, &prefix, &dir.join("single"));
}
