//! Ground-truth speed: exact top-10 by brute force over `GT_ROWS` (default 1,000,000) 128-d
//! float vectors for 1,000 queries, held in memory and fed in 16,384-row batches as
//! `bench recall` feeds them from files, against two floors:
//!
//! - memory: reading the vectors once (all 1,000 queries form one query batch, so one pass
//!   over the data is all the algorithm needs), measured as the best of five parallel sums;
//! - compute: rows x queries x dim multiply-adds at the rate a dot-product loop over
//!   cache-resident data reaches on this machine (measured here, same kernel).
//!
//! Run with `cargo bench --bench ground_truth` (or `bench/ground_truth.sh`, which also times
//! the whole path from Parquet files). Prints a Markdown table.

use std::time::Instant;

use milvus_ingest::measure::Metric;
use milvus_ingest::measure::metric::{DenseOp, dense_scores};
use milvus_ingest::measure::topk::BruteForce;
use milvus_ingest::measure::vectors::VectorSet;
use milvus_ingest::schema::DataType;
use rayon::prelude::*;

const DIM: usize = 128;
const QUERIES: usize = 1000;
const K: usize = 10;
const BATCH: usize = 16_384;

fn data(rows: usize) -> Vec<f32> {
    let mut v = vec![0f32; rows * DIM];
    v.par_chunks_mut(DIM * 4096)
        .enumerate()
        .for_each(|(c, chunk)| {
            let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (c as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            for f in chunk.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *f = (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            }
        });
    v
}

/// Seconds to read `v` once on every core (best of five).
fn memory_floor(v: &[f32]) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            let s: f32 = v
                .par_chunks(1 << 16)
                .map(|c| c.iter().fold(0f32, |a, b| a + b))
                .sum();
            std::hint::black_box(s);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Multiply-adds per second of the dense kernel on cache-resident rows, all cores.
fn compute_rate() -> f64 {
    let rows = data(64);
    let q = data(1);
    let reps = 200_000;
    let threads = rayon::current_num_threads();
    let t = Instant::now();
    (0..threads).into_par_iter().for_each(|_| {
        let mut out = [0f32; 64];
        for _ in 0..reps {
            dense_scores(DenseOp::Dot, std::hint::black_box(&q), &rows, DIM, &mut out);
            std::hint::black_box(&out);
        }
    });
    (threads * reps * 64 * DIM) as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let rows: usize = std::env::var("GT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let v = data(rows);
    let queries = VectorSet::random(DataType::FloatVector, DIM, QUERIES, 7);
    let bytes = (rows * DIM * 4) as f64;
    let floor = memory_floor(&v);
    let rate = compute_rate();
    let compute_floor = (rows * QUERIES * DIM) as f64 / rate;
    println!(
        "{rows} x {DIM}-d float vectors ({:.0} MB), {QUERIES} queries, top-{K}, {} threads",
        bytes / 1e6,
        rayon::current_num_threads()
    );
    println!(
        "memory floor: {:.3} s ({:.1} GB/s); compute floor: {:.2} s ({:.1} G multiply-adds/s)\n",
        floor,
        bytes / floor / 1e9,
        compute_floor,
        rate / 1e9
    );
    println!("| metric | seconds | queries/s | x memory floor | x compute floor |");
    println!("|---|---|---|---|---|");
    for metric in [Metric::L2, Metric::Ip, Metric::Cosine] {
        let t = Instant::now();
        let mut brute = BruteForce::new(&queries, metric, K);
        for (b, batch) in v.chunks(BATCH * DIM).enumerate() {
            brute.add_dense((b * BATCH) as u64, batch);
        }
        let result = brute.finish();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(result.len(), QUERIES);
        assert!(result.iter().all(|r| r.len() == K));
        println!(
            "| {metric} | {secs:.2} | {:.0} | {:.0} | {:.2} |",
            QUERIES as f64 / secs,
            secs / floor,
            secs / compute_floor
        );
    }
    if let Ok(dir) = std::env::var("GT_DATASET") {
        from_files(std::path::Path::new(&dir), &queries);
    }
}

/// The whole path of `bench recall`: Parquet files streamed and decoded, keys resolved.
fn from_files(dir: &std::path::Path, queries: &VectorSet) {
    use milvus_ingest::measure::truth::{Quiet, compute};
    use milvus_ingest::milvus::dataset::Dataset;
    let dataset = Dataset::open(dir).expect("dataset");
    let field = dataset
        .schema()
        .vector_fields()
        .next()
        .expect("a vector field")
        .clone();
    let t = Instant::now();
    let truth = compute(&dataset, &field, Metric::Cosine, K, queries, &Quiet).expect("truth");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "\nFrom Parquet files ({} rows of `{}`, {} files, decode + scan + key lookup): COSINE {secs:.2} s, {:.0} queries/s",
        truth.rows,
        field.name,
        dataset.file_count(),
        QUERIES as f64 / secs
    );
}
