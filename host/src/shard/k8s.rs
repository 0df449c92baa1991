//! The Kubernetes manifest that runs a sharded generation: an Indexed Job with one pod per
//! shard (`completionMode: Indexed`; each pod reads its shard from `JOB_COMPLETION_INDEX`), and
//! a second Job that waits for every shard manifest and writes `meta.json`.
//!
//! Pure rendering: a [`JobRequest`] in, YAML out. Credentials are never in the manifest: the
//! pods read them from a Secret (`secretKeyRef`/`secretRef`), which the user creates once.

use serde_json::{Value, json};

use super::failure::{FAILURE_COUNT_ANNOTATION, FAILURES_VAR, RETRIES_VAR, USAGE_EXIT};
use super::spec::COUNT_VARS;

/// Image the manifest runs when `--image` is not given: built from the repository's
/// `Dockerfile` and pushed where the cluster can pull it.
pub const DEFAULT_IMAGE: &str = concat!("milvus-ingest:", env!("CARGO_PKG_VERSION"));
/// Secret holding `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (or the GCS/Azure variables).
pub const DEFAULT_SECRET: &str = "milvus-ingest-s3";
/// Where a `--schema` file is mounted in the pods (from a ConfigMap).
pub const SCHEMA_DIR: &str = "/etc/milvus-ingest/schema";
/// UID/GID of the image's unprivileged user (distroless `nonroot`).
pub const RUN_AS_USER: u64 = 65532;

/// Memory a shard process needs besides its workers: binary, runtimes, the object-store client
/// and the upload parts of the file being written (16 MiB each, up to 4 in flight).
pub const BASE_MEMORY_MIB: u64 = 128;
/// Memory per worker thread: up to two row groups of ~32 MiB encoded each, plus the Arrow
/// arrays they are encoded from.
pub const WORKER_MEMORY_MIB: u64 = 160;

/// Memory request of a shard pod with `workers` threads, rounded up to 64 MiB. Measured peak RSS
/// of one shard writing to S3 (bench/README.md, "More than one machine"), news_articles (768-d
/// vectors and long text, the widest built-in): 204 MB with 1 worker, 351 MB with 2, 500 MB
/// with 4; this gives 320, 448 and 768 MiB.
pub fn memory_request_mib(workers: u32) -> u64 {
    (BASE_MEMORY_MIB + WORKER_MEMORY_MIB * u64::from(workers.max(1))).div_ceil(64) * 64
}

/// Memory limit: the request plus half, for schemas wider than the built-ins.
pub fn memory_limit_mib(workers: u32) -> u64 {
    (memory_request_mib(workers) * 3 / 2).div_ceil(64) * 64
}

/// A schema file shipped to the pods as a ConfigMap.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    /// File name inside the ConfigMap and the mount (e.g. `my_schema.yaml`).
    pub file_name: String,
    pub content: String,
}

/// Everything the manifest depends on.
#[derive(Debug, Clone)]
pub struct JobRequest {
    /// Job name (a DNS label; see [`job_name`]). The finalize Job is `<name>-finalize`.
    pub name: String,
    pub namespace: Option<String>,
    pub image: String,
    /// Shards (the Job's completions).
    pub shards: u32,
    /// Pods at once.
    pub parallelism: u32,
    pub backoff_limit_per_index: u32,
    /// The dataset's location, `s3://...`, `gs://...` or `az://...`.
    pub location: String,
    /// `generate` arguments after the subcommand, without `--out` and shard flags.
    pub generate_args: Vec<String>,
    pub schema_file: Option<SchemaFile>,
    pub secret: String,
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    /// Pass `--allow-http` (a plain-HTTP endpoint off loopback).
    pub allow_http: bool,
    pub workers: u32,
    /// Seconds the finalize Job waits for the shards.
    pub finalize_wait: u64,
}

/// A DNS-1123 label for Job names from anything (lower case, `-` for the rest), short enough
/// that `<name>-finalize` and the pods' `<name>-<index>-<suffix>` names stay within limits.
pub fn job_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(40).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "milvus-ingest".into()
    } else {
        out
    }
}

fn labels(req: &JobRequest, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": "milvus-ingest",
        "app.kubernetes.io/instance": req.name,
        "app.kubernetes.io/component": component,
    })
}

fn metadata(req: &JobRequest, name: &str, component: &str) -> Value {
    let mut m = json!({"name": name, "labels": labels(req, component)});
    if let Some(ns) = &req.namespace {
        m["namespace"] = json!(ns);
    }
    m
}

