//! `health`: run the health checks and print them as a table, JSON (the seed script's layout)
//! or Prometheus text. Exit codes follow the seed script: 0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY;
//! bad flags also exit 2 (so a monitor treats a broken invocation as unhealthy, never healthy).
//! `--textfile` also writes the Prometheus text to a file, replaced atomically on every run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

use super::error::CliError;
use super::printer::Printer;
use super::to_milvus::ConnectArgs;
use crate::measure::health::{HealthOptions, HealthReport, Overall, health_check};
use crate::measure::prometheus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthFormat {
    /// A short table (the default; `--output json` switches to json).
    Table,
    /// The seed script's JSON layout.
    Json,
    /// Prometheus text exposition format (node-exporter textfile collector).
    Prometheus,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Collection (or alias) to check.
    #[arg(long, visible_alias = "collection-name")]
    pub collection: String,
    /// Fewer rows than this is DEGRADED.
    #[arg(long, default_value_t = 1)]
    pub min_rows: u64,
    /// A slower `limit 1` query is DEGRADED.
    #[arg(long, default_value_t = 100.0)]
    pub query_threshold_ms: f64,
    /// A slower top-5 search is DEGRADED.
    #[arg(long, default_value_t = 50.0)]
    pub search_threshold_ms: f64,
    /// Vector field the search check uses (default: the first one).
    #[arg(long)]
    pub anns_field: Option<String>,
    /// table, json or prometheus (default: table, or json with --output json).
    #[arg(long, value_enum)]
    pub format: Option<HealthFormat>,
    /// Also write the Prometheus text to this file (node-exporter's textfile collector, e.g.
    /// /var/lib/node_exporter/kb.prom): written to a temporary file beside it and renamed over
    /// it on every run, whatever the status.
    #[arg(long, value_name = "PATH")]
    pub textfile: Option<PathBuf>,
}

/// The textfile's directory must exist (checked before anything runs: a bad path is bad input).
fn check_textfile(path: &Path) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.file_name().is_none() || path.is_dir() {
        return Err(CliError::usage_msg(format!(
            "--textfile {}: expected a file path, e.g. /var/lib/node_exporter/kb.prom",
            path.display()
        )));
    }
    if !dir.is_dir() {
        return Err(CliError::usage_msg(format!(
            "--textfile {}: directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

fn threshold(ms: f64, flag: &str) -> Result<Duration, CliError> {
    if !(ms > 0.0 && ms.is_finite()) {
        return Err(CliError::usage_msg(format!(
            "--{flag} must be a positive number of milliseconds (got {ms})"
        )));
    }
    Ok(Duration::from_secs_f64(ms / 1e3))
}

pub fn run(args: HealthArgs, printer: &Printer) -> Result<(), CliError> {
    if let Some(path) = &args.textfile {
        check_textfile(path)?;
    }
    let connect = args.connect.options()?;
    let options = HealthOptions {
        connect,
        collection: args.collection.clone(),
        min_rows: args.min_rows,
        query_threshold: threshold(args.query_threshold_ms, "query-threshold-ms")?,
        search_threshold: threshold(args.search_threshold_ms, "search-threshold-ms")?,
        anns_field: args.anns_field.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    let report = runtime.block_on(health_check(&options));
    let format = args.format.unwrap_or(if printer.is_json() {
        HealthFormat::Json
    } else {
        HealthFormat::Table
    });
    match format {
        HealthFormat::Json => printer.json(&report),
        HealthFormat::Prometheus => printer.out(prometheus::render(&report).trim_end()),
        HealthFormat::Table => printer.out(&render(&report)),
    }
    if let Some(path) = &args.textfile
        && let Err(e) = prometheus::write_textfile(path, &prometheus::render(&report))
    {
        // Never exit better than the collection is: an unhealthy one stays 2.
        return Err(CliError {
            error: anyhow::anyhow!("--textfile {}: cannot write it: {e}", path.display()),
            code: report.overall_status.exit_code().max(1),
            hint: None,
        });
    }
    match report.overall_status {
        Overall::Healthy => Ok(()),
        other => {
            let failing: Vec<String> = report
                .statuses()
                .into_iter()
                .filter(|(_, s)| *s != crate::measure::health::Status::Ok)
                .map(|(n, s)| {
                    format!(
                        "{n}: {}",
                        serde_json::to_value(s)
                            .unwrap_or_default()
                            .as_str()
                            .unwrap_or("")
                    )
                })
                .collect();
            Err(CliError {
                error: anyhow::anyhow!(
                    "collection `{}` is {} ({})",
                    report.collection,
                    other.name(),
                    failing.join(", ")
                ),
                code: other.exit_code(),
                hint: None,
            })
        }
    }
}

fn detail(check: &Value) -> String {
    let Some(obj) = check.as_object() else {
        return String::new();
    };
    obj.iter()
        .filter(|(k, _)| *k != "status" && *k != "indexes")
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render(report: &HealthReport) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec!["check", "status", "details"]);
    for (name, check) in &report.checks {
        let status = check
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("FAIL");
        table.add_row(vec![name.clone(), status.to_string(), detail(check)]);
    }
    format!(
        "{}\ncollection `{}` at {}: {}",
        table,
        report.collection,
        report.timestamp,
        report.overall_status.name()
    )
}
