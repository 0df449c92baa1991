//! The marker a shard leaves when it has failed for good: `_shards/failed-00007-of-00064.json`.
//!
//! In the Indexed Job of `k8s job`, an index is retried up to `backoffLimitPerIndex` times,
//! except exit code 2 (bad input), which `podFailurePolicy` fails at once (`FailIndex`). A shard
//! pod knows which attempt it is: the Job controller annotates each pod with the failures of its
//! index so far (`batch.kubernetes.io/job-index-failure-count`), which the manifest passes in
//! [`FAILURES_VAR`], next to the limit in [`RETRIES_VAR`]. So the attempt whose failure ends the
//! index writes this marker, and `dataset finalize --wait` stops waiting for a shard that will
//! never come. A later successful run of the shard deletes it; a manifest always wins over it.

use serde::{Deserialize, Serialize};

use super::manifest::SHARDS_DIR;
use super::spec::ShardSpec;

/// Failures of this pod's index before this attempt (from the pod annotation, set by `k8s job`).
pub const FAILURES_VAR: &str = "MILVUS_INGEST_INDEX_FAILURES";
/// Retries an index gets (the Job's `backoffLimitPerIndex`, set by `k8s job`).
pub const RETRIES_VAR: &str = "MILVUS_INGEST_INDEX_RETRIES";
/// The annotation Kubernetes (1.28+) keeps the failure count of a pod's index in.
pub const FAILURE_COUNT_ANNOTATION: &str = "batch.kubernetes.io/job-index-failure-count";
/// Exit code of bad input: never retried (`FailIndex`), so always final.
pub const USAGE_EXIT: u8 = 2;

/// `_shards/failed-00007-of-00064.json`.
pub fn failure_name(index: u32, count: u32) -> String {
    format!("{SHARDS_DIR}/failed-{index:05}-of-{count:05}.json")
}

/// Whether `name` is a failure marker, `_shards/failed-IIIII-of-NNNNN.json` (not a temporary
/// file being written).
pub fn is_failure_name(name: &str) -> bool {
    name.strip_prefix(SHARDS_DIR)
        .and_then(|r| r.strip_prefix("/failed-"))
        .is_some_and(|r| r.ends_with(".json") && r.contains("-of-"))
}

/// Why a shard failed for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardFailure {
    pub index: u32,
    pub count: u32,
    /// The process' exit code (2: bad input, 1: failure).
    pub exit_code: u8,
    /// The error it printed (first 2,000 characters, secrets masked).
    pub error: String,
    /// Attempts of the index, this one included, when known (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Unix seconds.
    pub failed_at: u64,
}

/// Whether an attempt that exits `code` is the index's last: bad input always is; otherwise
/// when the failures so far (`var(FAILURES_VAR)`) have used up the retries (`var(RETRIES_VAR)`).
/// Outside Kubernetes (neither set) only bad input is final. Returns the attempt count too.
pub fn final_attempt(code: u8, var: impl Fn(&str) -> Option<String>) -> (bool, Option<u32>) {
    let number = |k: &str| var(k).and_then(|v| v.trim().parse::<u32>().ok());
    let before = number(FAILURES_VAR);
    let attempts = before.map(|b| b + 1);
    let used_up = matches!((before, number(RETRIES_VAR)), (Some(b), Some(r)) if b >= r);
    (code == USAGE_EXIT || used_up, attempts)
}

impl ShardFailure {
    pub fn new(spec: ShardSpec, exit_code: u8, error: &str, attempts: Option<u32>) -> ShardFailure {
        ShardFailure {
            index: spec.index,
            count: spec.count,
            exit_code,
            error: crate::redact::text(error).chars().take(2000).collect(),
            attempts,
            failed_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// One line for messages: `shard 7 (exit 2, 1 attempt(s)): <error>`.
    pub fn describe(&self) -> String {
        let attempts = self
            .attempts
            .map_or(String::new(), |a| format!(", {a} attempt(s)"));
        format!(
            "shard {} (exit {}{attempts}): {}",
            self.index,
            self.exit_code,
            self.error.lines().next().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn bad_input_is_final_and_failures_are_final_when_retries_are_used_up() {
        assert_eq!(final_attempt(2, env(&[])), (true, None));
        assert_eq!(final_attempt(1, env(&[])), (false, None));
        let first = [(FAILURES_VAR, "0"), (RETRIES_VAR, "3")];
        assert_eq!(final_attempt(1, env(&first)), (false, Some(1)));
        assert_eq!(final_attempt(2, env(&first)), (true, Some(1)));
        let last = [(FAILURES_VAR, "3"), (RETRIES_VAR, "3")];
        assert_eq!(final_attempt(1, env(&last)), (true, Some(4)));
        assert_eq!(failure_name(7, 64), "_shards/failed-00007-of-00064.json");
        assert!(is_failure_name(&failure_name(7, 64)));
        assert!(!is_failure_name(
            "_shards/.failed-00007-of-00064.json.tmp-9"
        ));
        assert!(!is_failure_name("_shards/shard-00007-of-00064.json"));
    }
}
