//! Aliases: the stable names applications query while the real collection behind them is
//! replaced (`<alias>_<YYYYmmddHHMMSSffffff>`, the naming EverMemOS uses).

use ::milvus::proto::milvus::{CreateAliasRequest, DescribeCollectionRequest, DropAliasRequest};

use super::client::Client;
use super::error::Result;

/// Points `alias` at `collection` (which must exist; the alias must not).
pub async fn create_alias(client: &Client, alias: &str, collection: &str) -> Result<()> {
    let resp = client
        .raw()
        .create_alias(client.request(CreateAliasRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            alias: alias.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("CreateAlias", s))?
        .into_inner();
    client.check("CreateAlias", Some(&resp))
}

/// Removes `alias` (the collection stays).
pub async fn drop_alias(client: &Client, alias: &str) -> Result<()> {
    let resp = client
        .raw()
        .drop_alias(client.request(DropAliasRequest {
            db_name: client.db_name.clone(),
            alias: alias.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DropAlias", s))?
        .into_inner();
    client.check("DropAlias", Some(&resp))
}

/// The real collection `name` designates (itself when it is not an alias), or `None` when
/// neither a collection nor an alias of that name exists.
pub async fn resolve(client: &Client, name: &str) -> Result<Option<String>> {
    if !client.has_collection(name).await? {
        return Ok(None);
    }
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
    client.check("DescribeCollection", resp.status.as_ref())?;
    // The schema carries the real name (servers differ in what `collection_name` echoes).
    let real = resp
        .schema
        .map(|s| s.name)
        .filter(|n| !n.is_empty())
        .or_else(|| Some(resp.collection_name).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| name.to_string());
    Ok(Some(real))
}
