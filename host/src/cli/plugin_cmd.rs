//! `milvus-ingest plugin ...`: look at Wasm plugins without running a generation.

use std::path::PathBuf;

use clap::Subcommand;

use super::error::CliError;
use super::printer::Printer;
use crate::plugin::{ACCEPTED_VERSIONS, PluginError, inspect, inspect_text};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Print a plugin's world, interface version and what it exports (--output json for JSON).
    Inspect {
        /// The plugin component (.wasm).
        path: PathBuf,
    },
}

pub fn run(cmd: PluginCommand, printer: &Printer) -> Result<(), CliError> {
    match cmd {
        PluginCommand::Inspect { path } => {
            let info = inspect(&path).map_err(|e| {
                let hint = match &e {
                    PluginError::IncompatibleVersion { .. } => Some(format!(
                        "this milvus-ingest accepts interface versions {}",
                        ACCEPTED_VERSIONS.join(", ")
                    )),
                    PluginError::NotAComponent { .. } => Some(
                        "build plugins with scripts/build-plugins.sh (cargo build --target wasm32-wasip2)".into(),
                    ),
                    _ => None,
                };
                let err = CliError::usage(e);
                match hint {
                    Some(h) => err.with_hint(h),
                    None => err,
                }
            })?;
            if printer.is_json() {
                printer.json(&info);
            } else {
                printer.out(inspect_text(&info).trim_end());
            }
            Ok(())
        }
    }
}
