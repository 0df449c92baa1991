//! The one value type every scalar sampler draws, so enum lists, value pools, null and default
//! handling, arrays and JSON keys work the same for every element type.

use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::schema::DataType;

/// One drawn value. Integers of every width travel as `i64` and floats as `f64`; the column
/// builder narrows them to the field's Arrow type (samplers never draw outside that type).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// A schema literal (`default_value`, `enum_values`) as a value of type `t`. Validation has
    /// already checked that it fits, so `None` means the schema was not validated.
    pub(crate) fn from_literal(t: DataType, v: &Value) -> Option<Scalar> {
        match t {
            DataType::Bool => v.as_bool().map(Scalar::Bool),
            t if t.is_integer() => v.as_i64().map(Scalar::Int),
            t if t.is_float() => v.as_f64().map(Scalar::Float),
            DataType::VarChar => v.as_str().map(|s| Scalar::Str(s.to_string())),
            _ => None,
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        match self {
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Int(i) => Value::from(*i),
            Scalar::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Scalar::Str(s) => Value::String(s.clone()),
        }
    }
}

/// Draws one value per call from the row's stream. Each row takes its draws in order, so the
/// first rows of a chunk never depend on how many rows were asked for.
pub(crate) trait ScalarSource: Send + Sync {
    fn draw(&self, rng: &mut ChaCha8Rng) -> Scalar;
}
