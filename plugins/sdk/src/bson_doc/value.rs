//! One BSON value as a serde `Deserializer`: the common types are visited directly, the rare
//! ones through their Extended JSON wrapper objects ([`super::synth`]).

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer};
use serde::de::{self, Visitor};
use serde::forward_to_deserialize_any;

use super::access::{ArraySeq, DocMap};
use super::*;

/// One value: its type and the byte span `start..end` of `buf` (the whole document, so errors
/// name offsets from its start). Spans are checked by [`value_end`] before a `Value` exists.
#[derive(Clone, Copy)]
pub(super) struct Value<'a> {
    pub(super) buf: &'a [u8],
    pub(super) tag: u8,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl<'a> Value<'a> {
    #[inline]
    pub(super) fn array<const N: usize>(&self, at: usize) -> Result<[u8; N], Error> {
        match self.buf[..self.end].get(at..at + N) {
            Some(b) => Ok(b.try_into().unwrap_or([0; N])),
            None => Err(Error::at(
                at,
                format!("{N} bytes run past the end of the value"),
            )),
        }
    }

    pub(super) fn utf8(&self, at: usize, bytes: &'a [u8]) -> Result<&'a str, Error> {
        std::str::from_utf8(bytes).map_err(|e| Error::at(at + e.valid_up_to(), "invalid UTF-8"))
    }

    /// The int32-length-prefixed, NUL-terminated string at `at`.
    pub(super) fn lstring(&self, at: usize) -> Result<&'a str, Error> {
        let len = i32::from_le_bytes(self.array(at)?);
        let end = (at + 4).saturating_add(len.max(0) as usize);
        if len < 1 || end > self.end || self.buf[end - 1] != 0 {
            return Err(Error::at(
                at,
                format!("string of length {len} is not framed"),
            ));
        }
        self.utf8(at + 4, &self.buf[at + 4..end - 1])
    }

    /// The NUL-terminated string at `at` and the position after its NUL.
    pub(super) fn cstring(&self, at: usize) -> Result<(&'a str, usize), Error> {
        let bytes = self.buf.get(at..self.end).unwrap_or_default();
        match bytes.iter().position(|&b| b == 0) {
            Some(n) => Ok((self.utf8(at, &bytes[..n])?, at + n + 1)),
            None => Err(Error::at(at, "string without a terminating NUL")),
        }
    }
}

impl<'a> de::Deserializer<'a> for Value<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let at = self.start;
        match self.tag {
            TAG_DOUBLE => {
                let x = f64::from_le_bytes(self.array(at)?);
                if x.is_finite() {
                    visitor.visit_f64(x)
                } else {
                    self.synth()?.deserialize_any(visitor)
                }
            }
            TAG_STRING => visitor.visit_borrowed_str(self.lstring(at)?),
            TAG_DOCUMENT => visitor.visit_map(DocMap::of_document(self)?),
            TAG_ARRAY => visitor.visit_seq(ArraySeq::new(self)),
            TAG_BOOL => match self.buf[at] {
                0 => visitor.visit_bool(false),
                1 => visitor.visit_bool(true),
                b => Err(Error::at(
                    at,
                    format!("boolean byte {b:#04x} is neither 0 nor 1"),
                )),
            },
            TAG_NULL => visitor.visit_unit(),
            TAG_INT32 => visitor.visit_i32(i32::from_le_bytes(self.array(at)?)),
            TAG_INT64 => visitor.visit_i64(i64::from_le_bytes(self.array(at)?)),
            _ => self.synth()?.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.tag == TAG_NULL {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        // The span is already known: skipping costs nothing.
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // As serde_json reads enums: a string names a unit variant, a one-key object any other.
        match self.tag {
            TAG_STRING => {
                visitor.visit_enum(BorrowedStrDeserializer::new(self.lstring(self.start)?))
            }
            TAG_DOCUMENT => {
                visitor.visit_enum(MapAccessDeserializer::new(DocMap::of_document(self)?))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}
