//! Errors of the measurements: the Milvus layer's, plus bad input (a dataset that does not match
//! the collection, a sweep that does not parse) and failures writing caches and plots.

use std::path::PathBuf;

use crate::milvus::MilvusError;

/// Why a benchmark, recall run or health check could not run.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error(transparent)]
    Milvus(#[from] MilvusError),
    /// Bad flags or a dataset that cannot serve the collection.
    #[error("{0}")]
    Usage(String),
    /// A dataset file that cannot be read as its schema says.
    #[error("{}: {reason}", path.display())]
    Data { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("drawing {}: {reason}", path.display())]
    Plot { path: PathBuf, reason: String },
}

impl MeasureError {
    /// Bad input the user can fix (exit code 2).
    pub fn is_usage(&self) -> bool {
        match self {
            MeasureError::Milvus(e) => e.is_usage(),
            MeasureError::Usage(_) | MeasureError::Data { .. } => true,
            MeasureError::Io { .. } | MeasureError::Plot { .. } => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> MeasureError {
        MeasureError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, MeasureError>;
