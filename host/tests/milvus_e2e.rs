//! End-to-end: datasets inserted into and verified against the real servers started by
//! `scripts/services.sh up`. A missing service fails the test with a message saying so.

mod common;

use std::sync::Arc;

use milvus_ingest::milvus::collection::drop_collection;
use milvus_ingest::milvus::dataset::Dataset;
use milvus_ingest::milvus::insert::{InsertOptions, Silent, insert_dataset};
use milvus_ingest::milvus::query::count;
use milvus_ingest::milvus::{Client, CollectionOptions, ConnectOptions};
use milvus_ingest::schema::load_builtin;

async fn connect(var: &str) -> Client {
    let uri = common::service_uri(var);
    Client::connect(&ConnectOptions::new(uri.clone()))
        .await
        .unwrap_or_else(|e| panic!("{var}={uri}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_inserts_into_milvus_23() {
    let client = connect("MI_MILVUS23_URI").await;
    let tmp = tempfile::tempdir().unwrap();
    let schema = load_builtin("simple").unwrap();
    let dir = common::write_dataset(tmp.path(), &schema, 5000, 2);
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
    let dir = common::write_dataset(tmp.path(), &schema, 3000, 2);
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
