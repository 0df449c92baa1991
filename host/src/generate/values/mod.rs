//! Native value generators. (Stand-in until the full generators land: Int64, VarChar and
//! FloatVector only.)

use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int64Array, ListArray, StringArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType as ArrowType, Field as ArrowField};
use rand::Rng;

use super::column::{ChunkRequest, ColumnGenerator, GenContext, chunk_rng};
use super::error::GenerateError;
use super::rng::Purpose;
use crate::schema::{DataType, Field};

struct Simple {
    field: Field,
    path: String,
    ctx: GenContext,
}

impl ColumnGenerator for Simple {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = chunk_rng(&self.ctx, &self.path, Purpose::Values, req);
        Ok(match self.field.data_type {
            DataType::Int64 => Arc::new(Int64Array::from_iter_values(
                (0..req.rows as u64).map(|i| (req.first_row + i) as i64),
            )),
            DataType::VarChar => Arc::new(StringArray::from_iter_values(
                (0..req.rows).map(|_| format!("v{}", rng.random::<u32>())),
            )),
            DataType::FloatVector => {
                let dim = self.field.dim.unwrap_or(8) as usize;
                let values: Vec<f32> = (0..req.rows * dim).map(|_| rng.random::<f32>()).collect();
                Arc::new(ListArray::new(
                    Arc::new(ArrowField::new("item", ArrowType::Float32, true)),
                    OffsetBuffer::from_lengths(std::iter::repeat_n(dim, req.rows)),
                    Arc::new(Float32Array::from(values)),
                    None,
                ))
            }
            t => {
                return Err(GenerateError::field(
                    &self.field.name,
                    format!("{t} not yet supported"),
                ));
            }
        })
    }
}

pub fn build_column(
    field: &Field,
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    Ok(Arc::new(Simple {
        field: field.clone(),
        path: path.to_string(),
        ctx: ctx.clone(),
    }))
}

pub fn build_object(
    _fields: &[Field],
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    Ok(Arc::new(Simple {
        field: Field::new(path, DataType::VarChar),
        path: path.to_string(),
        ctx: ctx.clone(),
    }))
}
