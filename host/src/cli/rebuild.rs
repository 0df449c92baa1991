//! `rebuild --alias NAME`: flags resolved into `rebuild::Options`, Ctrl-C handling, the
//! progress bar, and the plan/summary printing.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::error::CliError;
use super::printer::Printer;
use super::to_milvus::{ConnectArgs, connect_announced};
use crate::plugin::{PluginHost, PluginLimits};
use crate::rebuild::state::{State, state_dir};
use crate::rebuild::target::{self, Target, TargetSource};
use crate::rebuild::{self as lib, CopyOptions, Options, RebuildError, Reporter, Summary};

#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// The alias to rebuild (a collection of that name without an alias gets one).
    #[arg(short = 'a', long)]
    pub alias: String,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The new schema (JSON or YAML, this tool's format). Default: the sync handler serving the
    /// alias' collection type (--plugin), else the current collection's own schema.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// A sync-handler plugin (.wasm) whose declared schema and indexes define the new collection.
    #[arg(long, value_name = "PATH")]
    pub plugin: Vec<PathBuf>,
    /// Index override, repeatable: FIELD=TYPE[:key=value,...], e.g. vector=HNSW:M=32,efConstruction=400.
    #[arg(long, value_name = "FIELD=TYPE[:k=v,...]")]
    pub index: Vec<String>,
    /// Metric of every vector index (COSINE, L2, IP, ...).
    #[arg(long)]
    pub metric: Option<String>,
    /// After a successful switch, release and drop the previous collection.
    #[arg(short = 'x', long)]
    pub drop_old: bool,
    /// Create the new collection empty (refill it yourself, e.g. with sync).
    #[arg(long)]
    pub no_migrate_data: bool,
    /// Allow --no-migrate-data together with --drop-old (the alias then serves an empty collection).
    #[arg(long)]
    pub allow_empty: bool,
    /// Rows per page and per insert.
    #[arg(short = 'b', long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..16384))]
    pub batch_size: u64,
    /// Inserts in flight.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=32))]
    pub concurrency: u64,
    /// Before switching, copy rows the old collection gained (and drop rows it lost) during the copy.
    #[arg(long)]
    pub catch_up: bool,
    /// Integer field holding each row's last-modified time: --catch-up also re-copies rows changed during the copy.
    #[arg(long, value_name = "FIELD")]
    pub time_field: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue an interrupted rebuild of this alias.
    #[arg(long, conflicts_with_all = ["abort", "dry_run", "schema", "index", "drop_previous"])]
    pub resume: bool,
    /// Drop the new collection of an interrupted rebuild of this alias.
    #[arg(long, conflicts_with_all = ["dry_run", "drop_previous"])]
    pub abort: bool,
    /// Drop a previous collection an earlier rebuild kept (never the one behind the alias).
    #[arg(long, value_name = "COLLECTION")]
    pub drop_previous: Option<String>,
    /// Seconds to wait for the new collection's indexes.
    #[arg(long, default_value_t = 1800)]
    pub index_timeout: u64,
    /// Seconds to wait for the new collection to load.
    #[arg(long, default_value_t = 600)]
    pub load_timeout: u64,
    /// Seconds searches may keep running on the old collection after the switch before it is
    /// released (searches routed to it just before the switch fail if it is released at once).
    #[arg(long, default_value_t = crate::rebuild::DEFAULT_DRAIN.as_secs())]
    pub drain_seconds: u64,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

impl From<RebuildError> for CliError {
    fn from(e: RebuildError) -> CliError {
        if e.is_usage() {
            CliError::usage(e)
        } else {
            CliError::failure(e)
        }
    }
}

struct Bar {
    bar: Option<ProgressBar>,
}

impl Reporter for Bar {
    fn status(&self, message: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    fn copy_start(&self, total: u64, done: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total);
            b.set_position(done);
            b.reset_eta();
        }
    }

    fn copied(&self, rows: u64) {
        if let Some(b) = &self.bar {
            b.inc(rows);
        }
    }

    fn copy_end(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    fn warning(&self, message: &str) {
        self.status(&format!("warning: {message}"));
    }
}

fn bar(enabled: bool) -> Bar {
    let enabled = enabled && std::io::stderr().is_terminal();
    Bar {
        bar: enabled.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows ({per_sec}, eta {eta})",
                )
                .expect("valid template"),
            );
            bar
        }),
    }
}

