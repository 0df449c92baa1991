//! `sync`: MongoDB documents → a sync-handler plugin → checked entities → Milvus upserts and
//! deletes, with a checkpoint so a killed run resumes exactly, and `--follow` to tail the
//! collection's change stream afterwards.
//!
//! Layout: `handlers` (which plugin serves a collection type), `check` (entities against the
//! collection schema, before any request), `batch` (one batch of documents converted, checked
//! and collapsed by primary key), `target` (the collection and its alias), `write` (upsert and
//! delete with retries), `checkpoint` (the resume state file), `report` (summary and the
//! per-document report), `run` (the initial pass) and `follow` (the change stream).
//!
//! Nothing here prints: progress goes through [`SyncReporter`], results come back as a
//! [`SyncSummary`], failures as [`SyncError`].

pub mod batch;
pub mod check;
pub mod checkpoint;
pub mod error;
pub mod follow;
pub mod handlers;
mod pending;
pub mod report;
pub mod run;
mod scan;
pub mod target;
pub mod write;

pub use checkpoint::default_state_dir;
pub use error::SyncError;
pub use report::{SyncReporter, SyncSummary};
pub use run::{Source, SyncOptions, run_sync};
