//! Which rows are null and which take the declared default, drawn from their own streams so the
//! mask never shifts the values (and changing `null_ratio` never reshuffles the other rows' mask).

use rand::Rng;

use super::scalar::Scalar;
use crate::generate::rng::Purpose;
use crate::generate::{ChunkRequest, GenContext, GenerateError, chunk_rng};
use crate::schema::{DataType, Field};

/// What a row holds before any value is drawn for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Null,
    Default,
    Drawn,
}

/// A field's null and default settings.
#[derive(Debug, Clone)]
pub(crate) struct Masks {
    null_ratio: f64,
    default_ratio: f64,
    default: Option<Scalar>,
}

impl Masks {
    pub(crate) fn new(field: &Field, name: &str, t: DataType) -> Result<Masks, GenerateError> {
        let default = match &field.default_value {
            Some(v) => Some(Scalar::from_literal(t, v).ok_or_else(|| {
                GenerateError::field(name, format!("default_value {v} is not a {t} value"))
            })?),
            None => None,
        };
        Ok(Masks {
            null_ratio: field.effective_null_ratio(),
            default_ratio: if default.is_some() {
                field.effective_default_ratio()
            } else {
                0.0
            },
            default,
        })
    }

    /// No nulls, no defaults: for values that are neither (array elements, keys).
    pub(crate) fn none() -> Masks {
        Masks {
            null_ratio: 0.0,
            default_ratio: 0.0,
            default: None,
        }
    }

    pub(crate) fn default_value(&self) -> Option<&Scalar> {
        self.default.as_ref()
    }

    /// One slot per row of `req`. A null wins over a default: Milvus would store the default
    /// for a null anyway, and a null row is what the user asked to see.
    pub(crate) fn slots(&self, ctx: &GenContext, path: &str, req: &ChunkRequest) -> Vec<Slot> {
        let mut slots = vec![Slot::Drawn; req.rows];
        if self.default_ratio > 0.0 {
            let mut rng = chunk_rng(ctx, path, Purpose::Defaults, req);
            for s in slots.iter_mut() {
                if rng.random::<f64>() < self.default_ratio {
                    *s = Slot::Default;
                }
            }
        }
        if self.null_ratio > 0.0 {
            let mut rng = chunk_rng(ctx, path, Purpose::Nulls, req);
            for s in slots.iter_mut() {
                if rng.random::<f64>() < self.null_ratio {
                    *s = Slot::Null;
                }
            }
        }
        slots
    }
}
