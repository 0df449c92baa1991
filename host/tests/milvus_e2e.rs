//! End-to-end: datasets inserted into and verified against the real servers started by
//! `scripts/services.sh up`. A missing service fails the test with a message saying so.

mod common;
mod milvus_common;

use std::sync::Arc;

use milvus_ingest::milvus::collection::drop_collection;
use milvus_ingest::milvus::dataset::Dataset;
use milvus_ingest::milvus::insert::{InsertOptions, Silent, insert_dataset};
use milvus_ingest::milvus::query::count;
use milvus_ingest::milvus::{Client, CollectionOptions, ConnectOptions};
use milvus_ingest::schema::load_builtin;

async fn connect(var: &str) -> Client {
    let uri = milvus_common::service_uri(var);
    Client::connect(&ConnectOptions::new(uri.clone()))
        .await
        .unwrap_or_else(|e| panic!("{var}={uri}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_inserts_into_milvus_23() {
    let client = connect("MI_MILVUS23_URI").await;
    let tmp = tempfile::tempdir().unwrap();
    let schema = load_builtin("simple").unwrap();
    let dir = milvus_common::write_dataset(tmp.path(), &schema, 5000, 2);
    let name = "e2e_simple_23";
    let mut options = InsertOptions::new(CollectionOptions::new(name));
    options.collection.drop_if_exists = true;
    options.batch_size = 700;
    let summary = insert_dataset(
        &client,
        Arc::new(Dataset::open(&dir).unwrap()),
        &options,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(summary.inserted, 5000);
    assert_eq!(count(&client, name).await.unwrap(), 5000);
    drop_collection(&client, name).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_inserts_into_lite_25() {
    let client = connect("MI_LITE25_URI").await;
    let tmp = tempfile::tempdir().unwrap();
    let schema = load_builtin("simple").unwrap();
    let dir = milvus_common::write_dataset(tmp.path(), &schema, 3000, 2);
    let name = "e2e_simple_25";
    let mut options = InsertOptions::new(CollectionOptions::new(name));
    options.collection.drop_if_exists = true;
    options.batch_size = 700;
    let summary = insert_dataset(
        &client,
        Arc::new(Dataset::open(&dir).unwrap()),
        &options,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(count(&client, name).await.unwrap(), 3000);
}

use milvus_ingest::milvus::verify::{VerifyLevel, VerifyOptions, verify_dataset};
use milvus_ingest::schema::Schema;

/// Generates, inserts, verifies at `full` and returns the report's text for failures.
async fn round_trip(var: &str, schema: &Schema, rows: u64, name: &str) {
    let client = connect(var).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = milvus_common::write_dataset(tmp.path(), schema, rows, 2);
    let mut options = InsertOptions::new(CollectionOptions::new(name));
    options.collection.drop_if_exists = true;
    options.batch_size = 300;
    let dataset = Arc::new(Dataset::open(&dir).unwrap());
    let summary = insert_dataset(&client, Arc::clone(&dataset), &options, &Silent)
        .await
        .unwrap_or_else(|e| panic!("{name} on {var}: {e}"));
    assert_eq!(summary.failed, 0, "{summary:?}");
    let report = verify_dataset(
        &client,
        &dataset,
        &VerifyOptions {
            collection: name.into(),
            level: VerifyLevel::Full,
            sample: 40,
        },
    )
    .await
    .unwrap();
    let text = serde_json::to_string_pretty(&report).unwrap();
    assert!(report.passed, "{name} on {var}: {text}");
    // The check must have looked at something: every data field and every sampled row.
    assert!(
        report.sampled > 0 && report.found == report.sampled,
        "{text}"
    );
    for field in schema.data_fields() {
        let checked = report
            .fields
            .iter()
            .find(|f| f.field == field.name)
            .map_or(0, |f| f.checked);
        assert!(
            checked > 0,
            "{name}: field {} not compared: {text}",
            field.name
        );
    }
    drop_collection(&client, name).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite25_vector_types_round_trip() {
    let schema: Schema = milvus_ingest::schema::parse_schema(
        r#"{"collection_name": "vectors", "enable_dynamic_field": true,
            "fields": [
              {"name": "id", "type": "VarChar", "max_length": 20, "is_primary": true},
              {"name": "f16", "type": "Float16Vector", "dim": 16, "metric_type": "L2"},
              {"name": "bf16", "type": "BFloat16Vector", "dim": 16},
              {"name": "bin", "type": "BinaryVector", "dim": 64},
              {"name": "sparse", "type": "SparseFloatVector", "dim": 500},
              {"name": "tags", "type": "Array", "element_type": "Int16", "max_capacity": 4},
              {"name": "names", "type": "Array", "element_type": "VarChar", "max_capacity": 4, "max_length": 30},
              {"name": "doc", "type": "JSON"}, {"name": "flag", "type": "Bool"}, {"name": "d", "type": "Double"},
              {"name": "i8", "type": "Int8"}, {"name": "f", "type": "Float"}
            ],
            "dynamic_fields": [{"name": "author", "type": "VarChar", "max_length": 20}]}"#,
        milvus_ingest::schema::SchemaFormat::Json,
        "test",
    )
    .unwrap();
    round_trip("MI_LITE25_URI", &schema, 1000, "e2e_vectors_25").await;
}
