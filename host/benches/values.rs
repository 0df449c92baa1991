//! Rows per second of each native value generator, without any writer.
//! Run with `cargo bench -p milvus-ingest --bench values` (release build).

use std::time::Instant;

use milvus_ingest::generate::values::build_column;
use milvus_ingest::generate::{CHUNK_ROWS, ChunkRequest, GenContext};
use milvus_ingest::schema::Field;
use serde_json::json;

fn bench(label: &str, spec: serde_json::Value, chunks: u64) {
    let field: Field = serde_json::from_value(spec).expect("valid field");
    let ctx = GenContext {
        seed: 1,
        total_rows: 10_000_000,
    };
    let g = build_column(&field, &field.name, &ctx).expect("builds");
    // Warm up (lazy tables, page faults) before timing.
    let req = |c: u64| ChunkRequest {
        chunk_index: c,
        first_row: c * CHUNK_ROWS,
        rows: CHUNK_ROWS as usize,
    };
    g.generate(&req(0)).expect("generates");
    let start = Instant::now();
    let mut bytes = 0usize;
    for c in 1..=chunks {
        bytes += g
            .generate(&req(c))
            .expect("generates")
            .get_array_memory_size();
    }
    let secs = start.elapsed().as_secs_f64();
    let rows = (chunks * CHUNK_ROWS) as f64;
    println!(
        "{label:<28} {:>12.0} rows/s  {:>8.1} MB/s",
        rows / secs,
        bytes as f64 / secs / 1e6
    );
}

fn main() {
    bench(
        "float_vector 768-d gaussian",
        json!({"name": "v", "type": "FloatVector", "dim": 768}),
        100,
    );
    bench(
        "float_vector 128-d gaussian",
        json!({"name": "v", "type": "FloatVector", "dim": 128}),
        400,
    );
    bench(
        "float_vector 128-d clustered",
        json!({"name": "v", "type": "FloatVector", "dim": 128, "distribution": {"type": "clustered", "clusters": 100}}),
        400,
    );
    bench(
        "float16_vector 768-d",
        json!({"name": "v", "type": "Float16Vector", "dim": 768}),
        100,
    );
    bench(
        "sparse 30000 @ 0.01",
        json!({"name": "s", "type": "SparseFloatVector"}),
        50,
    );
    bench(
        "int64 primary key",
        json!({"name": "id", "type": "Int64", "is_primary": true}),
        2000,
    );
    bench(
        "varchar uuid primary key",
        json!({"name": "id", "type": "VarChar", "max_length": 64, "is_primary": true}),
        500,
    );
    bench(
        "product_name",
        json!({"name": "name", "type": "VarChar", "max_length": 200, "kind": "product_name"}),
        1000,
    );
    bench(
        "paragraph",
        json!({"name": "body", "type": "VarChar", "max_length": 2000, "kind": "paragraph"}),
        100,
    );
    bench(
        "name (fake)",
        json!({"name": "author", "type": "VarChar", "max_length": 100, "kind": "name"}),
        200,
    );
    bench(
        "int64 zipf 1..100",
        json!({"name": "category_id", "type": "Int64", "min": 1, "max": 100, "distribution": {"type": "zipf", "exponent": 1.05}}),
        2000,
    );
    bench(
        "float price",
        json!({"name": "price", "type": "Float", "min": 0.99, "max": 999.99}),
        2000,
    );
    bench(
        "varchar enum zipf",
        json!({"name": "category", "type": "VarChar", "max_length": 50, "enum_values": ["a", "b", "c"], "distribution": {"type": "zipf"}}),
        2000,
    );
    bench(
        "json default object",
        json!({"name": "metadata", "type": "JSON"}),
        100,
    );
}
