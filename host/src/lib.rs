//! milvus-ingest: schema-driven synthetic data for Milvus, and the pipelines that ship it.
//!
//! The binary in `main.rs` only parses arguments and prints; everything it does is a call into
//! the modules below, which return typed errors and report progress through traits.

pub mod backfill;
pub mod cli;
pub mod embed;
pub mod error_chain;
pub mod format;
pub mod fsutil;
pub mod generate;
pub mod measure;
pub mod milvus;
pub mod mongo;
pub mod plugin;
pub mod rebuild;
pub mod redact;
pub mod registry;
pub mod schema;
pub mod shard;
pub mod storage;
pub mod sync;