/// Storage settings and credentials, the same for the shard and finalize pods.
fn storage_env(req: &JobRequest) -> (Vec<Value>, Vec<Value>) {
    let mut env = vec![json!({"name": "MILVUS_INGEST_HOME", "value": "/tmp/milvus-ingest"})];
    let mut env_from = Vec::new();
    if let Some(url) = &req.endpoint_url {
        env.push(json!({"name": "AWS_ENDPOINT_URL", "value": url}));
    }
    if let Some(region) = &req.region {
        env.push(json!({"name": "AWS_REGION", "value": region}));
    }
    if req.location.starts_with("s3://") || req.location.starts_with("s3a://") {
        for (key, optional) in [
            ("AWS_ACCESS_KEY_ID", false),
            ("AWS_SECRET_ACCESS_KEY", false),
            ("AWS_SESSION_TOKEN", true),
        ] {
            env.push(json!({
                "name": key,
                "valueFrom": {"secretKeyRef": {"name": req.secret, "key": key, "optional": optional}}
            }));
        }
    } else {
        // GCS and Azure read several variables (GOOGLE_*, AZURE_*): take the Secret whole.
        env_from.push(json!({"secretRef": {"name": req.secret}}));
    }
    (env, env_from)
}

fn container(
    req: &JobRequest,
    name: &str,
    args: Vec<String>,
    extra_env: Vec<Value>,
    requests: Value,
    limits: Value,
) -> Value {
    let (storage, env_from) = storage_env(req);
    let mut env = extra_env;
    env.extend(storage);
    let mut mounts = vec![json!({"name": "tmp", "mountPath": "/tmp"})];
    if req.schema_file.is_some() {
        mounts.push(json!({"name": "schema", "mountPath": SCHEMA_DIR, "readOnly": true}));
    }
    let mut c = json!({
        "name": name,
        "image": req.image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "env": env,
        "resources": {"requests": requests, "limits": limits},
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": mounts,
    });
    if !env_from.is_empty() {
        c["envFrom"] = json!(env_from);
    }
    c
}

fn pod_spec(req: &JobRequest, container: Value) -> Value {
    let mut volumes = vec![json!({"name": "tmp", "emptyDir": {}})];
    if req.schema_file.is_some() {
        volumes.push(json!({"name": "schema", "configMap": {"name": schema_config_map(req)}}));
    }
    json!({
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
    })
}

fn schema_config_map(req: &JobRequest) -> String {
    format!("{}-schema", req.name)
}

/// The `generate` arguments a shard pod runs.
pub fn shard_args(req: &JobRequest) -> Vec<String> {
    let mut args = vec!["generate".to_string()];
    args.extend(req.generate_args.iter().cloned());
    let workers = req.workers.to_string();
    args.extend(
        [
            "--out",
            req.location.as_str(),
            "--shard-from-env",
            "--no-progress",
            "--workers",
            workers.as_str(),
        ]
        .map(String::from),
    );
    if req.allow_http {
        args.push("--allow-http".into());
    }
    args
}

/// Bad input (exit 2) never succeeds on a retry: `on_bad_input` (`FailIndex` for the shards,
/// `FailJob` for finalize) ends it at once. A pod evicted or preempted (condition
/// `DisruptionTarget`) did nothing wrong: `Ignore` keeps it from using up the retries.
/// Needs `restartPolicy: Never` (see `pod_spec`); `FailIndex` needs `backoffLimitPerIndex`.
fn pod_failure_policy(container: &str, on_bad_input: &str) -> Value {
    json!({"rules": [
        {
            "action": on_bad_input,
            "onExitCodes": {"containerName": container, "operator": "In", "values": [USAGE_EXIT]},
        },
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]})
}

/// The documents of the manifest, in apply order: the schema ConfigMap (with `--schema`), the
/// Indexed Job, the finalize Job.
pub fn documents(req: &JobRequest) -> Vec<Value> {
    let mut docs = Vec::new();
    if let Some(schema) = &req.schema_file {
        docs.push(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata(req, &schema_config_map(req), "schema"),
            "data": {schema.file_name.clone(): schema.content},
        }));
    }
    let memory = format!("{}Mi", memory_request_mib(req.workers));
    let limit = format!("{}Mi", memory_limit_mib(req.workers));
    let shard = container(
        req,
        "generate",
        shard_args(req),
        // Kubernetes sets JOB_COMPLETION_INDEX in every pod; the count is ours to pass. The
        // index's failures so far and its retries tell a pod whether its failure is the last
        // (then it leaves a failure marker, and finalize stops waiting: see shard::failure).
        vec![
            json!({"name": COUNT_VARS[0], "value": req.shards.to_string()}),
            json!({"name": FAILURES_VAR, "valueFrom": {"fieldRef": {
                "fieldPath": format!("metadata.annotations['{FAILURE_COUNT_ANNOTATION}']"),
            }}}),
            json!({"name": RETRIES_VAR, "value": req.backoff_limit_per_index.to_string()}),
        ],
        json!({"cpu": req.workers.to_string(), "memory": memory}),
        json!({"memory": limit}),
    );
    docs.push(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(req, &req.name, "generate"),
        "spec": {
            "completionMode": "Indexed",
            "completions": req.shards,
            "parallelism": req.parallelism.min(req.shards),
            "backoffLimitPerIndex": req.backoff_limit_per_index,
            "podFailurePolicy": pod_failure_policy("generate", "FailIndex"),
            "template": {
                "metadata": {"labels": labels(req, "generate")},
                "spec": pod_spec(req, shard),
            },
        },
    }));
    let wait = req.finalize_wait.to_string();
    let finalize_args = [
        "dataset",
        "finalize",
        req.location.as_str(),
        "--wait",
        wait.as_str(),
    ]
    .map(String::from)
    .to_vec();
    let mut finalize_args = finalize_args;
    if req.allow_http {
        finalize_args.push("--allow-http".into());
    }
    let finalize = container(
        req,
        "finalize",
        finalize_args,
        Vec::new(),
        json!({"cpu": "100m", "memory": "128Mi"}),
        json!({"memory": "256Mi"}),
    );
    let finalize_name = format!("{}-finalize", req.name);
    docs.push(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(req, &finalize_name, "finalize"),
        "spec": {
            "completions": 1,
            "backoffLimit": 3,
            "podFailurePolicy": pod_failure_policy("finalize", "FailJob"),
            // Waits for the shards; give up a little after its own --wait would.
            "activeDeadlineSeconds": req.finalize_wait + 600,
            "template": {
                "metadata": {"labels": labels(req, "finalize")},
                "spec": pod_spec(req, finalize),
            },
        },
    }));
    docs
}

