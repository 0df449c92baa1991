//! Collection schemas: the model, reading JSON/YAML, validation, built-ins and the user store.
//!
//! Nothing here does I/O beyond reading the schema file and the per-user store; generation,
//! writers and Milvus DDL all take a validated [`Schema`].

mod bound;
mod builtin;
mod error;
mod field;
mod kinds;
mod parse;
mod ranges;
mod store;
mod types;
mod validate;
mod words;

pub use bound::Bound;
pub use builtin::{BUILTINS, builtin_names, builtin_text, load_builtin};
pub use error::{Problem, SchemaError};
pub use field::{Distribution, Field, Function, IndexSpec, PluginRef, Schema};
pub use kinds::StringKind;
pub use parse::{SchemaFormat, load_schema_file, parse_schema};
pub use store::{SchemaStore, StoredSchema};
pub use types::DataType;
pub use validate::{
    MAX_ARRAY_CAPACITY, MAX_SPARSE_NNZ, MAX_VARCHAR_LENGTH, literal_fits, validate,
};
pub use words::{WordFit, length_bounds, string_kind, word_based};

/// Where a schema comes from, as the user named it.
#[derive(Debug, Clone)]
pub enum SchemaSource {
    File(std::path::PathBuf),
    /// A built-in or a schema from the user's store (the store wins on a name clash).
    Named(String),
}

impl SchemaSource {
    pub fn load(&self, store: &SchemaStore) -> Result<Schema, SchemaError> {
        match self {
            SchemaSource::File(path) => load_schema_file(path),
            SchemaSource::Named(name) => match store.path_of(name) {
                Some(path) => load_schema_file(&path),
                None => load_builtin(name),
            },
        }
    }
}
