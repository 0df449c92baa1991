//! The one place that decides what goes to stdout (data, summaries) and stderr (status).
//! Both pass through `redact::text`, so no registered secret or URI password is printed.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputMode {
    Text,
    Json,
}

pub struct Printer {
    pub mode: OutputMode,
}

impl Printer {
    pub fn new(mode: OutputMode) -> Printer {
        Printer { mode }
    }

    pub fn is_json(&self) -> bool {
        self.mode == OutputMode::Json
    }

    /// Data for stdout. A closed pipe (`| head`) ends quietly.
    pub fn out(&self, text: &str) {
        let text = crate::redact::text(text);
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{text}").is_err() {
            std::process::exit(0);
        }
    }

    pub fn json<T: Serialize>(&self, value: &T) {
        self.out(&serde_json::to_string_pretty(value).expect("summaries serialise"));
    }

    /// Status for stderr (never mixed into piped data).
    pub fn status(&self, text: &str) {
        eprintln!("{}", crate::redact::text(text));
    }
}
