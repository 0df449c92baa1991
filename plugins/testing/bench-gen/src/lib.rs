//! The plugin side of `host/benches/plugin_vs_native.rs`. Keep the algorithms identical to the
//! native loops there, so the benchmark measures the plugin boundary and not the arithmetic.

use milvus_ingest_sdk::prelude::*;

pub struct BenchGen;

const WORDS: &[&str] = &[
    "river", "stone", "quiet", "vector", "engine", "garden", "signal", "harbor", "meadow",
    "lantern", "copper", "window", "orbit", "pencil", "thunder", "velvet",
];

/// Standard normal from two uniforms (Marsaglia polar, no trig).
fn normal_pair(rng: &mut RowRng) -> (f32, f32) {
    loop {
        let u = rng.next_f64() * 2.0 - 1.0;
        let v = rng.next_f64() * 2.0 - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            let m = (-2.0 * s.ln() / s).sqrt();
            return ((u * m) as f32, (v * m) as f32);
        }
    }
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
                let mut values = Vec::with_capacity(dim * req.row_count as usize);
                for row in req.rows() {
                    let mut rng = RowRng::for_row(req.seed, &req.field.name, row);
                    let start = values.len();
                    while values.len() < start + dim {
                        let (a, b) = normal_pair(&mut rng);
                        values.push(a);
                        if values.len() < start + dim {
                            values.push(b);
                        }
                    }
                    let v = &mut values[start..];
                    let norm = v
                        .iter()
                        .map(|x| x * x)
                        .sum::<f32>()
                        .sqrt()
                        .max(f32::MIN_POSITIVE);
                    v.iter_mut().for_each(|x| *x /= norm);
                }
                Ok(Column::float_vectors(dim as u32, values))
            }
            "words" => {
                let max = req.field.max_length.unwrap_or(256) as usize;
                let mut out = Vec::with_capacity(req.row_count as usize);
                for row in req.rows() {
                    let mut rng = RowRng::for_row(req.seed, &req.field.name, row);
                    let target = 16 + rng.below((max - 16) as u64) as usize;
                    let mut s = String::with_capacity(target + 8);
                    while s.len() < target {
                        if !s.is_empty() {
                            s.push(' ');
                        }
                        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
                    }
                    s.truncate(max);
                    out.push(s);
                }
                Ok(Column::strings(out))
            }
            other => Err(format!("no generator `{other}`")),
        }
    }
}

milvus_ingest_sdk::export_generator!(BenchGen);
