//! `plugin new` for each world: the crate is created outside this repository, passes its own
//! test, builds into a component with one command, and the generator and validator work in a
//! schema. The guests share one target directory with scripts/build-plugins.sh (same lockfile
//! versions and release profile), so dependencies compile once.

mod registry_common;

use std::path::Path;
use std::process::Command;

use registry_common::*;
use serde_json::json;

fn cargo(dir: &Path, target_dir: &Path, args: &[&str]) {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {args:?} in {}:\n{}",
        dir.display(),
        text(&out)
    );
}

#[test]
fn new_plugins_of_every_world_build_test_and_run() {
    let root = tempfile::tempdir().unwrap();
    let target_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/target");
    let env = Env::new(root.path(), "work");
    let mut components = Vec::new();
    for (name, world) in [
        ("acme:new-gen", "field-generator"),
        ("new-check", "validator"),
        ("new-sync", "sync-handler"),
    ] {
        let out = env.ok(&["--output", "json", "plugin", "new", name, "--world", world]);
        let made: serde_json::Value = serde_json::from_str(&out).unwrap();
        let dir = Path::new(made["dir"].as_str().unwrap()).to_path_buf();
        assert!(dir.starts_with(&env.dir) && dir.join(".milvus-ingest-sdk/plugins/sdk").is_dir());
        cargo(&dir, &target_dir, &["test", "--quiet"]);
        cargo(
            &dir,
            &target_dir,
            &["build", "--release", "--quiet", "--target", "wasm32-wasip2"],
        );
        let wasm = target_dir.join("wasm32-wasip2/release").join(
            Path::new(made["component"].as_str().unwrap())
                .file_name()
                .unwrap(),
        );
        let info = env.ok(&[
            "--output",
            "json",
            "plugin",
            "inspect",
            wasm.to_str().unwrap(),
        ]);
        let info: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["world"], world);
        assert_eq!(info["name"], name);
        components.push(wasm);
    }
    // Creating over an existing directory is refused.
    let err = env.fails(2, &["plugin", "new", "new-check", "--world", "validator"]);
    assert!(err.contains("already exists"), "{err}");

    let schema = json!({"collection_name": "scaffolded", "fields": [
        {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "v", "type": "FloatVector", "dim": 4},
        {"name": "n", "type": "Int64",
         "generator": {"plugin": "acme:new-gen", "name": "example", "params": {"max": 10}},
         "validators": [{"plugin": "new-check", "name": "range", "params": {"min": 0, "max": 10}}]}]});
    std::fs::write(env.dir.join("s.json"), schema.to_string()).unwrap();
    let out = env.ok(&[
        "--output",
        "json",
        "generate",
        "--schema",
        "s.json",
        "-r",
        "300",
        "--out",
        "out",
        "--format",
        "json",
        "--plugin",
        components[0].to_str().unwrap(),
        "--plugin",
        components[1].to_str().unwrap(),
    ]);
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["rows"], 300);
    assert_eq!(summary["violations"], 0);
}
