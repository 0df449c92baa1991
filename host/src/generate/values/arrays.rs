//! `Array<T>` columns: a length between `min_capacity` (default 1) and `max_capacity` per row,
//! then that many elements drawn with every value control of the field (range, kind, enum, pool).

use arrow_array::ArrayRef;
use arrow_schema::DataType as ArrowType;
use rand::Rng;
use serde_json::Value;

use super::build::{list_array, scalar_array};
use super::json::JsonSource;
use super::masks::{Masks, Slot};
use super::scalar::{Scalar, ScalarSource};
use super::scalars::scalar_source;
use crate::format::arrow_type;
use crate::generate::rng::Purpose;
use crate::generate::{ChunkRequest, ColumnGenerator, GenContext, GenerateError, chunk_rng};
use crate::schema::{DataType, Field, MAX_ARRAY_CAPACITY};

pub(crate) struct ArrayColumn {
    ctx: GenContext,
    path: String,
    name: String,
    element_type: DataType,
    min_len: usize,
    max_len: usize,
    element: Box<dyn ScalarSource>,
    masks: Masks,
    list_type: ArrowType,
}

impl ArrayColumn {
    pub(crate) fn new(
        ctx: &GenContext,
        field: &Field,
        path: &str,
        name: &str,
    ) -> Result<ArrayColumn, GenerateError> {
        let element_type = field.value_type();
        let max_len = field.max_capacity.unwrap_or(MAX_ARRAY_CAPACITY.min(16)) as usize;
        let min_len = (field.min_capacity.unwrap_or(1) as usize).min(max_len);
        Ok(ArrayColumn {
            ctx: ctx.clone(),
            path: path.to_string(),
            name: name.to_string(),
            element_type,
            min_len,
            max_len,
            element: scalar_source(ctx, field, path, name, element_type)?,
            // Arrays cannot have defaults (validation), only nulls.
            masks: Masks::new(field, name, element_type)?,
            list_type: arrow_type(field),
        })
    }

    /// The chunk's arrays; `None` is a null row.
    pub(crate) fn values(&self, req: &ChunkRequest) -> Vec<Option<Vec<Scalar>>> {
        let slots = self.masks.slots(&self.ctx, &self.path, req);
        let mut rng = chunk_rng(&self.ctx, &self.path, Purpose::Values, req);
        slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Null => None,
                Slot::Default | Slot::Drawn => {
                    let n = rng.random_range(self.min_len..=self.max_len);
                    Some((0..n).map(|_| self.element.draw(&mut rng)).collect())
                }
            })
            .collect()
    }
}

impl ColumnGenerator for ArrayColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let rows = self.values(req);
        let lengths: Vec<Option<usize>> = rows.iter().map(|r| r.as_ref().map(Vec::len)).collect();
        let flat: Vec<Option<Scalar>> = rows.into_iter().flatten().flatten().map(Some).collect();
        let child = scalar_array(self.element_type, &flat);
        list_array(&self.list_type, &lengths, child, &self.name)
    }
}

impl JsonSource for ArrayColumn {
    fn json_chunk(&self, req: &ChunkRequest) -> Result<Vec<Value>, GenerateError> {
        Ok(self
            .values(req)
            .into_iter()
            .map(|row| match row {
                None => Value::Null,
                Some(items) => Value::Array(items.iter().map(Scalar::to_json).collect()),
            })
            .collect())
    }
}
