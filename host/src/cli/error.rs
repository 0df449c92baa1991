//! How failures reach the user: `error:` with the cause chain and an optional `hint:`, never a
//! backtrace; and the exit code (1 failure, 2 usage or bad input).

use std::fmt::Display;

pub struct CliError {
    pub error: anyhow::Error,
    pub code: u8,
    pub hint: Option<String>,
}

impl CliError {
    pub fn failure(error: impl Into<anyhow::Error>) -> CliError {
        CliError {
            error: error.into(),
            code: 1,
            hint: None,
        }
    }

    pub fn usage(error: impl Into<anyhow::Error>) -> CliError {
        CliError {
            error: error.into(),
            code: 2,
            hint: None,
        }
    }

    pub fn usage_msg(message: impl Display) -> CliError {
        CliError::usage(anyhow::anyhow!("{message}"))
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the error to stderr, with every registered secret and URI password masked.
    pub fn render(&self) {
        use crate::redact::text;
        eprintln!("error: {}", text(&self.error.to_string()));
        for cause in self.error.chain().skip(1) {
            eprintln!("  Caused by: {}", text(&cause.to_string()));
        }
        if let Some(hint) = &self.hint {
            eprintln!("hint: {}", text(hint));
        }
    }
}

impl From<crate::schema::SchemaError> for CliError {
    fn from(e: crate::schema::SchemaError) -> CliError {
        let code = if e.is_usage() { 2 } else { 1 };
        CliError {
            error: e.into(),
            code,
            hint: None,
        }
    }
}

impl From<crate::generate::GenerateError> for CliError {
    fn from(e: crate::generate::GenerateError) -> CliError {
        let code = if e.is_usage() { 2 } else { 1 };
        CliError {
            error: e.into(),
            code,
            hint: None,
        }
    }
}
