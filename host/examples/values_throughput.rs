//! Native value generation speed, with no I/O: rows/s and Arrow bytes/s per built-in schema and
//! the slowest columns, on one thread.
//!
//!     cargo run --release --example values_throughput [rows]

use std::time::{Duration, Instant};

use milvus_ingest::format::arrow_schema;
use milvus_ingest::generate::values::native_generators;
use milvus_ingest::generate::{CHUNK_ROWS, ChunkRequest, GenContext};
use milvus_ingest::schema::{BUILTINS, load_builtin};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 20 * CHUNK_ROWS,
    };
    println!("{rows} rows per schema, one thread");
    for (name, _) in BUILTINS {
        let schema = load_builtin(name)?;
        let ctx = GenContext {
            seed: 1,
            total_rows: rows,
        };
        let generators = native_generators(&ctx, &schema)?;
        let columns = arrow_schema(&schema);
        let mut per_column = vec![Duration::ZERO; generators.len()];
        let mut bytes = 0usize;
        let started = Instant::now();
        for chunk_index in 0..rows.div_ceil(CHUNK_ROWS) {
            let first_row = chunk_index * CHUNK_ROWS;
            let req = ChunkRequest {
                chunk_index,
                first_row,
                rows: (rows - first_row).min(CHUNK_ROWS) as usize,
            };
            for (g, spent) in generators.iter().zip(per_column.iter_mut()) {
                let t = Instant::now();
                let array = g.generate(&req)?;
                *spent += t.elapsed();
                bytes += array.get_array_memory_size();
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let mut slowest: Vec<(usize, Duration)> = per_column.into_iter().enumerate().collect();
        slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
        let top: Vec<String> = slowest
            .iter()
            .take(3)
            .map(|(i, d)| {
                format!(
                    "{} {:.0}%",
                    columns.field(*i).name(),
                    100.0 * d.as_secs_f64() / secs
                )
            })
            .collect();
        println!(
            "{name:20} {:>10.0} rows/s {:>8.1} MB/s   {}",
            rows as f64 / secs,
            bytes as f64 / secs / 1e6,
            top.join(", ")
        );
    }
    Ok(())
}
