//! `plugin list/search` against private CNCF distribution registries through the real binary:
//! one with `catalog.maxentries: 2` (it refuses `n` above 2 with 400 PAGINATION_NUMBER_INVALID
//! and pages with `Link` headers), one with htpasswd auth whose credentials only a Docker
//! credential helper (a shell script on a PATH the test sets) knows. Ports 5001 and 5002.

mod registry_private;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use registry_private::{Env, PrivateRegistry, htpasswd, oras_push, service_var, text};

/// An independent look at what the registry answers (Python's urllib, no project code).
fn raw_get(url: &str) -> String {
    let out = Command::new(service_var("MI_ORAS_PYTHON"))
        .args([
            "-c",
            r#"
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1])
    print(r.status, r.headers.get("Link"), r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, None, e.read().decode())
"#,
            url,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn names(listed: &str) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(listed).unwrap_or_else(|e| panic!("{e}: {listed}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_catalog_is_read_across_pages_when_the_registry_caps_n() {
    let root = tempfile::tempdir().unwrap();
    let registry = PrivateRegistry::start(
        &root.path().join("paged"),
        5001,
        "catalog:\n  maxentries: 2\n",
    );
    let host = registry.host.clone();
    let want: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|n| format!("paged:{n}"))
        .collect();
    for n in ["a", "b", "c", "d", "e"] {
        oras_push(root.path(), &host, &format!("pfx/paged/{n}:1.0.0"), None);
    }
    oras_push(root.path(), &host, "elsewhere/x:1.0.0", None);

    // The registry really is configured so: n=1000 refused, pages of 2 with a Link header.
    let big = raw_get(&format!("http://{host}/v2/_catalog?n=1000"));
    assert!(
        big.starts_with("400") && big.contains("PAGINATION_NUMBER_INVALID"),
        "{big}"
    );
    let first = raw_get(&format!("http://{host}/v2/_catalog"));
    assert!(
        first.starts_with("200 </v2/_catalog?") && first.contains("rel=\"next\""),
        "{first}"
    );

    let env = Env::new(root.path(), "user");
    let reference = format!("oci://{host}/pfx");
    let out = env.run(&[
        "--output",
        "json",
        "plugin",
        "list",
        "--registry",
        &reference,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(names(&String::from_utf8_lossy(&out.stdout)), want);
    let out = env.run(&[
        "--output",
        "json",
        "plugin",
        "search",
        "paged:d",
        "--registry",
        &reference,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(names(&String::from_utf8_lossy(&out.stdout)), ["paged:d"]);
}

/// A `docker-credential-<name>` script that logs how it was called and answers for `server`.
fn helper_script(bin: &Path, name: &str, log: &Path, server: &str, user: &str, secret: &str) {
    let path = bin.join(format!("docker-credential-{name}"));
    let script = format!(
        "#!/bin/sh\nread -r server\necho \"$1 $server\" >> '{}'\n\
         if [ \"$1\" = get ] && [ \"$server\" = '{server}' ]; then\n\
           printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}' \"$server\"\n\
           exit 0\nfi\necho 'credentials not found in native keychain'\nexit 1\n",
        log.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn credential_helpers_are_run_in_dockers_order_and_a_missing_one_is_named() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("auth");
    std::fs::create_dir_all(&dir).unwrap();
    let (user, secret) = ("mi-user", "mi-helper-s3cret");
    htpasswd(&dir.join("htpasswd"), user, secret);
    let registry = PrivateRegistry::start(
        &dir,
        5002,
        &format!(
            "auth:\n  htpasswd:\n    realm: mi-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ),
    );
    let host = registry.host.clone();
    oras_push(
        root.path(),
        &host,
        "pfx/auth/dice:1.0.0",
        Some((user, secret)),
    );
    let reference = format!("oci://{host}/pfx");

    let env = Env::new(root.path(), "user");
    let docker = env.home.join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = root.path().join("helper.log");
    helper_script(&bin, "mi-good", &log, &host, user, secret);
    helper_script(&bin, "mi-store", &log, "nobody:1", "x", "y");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let list = |config: serde_json::Value| {
        std::fs::write(docker.join("config.json"), config.to_string()).unwrap();
        env.command(&[
            "--output",
            "json",
            "plugin",
            "list",
            "--registry",
            &reference,
        ])
        .env("PATH", &path)
        .output()
        .unwrap()
    };

    // credHelpers[host] first, even with a credsStore and a (wrong) inline entry.
    let out = list(serde_json::json!({
        "auths": {host.clone(): {"auth": "d3Jvbmc6d3Jvbmc="}},
        "credsStore": "mi-store",
        "credHelpers": {host.clone(): "mi-good"},
    }));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(names(&String::from_utf8_lossy(&out.stdout)), ["auth:dice"]);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains(&format!("get {host}")), "{calls}");
    assert!(
        !text(&out).contains(secret),
        "secret printed: {}",
        text(&out)
    );

    // credsStore when no credHelpers entry names the host.
    std::fs::remove_file(&log).unwrap();
    let out = list(serde_json::json!({"credsStore": "mi-good"}));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains(&format!("get {host}"))
    );

    // A helper that has nothing for the host: anonymous, refused, the docker login advice.
    let out = list(serde_json::json!({"credsStore": "mi-store"}));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not authorized"), "{}", text(&out));

    // A helper named but not on PATH is named in the error, not "docker login".
    let out = list(serde_json::json!({"credHelpers": {host.clone(): "mi-missing"}}));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("docker-credential-mi-missing")
            && err.contains("not found on PATH")
            && err.contains(&format!("credHelpers[\"{host}\"]")),
        "{err}"
    );
    assert!(!err.contains("docker login"), "{err}");
}

/// A credential helper that never answers (a keychain waiting on a prompt nobody sees) hung
/// `plugin list` for good; it must be stopped after 30 s and named in the error, exit 1.
#[test]
fn a_credential_helper_that_hangs_is_stopped_and_named() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("auth");
    std::fs::create_dir_all(&dir).unwrap();
    htpasswd(&dir.join("htpasswd"), "mi-user", "mi-hang-s3cret");
    let registry = PrivateRegistry::start(
        &dir,
        5003,
        &format!(
            "auth:\n  htpasswd:\n    realm: mi-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ),
    );
    let env = Env::new(root.path(), "user");
    let docker = env.home.join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(docker.join("config.json"), r#"{"credsStore": "mi-hang"}"#).unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-mi-hang");
    std::fs::write(&helper, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let reference = format!("oci://{}/pfx", registry.host);
    let mut child = env
        .command(&["plugin", "list", "--registry", &reference])
        .env("PATH", &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() > 90 {
            child.kill().unwrap();
            panic!("plugin list still waiting on the credential helper after 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("docker-credential-mi-hang") && err.contains("did not answer within 30 s"),
        "{err}"
    );
}
