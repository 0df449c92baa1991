//! The shipped sync handlers (embedded in the binary) and `-c` resolution: every alias form of
//! evermemos.md section 2, params, `--plugin` precedence, listing, and conversion through the
//! real components.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use milvus_ingest::plugin::{Documents, PluginHost, World};
use milvus_ingest::schema::{SchemaFormat, parse_schema};
use milvus_ingest::sync::handlers::{HandlerError, SHIPPED, list_handlers, resolve_handler};
use serde_json::json;
use support::*;

fn new_host() -> (PluginHost, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::with_cache_dir(Default::default(), 0, Some(cache.path().to_path_buf()))
        .unwrap();
    (host, cache)
}

fn no_params() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn params(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_shipped_handler_loads_from_the_binary_and_describes_itself() {
    let (host, _c) = new_host();
    for s in SHIPPED {
        let p = s.load(&host).unwrap();
        let info = p.info();
        assert_eq!(
            (
                info.name.as_str(),
                info.world,
                info.interface_version.as_str()
            ),
            (s.plugin, World::SyncHandler, "0.3.0")
        );
        assert_eq!(info.handlers.len(), 1);
        let h = &info.handlers[0];
        assert_eq!(h.collection_type, s.collection_type);
        assert_eq!(h.naming.base_name, s.collection_type);
        assert_eq!(h.naming.tenant_prefix, s.tenant_prefix);
        assert_eq!((h.primary_key.as_str(), h.dim), ("id", Some(1024)));
        let e = h.embedding.as_ref().unwrap();
        assert_eq!(
            (e.vector_field.as_str(), e.model_field.as_str(), e.dim),
            ("vector", "vector_model", 1024)
        );
        let schema = parse_schema(&h.milvus_schema.to_string(), SchemaFormat::Json, s.file)
            .unwrap_or_else(|e| panic!("{}: {e}", s.file));
        assert_eq!(schema.fields[0].name, "id");
        assert_eq!(schema.field("vector").unwrap().dim, Some(1024));
        assert!(schema.enable_dynamic_field);
        assert_eq!(
            h.index_params["vector"],
            json!({"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}})
        );
    }
}

/// The hash `scripts/build-plugins.sh --dist` records: sha256 of the `sha256sum` lines of the
/// shipped handlers' sources, sorted bytewise.
fn sources_hash(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let e = e.unwrap();
            let rel = dir.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                if e.file_name() != "target" {
                    walk(root, &rel, out);
                }
            } else if ["rs", "toml", "wit"]
                .iter()
                .any(|x| rel.extension().is_some_and(|e| e == *x))
            {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut files = vec![
        "plugins/Cargo.toml".to_string(),
        "plugins/Cargo.lock".to_string(),
    ];
    for dir in [
        "wit/since_v0.2.0",
        "wit/since_v0.3.0",
        "plugins/sdk",
        "plugins/evermemos",
        "plugins/episodic-memory",
        "plugins/event-log",
        "plugins/foresight",
        "plugins/v1-episodic-memory",
    ] {
        walk(root, Path::new(dir), &mut files);
    }
    files.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let listing: String = files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(root.join(f)).unwrap();
            format!("{}  {f}\n", milvus_ingest::plugin::sha256_hex(&bytes))
        })
        .collect();
    milvus_ingest::plugin::sha256_hex(listing.as_bytes())
}

#[test]
fn the_embedded_handlers_are_built_from_the_current_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let recorded = std::fs::read_to_string(root.join("plugins/dist/SOURCES.sha256")).unwrap();
    assert_eq!(
        recorded.trim(),
        sources_hash(&root),
        "plugins/dist is stale: run scripts/build-plugins.sh --dist and commit plugins/dist"
    );
    for s in SHIPPED {
        let on_disk = std::fs::read(root.join("plugins/dist").join(s.file)).unwrap();
        assert!(
            on_disk == s.bytes,
            "{} differs from the embedded bytes",
            s.file
        );
    }
}

