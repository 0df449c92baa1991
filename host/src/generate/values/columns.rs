//! Scalar and Array columns: a [`ScalarGen`] drawn row by row into one chunk.

use std::sync::Arc;

use arrow_array::{ArrayRef, ListArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::Field as ArrowField;

use crate::format::arrow_types::arrow_type;
use crate::generate::column::{ChunkRequest, ColumnGenerator, GenContext, chunk_rng};
use crate::generate::error::GenerateError;
use crate::generate::rng::Purpose;
use crate::schema::{DataType, Field};

use super::fastrng::FastRng;
use super::scalar::ScalarGen;

/// The fast generator of a chunk's values, seeded from the chunk's ChaCha stream.
pub fn values_rng(ctx: &GenContext, path: &str, purpose: Purpose, req: &ChunkRequest) -> FastRng {
    FastRng::from_rng(&mut chunk_rng(ctx, path, purpose, req))
}

/// A Bool, integer, float or VarChar column.
pub struct ScalarColumn {
    values: ScalarGen,
    value_type: DataType,
    path: String,
    ctx: GenContext,
}

impl ScalarColumn {
    pub fn new(field: &Field, path: &str, ctx: &GenContext) -> Result<ScalarColumn, GenerateError> {
        Ok(ScalarColumn {
            values: ScalarGen::new(field, field.data_type, path, ctx)?,
            value_type: field.data_type,
            path: path.to_string(),
            ctx: ctx.clone(),
        })
    }
}

impl ColumnGenerator for ScalarColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = values_rng(&self.ctx, &self.path, Purpose::Values, req);
        let mut buf = self.values.new_buf(req.rows);
        for _ in 0..req.rows {
            self.values.append(&mut rng, &mut buf);
        }
        Ok(buf.finish(self.value_type))
    }
}

/// An Array column: a length in `[min_capacity, max_capacity]`, then that many elements, per row.
pub struct ArrayColumn {
    elements: ScalarGen,
    element_type: DataType,
    item: Arc<ArrowField>,
    min: u64,
    max: u64,
    path: String,
    ctx: GenContext,
}

impl ArrayColumn {
    pub fn new(field: &Field, path: &str, ctx: &GenContext) -> Result<ArrayColumn, GenerateError> {
        let element_type = field.value_type();
        let max = u64::from(field.max_capacity.unwrap_or(4));
        let min = u64::from(field.min_capacity.unwrap_or(1)).min(max);
        let item = match arrow_type(field) {
            arrow_schema::DataType::List(item) => item,
            other => {
                return Err(GenerateError::field(
                    &field.name,
                    format!("an Array field should map to a list, not {other}"),
                ));
            }
        };
        Ok(ArrayColumn {
            elements: ScalarGen::new(field, element_type, path, ctx)?,
            element_type,
            item,
            min,
            max,
            path: path.to_string(),
            ctx: ctx.clone(),
        })
    }
}

impl ColumnGenerator for ArrayColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = values_rng(&self.ctx, &self.path, Purpose::Values, req);
        let mut offsets = Vec::with_capacity(req.rows + 1);
        offsets.push(0i32);
        let mean = ((self.min + self.max) / 2) as usize;
        let mut buf = self.elements.new_buf(req.rows * mean.max(1));
        let mut total = 0i32;
        for _ in 0..req.rows {
            let len = self.min + rng.below(self.max - self.min + 1);
            for _ in 0..len {
                self.elements.append(&mut rng, &mut buf);
            }
            total += len as i32;
            offsets.push(total);
        }
        let values = buf.finish(self.element_type);
        let list = ListArray::try_new(
            self.item.clone(),
            OffsetBuffer::new(offsets.into()),
            values,
            None,
        )
        .map_err(|e| GenerateError::field(&self.path, format!("building the array column: {e}")))?;
        Ok(Arc::new(list))
    }
}
