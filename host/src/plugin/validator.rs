//! A batch validator backed by a plugin.

use std::sync::Arc;

use arrow_array::RecordBatch;

use super::batch::to_wit;
use super::error::PluginError;
use super::loaded::LoadedPlugin;
use super::wit::latest::{NamedColumn, ValidateRequest};
use crate::generate::{BatchValidator, CHUNK_ROWS, GenerateError, Violation};
use crate::schema::Field;

pub struct PluginValidator {
    plugin: Arc<LoadedPlugin>,
    validator: String,
    /// `plugin/validator`, for reports.
    label: String,
    /// The columns it reads, with their field specs as JSON.
    fields: Vec<(Field, String)>,
    params_json: String,
}

impl PluginValidator {
    pub(crate) fn new(
        plugin: Arc<LoadedPlugin>,
        validator: &str,
        fields: Vec<Field>,
        params: &serde_json::Value,
    ) -> PluginValidator {
        PluginValidator {
            label: format!("{}/{validator}", plugin.name()),
            plugin,
            validator: validator.to_string(),
            fields: fields
                .into_iter()
                .map(|f| {
                    let json = serde_json::to_string(&f).unwrap_or_default();
                    (f, json)
                })
                .collect(),
            params_json: params.to_string(),
        }
    }

    fn field_label(&self) -> String {
        self.fields
            .iter()
            .map(|(f, _)| f.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn validate_batch(
        &self,
        batch: &RecordBatch,
        first_row: u64,
    ) -> Result<Vec<Violation>, PluginError> {
        let function = format!("validate({})", self.validator);
        let label = self.field_label();
        let mut columns = Vec::with_capacity(self.fields.len());
        for (field, json) in &self.fields {
            let array = batch.column_by_name(&field.name).ok_or_else(|| {
                self.plugin.call_error(
                    &function,
                    &field.name,
                    None,
                    "the batch has no such column".into(),
                )
            })?;
            let column = to_wit(array, field)
                .map_err(|m| self.plugin.call_error(&function, &field.name, None, m))?;
            columns.push(NamedColumn {
                name: field.name.clone(),
                field: json.clone(),
                column,
            });
        }
        let request = ValidateRequest {
            validator: self.validator.clone(),
            params: self.params_json.clone(),
            first_row,
            columns,
        };
        let rows = batch.num_rows() as u64;
        let result = self
            .plugin
            .call(&function, &label, first_row / CHUNK_ROWS, |bound, store| {
                bound.validate(store, &request)
            })?
            .map_err(|m| {
                self.plugin.call_error(
                    &function,
                    &label,
                    None,
                    format!("the plugin returned an error: {m}"),
                )
            })?;
        result
            .into_iter()
            .map(|v| {
                if v.row < first_row || v.row >= first_row + rows {
                    return Err(self.plugin.call_error(
                        &function,
                        &label,
                        None,
                        format!(
                            "reported a violation at row {}, outside the batch's rows {first_row}..{}",
                            v.row,
                            first_row + rows
                        ),
                    ));
                }
                Ok(Violation {
                    row: v.row,
                    field: v.field,
                    message: v.message,
                })
            })
            .collect()
    }
}

impl BatchValidator for PluginValidator {
    fn name(&self) -> &str {
        &self.label
    }

    fn validate(
        &self,
        batch: &RecordBatch,
        first_row: u64,
    ) -> Result<Vec<Violation>, GenerateError> {
        self.validate_batch(batch, first_row)
            .map_err(GenerateError::from)
    }
}
