//! Measuring a collection: search throughput and latency (`bench search`), recall against
//! exact ground truth computed from the generated dataset (`bench recall`), and health checks
//! (`health`).
//!
//! Everything that talks to Milvus goes through `crate::milvus` (`inspect`, `bench_search`);
//! this module computes, times and summarises. Files: `target` (which field, which metric,
//! parameters), `vectors` and `queries` (query vectors), `metric` and `topk` (brute force),
//! `truth` (streaming ground truth and its cache), `latency` and `load` (closed-loop load), `coverage` (every row searched through the index?),
//! `search_bench`, `recall` and `rescore` (true scores of returned rows), `plot`, `health`, `prometheus`.

pub mod coverage;
pub mod error;
pub mod health;
pub mod latency;
pub mod load;
pub mod metric;
pub mod plot;
pub mod prometheus;
pub mod queries;
pub mod recall;
pub mod rescore;
pub mod search_bench;
pub mod target;
pub mod topk;
pub mod truth;
pub mod vectors;

pub use error::{MeasureError, Result};
pub use metric::Metric;
