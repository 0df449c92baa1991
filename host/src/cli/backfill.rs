//! `backfill`: compute missing vectors through an OpenAI-compatible embeddings endpoint, write
//! them back to MongoDB and (with `--sync`) upsert the documents into Milvus. Flags and the
//! environment are resolved into [`BackfillOptions`]; the work is
//! `crate::backfill::run_backfill`. The API key is read from the environment variable named by
//! `--api-key-env` and never printed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::ProgressBar;

use super::error::CliError;
use super::printer::Printer;
use super::to_milvus::{ConnectArgs, connect_announced};
use crate::backfill::vectors::Fatal;
use crate::backfill::{
    BackfillError, BackfillOptions, BackfillSummary, MongoTarget, embedding_of, run_backfill,
};
use crate::embed::{ApiKey, EmbedClient, EmbedConfig, EmbedError};
use crate::plugin::{PluginHost, PluginLimits};
use crate::sync::SyncReporter;
use crate::sync::handlers::resolve_handler;

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Collection type, or an alias form of it (`episodic_memory`, `t_ann_v1_episodic_memory`).
    #[arg(short = 'c', long = "collection-name")]
    pub collection_name: String,
    /// The OpenAI-compatible API base (`POST {url}/embeddings`), e.g. http://localhost:8000/v1.
    #[arg(long, env = "OPENAI_BASE_URL", required_unless_present = "dry_run")]
    pub embeddings_url: Option<String>,
    /// The embedding model: sent with each request, written to the handler's model field, and
    /// compared with it (documents made by another model are re-embedded).
    #[arg(long, env = "VECTORIZE_MODEL")]
    pub model: String,
    /// The environment variable holding the API key (sent as a Bearer token; never printed).
    #[arg(long, value_name = "NAME", default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,
    /// Ask the model for vectors of this many dimensions (`dimensions` in the request).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub dimensions: Option<u32>,
    /// Accept longer vectors: cut them to the handler's dim and re-normalise to unit length.
    #[arg(long)]
    pub truncate_dim: bool,
    /// Handle exactly this many selected documents at most (in `_id` order; across resumes).
    #[arg(short = 'l', long, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Only documents whose time field is at or after this instant (2026-04-08, ...Z, ...+08:00).
    #[arg(long)]
    pub since: Option<String>,
    /// Only documents before this instant.
    #[arg(long)]
    pub until: Option<String>,
    /// Texts per embeddings request.
    #[arg(short = 'b', long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=2048))]
    pub batch: u64,
    /// UTF-8 kilobytes per request at most (long texts make smaller batches).
    #[arg(long, default_value_t = 1024, value_name = "KB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub max_batch_kb: u64,
    /// Embeddings requests in flight.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Seconds per embeddings request.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Tries per embeddings request on connection errors, timeouts, 429 and 5xx.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: u32,
    /// Only documents without a vector (missing, null, empty): no re-embedding of vectors of
    /// another dimension or model.
    #[arg(long)]
    pub only_missing: bool,
    /// Count and list the selected documents; call nothing, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also upsert the updated documents into Milvus through the sync path.
    #[arg(long)]
    pub sync: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// With --sync: the Milvus collection or alias to write instead of the one `-c` names.
    #[arg(long, value_name = "NAME", requires = "sync")]
    pub milvus_name: Option<String>,
    /// MongoDB (mongodb://... or mongodb+srv://...; the database may be named in the path).
    #[arg(long, env = "MONGODB_URI", hide_env_values = true)]
    pub mongo_uri: String,
    /// MongoDB database (default: the URI's, else the handler's).
    #[arg(long, env = "MONGODB_DATABASE")]
    pub mongo_db: Option<String>,
    /// A sync-handler component serving more collection types (wins over shipped ones).
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugins: Vec<PathBuf>,
    /// A handler parameter, e.g. `dim=384`.
    #[arg(long = "handler-param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub handler_params: Vec<(String, String)>,
    /// Continue after the last document of an earlier run with the same flags.
    #[arg(long)]
    pub resume: bool,
    /// One JSON line (id, status, reason) per skipped or failed document (and, in a dry run,
    /// per selected one).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Directory of the checkpoint files (default: ~/.local/state/milvus-ingest/backfill).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

impl From<BackfillError> for CliError {
    fn from(e: BackfillError) -> CliError {
        let hint = match &e {
            BackfillError::Embed(EmbedError::Unreachable { .. })
            | BackfillError::Vectors(Fatal::Embed(EmbedError::Unreachable { .. })) => Some(
                "is the embeddings server running there? check --embeddings-url; rerun with --resume to continue",
            ),
            BackfillError::Vectors(Fatal::Embed(EmbedError::Busy { .. })) => Some(
                "the endpoint is overloaded: lower --concurrency or --batch, or raise --attempts; rerun with --resume to continue",
            ),
            BackfillError::Mongo(crate::mongo::MongoError::Connect { .. }) => {
                Some("is MongoDB running there? check --mongo-uri / MONGODB_URI")
            }
            _ => None,
        };
        let err = if e.is_usage() {
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

struct Reporter {
    bar: Option<ProgressBar>,
}

impl SyncReporter for Reporter {
    fn start(&self, total: Option<u64>) {
        if let (Some(bar), Some(t)) = (&self.bar, total) {
            bar.set_length(t);
        }
    }

    fn read(&self, documents: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(documents);
        }
    }

    fn warning(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        }
    }
}

pub fn run(args: BackfillArgs, printer: &Printer) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    runtime.block_on(backfill(args, printer))
}

