//! Reads: `count(*)`, primary-key lookups and vector searches, with literal expressions only
//! (`pk in [1, 2]`): servers before 2.5 cannot parse the expression templates newer SDKs send.
//!
//! All reads use Strong consistency: verify and resume must see every acknowledged insert.

use ::milvus::proto::common::{
    ConsistencyLevel, DslType, KeyValuePair, PlaceholderGroup, PlaceholderType, PlaceholderValue,
};
use ::milvus::proto::milvus::{QueryRequest, SearchRequest};
use ::milvus::proto::schema::{FieldData, SearchResultData, field_data, i_ds, scalar_field};
use prost::Message;

use super::client::Client;
use super::error::{MilvusError, Result};

/// A primary-key value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pk {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for Pk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pk::Int(v) => write!(f, "{v}"),
            // A JSON string literal is a valid Milvus string literal (quotes and backslashes escaped).
            Pk::Str(s) => f.write_str(&serde_json::to_string(s).expect("string serialises")),
        }
    }
}

/// `name in [a, b, ...]`.
pub fn in_expr(pk_field: &str, pks: &[Pk]) -> String {
    let list: Vec<String> = pks.iter().map(Pk::to_string).collect();
    format!("{pk_field} in [{}]", list.join(", "))
}

/// The values of a pk column of a query or search answer.
pub fn pks_of(data: &FieldData) -> Vec<Pk> {
    match &data.field {
        Some(field_data::Field::Scalars(s)) => match &s.data {
            Some(scalar_field::Data::LongData(l)) => l.data.iter().map(|v| Pk::Int(*v)).collect(),
            Some(scalar_field::Data::StringData(l)) => {
                l.data.iter().map(|v| Pk::Str(v.clone())).collect()
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn strong() -> (i32, bool) {
    (ConsistencyLevel::Strong as i32, false)
}

/// Rows matching `expr`, with `output_fields`.
pub async fn query(
    client: &Client,
    collection: &str,
    expr: &str,
    output_fields: &[String],
    limit: Option<u64>,
) -> Result<Vec<FieldData>> {
    let (consistency_level, use_default_consistency) = strong();
    let mut query_params = Vec::new();
    if let Some(limit) = limit {
        query_params.push(KeyValuePair {
            key: "limit".into(),
            value: limit.to_string(),
        });
    }
    let resp = client
        .raw()
        .query(client.request(QueryRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            expr: expr.to_string(),
            output_fields: output_fields.to_vec(),
            query_params,
            consistency_level,
            use_default_consistency,
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("Query", s))?
        .into_inner();
    client.check("Query", resp.status.as_ref())?;
    Ok(resp.fields_data)
}

/// `count(*)` of the whole collection.
pub async fn count(client: &Client, collection: &str) -> Result<u64> {
    let fields = query(client, collection, "", &["count(*)".to_string()], None).await?;
    count_of(&fields)
}

/// The number a `count(*)` query answered with (its one Int64 column).
pub fn count_of(fields: &[FieldData]) -> Result<u64> {
    fields
        .iter()
        .find_map(|f| match &f.field {
            Some(field_data::Field::Scalars(s)) => match &s.data {
                Some(scalar_field::Data::LongData(l)) => l.data.first().map(|v| *v as u64),
                _ => None,
            },
            _ => None,
        })
        .ok_or_else(|| MilvusError::Rpc {
            rpc: "Query",
            reason: "count(*) returned no number".into(),
            transient: false,
        })
}

/// Which of `pks` exist in the collection.
pub async fn existing_pks(
    client: &Client,
    collection: &str,
    pk_field: &str,
    pks: &[Pk],
) -> Result<Vec<Pk>> {
    if pks.is_empty() {
        return Ok(Vec::new());
    }
    let fields = query(
        client,
        collection,
        &in_expr(pk_field, pks),
        &[pk_field.to_string()],
        None,
    )
    .await?;
    Ok(fields
        .iter()
        .find(|f| f.field_name == pk_field)
        .map(pks_of)
        .unwrap_or_default())
}

/// A search query vector, encoded as Milvus placeholders expect.
pub struct QueryVector {
    pub kind: PlaceholderType,
    pub bytes: Vec<u8>,
}

/// Searches `anns_field` with `vectors`; returns the raw result data.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    client: &Client,
    collection: &str,
    anns_field: &str,
    metric_type: &str,
    vectors: Vec<QueryVector>,
    top_k: usize,
    output_fields: &[String],
    params: &str,
) -> Result<SearchResultData> {
    let nq = vectors.len() as i64;
    let kind = vectors
        .first()
        .map_or(PlaceholderType::FloatVector, |v| v.kind);
    let group = PlaceholderGroup {
        placeholders: vec![PlaceholderValue {
            tag: "$0".into(),
            r#type: kind as i32,
            values: vectors.into_iter().map(|v| v.bytes).collect(),
            ..Default::default()
        }],
    };
    let kv = |k: &str, v: String| KeyValuePair {
        key: k.into(),
        value: v,
    };
    let (consistency_level, use_default_consistency) = strong();
    let resp = client
        .raw()
        .search(client.request(SearchRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            dsl_type: DslType::BoolExprV1 as i32,
            search_input: Some(
                ::milvus::proto::milvus::search_request::SearchInput::PlaceholderGroup(
                    group.encode_to_vec(),
                ),
            ),
            output_fields: output_fields.to_vec(),
            search_params: vec![
                kv("anns_field", anns_field.into()),
                kv("topk", top_k.to_string()),
                kv("metric_type", metric_type.into()),
                kv("params", params.into()),
                kv("round_decimal", "-1".into()),
            ],
            nq,
            consistency_level,
            use_default_consistency,
            ..Default::default()
        }))
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

/// Pks of a search answer grouped per query, with their scores.
pub fn hits(result: &SearchResultData) -> Vec<Vec<(Pk, f32)>> {
    let ids: Vec<Pk> = match result.ids.as_ref().and_then(|i| i.id_field.as_ref()) {
        Some(i_ds::IdField::IntId(l)) => l.data.iter().map(|v| Pk::Int(*v)).collect(),
        Some(i_ds::IdField::StrId(s)) => s.data.iter().map(|v| Pk::Str(v.clone())).collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    let mut at = 0usize;
    for &k in &result.topks {
        let k = k as usize;
        out.push(
            (at..(at + k).min(ids.len()))
                .map(|i| {
                    (
                        ids[i].clone(),
                        result.scores.get(i).copied().unwrap_or(f32::NAN),
                    )
                })
                .collect(),
        );
        at += k;
    }
    out
}
