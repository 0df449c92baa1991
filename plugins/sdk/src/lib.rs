//! Write milvus-ingest plugins as plain Rust: implement [`Generator`], [`Validator`] or
//! [`SyncHandler`] and invoke the matching `export_*!` macro once. The macro generates the
//! WebAssembly component bindings inside your crate (from the WIT this SDK was built with), so
//! you write no binding code and your component exports exactly one world.
//!
//! Determinism: the host calls a generator once per chunk of rows, from any thread, in any
//! order, on instances that may have served other chunks before. Derive every random value
//! from the request (see [`RowRng`]) and keep no state between calls.

pub mod bson_doc;
mod bson_enc;
mod field;
mod generator;
mod rng;
mod sync;
mod types;
mod validator;
pub mod vector;

pub use bson_doc::{Document, split_documents};
pub use bson_enc::{days_from_civil, document_from_extjson};
pub use field::FieldSpec;
pub use generator::{GenerateRequest, Generator};
pub use rng::RowRng;
pub use sync::{
    ConvertResult, Delete, Embedding, Entity, HandlerInfo, MongoSource, Naming, Params, Skip,
    SyncHandler, SyncInfo, TenantPrefix, float_vector_fields, take_float_vectors,
};
pub use types::{
    Arrays, Column, ColumnData, F32Vectors, FunctionInfo, MilvusType, PackedStrings, PluginInfo,
    S8Vectors, Scalars, StringsBuilder, U8Vectors, pack_strings, unpack_strings,
};
pub use validator::{NamedColumn, ValidateRequest, Validator, Violation};

pub use serde_json;

include!(concat!(env!("OUT_DIR"), "/bindings_macro.rs"));

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::{
        Column, ColumnData, FieldSpec, FunctionInfo, GenerateRequest, Generator, MilvusType,
        PluginInfo, RowRng, Scalars,
    };
    pub use crate::{export_generator, export_sync_handler, export_validator};
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}
