//! `sync`: keep a Milvus collection in step with MongoDB through a sync-handler plugin. Flags
//! and environment are resolved into [`SyncOptions`]; the work is `crate::sync::run_sync`.
//! The seed script's flags keep their names and short forms (`-c -b -l -d`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::ProgressBar;

use super::error::CliError;
use super::printer::Printer;
use super::to_milvus::{ConnectArgs, connect_announced};
use crate::plugin::{PluginHost, PluginLimits};
use crate::sync::handlers::{HandlerError, list_handlers, resolve_handler};
use crate::sync::{Source, SyncError, SyncOptions, SyncReporter, SyncSummary, run_sync};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Collection type, or an alias form of it (`episodic_memory`, `episodic_memory_memsys`,
    /// `t_ann_v1_episodic_memory`); `--list` shows the types on offer.
    #[arg(
        short = 'c',
        long = "collection-name",
        required_unless_present = "list"
    )]
    pub collection_name: Option<String>,
    /// Documents per handler call (and per checkpoint step); consecutive batches without a
    /// common key are merged into write requests of up to --max-request-mb.
    #[arg(short = 'b', long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch_size: u64,
    /// Read exactly this many documents at most (in `_id` order; across resumed runs).
    #[arg(short = 'l', long, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Only documents whose time field lies in the last N×24 hours (UTC instants).
    #[arg(short = 'd', long, value_parser = clap::value_parser!(u32).range(1..=36_500), conflicts_with_all = ["since", "until"])]
    pub days: Option<u32>,
    /// Only documents at or after this instant (2026-04-08, 2026-04-08T06:30:00Z, ...+08:00).
    #[arg(long)]
    pub since: Option<String>,
    /// Only documents before this instant.
    #[arg(long)]
    pub until: Option<String>,
    /// MongoDB to read (mongodb://... or mongodb+srv://...; the database may be named in the
    /// path).
    #[arg(long, env = "MONGODB_URI", hide_env_values = true)]
    pub mongo_uri: Option<String>,
    /// MongoDB database (default: the URI's, else the handler's).
    #[arg(long, env = "MONGODB_DATABASE")]
    pub mongo_db: Option<String>,
    /// Read mongodump (.bson, .bson.gz) or mongoexport (JSON lines, --jsonArray) files instead
    /// of a live server, in the order given.
    #[arg(long = "from-file", value_name = "FILE", num_args = 1..)]
    pub from_file: Vec<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Write to this Milvus collection or alias instead of the one `-c` names.
    #[arg(long, value_name = "NAME")]
    pub milvus_name: Option<String>,
    /// A sync-handler component serving more collection types (wins over shipped ones).
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugins: Vec<PathBuf>,
    /// A handler parameter, e.g. `dim=384`.
    #[arg(long = "handler-param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub handler_params: Vec<(String, String)>,
    /// Continue from the checkpoint of an earlier run with the same flags.
    #[arg(long)]
    pub resume: bool,
    /// After the initial pass, apply the collection's change stream until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
    /// Convert and check every document, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write one JSON line (id, status, reason) per skipped or failed document.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Directory of the checkpoint files (default: ~/.local/state/milvus-ingest/sync).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Write requests in flight.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Megabytes of entities per write request at most (Milvus refuses requests over 64 MB;
    /// one batch over it still goes alone); 0 sends every batch as its own request.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(0..=48))]
    pub max_request_mb: u64,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// List the collection types on offer and exit.
    #[arg(long)]
    pub list: bool,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

impl From<SyncError> for CliError {
    fn from(e: SyncError) -> CliError {
        let hint = match &e {
            SyncError::Milvus(crate::milvus::MilvusError::Connect { .. }) => {
                Some("is Milvus running there? check --uri / MILVUS_URI")
            }
            SyncError::Mongo(crate::mongo::MongoError::Connect { .. }) => {
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

fn handler_error(e: HandlerError) -> CliError {
    SyncError::from(e).into()
}

struct Reporter {
    bar: Option<ProgressBar>,
}

impl Reporter {
    fn say(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
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
        self.say(&format!("warning: {message}"));
    }

    fn following(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message("initial pass done; following the change stream (Ctrl-C stops)");
        } else {
            eprintln!("initial pass done; following the change stream (Ctrl-C stops)");
        }
    }

    fn changes(&self, applied: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("following: {applied} changes applied"));
        }
    }
}

pub fn run(args: SyncArgs, printer: &Printer) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    runtime.block_on(sync(args, printer))
}

