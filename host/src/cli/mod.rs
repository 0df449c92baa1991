//! Command-line interface: argument definitions, dispatch, and how results and errors are shown.
//!
//! Each command lives in its own file and is a thin layer over a library module: it resolves
//! flags into settings, calls the library, and prints. Data goes to stdout, progress and
//! diagnostics to stderr.

mod backfill;
mod bench;
mod clean;
mod dataset;
mod error;
mod generate;
mod generate_shard;
mod health;
mod k8s;
mod plugin_cmd;
mod plugin_new;
mod plugin_registry;
mod printer;
mod progress;
mod rebuild;
mod schema_cmd;
mod size;
mod storage_args;
mod sync;
mod table;
mod to_milvus;
mod to_milvus_import;
mod upload;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;
pub use printer::{OutputMode, Printer};

#[derive(Debug, Parser)]
#[command(
    name = "milvus-ingest",
    version,
    about = "Generate realistic synthetic data for Milvus collections, and load it",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// Format of summaries and listings on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputMode::Text)]
    pub output: OutputMode,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a dataset (Parquet or JSON) from a schema.
    Generate(Box<generate::GenerateArgs>),
    /// Manage schemas: list, show, add, remove, and the schema format reference.
    #[command(subcommand)]
    Schema(schema_cmd::SchemaCommand),
    /// Load a dataset into Milvus and check it arrived intact.
    #[command(subcommand, name = "to-milvus")]
    ToMilvus(to_milvus::ToMilvusCommand),
    /// Upload a dataset directory to object storage (S3, GCS, Azure), verified and resumable.
    Upload(Box<upload::UploadArgs>),
    /// Remove leftovers of interrupted runs (and, with --all, generated datasets).
    Clean(clean::CleanArgs),
    /// Rebuild a collection behind its alias: new collection, every row copied, atomic switch.
    Rebuild(Box<rebuild::RebuildArgs>),
    /// Wasm plugins: inspect, publish to and add from registries, scaffold new ones.
    #[command(subcommand)]
    Plugin(plugin_cmd::PluginCommand),
    /// Datasets generated in shards (`generate --shard`): status, finalize.
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Kubernetes manifests that generate a dataset on many machines.
    #[command(subcommand)]
    K8s(k8s::K8sCommand),
    /// Measure a collection: search QPS and latency, recall against exact ground truth.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Check a collection: connection, rows, load and index state, query and search latency.
    /// Exit 0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY (bad flags also exit 2).
    Health(Box<health::HealthArgs>),
    /// Keep a Milvus collection in sync with MongoDB, through a sync-handler plugin per type.
    Sync(Box<sync::SyncArgs>),
    /// Compute missing vectors through an OpenAI-compatible embeddings endpoint, write them
    /// back to MongoDB, and (--sync) upsert the documents into Milvus.
    Backfill(Box<backfill::BackfillArgs>),
}

/// Parses arguments, runs the command and turns the outcome into an exit code:
/// 0 ok, 1 failure, 2 usage or bad input.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let printer = Printer::new(cli.output);
    let outcome = match cli.command {
        Command::Generate(args) => generate::run(*args, &printer),
        Command::Schema(cmd) => schema_cmd::run(cmd, &printer),
        Command::ToMilvus(cmd) => to_milvus::run(cmd, &printer),
        Command::Upload(args) => upload::run(*args, &printer),
        Command::Clean(args) => clean::run(args, &printer),
        Command::Plugin(cmd) => plugin_cmd::run(cmd, &printer),
        Command::Dataset(cmd) => dataset::run(cmd, &printer),
        Command::K8s(cmd) => k8s::run(cmd, &printer),
        Command::Bench(cmd) => bench::run(cmd, &printer),
        Command::Health(args) => health::run(*args, &printer),
        Command::Sync(args) => sync::run(*args, &printer),
        Command::Backfill(args) => backfill::run(*args, &printer),
        Command::Rebuild(args) => rebuild::run(*args, &printer),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.render();
            ExitCode::from(e.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn argument_definitions_are_consistent() {
        super::Cli::command().debug_assert();
    }
}
