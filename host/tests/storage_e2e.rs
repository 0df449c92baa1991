//! End-to-end object storage and bulk import through the real binary, against the Garage and
//! Milvus 2.3.5 that `scripts/services.sh up garage milvus` starts (Milvus keeps its data in
//! Garage's a-bucket, so it imports exactly what `upload` wrote).
//!
//! Bulk import is exercised with `simple` and `product_catalog`: single-vector, non-nullable
//! schemas, which is what Milvus 2.3.5 can hold (ARCHITECTURE.md section 6). Object prefixes and
//! collection names carry the process id so runs (and other engineers) do not collide.

mod common;
mod milvus_common;

use std::path::Path;
use std::process::{Command, Output};

use common::{must, run_in, text};
use milvus_common::{service_uri, services};

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// S3 settings of the Garage test service; fails with a clear message when it is not up.
#[derive(Clone)]
struct S3 {
    endpoint: String,
    key: String,
    secret: String,
    region: String,
    bucket: String,
    test_bucket: String,
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
        test_bucket: get("MI_S3_TEST_BUCKET"),
    }
}

impl S3 {
    fn args(&self) -> Vec<String> {
        vec![
            "--endpoint-url".into(),
            self.endpoint.clone(),
            "--region".into(),
            self.region.clone(),
            "--access-key-id".into(),
            self.key.clone(),
            "--secret-access-key".into(),
            self.secret.clone(),
        ]
    }
}

fn unique(name: &str) -> String {
    format!(
        "{name}_{}_{}",
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

fn generate(dir: &Path, builtin: &str, format: &str, out: &str, extra: &[String]) -> Output {
    let mut args: Vec<String> = [
        "generate",
        "--builtin",
        builtin,
        "-r",
        "3000",
        "--rows-per-file",
        "1000",
        "--format",
        format,
        "--seed",
        "11",
        "--no-progress",
        "--out",
        out,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend_from_slice(extra);
    run(dir, &args)
}

fn upload(dir: &Path, s3: &S3, src: &str, dst: &str) -> Output {
    let mut args: Vec<String> = ["--output", "json", "upload", src, dst, "--no-progress"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(s3.args());
    run(dir, &args)
}

/// Downloads every object under `prefix` with boto3 (independent of our code) and compares it
/// byte for byte with the files of `local`.
fn assert_objects_equal_files(s3: &S3, bucket: &str, prefix: &str, local: &Path) {
    let script = r#"
import os, sys, boto3
endpoint, key, secret, region, bucket, prefix, local = sys.argv[1:]
c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
objs = c.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])
names = sorted(o["Key"][len(prefix) + 1:] for o in objs)
files = sorted(f for f in os.listdir(local) if not f.startswith("."))
assert names == files, f"objects {names} != files {files}"
for n in names:
    body = c.get_object(Bucket=bucket, Key=prefix + "/" + n)["Body"].read()
    with open(os.path.join(local, n), "rb") as f:
        assert body == f.read(), f"{n} differs"
print(len(names))
"#;
    let out = Command::new(common::python())
        .arg("-c")
        .arg(script)
        .args([
            &s3.endpoint,
            &s3.key,
            &s3.secret,
            &s3.region,
            bucket,
            prefix,
            local.to_str().unwrap(),
        ])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "boto3 comparison: {}", text(&out));
}

#[test]
fn upload_is_verified_and_resumes_only_missing_or_changed_objects() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = generate(dir, "simple", "parquet", "data", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let prefix = unique("resume");
    let dst = format!("s3://{}/{prefix}", s3.test_bucket);

    // An "interrupted" earlier run: one file made it, another arrived with the right size but
    // different bytes (e.g. from another dataset), meta.json did not.
    let names = [
        "data-00001-of-00003.parquet",
        "data-00002-of-00003.parquet",
        "data-00003-of-00003.parquet",
    ];
    std::fs::create_dir(dir.join("partial")).unwrap();
    std::fs::copy(
        dir.join("data").join(names[0]),
        dir.join("partial").join(names[0]),
    )
    .unwrap();
    let mut changed = std::fs::read(dir.join("data").join(names[1])).unwrap();
    let mid = changed.len() / 2;
    changed[mid] ^= 0xff;
    std::fs::write(dir.join("partial").join(names[1]), changed).unwrap();
    let first = upload(dir, &s3, "partial", &dst);
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(json(&first)["uploaded_files"], 2);

    let out = upload(dir, &s3, "data", &dst);
    assert!(out.status.success(), "{}", text(&out));
    let summary = json(&out);
    assert_eq!(summary["files"], 4, "{summary:#}");
    assert_eq!(
        summary["skipped_files"], 1,
        "only the identical object is skipped: {summary:#}"
    );
    assert_eq!(summary["uploaded_files"], 3, "{summary:#}");
    assert_eq!(summary["verified"], true);
    assert_objects_equal_files(&s3, &s3.test_bucket, &prefix, &dir.join("data"));

    // Nothing left to do: a third run transfers nothing.
    let again = json(&upload(dir, &s3, "data", &dst));
    assert_eq!(again["uploaded_files"], 0, "{again:#}");
    assert_eq!(again["skipped_files"], 4, "{again:#}");
}

#[test]
fn generate_to_s3_writes_the_same_bytes_as_a_local_run() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (format, builtin) in [("parquet", "product_catalog"), ("json", "simple")] {
        let local = format!("local_{format}");
        let out = generate(dir, builtin, format, &local, &[]);
        assert!(out.status.success(), "{}", text(&out));
        let prefix = unique(&format!("gen_{format}"));
        let url = format!("s3://{}/{prefix}", s3.test_bucket);
        let out = generate(dir, builtin, format, &url, &s3.args());
        assert!(out.status.success(), "{}", text(&out));
        // meta.json records timings, so it legitimately differs; every data file must not.
        let mut local_meta = Vec::new();
        let script_dir = dir.join(format!("cmp_{format}"));
        std::fs::create_dir(&script_dir).unwrap();
        for entry in std::fs::read_dir(dir.join(&local)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "meta.json" {
                std::fs::copy(entry.path(), script_dir.join(entry.file_name())).unwrap();
            } else {
                local_meta.push(entry.path());
            }
        }
        // Upload of the identical local files finds every data object already there (same size
        // and server-computed ETag)...
        let summary = json(&upload(dir, &s3, script_dir.to_str().unwrap(), &url));
        assert_eq!(summary["uploaded_files"], 0, "{summary:#}");
        assert_eq!(summary["skipped_files"], 3, "{summary:#}");
        // ...and an independent client reads back exactly the local bytes.
        std::fs::copy(&local_meta[0], script_dir.join("meta.json")).unwrap();
        let meta = json(&upload(dir, &s3, script_dir.to_str().unwrap(), &url));
        assert_eq!(
            meta["uploaded_files"], 1,
            "only meta.json differed: {meta:#}"
        );
        assert_objects_equal_files(&s3, &s3.test_bucket, &prefix, &script_dir);
    }
}

