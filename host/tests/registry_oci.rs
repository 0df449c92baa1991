//! Plugin registry against a real OCI registry (CNCF distribution from scripts/services.sh,
//! MI_OCI_REGISTRY) and the Python `oras` client (MI_ORAS_PYTHON) for interop. Every test uses
//! repositories under a prefix unique to it.

mod registry_common;

use std::path::Path;
use std::process::Command;

use registry_common::*;

/// Python `oras` helper: `push HOST TARGET WASM` (Wasm OCI layout) and `pull HOST TARGET DIR`.
const ORAS: &str = r#"
import hashlib, json, os, sys
import oras.client
cmd, host, target, path = sys.argv[1:5]
client = oras.client.OrasClient(hostname=host, insecure=True)
if cmd == "push":
    data = open(path, "rb").read()
    config = os.path.join(os.path.dirname(path), "config.json")
    with open(config, "w") as f:
        json.dump({"architecture": "wasm", "os": "wasip2",
                   "layerDigests": ["sha256:" + hashlib.sha256(data).hexdigest()]}, f)
    client.push(target=target, files=[path + ":application/wasm"],
                manifest_config=config + ":application/vnd.wasm.config.v0+json",
                disable_path_validation=True)
else:
    manifest = client.get_manifest(target)
    files = client.pull(target=target, outdir=path)
    print(json.dumps({"manifest": manifest,
                      "digests": ["sha256:" + hashlib.sha256(open(f, "rb").read()).hexdigest() for f in files]}))
"#;

