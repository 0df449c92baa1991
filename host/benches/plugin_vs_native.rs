//! Plugin cost vs native code, per chunk of 1024 rows, for a 768-d FloatVector column and a
//! VarChar column (targets: plugin <= 1.3x native for vectors, <= 1.5x for strings).
//!
//! The native side is a plain loop running the same algorithm as the `bench-gen` guest, so the
//! ratio measures the plugin boundary and wasm code rather than two different algorithms; both
//! build the same Arrow array, and the plugin side includes the host's result checks. The guest
//! uses the SDK's helpers the way plugin authors are told to (`RowRng::fill_normal`,
//! `vector::normalize`, `StringsBuilder`); the native side mirrors their arithmetic, with the
//! platform's own `memcpy` where the SDK copies short strings inline. The
//! project's own native generator (`generate::values`, a different and faster algorithm) is
//! timed alongside for reference. Timings on a shared machine are noisy: contenders run in
//! interleaved rounds and the ratio is the median of per-round ratios.
//!
//! Run: scripts/build-plugins.sh && cargo bench --bench plugin_vs_native

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Float32Array, ListArray, StringArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType as ArrowType, Field as ArrowField};
use milvus_ingest::generate::values::build_column;
use milvus_ingest::generate::{CHUNK_ROWS, ChunkRequest, GenContext};
use milvus_ingest::plugin::{PluginHost, PluginLimits};
use milvus_ingest::schema::{DataType, Field, PluginRef};

// ---- the guest's algorithm, natively (kept identical to plugins/sdk/src/rng.rs,
// plugins/sdk/src/vector.rs and plugins/testing/bench-gen/src/lib.rs; `main` asserts both sides
// give the same values). A copy, not a dependency: the SDK inherits its dependencies from the
// plugins workspace, which Cargo cannot resolve from the host workspace. ----

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
        match u32::try_from(n) {
            Ok(n) => ((self.next_u64() >> 32) * u64::from(n)) >> 32,
            Err(_) => ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64,
        }
    }
}

/// Natural logarithm of a positive, finite, normal `x`, to within about 1e-15 absolute plus
/// 1e-13 relative error (plenty for draws stored as `f32`).
///
/// The normal samplers call this instead of `f64::ln` because WebAssembly has no logarithm
/// instruction: `ln` is a call into the guest's libm, and every call also pays the host's
/// time-limit check at function entry. This one inlines: `x = 2^k * m` with `m` in `[1, 2)`;
/// the top 6 bits of `m` pick `c` (the middle of its 1/64-wide bucket, so `|m/c - 1| < 1/128`)
/// and `ln x = k ln 2 + ln c + ln(m/c)`, the last by its Taylor series to `r^7` (next term
/// below 1e-17).
#[inline(always)]
fn ln(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    let bits = x.to_bits();
    let k = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let (inv_c, ln_c) = LN_TABLE[((bits >> 46) & 63) as usize];
    let r = m * inv_c - 1.0;
    let r2 = r * r;
    let p = r + r2
        * ((-0.5 + r * (1.0 / 3.0))
            + r2 * ((-0.25 + r * 0.2) + r2 * (-1.0 / 6.0 + r * (1.0 / 7.0))));
    k as f64 * LN2 + ln_c + p
}

/// `(1/c, ln c)` for `c = 1 + (i + 0.5)/64`, computed at compile time (IEEE arithmetic is
/// exact-rounded in const evaluation, so every platform gets the same table).
const LN_TABLE: [(f64, f64); 64] = ln_table();

const fn ln_table() -> [(f64, f64); 64] {
    let mut table = [(0.0, 0.0); 64];
    let mut i = 0;
    while i < 64 {
        let c = 1.0 + (i as f64 + 0.5) / 64.0;
        table[i] = (1.0 / c, ln_series(c));
        i += 1;
    }
    table
}

/// `ln c` for `c` in `[1, 2)` as `2 atanh(z)`, `z = (c - 1)/(c + 1)` (`z < 1/3`), summed to
/// `z^61` (terms fall by at least 9x each). Slow; only the table uses it.
const fn ln_series(c: f64) -> f64 {
    let z = (c - 1.0) / (c + 1.0);
    let w = z * z;
    let mut sum = 0.0;
    let mut n = 61;
    while n >= 1 {
        sum = sum * w + 1.0 / n as f64;
        n -= 2;
    }
    2.0 * z * sum
}