#[test]
fn every_alias_form_resolves_to_its_type() {
    let (host, _c) = new_host();
    // (-c, type, Milvus name, tenant, default Mongo database)
    let cases = [
        (
            "episodic_memory",
            "episodic_memory",
            "episodic_memory",
            None,
            "memsys",
        ),
        (
            "episodic_memory_memsys",
            "episodic_memory",
            "episodic_memory_memsys",
            None,
            "memsys",
        ),
        (
            "episodic_memory_memsys_20260410083015123456",
            "episodic_memory",
            "episodic_memory_memsys_20260410083015123456",
            None,
            "memsys",
        ),
        (
            "acme_co_episodic_memory_memsys",
            "episodic_memory",
            "acme_co_episodic_memory_memsys",
            Some("acme_co"),
            "acme_co_memsys",
        ),
        ("event_log", "event_log", "event_log", None, "memsys"),
        (
            "event_log_memsys",
            "event_log",
            "event_log_memsys",
            None,
            "memsys",
        ),
        ("foresight", "foresight", "foresight", None, "memsys"),
        (
            "foresight_memsys",
            "foresight",
            "foresight_memsys",
            None,
            "memsys",
        ),
        (
            "v1_episodic_memory",
            "v1_episodic_memory",
            "s0001_v1_episodic_memory",
            None,
            "s0001_memsys",
        ),
        (
            "t_ann_v1_episodic_memory",
            "v1_episodic_memory",
            "t_ann_v1_episodic_memory",
            Some("t_ann"),
            "t_ann_memsys",
        ),
        (
            "t_ann_v1_episodic_memory_20260521093000123456",
            "v1_episodic_memory",
            "t_ann_v1_episodic_memory_20260521093000123456",
            Some("t_ann"),
            "t_ann_memsys",
        ),
        (
            "s0001_v1_episodic_memory",
            "v1_episodic_memory",
            "s0001_v1_episodic_memory",
            Some("s0001"),
            "s0001_memsys",
        ),
    ];
    for (name, ty, milvus, tenant, db) in cases {
        let r = resolve_handler(&host, &[], name, &params(&[("dim", "8")]))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (
                r.collection_type.as_str(),
                r.collection_name.as_str(),
                r.tenant_id.as_deref()
            ),
            (ty, milvus, tenant),
            "{name}"
        );
        let d = r.handler.describe();
        assert_eq!((d.source_database.as_str(), d.dim), (db, Some(8)), "{name}");
    }
    // A tenant given as a param names the default collection.
    let r = resolve_handler(
        &host,
        &[],
        "v1_episodic_memory",
        &params(&[("tenant_id", "t_bob"), ("dim", "8")]),
    )
    .unwrap();
    assert_eq!(
        (r.collection_name.as_str(), r.tenant_id.as_deref()),
        ("t_bob_v1_episodic_memory", Some("t_bob"))
    );

    for unknown in [
        "semantic_memory",
        "episodic",
        "episodic_memoryx",
        "_event_log",
    ] {
        let err = resolve_handler(&host, &[], unknown, &no_params())
            .err()
            .unwrap();
        assert_eq!(err.exit_code(), 2);
        match &err {
            HandlerError::UnknownType { offered, .. } => assert_eq!(
                offered,
                &[
                    "episodic_memory",
                    "event_log",
                    "foresight",
                    "v1_episodic_memory"
                ]
            ),
            other => panic!("{unknown}: {other}"),
        }
        assert!(
            err.to_string()
                .contains("episodic_memory, event_log, foresight, v1_episodic_memory")
        );
    }
}

#[test]
fn handler_params_are_applied_and_checked() {
    let (host, _c) = new_host();
    let r = resolve_handler(&host, &[], "event_log", &params(&[("dim", "384")])).unwrap();
    let schema = parse_schema(
        &r.handler.describe().milvus_schema.to_string(),
        SchemaFormat::Json,
        "t",
    )
    .unwrap();
    assert_eq!(schema.field("vector").unwrap().dim, Some(384));
    assert_eq!(r.handler.describe().embedding.as_ref().unwrap().dim, 384);
    let err = resolve_handler(&host, &[], "event_log", &params(&[("dim", "x")]))
        .err()
        .unwrap();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("dim"), "{err}");
    let err = resolve_handler(
        &host,
        &[],
        "event_log",
        &params(&[("colour", "red"), ("dim", "4")]),
    )
    .err()
    .unwrap();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("colour") && err.to_string().contains("event-log"),
        "{err}"
    );
}

fn worked_doc(dim: usize) -> String {
    let mut vector = vec![json!(0.0123), json!(-0.0456)];
    vector.extend((2..dim).map(|i| json!((i as f64) / 4096.0)));
    json!({"_id": {"$oid": "6616a3f2c9e77a1b2c3d4e5f"}, "user_id": "user_1001", "user_name": "张伟",
     "group_id": null, "timestamp": {"$date": "2026-04-08T06:30:00Z"}, "participants": null,
     "summary": "张伟和李娜商定将产品发布会推迟到4月20日", "subject": "产品发布会筹备",
     "episode": "张".repeat(4000), "type": "Conversation", "keywords": ["发布会"],
     "extend": {"memory_type": "episodic_memory", "ori_event_id": null},
     "vector": vector, "vector_model": "Qwen/Qwen3-Embedding-4B",
     "created_at": {"$date": "2026-04-08T06:31:12.345Z"}, "deleted_at": null, "tenant_id": "t_ann"})
    .to_string()
}

