//! `to-milvus insert DIR` and `to-milvus verify DIR`: flags and environment resolved into
//! library options, a tokio runtime, the progress bar, and the summary/report printing.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::error::CliError;
use super::printer::Printer;
use crate::milvus::dataset::Dataset;
use crate::milvus::insert::{InsertOptions, InsertReporter, insert_dataset};
use crate::milvus::verify::{VerifyLevel, VerifyOptions, VerifyReport, verify_dataset};
use crate::milvus::{Client, CollectionOptions, ConnectOptions, MilvusError, Prepared};

#[derive(Debug, Subcommand)]
pub enum ToMilvusCommand {
    /// Insert a generated dataset into a collection (created from the dataset's schema).
    Insert(InsertArgs),
    /// Check that a collection holds a dataset: counts, sampled rows, self-search.
    Verify(VerifyArgs),
    /// Bulk-import a dataset from the bucket Milvus reads (uploading it first with --local-path).
    Import(Box<super::to_milvus_import::ImportArgs>),
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Milvus address: http://host:port, https://host:port (TLS) or host:port.
    #[arg(long, env = "MILVUS_URI", default_value = "http://localhost:19530")]
    pub uri: String,
    /// `user:password` or an API key. Prefer --token-file or MILVUS_TOKEN: a flag's value
    /// stays in the shell history and in `ps` output.
    #[arg(long, env = "MILVUS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Read the token from this file (its first line; surrounding whitespace is ignored).
    #[arg(
        long,
        value_name = "FILE",
        env = "MILVUS_TOKEN_FILE",
        conflicts_with = "token"
    )]
    pub token_file: Option<PathBuf>,
    /// For https:// URIs: trust the CA certificate(s) in this PEM file instead of the
    /// system roots.
    #[arg(long, value_name = "FILE", env = "MILVUS_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// TESTING ONLY: accept any certificate from an https:// server. Anyone between you and
    /// the server can then read the token and the data. Never use it in production.
    #[arg(long, conflicts_with = "ca_cert")]
    pub insecure_skip_verify: bool,
    /// Database (default: `default`).
    #[arg(long, env = "MILVUS_DB_NAME")]
    pub db_name: Option<String>,
    /// Seconds one request may take, retries included. A server that stops answering ends
    /// the command with an error after about this long (`--resume` continues an insert).
    /// From 1 to 86,400.
    // 0 used to be taken as 1 s silently, and a huge value panicked in tonic's deadline.
    #[arg(long, default_value_t = 120, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub rpc_timeout: u64,
}

