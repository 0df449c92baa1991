//! A health report in the Prometheus text exposition format (version 0.0.4), for the
//! node-exporter textfile collector. [`write_textfile`] writes it to a hidden temporary file in
//! the target's directory and renames it over the target, so the collector never reads half a
//! file; `health --textfile` does so whatever the status, so an unhealthy collection is never
//! shown with its last healthy figures.

use std::path::Path;

use serde_json::Value;

use super::health::{HealthReport, Status};

/// Escapes a label value (`\`, `"`, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Out {
    text: String,
    collection: String,
}

impl Out {
    fn family(&mut self, name: &str, help: &str) {
        self.text
            .push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
    }

    fn sample(&mut self, name: &str, extra: &[(&str, &str)], value: f64) {
        let mut labels = format!("collection=\"{}\"", label(&self.collection));
        for (k, v) in extra {
            labels.push_str(&format!(",{k}=\"{}\"", label(v)));
        }
        self.text.push_str(&format!("{name}{{{labels}}} {value}\n"));
    }
}

fn number(check: Option<&Value>, key: &str) -> Option<f64> {
    check?.get(key)?.as_f64()
}

/// The report as exposition text.
pub fn render(report: &HealthReport) -> String {
    let mut out = Out {
        text: String::new(),
        collection: report.collection.clone(),
    };
    out.family(
        "milvus_ingest_health_status",
        "Overall health: 0 healthy, 1 degraded, 2 unhealthy.",
    );
    out.sample(
        "milvus_ingest_health_status",
        &[],
        f64::from(report.overall_status.exit_code()),
    );
    out.family(
        "milvus_ingest_health_timestamp_seconds",
        "When the checks ran, in seconds since the Unix epoch (alert when it stops moving).",
    );
    out.sample(
        "milvus_ingest_health_timestamp_seconds",
        &[],
        report.unix_seconds,
    );
    out.family(
        "milvus_ingest_health_check_status",
        "Per check: 0 OK, 1 WARN, 2 FAIL.",
    );
    for (name, status) in report.statuses() {
        let v = match status {
            Status::Ok => 0.0,
            Status::Warn => 1.0,
            Status::Fail => 2.0,
        };
        out.sample("milvus_ingest_health_check_status", &[("check", &name)], v);
    }
    let checks = &report.checks;
    let timed: Vec<(&str, f64)> = ["connection", "query_performance", "search_performance"]
        .into_iter()
        .filter_map(|c| number(checks.get(c), "response_time_ms").map(|ms| (c, ms / 1e3)))
        .collect();
    if !timed.is_empty() {
        out.family(
            "milvus_ingest_health_response_seconds",
            "Response time of the timed checks.",
        );
        for (c, s) in timed {
            out.sample("milvus_ingest_health_response_seconds", &[("check", c)], s);
        }
    }
    if let Some(rows) = number(checks.get("data_integrity"), "row_count") {
        out.family("milvus_ingest_health_rows", "Rows in the collection.");
        out.sample("milvus_ingest_health_rows", &[], rows);
        out.family(
            "milvus_ingest_health_min_rows",
            "The minimum row count asked for (--min-rows).",
        );
        let min = number(checks.get("data_integrity"), "expected_min").unwrap_or(0.0);
        out.sample("milvus_ingest_health_min_rows", &[], min);
    }
    if let Some(state) = checks
        .get("load_state")
        .and_then(|c| c.get("state"))
        .and_then(Value::as_str)
    {
        out.family(
            "milvus_ingest_health_loaded",
            "1 when the collection is loaded.",
        );
        out.sample(
            "milvus_ingest_health_loaded",
            &[],
            if state == "Loaded" { 1.0 } else { 0.0 },
        );
    }
    if let Some(indexes) = checks
        .get("index_state")
        .and_then(|c| c.get("indexes"))
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty())
    {
        out.family(
            "milvus_ingest_health_indexed_rows",
            "Rows covered by each built index.",
        );
        for i in indexes {
            let field = i.get("field").and_then(Value::as_str).unwrap_or("");
            let rows = i.get("indexed_rows").and_then(Value::as_f64).unwrap_or(0.0);
            out.sample(
                "milvus_ingest_health_indexed_rows",
                &[("field", field)],
                rows,
            );
        }
        out.family(
            "milvus_ingest_health_index_total_rows",
            "Rows each index should cover.",
        );
        for i in indexes {
            let field = i.get("field").and_then(Value::as_str).unwrap_or("");
            let rows = i.get("total_rows").and_then(Value::as_f64).unwrap_or(0.0);
            out.sample(
                "milvus_ingest_health_index_total_rows",
                &[("field", field)],
                rows,
            );
        }
    }
    out.text
}

/// Writes `text` to `path` through a temporary sibling (`.NAME.tmp-PID`, which the textfile
/// collector ignores: it reads `*.prom` only), synced and then renamed over `path`. On error the
/// temporary file is removed and `path` is left as it was.
/// A symlinked `path` is followed, and the file it points to is replaced (the temporary file
/// goes beside that one, on its file system), so the link stays a link.
pub fn write_textfile(path: &Path, text: &str) -> std::io::Result<()> {
    crate::fsutil::write_atomically(&resolve_links(path)?, text.as_bytes())
}

/// `path` with its symlinks (as the last component) followed, dangling ones included: a
/// rename over a link would replace the link itself with a regular file.
fn resolve_links(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::health::Overall;
    use serde_json::json;

    #[test]
    fn exposition_text_has_families_labels_and_escapes() {
        let checks = json!({
            "connection": {"status": "OK", "response_time_ms": 12.5},
            "data_integrity": {"status": "WARN", "row_count": 10, "expected_min": 100},
            "load_state": {"status": "OK", "state": "Loaded"},
            "index_state": {"status": "OK", "indexes": [{"field": "v", "indexed_rows": 10, "total_rows": 10}]},
        });
        let report = HealthReport {
            timestamp: "t".into(),
            unix_seconds: 1_700_000_000.25,
            collection: "a\"b".into(),
            checks: checks.as_object().unwrap().clone(),
            overall_status: Overall::Degraded,
        };
        let text = render(&report);
        assert!(
            text.contains("milvus_ingest_health_status{collection=\"a\\\"b\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("check=\"data_integrity\"} 1\n"), "{text}");
        assert!(
            text.contains(
                "milvus_ingest_health_timestamp_seconds{collection=\"a\\\"b\"} 1700000000.25\n"
            ),
            "{text}"
        );
        assert!(text.contains("milvus_ingest_health_response_seconds{collection=\"a\\\"b\",check=\"connection\"} 0.0125\n"), "{text}");
        assert!(text.contains("milvus_ingest_health_loaded{collection=\"a\\\"b\"} 1\n"));
        assert!(
            text.contains(
                "milvus_ingest_health_indexed_rows{collection=\"a\\\"b\",field=\"v\"} 10\n"
            )
        );
        // Every sample line belongs to a declared family.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('{').next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} gauge")), "{line}");
        }
    }
}
