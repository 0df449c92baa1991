//! Plugin registry on a directory (a path or a shared mount): the same scenarios as the OCI
//! tests, minus the OCI-only ones.

mod registry_common;

use registry_common::*;

#[test]
fn publish_add_generate_identically_and_refuse_changed_files_and_tampering() {
    let root = tempfile::tempdir().unwrap();
    let reg_dir = root.path().join("shared-registry");
    let registry = reg_dir.to_str().unwrap().to_string();
    let (a, b) = two_projects_generate_identically(root.path(), &registry, "acme");
    let spec = "acme:dice@^1";
    let before = a.generate(&["--plugin", spec]);
    assert!(a.lock()["plugin"][0].get("manifest").is_none());
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reg_dir.join("index.json")).unwrap())
            .unwrap();
    assert_eq!(
        index["packages"]["acme:dice"]["1.0.0"]["meta"]["world"],
        "field-generator"
    );
    assert!(reg_dir.join("acme/dice/1.0.0.wasm").is_file());

    // Someone replaces the published file on the share: --locked refuses, the lock's digest
    // keeps a cached copy working, and a fresh download is refused as a digest mismatch.
    std::fs::copy(wasm("geo_gen"), reg_dir.join("acme/dice/1.0.0.wasm")).unwrap();
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
    assert_eq!(a.generate(&["--plugin", spec]), before);
    std::fs::remove_file(b.blob(&b.locked_digest())).unwrap();
    let err = b.fails(
        1,
        &[
            "generate", "--schema", "s.json", "-r", "10", "--out", "x", "--plugin", spec,
        ],
    );
    assert!(err.contains("digest mismatch"), "{err}");
    std::fs::copy(wasm("dice"), reg_dir.join("acme/dice/1.0.0.wasm")).unwrap();

    tampered_cache_is_refused(&a, spec);
}

#[test]
fn bad_publishes_and_lookups_have_distinct_errors() {
    let root = tempfile::tempdir().unwrap();
    let reg = root.path().join("reg");
    bad_publishes_are_refused(root.path(), reg.to_str().unwrap(), "acme");
}

#[test]
fn concurrent_publishes_and_adds() {
    let root = tempfile::tempdir().unwrap();
    let reg = root.path().join("reg");
    concurrency(root.path(), &format!("file://{}", reg.display()), "acme");
}

#[test]
fn registry_comes_from_the_project_file_or_the_user_config() {
    let root = tempfile::tempdir().unwrap();
    let reg = root.path().join("reg");
    let env = Env::new(root.path(), "p");
    env.ok(&[
        "plugin",
        "publish",
        wasm("dice").to_str().unwrap(),
        "--registry",
        reg.to_str().unwrap(),
        "--name",
        "acme:dice",
        "--version",
        "1.0.0",
    ]);
    // No registry anywhere: a usage error saying where to set one.
    let err = env.fails(2, &["plugin", "add", "acme:dice"]);
    assert!(err.contains("no registry given"), "{err}");
    // The user config (MILVUS_INGEST_HOME/config.toml).
    std::fs::write(
        env.home.join("config.toml"),
        format!("registry = {:?}\n", reg.to_str().unwrap()),
    )
    .unwrap();
    let out = env.ok(&["plugin", "add", "acme:dice"]);
    assert!(out.contains("acme:dice@1.0.0"), "{out}");
    // add without a requirement records ^ the newest version; the project file now names the
    // registry, so the config is not needed any more.
    let project = std::fs::read_to_string(env.dir.join("milvus-ingest.toml")).unwrap();
    assert!(project.contains("\"acme:dice\" = \"^1.0.0\""), "{project}");
    std::fs::remove_file(env.home.join("config.toml")).unwrap();
    std::fs::write(
        env.dir.join("milvus-ingest.toml"),
        format!("registry = {:?}\n{}", reg.to_str().unwrap(), project),
    )
    .unwrap();
    env.ok(&["plugin", "verify"]);
    // A package the project does not list yet, used by generate, is recorded in both files.
    let geo = wasm("geo_gen");
    env.ok(&[
        "plugin",
        "publish",
        geo.to_str().unwrap(),
        "--registry",
        reg.to_str().unwrap(),
        "--name",
        "acme:geo",
        "--version",
        "0.1.0",
    ]);
    env.dice_schema();
    env.generate(&["--plugin", "acme:dice@^1", "--plugin", "acme:geo@0.1"]);
    let project = std::fs::read_to_string(env.dir.join("milvus-ingest.toml")).unwrap();
    assert!(project.contains("\"acme:geo\" = \"^0.1\""), "{project}");
    assert_eq!(env.lock()["plugin"].as_array().unwrap().len(), 2);
    env.ok(&["plugin", "verify"]);
    // A broken project file names the file and the problem.
    std::fs::write(
        env.dir.join("milvus-ingest.toml"),
        "[plugins]\n\"acme:dice\" = \"^^1\"\n",
    )
    .unwrap();
    let err = env.fails(2, &["plugin", "verify"]);
    assert!(
        err.contains("milvus-ingest.toml") && err.contains("acme:dice"),
        "{err}"
    );
}
