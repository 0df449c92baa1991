//! `milvus-ingest plugin ...`: look at Wasm plugins, share them through registries, and start
//! new ones.

use std::path::PathBuf;

use clap::Subcommand;

use super::error::CliError;
use super::plugin_new::{self, WorldArg};
use super::plugin_registry::{self, RegistryArgs};
use super::printer::Printer;
use crate::plugin::{ACCEPTED_VERSIONS, PluginError, inspect, inspect_text};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Print a plugin's world, interface version and what it exports (--output json for JSON).
    Inspect {
        /// The plugin component (.wasm).
        path: PathBuf,
    },
    /// Publish a component to a registry as NAMESPACE:NAME@VERSION (versions are immutable).
    #[command(disable_version_flag = true)]
    Publish {
        /// The plugin component (.wasm).
        path: PathBuf,
        /// Package name [default: the name the plugin reports, if it is NAMESPACE:NAME].
        #[arg(long, value_name = "NS:NAME")]
        name: Option<String>,
        /// Version [default: the version the plugin reports].
        #[arg(long, value_name = "X.Y.Z")]
        version: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Packages in a registry whose name contains QUERY, with their versions.
    Search {
        query: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Every package in a registry, with its versions.
    List {
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// A package's versions, digests, world and interface version.
    Info {
        /// NAMESPACE:NAME[@VERSION or requirement].
        #[arg(value_name = "NAME[@VERSION]")]
        spec: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Add a plugin to milvus-ingest.toml, download and verify it, and lock it.
    Add {
        /// NAMESPACE:NAME[@REQ], e.g. acme:dice@^1 [default REQ: ^ the newest version].
        #[arg(value_name = "NAME[@REQ]")]
        spec: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Remove a plugin from milvus-ingest.toml and milvus-ingest.lock.
    Remove {
        #[arg(value_name = "NAME")]
        name: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Re-resolve plugins (all, or NAME) to the newest versions their requirements allow.
    Update {
        #[arg(value_name = "NAME")]
        name: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Re-hash every locked plugin in the cache and check the registry still serves it.
    Verify {
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Create a plugin crate on the milvus-ingest SDK (builds and tests out of the box).
    New {
        /// Plugin name: NAME or NAMESPACE:NAME (kebab-case); the directory is NAME.
        name: String,
        #[arg(long, value_enum)]
        world: WorldArg,
        /// Where to create it [default: the working directory].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
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
        PluginCommand::Publish {
            path,
            name,
            version,
            registry,
        } => plugin_registry::publish(path, name, version, &registry, printer),
        PluginCommand::Search { query, registry } => {
            plugin_registry::search(query, &registry, printer)
        }
        PluginCommand::List { registry } => plugin_registry::search(None, &registry, printer),
        PluginCommand::Info { spec, registry } => plugin_registry::info(spec, &registry, printer),
        PluginCommand::Add { spec, registry } => plugin_registry::add(spec, &registry, printer),
        PluginCommand::Remove { name, registry } => {
            plugin_registry::remove(name, &registry, printer)
        }
        PluginCommand::Update { name, registry } => {
            plugin_registry::update(name, &registry, printer)
        }
        PluginCommand::Verify { registry } => plugin_registry::verify(&registry, printer),
        PluginCommand::New { name, world, dir } => plugin_new::run(name, world, dir, printer),
    }
}