#[derive(Debug, Args)]
pub struct InsertArgs {
    /// Dataset directory (with meta.json), as written by `generate`.
    pub dir: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Collection to insert into (default: the schema's collection_name).
    #[arg(long)]
    pub collection_name: Option<String>,
    /// Drop an existing collection of that name and create it anew.
    #[arg(long)]
    pub drop_if_exists: bool,
    /// Rows per Insert request at most.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch_size: u64,
    /// Megabytes per Insert request at most (Milvus refuses requests over 64 MB).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=48))]
    pub max_request_mb: u64,
    /// Insert requests in flight.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Continue an interrupted run: skip rows it inserted, check the ones it had in flight.
    #[arg(long)]
    pub resume: bool,
    /// Physical partitions of a partition-key collection (default: the collection_config of meta.json, else Milvus' 16).
    #[arg(long)]
    pub partitions: Option<u32>,
    /// Shards (virtual channels) of a new collection.
    #[arg(long)]
    pub shards: Option<u32>,
    /// Index every vector field with AUTOINDEX instead of the per-type defaults.
    #[arg(long)]
    pub use_autoindex: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LevelArg {
    Count,
    Scalar,
    Full,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Dataset directory (with meta.json).
    pub dir: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[arg(long)]
    pub collection_name: Option<String>,
    /// count: row count and sampled keys; scalar: also non-vector values and self-search;
    /// full: also vectors element-wise.
    #[arg(long, value_enum, default_value_t = LevelArg::Scalar)]
    pub level: LevelArg,
    /// Rows compared, spread evenly over the dataset.
    #[arg(long, default_value_t = 100)]
    pub sample: usize,
}

impl From<MilvusError> for CliError {
    fn from(e: MilvusError) -> CliError {
        let hint = match &e {
            MilvusError::Connect { .. } => {
                Some("is Milvus running there? check --uri / MILVUS_URI")
            }
            MilvusError::Auth { .. } => {
                Some("check --token / --token-file / MILVUS_TOKEN (user:password or API key)")
            }
            MilvusError::Permission { .. } => {
                Some("grant the user a role with that privilege (or use a user that has it)")
            }
            MilvusError::Tls { .. } => Some(
                "https:// needs a server certificate from a CA you trust (--ca-cert FILE, else the system roots) for the URI's host name",
            ),
            MilvusError::NoCollection { .. } => Some("insert first, or pass --collection-name"),
            _ => None,
        };
        let usage = e.is_usage();
        let err = if usage {
            CliError::usage(e)
        } else {
            CliError::failure(e)
        };
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

pub fn run(command: ToMilvusCommand, printer: &Printer) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    match command {
        ToMilvusCommand::Insert(args) => runtime.block_on(insert(args, printer)),
        ToMilvusCommand::Verify(args) => runtime.block_on(verify(args, printer)),
        ToMilvusCommand::Import(args) => {
            runtime.block_on(super::to_milvus_import::run(*args, printer))
        }
    }
}

impl ConnectArgs {
    /// The library's connection options: the token read (from --token, MILVUS_TOKEN or
    /// --token-file) and registered for redaction, and a loud warning for
    /// --insecure-skip-verify.
    pub(super) fn options(&self) -> Result<ConnectOptions, CliError> {
        let mut options = ConnectOptions::new(self.uri.clone());
        crate::redact::register_uri(&self.uri);
        options.token = match (&self.token, &self.token_file) {
            (_, Some(path)) => Some(read_token_file(path)?),
            (Some(token), None) => Some(token.trim().to_string()),
            (None, None) => None,
        }
        .filter(|t| !t.is_empty());
        if let Some(token) = &options.token {
            crate::redact::register_token(token);
        }
        options.db_name = self.db_name.clone();
        options.rpc_timeout = std::time::Duration::from_secs(self.rpc_timeout);
        options.tls.ca_cert = self.ca_cert.clone();
        options.tls.insecure_skip_verify = self.insecure_skip_verify;
        if self.insecure_skip_verify {
            eprintln!(
                "WARNING: --insecure-skip-verify: the certificate of {} is NOT checked; anyone on the path can read the token and the data. For tests only.",
                crate::redact::uri(&self.uri)
            );
        }
        Ok(options)
    }
}

/// The token in `path`: its first line, trimmed. An empty file is bad input.
fn read_token_file(path: &std::path::Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage_msg(format!("--token-file {}: {e}", path.display())))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        return Err(CliError::usage_msg(format!(
            "--token-file {}: the file is empty (expected user:password or an API key on its first line)",
            path.display()
        )));
    }
    Ok(token)
}

pub(super) async fn connect(args: &ConnectArgs) -> Result<Client, CliError> {
    let options = args.options()?;
    Ok(Client::connect(&options).await?)
}

/// [`connect`], then the status line every Milvus command prints once connected.
pub(super) async fn connect_announced(
    args: &ConnectArgs,
    printer: &Printer,
) -> Result<Client, CliError> {
    let client = connect(args).await?;
    printer.status(&format!(
        "connected to {} (Milvus {}), database `{}`",
        client.uri, client.version, client.db_name
    ));
    Ok(client)
}

struct Reporter {
    bar: Option<ProgressBar>,
    printer: Printer,
}

impl InsertReporter for Reporter {
    fn prepared(&self, collection: &str, how: &Prepared) {
        let what = match how {
            Prepared::Created => "created",
            Prepared::Recreated => "dropped and recreated",
            Prepared::Reused => "reusing existing",
        };
        self.printer.status(&format!(
            "collection `{collection}`: {what}, indexed and loaded"
        ));
    }

    fn start(&self, to_insert: u64, already: u64) {
        if already > 0 {
            self.printer.status(&format!(
                "resuming: {already} rows already inserted, {to_insert} to go"
            ));
        }
        if let Some(bar) = &self.bar {
            bar.set_length(to_insert);
        }
    }

    fn inserted(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(rows);
        }
    }

