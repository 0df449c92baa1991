//! Offline checks of `k8s job` manifests: kubernetes-validate (MI_K8S_VALIDATE, from the
//! services' venv) against the Kubernetes 1.33 schema, and a YAML stream reader.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

#[path = "../milvus_common.rs"]
mod milvus_common;

/// kubernetes-validate from the services' venv (scripts/services.sh install); never skipped.
pub fn k8s_validator() -> String {
    if let Ok(v) = std::env::var("MI_K8S_VALIDATE") {
        return v;
    }
    milvus_common::services()
        .get("MI_K8S_VALIDATE")
        .cloned()
        .unwrap_or_else(|| {
            panic!("MI_K8S_VALIDATE is not set: run `scripts/services.sh install` (it creates the kubernetes-validate venv) and source its env.sh")
        })
}

pub fn validate(dir: &Path, yaml: &str) -> Output {
    let path = dir.join("job.yaml");
    std::fs::write(&path, yaml).unwrap();
    Command::new(k8s_validator())
        .args(["--strict", "-k", "1.33.0"])
        .arg(&path)
        .output()
        .expect("kubernetes-validate runs")
}

pub fn docs(yaml: &str) -> Vec<serde_yaml::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}
