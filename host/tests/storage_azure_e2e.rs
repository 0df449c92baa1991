//! End-to-end Azure Blob Storage through the real binary, against the Azurite that
//! `scripts/services.sh up azurite` starts (Microsoft's emulator, development account
//! `devstoreaccount1`). Every result is read back with the `azure-storage-blob` Python package,
//! which shares no code with ours. Prefixes and containers carry the process id, so runs (and
//! other engineers) do not collide.
//!
//! The binary is configured the way a user would: object_store's `AZURE_*` variables, either
//! the emulator switch (`AZURE_STORAGE_USE_EMULATOR`) or an explicit account endpoint.

mod common;
mod milvus_common;

use std::path::Path;
use std::process::{Command, Output};

use common::text;
use milvus_common::services;

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// Settings of the Azurite test service; fails with a clear message when it is not up.
#[derive(Clone)]
struct Azure {
    blob_url: String,
    endpoint: String,
    account: String,
    key: String,
    container: String,
    python: String,
}

fn azure() -> Azure {
    let vars = services();
    let get = |k: &str| {
        vars.get(k).cloned().unwrap_or_else(|| {
            panic!("{k} is not in the services env.sh: run `scripts/services.sh up azurite`")
        })
    };
    Azure {
        blob_url: get("MI_AZURE_BLOB_URL"),
        endpoint: get("MI_AZURE_ENDPOINT"),
        account: get("MI_AZURE_ACCOUNT"),
        key: get("MI_AZURE_KEY"),
        container: get("MI_AZURE_CONTAINER"),
        python: get("MI_AZURE_PYTHON"),
    }
}

/// How the binary finds the account.
#[derive(Clone, Copy)]
enum Config {
    /// `AZURE_STORAGE_USE_EMULATOR=true` (+ `AZURITE_BLOB_STORAGE_URL`), account and key given.
    Emulator,
    /// A real-account style setup: name, key and `AZURE_STORAGE_ENDPOINT`.
    Endpoint,
}

impl Azure {
    fn env(&self, config: Config, key: &str) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("AZURE_STORAGE_ACCOUNT_NAME", self.account.clone()),
            ("AZURE_STORAGE_ACCOUNT_KEY", key.to_string()),
        ];
        match config {
            Config::Emulator => {
                env.push(("AZURE_STORAGE_USE_EMULATOR", "true".into()));
                env.push(("AZURITE_BLOB_STORAGE_URL", self.blob_url.clone()));
            }
            Config::Endpoint => {
                env.push(("AZURE_STORAGE_ENDPOINT", self.endpoint.clone()));
                env.push(("AZURE_ALLOW_HTTP", "true".into()));
            }
        }
        env
    }
}

