//! What a collection looks like on the server, for `bench` and `health`: its vector fields
//! (type, dim, the metric its index was built with), primary key, aliases, load state, index
//! build progress and row count. Read-only RPCs; nothing is changed.

use ::milvus::proto::common::LoadState;
use ::milvus::proto::milvus::{GetCollectionStatisticsRequest, GetLoadStateRequest};
use ::milvus::proto::schema::{DataType as PType, FieldSchema};
use serde::Serialize;

use super::client::Client;
use super::error::{MilvusError, Result};
use crate::schema::DataType;

/// A vector field of a collection, with what its index says.
#[derive(Debug, Clone, Serialize)]
pub struct VectorField {
    pub name: String,
    pub data_type: DataType,
    /// Dimensions (bits for binary vectors); `None` for sparse vectors.
    pub dim: Option<u32>,
    /// The metric of the field's index (upper case), when it has one.
    pub metric: Option<String>,
    pub index_type: Option<String>,
    /// Filled by a server function (BM25): searched with text, not vectors.
    pub function_output: bool,
}

/// The parts of `DescribeCollection` that benchmarks and health checks need.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionInfo {
    /// The name the user gave (a collection or an alias).
    pub requested: String,
    /// The collection it resolves to (differs from `requested` when that is an alias).
    pub name: String,
    pub aliases: Vec<String>,
    pub pk_field: String,
    pub vector_fields: Vec<VectorField>,
    /// Every non-vector field name, in schema order.
    pub scalar_fields: Vec<String>,
}

impl CollectionInfo {
    /// The field to search: `wanted` when given, else the only searchable vector field.
    pub fn vector_field(&self, wanted: Option<&str>) -> Result<&VectorField> {
        let names = || {
            self.vector_fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(w) = wanted {
            return self
                .vector_fields
                .iter()
                .find(|f| f.name == w)
                .ok_or_else(|| {
                    MilvusError::Usage(format!(
                        "collection `{}` has no vector field `{w}` (vector fields: {})",
                        self.name,
                        names()
                    ))
                });
        }
        let searchable: Vec<&VectorField> = self
            .vector_fields
            .iter()
            .filter(|f| !f.function_output)
            .collect();
        match searchable.as_slice() {
            [one] => Ok(one),
            [] => Err(MilvusError::Usage(format!(
                "collection `{}` has no vector field that can be searched with vectors",
                self.name
            ))),
            _ => Err(MilvusError::Usage(format!(
                "collection `{}` has several vector fields ({}); choose one with --anns-field",
                self.name,
                names()
            ))),
        }
    }
}

/// Our data type for a proto type code (`None` for types we do not model).
pub fn data_type_of(code: i32) -> Option<DataType> {
    let t = PType::try_from(code).ok()?;
    DataType::ALL
        .into_iter()
        .find(|d| super::ddl::proto_type(*d) == t)
}

fn type_param(f: &FieldSchema, key: &str) -> Option<String> {
    f.type_params
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.clone())
}

/// Describes `name` (a collection or an alias) and the metric of each vector field's index.
pub async fn describe_collection(client: &Client, name: &str) -> Result<CollectionInfo> {
    let resp = super::collection::describe_response(client, name).await?;
    let schema = resp.schema.unwrap_or_default();
    let resolved = if resp.collection_name.is_empty() {
        schema.name.clone()
    } else {
        resp.collection_name.clone()
    };
    let indexes = index_progress(client, &resolved).await.unwrap_or_default();
    let mut info = CollectionInfo {
        requested: name.to_string(),
        name: resolved,
        aliases: resp.aliases.clone(),
        pk_field: String::new(),
        vector_fields: Vec::new(),
        scalar_fields: Vec::new(),
    };
    for f in schema.fields.iter().filter(|f| !f.is_dynamic) {
        if f.is_primary_key {
            info.pk_field = f.name.clone();
        }
        match data_type_of(f.data_type).filter(|t| t.is_vector()) {
            Some(data_type) => {
                let index = indexes.iter().find(|i| i.field == f.name);
                info.vector_fields.push(VectorField {
                    name: f.name.clone(),
                    data_type,
                    dim: type_param(f, "dim").and_then(|d| d.parse().ok()),
                    metric: index.and_then(|i| i.metric.clone()),
                    index_type: index.map(|i| i.index_type.clone()),
                    function_output: f.is_function_output,
                });
            }
            None => info.scalar_fields.push(f.name.clone()),
        }
    }
    Ok(info)
}

/// One index of a collection and how far its build has got.
#[derive(Debug, Clone, Serialize)]
pub struct IndexProgress {
    pub field: String,
    pub index_type: String,
    pub metric: Option<String>,
    /// Rows covered by the built index.
    pub indexed_rows: u64,
    /// Rows the index should cover.
    pub total_rows: u64,
    pub pending_rows: u64,
    /// `Finished`, `InProgress`, `Failed`, ...
    pub state: String,
    pub fail_reason: Option<String>,
}

/// Every index of the collection (empty when it has none): `admin::indexes` in the shape
/// `health` and `bench` report (metric in upper case, counts never negative).
pub async fn index_progress(client: &Client, collection: &str) -> Result<Vec<IndexProgress>> {
    Ok(super::admin::indexes(client, collection)
        .await?
        .into_iter()
        .map(|d| IndexProgress {
            field: d.field,
            index_type: d.index_type,
            metric: d.metric_type.map(|m| m.to_ascii_uppercase()),
            indexed_rows: d.indexed_rows.max(0) as u64,
            total_rows: d.total_rows.max(0) as u64,
            pending_rows: d.pending_rows.max(0) as u64,
            state: d.state,
            fail_reason: Some(d.fail_reason).filter(|r| !r.is_empty()),
        })
        .collect())
}

/// `Loaded`, `Loading`, `NotLoad` or `NotExist`.
pub async fn load_state(client: &Client, collection: &str) -> Result<String> {
    let resp = client
        .raw()
        .get_load_state(client.request(GetLoadStateRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("GetLoadState", s))?
        .into_inner();
    client.check("GetLoadState", resp.status.as_ref())?;
    Ok(LoadState::try_from(resp.state)
        .map(|s| s.as_str_name().trim_start_matches("LoadState").to_string())
        .unwrap_or_else(|_| format!("state {}", resp.state)))
}

/// The row count the server's statistics report (persisted rows; no load needed).
pub async fn statistics_row_count(client: &Client, collection: &str) -> Result<u64> {
    let resp = client
        .raw()
        .get_collection_statistics(client.request(GetCollectionStatisticsRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("GetCollectionStatistics", s))?
        .into_inner();
    client.check("GetCollectionStatistics", resp.status.as_ref())?;
    resp.stats
        .iter()
        .find(|kv| kv.key == "row_count")
        .and_then(|kv| kv.value.parse().ok())
        .ok_or_else(|| MilvusError::Rpc {
            rpc: "GetCollectionStatistics",
            reason: "the answer carries no row_count".into(),
            transient: false,
        })
}

pub use super::admin::list_collections;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_codes_map_back_to_our_types() {
        for t in DataType::ALL {
            assert_eq!(
                data_type_of(super::super::ddl::proto_type(t) as i32),
                Some(t)
            );
        }
        assert_eq!(data_type_of(9999), None);
    }
}
