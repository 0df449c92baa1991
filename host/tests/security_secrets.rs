//! No secret ever leaves the process: every command that takes one runs with sentinel values
//! (a Milvus password, a MongoDB password inside the URI, an S3 secret key, a registry
//! password), once succeeding and once failing, and neither anything it printed (stdout,
//! stderr) nor any file it wrote (datasets and meta.json, `--report` files, sync checkpoints,
//! rebuild state, ground-truth caches, progress files, its home and state directories) holds
//! a sentinel, its base64 form (gRPC's `authorization` header), or the real S3 secret key.
//!
//! Servers: the authenticated TLS Milvus (`milvus_secure`), Garage, SecantusDB (a MongoDB user
//! with a password is created through pymongo), the OCI registry.

mod security_common;
// For its fixture documents; it loads milvus_common.rs a second time, which is harmless.
#[allow(clippy::duplicate_mod)]
mod sync_common;

use std::path::Path;
use std::process::Command;

use base64::Engine;
use security_common::*;

const USER: &str = "sec_leak_user";
const MILVUS_PW: &str = "SentinelMilvusPw8c1e";
const WRONG_MILVUS_PW: &str = "SentinelWrongPw4b7d";
const MONGO_PW: &str = "SentinelMongoPw2a9f";
const WRONG_S3_SECRET: &str = "SentinelS3Secret77aa";
const REGISTRY_PW: &str = "SentinelRegistryPw55";

/// Everything the runs printed, kept to be searched at the end.
struct Transcript {
    dir: std::path::PathBuf,
    printed: Vec<(String, String)>,
}

impl Transcript {
    /// Runs the binary; `expect_ok` says whether this is the succeeding or the failing run.
    fn run(&mut self, args: &[&str], env: &[(&str, &str)], expect_ok: bool) {
        let out = run(&self.dir, args, env);
        let shown = text(&out);
        assert_eq!(
            out.status.success(),
            expect_ok,
            "{args:?} was expected to {}\n{shown}",
            if expect_ok { "succeed" } else { "fail" }
        );
        self.printed.push((format!("{args:?}"), shown));
    }
}

