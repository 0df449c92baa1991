//! Deliberately bad guests: each must end in its documented error, within the limits, and
//! leave no output file.

mod support;

use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use milvus_ingest::generate::{ChunkRequest, GenerateError};
use milvus_ingest::plugin::{PluginError, PluginHost, PluginLimits};
use milvus_ingest::schema::{DataType, Field, PluginRef, SchemaFormat, parse_schema};
use serde_json::json;
use support::*;

fn field(name: &str, t: DataType) -> Field {
    Field {
        max_length: Some(100),
        dim: t.is_vector().then_some(8),
        ..Field::new(name, t)
    }
}

/// Runs misbehave's `generator` for one chunk of `f` and returns the error text.
fn fail(host: &PluginHost, generator: &str, f: &Field) -> String {
    let r = PluginRef {
        plugin: "misbehave".into(),
        name: generator.into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let g = host.resolve_generator(&r, f).unwrap();
    let req = ChunkRequest {
        chunk_index: 0,
        first_row: 0,
        rows: 1024,
    };
    match g.generate(&req) {
        Err(e @ GenerateError::Plugin { .. }) => {
            let text = e.to_string();
            let head = format!(
                "plugin `misbehave`, function `generate({generator})`, field `{}`: ",
                f.name
            );
            assert!(text.starts_with(&head), "{text}");
            text
        }
        other => panic!("{generator}: expected a plugin error, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline() {
    let (host, _c) = host_with(limits(256, 500), 0, &["misbehave"]);
    let start = Instant::now();
    let err = fail(&host, "infinite-loop", &field("t", DataType::VarChar));
    assert!(
        err.contains("timed out") && err.contains("0.5 s") && err.contains("--plugin-timeout"),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_memory_hog_hits_the_memory_limit() {
    let (host, _c) = host_with(limits(64, 10_000), 0, &["misbehave"]);
    let start = Instant::now();
    let err = fail(&host, "memory-hog", &field("t", DataType::VarChar));
    assert!(
        err.contains("memory limit of 64 MiB") && err.contains("--plugin-memory"),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn traps_and_bad_columns_are_named() {
    let (host, _c) = host(0, &["misbehave"]);
    let text = field("t", DataType::VarChar);
    let err = fail(&host, "trap", &text);
    assert!(
        err.contains("trapped") && err.contains("deliberate failure at row 0"),
        "{err}"
    );
    let err = fail(&host, "wrong-length", &text);
    assert!(err.contains("returned 1023 values for 1024 rows"), "{err}");
    let err = fail(&host, "wrong-type", &text);
    assert!(
        err.contains("scalar(i64s)") && err.contains("needs scalar(strings)"),
        "{err}"
    );
    let err = fail(&host, "wrong-type", &field("v", DataType::FloatVector));
    assert!(err.contains("needs float-vectors"), "{err}");
    let err = fail(&host, "wrong-dim", &field("v", DataType::FloatVector));
    assert!(
        err.contains("dimension 3") && err.contains("dim 8"),
        "{err}"
    );
    let err = fail(&host, "nulls-in-required", &text);
    assert!(err.contains("not nullable"), "{err}");
    let err = fail(&host, "too-long", &text);
    assert!(err.contains("20000 bytes, max_length is 100"), "{err}");
    // The host survives failed calls: a good call still works afterwards.
    let r = PluginRef {
        plugin: "misbehave".into(),
        name: "wrong-length".into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let req = ChunkRequest {
        chunk_index: 0,
        first_row: 0,
        rows: 1,
    };
    assert!(
        host.resolve_generator(&r, &text)
            .unwrap()
            .generate(&req)
            .is_err()
    );
}

#[test]
fn the_sandbox_has_no_files_env_or_real_clock() {
    let (host, _c) = host(0, &["misbehave"]);
    let err = fail(&host, "file-access", &field("t", DataType::VarChar));
    assert!(err.contains("could not read /etc/passwd"), "{err}");

    let r = PluginRef {
        plugin: "misbehave".into(),
        name: "env-and-clock".into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let f = Field {
        max_length: Some(1000),
        ..Field::new("t", DataType::VarChar)
    };
    let req = ChunkRequest {
        chunk_index: 0,
        first_row: 0,
        rows: 2,
    };
    let col = host
        .resolve_generator(&r, &f)
        .unwrap()
        .generate(&req)
        .unwrap();
    assert_eq!(
        col.as_string::<i32>().value(0),
        "env=[] now=1735689600 args=0"
    );
}

#[test]
fn guest_entropy_is_deterministic_per_chunk() {
    let r = PluginRef {
        plugin: "misbehave".into(),
        name: "entropy".into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let f = Field {
        max_length: Some(1000),
        ..Field::new("t", DataType::VarChar)
    };
    let run = |seed: u64, chunks: &[u64]| {
        let (host, _c) = host(seed, &["misbehave"]);
        let g = host.resolve_generator(&r, &f).unwrap();
        chunks
            .iter()
            .map(|c| {
                let req = ChunkRequest {
                    chunk_index: *c,
                    first_row: c * 1024,
                    rows: 1,
                };
                g.generate(&req)
                    .unwrap()
                    .as_string::<i32>()
                    .value(0)
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    // Chunk 5 alone, and chunk 5 after other chunks ran on the same instance.
    let alone = run(9, &[5]);
    let after = run(9, &[1, 2, 5]);
    assert_eq!(alone[0], after[2]);
    assert_ne!(alone[0], run(10, &[5])[0]);
}

#[test]
fn an_incompatible_interface_version_is_refused_with_the_accepted_ones() {
    let host = PluginHost::with_cache_dir(PluginLimits::default(), 0, None).unwrap();
    let err = host.load(&wasm("future_interface")).err().unwrap();
    assert!(
        matches!(err, PluginError::IncompatibleVersion { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("interface version 1.0.0") && text.contains("accepts 0.2.0"),
        "{text}"
    );
}

#[test]
fn files_that_are_not_components_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let host = PluginHost::with_cache_dir(PluginLimits::default(), 0, None).unwrap();
    // The smallest core module: magic and version 1, no sections.
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let err = host.load(&core).err().unwrap();
    assert!(matches!(err, PluginError::NotAComponent { .. }), "{err:?}");
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
    let junk = dir.path().join("junk.wasm");
    std::fs::write(
        &junk,
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let err = host.load(&junk).err().unwrap().to_string();
    assert!(
        err.contains("not a WebAssembly component") && err.contains("magic"),
        "{err}"
    );
    let err = host.load(&dir.path().join("missing.wasm")).err().unwrap();
    assert!(matches!(err, PluginError::Read { .. }), "{err:?}");
}

#[test]
fn a_bad_guest_mid_run_leaves_no_output_file() {
    for (generator, lim) in [
        ("infinite-loop", limits(256, 300)),
        ("memory-hog", limits(32, 10_000)),
        ("trap", PluginLimits::default()),
        ("wrong-length", PluginLimits::default()),
    ] {
        let schema = parse_schema(
            &json!({"collection_name": "bad", "fields": [
                {"name": "id", "type": "Int64", "is_primary": true, "auto_id": true},
                {"name": "v", "type": "FloatVector", "dim": 8,
                 "generator": {"plugin": "bench-gen", "name": "unit-vectors"}},
                {"name": "ok", "type": "VarChar", "max_length": 50,
                 "generator": {"plugin": "text-gen", "name": "sentence"}},
                {"name": "bad", "type": "VarChar", "max_length": 50,
                 "generator": {"plugin": "misbehave", "name": generator}}]})
            .to_string(),
            SchemaFormat::Json,
            "test",
        )
        .unwrap();
        let (host, _c) = host_with(lim, 0, &["text_gen", "bench_gen", "misbehave"]);
        let dir = tempfile::tempdir().unwrap();
        let err = write_parquet(&schema, &host, dir.path(), 2048, 2)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("plugin `misbehave`") && err.contains("field `bad`"),
            "{err}"
        );
        assert!(
            entries(dir.path()).is_empty(),
            "{generator}: {:?}",
            entries(dir.path())
        );
    }
}
