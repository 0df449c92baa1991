//! `sync`: MongoDB -> Milvus through sync-handler plugins.

pub mod handlers;
