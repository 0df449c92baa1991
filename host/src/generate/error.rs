//! Generation errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A field's settings cannot be generated (caught here when validation cannot see it).
    #[error("field `{field}`: {message}")]
    Field { field: String, message: String },
    /// A plugin failed or returned a bad column.
    #[error("plugin `{plugin}`, function `{function}`, field `{field}`: {message}")]
    Plugin {
        plugin: String,
        function: String,
        field: String,
        message: String,
    },
    #[error("validation failed: {0}")]
    Invalid(String),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("interrupted")]
    Interrupted,
}

impl GenerateError {
    pub fn field(field: &str, message: impl Into<String>) -> GenerateError {
        GenerateError::Field {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Bad input rather than a failure: exit code 2.
    pub fn is_usage(&self) -> bool {
        matches!(self, GenerateError::Usage(_) | GenerateError::Field { .. })
    }
}