/// The target, in order: --schema, a sync handler serving the alias' collection type (one
/// given with --plugin, else one shipped in the binary), the current schema.
fn resolve_target(args: &RebuildArgs) -> Result<Target, CliError> {
    if let Some(path) = &args.schema {
        return Ok(target::from_schema_file(path)?);
    }
    let host = PluginHost::new(PluginLimits::default(), 0).map_err(RebuildError::from)?;
    if !args.plugin.is_empty() {
        for p in &args.plugin {
            host.load(p).map_err(RebuildError::from)?;
        }
        return match target::handler_target(&host, &args.alias)? {
            Some(t) => Ok(t),
            None => Err(CliError::usage_msg(format!(
                "no loaded sync handler serves the collection type of alias `{}`",
                args.alias
            ))),
        };
    }
    if let Some(t) = target::shipped_handler_target(&host, &args.alias)? {
        return Ok(t);
    }
    Ok(Target {
        schema: None,
        source: TargetSource::Current,
    })
}

pub fn run(args: RebuildArgs, printer: &Printer) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    runtime.block_on(run_async(args, printer))
}

async fn run_async(args: RebuildArgs, printer: &Printer) -> Result<(), CliError> {
    let overrides = args
        .index
        .iter()
        .map(|i| target::parse_index_override(i))
        .collect::<Result<Vec<_>, _>>()?;
    let target = if args.resume || args.abort || args.drop_previous.is_some() {
        Target {
            schema: None,
            source: TargetSource::Current,
        }
    } else {
        resolve_target(&args)?
    };
    let client = connect_announced(&args.connect, printer).await?;
    let options = Options {
        alias: args.alias.clone(),
        target,
        overrides,
        metric: args.metric.clone(),
        migrate: !args.no_migrate_data,
        drop_old: args.drop_old,
        allow_empty: args.allow_empty,
        dry_run: args.dry_run,
        catch_up: args.catch_up,
        copy: CopyOptions {
            batch_size: args.batch_size as usize,
            concurrency: args.concurrency as usize,
            attempts: 6,
            time_field: args.time_field.clone(),
        },
        load_timeout: Duration::from_secs(args.load_timeout.max(1)),
        index_timeout: Duration::from_secs(args.index_timeout.max(1)),
        drain: Duration::from_secs(args.drain_seconds),
        state_dir: state_dir(),
    };
    if let Some(previous) = &args.drop_previous {
        lib::drop_previous(&client, &args.alias, previous).await?;
        if printer.is_json() {
            printer.json(&serde_json::json!({"alias": args.alias, "dropped": previous}));
        } else {
            printer.out(&format!("dropped `{previous}`"));
        }
        return Ok(());
    }
    if args.abort {
        let aborted = lib::abort(&client, &options).await?;
        if printer.is_json() {
            printer.json(&aborted);
        } else {
            printer.out(&format!(
                "dropped `{}`; alias `{}` stays on `{}`",
                aborted.dropped, aborted.alias, aborted.alias_on
            ));
        }
        return Ok(());
    }
    let reporter = bar(!args.no_progress);
    let work = async {
        if args.resume {
            lib::resume(&client, &options, &reporter).await
        } else {
            lib::rebuild(&client, &options, &reporter).await
        }
    };
    let outcome = tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => {
            reporter.copy_end();
            let path = lib::run::state_file(&client, &options);
            let message = match State::load(&path).ok().flatten() {
                Some(s) => format!(
                    "interrupted: alias `{}` still points at `{}`; the new collection `{}` is kept with {} rows copied: continue with --resume, or drop it with --abort",
                    s.plan.alias, s.plan.old_collection, s.plan.new_collection, s.rows_copied
                ),
                None => format!("interrupted before anything was created; alias `{}` unchanged", args.alias),
            };
            return Err(CliError::failure(anyhow::anyhow!(message)));
        }
    };
    let summary = outcome?;
    if printer.is_json() {
        printer.json(&summary);
    } else {
        printer.out(&render(&summary));
    }
    Ok(())
}

