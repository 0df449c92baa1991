//! The plugin host as the engine's `GeneratorResolver`: what `generate --plugin` plugs in.

use std::sync::Arc;

use super::host::PluginHost;
use crate::generate::dataset::GeneratorResolver;
use crate::generate::{BatchValidator, ColumnGenerator, GenContext, GenerateError};
use crate::schema::{Field, PluginRef, Schema};

impl GeneratorResolver for PluginHost {
    fn generator(
        &self,
        reference: &PluginRef,
        field: &Field,
        _path: &str,
        _ctx: &GenContext,
    ) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
        self.resolve_generator(reference, field)
            .map_err(GenerateError::from)
    }

    /// Field validators (each reads its field) first, then the collection's.
    fn validators(&self, schema: &Schema) -> Result<Vec<Arc<dyn BatchValidator>>, GenerateError> {
        let mut out = Vec::new();
        for field in schema.data_fields() {
            for r in &field.validators {
                out.push(self.resolve_validator(r, schema, Some(field))?);
            }
        }
        for r in &schema.validators {
            out.push(self.resolve_validator(r, schema, None)?);
        }
        Ok(out)
    }
}
