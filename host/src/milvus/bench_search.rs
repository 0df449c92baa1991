//! Searches and queries as a benchmark or health check sends them: the collection's own
//! consistency level (not Strong, whose wait for the time tick would dominate the latency being
//! measured), a filter, search parameters, output fields, and one request built once and
//! reused with different vectors.

use ::milvus::proto::common::{
    DslType, KeyValuePair, PlaceholderGroup, PlaceholderType, PlaceholderValue,
};
use ::milvus::proto::milvus::{QueryRequest, SearchRequest, search_request::SearchInput};
use ::milvus::proto::schema::SearchResultData;
use prost::Message;

use super::client::Client;
use super::error::{MilvusError, Result};
use crate::schema::DataType;

/// What to search, fixed for a whole benchmark run.
#[derive(Debug, Clone)]
pub struct SearchSpec {
    pub collection: String,
    pub anns_field: String,
    /// Upper-case metric (`L2`, `IP`, `COSINE`, `HAMMING`, `JACCARD`, `BM25`).
    pub metric: String,
    pub top_k: usize,
    /// The `params` JSON object (`{"ef": 64}`).
    pub params: serde_json::Map<String, serde_json::Value>,
    /// A boolean filter expression; empty for none.
    pub filter: String,
    pub output_fields: Vec<String>,
}

/// The placeholder type of a vector field's query vectors.
pub fn placeholder_type(t: DataType) -> Option<PlaceholderType> {
    Some(match t {
        DataType::FloatVector => PlaceholderType::FloatVector,
        DataType::BinaryVector => PlaceholderType::BinaryVector,
        DataType::Float16Vector => PlaceholderType::Float16Vector,
        DataType::BFloat16Vector => PlaceholderType::BFloat16Vector,
        DataType::SparseFloatVector => PlaceholderType::SparseFloatVector,
        DataType::Int8Vector => PlaceholderType::Int8Vector,
        _ => return None,
    })
}

/// A search request built once; [`PreparedSearch::run`] fills in the vectors.
#[derive(Clone)]
pub struct PreparedSearch {
    client: Client,
    base: SearchRequest,
    kind: PlaceholderType,
}

impl PreparedSearch {
    /// Builds the request for vectors of type `vector_type`.
    pub fn new(client: &Client, spec: &SearchSpec, vector_type: DataType) -> Result<Self> {
        let kind = placeholder_type(vector_type).ok_or_else(|| {
            MilvusError::Usage(format!(
                "field `{}` is {vector_type}, not a vector",
                spec.anns_field
            ))
        })?;
        let kv = |k: &str, v: String| KeyValuePair {
            key: k.into(),
            value: v,
        };
        let base = SearchRequest {
            db_name: client.db_name.clone(),
            collection_name: spec.collection.clone(),
            dsl: spec.filter.clone(),
            dsl_type: DslType::BoolExprV1 as i32,
            output_fields: spec.output_fields.clone(),
            search_params: vec![
                kv("anns_field", spec.anns_field.clone()),
                kv("topk", spec.top_k.to_string()),
                kv("metric_type", spec.metric.clone()),
                kv(
                    "params",
                    serde_json::Value::Object(spec.params.clone()).to_string(),
                ),
                kv("round_decimal", "-1".into()),
            ],
            use_default_consistency: true,
            ..Default::default()
        };
        Ok(PreparedSearch {
            client: client.clone(),
            base,
            kind,
        })
    }

    /// Searches with `vectors` (each encoded as the placeholder type expects; see
    /// [`crate::measure::vectors`]) and returns the server's answer.
    pub async fn run(&self, vectors: Vec<Vec<u8>>) -> Result<SearchResultData> {
        let mut request = self.base.clone();
        request.nq = vectors.len() as i64;
        let group = PlaceholderGroup {
            placeholders: vec![PlaceholderValue {
                tag: "$0".into(),
                r#type: self.kind as i32,
                values: vectors,
                ..Default::default()
            }],
        };
        request.search_input = Some(SearchInput::PlaceholderGroup(group.encode_to_vec()));
        let client = &self.client;
        let resp = client
            .raw()
            .search(client.request(request))
            .await
            .map_err(|s| client.grpc_error("Search", s))?
            .into_inner();
        client.check("Search", resp.status.as_ref())?;
        resp.results.ok_or_else(|| MilvusError::Rpc {
            rpc: "Search",
            reason: "no results in the answer".into(),
            transient: false,
        })
    }
}

/// One row of the collection (`limit 1`, `output_fields`), at the collection's consistency
/// level; returns how many rows came back. The query the health check times.
pub async fn query_one(
    client: &Client,
    collection: &str,
    output_fields: &[String],
) -> Result<usize> {
    let resp = client
        .raw()
        .query(client.request(QueryRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            expr: String::new(),
            output_fields: output_fields.to_vec(),
            query_params: vec![KeyValuePair {
                key: "limit".into(),
                value: "1".into(),
            }],
            use_default_consistency: true,
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("Query", s))?
        .into_inner();
    client.check("Query", resp.status.as_ref())?;
    Ok(resp
        .fields_data
        .first()
        .map(super::values::row_count)
        .unwrap_or(0))
}