async fn sync(args: SyncArgs, printer: &Printer) -> Result<(), CliError> {
    let host = PluginHost::new(PluginLimits::default(), 0).map_err(CliError::failure)?;
    if args.list {
        let rows = list_handlers(&host, &args.plugins).map_err(handler_error)?;
        if printer.is_json() {
            printer.json(&rows);
        } else {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header([
                    "collection type",
                    "plugin",
                    "source",
                    "time field",
                    "description",
                ]);
            for r in rows {
                let db = if r.source_database.is_empty() {
                    "(--mongo-db)"
                } else {
                    &r.source_database
                };
                table.add_row([
                    r.collection_type,
                    format!(
                        "{} {}{}",
                        r.plugin,
                        r.version,
                        if r.shipped { "" } else { " (--plugin)" }
                    ),
                    format!("{db}.{}", r.source_collection),
                    r.time_field,
                    r.description,
                ]);
            }
            printer.out(&table.to_string());
        }
        return Ok(());
    }
    let name = args
        .collection_name
        .clone()
        .expect("clap requires -c without --list");
    let params: BTreeMap<String, String> = args.handler_params.iter().cloned().collect();
    let handler = resolve_handler(&host, &args.plugins, &name, &params).map_err(handler_error)?;
    if let Some(uri) = &args.mongo_uri {
        crate::redact::register_uri(uri);
    }
    let source = if !args.from_file.is_empty() {
        Source::Files(args.from_file.clone())
    } else {
        Source::Live {
            uri: args.mongo_uri.clone().ok_or_else(|| {
                CliError::usage_msg(
                    "no source: pass --mongo-uri (or set MONGODB_URI), or --from-file",
                )
            })?,
            database: args.mongo_db.clone(),
        }
    };
    let options = SyncOptions {
        batch_size: args.batch_size as usize,
        limit: args.limit,
        days: args.days,
        since: args.since.clone(),
        until: args.until.clone(),
        concurrency: args.concurrency as usize,
        max_request_bytes: (args.max_request_mb as usize) << 20,
        dry_run: args.dry_run,
        resume: args.resume,
        follow: args.follow,
        state_dir: args
            .state_dir
            .clone()
            .unwrap_or_else(crate::sync::default_state_dir),
        report: args.report.clone(),
        milvus_name: args.milvus_name.clone(),
        ..SyncOptions::default()
    };
    let client = if args.dry_run {
        None
    } else {
        Some(connect_announced(&args.connect, printer).await?)
    };
    let reporter = Reporter {
        bar: super::progress::documents_spinner(!args.no_progress),
    };
    let summary = run_sync(client.as_ref(), &handler, source, &options, &reporter).await;
    if let Some(bar) = &reporter.bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    print_summary(&summary, printer);
    if let Some(stopped) = &summary.stopped {
        return Err(CliError::failure(anyhow::anyhow!("{stopped}")));
    }
    if summary.failed > 0 {
        return Err(CliError::failure(anyhow::anyhow!(
            "{} documents could not be written to `{}`: {}",
            summary.failed,
            summary.collection,
            summary.failures.first().map(String::as_str).unwrap_or("")
        ))
        .with_hint(
            "fix the cause and rerun with --resume: acknowledged batches are not read again",
        ));
    }
    Ok(())
}

fn print_summary(s: &SyncSummary, printer: &Printer) {
    if printer.is_json() {
        printer.json(s);
        return;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let target = if s.collection == s.real_collection {
        format!("{} ({})", s.collection, s.target)
    } else {
        format!("{} → {} ({})", s.collection, s.real_collection, s.target)
    };
    table.add_row(["collection type", &s.collection_type]);
    table.add_row(["target", &target]);
    table.add_row(["source", &s.source]);
    if let Some(after) = s.resumed_after {
        table.add_row(["resumed after".to_string(), format!("{after} documents")]);
    }
    let mut row = |k: &str, v: u64| {
        table.add_row([k.to_string(), v.to_string()]);
    };
    row("read", s.read);
    row("converted", s.converted);
    row("skipped", s.skipped);
    for (reason, n) in &s.skipped_by_reason {
        table.add_row([format!("  {reason}"), n.to_string()]);
    }
    let mut row = |k: &str, v: u64| {
        table.add_row([k.to_string(), v.to_string()]);
    };
    row("collapsed (same key later in batch)", s.collapsed);
    row(
        if s.dry_run {
            "would upsert"
        } else {
            "upserted"
        },
        s.upserted,
    );
    row(
        if s.dry_run { "would delete" } else { "deleted" },
        s.deleted,
    );
    row("failed", s.failed);
    if s.retries > 0 {
        row("retries", s.retries);
    }
    if s.changes_applied > 0 {
        row("changes applied (--follow)", s.changes_applied);
    }
    table.add_row(["seconds".to_string(), format!("{:.1}", s.seconds)]);
    table.add_row([
        "documents/s".to_string(),
        format!("{:.0}", s.rows_per_second),
    ]);
    if let Some(cp) = &s.checkpoint {
        table.add_row(["checkpoint".to_string(), cp.display().to_string()]);
    }
    printer.out(&table.to_string());
}
