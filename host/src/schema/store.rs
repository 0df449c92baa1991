//! The per-user schema store behind `schema add|list|show|remove`.
//!
//! Layout: `<home>/schemas/<id>.json` (the schema as added, re-serialised as JSON so YAML
//! schemas load the same way) and `<home>/schemas/index.json` (description and tags). `<home>` is
//! `$MILVUS_INGEST_HOME`, else the platform data directory. Every write goes to a temporary file
//! that is renamed into place, so an interrupted `add` never leaves a half-written schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::builtin::builtin_text;
use super::error::SchemaError;
use super::field::Schema;
use crate::fsutil::write_atomically;

/// What the index records about a stored schema.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StoredSchema {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub added_from: String,
}

pub struct SchemaStore {
    dir: PathBuf,
}

impl SchemaStore {
    /// The store of the current user (`$MILVUS_INGEST_HOME/schemas` when set).
    pub fn for_user() -> SchemaStore {
        let home = std::env::var_os("MILVUS_INGEST_HOME")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("milvus-ingest")))
            .unwrap_or_else(|| PathBuf::from(".milvus-ingest"));
        SchemaStore::at(home.join("schemas"))
    }

    pub fn at(dir: PathBuf) -> SchemaStore {
        SchemaStore { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    pub fn path_of(&self, id: &str) -> Option<PathBuf> {
        let path = self.dir.join(format!("{id}.json"));
        (is_valid_id(id) && path.is_file()).then_some(path)
    }

    /// The user's schemas with their index entries, sorted by id.
    pub fn list(&self) -> Result<BTreeMap<String, StoredSchema>, SchemaError> {
        let mut index = self.read_index()?;
        // Entries whose file was removed by hand are not schemas any more.
        index.retain(|id, _| self.path_of(id).is_some());
        Ok(index)
    }

    pub fn add(
        &self,
        id: &str,
        schema: &Schema,
        entry: StoredSchema,
        overwrite: bool,
    ) -> Result<PathBuf, SchemaError> {
        if !is_valid_id(id) {
            return Err(SchemaError::Store(format!(
                "`{id}` is not a valid schema id: use letters, digits, `_` and `-`"
            )));
        }
        if builtin_text(id).is_some() {
            return Err(SchemaError::Store(format!(
                "`{id}` is a built-in schema; choose another id"
            )));
        }
        if self.path_of(id).is_some() && !overwrite {
            return Err(SchemaError::Store(format!(
                "a schema `{id}` is already stored; pass --force to replace it"
            )));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io_error("create", &self.dir, e))?;
        let path = self.dir.join(format!("{id}.json"));
        let text = serde_json::to_string_pretty(schema).expect("schemas serialise");
        write_atomically(&path, text.as_bytes()).map_err(|e| self.io_error("write", &path, e))?;
        let mut index = self.read_index()?;
        index.insert(id.to_string(), entry);
        self.write_index(&index)?;
        Ok(path)
    }

    pub fn remove(&self, id: &str) -> Result<(), SchemaError> {
        let Some(path) = self.path_of(id) else {
            let hint = if builtin_text(id).is_some() {
                " (built-in schemas cannot be removed)"
            } else {
                ""
            };
            return Err(SchemaError::Store(format!("no stored schema `{id}`{hint}")));
        };
        let mut index = self.read_index()?;
        index.remove(id);
        self.write_index(&index)?;
        std::fs::remove_file(&path).map_err(|e| self.io_error("remove", &path, e))
    }

    fn read_index(&self) -> Result<BTreeMap<String, StoredSchema>, SchemaError> {
        let path = self.index_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| SchemaError::Store(format!("{} is damaged: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.io_error("read", &path, e)),
        }
    }

    fn write_index(&self, index: &BTreeMap<String, StoredSchema>) -> Result<(), SchemaError> {
        let path = self.index_path();
        let text = serde_json::to_string_pretty(index).expect("index serialises");
        write_atomically(&path, text.as_bytes()).map_err(|e| self.io_error("write", &path, e))
    }

    fn io_error(&self, what: &str, path: &Path, e: std::io::Error) -> SchemaError {
        SchemaError::Store(format!("cannot {what} {}: {e}", path.display()))
    }
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::load_builtin;

    #[test]
    fn add_list_show_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = SchemaStore::at(dir.path().join("schemas"));
        let schema = load_builtin("simple").unwrap();
        let entry = StoredSchema {
            description: "mine".into(),
            tags: vec!["a".into()],
            added_from: "x.json".into(),
        };
        store
            .add("my_schema", &schema, entry.clone(), false)
            .unwrap();
        assert!(
            store
                .add("my_schema", &schema, entry.clone(), false)
                .is_err()
        );
        assert!(store.add("simple", &schema, entry.clone(), false).is_err());
        assert_eq!(store.list().unwrap().get("my_schema"), Some(&entry));
        store.remove("my_schema").unwrap();
        assert!(store.list().unwrap().is_empty());
        assert!(store.remove("my_schema").is_err());
    }
}
