//! Which shard of a dataset this process generates.
//!
//! Three spellings, one meaning: `--shard I/N` with I counted from 0 (as Kubernetes'
//! `JOB_COMPLETION_INDEX` is), `--parts N --part K` with K counted from 1 (as tpchgen-rs spells
//! it), and `--shard-from-env`, which reads `JOB_COMPLETION_INDEX` and the shard count from
//! `JOB_COMPLETION_COUNT` (or `MILVUS_INGEST_SHARD_COUNT`). Kubernetes sets only the index; the
//! Job that `k8s job` prints sets the count next to it.

use std::fmt;

use super::error::ShardError;

/// Variable Kubernetes sets in every pod of an Indexed Job: the pod's index, from 0.
pub const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
/// Variables read for the number of shards, in order (Kubernetes sets neither by itself).
pub const COUNT_VARS: [&str; 2] = ["JOB_COMPLETION_COUNT", "MILVUS_INGEST_SHARD_COUNT"];
/// Most shards a dataset may have (file names carry five digits).
pub const MAX_SHARDS: u32 = 99_999;

/// Shard `index` (from 0) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl ShardSpec {
    /// Checks `index < count <= MAX_SHARDS`; `what` names where the numbers came from.
    pub fn new(index: u32, count: u32, what: &str) -> Result<ShardSpec, ShardError> {
        if count == 0 || count > MAX_SHARDS {
            return Err(ShardError::Usage(format!(
                "{what}: the shard count must be 1 to {MAX_SHARDS}, got {count}"
            )));
        }
        if index >= count {
            return Err(ShardError::Usage(format!(
                "{what}: shard index {index} is out of range for {count} shard(s) (indexes run from 0 to {})",
                count - 1
            )));
        }
        Ok(ShardSpec { index, count })
    }

    /// `I/N`, I from 0.
    pub fn parse(text: &str) -> Result<ShardSpec, ShardError> {
        let what = format!("--shard {text}");
        let bad = || {
            ShardError::Usage(format!(
                "{what}: expected INDEX/COUNT with INDEX from 0, e.g. 7/64"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        ShardSpec::new(index, count, &what)
    }

    /// `--parts N --part K`, K from 1.
    pub fn from_parts(parts: u32, part: u32) -> Result<ShardSpec, ShardError> {
        let what = format!("--parts {parts} --part {part}");
        if part == 0 {
            return Err(ShardError::Usage(format!(
                "{what}: --part counts from 1 (use --shard I/N to count from 0)"
            )));
        }
        ShardSpec::new(part - 1, parts, &what)
    }

    /// From the Indexed Job variables, read through `var` (so tests need no real environment).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<ShardSpec, ShardError> {
        let index_text = var(INDEX_VAR).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            ShardError::Usage(format!(
                "--shard-from-env: {INDEX_VAR} is not set (Kubernetes sets it in the pods of a Job with completionMode: Indexed)"
            ))
        })?;
        let (count_var, count_text) = COUNT_VARS
            .iter()
            .find_map(|k| var(k).filter(|v| !v.trim().is_empty()).map(|v| (*k, v)))
            .ok_or_else(|| {
                ShardError::Usage(format!(
                    "--shard-from-env: neither {} nor {} is set: set one to the Job's completions (`k8s job` does)",
                    COUNT_VARS[0], COUNT_VARS[1]
                ))
            })?;
        let index = index_text.trim().parse().map_err(|_| {
            ShardError::Usage(format!(
                "--shard-from-env: {INDEX_VAR}={index_text:?} is not a whole number"
            ))
        })?;
        let count = count_text.trim().parse().map_err(|_| {
            ShardError::Usage(format!(
                "--shard-from-env: {count_var}={count_text:?} is not a whole number"
            ))
        })?;
        ShardSpec::new(
            index,
            count,
            &format!("--shard-from-env ({INDEX_VAR}={index}, {count_var}={count})"),
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
    fn three_spellings_agree() {
        let a = ShardSpec::parse("7/64").unwrap();
        let b = ShardSpec::from_parts(64, 8).unwrap();
        let c = ShardSpec::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "7"),
            ("JOB_COMPLETION_COUNT", "64"),
        ]))
        .unwrap();
        let d = ShardSpec::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "7"),
            ("MILVUS_INGEST_SHARD_COUNT", "64"),
        ]))
        .unwrap();
        assert_eq!(
            a,
            ShardSpec {
                index: 7,
                count: 64
            }
        );
        assert!(a == b && b == c && c == d);
        assert_eq!(a.to_string(), "7/64");
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        for (text, want) in [
            ("64/64", "out of range"),
            ("3", "INDEX/COUNT"),
            ("a/4", "INDEX/COUNT"),
            ("0/0", "1 to 99999"),
        ] {
            let err = ShardSpec::parse(text).unwrap_err().to_string();
            assert!(err.contains(want) && err.contains(text), "{text}: {err}");
        }
        let err = ShardSpec::from_parts(4, 0).unwrap_err().to_string();
        assert!(err.contains("counts from 1"), "{err}");
        let err = ShardSpec::from_env(env(&[])).unwrap_err().to_string();
        assert!(err.contains("JOB_COMPLETION_INDEX is not set"), "{err}");
        let err = ShardSpec::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("JOB_COMPLETION_COUNT") && err.contains("MILVUS_INGEST_SHARD_COUNT"),
            "{err}"
        );
        let err = ShardSpec::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "5"),
            ("JOB_COMPLETION_COUNT", "5"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("out of range"), "{err}");
        assert!(ShardError::Usage(String::new()).is_usage());
    }
}