    fn warning(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.printer.status(&format!("warning: {message}"))),
            None => self.printer.status(&format!("warning: {message}")),
        }
    }
}

async fn insert(args: InsertArgs, printer: &Printer) -> Result<(), CliError> {
    let dataset = Arc::new(Dataset::open(&args.dir)?);
    let client = connect(&args.connect).await?;
    let name = args
        .collection_name
        .clone()
        .unwrap_or_else(|| dataset.schema().collection_name.clone());
    let mut collection = CollectionOptions::new(name);
    collection.drop_if_exists = args.drop_if_exists;
    let config = dataset.meta.collection_config.clone().unwrap_or_default();
    collection.partitions = args.partitions.or(config.num_partitions);
    collection.shards = args.shards.or(config.num_shards);
    collection.use_autoindex = args.use_autoindex;
    let mut options = InsertOptions::new(collection);
    options.batch_size = args.batch_size as usize;
    options.max_request_bytes = (args.max_request_mb * 1024 * 1024) as usize;
    options.concurrency = args.concurrency as usize;
    options.resume = args.resume;

    let show_bar = !args.no_progress && std::io::stderr().is_terminal();
    let reporter = Reporter {
        bar: show_bar.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows ({per_sec}, eta {eta})")
                    .expect("valid template"),
            );
            bar
        }),
        printer: Printer::new(printer.mode),
    };
    printer.status(&format!(
        "connected to {} (Milvus {}), database `{}`",
        client.uri, client.version, client.db_name
    ));
    let summary = insert_dataset(&client, dataset, &options, &reporter).await?;
    if let Some(bar) = &reporter.bar {
        bar.finish_and_clear();
    }
    if printer.is_json() {
        printer.json(&summary);
    } else {
        printer.out(&format!(
            "inserted {} rows into `{}` in {:.1}s ({:.0} rows/s, {} requests, {} retries){}; failed {}",
            summary.inserted,
            summary.collection,
            summary.seconds,
            summary.rows_per_second,
            summary.requests,
            summary.retries,
            if summary.skipped > 0 { format!("; {} already there from an earlier run", summary.skipped) } else { String::new() },
            summary.failed
        ));
    }
    if summary.failed > 0 {
        let first = summary.failures.first().cloned().unwrap_or_default();
        return Err(CliError::failure(anyhow::anyhow!(
            "{} of {} rows were not inserted: {first}",
            summary.failed,
            summary.total_rows
        ))
        .with_hint("fix the cause and re-run with --resume to insert only the missing rows"));
    }
    Ok(())
}

async fn verify(args: VerifyArgs, printer: &Printer) -> Result<(), CliError> {
    let dataset = Dataset::open(&args.dir)?;
    let client = connect(&args.connect).await?;
    let name = args
        .collection_name
        .clone()
        .unwrap_or_else(|| dataset.schema().collection_name.clone());
    let level = match args.level {
        LevelArg::Count => VerifyLevel::Count,
        LevelArg::Scalar => VerifyLevel::Scalar,
        LevelArg::Full => VerifyLevel::Full,
    };
    let report = verify_dataset(
        &client,
        &dataset,
        &VerifyOptions {
            collection: name,
            level,
            sample: args.sample,
        },
    )
    .await?;
    if printer.is_json() {
        printer.json(&report);
    } else {
        printer.out(&render(&report));
    }
    if report.passed {
        Ok(())
    } else {
        Err(CliError::failure(anyhow::anyhow!(
            "collection `{}` does not match the dataset",
            report.collection
        )))
    }
}

fn render(report: &VerifyReport) -> String {
    let mut out = format!(
        "collection `{}`: {} rows (meta.json: {}) {}\nsampled {} rows, found {}\n",
        report.collection,
        report.actual_rows,
        report.expected_rows,
        if report.actual_rows == report.expected_rows {
            "ok"
        } else {
            "MISMATCH"
        },
        report.sampled,
        report.found
    );
    if !report.fields.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        table.set_header(vec!["field", "check", "checked", "mismatches", "examples"]);
        for f in &report.fields {
            table.add_row(vec![
                f.field.clone(),
                f.check.clone(),
                f.checked.to_string(),
                f.mismatches.to_string(),
                f.examples.join("\n"),
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(if report.passed { "PASSED" } else { "FAILED" });
    out
}