/// Runs the binary in `dir` with the Azure settings (and no stray `AZURE_`/`AWS_` variables
/// from the caller's environment).
fn run_with(dir: &Path, env: &[(&'static str, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(common::bin());
    cmd.args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AZURE") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
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

fn generate(
    dir: &Path,
    env: &[(&'static str, String)],
    format: &str,
    out: &str,
    rows: &str,
) -> Output {
    run_with(
        dir,
        env,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            rows,
            "--rows-per-file",
            "1000",
            "--format",
            format,
            "--seed",
            "11",
            "--no-progress",
            "--out",
            out,
        ],
    )
}

fn upload(dir: &Path, env: &[(&'static str, String)], src: &str, dst: &str) -> Output {
    run_with(
        dir,
        env,
        &["--output", "json", "upload", src, dst, "--no-progress"],
    )
}

/// Downloads every blob under `prefix` of `container` with azure-storage-blob and compares
/// it byte for byte with the files of `local`; returns each blob's metadata by name.
fn assert_blobs_equal_files(
    az: &Azure,
    container: &str,
    prefix: &str,
    local: &Path,
) -> serde_json::Value {
    let script = r#"
import json, os, sys
from azure.storage.blob import BlobServiceClient
url, account, key, container, prefix, local = sys.argv[1:]
service = BlobServiceClient(url, credential={"account_name": account, "account_key": key})
client = service.get_container_client(container)
blobs = list(client.list_blobs(name_starts_with=prefix + "/", include=["metadata"]))
names = sorted(b.name[len(prefix) + 1:] for b in blobs)
files = sorted(f for f in os.listdir(local) if not f.startswith("."))
assert names == files, f"blobs {names} != files {files}"
for n in names:
    body = client.download_blob(prefix + "/" + n).readall()
    with open(os.path.join(local, n), "rb") as f:
        assert body == f.read(), f"{n} differs"
print(json.dumps({b.name[len(prefix) + 1:]: b.metadata for b in blobs}))
"#;
    let out = Command::new(&az.python)
        .arg("-c")
        .arg(script)
        .args([
            &az.endpoint,
            &az.account,
            &az.key,
            container,
            prefix,
            local.to_str().unwrap(),
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "azure-storage-blob comparison: {}",
        text(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn container_exists(az: &Azure, container: &str) -> bool {
    let script = r#"
import sys
from azure.storage.blob import BlobServiceClient
url, account, key, container = sys.argv[1:]
service = BlobServiceClient(url, credential={"account_name": account, "account_key": key})
print(service.get_container_client(container).exists())
"#;
    let out = Command::new(&az.python)
        .arg("-c")
        .arg(script)
        .args([&az.endpoint, &az.account, &az.key, container])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim() == "True"
}

/// A file of `len` deterministic, incompressible-looking bytes.
fn write_pattern(path: &Path, len: usize, seed: u64) {
    let mut x = seed | 1;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn upload_to_azure_is_verified_and_resumes_only_missing_or_changed_blobs() {
    let az = azure();
    let env = az.env(Config::Emulator, &az.key);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = generate(dir, &env, "parquet", "data", "3000");
    assert!(out.status.success(), "{}", text(&out));
    // One file above the 16 MiB part size, so a block-list (multipart) upload is exercised.
    write_pattern(&dir.join("data/extra.bin"), 16 * 1024 * 1024 + 4321, 7);
    let prefix = unique("azure_resume");
    let dst = format!("az://{}/{prefix}", az.container);

    // An "interrupted" earlier run: one file made it, another arrived with the right size but
    // different bytes, the rest (and meta.json) did not.
    let names = ["data-00001-of-00003.parquet", "data-00002-of-00003.parquet"];
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
    let first = upload(dir, &env, "partial", &dst);
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(json(&first)["uploaded_files"], 2, "{}", text(&first));

    let out = upload(dir, &env, "data", &dst);
    assert!(out.status.success(), "{}", text(&out));
    let summary = json(&out);
    assert_eq!(summary["files"], 5, "{summary:#}");
    assert_eq!(
        summary["skipped_files"], 1,
        "only the identical blob is skipped; the changed one is sent again: {summary:#}"
    );
    assert_eq!(summary["uploaded_files"], 4, "{summary:#}");
    assert_eq!(summary["verified"], true);
    let metadata = assert_blobs_equal_files(&az, &az.container, &prefix, &dir.join("data"));
    // The digest is stored under an Azure-valid metadata name, multipart suffix and all.
    let digest = metadata["extra.bin"]["milvus_ingest_etag"]
        .as_str()
        .unwrap_or_else(|| panic!("no digest metadata: {metadata:#}"));
    assert!(digest.ends_with("-2"), "{metadata:#}");
    assert_eq!(
        metadata[names[0]]["milvus_ingest_etag"]
            .as_str()
            .map(str::len),
        Some(32),
        "{metadata:#}"
    );

    // Nothing left to do: a third run sends nothing.
    let again = json(&upload(dir, &env, "data", &dst));
    assert_eq!(again["uploaded_files"], 0, "{again:#}");
    assert_eq!(again["skipped_files"], 5, "{again:#}");
}

/// `generate --out az://` holds the bytes of a local run: small files (one PUT, digest in
/// metadata) and a file above one part (streamed as blocks, no digest metadata: `upload`
/// reads it back to compare instead of sending it again).
#[test]
fn generate_to_azure_writes_the_same_bytes_as_a_local_run() {
    let az = azure();
    // The second configuration style: account endpoint instead of the emulator switch.
    let env = az.env(Config::Endpoint, &az.key);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // JSON in three small files; Parquet in one file above the 16 MiB part size.
    for (format, rows, per_file) in [("json", "3000", "1000"), ("parquet", "40000", "40000")] {
        let gen_args = |out: &str| -> Vec<String> {
            [
                "generate",
                "--builtin",
                "simple",
                "-r",
                rows,
                "--rows-per-file",
                per_file,
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
            .collect()
        };
        let local = format!("local_{format}");
        let prefix = unique(&format!("azure_gen_{format}"));
        let url = format!("az://{}/{prefix}", az.container);
        for out_to in [&local, &url] {
            let args = gen_args(out_to);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run_with(dir, &env, &args);
            assert!(out.status.success(), "{}", text(&out));
        }

        // meta.json records timings, so it legitimately differs; every data file must not.
        let cmp = dir.join(format!("cmp_{format}"));
        std::fs::create_dir(&cmp).unwrap();
        let mut data_files = 0;
        for entry in std::fs::read_dir(dir.join(&local)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "meta.json" {
                std::fs::copy(entry.path(), cmp.join(entry.file_name())).unwrap();
                data_files += 1;
            }
        }
        if format == "parquet" {
            let largest = std::fs::read_dir(&cmp)
                .unwrap()
                .map(|e| e.unwrap().metadata().unwrap().len())
                .max()
                .unwrap();
            assert!(largest > 16 << 20, "a file must exceed one part: {largest}");
        }
        let summary = json(&upload(dir, &env, cmp.to_str().unwrap(), &url));
        assert_eq!(summary["uploaded_files"], 0, "{summary:#}");
        assert_eq!(summary["skipped_files"], data_files, "{summary:#}");
        std::fs::copy(dir.join(&local).join("meta.json"), cmp.join("meta.json")).unwrap();
        let meta = json(&upload(dir, &env, cmp.to_str().unwrap(), &url));
        assert_eq!(
            meta["uploaded_files"], 1,
            "only meta.json differed: {meta:#}"
        );
        assert_blobs_equal_files(&az, &az.container, &prefix, &cmp);
    }
}

/// The `error:` line (with any `Caused by:` lines) and the `hint:` line of a failed run.
fn error_and_hint(out: &Output) -> (String, String) {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let pick = |prefixes: &[&str]| {
        err.lines()
            .filter(|l| prefixes.iter().any(|p| l.trim_start().starts_with(p)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    (pick(&["error:", "Caused by:"]), pick(&["hint:"]))
}

/// Azure answers a bad signature with `AuthenticationFailed`, Azurite with
/// `AuthorizationFailure`; either way the server's code must reach the user.
fn azure_auth_error(text: &str) -> bool {
    text.contains("AuthenticationFailed") || text.contains("AuthorizationFailure")
}

#[test]
fn azure_failures_name_their_cause_in_one_line_with_azure_hints() {
    let az = azure();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let env = az.env(Config::Emulator, &az.key);
    let out = generate(dir, &env, "parquet", "data", "3000");
    assert!(out.status.success(), "{}", text(&out));

    // A wrong key (valid base64, so Azurite checks the signature).
    let bad_key = "d3Jvbmcta2V5LXZhbHVlLTEyMzQ1Njc4OTAtYWJjZGVmZ2hpams=";
    let out = upload(
        dir,
        &az.env(Config::Emulator, bad_key),
        "data",
        &format!("az://{}/{}", az.container, unique("creds")),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let (error, hint) = error_and_hint(&out);
    assert_eq!(error.lines().count(), 1, "{}", text(&out));
    assert!(
        error.contains("access denied") && azure_auth_error(&error),
        "{}",
        text(&out)
    );
    assert!(!error.contains('<'), "no XML: {}", text(&out));
    assert!(hint.contains("AZURE_STORAGE_ACCOUNT_KEY"), "{}", text(&out));
    assert!(
        !hint.contains("AWS_") && !hint.contains("--endpoint-url"),
        "{}",
        text(&out)
    );
    let all = text(&out);
    assert!(!all.contains(bad_key) && !all.contains(&az.key), "{all}");

    // A container that does not exist.
    let missing = format!("mi-missing-{}", std::process::id());
    let out = upload(dir, &env, "data", &format!("az://{missing}/p"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let (error, hint) = error_and_hint(&out);
    assert_eq!(error.lines().count(), 1, "{}", text(&out));
    assert!(
        error.contains(&format!(
            "container `{missing}` does not exist at {}",
            az.endpoint
        )),
        "{}",
        text(&out)
    );
    assert!(
        hint.contains("--create-bucket") && !hint.contains("AWS_"),
        "{}",
        text(&out)
    );

    // Nothing listening: the endpoint is named, with Azure settings in the hint.
    let mut unreachable = az.env(Config::Endpoint, &az.key);
    for (k, v) in unreachable.iter_mut() {
        if *k == "AZURE_STORAGE_ENDPOINT" {
            *v = "http://127.0.0.1:9/devstoreaccount1".into();
        }
    }
    let out = run_with(
        dir,
        &unreachable,
        &[
            "upload",
            "data",
            &format!("az://{}/p", az.container),
            "--no-progress",
            "--retries",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let (_, hint) = error_and_hint(&out);
    assert!(hint.contains("AZURE_STORAGE_ENDPOINT"), "{}", text(&out));
    assert!(!hint.contains("AWS_"), "{}", text(&out));
}

#[test]
fn create_bucket_creates_an_azure_container() {
    let az = azure();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let env = az.env(Config::Emulator, &az.key);
    let out = generate(dir, &env, "parquet", "data", "3000");
    assert!(out.status.success(), "{}", text(&out));
    let container = format!("mi-azure-{}", std::process::id());
    assert!(!container_exists(&az, &container));
    let dst = format!("az://{container}/sets/simple");
    let out = run_with(
        dir,
        &env,
        &["upload", "data", &dst, "--create-bucket", "--no-progress"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("created container"),
        "{}",
        text(&out)
    );
    assert!(container_exists(&az, &container));
    assert_blobs_equal_files(&az, &container, "sets/simple", &dir.join("data"));

    // Existing container: used as is, nothing re-sent.
    let out = run_with(
        dir,
        &env,
        &[
            "--output",
            "json",
            "upload",
            "data",
            &dst,
            "--create-bucket",
            "--no-progress",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["uploaded_files"], 0, "{}", text(&out));

    // With a wrong key the container is not created, and the message says why.
    let other = format!("mi-azure-denied-{}", std::process::id());
    let out = run_with(
        dir,
        &az.env(
            Config::Emulator,
            "d3Jvbmcta2V5LXZhbHVlLTEyMzQ1Njc4OTAtYWJjZGVmZ2hpams=",
        ),
        &[
            "upload",
            "data",
            &format!("az://{other}/p"),
            "--create-bucket",
            "--no-progress",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(azure_auth_error(&text(&out)), "{}", text(&out));
    assert!(!container_exists(&az, &other));
}

/// An account SAS token (read, write, list, create, delete on containers and blobs, one hour),
/// made by the Python SDK.
fn account_sas(az: &Azure) -> String {
    let script = r#"
import sys
from datetime import datetime, timedelta, timezone
from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas
account, key = sys.argv[1:]
print(generate_account_sas(
    account, key,
    resource_types=ResourceTypes(service=True, container=True, object=True),
    permission=AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True),
    expiry=datetime.now(timezone.utc) + timedelta(hours=1),
))
"#;
    let out = Command::new(&az.python)
        .arg("-c")
        .arg(script)
        .args([&az.account, &az.key])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A SAS token instead of the key: the container is created and the data uploaded with it,
/// and the token (a credential) never shows in the output.
#[test]
fn a_sas_token_creates_the_container_and_uploads() {
    let az = azure();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sas = account_sas(&az);
    let env = vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
        ("AZURITE_BLOB_STORAGE_URL", az.blob_url.clone()),
        ("AZURE_STORAGE_ACCOUNT_NAME", az.account.clone()),
        ("AZURE_STORAGE_SAS_TOKEN", sas.clone()),
    ];
    let out = generate(dir, &env, "parquet", "data", "3000");
    assert!(out.status.success(), "{}", text(&out));
    let container = format!("mi-azure-sas-{}", std::process::id());
    let out = run_with(
        dir,
        &env,
        &[
            "--output",
            "json",
            "upload",
            "data",
            &format!("az://{container}/p"),
            "--create-bucket",
            "--no-progress",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["uploaded_files"], 4, "{}", text(&out));
    assert!(container_exists(&az, &container));
    assert_blobs_equal_files(&az, &container, "p", &dir.join("data"));
    let sig = sas
        .split('&')
        .find_map(|kv| kv.strip_prefix("sig="))
        .expect("a SAS has a signature");
    assert!(!text(&out).contains(sig), "{}", text(&out));
}
