//! Collection lifecycle over RPC: create (or reuse after comparing schemas, or drop and
//! recreate), build indexes, load and wait until loaded, flush.
//!
//! Nothing is changed on the server until every check has passed, so a refused run leaves an
//! existing collection exactly as it was.

use std::time::{Duration, Instant};

use ::milvus::proto::common::{ConsistencyLevel, LoadState};
use ::milvus::proto::milvus::{
    CreateCollectionRequest, DescribeCollectionRequest, DescribeIndexRequest,
    DropCollectionRequest, FlushRequest, GetFlushStateRequest, GetLoadStateRequest,
    GetLoadingProgressRequest, LoadCollectionRequest,
};
use ::milvus::proto::schema::CollectionSchema;
use prost::Message;

use super::client::Client;
use super::ddl::{IndexPlan, check_support, collection_schema, differences, index_plans};
use super::error::{MilvusError, Result};
use crate::schema::Schema;

/// What to do about the collection before inserting.
#[derive(Debug, Clone)]
pub struct CollectionOptions {
    pub name: String,
    pub drop_if_exists: bool,
    /// Physical partitions for a partition-key collection.
    pub partitions: Option<u32>,
    pub shards: Option<u32>,
    pub use_autoindex: bool,
    pub load_timeout: Duration,
}

impl CollectionOptions {
    pub fn new(name: impl Into<String>) -> CollectionOptions {
        CollectionOptions {
            name: name.into(),
            drop_if_exists: false,
            partitions: None,
            shards: None,
            use_autoindex: false,
            load_timeout: Duration::from_secs(600),
        }
    }
}

/// What [`prepare`] did to the collection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prepared {
    Created,
    Recreated,
    Reused,
}

/// What [`prepare`] did, and what it had to do differently from what was asked.
#[derive(Debug, Clone)]
pub struct Preparation {
    pub how: Prepared,
    pub warnings: Vec<String>,
}

/// Makes sure a loaded collection with `schema`'s shape exists under `options.name`.
pub async fn prepare(
    client: &Client,
    schema: &Schema,
    options: &CollectionOptions,
) -> Result<Preparation> {
    check_support(schema, &client.version)?;
    let mut warnings = Vec::new();
    let degraded;
    let schema = if client.version.text.is_none()
        && schema.fields.iter().any(|f| f.is_partition_key)
    {
        // Servers without GetVersion are Milvus Lite 2.5 builds: they accept a partition key
        // but then reject every filter expression on the collection ("invalid parameter").
        warnings.push(
            "this server (Milvus Lite, no GetVersion) cannot filter partition-key collections: created without the partition key"
                .to_string(),
        );
        let mut s = schema.clone();
        for f in &mut s.fields {
            f.is_partition_key = false;
        }
        degraded = s;
        &degraded
    } else {
        schema
    };
    let options = &CollectionOptions {
        partitions: options
            .partitions
            .filter(|_| schema.fields.iter().any(|f| f.is_partition_key)),
        ..options.clone()
    };
    if options.partitions.is_some() && !schema.fields.iter().any(|f| f.is_partition_key) {
        return Err(MilvusError::Usage(format!(
            "--partitions needs a partition-key field; schema `{}` has none",
            schema.collection_name
        )));
    }
    let wanted = collection_schema(schema, &options.name);
    let exists = client.has_collection(&options.name).await?;
    let prepared = match (exists, options.drop_if_exists) {
        (true, false) => {
            let existing = describe(client, &options.name).await?;
            let diffs = differences(&wanted, &existing);
            if !diffs.is_empty() {
                return Err(MilvusError::SchemaMismatch {
                    collection: options.name.clone(),
                    differences: diffs,
                });
            }
            Prepared::Reused
        }
        (true, true) => {
            drop_collection(client, &options.name).await?;
            create(client, &wanted, options).await?;
            Prepared::Recreated
        }
        (false, _) => {
            create(client, &wanted, options).await?;
            Prepared::Created
        }
    };
    warnings.extend(create_missing_indexes(client, schema, options).await?);
    load(client, &options.name, options.load_timeout).await?;
    Ok(Preparation {
        how: prepared,
        warnings,
    })
}