#[inline(always)]
fn polar((u, v, s): (f64, f64, f64)) -> Option<(f64, f64)> {
    (s > 0.0 && s < 1.0).then(|| {
        let m = (-2.0 * ln(s) / s).sqrt();
        (u * m, v * m)
    })
}

impl RowRng {
    fn fill_normal(&mut self, out: &mut [f32]) {
        let n = out.len();
        let mut i = 0;
        while i < n {
            let first = self.candidate();
            let second = self.candidate();
            for candidate in [first, second] {
                if i < n
                    && let Some((a, b)) = polar(candidate)
                {
                    out[i] = a as f32;
                    if i + 1 < n {
                        out[i + 1] = b as f32;
                    }
                    i += 2;
                }
            }
        }
    }

    fn candidate(&mut self) -> (f64, f64, f64) {
        let u = self.next_f64() * 2.0 - 1.0;
        let v = self.next_f64() * 2.0 - 1.0;
        (u, v, u * u + v * v)
    }
}

fn normalize(v: &mut [f32]) {
    let mut lanes = [0f32; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (acc, x) in lanes.iter_mut().zip(c) {
            *acc += x * x;
        }
    }
    let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
    let [a, b, c, d, e, f, g, h] = lanes;
    let sum = ((a + e) + (b + f)) + ((c + g) + (d + h)) + tail;
    let norm = sum.sqrt().max(f32::MIN_POSITIVE);
    for x in v.iter_mut() {
        *x /= norm;
    }
}

const WORDS: &[&str] = &[
    "river", "stone", "quiet", "vector", "engine", "garden", "signal", "harbor", "meadow",
    "lantern", "copper", "window", "orbit", "pencil", "thunder", "velvet",
];

#[inline(never)]
fn unit_vectors(seed: u64, name: &str, first_row: u64, rows: usize, dim: usize) -> Vec<f32> {
    let mut values = vec![0f32; dim * rows];
    for (row, v) in (first_row..).zip(values.chunks_exact_mut(dim)) {
        RowRng::for_row(seed, name, row).fill_normal(v);
        normalize(v);
    }
    values
}

fn native_vectors(seed: u64, name: &str, dim: usize, req: &ChunkRequest) -> ArrayRef {
    let values = unit_vectors(seed, name, req.first_row, req.rows, dim);
    let item = Arc::new(ArrowField::new("item", ArrowType::Float32, true));
    Arc::new(ListArray::new(
        item,
        OffsetBuffer::from_lengths(std::iter::repeat_n(dim, req.rows)),
        Arc::new(Float32Array::from(values)),
        None,
    ))
}

#[inline(never)]
fn native_words(seed: u64, name: &str, max: usize, req: &ChunkRequest) -> ArrayRef {
    let mut data = String::with_capacity(req.rows * (max + 16) / 2);
    let mut offsets = Vec::with_capacity(req.rows + 1);
    offsets.push(0i32);
    for row in req.first_row..req.first_row + req.rows as u64 {
        let mut rng = RowRng::for_row(seed, name, row);
        let start = data.len();
        let target = 16 + rng.below((max - 16) as u64) as usize;
        while data.len() - start < target {
            if data.len() > start {
                data.push(' ');
            }
            data.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        }
        let mut end = (start + max).min(data.len());
        while !data.is_char_boundary(end) {
            end -= 1;
        }
        data.truncate(end);
        offsets.push(data.len() as i32);
    }
    Arc::new(StringArray::new(
        OffsetBuffer::new(offsets.into()),
        data.into_bytes().into(),
        None,
    ))
}

// ---- measurement ----

/// Time per chunk of one pass over `chunks` chunks.
fn pass(chunks: u64, f: &mut dyn FnMut(&ChunkRequest) -> ArrayRef) -> Duration {
    let start = Instant::now();
    for c in 0..chunks {
        let req = ChunkRequest {
            chunk_index: c,
            first_row: c * CHUNK_ROWS,
            rows: CHUNK_ROWS as usize,
        };
        black_box(f(&req));
    }
    start.elapsed() / chunks as u32
}

