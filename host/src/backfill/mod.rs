//! `backfill`: compute the vectors MongoDB documents lack (missing, null, empty, of the wrong
//! dimension, or made by another model) through an OpenAI-compatible embeddings endpoint, write
//! them back (vector, model name, `updated_at`), and with `--sync` upsert the same documents
//! into Milvus through the sync path.
//!
//! What to embed comes from the sync handler's `embedding` declaration (interface 0.2.0):
//! the text fields, where the vector and the model name live, and the dimension.
//!
//! Layout: `select` (the query and each document's reason and text), `vectors` (request
//! batches, split-in-halves on refusal, checks and truncation), `checkpoint` (resume state),
//! `summary`, `error`, `run` (the loop). Nothing here prints.

pub mod checkpoint;
pub mod error;
pub mod run;
pub mod select;
pub mod summary;
pub mod vectors;

pub use error::BackfillError;
pub use run::{BackfillOptions, MongoTarget, embedding_of, run_backfill};
pub use summary::BackfillSummary;
