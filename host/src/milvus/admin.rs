//! Collection administration a rebuild needs beyond `collection.rs`: the full description of a
//! collection (shards, partitions, consistency), creating one with exactly those settings,
//! named indexes with their build state, waiting for every index to finish (or fail), release,
//! and the list of collections.

use std::time::{Duration, Instant};

use ::milvus::proto::common::{IndexState, KeyValuePair};
use ::milvus::proto::milvus::{
    CreateCollectionRequest, CreateIndexRequest, DescribeIndexRequest, ReleaseCollectionRequest,
    RenameCollectionRequest, ShowCollectionsRequest,
};
use ::milvus::proto::schema::CollectionSchema;
use prost::Message;
use serde_json::{Map, Value};

use super::client::Client;
use super::error::{MilvusError, Result};

/// What `DescribeCollection` says about a collection.
#[derive(Debug, Clone)]
pub struct CollectionInfo {
    /// The real name (never an alias).
    pub name: String,
    pub schema: CollectionSchema,
    pub shards: i32,
    /// Physical partitions of a partition-key collection (0 when the server does not say).
    pub num_partitions: i64,
    /// `common.ConsistencyLevel` as its number.
    pub consistency_level: i32,
    pub aliases: Vec<String>,
}

/// Describes `name` (a collection or an alias).
pub async fn describe_info(client: &Client, name: &str) -> Result<CollectionInfo> {
    let mut resp = super::collection::describe_response(client, name).await?;
    let schema = resp
        .schema
        .take()
        .expect("describe_response checks the schema");
    let real = [schema.name.as_str(), resp.collection_name.as_str()]
        .into_iter()
        .find(|n| !n.is_empty())
        .unwrap_or(name)
        .to_string();
    Ok(CollectionInfo {
        name: real,
        schema,
        shards: resp.shards_num,
        num_partitions: resp.num_partitions,
        consistency_level: resp.consistency_level,
        aliases: resp.aliases,
    })
}

/// Settings of a collection to create.
#[derive(Debug, Clone, Default)]
pub struct NewCollection {
    pub name: String,
    pub schema: CollectionSchema,
    /// 0: the server's default.
    pub shards: i32,
    /// 0: the server's default (only meaningful with a partition key).
    pub num_partitions: i64,
    pub consistency_level: i32,
}

/// Creates a collection with exactly these settings.
pub async fn create_collection(client: &Client, new: &NewCollection) -> Result<()> {
    let mut schema = new.schema.clone();
    schema.name = new.name.clone();
    let resp = client
        .raw()
        .create_collection(client.request(CreateCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: new.name.clone(),
            schema: schema.encode_to_vec(),
            shards_num: new.shards,
            consistency_level: new.consistency_level,
            num_partitions: new.num_partitions,
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("CreateCollection", s))?
        .into_inner();
    client.check("CreateCollection", Some(&resp))
}

/// One index of a collection, as `DescribeIndex` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexInfo {
    pub index_name: String,
    pub field: String,
    pub index_type: String,
    pub metric_type: Option<String>,
    pub params: Map<String, Value>,
    pub indexed_rows: i64,
    pub total_rows: i64,
    pub pending_rows: i64,
    /// `Finished`, `InProgress`, `Failed`, ...
    pub state: String,
    pub fail_reason: String,
}

/// A parameter value as JSON: numbers and booleans typed, anything else a string.
fn typed(text: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| v.is_number() || v.is_boolean())
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// Splits `DescribeIndex` params into (index type, metric, build params). Servers send the
/// build params as one JSON text under `params` (2.3+) or as separate keys (older).
pub fn split_index_params(params: &[KeyValuePair]) -> (String, Option<String>, Map<String, Value>) {
    let mut index_type = String::new();
    let mut metric = None;
    let mut out = Map::new();
    for p in params {
        match p.key.as_str() {
            "index_type" => index_type = p.value.clone(),
            "metric_type" => metric = Some(p.value.clone()),
            "params" => {
                if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&p.value) {
                    out.extend(m);
                }
            }
            // Server bookkeeping, not build parameters.
            "mmap.enabled" | "index_name" => {}
            key => {
                out.insert(key.to_string(), typed(&p.value));
            }
        }
    }
    (index_type, metric, out)
}

