//! Why a rebuild stopped. Usage problems (bad flags, a schema the data cannot be converted to)
//! are found before anything is created; failures after that name the new collection, which
//! is either dropped or kept for `--resume` as the message says.

use crate::milvus::MilvusError;
use crate::plugin::PluginError;
use crate::schema::SchemaError;

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Milvus(#[from] MilvusError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// Bad flags or input: nothing was created.
    #[error("{0}")]
    Usage(String),
    /// The schema change cannot be applied to the existing rows: nothing was created.
    #[error("cannot rebuild `{alias}` with this schema:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Incompatible {
        alias: String,
        problems: Vec<String>,
    },
    /// A check before the switch failed; the alias was not touched.
    #[error("{reason}; the alias `{alias}` still points at `{old}`{}", kept.as_ref().map(|k| format!(", the new collection `{k}` is kept (continue with --resume, or remove it with --abort)")).unwrap_or_default())]
    Refused {
        alias: String,
        old: String,
        reason: String,
        kept: Option<String>,
    },
    /// The state file of an interrupted rebuild could not be read or written.
    #[error("rebuild state {}: {reason}", path.display())]
    State {
        path: std::path::PathBuf,
        reason: String,
    },
}

impl RebuildError {
    /// Bad input (exit 2) rather than a failure (exit 1).
    pub fn is_usage(&self) -> bool {
        match self {
            RebuildError::Milvus(e) => e.is_usage(),
            RebuildError::Schema(e) => e.is_usage(),
            RebuildError::Plugin(_) => true,
            RebuildError::Usage(_) | RebuildError::Incompatible { .. } => true,
            RebuildError::Refused { .. } | RebuildError::State { .. } => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, RebuildError>;
