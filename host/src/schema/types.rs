//! Milvus data types as they appear in schema files.
//!
//! Names are matched case-insensitively and a few aliases used by the predecessor tool and by
//! pymilvus are accepted (`String` for `VarChar`), so schemas written for either keep working.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every field type a schema may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    #[default]
    VarChar,
    Json,
    Array,
    FloatVector,
    BinaryVector,
    Float16Vector,
    BFloat16Vector,
    SparseFloatVector,
    Int8Vector,
}

impl DataType {
    pub const ALL: [DataType; 16] = [
        DataType::Bool,
        DataType::Int8,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::Float,
        DataType::Double,
        DataType::VarChar,
        DataType::Json,
        DataType::Array,
        DataType::FloatVector,
        DataType::BinaryVector,
        DataType::Float16Vector,
        DataType::BFloat16Vector,
        DataType::SparseFloatVector,
        DataType::Int8Vector,
    ];

    /// Element types Milvus allows inside an `Array` field.
    pub const ARRAY_ELEMENTS: [DataType; 8] = [
        DataType::Bool,
        DataType::Int8,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::Float,
        DataType::Double,
        DataType::VarChar,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DataType::Bool => "Bool",
            DataType::Int8 => "Int8",
            DataType::Int16 => "Int16",
            DataType::Int32 => "Int32",
            DataType::Int64 => "Int64",
            DataType::Float => "Float",
            DataType::Double => "Double",
            DataType::VarChar => "VarChar",
            DataType::Json => "JSON",
            DataType::Array => "Array",
            DataType::FloatVector => "FloatVector",
            DataType::BinaryVector => "BinaryVector",
            DataType::Float16Vector => "Float16Vector",
            DataType::BFloat16Vector => "BFloat16Vector",
            DataType::SparseFloatVector => "SparseFloatVector",
            DataType::Int8Vector => "Int8Vector",
        }
    }

    pub fn is_vector(self) -> bool {
        matches!(
            self,
            DataType::FloatVector
                | DataType::BinaryVector
                | DataType::Float16Vector
                | DataType::BFloat16Vector
                | DataType::SparseFloatVector
                | DataType::Int8Vector
        )
    }

    /// Vector types stored densely with a fixed dimension.
    pub fn is_dense_vector(self) -> bool {
        self.is_vector() && self != DataType::SparseFloatVector
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
        )
    }

    pub fn is_float(self) -> bool {
        matches!(self, DataType::Float | DataType::Double)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float()
    }

    pub fn is_scalar(self) -> bool {
        !self.is_vector() && !matches!(self, DataType::Json | DataType::Array)
    }

    /// The inclusive range an integer type can hold.
    pub fn integer_range(self) -> Option<(i64, i64)> {
        match self {
            DataType::Int8 => Some((i8::MIN as i64, i8::MAX as i64)),
            DataType::Int16 => Some((i16::MIN as i64, i16::MAX as i64)),
            DataType::Int32 => Some((i32::MIN as i64, i32::MAX as i64)),
            DataType::Int64 => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a type name that is not one of [`DataType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownType(pub String);

impl fmt::Display for UnknownType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = DataType::ALL.iter().map(|t| t.name()).collect();
        write!(
            f,
            "unknown type `{}`; expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl FromStr for DataType {
    type Err = UnknownType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let found = match lower.as_str() {
            "string" | "varchar" => DataType::VarChar,
            "boolean" => DataType::Bool,
            "float32" => DataType::Float,
            "float64" => DataType::Double,
            _ => *DataType::ALL
                .iter()
                .find(|t| t.name().eq_ignore_ascii_case(&lower))
                .ok_or_else(|| UnknownType(s.to_string()))?,
        };
        Ok(found)
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for t in DataType::ALL {
            assert_eq!(t.name().parse::<DataType>().unwrap(), t);
        }
        assert_eq!("String".parse::<DataType>().unwrap(), DataType::VarChar);
        assert_eq!("json".parse::<DataType>().unwrap(), DataType::Json);
        let err = "Strnig".parse::<DataType>().unwrap_err().to_string();
        assert!(err.contains("Strnig") && err.contains("VarChar"), "{err}");
    }
}
