//! Authentication against the real authenticated Milvus 2.3.5 (`milvus_secure` of
//! scripts/services.sh, TLS verified with its CA): a user created through the API works with
//! its token given by flag, environment and file, in every command that talks to Milvus; a
//! wrong or missing token fails at connect with one message naming the user and the URI,
//! exit 1, and nothing is created on the server or written on disk.

mod security_common;

use std::path::Path;

use security_common::*;

const USER: &str = "sec_auth_alice";
const PASSWORD: &str = "Sec-Auth-Alice-Pw-61d2";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_second_user_works_with_its_token_from_flag_environment_and_file() {
    let s = secure();
    let rt = runtime();
    rt.block_on(create_user(&s, USER, PASSWORD));
    let collection = "sec_auth_ok";
    rt.block_on(drop_collection(&s, collection));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dataset(dir, "simple", "300");
    let token = format!("{USER}:{PASSWORD}");
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let token_file = token_file.display().to_string();

    // --token
    let out = ok(
        dir,
        &[
            "to-milvus",
            "insert",
            &data,
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--token",
            &token,
            "--collection-name",
            collection,
            "--no-progress",
        ],
        &[],
    );
    assert!(!text(&out).contains(PASSWORD), "{}", text(&out));
    assert!(rt.block_on(has_collection(&s, collection)));

    // MILVUS_TOKEN (and the CA from MILVUS_CA_CERT)
    ok(
        dir,
        &[
            "to-milvus",
            "verify",
            &data,
            "--uri",
            &s.uri,
            "--collection-name",
            collection,
        ],
        &[("MILVUS_TOKEN", &token), ("MILVUS_CA_CERT", &s.ca)],
    );

    // --token-file, and MILVUS_TOKEN_FILE
    ok(
        dir,
        &[
            "bench",
            "search",
            "--collection",
            collection,
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--token-file",
            &token_file,
            "--queries",
            "5",
            "--concurrency",
            "1",
        ],
        &[],
    );
    let out = ok(
        dir,
        &[
            "--output",
            "json",
            "health",
            "--collection",
            collection,
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--query-threshold-ms",
            "600000",
            "--search-threshold-ms",
            "600000",
        ],
        &[("MILVUS_TOKEN_FILE", &token_file)],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checks"]["connection"]["status"], "OK", "{report:#}");
    assert_eq!(report["overall_status"], "HEALTHY", "{report:#}");

    rt.block_on(drop_collection(&s, collection));
}

/// Every Milvus command of the CLI, pointed at `collection` (which does not exist).
fn commands<'a>(data: &'a str, collection: &'a str, state: &'a str) -> Vec<Vec<&'a str>> {
    vec![
        vec![
            "to-milvus",
            "insert",
            data,
            "--collection-name",
            collection,
            "--no-progress",
        ],
        vec!["to-milvus", "verify", data, "--collection-name", collection],
        vec![
            "sync",
            "-c",
            "episodic_memory",
            "--milvus-name",
            collection,
            "--from-file",
            "docs.jsonl",
            "--state-dir",
            state,
            "--report",
            "report.jsonl",
        ],
        vec!["rebuild", "--alias", collection, "--no-migrate-data"],
        vec![
            "bench",
            "search",
            "--collection",
            collection,
            "--queries",
            "3",
        ],
        vec![
            "bench",
            "recall",
            data,
            "--collection",
            collection,
            "--queries",
            "3",
        ],
    ]
}

fn refused(dir: &Path, s: &Secure, args: &[&str], env: &[(&str, &str)], expect: &str) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--uri", &s.uri, "--ca-cert", &s.ca]);
    let out = run(dir, &all, env);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all:?}\n{shown}");
    assert!(
        shown.contains(expect),
        "{all:?}: expected `{expect}`\n{shown}"
    );
    assert!(
        shown.contains(&format!("at {}", s.uri)),
        "{all:?}: the URI is not named\n{shown}"
    );
    assert!(
        !shown.contains("Wrong-Pw"),
        "{all:?}: the password leaked\n{shown}"
    );
}