#[test]
fn the_components_convert_skip_and_delete() {
    let (host, _c) = new_host();
    let r = resolve_handler(&host, &[], "episodic_memory_memsys", &no_params()).unwrap();
    let docs = vec![worked_doc(1024), worked_doc(768), "{".to_string()];
    let out = r.handler.convert(Documents::Text(&docs)).unwrap();
    assert_eq!(out.entities.len(), 1);
    let e = &out.entities[0].to_json();
    assert_eq!(
        (e["group_id"].clone(), e["participants"].clone()),
        (json!(""), json!([]))
    );
    assert_eq!(
        (
            e["timestamp"].clone(),
            e["created_at"].clone(),
            e["updated_at"].clone()
        ),
        (json!(1775629800), json!(1775629872), json!(0))
    );
    assert_eq!(e["episode"].as_str().unwrap().len(), 9999);
    assert!(e["search_content"].as_str().unwrap().len() <= 5000);
    assert_eq!(
        e["metadata"],
        "{\"user_name\": \"张伟\", \"title\": \"产品发布会筹备\", \"summary\": \"张伟和李娜商定将产品发布会推迟到4月20日\", \"keywords\": [\"发布会\"], \"subject\": \"产品发布会筹备\", \"extend\": {\"memory_type\": \"episodic_memory\", \"ori_event_id\": null}}"
    );
    assert_eq!(
        out.skipped[0].reason,
        "vector has 768 dimensions, expected 1024"
    );
    assert_eq!(out.skipped[0].id, "6616a3f2c9e77a1b2c3d4e5f");
    assert!(out.skipped[1].reason.starts_with("not valid JSON"));
    assert!(out.deletes.is_empty());

    let r = resolve_handler(
        &host,
        &[],
        "t_ann_v1_episodic_memory",
        &params(&[("dim", "4")]),
    )
    .unwrap();
    let deleted = worked_doc(4).replace(
        r#""deleted_at":null"#,
        r#""deleted_at":{"$date":"2026-05-01T00:00:00Z"}"#,
    );
    let out = r
        .handler
        .convert(Documents::Text(&[worked_doc(4), deleted]))
        .unwrap();
    assert_eq!(out.entities[0].row["timestamp"], 1_775_629_800_000_i64);
    assert_eq!(out.entities[0].row["tenant_id"], "t_ann");
    assert_eq!(out.deletes.len(), 1);
    assert_eq!(
        (out.deletes[0].index, out.deletes[0].id.as_str()),
        (1, "6616a3f2c9e77a1b2c3d4e5f")
    );
}

fn v0_1_episodic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v0_1/episodic_memory.wasm")
}

#[test]
fn plugins_given_with_plugin_are_listed_and_win_on_a_type_clash() {
    let (host, _c) = new_host();
    let rows = list_handlers(&host, &[wasm("test_notes")]).unwrap();
    let types: Vec<(&str, bool)> = rows
        .iter()
        .map(|r| (r.collection_type.as_str(), r.shipped))
        .collect();
    assert_eq!(
        types,
        [
            ("episodic_memory", true),
            ("event_log", true),
            ("foresight", true),
            ("test_notes", false),
            ("v1_episodic_memory", true)
        ]
    );
    let notes = &rows[3];
    assert_eq!(
        (
            notes.plugin.as_str(),
            notes.interface.as_str(),
            notes.source_collection.as_str()
        ),
        ("test-notes", "0.3.0", "notes")
    );
    let r = resolve_handler(
        &host,
        &[wasm("test_notes")],
        "tenant_a_test_notes",
        &params(&[("dim", "2")]),
    )
    .unwrap();
    assert_eq!(
        (r.collection_type.as_str(), r.tenant_id.as_deref()),
        ("test_notes", Some("tenant_a"))
    );

    // An older build of the episodic-memory plugin (0.1.0, same plugin name) replaces the shipped one.
    let (host, _c) = new_host();
    let rows = list_handlers(&host, &[v0_1_episodic()]).unwrap();
    let em = rows
        .iter()
        .find(|r| r.collection_type == "episodic_memory")
        .unwrap();
    assert_eq!((em.interface.as_str(), em.shipped), ("0.1.0", false));
    let r = resolve_handler(
        &host,
        &[v0_1_episodic()],
        "episodic_memory_memsys",
        &no_params(),
    )
    .unwrap();
    assert_eq!(r.handler.plugin().info().interface_version, "0.1.0");
    assert_eq!(r.collection_name, "episodic_memory_memsys");

    // A plugin of another world is refused.
    let (host, _c) = new_host();
    let err = resolve_handler(&host, &[wasm("text_gen")], "episodic_memory", &no_params())
        .err()
        .unwrap();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("sync-handler"), "{err}");
}