#[test]
fn generate_to_s3_refuses_a_non_empty_prefix_without_force() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("s3://{}/{}", s3.test_bucket, unique("force"));
    let out = generate(tmp.path(), "simple", "parquet", &url, &s3.args());
    assert!(out.status.success(), "{}", text(&out));
    let out = generate(tmp.path(), "simple", "parquet", &url, &s3.args());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    let mut args = s3.args();
    args.push("--force".into());
    let out = generate(tmp.path(), "simple", "parquet", &url, &args);
    assert!(out.status.success(), "{}", text(&out));
}

fn import(dir: &Path, s3: &S3, extra: &[&str]) -> Output {
    let mut args: Vec<String> = ["--output", "json", "to-milvus", "import", "--no-progress"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(s3.args());
    args.extend(["--uri".to_string(), service_uri("MI_MILVUS23_URI")]);
    run(dir, &args)
}

fn verify_full(dir: &Path, data: &str, collection: &str) {
    let uri = service_uri("MI_MILVUS23_URI");
    let out = must(
        dir,
        &[
            "--output",
            "json",
            "to-milvus",
            "verify",
            data,
            "--uri",
            &uri,
            "--collection-name",
            collection,
            "--level",
            "full",
            "--sample",
            "40",
        ],
    );
    let report = json(&out);
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(report["actual_rows"], 3000, "{report:#}");
}

#[test]
fn parquet_import_from_a_local_dataset_verifies_in_full() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = generate(dir, "simple", "parquet", "data", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let collection = unique("imp_parquet");
    let out = import(
        dir,
        &s3,
        &[
            "--local-path",
            "data",
            "--s3-path",
            &unique("imp_parquet"),
            "--bucket",
            &s3.bucket,
            "--collection-name",
            &collection,
            "--drop-if-exists",
            "--wait",
            "--timeout",
            "600",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let summary = json(&out);
    assert_eq!(summary["row_count"], 3000, "{summary:#}");
    assert_eq!(summary["files"], 3, "{summary:#}");
    assert_eq!(
        summary["api"], "v1",
        "Milvus 2.3 takes the v1 Import RPC: {summary:#}"
    );
    verify_full(dir, "data", &collection);
}

/// The JSON dataset is imported from objects already in the bucket (`--s3-path` only); verify
/// reads Parquet, so it checks the collection against the Parquet twin of the same seed.
#[test]
fn json_import_from_the_bucket_verifies_in_full() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let prefix = unique("imp_json");
    let url = format!("s3://{}/{prefix}", s3.bucket);
    let out = generate(dir, "product_catalog", "json", &url, &s3.args());
    assert!(out.status.success(), "{}", text(&out));
    let out = generate(dir, "product_catalog", "parquet", "twin", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let collection = unique("imp_json");
    let out = import(
        dir,
        &s3,
        &[
            "--s3-path",
            &url,
            "--collection-name",
            &collection,
            "--drop-if-exists",
            "--wait",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["row_count"], 3000);
    verify_full(dir, "twin", &collection);
}

#[test]
fn failures_name_their_cause_and_exit_non_zero() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = generate(dir, "simple", "parquet", "data", &[]);
    assert!(out.status.success(), "{}", text(&out));

    // Wrong bucket.
    let out = upload(dir, &s3, "data", "s3://no-such-bucket-mi/x");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains("bucket `no-such-bucket-mi` does not exist"),
        "{err}"
    );

    // Wrong credentials: named, and the secret never printed.
    let bad = S3 {
        secret: "wrong-secret-value-123".into(),
        ..s3.clone()
    };
    let out = upload(
        dir,
        &bad,
        "data",
        &format!("s3://{}/{}", s3.test_bucket, unique("creds")),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = text(&out);
    assert!(err.contains("access denied"), "{err}");
    assert!(
        !err.contains("wrong-secret-value-123") && !err.contains(&s3.secret),
        "{err}"
    );

    // Missing object: meta.json lists files that are not in the bucket.
    let prefix = unique("missing");
    std::fs::create_dir(dir.join("meta_only")).unwrap();
    std::fs::copy(dir.join("data/meta.json"), dir.join("meta_only/meta.json")).unwrap();
    let out = upload(
        dir,
        &s3,
        "meta_only",
        &format!("s3://{}/{prefix}", s3.bucket),
    );
    assert!(out.status.success(), "{}", text(&out));
    let collection = unique("imp_missing");
    let out = import(
        dir,
        &s3,
        &[
            "--s3-path",
            &prefix,
            "--bucket",
            &s3.bucket,
            "--collection-name",
            &collection,
            "--wait",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains(&format!(
            "s3://{}/{prefix}/data-00002-of-00003.parquet does not exist",
            s3.bucket
        )),
        "{err}"
    );

    // A file Milvus rejects: a product_catalog file in place of a simple one.
    let out = generate(dir, "product_catalog", "parquet", "other", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let victim = "data-00002-of-00003.parquet";
    std::fs::copy(
        dir.join("other").join(victim),
        dir.join("data").join(victim),
    )
    .unwrap();
    let meta_path = dir.join("data/meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    let size = std::fs::metadata(dir.join("data").join(victim))
        .unwrap()
        .len();
    meta["generation_info"]["data_files"][1]["file_size_bytes"] = size.into();
    std::fs::write(&meta_path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    let collection = unique("imp_rejected");
    let out = import(
        dir,
        &s3,
        &[
            "--local-path",
            "data",
            "--s3-path",
            &unique("rejected"),
            "--bucket",
            &s3.bucket,
            "--collection-name",
            &collection,
            "--drop-if-exists",
            "--wait",
            "--timeout",
            "300",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains("1 of 3 import task(s) failed") && err.contains(victim),
        "{err}"
    );
}

/// The test key may not create buckets (services.sh grants none), so a new bucket is refused
/// by Garage itself: that proves the signed CreateBucket request reached the permission check
/// (a bad signature would be refused as such), and the key never shows in the message.
#[test]
fn create_bucket_signs_its_request_and_keeps_the_key_out_of_messages() {
    let s3 = s3();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = generate(dir, "simple", "parquet", "data", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let mut args: Vec<String> = ["upload", "data", "--create-bucket", "--no-progress"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(s3.args());
    let mut existing = args.clone();
    existing.insert(2, format!("s3://{}/{}", s3.test_bucket, unique("cb")));
    let out = run(dir, &existing);
    assert!(
        out.status.success(),
        "an existing bucket is used as is: {}",
        text(&out)
    );

    args.insert(2, format!("s3://mi-create-{}/p", std::process::id()));
    let out = run(dir, &args);
    let err = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not allowed to create buckets"), "{err}");
    assert!(!err.contains(&s3.key) && !err.contains(&s3.secret), "{err}");
}