fn oras(root: &Path, args: &[&str]) -> String {
    let script = root.join("oras_helper.py");
    std::fs::write(&script, ORAS).unwrap();
    let out = Command::new(service_var("MI_ORAS_PYTHON"))
        .arg(&script)
        .args(args)
        .output()
        .expect("the oras venv python runs");
    assert!(out.status.success(), "oras {args:?}:\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `HOST/PREFIX/NS/NAME:TAG` for oras, from an `oci://` reference.
fn target(registry: &str, ns: &str, name: &str, tag: &str) -> String {
    format!(
        "{}/{ns}/{name}:{tag}",
        registry.strip_prefix("oci://").unwrap()
    )
}

#[test]
fn publish_add_generate_identically_and_refuse_retags_and_tampering() {
    let root = tempfile::tempdir().unwrap();
    let registry = oci_ref("oci-main");
    let (a, b) = two_projects_generate_identically(root.path(), &registry, "acme");
    let spec = "acme:dice@^1";
    let before = a.generate(&["--plugin", spec]);
    let locked = a.lock();
    let manifest = locked["plugin"][0]["manifest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(manifest.starts_with("sha256:"));
    assert!(
        !std::fs::read_to_string(a.dir.join("milvus-ingest.lock"))
            .unwrap()
            .contains("password")
    );

    // Re-tag 1.0.0 with different bytes (oras overwrites tags; our publish would refuse).
    let host = service_var("MI_OCI_REGISTRY");
    let other = root.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(wasm("geo_gen"), other.join("dice.wasm")).unwrap();
    oras(
        root.path(),
        &[
            "push",
            &host,
            &target(&registry, "acme", "dice", "1.0.0"),
            other.join("dice.wasm").to_str().unwrap(),
        ],
    );
    let err = a.fails(
        2,
        &[
            "generate", "--schema", "s.json", "-r", "10", "--out", "x", "--plugin", spec,
            "--locked",
        ],
    );
    assert!(
        err.contains("re-tagged") && err.contains("--locked"),
        "{err}"
    );
    let out = a.run(&["plugin", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("re-tagged"),
        "{}",
        text(&out)
    );
    // Without --locked the lock's digests are used, so the data does not change, even from a
    // cache that has to download again (by manifest digest, not by the moved tag).
    assert_eq!(a.generate(&["--plugin", spec]), before);
    std::fs::remove_file(b.blob(&b.locked_digest())).unwrap();
    assert_eq!(b.generate(&["--plugin", spec]), before);
    // Re-resolving picks up the new bytes only on request, and never under --locked.
    let err = b.fails(2, &["plugin", "update", "--locked"]);
    assert!(err.contains("acme:dice would change"), "{err}");
    let out = b.ok(&["plugin", "update", "acme:dice"]);
    assert!(out.contains("acme:dice: 1.0.0"), "{out}");
    assert_eq!(b.locked_digest(), sha256_file(&wasm("geo_gen")));

    tampered_cache_is_refused(&a, spec);
    assert!(manifest.len() == 71);
}

#[test]
fn bad_publishes_and_lookups_have_distinct_errors() {
    let root = tempfile::tempdir().unwrap();
    bad_publishes_are_refused(root.path(), &oci_ref("oci-bad"), "acme");
}

#[test]
fn concurrent_publishes_and_adds() {
    let root = tempfile::tempdir().unwrap();
    concurrency(root.path(), &oci_ref("oci-conc"), "acme");
}

#[test]
fn oras_interop_both_ways() {
    let root = tempfile::tempdir().unwrap();
    let registry = oci_ref("oci-oras");
    let host = service_var("MI_OCI_REGISTRY");
    // oras publishes in the Wasm layout (no milvus-ingest stamp); we add and run it.
    let dir = root.path().join("push");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(wasm("dice"), dir.join("dice.wasm")).unwrap();
    oras(
        root.path(),
        &[
            "push",
            &host,
            &target(&registry, "ext", "dice", "1.2.0"),
            dir.join("dice.wasm").to_str().unwrap(),
        ],
    );
    let env = Env::new(root.path(), "project");
    let info = env.ok(&["plugin", "info", "ext:dice", "--registry", &registry]);
    assert!(
        info.contains("1.2.0") && info.contains("not stamped"),
        "{info}"
    );
    env.ok(&["plugin", "add", "ext:dice@^1", "--registry", &registry]);
    assert_eq!(
        env.lock()["plugin"][0]["world"].as_str(),
        Some("field-generator")
    );
    env.dice_schema();
    let via_oras = env.generate(&["--plugin", "ext:dice@^1"]);
    env.ok(&[
        "generate",
        "--schema",
        "s.json",
        "-r",
        "500",
        "--out",
        "direct",
        "--plugin",
        wasm("dice").to_str().unwrap(),
    ]);
    assert_eq!(via_oras, data_files(&env.dir.join("direct")));

    // An artifact of an unsupported interface version is refused at add, with the range.
    std::fs::copy(wasm("future_interface"), dir.join("future.wasm")).unwrap();
    oras(
        root.path(),
        &[
            "push",
            &host,
            &target(&registry, "ext", "future", "1.0.0"),
            dir.join("future.wasm").to_str().unwrap(),
        ],
    );
    let err = env.fails(2, &["plugin", "add", "ext:future", "--registry", &registry]);
    assert!(
        err.contains("interface version") && err.contains("0.1.0"),
        "{err}"
    );

    // We publish; oras pulls the same bytes and sees the Wasm OCI layout.
    let out = env.ok(&[
        "--output",
        "json",
        "plugin",
        "publish",
        wasm("text_gen").to_str().unwrap(),
        "--registry",
        &registry,
        "--name",
        "ext:text",
        "--version",
        "0.2.0",
    ]);
    let published: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pulled = oras(
        root.path(),
        &[
            "pull",
            &host,
            &target(&registry, "ext", "text", "0.2.0"),
            root.path().join("pulled").to_str().unwrap(),
        ],
    );
    let pulled: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    assert_eq!(pulled["digests"], serde_json::json!([published["digest"]]));
    assert_eq!(
        published["digest"].as_str().unwrap(),
        sha256_file(&wasm("text_gen"))
    );
    let m = &pulled["manifest"];
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(m["layers"].as_array().unwrap().len(), 1);
    assert_eq!(m["layers"][0]["mediaType"], "application/wasm");
}

#[test]
fn plain_http_to_remote_hosts_needs_allow_http() {
    let root = tempfile::tempdir().unwrap();
    let env = Env::new(root.path(), "p");
    // Refused before any connection is made.
    let err = env.fails(
        2,
        &["plugin", "list", "--registry", "http://registry.invalid/x"],
    );
    assert!(err.contains("--allow-http"), "{err}");
    let err = env.fails(
        2,
        &[
            "plugin",
            "add",
            "acme:dice",
            "--offline",
            "--registry",
            &oci_ref("offline"),
        ],
    );
    assert!(err.contains("offline"), "{err}");
}