async fn backfill(args: BackfillArgs, printer: &Printer) -> Result<(), CliError> {
    let host = PluginHost::new(PluginLimits::default(), 0).map_err(CliError::failure)?;
    let params: BTreeMap<String, String> = args.handler_params.iter().cloned().collect();
    let handler = resolve_handler(&host, &args.plugins, &args.collection_name, &params)
        .map_err(|e| CliError::from(BackfillError::Sync(e.into())))?;
    crate::redact::register_uri(&args.mongo_uri);
    // Before any connection: a handler that cannot backfill is a usage error.
    embedding_of(&handler)?;
    let embed = match (&args.embeddings_url, args.dry_run) {
        (Some(url), false) => {
            let mut config = EmbedConfig::new(url, &args.model);
            config.dimensions = args.dimensions;
            config.timeout = Duration::from_secs(args.timeout);
            config.attempts = args.attempts;
            config.key_env = args.api_key_env.clone();
            let key = std::env::var(&args.api_key_env).ok().and_then(ApiKey::new);
            // Masked in everything the CLI prints, like the other secrets (crate::redact).
            if let Ok(raw) = std::env::var(&args.api_key_env) {
                crate::redact::register(&raw);
            }
            Some(EmbedClient::new(config, key).map_err(BackfillError::from)?)
        }
        _ => None,
    };
    let options = BackfillOptions {
        model: args.model.clone(),
        batch: args.batch as usize,
        max_batch_bytes: (args.max_batch_kb as usize) * 1024,
        concurrency: args.concurrency as usize,
        limit: args.limit,
        since: args.since.clone(),
        until: args.until.clone(),
        only_missing: args.only_missing,
        truncate_dim: args.truncate_dim,
        dry_run: args.dry_run,
        resume: args.resume,
        state_dir: args
            .state_dir
            .clone()
            .unwrap_or_else(crate::backfill::checkpoint::default_state_dir),
        report: args.report.clone(),
        milvus_name: args.milvus_name.clone(),
        ..BackfillOptions::default()
    };
    let client = if args.sync && !args.dry_run {
        Some(connect_announced(&args.connect, printer).await?)
    } else {
        None
    };
    let reporter = Reporter {
        bar: super::progress::documents_spinner(!args.no_progress),
    };
    let mongo = MongoTarget {
        uri: args.mongo_uri.clone(),
        database: args.mongo_db.clone(),
    };
    let summary = run_backfill(
        &handler,
        &mongo,
        embed.as_ref(),
        client.as_ref(),
        &options,
        &reporter,
    )
    .await;
    if let Some(bar) = &reporter.bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    print_summary(&summary, printer);
    if summary.failed > 0 {
        return Err(CliError::failure(anyhow::anyhow!(
            "{} documents got no vector: {}",
            summary.failed,
            summary.failures.first().map(String::as_str).unwrap_or("")
        ))
        .with_hint(
            "see --report FILE for each one; a rerun (without --resume) selects them again",
        ));
    }
    Ok(())
}

fn print_summary(s: &BackfillSummary, printer: &Printer) {
    if printer.is_json() {
        printer.json(s);
        return;
    }
    if s.dry_run {
        for (id, reason) in &s.documents {
            printer.out(&format!("{id}\t{reason}"));
        }
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.add_row(["collection type", &s.collection_type]);
    table.add_row(["source", &s.source]);
    if !s.endpoint.is_empty() {
        table.add_row(["endpoint", &s.endpoint]);
    }
    table.add_row([
        "model".to_string(),
        format!("{} ({} dimensions)", s.model, s.dim),
    ]);
    if let Some(after) = s.resumed_after {
        table.add_row(["resumed after".to_string(), format!("{after} documents")]);
    }
    table.add_row(["selected".to_string(), s.selected.to_string()]);
    for (reason, n) in &s.selected_by_reason {
        table.add_row([format!("  {reason}"), n.to_string()]);
    }
    if !s.dry_run {
        table.add_row(["embedded".to_string(), s.embedded.to_string()]);
    }
    table.add_row(["skipped".to_string(), s.skipped.to_string()]);
    for (reason, n) in &s.skipped_by_reason {
        table.add_row([format!("  {reason}"), n.to_string()]);
    }
    if !s.dry_run {
        table.add_row(["written (MongoDB)".to_string(), s.written.to_string()]);
        if let Some(c) = &s.sync_collection {
            table.add_row([format!("synced (Milvus `{c}`)"), s.synced.to_string()]);
        }
        table.add_row(["failed".to_string(), s.failed.to_string()]);
        table.add_row(["requests".to_string(), s.requests.to_string()]);
        if s.retries > 0 {
            table.add_row(["retries".to_string(), s.retries.to_string()]);
        }
        table.add_row(["seconds".to_string(), format!("{:.1}", s.seconds)]);
        table.add_row(["texts/s".to_string(), format!("{:.1}", s.texts_per_second)]);
    }
    if let Some(cp) = &s.checkpoint {
        table.add_row(["checkpoint".to_string(), cp.display().to_string()]);
    }
    printer.out(&table.to_string());
}
