//! `health`: is a collection usable right now? The checks of the health-check script users
//! copy from the seed workflow (connection time, collection exists, row count against a
//! minimum, query and search latency against thresholds), plus alias target, load state and
//! index build progress, in the same JSON layout:
//! `{timestamp, collection, checks: {name: {status, ...}}, overall_status}`.
//!
//! A check is `OK`, `WARN` or `FAIL`. Overall: every check OK is `HEALTHY`, any FAIL is
//! `UNHEALTHY`, anything else `DEGRADED`. Nothing here returns an error: an unreachable server
//! or a missing collection is a FAIL check.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::vectors::VectorSet;
use crate::milvus::bench_search::{PreparedSearch, SearchSpec, query_one};
use crate::milvus::inspect::{
    CollectionInfo, describe_collection, index_progress, list_collections, load_state,
    statistics_row_count,
};
use crate::milvus::query::hits;
use crate::milvus::{Client, ConnectOptions, MilvusError};

/// What to check and the limits.
#[derive(Debug, Clone)]
pub struct HealthOptions {
    pub connect: ConnectOptions,
    pub collection: String,
    /// Fewer rows is a WARN.
    pub min_rows: u64,
    pub query_threshold: Duration,
    pub search_threshold: Duration,
    /// The vector field searched (default: the first one that takes vectors).
    pub anns_field: Option<String>,
}

/// One check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "WARN")]
    Warn,
    #[serde(rename = "FAIL")]
    Fail,
}

/// The verdict over all checks; its exit code is 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Overall {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Overall {
    pub fn exit_code(self) -> u8 {
        match self {
            Overall::Healthy => 0,
            Overall::Degraded => 1,
            Overall::Unhealthy => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Overall::Healthy => "HEALTHY",
            Overall::Degraded => "DEGRADED",
            Overall::Unhealthy => "UNHEALTHY",
        }
    }
}

/// The report, in the seed script's layout.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// RFC 3339, local time.
    pub timestamp: String,
    /// The same instant in seconds since the Unix epoch (the Prometheus timestamp gauge); not
    /// in the JSON, which keeps the seed script's layout.
    #[serde(skip)]
    pub unix_seconds: f64,
    pub collection: String,
    /// Check name -> `{status, ...figures}`, in the order they ran.
    pub checks: Map<String, Value>,
    pub overall_status: Overall,
}

