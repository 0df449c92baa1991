//! Milvus I/O: the connection, collection DDL, `to-milvus insert` and `to-milvus verify`.
//!
//! This is one of the three modules that talk to the network. It never prints: progress goes
//! through the reporter traits, results come back as summaries, failures as [`MilvusError`].
//! Every RPC goes through the official SDK's generated gRPC client (see [`client`] for why).

pub mod admin;
pub mod alias;
pub mod append;
pub mod bench_search;
pub mod client;
pub mod collection;
pub mod convert;
pub mod dataset;
pub mod ddl;
pub mod error;
pub mod import;
pub mod insert;
pub mod inspect;
pub mod json_reader;
pub mod progress;
pub mod query;
pub mod retry;
pub mod reverse;
pub mod scan;
pub mod segments;
pub mod tls;
pub mod upsert;
pub mod values;
pub mod verify;

pub use client::{Client, ConnectOptions, ServerVersion, normalize_uri};
pub use collection::{CollectionOptions, Preparation, Prepared, prepare};
pub use error::{MilvusError, Result};
pub use tls::TlsOptions;
