//! Plugin cost vs native code, per chunk of 1024 rows, for a 768-d FloatVector column and a
//! VarChar column (target: plugin <= 1.5x native).
//!
//! The native side is a plain loop running the same algorithm as the `bench-gen` guest (the
//! native value generators of the generate issue are not merged on this branch); both sides
//! build the same Arrow array, and the plugin side includes the host's result checks.
//!
//! Run: scripts/build-plugins.sh && cargo bench --bench plugin_vs_native

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Float32Array, ListArray, StringArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType as ArrowType, Field as ArrowField};
use milvus_ingest::generate::{CHUNK_ROWS, ChunkRequest, ColumnGenerator};
use milvus_ingest::plugin::{PluginHost, PluginLimits};
use milvus_ingest::schema::{DataType, Field, PluginRef};

// ---- the guest's algorithm, natively (kept identical to plugins/sdk/src/rng.rs and
// plugins/testing/bench-gen/src/lib.rs) ----

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_str(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct RowRng(u64);

impl RowRng {
    fn for_row(seed: u64, key: &str, row: u64) -> RowRng {
        RowRng(mix(seed
            ^ mix(hash_str(key))
            ^ mix(row.wrapping_add(0x9e37_79b9_7f4a_7c15))))
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

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

const WORDS: &[&str] = &[
    "river", "stone", "quiet", "vector", "engine", "garden", "signal", "harbor", "meadow",
    "lantern", "copper", "window", "orbit", "pencil", "thunder", "velvet",
];

fn native_vectors(seed: u64, name: &str, dim: usize, req: &ChunkRequest) -> ArrayRef {
    let mut values = Vec::with_capacity(dim * req.rows);
    for row in req.first_row..req.first_row + req.rows as u64 {
        let mut rng = RowRng::for_row(seed, name, row);
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
    let item = Arc::new(ArrowField::new("item", ArrowType::Float32, true));
    Arc::new(ListArray::new(
        item,
        OffsetBuffer::from_lengths(std::iter::repeat_n(dim, req.rows)),
        Arc::new(Float32Array::from(values)),
        None,
    ))
}

fn native_words(seed: u64, name: &str, max: usize, req: &ChunkRequest) -> ArrayRef {
    let mut out = Vec::with_capacity(req.rows);
    for row in req.first_row..req.first_row + req.rows as u64 {
        let mut rng = RowRng::for_row(seed, name, row);
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
    Arc::new(StringArray::from(out))
}

// ---- measurement ----

/// Median time per call over `rounds` rounds of `chunks` chunks each.
fn per_chunk(chunks: u64, rounds: usize, mut f: impl FnMut(&ChunkRequest) -> ArrayRef) -> Duration {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        for c in 0..chunks {
            let req = ChunkRequest {
                chunk_index: c,
                first_row: c * CHUNK_ROWS,
                rows: CHUNK_ROWS as usize,
            };
            black_box(f(&req));
        }
        times.push(start.elapsed() / chunks as u32);
    }
    times.sort();
    times[rounds / 2]
}

fn main() {
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release/bench_gen.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/build-plugins.sh",
        wasm.display()
    );
    let seed = 42;
    let host = PluginHost::with_cache_dir(PluginLimits::default(), seed, None).unwrap();
    host.load(&wasm).unwrap();
    let r = |name: &str| PluginRef {
        plugin: "bench-gen".into(),
        name: name.into(),
        params: serde_json::Value::Null,
        fields: vec![],
    };
    let vec_field = Field {
        dim: Some(768),
        ..Field::new("embedding", DataType::FloatVector)
    };
    let text_field = Field {
        max_length: Some(256),
        ..Field::new("title", DataType::VarChar)
    };
    let vec_plugin = host
        .resolve_generator(&r("unit-vectors"), &vec_field)
        .unwrap();
    let text_plugin = host.resolve_generator(&r("words"), &text_field).unwrap();

    // Same values on both sides, or the comparison means nothing.
    let req = ChunkRequest {
        chunk_index: 2,
        first_row: 2048,
        rows: 1024,
    };
    assert_eq!(
        &vec_plugin.generate(&req).unwrap(),
        &native_vectors(seed, "embedding", 768, &req)
    );
    assert_eq!(
        &text_plugin.generate(&req).unwrap(),
        &native_words(seed, "title", 256, &req)
    );

    let (chunks, rounds) = (20, 7);
    let cases: [(
        &str,
        Box<dyn FnMut(&ChunkRequest) -> ArrayRef>,
        Box<dyn FnMut(&ChunkRequest) -> ArrayRef>,
    ); 2] = [
        (
            "FloatVector dim 768",
            Box::new(|q| native_vectors(seed, "embedding", 768, q)),
            Box::new(|q| vec_plugin.generate(q).unwrap()),
        ),
        (
            "VarChar max_length 256",
            Box::new(|q| native_words(seed, "title", 256, q)),
            Box::new(|q| text_plugin.generate(q).unwrap()),
        ),
    ];
    println!(
        "per chunk of {CHUNK_ROWS} rows, median of {rounds} rounds x {chunks} chunks, 1 thread"
    );
    println!(
        "{:<24} {:>12} {:>12} {:>8}",
        "column", "native", "plugin", "ratio"
    );
    for (name, mut native, mut plugin) in cases {
        let n = per_chunk(chunks, rounds, &mut native);
        let p = per_chunk(chunks, rounds, &mut plugin);
        println!(
            "{name:<24} {:>10.1}us {:>10.1}us {:>7.2}x",
            n.as_secs_f64() * 1e6,
            p.as_secs_f64() * 1e6,
            p.as_secs_f64() / n.as_secs_f64()
        );
    }
}
