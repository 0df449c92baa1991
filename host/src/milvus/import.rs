//! Bulk import: ask Milvus to read data files from its own bucket.
//!
//! Two protocols, chosen by server version (or forced):
//! - v1, the gRPC `Import` RPC (Milvus 2.3; still served by 2.4+): one task per file, polled
//!   with `GetImportState`, whose `infos` carry `failed_reason` and `progress_percent`.
//! - v2, ImportV2 over REST (`/v2/vectordb/jobs/import/create|describe`, Milvus 2.4+): jobs of
//!   up to 1024 files (one file per group), several jobs beyond that.
//!
//! Paths are object keys inside the bucket the server reads (not URLs); checking that they exist
//! is the caller's job (it knows the storage credentials, Milvus does not tell us clearly).

use std::time::{Duration, Instant};

use ::milvus::proto::common::{ImportState, KeyValuePair};
use ::milvus::proto::milvus::{GetImportStateRequest, ImportRequest};
use serde::Serialize;
use serde_json::{Value, json};

use super::client::Client;
use super::error::{MilvusError, Result};
use crate::schema::{DataType, Schema};

/// Files per ImportV2 job (the server's limit).
pub const V2_FILES_PER_JOB: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportApi {
    V1,
    V2,
}

impl ImportApi {
    /// v2 from Milvus 2.4 on, where ImportV2 exists; v1 before.
    pub fn for_server(client: &Client) -> ImportApi {
        if client.version.at_least(2, 4) {
            ImportApi::V2
        } else {
            ImportApi::V1
        }
    }
}

/// Checks what the chosen API can import before anything is created: Milvus 2.3's v1 Import
/// RPC cannot generate VarChar primary keys ("string type primary key cannot be
/// auto-generated"), though its inserts and ImportV2 (2.4+) can.
pub fn check_import_support(schema: &Schema, api: ImportApi, version: &str) -> Result<()> {
    match schema.primary() {
        Some(pk) if api == ImportApi::V1 && pk.auto_id && pk.data_type == DataType::VarChar => {
            Err(MilvusError::Unsupported {
                version: version.to_string(),
                feature: format!(
                    "bulk import (v1 Import RPC) of schema `{}`",
                    schema.collection_name
                ),
                hint: format!(
                    "it cannot generate the VarChar auto_id primary key `{}`: load with `to-milvus insert`, or import into Milvus 2.4+ (ImportV2)",
                    pk.name
                ),
            })
        }
        _ => Ok(()),
    }
}

/// One submitted unit: a v1 task (one file) or a v2 job (up to 1024 files).
#[derive(Debug, Clone, Serialize)]
pub struct ImportTask {
    pub api: ImportApi,
    pub id: String,
    pub files: Vec<String>,
}

/// Where a task stands.
#[derive(Debug, Clone, Serialize)]
pub struct TaskState {
    pub id: String,
    pub files: Vec<String>,
    pub state: String,
    /// 0-100.
    pub progress: u32,
    pub rows: u64,
    pub done: bool,
    pub failed: bool,
    /// The server's reason(s), per file where it says.
    pub reason: Option<String>,
}

/// Submits `files` (object keys) for import into `collection`.
pub async fn submit(
    client: &Client,
    collection: &str,
    files: &[String],
    api: ImportApi,
) -> Result<Vec<ImportTask>> {
    let mut tasks = Vec::new();
    match api {
        ImportApi::V1 => {
            for file in files {
                let resp = client
                    .raw()
                    .import(client.request(ImportRequest {
                        collection_name: collection.to_string(),
                        db_name: client.db_name.clone(),
                        files: vec![file.clone()],
                        row_based: file.ends_with(".json"),
                        options: Vec::<KeyValuePair>::new(),
                        ..Default::default()
                    }))
                    .await
                    .map_err(|s| client.grpc_error("Import", s))?
                    .into_inner();
                client
                    .check("Import", resp.status.as_ref())
                    .map_err(|e| e.at(file))?;
                for id in resp.tasks {
                    tasks.push(ImportTask {
                        api,
                        id: id.to_string(),
                        files: vec![file.clone()],
                    });
                }
            }
        }
        ImportApi::V2 => {
            for chunk in files.chunks(V2_FILES_PER_JOB) {
                let groups: Vec<Vec<&String>> = chunk.iter().map(|f| vec![f]).collect();
                let body = json!({
                    "dbName": client.db_name,
                    "collectionName": collection,
                    "files": groups,
                });
                let data = rest(client, "/v2/vectordb/jobs/import/create", &body).await?;
                let id = match &data["jobId"] {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    other => {
                        return Err(MilvusError::Rpc {
                            rpc: "ImportV2 create",
                            reason: format!("no jobId in the answer: {other}"),
                            transient: false,
                        });
                    }
                };
                tasks.push(ImportTask {
                    api,
                    id,
                    files: chunk.to_vec(),
                });
            }
        }
    }
    Ok(tasks)
}

