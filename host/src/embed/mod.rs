//! An OpenAI-compatible embeddings endpoint (`POST {url}/embeddings`), for `backfill`.
//!
//! The endpoint is a capability the user grants by giving its URL: only the host calls it,
//! never a plugin. Requests carry `input` as a list of strings and `encoding_format: "float"`
//! (plus `dimensions` when asked for); answers are checked (one finite vector per input, in
//! input order). Transient failures (connection refused or reset, timeouts, 429, 500, 502,
//! 503, 504) are retried with exponential backoff, honouring `Retry-After` on 429 and 503.
//!
//! The API key is held in [`ApiKey`], whose `Debug` and `Display` never show it, and no error
//! text includes request headers; nothing in this module prints.

pub mod client;
pub mod error;

pub use client::{ApiKey, EmbedClient, EmbedConfig, Embedded};
pub use error::EmbedError;
