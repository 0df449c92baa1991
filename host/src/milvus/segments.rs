//! The segments the query nodes serve for a collection (`GetQuerySegmentInfo`): which are
//! sealed and carry an index, so a benchmark can tell whether its searches went through the
//! index or through a brute-force scan of growing segments.

use ::milvus::proto::common::SegmentState;
use ::milvus::proto::milvus::GetQuerySegmentInfoRequest;
use serde::Serialize;

use super::client::Client;
use super::error::{MilvusError, Result};

/// One segment loaded on the query nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServedSegment {
    pub id: i64,
    pub rows: u64,
    /// `Sealed`, `Flushed`, `Growing`, ...
    pub state: String,
    /// The index the segment was loaded with (empty when none, or not reported).
    pub index_name: String,
    pub index_id: i64,
}

impl ServedSegment {
    /// Sealed or flushed (no longer taking inserts).
    pub fn is_sealed(&self) -> bool {
        matches!(self.state.as_str(), "Sealed" | "Flushed")
    }

    /// The server says which index it loaded.
    pub fn has_index(&self) -> bool {
        self.index_id != 0 || !self.index_name.is_empty()
    }
}

/// The segments the query nodes serve for `collection`; `None` when the server does not
/// implement `GetQuerySegmentInfo` (Milvus Lite).
pub async fn served_segments(
    client: &Client,
    collection: &str,
) -> Result<Option<Vec<ServedSegment>>> {
    let resp = client
        .raw()
        .get_query_segment_info(client.request(GetQuerySegmentInfoRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await;
    let resp = match resp {
        Ok(r) => r.into_inner(),
        Err(s) => {
            return match client.grpc_error("GetQuerySegmentInfo", s) {
                MilvusError::Unsupported { .. } => Ok(None),
                other => Err(other),
            };
        }
    };
    client.check("GetQuerySegmentInfo", resp.status.as_ref())?;
    Ok(Some(
        resp.infos
            .into_iter()
            .map(|i| ServedSegment {
                id: i.segment_id,
                rows: i.num_rows.max(0) as u64,
                state: SegmentState::try_from(i.state)
                    .map(|s| s.as_str_name().to_string())
                    .unwrap_or_else(|_| format!("state {}", i.state)),
                index_name: i.index_name,
                index_id: i.index_id,
            })
            .collect(),
    ))
}
