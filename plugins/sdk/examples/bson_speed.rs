//! Rough per-document cost of reading a sync source document with `bson_doc`, next to the old
//! path (relaxed Extended JSON text parsed by serde_json). A sanity check, not a benchmark:
//! `cargo run --release --example bson_speed -p milvus-ingest-sdk` (from `plugins/`).

use std::hint::black_box;
use std::time::Instant;

use bson::{Bson, doc};
use milvus_ingest_sdk::Document;

/// Runs `f` `n` times and returns the mean microseconds per call.
fn per_call_us(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn main() {
    // The shape of an EverMemOS memory: a few fields and a 1024-d float64 embedding.
    let vector: Vec<f64> = (0..1024)
        .map(|i| (f64::from(i) * 0.37).sin() * 0.05)
        .collect();
    let d = doc! {
        "_id": bson::oid::ObjectId::parse_str("65f1a2b3c4d5e6f708192a3b").unwrap(),
        "user_id": "u_42", "group_id": "g_7", "summary": "用户喜欢在周末去爬山。",
        "timestamp": bson::DateTime::from_millis(1_700_000_000_123),
        "vector_model": "bge-m3", "vector": vector,
        "extend": {"tags": ["a", "b"], "score": 0.5},
    };
    let bytes = bson::to_vec(&d).unwrap();
    let text = Bson::Document(d).into_relaxed_extjson().to_string();
    let n = 20_000;

    let new_value = per_call_us(n, || {
        let v = Document::new(black_box(&bytes)).unwrap().to_json().unwrap();
        black_box(v);
    });
    let old_value = per_call_us(n, || {
        let v: serde_json::Value = serde_json::from_str(black_box(&text)).unwrap();
        black_box(v);
    });
    #[derive(serde::Deserialize)]
    struct Vectors {
        vector: Vec<f32>,
    }
    let new_typed = per_call_us(n, || {
        let v: Vectors = Document::new(black_box(&bytes))
            .unwrap()
            .deserialize()
            .unwrap();
        black_box(v.vector);
    });
    let old_typed = per_call_us(n, || {
        let v: Vectors = serde_json::from_str(black_box(&text)).unwrap();
        black_box(v.vector);
    });
    println!(
        "document: {} BSON bytes, {} bytes of relaxed JSON",
        bytes.len(),
        text.len()
    );
    println!("serde_json::Value   from BSON {new_value:6.2} us   from text {old_value:6.2} us");
    println!("{{vector: Vec<f32>}} from BSON {new_typed:6.2} us   from text {old_typed:6.2} us");
}
