//! The Milvus side of a sync: the handler's schema (with its index parameters folded in), and
//! the collection behind the target name. A missing target is created the way EverMemOS does
//! it: a real collection `<name>_<YYYYmmddHHMMSSffffff>` (UTC) with the schema and indexes,
//! loaded, and the alias `<name>` pointing at it. An existing one is used only when its schema
//! equals the handler's; otherwise every difference is listed and nothing is touched.

use serde_json::Value;

use super::error::SyncError;
use crate::milvus::Client;
use crate::milvus::alias::{self, AliasTarget};
use crate::milvus::collection::{CollectionOptions, describe, drop_collection, prepare};
use crate::milvus::ddl::{collection_schema, differences};
use crate::plugin::HandlerDesc;
use crate::schema::{IndexSpec, Schema, SchemaFormat, parse_schema};

/// The handler's Milvus schema, with `index_params` ({"field": {"index_type", "metric_type",
/// "params"}}) applied to fields that declare no index themselves.
pub fn handler_schema(desc: &HandlerDesc) -> Result<Schema, SyncError> {
    let bad = |reason: String| SyncError::HandlerSchema {
        collection_type: desc.collection_type.clone(),
        reason,
    };
    let text = match &desc.milvus_schema {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let origin = format!("handler:{}", desc.collection_type);
    let mut schema =
        parse_schema(&text, SchemaFormat::Json, &origin).map_err(|e| bad(e.to_string()))?;
    let params = match &desc.index_params {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    if let Value::Object(map) = params {
        for (name, spec) in map {
            let field = schema
                .fields
                .iter_mut()
                .find(|f| f.name == name)
                .ok_or_else(|| bad(format!("index_params names `{name}`, which is not a field")))?;
            if field.index.is_none() {
                let spec: IndexSpec = serde_json::from_value(spec)
                    .map_err(|e| bad(format!("index_params for `{name}`: {e}")))?;
                field.index = Some(spec);
            }
        }
    }
    if schema.primary().is_none() {
        return Err(bad("no primary key".into()));
    }
    Ok(schema)
}

/// What [`ensure`] found or made.
#[derive(Debug, Clone)]
pub struct Target {
    /// The real collection behind the name.
    pub real: String,
    pub created: bool,
}

/// A timestamped real-collection name for alias `name` (UTC wall clock, microseconds).
pub fn real_name(name: &str) -> String {
    format!("{name}_{}", chrono::Utc::now().format("%Y%m%d%H%M%S%6f"))
}

/// The real collection `name` designates (itself when it is not an alias), or `None` when
/// neither a collection nor an alias of that name exists.
async fn real_collection(client: &Client, name: &str) -> crate::milvus::Result<Option<String>> {
    Ok(match alias::resolve(client, name).await? {
        AliasTarget::Alias(real) => Some(real),
        AliasTarget::Collection => Some(name.to_string()),
        AliasTarget::Missing => None,
    })
}

/// Makes sure `name` designates a loaded collection with `schema`'s shape.
pub async fn ensure(client: &Client, schema: &Schema, name: &str) -> Result<Target, SyncError> {
    // Index types are chosen for the server's version where the indexes are built
    // (`ddl::index_plans`).
    match real_collection(client, name).await? {
        Some(real) => {
            let existing = describe(client, &real).await?;
            let diffs = differences(&collection_schema(schema, &real), &existing);
            if !diffs.is_empty() {
                return Err(SyncError::SchemaDiffers {
                    collection: if real == name {
                        real
                    } else {
                        format!("{name} (alias of {real})")
                    },
                    differences: diffs,
                });
            }
            // Same schema: build any index it lacks and load it.
            prepare(client, schema, &CollectionOptions::new(real.clone())).await?;
            Ok(Target {
                real,
                created: false,
            })
        }
        None => {
            let real = real_name(name);
            let made = async {
                prepare(client, schema, &CollectionOptions::new(real.clone())).await?;
                alias::create(client, name, &real).await
            }
            .await;
            if let Err(e) = made {
                return Err(discard(client, &real, e).await);
            }
            Ok(Target {
                real,
                created: true,
            })
        }
    }
}

/// The error of a failed creation of `real`, after dropping what was made of it: never leave
/// a collection without its alias behind. The name is ours (timestamped just now), so dropping
/// it touches nothing of anyone else's.
async fn discard(client: &Client, real: &str, e: crate::milvus::MilvusError) -> SyncError {
    if drop_collection(client, real).await.is_ok()
        || !client.has_collection(real).await.unwrap_or(true)
    {
        return e.into();
    }
    SyncError::Milvus(crate::milvus::MilvusError::Rpc {
        rpc: "DropCollection",
        reason: format!(
            "{e}; dropping the half-created collection `{real}` failed too: drop it by hand"
        ),
        transient: false,
    })
}
