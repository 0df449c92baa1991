//! Shared by the `security_*` tests: the authenticated TLS Milvus 2.3.5 of
//! `scripts/services.sh up milvus_secure` (`MI_MILVUS23_SECURE_URI`, its root token, its CA and
//! an unrelated CA), users created through the API with the root token, a runner that starts
//! the binary with a clean environment, and a snapshot of every file under a directory (to
//! prove a refused run wrote nothing). Missing variables fail the tests (never a skip).

#![allow(dead_code)]

#[path = "milvus_common.rs"]
mod milvus_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ::milvus::proto::milvus::{
    CreateCredentialRequest, OperateUserRoleRequest, OperateUserRoleType,
};
use base64::Engine;
use milvus_ingest::milvus::{Client, ConnectOptions};

pub use milvus_common::service_uri;

/// The secure server and its test PKI.
pub struct Secure {
    /// `https://localhost:PORT` (the certificate lists localhost and 127.0.0.1).
    pub uri: String,
    /// `root:Milvus`, Milvus' documented default.
    pub root_token: String,
    pub ca: String,
    /// A CA that signed nothing the server presents.
    pub other_ca: String,
}

impl Secure {
    /// The same server under a name its certificate does not list (loopback 127.0.0.2).
    pub fn wrong_host_uri(&self) -> String {
        self.uri.replace("localhost", "127.0.0.2")
    }
}

pub fn secure() -> Secure {
    Secure {
        uri: service_uri("MI_MILVUS23_SECURE_URI"),
        root_token: service_uri("MI_MILVUS23_SECURE_TOKEN"),
        ca: service_uri("MI_MILVUS_CA"),
        other_ca: service_uri("MI_MILVUS_OTHER_CA"),
    }
}

/// A client of the library connected as root (verified TLS), for set-up and checks.
pub async fn root_client(s: &Secure) -> Client {
    let mut options = ConnectOptions::new(s.uri.clone());
    options.token = Some(s.root_token.clone());
    options.tls.ca_cert = Some(PathBuf::from(&s.ca));
    Client::connect(&options)
        .await
        .unwrap_or_else(|e| panic!("root cannot connect to {}: {e}", s.uri))
}

/// Creates `user` with `password` and no role, and waits until it can connect.
pub async fn create_user_without_role(s: &Secure, user: &str, password: &str) {
    let root = root_client(s).await;
    create_credential(&root, user, password).await;
    let mut options = ConnectOptions::new(s.uri.clone());
    options.token = Some(format!("{user}:{password}"));
    options.tls.ca_cert = Some(PathBuf::from(&s.ca));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match Client::connect(&options).await {
            Ok(_) => return,
            Err(e) if std::time::Instant::now() > deadline => {
                panic!("{user} cannot connect 30 s after being created: {e}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
}

async fn create_credential(root: &Client, user: &str, password: &str) {
    let resp = root
        .raw()
        .create_credential(root.request(CreateCredentialRequest {
            username: user.to_string(),
            password: base64::engine::general_purpose::STANDARD.encode(password),
            ..Default::default()
        }))
        .await
        .expect("CreateCredential answers")
        .into_inner();
    assert!(
        status_ok(&resp) || resp.reason.contains("already exists"),
        "CreateCredential {user}: {resp:?}"
    );
}

/// Creates `user` with `password` through the API (CreateCredential, password base64 as the
/// proto asks) and gives it the built-in `admin` role; an existing user is kept.
pub async fn create_user(s: &Secure, user: &str, password: &str) {
    let root = root_client(s).await;
    create_credential(&root, user, password).await;
    let resp = root
        .raw()
        .operate_user_role(root.request(OperateUserRoleRequest {
            username: user.to_string(),
            role_name: "admin".into(),
            r#type: OperateUserRoleType::AddUserToRole as i32,
            ..Default::default()
        }))
        .await
        .expect("OperateUserRole answers")
        .into_inner();
    assert!(
        status_ok(&resp) || resp.reason.contains("already"),
        "OperateUserRole {user}: {resp:?}"
    );
    // The proxy learns of new credentials and role grants asynchronously: wait until the
    // user can connect and holds a privilege only the admin role gives (DropCollection of a
    // collection that does not exist: harmless, and refused with "permission deny" until
    // the grant has arrived) before the test relies on it.
    let mut options = ConnectOptions::new(s.uri.clone());
    options.token = Some(format!("{user}:{password}"));
    options.tls.ca_cert = Some(PathBuf::from(&s.ca));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        match Client::connect(&options).await {
            Ok(client) => {
                let resp = client
                    .raw()
                    .drop_collection(client.request(
                        ::milvus::proto::milvus::DropCollectionRequest {
                            collection_name: "sec_probe_never_created".into(),
                            ..Default::default()
                        },
                    ))
                    .await;
                match resp {
                    Ok(r) if !r.get_ref().reason.contains("permission deny") => return,
                    Ok(r) => last = r.into_inner().reason,
                    Err(status) => last = status.to_string(),
                }
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{user} is still not an admin 30 s after being created: {last}");
}

/// A Milvus status of success (old servers set `error_code`, new ones `code`).
fn status_ok(status: &::milvus::proto::common::Status) -> bool {
    #[allow(deprecated)]
    let code = status.error_code;
    code == 0 && status.code == 0
}

/// Whether `name` exists on the secure server (asked as root).
pub async fn has_collection(s: &Secure, name: &str) -> bool {
    root_client(s).await.has_collection(name).await.unwrap()
}

/// Drops `name` if it exists (as root).
pub async fn drop_collection(s: &Secure, name: &str) {
    let root = root_client(s).await;
    if root.has_collection(name).await.unwrap() {
        let resp = root
            .raw()
            .drop_collection(
                root.request(::milvus::proto::milvus::DropCollectionRequest {
                    collection_name: name.to_string(),
                    ..Default::default()
                }),
            )
            .await
            .unwrap()
            .into_inner();
        assert!(status_ok(&resp), "drop {name}: {resp:?}");
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_milvus-ingest"))
}

/// The binary with `args` in `dir`, a private home and state directory, and none of the
/// caller's Milvus/Mongo/S3 variables (a test sets what it means to use with `env`).
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .env("XDG_STATE_HOME", dir.join(".state"))
        .env("HOME", dir.join(".userhome"));
    for var in [
        "MILVUS_URI",
        "MILVUS_TOKEN",
        "MILVUS_TOKEN_FILE",
        "MILVUS_CA_CERT",
        "MILVUS_DB_NAME",
        "MONGODB_URI",
        "MONGODB_DATABASE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
    ] {
        c.env_remove(var);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("binary runs")
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts success and returns the output.
pub fn ok(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = run(dir, args, env);
    assert!(out.status.success(), "{args:?}\n{}", text(&out));
    out
}

/// Asserts exit `code` and returns stderr.
pub fn fails(dir: &Path, args: &[&str], env: &[(&str, &str)], code: i32) -> String {
    let out = run(dir, args, env);
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir` with its size and modification time, to compare before and after.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                out.insert(path.clone(), (0, std::time::UNIX_EPOCH));
                stack.push(path);
            } else {
                out.insert(path, (meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out
}

/// Generates a small dataset of the built-in `simple` schema at `dir/name`.
pub fn dataset(dir: &Path, name: &str, rows: &str) -> String {
    ok(
        dir,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            rows,
            "--out",
            name,
            "--seed",
            "5",
            "--no-progress",
        ],
        &[],
    );
    name.to_string()
}