fn render(s: &Summary) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let mut row = |k: &str, v: String| {
        table.add_row(vec![k.to_string(), v]);
    };
    row("alias", s.alias.clone());
    row(
        if s.switched {
            "previous collection"
        } else {
            "current collection"
        },
        s.old_collection.clone(),
    );
    if !s.other_aliases.is_empty() {
        row(
            "other aliases of it",
            format!(
                "{} (stay on it: it is kept loaded, never dropped)",
                s.other_aliases.join(", ")
            ),
        );
    }
    row("new collection", s.new_collection.clone());
    row("target", s.source.clone());
    if s.dry_run {
        row("rows to copy", s.rows_at_snapshot.to_string());
    } else {
        row("rows at snapshot", s.rows_at_snapshot.to_string());
        row("rows copied", s.rows_copied.to_string());
        row("rows in new collection", s.rows_in_new.to_string());
        if s.duplicate_copies > 0 {
            let keys = crate::rebuild::distinct::KeyCount {
                counted: s.distinct_keys + s.duplicate_copies,
                distinct: s.distinct_keys,
            };
            row("duplicate keys in the old collection", keys.describe());
        }
        row(
            "rows changed during the copy",
            match &s.caught_up {
                Some(c) => format!(
                    "{} (caught up: {} added, {} deleted, {} updated)",
                    s.rows_changed_during_copy, c.added, c.deleted, c.updated
                ),
                None if s.rows_changed_during_copy == 0 => "0".to_string(),
                None => format!(
                    "{} (not copied; use --catch-up)",
                    s.rows_changed_during_copy
                ),
            },
        );
        row(
            "time",
            format!(
                "{:.1}s (copy {:.1}s, {:.0} rows/s)",
                s.seconds, s.copy_seconds, s.rows_per_second
            ),
        );
        row(
            "switch",
            if s.switched {
                format!(
                    "{} -> {}{}",
                    s.alias,
                    s.new_collection,
                    if s.alias_created { " (created)" } else { "" }
                )
            } else {
                "unchanged".into()
            },
        );
        row(
            "previous collection",
            if s.old_dropped {
                "dropped".into()
            } else if !s.old_released && !s.other_aliases.is_empty() {
                "kept loaded (other aliases point at it)".into()
            } else if s.old_released {
                "released, kept".into()
            } else {
                "kept".into()
            },
        );
    }
    let changes = if s.changes.is_empty() {
        "none".to_string()
    } else {
        s.changes
            .iter()
            .map(|c| format!("{} {}: {}", c.change, c.field, c.detail))
            .collect::<Vec<_>>()
            .join("\n")
    };
    row("field changes", changes);
    row(
        "indexes",
        s.indexes
            .iter()
            .map(|i| {
                format!(
                    "{}: {}{} {}",
                    i.field,
                    i.index_type,
                    i.metric_type
                        .as_ref()
                        .map(|m| format!(" {m}"))
                        .unwrap_or_default(),
                    serde_json::Value::Object(i.params.clone())
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let mut out = table.to_string();
    for w in &s.warnings {
        out.push_str(&format!("\nwarning: {w}"));
    }
    if let Some(h) = &s.drop_hint {
        out.push_str(&format!("\n{h}"));
    }
    if s.dry_run {
        out.push_str("\ndry run: nothing was changed");
    }
    out
}
