//! A deliberately bad sync handler for the host's tests. Each collection type breaks one rule
//! when a document contains the marker the type names; other documents convert normally. The
//! host must stop with an error naming the plugin, `convert` and the document.

use milvus_ingest_sdk::serde_json::{Value, json};
use milvus_ingest_sdk::*;

pub struct MisbehaveSync;

const TYPES: &[&str] = &[
    "trap_on_boom",
    "loop_on_loop",
    "not_an_object_on_bad",
    "lose_last",
    "twice_first",
    "error_always",
    "vanishes_with_params",
    "vector_twice_on_twice",
];

fn info(collection_type: &str) -> HandlerInfo {
    let schema = json!({"collection_name": collection_type, "fields": [
        {"name": "id", "type": "VarChar", "max_length": 64, "is_primary": true},
        {"name": "vector", "type": "FloatVector", "dim": 2}]});
    HandlerInfo {
        collection_type: collection_type.into(),
        description: "misbehaves".into(),
        naming: Naming {
            base_name: collection_type.into(),
            tenant_prefix: TenantPrefix::None,
            default_name: collection_type.into(),
        },
        milvus_schema: schema.to_string(),
        index_params: "{}".into(),
        source: MongoSource {
            database: "test".into(),
            collection: collection_type.into(),
            time_field: "updated_at".into(),
        },
        primary_key: "id".into(),
        dim: Some(2),
        embedding: None,
    }
}

impl SyncHandler for MisbehaveSync {
    fn info(params: &Params) -> Result<SyncInfo, String> {
        let types = TYPES
            .iter()
            .filter(|t| params.0.is_empty() || **t != "vanishes_with_params");
        Ok(SyncInfo {
            name: "misbehave-sync".into(),
            version: "0.0.0".into(),
            description: "breaks the sync rules on purpose".into(),
            handlers: types.map(|t| info(t)).collect(),
        })
    }

    fn convert(
        ty: &str,
        _params: &Params,
        documents: &[milvus_ingest_sdk::Document<'_>],
    ) -> Result<ConvertResult, String> {
        let mut out = ConvertResult::default();
        if ty == "error_always" {
            return Err("cannot convert anything".into());
        }
        for (i, d) in documents.iter().enumerate() {
            let index = i as u32;
            let v: Value = d.to_json().unwrap_or(Value::Null);
            let id = v["_id"].as_str().unwrap_or("").to_string();
            // The markers are in the document's text values.
            let d = v.to_string();
            match ty {
                "trap_on_boom" if d.contains("boom") => panic!("boom in document {id}"),
                "loop_on_loop" if d.contains("loop") => {
                    let mut x = 0u64;
                    loop {
                        x = std::hint::black_box(x.wrapping_add(1));
                    }
                }
                "not_an_object_on_bad" if d.contains("bad") => {
                    out.entities.push(Entity::new(index, json!([1, 2])));
                    continue;
                }
                "vector_twice_on_twice" if d.contains("twice") => {
                    // The vector both as a float32 list and (moved by the SDK) from the row.
                    out.entities.push(Entity {
                        index,
                        row: json!({"id": id, "vector": [0.5, 0.5]}),
                        float_vectors: vec![("vector".into(), vec![0.5, 0.5])],
                    });
                    continue;
                }
                "lose_last" if i + 1 == documents.len() => continue,
                _ => {}
            }
            out.entities
                .push(Entity::new(index, json!({"id": id, "vector": [0.5, 0.5]})));
            if ty == "twice_first" && i == 0 {
                out.skipped.push(Skip {
                    index,
                    id: String::new(),
                    reason: "again".into(),
                });
            }
        }
        Ok(out)
    }
}

export_sync_handler!(MisbehaveSync);