#[test]
fn a_wrong_or_missing_token_fails_at_connect_and_changes_nothing() {
    let s = secure();
    let rt = runtime();
    rt.block_on(create_user(&s, USER, PASSWORD));
    let collection = "sec_auth_refused";
    rt.block_on(drop_collection(&s, collection));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dataset(dir, "simple", "100");
    std::fs::write(dir.join("docs.jsonl"), "{}\n").unwrap();
    let state = dir.join("sync-state").display().to_string();
    let before = snapshot(dir);

    let wrong = format!("{USER}:Sec-Wrong-Pw-0000");
    let expect_wrong = format!("authentication failed for user `{USER}`");
    for args in commands(&data, collection, &state) {
        // --token, then MILVUS_TOKEN
        let mut with_flag = args.clone();
        with_flag.extend_from_slice(&["--token", &wrong]);
        refused(dir, &s, &with_flag, &[], &expect_wrong);
        refused(dir, &s, &args, &[("MILVUS_TOKEN", &wrong)], &expect_wrong);
        // no token at all
        refused(dir, &s, &args, &[], "authentication failed (no token given");
    }
    // health reports the refusal as its failed connection check (UNHEALTHY exits 2).
    let out = run(
        dir,
        &[
            "--output",
            "json",
            "health",
            "--collection",
            collection,
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--token",
            &wrong,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let detail = report["checks"]["connection"].to_string();
    assert!(detail.contains(&expect_wrong), "{report:#}");
    assert!(!text(&out).contains("Wrong-Pw"), "{}", text(&out));

    // The compiled-plugin cache (sync loads its handler before connecting) is not output.
    let mut after = snapshot(dir);
    after.retain(|p, _| !p.starts_with(dir.join(".home/cache")) && p != &dir.join(".home"));
    assert_eq!(before, after, "a refused run wrote files");
    assert!(!Path::new(&state).exists());
    assert!(!rt.block_on(has_collection(&s, collection)));
}

#[test]
fn token_files_and_uris_with_credentials_are_checked_as_input() {
    let s = secure();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // bench search connects first thing, so the connection flags are all that is checked.
    let verify = [
        "bench",
        "search",
        "--collection",
        "sec_auth_input",
        "--queries",
        "1",
    ];

    let missing = dir.join("no-such-token").display().to_string();
    let mut args = verify.to_vec();
    args.extend_from_slice(&["--uri", &s.uri, "--token-file", &missing]);
    let err = fails(dir, &args, &[], 2);
    assert!(err.contains(&missing), "{err}");

    std::fs::write(dir.join("empty"), "\n").unwrap();
    let mut args = verify.to_vec();
    args.extend_from_slice(&["--uri", &s.uri, "--token-file", "empty"]);
    let err = fails(dir, &args, &[], 2);
    assert!(err.contains("empty"), "{err}");

    let mut args = verify.to_vec();
    args.extend_from_slice(&["--uri", &s.uri, "--token", "a:b", "--token-file", "empty"]);
    fails(dir, &args, &[], 2);

    let with_credentials = s.uri.replace("://", "://sec_user:Sec-Uri-Pw-77@");
    let mut args = verify.to_vec();
    args.extend_from_slice(&["--uri", &with_credentials]);
    let err = fails(dir, &args, &[], 2);
    assert!(err.contains("--token"), "{err}");
    assert!(!err.contains("Sec-Uri-Pw-77"), "{err}");
}

/// Objects under `prefix` in `bucket`, listed with boto3 (an independent S3 client).
fn s3_keys(bucket: &str, prefix: &str) -> Vec<String> {
    let script = r#"
import sys, boto3
endpoint, key, secret, region, bucket, prefix = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key,
                  aws_secret_access_key=secret, region_name=region)
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for o in page.get("Contents", []):
        print(o["Key"])
"#;
    let out = std::process::Command::new(service_uri("MI_PYTHON"))
        .args([
            "-c",
            script,
            &service_uri("MI_S3_ENDPOINT"),
            &service_uri("MI_S3_ACCESS_KEY"),
            &service_uri("MI_S3_SECRET_KEY"),
            &service_uri("MI_S3_REGION"),
            bucket,
            prefix,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "boto3 listing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_refused_import_uploads_nothing() {
    let s = secure();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dataset(dir, "simple", "100");
    let bucket = service_uri("MI_S3_BUCKET");
    let prefix = format!(
        "sec_auth/{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let endpoint = service_uri("MI_S3_ENDPOINT");
    let key = service_uri("MI_S3_ACCESS_KEY");
    let secret = service_uri("MI_S3_SECRET_KEY");
    let region = service_uri("MI_S3_REGION");
    let err = fails(
        dir,
        &[
            "to-milvus",
            "import",
            "--local-path",
            &data,
            "--s3-path",
            &prefix,
            "--bucket",
            &bucket,
            "--endpoint-url",
            &endpoint,
            "--region",
            &region,
            "--collection-name",
            "sec_auth_import",
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--token",
            "sec_auth_alice:Sec-Wrong-Pw-1111",
            "--no-progress",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", &secret),
        ],
        1,
    );
    assert!(
        err.contains("authentication failed for user `sec_auth_alice`"),
        "{err}"
    );
    assert_eq!(s3_keys(&bucket, &prefix), Vec::<String>::new());
}

#[test]
fn an_authenticated_user_without_the_privilege_is_told_so_not_that_the_password_is_wrong() {
    let s = secure();
    let rt = runtime();
    let (user, password) = ("sec_auth_norole", "Sec-NoRole-Pw-9a0c");
    rt.block_on(create_user_without_role(&s, user, password));
    let collection = "sec_auth_norole_data";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dataset(dir, "simple", "50");
    let token = format!("{user}:{password}");
    let err = fails(
        dir,
        &[
            "to-milvus",
            "insert",
            &data,
            "--uri",
            &s.uri,
            "--ca-cert",
            &s.ca,
            "--token",
            &token,
            "--collection-name",
            collection,
            "--no-progress",
        ],
        &[],
        1,
    );
    assert!(
        err.contains(&format!(
            "user `{user}` is not allowed to do this at {}",
            s.uri
        )),
        "{err}"
    );
    assert!(
        !err.contains("authentication failed") && !err.contains(password),
        "{err}"
    );
    assert!(!rt.block_on(has_collection(&s, collection)));
}
