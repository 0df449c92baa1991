//! Plugin errors. Every variant names the plugin (or the file) it is about, and failures during
//! a call also name the function and the field, so a user can tell which plugin to blame.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a WebAssembly component (random bytes, or a core module).
    #[error("plugin file {}: not a WebAssembly component: {message}", path.display())]
    NotAComponent { path: PathBuf, message: String },
    /// The component exports none of the plugin worlds this host knows.
    #[error(
        "plugin file {}: exports no milvus-ingest plugin interface (found: {found}); expected one of {expected}",
        path.display()
    )]
    UnknownWorld {
        path: PathBuf,
        found: String,
        expected: String,
    },
    /// Built against an interface version this host does not accept.
    #[error(
        "plugin file {}: built for interface version {found}, this milvus-ingest accepts {accepted}; rebuild the plugin with a matching milvus-ingest-sdk",
        path.display()
    )]
    IncompatibleVersion {
        path: PathBuf,
        found: String,
        accepted: String,
    },
    #[error("plugin file {}: cannot be loaded: {message}", path.display())]
    Load { path: PathBuf, message: String },
    /// A call failed: trap, timeout, memory limit, an error returned by the plugin, or a result
    /// that breaks the contract.
    #[error("plugin `{plugin}`, function `{function}`, field `{field}`: {message}")]
    Call {
        plugin: String,
        function: String,
        field: String,
        message: String,
    },
    #[error("no plugin named `{name}` is loaded (loaded: {loaded}); pass it with --plugin PATH")]
    NotLoaded { name: String, loaded: String },
    #[error("plugin `{plugin}` is a {world}, not a {wanted}")]
    WrongWorld {
        plugin: String,
        world: &'static str,
        wanted: &'static str,
    },
    #[error("plugin `{plugin}` has no {kind} `{name}` (it offers: {offered})")]
    NoSuchFunction {
        plugin: String,
        kind: &'static str,
        name: String,
        offered: String,
    },
    /// A plugin function cannot produce or check this field's type.
    #[error("plugin `{plugin}`, {kind} `{name}`, field `{field}`: {message}")]
    Unsupported {
        plugin: String,
        kind: &'static str,
        name: String,
        field: String,
        message: String,
    },
    /// A sync handler refused its params (`--handler-param`).
    #[error(
        "plugin `{plugin}`, collection type `{collection_type}`: bad handler params: {message}"
    )]
    BadParams {
        plugin: String,
        collection_type: String,
        message: String,
    },
    #[error("plugin compile cache {}: {message}", path.display())]
    Cache { path: PathBuf, message: String },
    #[error("plugin engine: {0}")]
    Engine(String),
}

impl From<PluginError> for crate::generate::GenerateError {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::Call {
                plugin,
                function,
                field,
                message,
            } => crate::generate::GenerateError::Plugin {
                plugin,
                function,
                field,
                message,
            },
            other => crate::generate::GenerateError::Usage(other.to_string()),
        }
    }
}