/// Asks the server where `task` stands.
pub async fn state(client: &Client, task: &ImportTask) -> Result<TaskState> {
    match task.api {
        ImportApi::V1 => {
            let id: i64 = task.id.parse().expect("v1 ids are numbers");
            let resp = client
                .raw()
                .get_import_state(client.request(GetImportStateRequest { task: id }))
                .await
                .map_err(|s| client.grpc_error("GetImportState", s))?
                .into_inner();
            client.check("GetImportState", resp.status.as_ref())?;
            let info = |key: &str| {
                resp.infos
                    .iter()
                    .find(|kv| kv.key == key)
                    .map(|kv| kv.value.clone())
            };
            let state = ImportState::try_from(resp.state).unwrap_or(ImportState::ImportPending);
            let failed = matches!(
                state,
                ImportState::ImportFailed | ImportState::ImportFailedAndCleaned
            );
            let done = state == ImportState::ImportCompleted;
            let progress = info("progress_percent")
                .and_then(|p| p.parse::<f64>().ok())
                .map(|p| p as u32)
                .unwrap_or(match state {
                    ImportState::ImportCompleted => 100,
                    ImportState::ImportFlushed => 90,
                    ImportState::ImportPersisted => 70,
                    ImportState::ImportStarted => 30,
                    _ => 0,
                });
            Ok(TaskState {
                id: task.id.clone(),
                files: task.files.clone(),
                state: state.as_str_name().trim_start_matches("Import").to_string(),
                progress: if done { 100 } else { progress.min(99) },
                rows: resp.row_count.max(0) as u64,
                done,
                failed,
                reason: info("failed_reason").filter(|r| !r.is_empty()),
            })
        }
        ImportApi::V2 => {
            let body = json!({"dbName": client.db_name, "jobId": task.id});
            let data = rest(client, "/v2/vectordb/jobs/import/describe", &body).await?;
            let state = data["state"].as_str().unwrap_or("Pending").to_string();
            let failed = state == "Failed";
            let done = state == "Completed";
            let mut reasons = Vec::new();
            if let Some(details) = data["details"].as_array() {
                for d in details {
                    if let Some(r) = d["reason"].as_str().filter(|r| !r.is_empty()) {
                        reasons.push(format!("{}: {r}", d["fileName"].as_str().unwrap_or("?")));
                    }
                }
            }
            if reasons.is_empty()
                && let Some(r) = data["reason"].as_str().filter(|r| !r.is_empty())
            {
                reasons.push(r.to_string());
            }
            Ok(TaskState {
                id: task.id.clone(),
                files: task.files.clone(),
                state,
                progress: data["progress"].as_u64().unwrap_or(0) as u32,
                rows: data["importedRows"].as_u64().unwrap_or(0),
                done,
                failed,
                reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
            })
        }
    }
}

/// Progress of a wait, for the CLI's bar.
pub trait ImportReporter: Send + Sync {
    /// Overall percent (0-100) and rows imported so far.
    fn progress(&self, percent: u32, rows: u64);
}

/// Polls every task until all are done or one failed, or `timeout` passes. Failed tasks are
/// returned (not an error) so the caller can show every file's reason.
pub async fn wait(
    client: &Client,
    tasks: &[ImportTask],
    timeout: Duration,
    poll: Duration,
    reporter: &dyn ImportReporter,
) -> Result<Vec<TaskState>> {
    let started = Instant::now();
    loop {
        let mut states = Vec::with_capacity(tasks.len());
        for task in tasks {
            states.push(state(client, task).await?);
        }
        let total: u32 = states.iter().map(|s| s.progress).sum();
        let rows = states.iter().map(|s| s.rows).sum();
        reporter.progress(total / states.len().max(1) as u32, rows);
        let finished = states.iter().all(|s| s.done || s.failed);
        if finished {
            return Ok(states);
        }
        if started.elapsed() >= timeout {
            let pending: Vec<String> = states
                .iter()
                .filter(|s| !(s.done || s.failed))
                .map(|s| format!("{} ({}, {}%)", s.files.join(","), s.state, s.progress))
                .collect();
            return Err(MilvusError::Timeout {
                what: format!("import of {}", pending.join("; ")),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(poll).await;
    }
}

/// One ImportV2 REST call: the server's `data`, or its code and message as an error.
async fn rest(client: &Client, path: &str, body: &Value) -> Result<Value> {
    let url = format!("{}{path}", client.uri);
    let mut request = client
        .http_client()?
        .post(&url)
        .timeout(client.rpc_timeout)
        .json(body);
    if let Some(token) = client.token() {
        request = request.bearer_auth(token);
    }
    let rpc = if path.ends_with("create") {
        "ImportV2 create"
    } else {
        "ImportV2 describe"
    };
    let response = request.send().await.map_err(|e| MilvusError::Rpc {
        rpc,
        reason: format!("{url}: {e}"),
        transient: e.is_timeout() || e.is_connect(),
    })?;
    let status = response.status();
    let answer: Value = response.json().await.map_err(|e| MilvusError::Rpc {
        rpc,
        reason: format!("{url}: HTTP {status}, not a JSON answer: {e}"),
        transient: false,
    })?;
    let code = answer["code"].as_i64().unwrap_or(-1);
    if code != 0 && code != 200 {
        let message = answer["message"].as_str().unwrap_or("").to_string();
        if code == 1800 || message.contains("auth") {
            return Err(client.auth_error(message));
        }
        return Err(MilvusError::Rpc {
            rpc,
            reason: format!("code {code}: {message}"),
            transient: false,
        });
    }
    Ok(answer["data"].clone())
}
