//! A field generator backed by a plugin: one `generate` call per chunk of rows.

use std::sync::Arc;

use arrow_array::ArrayRef;

use super::column::to_arrow;
use super::error::PluginError;
use super::loaded::LoadedPlugin;
use super::wit::latest::GenerateRequest;
use crate::generate::{ChunkRequest, ColumnGenerator, GenerateError};
use crate::schema::Field;

pub struct PluginGenerator {
    plugin: Arc<LoadedPlugin>,
    generator: String,
    field: Field,
    field_json: String,
    params_json: String,
}

impl PluginGenerator {
    pub(crate) fn new(
        plugin: Arc<LoadedPlugin>,
        generator: &str,
        field: &Field,
        params: &serde_json::Value,
    ) -> PluginGenerator {
        PluginGenerator {
            plugin,
            generator: generator.to_string(),
            field: field.clone(),
            field_json: serde_json::to_string(field).unwrap_or_default(),
            params_json: params.to_string(),
        }
    }

    /// The checked column for `req` (the [`ColumnGenerator`] impl maps the error).
    pub fn generate_chunk(&self, req: &ChunkRequest) -> Result<ArrayRef, PluginError> {
        let function = format!("generate({})", self.generator);
        let wire = GenerateRequest {
            generator: self.generator.clone(),
            field: self.field_json.clone(),
            params: self.params_json.clone(),
            seed: self.plugin.seed(),
            first_row: req.first_row,
            row_count: u32::try_from(req.rows).unwrap_or(u32::MAX),
        };
        let result = self.plugin.call(
            &function,
            &self.field.name,
            req.chunk_index,
            |bound, store| bound.generate(store, &wire),
        )?;
        let column = result.map_err(|message| {
            self.plugin.call_error(
                &function,
                &self.field.name,
                None,
                format!("the plugin returned an error: {message}"),
            )
        })?;
        to_arrow(column, &self.field, req.rows).map_err(|message| {
            self.plugin
                .call_error(&function, &self.field.name, None, message)
        })
    }
}

impl ColumnGenerator for PluginGenerator {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        self.generate_chunk(req).map_err(GenerateError::from)
    }
}