fn mongo_user(uri: &str) {
    let py = service_uri("MI_MONGO_PYTHON");
    let script = r#"
import sys
from pymongo import MongoClient
from pymongo.errors import OperationFailure
try:
    MongoClient(sys.argv[1]).admin.command("createUser", sys.argv[2], pwd=sys.argv[3], roles=["root"])
except OperationFailure as e:
    if "already exists" not in str(e):
        raise
"#;
    let out = Command::new(py)
        .args(["-c", script, uri, USER, MONGO_PW])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "createUser: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A few episodic-memory documents as mongoexport JSON lines.
fn episodic_file(path: &Path) {
    let lines: Vec<String> = sync_common::episodic_docs(11, 0..12, 1024)
        .into_iter()
        .map(|d| bson::Bson::Document(d).into_relaxed_extjson().to_string())
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// `scheme://user:password@host...` from `mongodb://host...`.
fn with_credentials(uri: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap();
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!("{scheme}://{user}:{password}@{rest}{sep}authSource=admin")
}

#[test]
fn sentinel_secrets_appear_in_no_output_and_no_file() {
    let s = secure();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(create_user(&s, USER, MILVUS_PW));
    let data_collection = "sec_leak_data";
    let import_collection = "sec_leak_import";
    for c in [data_collection, import_collection] {
        rt.block_on(drop_collection(&s, c));
    }
    let mongo = service_uri("MI_MONGO_URI");
    mongo_user(&mongo);
    let mongo_ok = with_credentials(&mongo, USER, MONGO_PW);
    let mongo_bad = with_credentials(&mongo, USER, "SentinelMongoWrong31");
    let s3_endpoint = service_uri("MI_S3_ENDPOINT");
    let s3_key = service_uri("MI_S3_ACCESS_KEY");
    let s3_secret = service_uri("MI_S3_SECRET_KEY");
    let s3_region = service_uri("MI_S3_REGION");
    let milvus_bucket = service_uri("MI_S3_BUCKET");
    let test_bucket = service_uri("MI_S3_TEST_BUCKET");
    let registry = service_uri("MI_OCI_REGISTRY");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dataset(dir, "data", "400");
    episodic_file(&dir.join("docs.jsonl"));
    let unique = format!(
        "sec_leak/{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );

    let token = format!("{USER}:{MILVUS_PW}");
    let wrong = format!("{USER}:{WRONG_MILVUS_PW}");
    let mut t = Transcript {
        dir: dir.to_path_buf(),
        printed: Vec::new(),
    };
    let milvus = ["--uri", s.uri.as_str(), "--ca-cert", s.ca.as_str()];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(extra.iter())
            .map(|a| a.to_string())
            .collect()
    };
    let plus = |base: &[String], extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|a| a.to_string()))
            .collect()
    };
    let go = |t: &mut Transcript, args: Vec<String>, env: &[(&str, &str)], expect_ok: bool| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        t.run(&refs, env, expect_ok);
    };

    // to-milvus insert / verify: token by flag and by environment.
    let insert = with(
        &[
            "to-milvus",
            "insert",
            &data,
            "--collection-name",
            data_collection,
            "--no-progress",
        ],
        &milvus,
    );
    go(&mut t, plus(&insert, &["--token", &wrong]), &[], false);
    go(&mut t, plus(&insert, &["--token", &token]), &[], true);
    let verify = with(
        &[
            "--output",
            "json",
            "to-milvus",
            "verify",
            &data,
            "--collection-name",
            data_collection,
        ],
        &milvus,
    );
    go(&mut t, verify.clone(), &[("MILVUS_TOKEN", &wrong)], false);
    go(&mut t, verify, &[("MILVUS_TOKEN", &token)], true);

    // upload: the S3 secret by flag, wrong then right.
    let dest = format!("s3://{test_bucket}/{unique}/upload");
    let upload = |secret: &str| {
        vec![
            "upload".to_string(),
            data.clone(),
            dest.clone(),
            "--endpoint-url".into(),
            s3_endpoint.clone(),
            "--region".into(),
            s3_region.clone(),
            "--access-key-id".into(),
            s3_key.clone(),
            "--secret-access-key".into(),
            secret.to_string(),
            "--no-progress".into(),
        ]
    };
    go(&mut t, upload(WRONG_S3_SECRET), &[], false);
    go(&mut t, upload(&s3_secret), &[], true);

    // to-milvus import: S3 secret from the environment, token from the environment.
    let import = with(
        &[
            "to-milvus",
            "import",
            "--local-path",
            &data,
            "--s3-path",
            &format!("{unique}/import"),
            "--bucket",
            &milvus_bucket,
            "--endpoint-url",
            &s3_endpoint,
            "--region",
            &s3_region,
            "--collection-name",
            import_collection,
            "--drop-if-exists",
            "--wait",
            "--no-progress",
        ],
        &milvus,
    );
    go(
        &mut t,
        import.clone(),
        &[
            ("AWS_ACCESS_KEY_ID", &s3_key),
            ("AWS_SECRET_ACCESS_KEY", WRONG_S3_SECRET),
            ("MILVUS_TOKEN", &token),
        ],
        false,
    );
    go(
        &mut t,
        import.clone(),
        &[
            ("AWS_ACCESS_KEY_ID", &s3_key),
            ("AWS_SECRET_ACCESS_KEY", &s3_secret),
            ("MILVUS_TOKEN", &wrong),
        ],
        false,
    );
    go(
        &mut t,
        import,
        &[
            ("AWS_ACCESS_KEY_ID", &s3_key),
            ("AWS_SECRET_ACCESS_KEY", &s3_secret),
            ("MILVUS_TOKEN", &token),
        ],
        true,
    );

    // sync: from a file into Milvus (report, checkpoint), and from MongoDB with a password in
    // the URI (dry run: the checkpoint and report still get written).
    let sync_file = with(
        &[
            "sync",
            "-c",
            "episodic_memory",
            "--milvus-name",
            "sec_leak_sync",
            "--from-file",
            "docs.jsonl",
            "--report",
            "sync-report.jsonl",
            "--state-dir",
            "sync-state",
        ],
        &milvus,
    );
    go(&mut t, plus(&sync_file, &["--token", &wrong]), &[], false);
    go(&mut t, plus(&sync_file, &["--token", &token]), &[], true);
    let sync_mongo = |uri: &str| {
        vec![
            "sync".to_string(),
            "-c".into(),
            "episodic_memory".into(),
            "--mongo-uri".into(),
            uri.to_string(),
            "--mongo-db".into(),
            "sec_leak_db".into(),
            "--dry-run".into(),
            "--report".into(),
            "mongo-report.jsonl".into(),
            "--state-dir".into(),
            "mongo-state".into(),
        ]
    };
    go(&mut t, sync_mongo(&mongo_bad), &[], false);
    go(&mut t, sync_mongo(&mongo_ok), &[], true);
    go(
        &mut t,
        sync_mongo(&mongo_ok),
        &[("MONGODB_URI", &mongo_ok)],
        true,
    );

    // rebuild (plan only), bench search and recall (ground-truth cache), health.
    for base in [
        vec!["rebuild", "--alias", "sec_leak_sync", "--dry-run"],
        vec![
            "bench",
            "search",
            "--collection",
            data_collection,
            "--queries",
            "5",
            "--concurrency",
            "1",
        ],
        vec![
            "bench",
            "recall",
            &data,
            "--collection",
            data_collection,
            "--queries",
            "5",
        ],
        vec![
            "--output",
            "json",
            "health",
            "--collection",
            data_collection,
            "--query-threshold-ms",
            "600000",
            "--search-threshold-ms",
            "600000",
        ],
    ] {
        let args = with(&base, &milvus);
        go(&mut t, args.clone(), &[("MILVUS_TOKEN", &wrong)], false);
        go(&mut t, args, &[("MILVUS_TOKEN", &token)], true);
    }

    // The plugin registry: its password from the environment.
    let reg = format!("oci://{registry}/sec_leak");
    let reg_env = [
        ("MILVUS_INGEST_REGISTRY_USERNAME", USER),
        ("MILVUS_INGEST_REGISTRY_PASSWORD", REGISTRY_PW),
    ];
    go(
        &mut t,
        with(&["plugin", "list", "--registry", &reg], &[]),
        &reg_env,
        true,
    );
    go(
        &mut t,
        with(
            &["plugin", "info", "sec-leak:nothing", "--registry", &reg],
            &[],
        ),
        &reg_env,
        false,
    );

    // A Kubernetes Job reads the S3 keys from a Secret, never inline.
    go(
        &mut t,
        with(
            &[
                "k8s",
                "job",
                "--builtin",
                "simple",
                "-r",
                "1000",
                "--out",
                "s3://bkt/sec-leak",
                "--parallelism",
                "2",
                "--endpoint-url",
                &s3_endpoint,
                "--allow-http",
            ],
            &[],
        ),
        &[
            ("AWS_ACCESS_KEY_ID", &s3_key),
            ("AWS_SECRET_ACCESS_KEY", &s3_secret),
        ],
        true,
    );

    // ---- the search --------------------------------------------------------------------
    let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
    let sentinels = [
        MILVUS_PW.to_string(),
        WRONG_MILVUS_PW.to_string(),
        MONGO_PW.to_string(),
        "SentinelMongoWrong31".to_string(),
        WRONG_S3_SECRET.to_string(),
        REGISTRY_PW.to_string(),
        s3_secret.clone(),
        b64(&token),
        b64(&wrong),
    ];
    for (args, shown) in &t.printed {
        for secret in &sentinels {
            assert!(
                !shown.contains(secret.as_str()),
                "{args} printed a secret:\n{shown}"
            );
        }
    }
    let files = snapshot(dir);
    let mut searched = 0;
    for path in files.keys() {
        if path.is_dir() {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        searched += 1;
        for secret in &sentinels {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                path.display()
            );
        }
    }
    // The runs did write what is searched: checkpoints, reports, meta.json, caches.
    for written in ["data/meta.json", "sync-report.jsonl"] {
        assert!(dir.join(written).is_file(), "{written} was not written");
    }
    assert!(
        files.keys().any(|p| p.starts_with(dir.join("sync-state"))),
        "no sync checkpoint was written"
    );
    assert!(searched >= 5, "only {searched} files were searched");

    for c in [data_collection, import_collection] {
        rt.block_on(drop_collection(&s, c));
    }
}
