//! A sync handler built against interface 0.2.0 (kept prebuilt in tests/data/v0_2, the last
//! 0.2.0 build of the shipped `episodic_memory` handler) still loads and converts exactly as
//! the 0.3.0 build does: the host writes it relaxed Extended JSON text and reads its vectors
//! from the JSON row, while the 0.3.0 build gets BSON and answers with float32 lists.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use bson::{Bson, RawDocumentBuf, doc, oid::ObjectId};
use milvus_ingest::plugin::{Converted, Documents, PluginHost, World};
use milvus_ingest::sync::handlers::resolve_handler;

fn host() -> (PluginHost, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::with_cache_dir(Default::default(), 0, Some(cache.path().to_path_buf()))
        .unwrap();
    (host, cache)
}

fn documents() -> Vec<RawDocumentBuf> {
    let vector = |dim: usize, bad: Option<f64>| -> Bson {
        let mut v: Vec<Bson> = (0..dim)
            .map(|i| Bson::Double(((i * 2_654_435_761) % 1_000_003) as f64 / 1_000_003.0 - 0.5))
            .collect();
        if let Some(x) = bad {
            v[3] = Bson::Double(x);
        }
        Bson::Array(v)
    };
    let at = bson::DateTime::from_millis(1_775_629_800_000);
    let base = |n: u8, vector: Bson| {
        doc! {"_id": ObjectId::from_bytes([n; 12]), "user_id": "user_1001", "user_name": "张伟",
        "group_id": Bson::Null, "timestamp": at, "participants": ["张伟", "李娜"],
        "summary": "张伟和李娜商定将产品发布会推迟到4月20日", "subject": "产品发布会筹备",
        "episode": "张".repeat(3000), "type": "Conversation", "keywords": ["发布会"],
        "extend": {"memory_type": "episodic_memory", "ori_event_id": Bson::Null, "tags": 3_i64},
        "vector": vector, "vector_model": "Qwen/Qwen3-Embedding-4B",
        "created_at": bson::DateTime::from_millis(1_775_629_872_345)}
    };
    let mut no_summary = base(5, vector(1024, None));
    no_summary.remove("summary");
    [
        base(1, vector(1024, None)),
        base(2, vector(768, None)),
        base(3, vector(1024, Some(f64::NAN))),
        base(4, vector(1024, Some(1e300))),
        no_summary,
        base(6, Bson::Array(vec![])),
        base(7, vector(1024, None)),
    ]
    .iter()
    .map(|d| RawDocumentBuf::from_document(d).unwrap())
    .collect()
}

/// Entities as whole JSON objects and skips, comparable across versions: the vector as the
/// float32 values Milvus stores (the 0.2 build wrote float32's shortest text, which the host
/// reads as a float64 near it; the 0.3 build sends the float32 itself).
type Comparable = (
    Vec<(usize, serde_json::Value)>,
    Vec<(usize, String, String)>,
);

fn comparable(out: &Converted) -> Comparable {
    (
        out.entities
            .iter()
            .map(|e| {
                let mut row = e.to_json();
                if let Some(serde_json::Value::Array(v)) = row.get_mut("vector") {
                    for x in v.iter_mut() {
                        *x = serde_json::json!((x.as_f64().unwrap() as f32).to_bits());
                    }
                }
                (e.index, serde_json::Value::Object(row))
            })
            .collect(),
        out.skipped
            .iter()
            .map(|s| (s.index, s.id.clone(), s.reason.clone()))
            .collect(),
    )
}

#[test]
fn the_0_2_build_converts_exactly_as_the_0_3_build() {
    let (old_host, _a) = host();
    let old = old_host
        .load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v0_2/episodic_memory.wasm"))
        .unwrap();
    assert_eq!(
        (old.info().world, old.info().interface_version.as_str()),
        (World::SyncHandler, "0.2.0")
    );
    let old = old_host.sync_handler("episodic_memory").unwrap();
    let (new_host, _b) = host();
    let new = resolve_handler(&new_host, &[], "episodic_memory", &BTreeMap::new())
        .unwrap()
        .handler;
    assert_eq!(new.plugin().info().interface_version, "0.3.0");

    let raw = documents();
    let refs: Vec<&bson::RawDocument> = raw.iter().map(|d| &**d).collect();
    let from_old = old.convert(Documents::Raw(&refs)).unwrap();
    let from_new = new.convert(Documents::Raw(&refs)).unwrap();
    let (a, b) = (comparable(&from_old), comparable(&from_new));
    for ((i, x), (_, y)) in a.0.iter().zip(&b.0) {
        for (k, v) in x.as_object().unwrap() {
            assert!(y[k] == *v, "entity {i}, field `{k}` differs");
        }
    }
    assert!(a == b, "the 0.2 and 0.3 builds differ");
    let (entities, skipped) = comparable(&from_new);
    assert_eq!(
        entities.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [0, 6],
        "{skipped:?}"
    );
    assert_eq!(skipped.len(), 5);
    // The 0.3 build sends the vector as float32, outside the JSON row.
    let e = &from_new.entities[0];
    assert!(!e.row.contains_key("vector"));
    assert_eq!(e.float_vectors.len(), 1);
    assert_eq!(e.float_vectors[0].0, "vector");
    assert_eq!(e.float_vectors[0].1.len(), 1024);
    assert!(from_old.entities[0].float_vectors.is_empty());

    // Text documents reach the 0.3 build as BSON, with the same result.
    let texts: Vec<String> = raw
        .iter()
        .map(|d| {
            let doc = d.to_document().unwrap();
            Bson::Document(doc).into_relaxed_extjson().to_string()
        })
        .collect();
    let by_text = new.convert(Documents::Text(&texts)).unwrap();
    assert!(
        comparable(&by_text) == comparable(&from_new),
        "text and BSON differ"
    );
}
