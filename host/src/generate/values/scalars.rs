//! Columns of Bool, integers, floats and VarChar: a sampler chosen from the field's settings,
//! wrapped in its null and default masks.

use arrow_array::ArrayRef;
use serde_json::Value;

use super::build::scalar_array;
use super::json::JsonSource;
use super::masks::{Masks, Slot};
use super::numbers::{BoolSource, FloatSource, IntSource};
use super::pool::{EnumSource, PoolSource};
use super::scalar::{Scalar, ScalarSource};
use super::strings::StringSource;
use crate::generate::rng::Purpose;
use crate::generate::{ChunkRequest, ColumnGenerator, GenContext, GenerateError, chunk_rng};
use crate::schema::{DataType, Distribution, Field};

/// The sampler for one value of type `t` (the field's own type, or its element type).
/// `path` keys value pools; `name` drives guesses from the field's (or key's) name.
pub(crate) fn scalar_source(
    ctx: &GenContext,
    field: &Field,
    path: &str,
    name: &str,
    t: DataType,
) -> Result<Box<dyn ScalarSource>, GenerateError> {
    if let Some(values) = &field.enum_values {
        return Ok(Box::new(EnumSource::new(field, name, t, values)?));
    }
    let pooled = field.cardinality_ratio.filter(|r| *r < 1.0);
    // With a pool, zipf skews which pool entries are popular, not the entries themselves.
    let mut base_field;
    let base_spec =
        if pooled.is_some() && matches!(field.distribution, Some(Distribution::Zipf { .. })) {
            base_field = field.clone();
            base_field.distribution = None;
            &base_field
        } else {
            field
        };
    let base: Box<dyn ScalarSource> = match t {
        DataType::Bool => Box::new(BoolSource),
        t if t.is_integer() => Box::new(IntSource::new(base_spec, name, t)?),
        t if t.is_float() => Box::new(FloatSource::new(base_spec, name)?),
        DataType::VarChar => Box::new(StringSource::new(base_spec, name)?),
        t => {
            return Err(GenerateError::field(
                name,
                format!("{t} is not a scalar type"),
            ));
        }
    };
    match pooled {
        Some(ratio) => Ok(Box::new(PoolSource::new(ctx, field, path, ratio, base)?)),
        None => Ok(base),
    }
}

/// A column of one scalar type.
pub(crate) struct ScalarColumn {
    ctx: GenContext,
    path: String,
    t: DataType,
    source: Box<dyn ScalarSource>,
    masks: Masks,
}

impl ScalarColumn {
    pub(crate) fn new(
        ctx: &GenContext,
        field: &Field,
        path: &str,
        name: &str,
    ) -> Result<ScalarColumn, GenerateError> {
        let t = field.data_type;
        Ok(ScalarColumn {
            ctx: ctx.clone(),
            path: path.to_string(),
            t,
            source: scalar_source(ctx, field, path, name, t)?,
            masks: Masks::new(field, name, t)?,
        })
    }

    /// The chunk's values; `None` is a null.
    pub(crate) fn values(&self, req: &ChunkRequest) -> Vec<Option<Scalar>> {
        let slots = self.masks.slots(&self.ctx, &self.path, req);
        let mut rng = chunk_rng(&self.ctx, &self.path, Purpose::Values, req);
        slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Null => None,
                Slot::Default => self.masks.default_value().cloned(),
                Slot::Drawn => Some(self.source.draw(&mut rng)),
            })
            .collect()
    }
}

impl ColumnGenerator for ScalarColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        Ok(scalar_array(self.t, &self.values(req)))
    }
}

impl JsonSource for ScalarColumn {
    fn json_chunk(&self, req: &ChunkRequest) -> Result<Vec<Value>, GenerateError> {
        Ok(self
            .values(req)
            .into_iter()
            .map(|v| v.map_or(Value::Null, |s| s.to_json()))
            .collect())
    }
}