/// Every index of `collection` (empty when it has none).
pub async fn indexes(client: &Client, collection: &str) -> Result<Vec<IndexInfo>> {
    let resp = client
        .raw()
        .describe_index(client.request(DescribeIndexRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DescribeIndex", s))?
        .into_inner();
    if let Err(e) = client.check("DescribeIndex", resp.status.as_ref()) {
        // "index not found" is how a collection without indexes answers.
        return match e {
            MilvusError::Rpc { ref reason, .. } if reason.to_ascii_lowercase().contains("not") => {
                Ok(Vec::new())
            }
            other => Err(other),
        };
    }
    Ok(resp
        .index_descriptions
        .into_iter()
        .map(|d| {
            let (index_type, metric_type, params) = split_index_params(&d.params);
            IndexInfo {
                index_name: d.index_name,
                field: d.field_name,
                index_type,
                metric_type,
                params,
                indexed_rows: d.indexed_rows,
                total_rows: d.total_rows,
                pending_rows: d.pending_index_rows,
                state: IndexState::try_from(d.state)
                    .map(|s| s.as_str_name().to_string())
                    .unwrap_or_else(|_| format!("state {}", d.state)),
                fail_reason: d.index_state_fail_reason,
            }
        })
        .collect())
}

/// One index to create.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndexRequest {
    pub field: String,
    pub index_name: String,
    pub index_type: String,
    pub metric_type: Option<String>,
    pub params: Map<String, Value>,
}

/// Creates one index; the error names the field, the type and the server's reason.
pub async fn create_index(client: &Client, collection: &str, index: &IndexRequest) -> Result<()> {
    let kv = |k: &str, v: String| KeyValuePair {
        key: k.to_string(),
        value: v,
    };
    let mut extra = vec![kv("index_type", index.index_type.clone())];
    if let Some(m) = &index.metric_type {
        extra.push(kv("metric_type", m.clone()));
    }
    extra.push(kv(
        "params",
        Value::Object(index.params.clone()).to_string(),
    ));
    let resp = client
        .raw()
        .create_index(client.request(CreateIndexRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            field_name: index.field.clone(),
            extra_params: extra,
            index_name: index.index_name.clone(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("CreateIndex", s))?
        .into_inner();
    client
        .check("CreateIndex", Some(&resp))
        .map_err(|e| match e {
            MilvusError::Rpc { reason, .. } => MilvusError::Rpc {
                rpc: "CreateIndex",
                reason: format!(
                    "field `{}`, {} {}: {reason}",
                    index.field,
                    index.index_type,
                    index.metric_type.as_deref().unwrap_or("")
                ),
                transient: false,
            },
            other => other,
        })
}

/// Waits until every index of `collection` has indexed every flushed row. A failed build is an
/// error naming the index and the server's reason.
pub async fn wait_indexes(client: &Client, collection: &str, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        let all = indexes(client, collection).await?;
        if let Some(failed) = all.iter().find(|i| i.state == "Failed") {
            return Err(MilvusError::Rpc {
                rpc: "DescribeIndex",
                reason: format!(
                    "building index `{}` ({}) on field `{}` failed: {}",
                    failed.index_name, failed.index_type, failed.field, failed.fail_reason
                ),
                transient: false,
            });
        }
        let done = all.iter().all(|i| {
            i.state == "Finished" && i.pending_rows == 0 && i.indexed_rows >= i.total_rows
        });
        if done {
            return Ok(());
        }
        if started.elapsed() > timeout {
            let busy: Vec<String> = all
                .iter()
                .map(|i| {
                    format!(
                        "{} {}/{} ({})",
                        i.index_name, i.indexed_rows, i.total_rows, i.state
                    )
                })
                .collect();
            return Err(MilvusError::Timeout {
                what: format!("indexes of `{collection}` to build: {}", busy.join(", ")),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Releases a loaded collection (its memory goes back to the query nodes).
pub async fn release(client: &Client, collection: &str) -> Result<()> {
    let resp = client
        .raw()
        .release_collection(client.request(ReleaseCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("ReleaseCollection", s))?
        .into_inner();
    client.check("ReleaseCollection", Some(&resp))
}

/// Renames a collection (within its database).
pub async fn rename(client: &Client, old: &str, new: &str) -> Result<()> {
    let resp = client
        .raw()
        .rename_collection(client.request(RenameCollectionRequest {
            db_name: client.db_name.clone(),
            old_name: old.to_string(),
            new_name: new.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("RenameCollection", s))?
        .into_inner();
    client.check("RenameCollection", Some(&resp))
}

/// Names of every collection in the database.
pub async fn list_collections(client: &Client) -> Result<Vec<String>> {
    let resp = client
        .raw()
        .show_collections(client.request(ShowCollectionsRequest {
            db_name: client.db_name.clone(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("ShowCollections", s))?
        .into_inner();
    client.check("ShowCollections", resp.status.as_ref())?;
    Ok(resp.collection_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_params_split_both_server_styles() {
        let kv = |k: &str, v: &str| KeyValuePair {
            key: k.into(),
            value: v.into(),
        };
        let (t, m, p) = split_index_params(&[
            kv("index_type", "HNSW"),
            kv("metric_type", "COSINE"),
            kv("params", r#"{"M": 16, "efConstruction": 200}"#),
        ]);
        assert_eq!((t.as_str(), m.as_deref()), ("HNSW", Some("COSINE")));
        assert_eq!(p["M"], 16);
        let (_, _, p) = split_index_params(&[kv("index_type", "IVF_FLAT"), kv("nlist", "128")]);
        assert_eq!(p["nlist"], 128);
    }
}
