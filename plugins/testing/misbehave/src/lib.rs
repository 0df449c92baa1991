//! A deliberately bad plugin for the host's tests. Each generator breaks one rule; the host
//! must stop with its documented error, within its limits, leaving no output.

use std::collections::HashMap;

use milvus_ingest_sdk::prelude::*;

pub struct Misbehave;

const NAMES: &[&str] = &[
    "infinite-loop",
    "memory-hog",
    "trap",
    "wrong-length",
    "wrong-type",
    "wrong-dim",
    "file-access",
    "env-and-clock",
    "nulls-in-required",
    "too-long",
    "entropy",
];

impl Generator for Misbehave {
    fn info() -> PluginInfo {
        let mut info = PluginInfo::new("misbehave", "0.0.0", "breaks the rules on purpose");
        for name in NAMES {
            info = info.function(FunctionInfo::new(
                name,
                "misbehaves",
                &[
                    MilvusType::VarChar,
                    MilvusType::FloatVector,
                    MilvusType::Int64,
                ],
            ));
        }
        info
    }

    fn generate(req: GenerateRequest) -> Result<Column, String> {
        let n = req.row_count as usize;
        let ok = |n: usize| Column::strings(vec!["x".to_string(); n]);
        match req.generator.as_str() {
            "infinite-loop" => {
                let mut x = 0u64;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "memory-hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 8 << 20]));
                }
            }
            "trap" => panic!("deliberate failure at row {}", req.first_row),
            "wrong-length" => Ok(ok(n.saturating_sub(1))),
            "wrong-type" => Ok(Column::new(ColumnData::Scalar(Scalars::I64s(vec![7; n])))),
            "wrong-dim" => Ok(Column::float_vectors(3, vec![0.5; 3 * n])),
            "file-access" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => Ok(Column::strings(vec![text; n])),
                Err(e) => Err(format!("could not read /etc/passwd: {e}")),
            },
            "env-and-clock" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let args = std::env::args().count();
                Ok(Column::strings(vec![
                    format!(
                        "env={vars:?} now={now} args={args}"
                    );
                    n
                ]))
            }
            "nulls-in-required" => Ok(ok(n).with_nulls(vec![true; n])),
            "too-long" => Ok(Column::strings(vec!["é".repeat(10_000); n])),
            "entropy" => {
                // Uses std's randomly keyed HashMap and WASI random bytes: the host keys both
                // to the call, so even this output must be reproducible.
                let mut m = HashMap::new();
                for i in 0..16 {
                    m.insert(i, i * 2);
                }
                let order: Vec<String> = m.keys().map(|k| k.to_string()).collect();
                let state = std::hash::BuildHasher::hash_one(
                    &std::collections::hash_map::RandomState::new(),
                    1u8,
                );
                Ok(Column::strings(vec![
                    format!("{} {state}", order.join(","));
                    n
                ]))
            }
            other => Err(format!("no generator `{other}`")),
        }
    }
}

milvus_ingest_sdk::export_generator!(Misbehave);
