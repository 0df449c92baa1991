//! WebAssembly plugins: field generators, validators and sync handlers loaded with `--plugin`.
//!
//! Layout: `wit` (bindings per interface version, version checks), `host` (engine, epoch
//! ticker, loading), `cache` (compiled components on disk), `sandbox` (what an instance may
//! touch), `loaded` (a plugin and its instance pool), `column`/`batch` (checked conversion
//! between WIT columns and Arrow), and one adapter per world (`generator`, `validator`, `sync`).
//!
//! This module never prints and never touches the network; a plugin can only compute.

mod adapt;
mod adapt_sync;
mod batch;
mod bound;
mod cache;
mod column;
mod error;
mod generator;
mod host;
mod inspect;
mod loaded;
mod resolver;
mod sandbox;
mod sync;
mod sync_desc;
mod validator;
pub mod wit;

use std::sync::Arc;

pub use cache::{default_cache_dir, sha256_hex};
pub use error::PluginError;
pub use generator::PluginGenerator;
pub use host::{PluginHost, PluginLimits};
pub use inspect::{inspect, inspect_text};
pub use loaded::{FunctionDesc, LoadedPlugin, PluginInfo};
pub use sync::{
    Converted, ConvertedEntity, DeletedDoc, Documents, SkippedDoc, SyncHandler, document_id,
};
pub use sync_desc::{EmbeddingDesc, HandlerDesc, NamingDesc};
pub use validator::PluginValidator;
pub use wit::{ACCEPTED_VERSIONS, World};

use crate::generate::{BatchValidator, ColumnGenerator};
use crate::schema::{DataType, Field, PluginRef, Schema};

fn require_world(plugin: &LoadedPlugin, wanted: World) -> Result<(), PluginError> {
    if plugin.world() == wanted {
        Ok(())
    } else {
        Err(PluginError::WrongWorld {
            plugin: plugin.name().to_string(),
            world: plugin.world().name(),
            wanted: wanted.name(),
        })
    }
}

fn find_function<'a>(
    plugin: &'a LoadedPlugin,
    kind: &'static str,
    name: &str,
) -> Result<&'a FunctionDesc, PluginError> {
    let info = plugin.info();
    info.functions
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| PluginError::NoSuchFunction {
            plugin: info.name.clone(),
            kind,
            name: name.to_string(),
            offered: info
                .functions
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn check_type(
    plugin: &LoadedPlugin,
    kind: &'static str,
    f: &FunctionDesc,
    field: &Field,
) -> Result<(), PluginError> {
    let accepted = f
        .types
        .iter()
        .any(|t| t.parse::<DataType>().is_ok_and(|t| t == field.data_type));
    if accepted {
        Ok(())
    } else {
        Err(PluginError::Unsupported {
            plugin: plugin.name().to_string(),
            kind,
            name: f.name.clone(),
            field: field.name.clone(),
            message: format!(
                "does not support type {} (it supports {})",
                field.data_type,
                f.types.join(", ")
            ),
        })
    }
}

impl PluginHost {
    /// The generator a field's `"generator": {"plugin", "name", "params"}` names.
    pub fn resolve_generator(
        &self,
        r: &PluginRef,
        field: &Field,
    ) -> Result<Arc<dyn ColumnGenerator>, PluginError> {
        let plugin = self.get(&r.plugin)?;
        require_world(&plugin, World::FieldGenerator)?;
        let f = find_function(&plugin, "generator", &r.name)?;
        check_type(&plugin, "generator", f, field)?;
        Ok(Arc::new(PluginGenerator::new(
            plugin.clone(),
            &r.name,
            field,
            &r.params,
        )))
    }

    /// A validator from a field's `validators` (`field` given: it reads that column) or the
    /// collection's (`field` None: it reads the columns in `r.fields`).
    pub fn resolve_validator(
        &self,
        r: &PluginRef,
        schema: &Schema,
        field: Option<&Field>,
    ) -> Result<Arc<dyn BatchValidator>, PluginError> {
        let plugin = self.get(&r.plugin)?;
        require_world(&plugin, World::Validator)?;
        let f = find_function(&plugin, "validator", &r.name)?;
        let fields: Vec<Field> = match field {
            Some(field) => vec![field.clone()],
            None => r
                .fields
                .iter()
                .map(|name| {
                    schema
                        .field(name)
                        .cloned()
                        .ok_or_else(|| PluginError::Unsupported {
                            plugin: plugin.name().to_string(),
                            kind: "validator",
                            name: r.name.clone(),
                            field: name.clone(),
                            message: "no such field in the schema".into(),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        for field in &fields {
            check_type(&plugin, "validator", f, field)?;
        }
        Ok(Arc::new(PluginValidator::new(
            plugin.clone(),
            &r.name,
            fields,
            &r.params,
        )))
    }

    /// The sync handler serving `collection_type`, among the loaded plugins, with default
    /// params.
    pub fn sync_handler(&self, collection_type: &str) -> Result<SyncHandler, PluginError> {
        self.sync_handler_with(collection_type, &std::collections::BTreeMap::new())
    }

    /// The sync handler serving `collection_type` with `params` applied (`dim`, `tenant_id`,
    /// ...). When several loaded plugins serve the type, the first by plugin name serves it
    /// (`crate::sync::handlers` decides precedence between shipped and user plugins itself).
    pub fn sync_handler_with(
        &self,
        collection_type: &str,
        params: &std::collections::BTreeMap<String, String>,
    ) -> Result<SyncHandler, PluginError> {
        let mut served = Vec::new();
        let mut found = None;
        for plugin in self.loaded() {
            if !sync::is_sync(&plugin) {
                continue;
            }
            for h in &plugin.info().handlers {
                if h.collection_type == collection_type && found.is_none() {
                    found = Some(plugin.clone());
                }
                served.push(h.collection_type.clone());
            }
        }
        match found {
            Some(plugin) => SyncHandler::with_params(plugin, collection_type, params),
            None => Err(PluginError::NotLoaded {
                name: format!("sync handler for `{collection_type}`"),
                loaded: if served.is_empty() {
                    "no sync handlers".into()
                } else {
                    served.join(", ")
                },
            }),
        }
    }
}