/// Median per-chunk times of each contender, measured in interleaved rounds so that load from
/// other processes hits all of them alike; also the median of the per-round ratios to the first.
fn race(
    chunks: u64,
    rounds: usize,
    fs: &mut [&mut dyn FnMut(&ChunkRequest) -> ArrayRef],
) -> Vec<(Duration, f64)> {
    let mut times = vec![Vec::new(); fs.len()];
    let mut ratios = vec![Vec::new(); fs.len()];
    for _ in 0..rounds {
        let round: Vec<Duration> = fs.iter_mut().map(|f| pass(chunks, *f)).collect();
        for (i, t) in round.iter().enumerate() {
            times[i].push(*t);
            ratios[i].push(t.as_secs_f64() / round[0].as_secs_f64());
        }
    }
    let median_d = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let median_f = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    times
        .iter_mut()
        .zip(ratios.iter_mut())
        .map(|(t, r)| (median_d(t), median_f(r)))
        .collect()
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
    let load = |limits: PluginLimits| {
        let host = PluginHost::with_cache_dir(limits, seed, None).unwrap();
        host.load(&wasm).unwrap();
        host
    };
    let host = load(PluginLimits::default());
    let untimed = load(PluginLimits {
        timeout: Duration::ZERO,
        ..PluginLimits::default()
    });
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
    let vec_untimed = untimed
        .resolve_generator(&r("unit-vectors"), &vec_field)
        .unwrap();
    // The project's own native generators (generate::values), for reference.
    let ctx = GenContext {
        seed,
        total_rows: 1 << 20,
    };
    let vec_builtin = build_column(&vec_field, "embedding", &ctx).unwrap();
    let text_builtin = build_column(&text_field, "title", &ctx).unwrap();
    let text_untimed = untimed.resolve_generator(&r("words"), &text_field).unwrap();

    // Fixed cost of one call (fresh instance, WASI context, one row, checks).
    let one = ChunkRequest {
        chunk_index: 0,
        first_row: 0,
        rows: 1,
    };
    let mut fixed = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..200 {
            black_box(text_plugin.generate(&one).unwrap());
        }
        fixed.push(start.elapsed() / 200);
    }
    fixed.sort();
    println!(
        "fixed cost of a call (1 row; bench-gen is stateless, so instances are reused): {:.1}us",
        fixed[3].as_secs_f64() * 1e6
    );

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

    let (chunks, rounds) = (10, 15);
    type Make<'a> = Box<dyn FnMut(&ChunkRequest) -> ArrayRef + 'a>;
    let cases: [(&str, Make, Make, Make, Make); 2] = [
        (
            "FloatVector dim 768",
            Box::new(|q| native_vectors(seed, "embedding", 768, q)),
            Box::new(|q| vec_plugin.generate(q).unwrap()),
            Box::new(|q| vec_untimed.generate(q).unwrap()),
            Box::new(|q| vec_builtin.generate(q).unwrap()),
        ),
        (
            "VarChar max_length 256",
            Box::new(|q| native_words(seed, "title", 256, q)),
            Box::new(|q| text_plugin.generate(q).unwrap()),
            Box::new(|q| text_untimed.generate(q).unwrap()),
            Box::new(|q| text_builtin.generate(q).unwrap()),
        ),
    ];
    println!(
        "per chunk of {CHUNK_ROWS} rows, median of {rounds} rounds x {chunks} chunks, 1 thread"
    );
    println!(
        "{:<24} {:>11} {:>11} {:>7} {:>15} {:>7} {:>14}",
        "column", "native", "plugin", "ratio", "plugin(no limit)", "ratio", "built-in gen"
    );
    for (name, mut native, mut plugin, mut free, mut builtin) in cases {
        let r = race(
            chunks,
            rounds,
            &mut [&mut native, &mut plugin, &mut free, &mut builtin],
        );
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{name:<24} {:>9.1}us {:>9.1}us {:>6.2}x {:>13.1}us {:>6.2}x {:>12.1}us",
            us(r[0].0),
            us(r[1].0),
            r[1].1,
            us(r[2].0),
            r[2].1,
            us(r[3].0)
        );
    }
}
