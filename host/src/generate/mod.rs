//! The generation engine: turns a schema and a row range into Arrow record batches.
//!
//! Layout: `rng` (deterministic streams), `column` (the generator contract), `values` (native
//! generators, one file per kind of value), `plan` (which rows go to which file), `engine`
//! (threads and ordering). Nothing here knows about clap, tokio or the network.

pub mod column;
pub mod dataset;
pub mod engine;
pub mod error;
pub mod job;
pub mod plan;
pub mod rng;
pub mod values;

pub use column::{BatchValidator, ChunkRequest, ColumnGenerator, GenContext, Violation, chunk_rng};
pub use error::GenerateError;
pub use rng::{CHUNK_ROWS, Purpose, scramble, stable_hash, stream};
