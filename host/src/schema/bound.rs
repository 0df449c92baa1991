//! Numeric bounds (`min`, `max`) exactly as written.
//!
//! An f64 holds integers exactly only up to 2^53, so `min: 9223372036854775800` read as a
//! float would become 2^63 and an Int64 range near the limits would collapse to one value.
//! A bound keeps the integer it was written as next to its float value.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `min`/`max` value: an integer when written as one (all 64 bits kept), else a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    value: f64,
    int: Option<i64>,
}

impl Bound {
    /// The value as a float (rounded for integers beyond 2^53).
    pub fn as_f64(self) -> f64 {
        self.value
    }

    /// The exact integer: as written, or a whole float inside the i64 range; `None` for a
    /// fraction or a value outside i64.
    pub fn as_i64(self) -> Option<i64> {
        const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
        self.int.or_else(|| {
            (self.value.fract() == 0.0 && (-LIMIT..LIMIT).contains(&self.value))
                .then_some(self.value as i64)
        })
    }
}

impl From<f64> for Bound {
    fn from(value: f64) -> Bound {
        Bound { value, int: None }
    }
}

impl From<i64> for Bound {
    fn from(v: i64) -> Bound {
        Bound {
            value: v as f64,
            int: Some(v),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.int {
            Some(i) => write!(f, "{i}"),
            // 1e308 as 1e308, not as 309 digits.
            None if self.value != 0.0 && !(1e-5..1e16).contains(&self.value.abs()) => {
                write!(f, "{:e}", self.value)
            }
            None => write!(f, "{}", self.value),
        }
    }
}

impl Serialize for Bound {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.int {
            Some(i) => s.serialize_i64(i),
            None => s.serialize_f64(self.value),
        }
    }
}

impl<'de> Deserialize<'de> for Bound {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bound, D::Error> {
        struct Number;
        impl Visitor<'_> for Number {
            type Value = Bound;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bound, E> {
                Ok(Bound::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bound, E> {
                Ok(match i64::try_from(v) {
                    Ok(i) => Bound::from(i),
                    Err(_) => Bound::from(v as f64),
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bound, E> {
                Ok(Bound::from(v))
            }
        }
        d.deserialize_any(Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_keep_every_bit() {
        let b: Bound = serde_json::from_str("9223372036854775800").unwrap();
        assert_eq!(b.as_i64(), Some(9_223_372_036_854_775_800));
        assert_eq!(serde_json::to_string(&b).unwrap(), "9223372036854775800");
        let f: Bound = serde_json::from_str("-1e308").unwrap();
        assert_eq!((f.as_f64(), f.as_i64()), (-1e308, None));
        let u: Bound = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(u.as_i64(), None);
        assert_eq!(Bound::from(2.0).as_i64(), Some(2));
        assert_eq!(Bound::from(2.5).as_i64(), None);
    }
}