/// The manifest as a multi-document YAML stream, with a header saying how to use it.
pub fn render(req: &JobRequest) -> String {
    let mut out = format!(
        "# milvus-ingest {}: {} shard(s) of {}, {} pod(s) at a time, then finalize.\n\
         # Credentials come from Secret `{}` (create it first, e.g.\n\
         #   kubectl create secret generic {} --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...)\n\
         # Follow: kubectl get job {} -w; milvus-ingest dataset status {}\n",
        env!("CARGO_PKG_VERSION"),
        req.shards,
        req.location,
        req.parallelism.min(req.shards),
        req.secret,
        req.secret,
        req.name,
        req.location,
    );
    for doc in documents(req) {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&doc).expect("manifests serialise"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> JobRequest {
        JobRequest {
            name: job_name("News_Articles 1B"),
            namespace: Some("data".into()),
            image: DEFAULT_IMAGE.into(),
            shards: 64,
            parallelism: 16,
            backoff_limit_per_index: 3,
            location: "s3://bkt/news".into(),
            generate_args: vec!["--builtin".into(), "news_articles".into()],
            schema_file: None,
            secret: DEFAULT_SECRET.into(),
            endpoint_url: Some("http://minio:9000".into()),
            region: None,
            allow_http: true,
            workers: 2,
            finalize_wait: 3600,
        }
    }

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(job_name("News_Articles 1B"), "news-articles-1b");
        assert_eq!(job_name("___"), "milvus-ingest");
        assert!(job_name(&"x".repeat(100)).len() <= 40);
    }

    #[test]
    fn the_job_is_indexed_and_reads_credentials_from_the_secret() {
        let docs = documents(&request());
        assert_eq!(docs.len(), 2);
        let spec = &docs[0]["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!(spec["completions"], 64);
        assert_eq!(spec["parallelism"], 16);
        assert_eq!(spec["backoffLimitPerIndex"], 3);
        let rules = &spec["podFailurePolicy"]["rules"];
        assert_eq!(rules[0]["action"], "FailIndex");
        assert_eq!(rules[0]["onExitCodes"]["values"], json!([2]));
        assert_eq!(rules[1]["action"], "Ignore");
        assert_eq!(rules[1]["onPodConditions"][0]["type"], "DisruptionTarget");
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        let c = &pod["containers"][0];
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            args.contains(&"--shard-from-env") && args[0] == "generate",
            "{args:?}"
        );
        assert!(args.contains(&"--allow-http"), "{args:?}");
        let env = c["env"].as_array().unwrap();
        let var = |n: &str| env.iter().find(|e| e["name"] == n).unwrap().clone();
        assert_eq!(var("JOB_COMPLETION_COUNT")["value"], "64");
        assert_eq!(
            var("AWS_SECRET_ACCESS_KEY")["valueFrom"]["secretKeyRef"]["name"],
            DEFAULT_SECRET
        );
        assert_eq!(c["resources"]["requests"]["memory"], "448Mi");
        assert_eq!(c["resources"]["limits"]["memory"], "704Mi");
        assert_eq!(memory_request_mib(1), 320);
        assert_eq!(memory_request_mib(4), 768);
        let fin = &docs[1]["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(fin["args"][1], "finalize");
        let text = render(&request());
        assert!(text.contains("completionMode: Indexed"), "{text}");
    }

    #[test]
    fn gcs_takes_the_secret_whole_and_schemas_come_from_a_config_map() {
        let mut req = request();
        req.location = "gs://bkt/news".into();
        req.schema_file = Some(SchemaFile {
            file_name: "s.yaml".into(),
            content: "collection_name: x\n".into(),
        });
        let docs = documents(&req);
        assert_eq!(docs[0]["kind"], "ConfigMap");
        let c = &docs[1]["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["envFrom"][0]["secretRef"]["name"], DEFAULT_SECRET);
        assert!(
            c["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["mountPath"] == SCHEMA_DIR)
        );
    }
}
