//! Private instances of the CNCF distribution registry (Debian's `docker-registry`, installed by
//! `scripts/services.sh install registry`) with settings the shared one on 5000 must not have:
//! each on its own fixed loopback port, checked free first, stopped when dropped (also when the
//! test fails). The Python `oras` client (MI_ORAS_PYTHON) fills them, as an independent writer.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../registry_common.rs"]
mod registry_common;

pub use registry_common::{Env, service_var, text};

/// A running private registry; killed on drop.
pub struct PrivateRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    pub dir: PathBuf,
}

impl PrivateRegistry {
    /// Starts `docker-registry serve` on `port` with `extra` appended to the config (YAML at the
    /// top level, e.g. a `catalog:` or `auth:` section), storage under `dir`.
    pub fn start(dir: &Path, port: u16, extra: &str) -> PrivateRegistry {
        let host = format!("127.0.0.1:{port}");
        if TcpListener::bind(&host).is_err() {
            panic!(
                "port {port} is busy: a private registry of an earlier run may still be up (ss -ltnp | grep {port})"
            );
        }
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n{extra}",
            dir.join("data").display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("docker-registry runs (scripts/services.sh install registry installs it)");
        let registry = PrivateRegistry {
            child,
            host,
            dir: dir.to_path_buf(),
        };
        registry.wait_up();
        registry
    }

    fn wait_up(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if std::net::TcpStream::connect(&self.host).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "private registry on {} not up after 30 s:\n{}",
            self.host,
            std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
        );
    }
}

impl Drop for PrivateRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An htpasswd file with one bcrypt entry, made by apache2-utils' `htpasswd -nbB`.
pub fn htpasswd(path: &Path, user: &str, password: &str) {
    let out = Command::new("htpasswd")
        .args(["-nbB", user, password])
        .output()
        .expect("htpasswd runs (scripts/services.sh install registry installs apache2-utils)");
    assert!(out.status.success(), "htpasswd: {}", text(&out));
    std::fs::write(path, &out.stdout).unwrap();
}

/// Pushes a tiny Wasm-typed artifact as `HOST/REPO:TAG` with the Python `oras` client, logged
/// in when `login` is given.
pub fn oras_push(root: &Path, host: &str, repo_tag: &str, login: Option<(&str, &str)>) {
    let script = root.join("oras_push.py");
    std::fs::write(
        &script,
        r#"
import os, sys
import oras.client
host, target, path, user, password = sys.argv[1:6]
client = oras.client.OrasClient(hostname=host, insecure=True,
                                auth_backend="basic" if user else "token")
if user:
    client.login(username=user, password=password, hostname=host, tls_verify=False)
client.push(target=target, files=[path + ":application/wasm"], disable_path_validation=True)
"#,
    )
    .unwrap();
    let blob = root.join("blob.wasm");
    std::fs::write(&blob, b"\0asm\x0d\0\x01\0").unwrap();
    let (user, password) = login.unwrap_or(("", ""));
    let out = Command::new(service_var("MI_ORAS_PYTHON"))
        .arg(&script)
        .args([host, &format!("{host}/{repo_tag}"), blob.to_str().unwrap()])
        .args([user, password])
        .env("HOME", root)
        .output()
        .expect("the oras venv python runs");
    assert!(out.status.success(), "oras push {repo_tag}: {}", text(&out));
}
