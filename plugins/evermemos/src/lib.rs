//! EverMemOS MongoDB -> Milvus conversions, shared by the shipped sync handlers
//! (`episodic-memory`, `event-log`, `foresight`, `v1-episodic-memory`; one component each).
//!
//! Every mapping follows `shared/design/evermemos.md` field by field; where the EverMemOS
//! converters were wrong, the fix is listed in `plugins/evermemos/README.md`.

pub mod doc;
pub mod extjson;
pub mod fields;
pub mod legacy;
pub mod pyjson;
pub mod schema;
pub mod text;
pub mod v1;

use milvus_ingest_sdk::serde_json::Value;
use milvus_ingest_sdk::{
    ConvertResult, Delete, Document, Embedding, Entity, HandlerInfo, MongoSource, Naming, Params,
    Skip, SyncInfo, TenantPrefix,
};

use doc::J;
use schema::F;

/// The vector dimension when no `dim` param is given (EverMemOS's `VECTORIZE_DIMENSIONS`
/// default).
pub const DEFAULT_DIM: u32 = 1024;

/// Params every handler takes.
pub const PARAMS: &[&str] = &["dim", "tenant_id"];

/// The collection types shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EpisodicMemory,
    EventLog,
    Foresight,
    V1EpisodicMemory,
}

impl Kind {
    pub fn collection_type(self) -> &'static str {
        match self {
            Kind::EpisodicMemory => "episodic_memory",
            Kind::EventLog => "event_log",
            Kind::Foresight => "foresight",
            Kind::V1EpisodicMemory => "v1_episodic_memory",
        }
    }

    /// The component's (plugin's) name.
    pub fn plugin_name(self) -> &'static str {
        match self {
            Kind::EpisodicMemory => "episodic-memory",
            Kind::EventLog => "event-log",
            Kind::Foresight => "foresight",
            Kind::V1EpisodicMemory => "v1-episodic-memory",
        }
    }

    pub fn fields(self) -> &'static [F] {
        match self {
            Kind::EpisodicMemory => legacy::EPISODIC_FIELDS,
            Kind::EventLog => legacy::EVENT_LOG_FIELDS,
            Kind::Foresight => legacy::FORESIGHT_FIELDS,
            Kind::V1EpisodicMemory => v1::V1_EPISODIC_FIELDS,
        }
    }

    fn head(self) -> bool {
        self == Kind::V1EpisodicMemory
    }

    fn source_collection(self) -> &'static str {
        match self {
            Kind::EpisodicMemory => "episodic_memories",
            Kind::EventLog => "event_log_records",
            Kind::Foresight => "foresight_records",
            Kind::V1EpisodicMemory => "v1_episodic_memories",
        }
    }

    /// The text embedded into `vector`.
    fn embedded_text(self) -> &'static str {
        match self {
            Kind::EpisodicMemory | Kind::V1EpisodicMemory => "episode",
            Kind::EventLog => "atomic_fact",
            Kind::Foresight => "content",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Kind::EpisodicMemory => {
                "EverMemOS episodic memories (LEGACY layout): episode text, search_content, metadata JSON; times in epoch seconds"
            }
            Kind::EventLog => {
                "EverMemOS event-log atomic facts (LEGACY layout); times in epoch seconds"
            }
            Kind::Foresight => {
                "EverMemOS foresight records (LEGACY layout): content, evidence, start/end times in epoch seconds"
            }
            Kind::V1EpisodicMemory => {
                "EverMemOS v1 episodic memories (HEAD layout): tenant_id partition key, timestamps in epoch milliseconds, soft-deleted documents deleted"
            }
        }
    }
}

/// Params applied: the vector dimension and the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub dim: u32,
    pub tenant: Option<String>,
}

impl Settings {
    pub fn from_params(params: &Params) -> Result<Settings, String> {
        params.check_known(PARAMS)?;
        Ok(Settings {
            dim: params.positive_u32("dim", DEFAULT_DIM)?,
            tenant: params.get("tenant_id").map(str::to_string),
        })
    }
}

