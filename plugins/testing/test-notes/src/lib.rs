//! A small well-behaved sync handler, collection type `test_notes`, for end-to-end tests of a
//! handler given with `--plugin`. Source: MongoDB `test.notes` documents
//! `{_id, text, vector, updated_at, deleted?}`; `deleted: true` deletes the entity.
//! Params: `dim` (default 4).

use milvus_ingest_sdk::serde_json::{Map, Value, json};
use milvus_ingest_sdk::*;

pub struct TestNotes;

fn id_of(doc: &Map<String, Value>) -> Option<String> {
    match doc.get("_id")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("$oid")?.as_str().map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn millis(v: Option<&Value>) -> i64 {
    match v.and_then(|v| v.get("$date")) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::Object(o)) => o
            .get("$numberLong")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

impl SyncHandler for TestNotes {
    fn info(params: &Params) -> Result<SyncInfo, String> {
        params.check_known(&["dim", "tenant_id"])?;
        let dim = params.positive_u32("dim", 4)?;
        let schema = json!({"collection_name": "test_notes", "enable_dynamic_field": false, "fields": [
            {"name": "id", "type": "VarChar", "max_length": 64, "is_primary": true},
            {"name": "vector", "type": "FloatVector", "dim": dim,
             "index": {"index_type": "FLAT", "metric_type": "L2"}},
            {"name": "text", "type": "VarChar", "max_length": 256},
            {"name": "updated_at", "type": "Int64"}]});
        Ok(SyncInfo {
            name: "test-notes".into(),
            version: "0.1.0".into(),
            description: "test handler: MongoDB test.notes -> Milvus test_notes".into(),
            handlers: vec![HandlerInfo {
                collection_type: "test_notes".into(),
                description: "notes with a small vector; `deleted: true` deletes".into(),
                naming: Naming {
                    base_name: "test_notes".into(),
                    tenant_prefix: TenantPrefix::Optional,
                    default_name: "test_notes".into(),
                },
                milvus_schema: schema.to_string(),
                index_params: json!({"vector": {"index_type": "FLAT", "metric_type": "L2"}})
                    .to_string(),
                source: MongoSource {
                    database: "test".into(),
                    collection: "notes".into(),
                    time_field: "updated_at".into(),
                },
                primary_key: "id".into(),
                dim: Some(dim),
                embedding: Some(Embedding {
                    text_fields: vec!["text".into()],
                    vector_field: "vector".into(),
                    model_field: "vector_model".into(),
                    dim,
                }),
            }],
        })
    }

    fn convert(
        ty: &str,
        params: &Params,
        documents: &[milvus_ingest_sdk::Document<'_>],
    ) -> Result<ConvertResult, String> {
        if ty != "test_notes" {
            return Err(format!("this handler serves `test_notes`, not `{ty}`"));
        }
        let dim = params.positive_u32("dim", 4)? as usize;
        let mut out = ConvertResult::default();
        for (i, d) in documents.iter().enumerate() {
            let index = i as u32;
            let doc = match d.deserialize::<Value>() {
                Ok(Value::Object(m)) => m,
                _ => {
                    out.skipped.push(Skip {
                        index,
                        id: String::new(),
                        reason: "not a JSON object".into(),
                    });
                    continue;
                }
            };
            let Some(id) = id_of(&doc) else {
                out.skipped.push(Skip {
                    index,
                    id: String::new(),
                    reason: "no _id".into(),
                });
                continue;
            };
            if doc.get("deleted") == Some(&Value::Bool(true)) {
                out.deletes.push(Delete { index, id });
                continue;
            }
            let vector: Vec<f64> = doc
                .get("vector")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            if vector.len() != dim {
                let reason = format!("vector has {} dimensions, expected {dim}", vector.len());
                out.skipped.push(Skip { index, id, reason });
                continue;
            }
            let text = doc.get("text").and_then(Value::as_str).unwrap_or("");
            let row = json!({"id": id, "vector": vector, "text": text,
                             "updated_at": millis(doc.get("updated_at"))});
            out.entities.push(Entity::new(index, row));
        }
        Ok(out)
    }
}

export_sync_handler!(TestNotes);
