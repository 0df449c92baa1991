//! Aliases: what an alias points at, creating one, and switching it to another collection in
//! one server-side step (`AlterAlias`). Never drop-then-create: that leaves a window in which
//! searches through the alias fail.

use ::milvus::proto::milvus::{
    AlterAliasRequest, CreateAliasRequest, DescribeAliasRequest, DescribeCollectionRequest,
    DropAliasRequest, ListAliasesRequest,
};

use super::client::Client;
use super::error::{MilvusError, Result};

/// What a name the user calls an alias refers to on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasTarget {
    /// An alias of the named collection.
    Alias(String),
    /// No alias of that name, but a collection of that name (the alias can be created later).
    Collection,
    /// Neither.
    Missing,
}

fn not_found(reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    lower.contains("not found") || lower.contains("not exist") || lower.contains("doesn't exist")
}

/// Resolves `alias`: `DescribeAlias` where the server has it (2.4+), else `DescribeCollection`,
/// whose answer names the real collection when it was called with an alias.
pub async fn resolve(client: &Client, alias: &str) -> Result<AliasTarget> {
    let described = client
        .raw()
        .describe_alias(client.request(DescribeAliasRequest {
            db_name: client.db_name.clone(),
            alias: alias.to_string(),
            ..Default::default()
        }))
        .await;
    if let Ok(resp) = described {
        let resp = resp.into_inner();
        if client.check("DescribeAlias", resp.status.as_ref()).is_ok()
            && !resp.collection.is_empty()
        {
            return Ok(AliasTarget::Alias(resp.collection));
        }
    }
    // Unimplemented (2.3) or "alias not found": ask about the name as a collection.
    let resp = client
        .raw()
        .describe_collection(client.request(DescribeCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: alias.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DescribeCollection", s))?
        .into_inner();
    match client.check("DescribeCollection", resp.status.as_ref()) {
        Ok(()) => {
            let real = resp
                .schema
                .as_ref()
                .map(|s| s.name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or(resp.collection_name);
            if !real.is_empty() && real != alias {
                Ok(AliasTarget::Alias(real))
            } else {
                Ok(AliasTarget::Collection)
            }
        }
        Err(MilvusError::Rpc { reason, .. }) if not_found(&reason) => Ok(AliasTarget::Missing),
        Err(e) => Err(e),
    }
}

/// Points the new alias `alias` at `collection`.
pub async fn create(client: &Client, alias: &str, collection: &str) -> Result<()> {
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

/// Moves the existing alias `alias` to `collection` in one step.
pub async fn alter(client: &Client, alias: &str, collection: &str) -> Result<()> {
    let resp = client
        .raw()
        .alter_alias(client.request(AlterAliasRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            alias: alias.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("AlterAlias", s))?
        .into_inner();
    client.check("AlterAlias", Some(&resp))
}

/// Removes an alias (the collection stays). Used by tests and cleanup, never by a switch.
pub async fn drop(client: &Client, alias: &str) -> Result<()> {
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

/// Aliases of `collection`: `ListAliases` where the server has it, else the `aliases` list of
/// `DescribeCollection`.
pub async fn list(client: &Client, collection: &str) -> Result<Vec<String>> {
    let listed = client
        .raw()
        .list_aliases(client.request(ListAliasesRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await;
    if let Ok(resp) = listed {
        let resp = resp.into_inner();
        if client.check("ListAliases", resp.status.as_ref()).is_ok() {
            return Ok(resp.aliases);
        }
    }
    let resp = client
        .raw()
        .describe_collection(client.request(DescribeCollectionRequest {
            db_name: client.db_name.clone(),
            collection_name: collection.to_string(),
            ..Default::default()
        }))
        .await
        .map_err(|s| client.grpc_error("DescribeCollection", s))?
        .into_inner();
    client.check("DescribeCollection", resp.status.as_ref())?;
    Ok(resp.aliases)
}