/// The handler description with `params` applied.
pub fn handler_info(kind: Kind, params: &Params) -> Result<HandlerInfo, String> {
    let s = Settings::from_params(params)?;
    let base = kind.collection_type();
    let prefix = s.tenant.as_deref().map(legacy::tenant_prefix);
    // Names and databases as EverMemOS derives them (evermemos.md section 2).
    let (default_name, database, tenant_prefix) = if kind.head() {
        let p = prefix.unwrap_or_else(|| "s0001".to_string());
        (
            format!("{p}_{base}"),
            format!("{p}_memsys"),
            TenantPrefix::Required,
        )
    } else {
        match prefix {
            Some(p) => (
                format!("{p}_{base}"),
                format!("{p}_memsys"),
                TenantPrefix::Optional,
            ),
            None => (
                base.to_string(),
                "memsys".to_string(),
                TenantPrefix::Optional,
            ),
        }
    };
    let (schema, indexes) = schema::build(&default_name, kind.description(), kind.fields(), s.dim);
    Ok(HandlerInfo {
        collection_type: base.to_string(),
        description: kind.description().to_string(),
        naming: Naming {
            base_name: base.to_string(),
            tenant_prefix,
            default_name,
        },
        milvus_schema: schema.to_string(),
        index_params: indexes.to_string(),
        source: MongoSource {
            database,
            collection: kind.source_collection().to_string(),
            // HEAD refreshes updated_at on every write, so it catches updates (defect S3);
            // the LEGACY types keep the scripts' created_at.
            time_field: if kind.head() {
                "updated_at"
            } else {
                "created_at"
            }
            .to_string(),
        },
        primary_key: "id".to_string(),
        dim: Some(s.dim),
        embedding: Some(Embedding {
            text_fields: vec![kind.embedded_text().to_string()],
            vector_field: "vector".to_string(),
            model_field: "vector_model".to_string(),
            dim: s.dim,
        }),
    })
}

/// The whole `describe` answer of the component serving `kind`.
pub fn sync_info(kind: Kind, version: &str, params: &Params) -> Result<SyncInfo, String> {
    Ok(SyncInfo {
        name: kind.plugin_name().to_string(),
        version: version.to_string(),
        description: format!(
            "EverMemOS MongoDB {} -> Milvus {}",
            kind.source_collection(),
            kind.collection_type()
        ),
        handlers: vec![handler_info(kind, params)?],
    })
}

/// What one document becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The row, and the `vector` field as float32.
    Entity(Value, Vec<f32>),
    Delete(String),
}

/// Converts one document (BSON, read as relaxed Extended JSON values). `Err((id, reason))`:
/// skip it (id "" when unknown).
pub fn convert_one(
    kind: Kind,
    s: &Settings,
    doc: &Document<'_>,
) -> Result<Outcome, (String, String)> {
    let doc: J = doc
        .deserialize()
        .map_err(|e| (doc.id(), format!("not a valid BSON document: {e}")))?;
    if !matches!(doc, J::Obj(_)) {
        return Err((String::new(), "not a JSON object".into()));
    }
    let id = legacy::doc_id(&doc).map_err(|e| (String::new(), e))?;
    if kind.head() && v1::is_deleted(&doc) {
        return Ok(Outcome::Delete(id));
    }
    let entity = match kind {
        Kind::EpisodicMemory => legacy::episodic_memory(&doc, id.clone(), s.dim),
        Kind::EventLog => legacy::event_log(&doc, id.clone(), s.dim),
        Kind::Foresight => legacy::foresight(&doc, id.clone(), s.dim),
        Kind::V1EpisodicMemory => v1::episodic_memory(&doc, id.clone(), s.dim, s.tenant.as_deref()),
    };
    entity
        .map(|(m, vector)| Outcome::Entity(Value::Object(m), vector))
        .map_err(|reason| (id, reason))
}

/// Converts a batch: every document ends up in exactly one of entities, skipped and deletes;
/// a bad document is skipped alone with its reason.
pub fn convert(
    kind: Kind,
    collection_type: &str,
    params: &Params,
    documents: &[Document<'_>],
) -> Result<ConvertResult, String> {
    if collection_type != kind.collection_type() {
        return Err(format!(
            "this handler serves `{}`, not `{collection_type}`",
            kind.collection_type()
        ));
    }
    let s = Settings::from_params(params)?;
    let mut out = ConvertResult::default();
    for (i, doc) in documents.iter().enumerate() {
        let index = i as u32;
        match convert_one(kind, &s, doc) {
            Ok(Outcome::Entity(row, vector)) => out.entities.push(Entity {
                index,
                row,
                float_vectors: vec![("vector".to_string(), vector)],
            }),
            Ok(Outcome::Delete(id)) => out.deletes.push(Delete { index, id }),
            Err((id, reason)) => out.skipped.push(Skip { index, id, reason }),
        }
    }
    Ok(out)
}

/// Implements the SDK's `SyncHandler` for a unit struct serving one `Kind` and exports it.
#[macro_export]
macro_rules! handler_component {
    ($ty:ident, $kind:expr) => {
        pub struct $ty;

        impl milvus_ingest_sdk::SyncHandler for $ty {
            fn info(
                params: &milvus_ingest_sdk::Params,
            ) -> Result<milvus_ingest_sdk::SyncInfo, String> {
                $crate::sync_info($kind, env!("CARGO_PKG_VERSION"), params)
            }
            fn convert(
                collection_type: &str,
                params: &milvus_ingest_sdk::Params,
                documents: &[milvus_ingest_sdk::Document<'_>],
            ) -> Result<milvus_ingest_sdk::ConvertResult, String> {
                $crate::convert($kind, collection_type, params, documents)
            }
        }

        milvus_ingest_sdk::export_sync_handler!($ty);
    };
}

#[cfg(test)]
mod tests;
