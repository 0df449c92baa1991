//! Nulls and declared defaults laid over any column.
//!
//! Values are drawn for every row first (so a row's value never depends on whether another
//! row was null), then each row flips its own coins on the Nulls and Defaults streams: a null
//! row is null, else a default row holds `default_value`.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array,
    Int64Array, Scalar, StringArray, make_array,
};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use serde_json::Value;

use crate::generate::column::{ChunkRequest, ColumnGenerator, GenContext};
use crate::generate::error::GenerateError;
use crate::generate::rng::Purpose;
use crate::schema::{DataType, Field};

use super::columns::values_rng;

pub struct Masked {
    inner: Arc<dyn ColumnGenerator>,
    null_ratio: f64,
    /// The default as a one-element array, and the share of rows that take it.
    default: Option<(ArrayRef, f64)>,
    path: String,
    ctx: GenContext,
}

impl Masked {
    /// Wraps `inner` when the field has nulls or defaults; returns it unchanged otherwise.
    pub fn wrap(
        inner: Arc<dyn ColumnGenerator>,
        field: &Field,
        path: &str,
        ctx: &GenContext,
    ) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
        let null_ratio = field.effective_null_ratio();
        let default = match &field.default_value {
            Some(v) if field.effective_default_ratio() > 0.0 => {
                Some((literal_array(field, v)?, field.effective_default_ratio()))
            }
            _ => None,
        };
        if null_ratio <= 0.0 && default.is_none() {
            return Ok(inner);
        }
        Ok(Arc::new(Masked {
            inner,
            null_ratio,
            default,
            path: path.to_string(),
            ctx: ctx.clone(),
        }))
    }
}

impl ColumnGenerator for Masked {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut values = self.inner.generate(req)?;
        let mut valid: Option<Vec<bool>> = None;
        if self.null_ratio > 0.0 {
            let mut rng = values_rng(&self.ctx, &self.path, Purpose::Nulls, req);
            valid = Some(
                (0..req.rows)
                    .map(|_| rng.unit() >= self.null_ratio)
                    .collect(),
            );
        }
        if let Some((default, ratio)) = &self.default {
            let mut rng = values_rng(&self.ctx, &self.path, Purpose::Defaults, req);
            let mask = BooleanArray::from_iter((0..req.rows).map(|_| Some(rng.unit() < *ratio)));
            values = arrow_select::zip::zip(&mask, &Scalar::new(default.clone()), &values)
                .map_err(|e| {
                    GenerateError::field(&self.path, format!("applying default_value: {e}"))
                })?;
        }
        if let Some(valid) = valid {
            let nulls = NullBuffer::new(BooleanBuffer::from(valid));
            let data = values
                .to_data()
                .into_builder()
                .nulls(Some(nulls))
                .build()
                .map_err(|e| GenerateError::field(&self.path, format!("applying nulls: {e}")))?;
            values = make_array(data);
        }
        Ok(values)
    }
}

/// `v` as a one-element array of the field's type.
fn literal_array(field: &Field, v: &Value) -> Result<ArrayRef, GenerateError> {
    let wrong = || {
        GenerateError::field(
            &field.name,
            format!("default_value {v} is not a {} value", field.data_type),
        )
    };
    let int = || v.as_i64().ok_or_else(wrong);
    let float = || v.as_f64().ok_or_else(wrong);
    Ok(match field.data_type {
        DataType::Bool => Arc::new(BooleanArray::from(vec![v.as_bool().ok_or_else(wrong)?])),
        DataType::Int8 => Arc::new(Int8Array::from(vec![
            i8::try_from(int()?).map_err(|_| wrong())?,
        ])),
        DataType::Int16 => Arc::new(Int16Array::from(vec![
            i16::try_from(int()?).map_err(|_| wrong())?,
        ])),
        DataType::Int32 => Arc::new(Int32Array::from(vec![
            i32::try_from(int()?).map_err(|_| wrong())?,
        ])),
        DataType::Int64 => Arc::new(Int64Array::from(vec![int()?])),
        DataType::Float => Arc::new(Float32Array::from(vec![float()? as f32])),
        DataType::Double => Arc::new(Float64Array::from(vec![float()?])),
        DataType::VarChar => Arc::new(StringArray::from(vec![v.as_str().ok_or_else(wrong)?])),
        t => {
            return Err(GenerateError::field(
                &field.name,
                format!("{t} fields cannot have a default value"),
            ));
        }
    })
}
