//! `generate --plugin` and `plugin inspect` on the real binary.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;
use support::{entries, wasm};

fn cli(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_milvus-ingest"))
        .args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join("home"))
        .output()
        .unwrap()
}

fn write_schema(dir: &Path, fields: serde_json::Value) {
    let schema = json!({"collection_name": "plugin_cli", "fields": fields});
    std::fs::write(dir.join("s.json"), schema.to_string()).unwrap();
}

#[test]
fn generate_with_every_shipped_generator_is_identical_for_one_and_two_workers() {
    let dir = tempfile::tempdir().unwrap();
    write_schema(
        dir.path(),
        json!([
            {"name": "id", "type": "Int64", "is_primary": true, "auto_id": true},
            {"name": "body", "type": "VarChar", "max_length": 400,
             "generator": {"plugin": "text-gen", "name": "paragraph", "params": {"min_bytes": 80}}},
            {"name": "loc", "type": "Array", "element_type": "Double", "max_capacity": 2,
             "generator": {"plugin": "geo-gen", "name": "point"}},
            {"name": "vec", "type": "FloatVector", "dim": 16,
             "validators": [{"plugin": "vector-check", "name": "norm"}]}
        ]),
    );
    let (t, g, v) = (wasm("text_gen"), wasm("geo_gen"), wasm("vector_check"));
    let run = |out: &str, workers: &str| {
        let o = cli(
            &[
                "generate",
                "--schema",
                "s.json",
                "-r",
                "4000",
                "--out",
                out,
                "--workers",
                workers,
                "--no-progress",
                "--plugin",
                t.to_str().unwrap(),
                "--plugin",
                g.to_str().unwrap(),
                "--plugin",
                v.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(dir.path().join(out).join("data.parquet")).unwrap()
    };
    assert_eq!(run("one", "1"), run("two", "2"));
}

#[test]
fn a_looping_plugin_fails_the_run_within_the_timeout_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_schema(
        dir.path(),
        json!([
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "t", "type": "VarChar", "max_length": 50,
             "generator": {"plugin": "misbehave", "name": "infinite-loop"}},
            {"name": "vec", "type": "FloatVector", "dim": 4}
        ]),
    );
    let m = wasm("misbehave");
    let start = std::time::Instant::now();
    let o = cli(
        &[
            "generate",
            "--schema",
            "s.json",
            "-r",
            "3000",
            "--out",
            "out",
            "--no-progress",
            "--plugin",
            m.to_str().unwrap(),
            "--plugin-timeout",
            "0.5",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "plugin `misbehave`, function `generate(infinite-loop)`, field `t`: timed out"
        ),
        "{err}"
    );
    assert!(start.elapsed().as_secs() < 10);
    assert!(
        !dir.path().join("out").exists(),
        "{:?}",
        entries(dir.path())
    );

    // A plugin the schema needs but the command line does not load is a usage error.
    let o = cli(
        &[
            "generate", "--schema", "s.json", "-r", "10", "--out", "out2",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--plugin PATH"));
}

#[test]
fn plugin_inspect_prints_text_and_json_and_refuses_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let t = wasm("text_gen");
    let o = cli(&["plugin", "inspect", t.to_str().unwrap()], dir.path());
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("world:             field-generator")
            && text.contains("interface version: 0.2.0"),
        "{text}"
    );
    let o = cli(
        &["--output", "json", "plugin", "inspect", t.to_str().unwrap()],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "text-gen");
    assert_eq!(
        v["exports"][0],
        "milvus-ingest:plugin/field-generation@0.2.0"
    );

    let f = wasm("future_interface");
    let o = cli(&["plugin", "inspect", f.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("accepts 0.2.0"));
    std::fs::write(dir.path().join("x.wasm"), b"not wasm at all").unwrap();
    let o = cli(&["plugin", "inspect", "x.wasm"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a WebAssembly component"));
}
