//! Validators: the trait a plugin implements and the macro that exports it.

use crate::field::FieldSpec;
use crate::types::{Column, PluginInfo};

/// A column handed to a validator, with its field spec.
#[derive(Debug, Clone)]
pub struct NamedColumn {
    pub name: String,
    pub field: FieldSpec,
    pub column: Column,
}

#[derive(Debug, Clone)]
pub struct ValidateRequest {
    pub validator: String,
    pub params: serde_json::Value,
    /// Dataset index of the first row of every column.
    pub first_row: u64,
    pub columns: Vec<NamedColumn>,
}

/// One rule a row broke.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dataset row index.
    pub row: u64,
    pub field: String,
    pub message: String,
}

impl ValidateRequest {
    #[doc(hidden)]
    pub fn from_wire(
        validator: String,
        params: &str,
        first_row: u64,
        columns: Vec<(String, String, Column)>,
    ) -> Result<ValidateRequest, String> {
        let params = if params.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(params).map_err(|e| format!("params: {e}"))?
        };
        let columns = columns
            .into_iter()
            .map(|(name, field, column)| {
                Ok(NamedColumn {
                    name,
                    field: FieldSpec::parse(&field)?,
                    column,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(ValidateRequest {
            validator,
            params,
            first_row,
            columns,
        })
    }
}

/// A validator plugin. Implement it on a unit struct and call [`crate::export_validator!`].
pub trait Validator {
    fn info() -> PluginInfo;
    /// Violations in the batch; `Err` only when the validator cannot run at all.
    fn validate(req: ValidateRequest) -> Result<Vec<Violation>, String>;
}

/// Exports a [`Validator`] implementation as the component's `validator` world.
#[macro_export]
macro_rules! export_validator {
    ($ty:ty) => {
        #[doc(hidden)]
        #[cfg(target_arch = "wasm32")]
        #[allow(clippy::all, unused)]
        mod __milvus_ingest_export {
            use super::*;
            $crate::__milvus_ingest_bindings!(validator);
            $crate::__milvus_ingest_convert!();
            use exports::milvus_ingest::plugin::batch_validation as api;

            struct Glue;
            impl api::Guest for Glue {
                fn describe() -> wt::PluginInfo {
                    info_out(<$ty as $crate::Validator>::info())
                }
                fn validate(r: api::ValidateRequest) -> Result<Vec<api::Violation>, String> {
                    let columns = r
                        .columns
                        .into_iter()
                        .map(|c| (c.name, c.field, column_in(c.column)))
                        .collect();
                    let req = $crate::ValidateRequest::from_wire(
                        r.validator,
                        &r.params,
                        r.first_row,
                        columns,
                    )?;
                    let found = <$ty as $crate::Validator>::validate(req)?;
                    Ok(found
                        .into_iter()
                        .map(|v| api::Violation {
                            row: v.row,
                            field: v.field,
                            message: v.message,
                        })
                        .collect())
                }
            }
            export!(Glue);
        }
    };
}
