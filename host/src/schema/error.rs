//! Schema errors: every problem names where it is (file, field, attribute) and the rule broken.

use std::fmt;
use std::path::PathBuf;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field (or `dynamic_fields.NAME`, `fields[3]`, `functions[0]`), when the rule is about one.
    pub field: Option<String>,
    /// The attribute inside that field, when the rule is about one.
    pub attribute: Option<String>,
    pub rule: String,
}

impl Problem {
    pub fn collection(rule: impl Into<String>) -> Problem {
        Problem {
            field: None,
            attribute: None,
            rule: rule.into(),
        }
    }

    pub fn field(field: impl Into<String>, rule: impl Into<String>) -> Problem {
        Problem {
            field: Some(field.into()),
            attribute: None,
            rule: rule.into(),
        }
    }

    pub fn attribute(
        field: impl Into<String>,
        attribute: impl Into<String>,
        rule: impl Into<String>,
    ) -> Problem {
        Problem {
            field: Some(field.into()),
            attribute: Some(attribute.into()),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.field, &self.attribute) {
            (Some(field), Some(attr)) => write!(f, "field `{field}`, attribute `{attr}`: ")?,
            (Some(field), None) => write!(f, "field `{field}`: ")?,
            (None, Some(attr)) => write!(f, "attribute `{attr}`: ")?,
            (None, None) => {}
        }
        f.write_str(&self.rule)
    }
}

/// Why a schema could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read schema file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: not valid {format}: {message}")]
    Syntax {
        origin: String,
        format: &'static str,
        message: String,
    },
    #[error("{origin}: {} problem{} found:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, list(problems))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
    #[error("unknown built-in schema `{name}`; available: {available}")]
    UnknownBuiltin { name: String, available: String },
    #[error("schema store: {0}")]
    Store(String),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl SchemaError {
    /// Bad input (as opposed to a failure of the machine): the CLI exits with 2.
    pub fn is_usage(&self) -> bool {
        !matches!(self, SchemaError::Store(_))
    }
}