/// `DescribeCollection` of `name` (a collection or an alias), its status checked: a missing
/// collection is [`MilvusError::NoCollection`], an answer without a schema an RPC error.
/// Returns the answer (with `schema` present) for callers that also need shards, aliases, ...
pub async fn describe_response(
    client: &Client,
    name: &str,
) -> Result<::milvus::proto::milvus::DescribeCollectionResponse> {
    let resp = client
        .raw()
        .describe_collection(client.request(DescribeCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: name.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DescribeCollection", s))?
        .into_inner();
    client
        .check("DescribeCollection", resp.status.as_ref())
        .map_err(|e| match e {
            MilvusError::Rpc { reason, .. }
                if reason.contains("not found")
                    || reason.contains("not exist")
                    || reason.contains("can't find") =>
            {
                MilvusError::NoCollection {
                    collection: name.to_string(),
                }
            }
            other => other,
        })?;
    if resp.schema.is_none() {
        return Err(MilvusError::Rpc {
            rpc: "DescribeCollection",
            reason: "the answer carries no schema".to_string(),
            transient: false,
        });
    }
    Ok(resp)
}

/// The schema of `name` (a collection or an alias).
pub async fn describe(client: &Client, name: &str) -> Result<CollectionSchema> {
    Ok(describe_response(client, name)
        .await?
        .schema
        .expect("describe_response checks the schema"))
}

pub async fn drop_collection(client: &Client, name: &str) -> Result<()> {
    let resp = client
        .raw()
        .drop_collection(client.request(DropCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: name.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DropCollection", s))?
        .into_inner();
    client.check("DropCollection", Some(&resp))
}

async fn create(
    client: &Client,
    wanted: &CollectionSchema,
    options: &CollectionOptions,
) -> Result<()> {
    let resp = client
        .raw()
        .create_collection(client.request(CreateCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: options.name.clone(),
            schema: wanted.encode_to_vec(),
            shards_num: options.shards.map_or(0, |s| s as i32),
            consistency_level: ConsistencyLevel::Bounded as i32,
            num_partitions: options.partitions.map_or(0, i64::from),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("CreateCollection", s))?
        .into_inner();
    client.check("CreateCollection", Some(&resp))
}

/// Fields that already carry an index (none when the server cannot say).
async fn indexed_fields(client: &Client, name: &str) -> Result<Vec<String>> {
    let resp = client
        .raw()
        .describe_index(client.request(DescribeIndexRequest {
            db_name: client.db_name.clone(),
            collection_name: name.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DescribeIndex", s))?
        .into_inner();
    // "index not found" is how a collection without indexes answers.
    if client.check("DescribeIndex", resp.status.as_ref()).is_err() {
        return Ok(Vec::new());
    }
    Ok(resp
        .index_descriptions
        .into_iter()
        .map(|d| d.field_name)
        .collect())
}

async fn create_missing_indexes(
    client: &Client,
    schema: &Schema,
    options: &CollectionOptions,
) -> Result<Vec<String>> {
    let have = indexed_fields(client, &options.name).await?;
    let mut warnings = Vec::new();
    for plan in index_plans(schema, options.use_autoindex, &client.version) {
        if have.contains(&plan.field) {
            continue;
        }
        match create_index(client, &options.name, &plan).await {
            // Milvus Lite builds only a few index types and lists them ("local mode only
            // support FLAT IVF_FLAT AUTOINDEX"): keep the metric, take AUTOINDEX or the first.
            Err(MilvusError::Rpc { reason, .. }) if supported_instead(&reason).is_some() => {
                let index_type = supported_instead(&reason).expect("checked");
                if index_type == plan.index_type {
                    return Err(MilvusError::Rpc {
                        rpc: "CreateIndex",
                        reason,
                        transient: false,
                    });
                }
                let fallback = IndexPlan {
                    index_type: index_type.clone(),
                    params: Default::default(),
                    ..plan.clone()
                };
                create_index(client, &options.name, &fallback).await?;
                warnings.push(format!(
                    "field `{}`: the server cannot build {}; used {index_type}",
                    plan.field, plan.index_type
                ));
            }
            other => other?,
        }
    }
    Ok(warnings)
}

/// The index type to use instead, from a refusal that lists what the server supports.
fn supported_instead(reason: &str) -> Option<String> {
    let (_, list) = reason.split_once("only support")?;
    let types: Vec<&str> = list
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    types
        .iter()
        .find(|t| **t == "AUTOINDEX")
        .or(types.first())
        .map(|t| t.to_string())
}

/// Creates the planned index, named after its field (one index per field here).
async fn create_index(client: &Client, collection: &str, plan: &IndexPlan) -> Result<()> {
    let request = super::admin::IndexRequest {
        field: plan.field.clone(),
        index_name: plan.field.clone(),
        index_type: plan.index_type.clone(),
        metric_type: plan.metric_type.clone(),
        params: plan.params.clone(),
    };
    super::admin::create_index(client, collection, &request).await
}

/// Loads the collection and waits until the server says it is loaded.
pub async fn load(client: &Client, name: &str, timeout: Duration) -> Result<()> {
    let resp = client
        .raw()
        .load_collection(client.request(LoadCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: name.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("LoadCollection", s))?
        .into_inner();
    client.check("LoadCollection", Some(&resp))?;
    let started = Instant::now();
    loop {
        if loaded(client, name).await? {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(MilvusError::Timeout {
                what: format!("collection `{name}` to load"),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn loaded(client: &Client, name: &str) -> Result<bool> {
    let state = client
        .raw()
        .get_load_state(client.request(GetLoadStateRequest {
            db_name: client.db_name.clone(),
            collection_name: name.to_string(),
            ..Default::default()
        }))
        .await;
    match state {
        Ok(resp) => {
            let resp = resp.into_inner();
            client.check("GetLoadState", resp.status.as_ref())?;
            Ok(resp.state == LoadState::Loaded as i32)
        }
        Err(s) if s.code() == tonic::Code::Unimplemented => {
            let resp = client
                .raw()
                .get_loading_progress(client.request(GetLoadingProgressRequest {
                    db_name: client.db_name.clone(),
                    collection_name: name.to_string(),
                    ..Default::default()
                }))
                .await
                .map_err(|s| client.grpc_error("GetLoadingProgress", s))?
                .into_inner();
            client.check("GetLoadingProgress", resp.status.as_ref())?;
            Ok(resp.progress >= 100)
        }
        Err(s) => Err(client.grpc_error("GetLoadState", s)),
    }
}

/// Seals what was inserted and waits (up to `timeout`) for it to be persisted. Called once per
/// run: Milvus 2.4+ rate-limits flush per collection.
pub async fn flush(client: &Client, name: &str, timeout: Duration) -> Result<()> {
    let resp = client
        .raw()
        .flush(client.request(FlushRequest {
            db_name: client.db_name.clone(),
            collection_names: vec![name.to_string()],
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("Flush", s))?
        .into_inner();
    client.check("Flush", resp.status.as_ref())?;
    let segments = resp
        .coll_seg_i_ds
        .get(name)
        .map(|l| l.data.clone())
        .unwrap_or_default();
    let flush_ts = resp.coll_flush_ts.get(name).copied().unwrap_or(0);
    let started = Instant::now();
    while started.elapsed() < timeout {
        let state = client
            .raw()
            .get_flush_state(client.request(GetFlushStateRequest {
                segment_i_ds: segments.clone(),
                flush_ts,
                db_name: client.db_name.clone(),
                collection_name: name.to_string(),
            }))
            .await;
        match state {
            Ok(r) => {
                let r = r.into_inner();
                if client.check("GetFlushState", r.status.as_ref()).is_err() || r.flushed {
                    return Ok(());
                }
            }
            // Servers without GetFlushState (Lite) persist synchronously.
            Err(_) => return Ok(()),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(())
}