impl HealthReport {
    /// Each check's status.
    pub fn statuses(&self) -> Vec<(String, Status)> {
        self.checks
            .iter()
            .map(|(name, c)| {
                let status = match c.get("status").and_then(Value::as_str) {
                    Some("OK") => Status::Ok,
                    Some("WARN") => Status::Warn,
                    _ => Status::Fail,
                };
                (name.clone(), status)
            })
            .collect()
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn check(status: Status, fields: Value) -> Value {
    let mut out = Map::new();
    out.insert("status".into(), json!(status));
    if let Value::Object(rest) = fields {
        out.extend(rest);
    }
    Value::Object(out)
}

fn fail(error: impl ToString) -> Value {
    check(Status::Fail, json!({ "error": error.to_string() }))
}

/// Runs every check.
pub async fn health_check(options: &HealthOptions) -> HealthReport {
    let mut checks = Map::new();
    run_checks(options, &mut checks).await;
    let statuses: Vec<&str> = checks
        .values()
        .map(|c| c.get("status").and_then(Value::as_str).unwrap_or("FAIL"))
        .collect();
    let overall = if statuses.contains(&"FAIL") {
        Overall::Unhealthy
    } else if statuses.iter().all(|s| *s == "OK") {
        Overall::Healthy
    } else {
        Overall::Degraded
    };
    let now = chrono::Local::now();
    HealthReport {
        timestamp: now.to_rfc3339(),
        unix_seconds: now.timestamp_micros() as f64 / 1e6,
        collection: options.collection.clone(),
        checks,
        overall_status: overall,
    }
}

async fn run_checks(options: &HealthOptions, checks: &mut Map<String, Value>) {
    // 1. Connection: connect (version, credentials) and list collections.
    let started = Instant::now();
    let connected = async {
        let client = Client::connect(&options.connect).await?;
        let names = list_collections(&client).await?;
        Ok::<_, MilvusError>((client, names))
    }
    .await;
    let client = match connected {
        Ok((client, names)) => {
            checks.insert(
                "connection".into(),
                check(
                    Status::Ok,
                    json!({
                        "response_time_ms": ms(started.elapsed()),
                        "collections_count": names.len(),
                        "server_version": client.version.to_string(),
                    }),
                ),
            );
            client
        }
        Err(e) => {
            checks.insert("connection".into(), fail(e));
            return;
        }
    };
    // 2. The collection (or alias) exists.
    let info = match describe_collection(&client, &options.collection).await {
        Ok(info) => {
            checks.insert("collection_exists".into(), check(Status::Ok, json!({})));
            info
        }
        Err(MilvusError::NoCollection { .. }) => {
            checks.insert("collection_exists".into(), fail("Collection not found"));
            return;
        }
        Err(e) => {
            checks.insert("collection_exists".into(), fail(e));
            return;
        }
    };
    checks.insert(
        "alias".into(),
        check(
            Status::Ok,
            json!({
                "requested": info.requested,
                "target": info.name,
                "is_alias": info.requested != info.name,
                "aliases": info.aliases,
            }),
        ),
    );
    let name = info.name.clone();
    checks.insert(
        "data_integrity".into(),
        rows_check(&client, &name, options.min_rows).await,
    );
    checks.insert("load_state".into(), load_check(&client, &name).await);
    checks.insert("index_state".into(), index_check(&client, &info).await);
    checks.insert(
        "query_performance".into(),
        query_check(&client, &info, options).await,
    );
    checks.insert(
        "search_performance".into(),
        search_check(&client, &info, options).await,
    );
}

async fn rows_check(client: &Client, name: &str, min_rows: u64) -> Value {
    match statistics_row_count(client, name).await {
        Ok(rows) if rows >= min_rows => check(
            Status::Ok,
            json!({"row_count": rows, "expected_min": min_rows}),
        ),
        Ok(rows) => check(
            Status::Warn,
            json!({"row_count": rows, "expected_min": min_rows, "warning": "Row count below expected"}),
        ),
        Err(e) => fail(e),
    }
}

async fn load_check(client: &Client, name: &str) -> Value {
    match load_state(client, name).await {
        Ok(state) => {
            let status = match state.as_str() {
                "Loaded" => Status::Ok,
                "Loading" => Status::Warn,
                _ => Status::Fail,
            };
            check(status, json!({ "state": state }))
        }
        // Servers without GetLoadState cannot say; the query and search checks still tell.
        Err(MilvusError::Unsupported { .. }) => check(
            Status::Ok,
            json!({"state": "unknown (GetLoadState not implemented)"}),
        ),
        Err(e) => fail(e),
    }
}

async fn index_check(client: &Client, info: &CollectionInfo) -> Value {
    let indexes = match index_progress(client, &info.name).await {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let mut status = Status::Ok;
    let mut problems = Vec::new();
    for f in info.vector_fields.iter().filter(|f| !f.function_output) {
        match indexes.iter().find(|i| i.field == f.name) {
            None => {
                status = Status::Fail;
                problems.push(format!("vector field `{}` has no index", f.name));
            }
            Some(i) if i.state == "Failed" => {
                status = Status::Fail;
                problems.push(format!(
                    "index on `{}` failed: {}",
                    i.field,
                    i.fail_reason.clone().unwrap_or_default()
                ));
            }
            Some(i) if i.indexed_rows < i.total_rows || i.pending_rows > 0 => {
                if status == Status::Ok {
                    status = Status::Warn;
                }
                problems.push(format!(
                    "index on `{}` covers {} of {} rows",
                    i.field, i.indexed_rows, i.total_rows
                ));
            }
            Some(_) => {}
        }
    }
    let indexed: u64 = indexes.iter().map(|i| i.indexed_rows).sum();
    let total: u64 = indexes.iter().map(|i| i.total_rows).sum();
    let mut value = json!({
        "indexed_rows": indexed,
        "total_rows": total,
        "indexes": indexes,
    });
    if !problems.is_empty() {
        value["warning"] = json!(problems.join("; "));
    }
    check(status, value)
}

async fn query_check(client: &Client, info: &CollectionInfo, options: &HealthOptions) -> Value {
    let threshold = options.query_threshold;
    let started = Instant::now();
    match query_one(client, &info.name, std::slice::from_ref(&info.pk_field)).await {
        Ok(rows) => {
            let took = started.elapsed();
            check(
                if took < threshold {
                    Status::Ok
                } else {
                    Status::Warn
                },
                json!({"response_time_ms": ms(took), "threshold_ms": ms(threshold), "rows": rows}),
            )
        }
        Err(e) => fail(e),
    }
}

async fn search_check(client: &Client, info: &CollectionInfo, options: &HealthOptions) -> Value {
    let threshold = options.search_threshold;
    let field = match options.anns_field.as_deref() {
        Some(_) => info.vector_field(options.anns_field.as_deref()),
        None => info
            .vector_fields
            .iter()
            .find(|f| !f.function_output)
            .ok_or_else(|| MilvusError::Usage("no vector field to search".into())),
    };
    let field = match field {
        Ok(f) => f.clone(),
        Err(e) => return fail(e),
    };
    let metric = field.metric.clone().unwrap_or_else(|| "COSINE".into());
    let spec = SearchSpec {
        collection: info.name.clone(),
        anns_field: field.name.clone(),
        metric,
        top_k: 5,
        params: Map::new(),
        filter: String::new(),
        output_fields: Vec::new(),
    };
    let search = match PreparedSearch::new(client, &spec, field.data_type) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let vector = VectorSet::random(field.data_type, field.dim.unwrap_or(0) as usize, 1, 1)
        .encode(field.data_type, 0);
    let started = Instant::now();
    match search.run(vec![vector]).await {
        Ok(result) => {
            let took = started.elapsed();
            let found = hits(&result).first().map_or(0, Vec::len);
            check(
                if took < threshold {
                    Status::Ok
                } else {
                    Status::Warn
                },
                json!({
                    "response_time_ms": ms(took),
                    "results_count": found,
                    "threshold_ms": ms(threshold),
                    "anns_field": field.name,
                }),
            )
        }
        Err(e) => fail(e),
    }
}
