//! Source documents as an ordered JSON tree.
//!
//! serde_json's `Map` sorts keys (its order-keeping feature would change every other plugin in
//! this workspace, since features unify), but `metadata` must list the keys of nested objects
//! such as `extend` in the document's own order, as Python's dict does. So documents are read
//! into this small tree, which keeps object keys in input order.

use std::fmt;

use milvus_ingest_sdk::serde_json::{self, Number};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Arr(Vec<J>),
    /// A non-empty list whose every item is a float (a vector, typically): kept as plain
    /// numbers, which a 1024-item list of `Num`s would cost ten times as much to build, read
    /// and drop. Items are finite. Behaves as `Arr` of float `Num`s everywhere.
    F64s(Vec<f64>),
    Obj(Vec<(String, J)>),
}

impl J {
    /// Parses one document's text.
    pub fn parse(text: &str) -> Result<J, String> {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))
    }

    /// The value at `key` of an object (the last one when a key repeats, as Python's dict).
    pub fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at `key`, with an explicit null read as absent.
    pub fn field(&self, key: &str) -> Option<&J> {
        self.get(key).filter(|v| !v.is_null())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, J::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of an `Arr` (`None` for `F64s`: read those with a match).
    pub fn as_array(&self) -> Option<&[J]> {
        match self {
            J::Arr(v) => Some(v),
            _ => None,
        }
    }

    /// Python truthiness: null, false, 0, "", [] and {} are false.
    pub fn truthy(&self) -> bool {
        match self {
            J::Null => false,
            J::Bool(b) => *b,
            J::Num(n) => n.as_f64().is_some_and(|x| x != 0.0),
            J::Str(s) => !s.is_empty(),
            J::Arr(v) => !v.is_empty(),
            J::F64s(_) => true,
            J::Obj(m) => !m.is_empty(),
        }
    }

    /// A one-key object `{"$name": value}` (an Extended JSON wrapper), as (name, value).
    pub fn wrapper(&self) -> Option<(&str, &J)> {
        match self {
            J::Obj(m) if m.len() == 1 && m[0].0.starts_with('$') => Some((&m[0].0, &m[0].1)),
            _ => None,
        }
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_none<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<J, E> {
        Ok(J::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<J, E> {
        Ok(J::Num(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<J, E> {
        Number::from_f64(v)
            .map(J::Num)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<J, E> {
        Ok(J::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<J, E> {
        Ok(J::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        // Floats stay plain while every item so far is one; the first other item turns the
        // list into `Arr`.
        let mut floats: Vec<f64> = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            match seq.next_element::<Item>()? {
                None if floats.is_empty() => return Ok(J::Arr(Vec::new())),
                None => return Ok(J::F64s(floats)),
                Some(Item::Float(x)) => floats.push(x),
                Some(Item::Other(v)) => {
                    let mut out: Vec<J> = floats.drain(..).map(float).collect();
                    out.push(v);
                    while let Some(v) = seq.next_element()? {
                        out.push(v);
                    }
                    return Ok(J::Arr(out));
                }
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, J>()? {
            out.push((k, v));
        }
        Ok(J::Obj(out))
    }
}

/// A finite float as a `Num`.
fn float(x: f64) -> J {
    J::Num(Number::from_f64(x).expect("floats in F64s are finite"))
}

/// One list item: a float, or any other value.
enum Item {
    Float(f64),
    Other(J),
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Item, E> {
                if v.is_finite() {
                    Ok(Item::Float(v))
                } else {
                    Err(E::custom("non-finite number"))
                }
            }
            fn visit_unit<E>(self) -> Result<Item, E> {
                Ok(Item::Other(J::Null))
            }
            fn visit_none<E>(self) -> Result<Item, E> {
                Ok(Item::Other(J::Null))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Item, E> {
                Ok(Item::Other(J::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Item, E> {
                Ok(Item::Other(J::Num(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Item, E> {
                Ok(Item::Other(J::Num(v.into())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Item, E> {
                Ok(Item::Other(J::Str(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Item, E> {
                Ok(Item::Other(J::Str(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
                JVisitor.visit_seq(seq).map(Item::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
                JVisitor.visit_map(map).map(Item::Other)
            }
        }
        d.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_number_kinds() {
        let j = J::parse(r#"{"b": 1, "a": [1.0, "x", null], "c": {"z": true, "y": {}}}"#).unwrap();
        let J::Obj(m) = &j else { panic!() };
        let keys: Vec<_> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert!(matches!(j.get("b"), Some(J::Num(n)) if n.is_i64()));
        assert!(matches!(&j.get("a").unwrap().as_array().unwrap()[0], J::Num(n) if n.is_f64()));
        assert_eq!(J::parse("[1.5, 2.0]").unwrap(), J::F64s(vec![1.5, 2.0]));
        assert_eq!(
            J::parse("[1.5, 2]").unwrap(),
            J::Arr(vec![
                J::Num(Number::from_f64(1.5).unwrap()),
                J::Num(2.into())
            ])
        );
        assert_eq!(J::parse("[]").unwrap(), J::Arr(vec![]));
        assert!(!j.get("c").unwrap().get("y").unwrap().truthy());
    }
}
