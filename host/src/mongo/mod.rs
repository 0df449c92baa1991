//! MongoDB as a source for `sync`: a live server through the official driver (`live`), or the
//! files `mongodump` and `mongoexport` write (`files`). Both hand out documents as
//! [`SourceDoc`]s: the `_id` plus the document's BSON, written as relaxed Extended JSON (what
//! sync handlers read) by `extjson` when a conversion thread asks for it.
//!
//! This module and `milvus/`, `storage/` are the only ones that talk to the network. It never
//! prints; failures come back as [`MongoError`].

pub mod changes;
pub mod doc;
pub mod error;
pub mod extjson;
pub mod files;
pub mod filter;
pub mod live;
pub mod write;

pub use changes::{Change, ChangeBatch, Changes, StreamEnd};
pub use doc::{SourceDoc, id_key};
pub use error::MongoError;
pub use files::FileSource;
pub use filter::{TimeWindow, parse_instant};
pub use live::LiveSource;
pub use write::SetOutcome;
