//! The plugin side of `host/benches/plugin_vs_native.rs`. Keep the algorithms identical to the
//! native loops there, so the benchmark measures the plugin boundary and not the arithmetic.

use milvus_ingest_sdk::prelude::*;
use milvus_ingest_sdk::{PackedStrings, StringsBuilder};

pub struct BenchGen;

const WORDS: &[&str] = &[
    "river", "stone", "quiet", "vector", "engine", "garden", "signal", "harbor", "meadow",
    "lantern", "copper", "window", "orbit", "pencil", "thunder", "velvet",
];

/// `rows` unit vectors of `dim` normal draws each, row-major, with the SDK's helpers. Kept out
/// of `generate` (a small function of its own keeps its loop variables in registers) and
/// written into a sized buffer rather than pushed (no length store and capacity check per
/// value).
#[inline(never)]
fn unit_vectors(seed: u64, name: &str, first_row: u64, rows: usize, dim: usize) -> Vec<f32> {
    let mut values = vec![0f32; dim * rows];
    for (row, v) in (first_row..).zip(values.chunks_exact_mut(dim)) {
        RowRng::for_row(seed, name, row).fill_normal(v);
        milvus_ingest_sdk::vector::normalize(v);
    }
    values
}

/// `rows` strings of random words, 16 to `max` bytes each, built in one buffer.
#[inline(never)]
fn words(seed: u64, name: &str, first_row: u64, rows: u32, max: usize) -> PackedStrings {
    let mut out = StringsBuilder::with_capacity(rows as usize, rows as usize * (max + 16) / 2);
    for row in first_row..first_row + u64::from(rows) {
        let mut rng = RowRng::for_row(seed, name, row);
        let target = 16 + rng.below((max - 16) as u64) as usize;
        while out.row_len() < target {
            if out.row_len() > 0 {
                out.push(' ');
            }
            out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        }
        out.truncate_row(max);
        out.finish_row();
    }
    out.finish()
}

impl Generator for BenchGen {
    fn info() -> PluginInfo {
        // Output depends only on (seed, field, row): the host may reuse instances (0.2).
        PluginInfo::new("bench-gen", "0.0.0", "benchmark workloads")
            .stateless()
            .function(FunctionInfo::new(
                "unit-vectors",
                "",
                &[MilvusType::FloatVector],
            ))
            .function(FunctionInfo::new("words", "", &[MilvusType::VarChar]))
    }

    fn generate(req: GenerateRequest) -> Result<Column, String> {
        match req.generator.as_str() {
            "unit-vectors" => {
                let dim = req.field.dim.ok_or("no dim")? as usize;
                let values = unit_vectors(
                    req.seed,
                    &req.field.name,
                    req.first_row,
                    req.row_count as usize,
                    dim,
                );
                Ok(Column::float_vectors(dim as u32, values))
            }
            "words" => {
                let max = req.field.max_length.unwrap_or(256) as usize;
                let words = words(req.seed, &req.field.name, req.first_row, req.row_count, max);
                Ok(Column::packed_strings(words))
            }
            other => Err(format!("no generator `{other}`")),
        }
    }
}

milvus_ingest_sdk::export_generator!(BenchGen);
