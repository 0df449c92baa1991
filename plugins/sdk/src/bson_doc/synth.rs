//! The Extended JSON wrapper objects (`{"$oid": ..}`, `{"$date": ..}`, ..) built for the rare
//! BSON types, and their deserializer. These types are uncommon in sync sources, so small
//! allocations here are fine; the common types never come through this file.

use serde::de::{self, Visitor};
use serde::forward_to_deserialize_any;

use super::access::Pairs;
use super::text;
use super::*;

/// A value of a wrapper object.
pub(super) enum Synth<'a> {
    /// Text borrowed from the document (or static).
    Str(&'a str),
    /// Text made here (hex, base64, dates, decimals).
    String(String),
    Bool(bool),
    I32(i32),
    U32(u32),
    /// An object, keys in output order.
    Map(Vec<(&'static str, Synth<'a>)>),
    /// A real embedded document (a code-with-scope's scope).
    Doc(Value<'a>),
}

impl<'a> Synth<'a> {
    /// `{key: value}`.
    pub(super) fn wrap(key: &'static str, value: Synth<'a>) -> Synth<'a> {
        Synth::Map(vec![(key, value)])
    }
}

impl<'a> de::Deserializer<'a> for Synth<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Synth::Str(s) => visitor.visit_borrowed_str(s),
            Synth::String(s) => visitor.visit_string(s),
            Synth::Bool(b) => visitor.visit_bool(b),
            Synth::I32(n) => visitor.visit_i32(n),
            Synth::U32(n) => visitor.visit_u32(n),
            Synth::Map(entries) => visitor.visit_map(Pairs::new(entries)),
            Synth::Doc(doc) => doc.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        // No wrapper value is null.
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'a> Value<'a> {
    /// The rare types, as the wrapper objects relaxed Extended JSON v2 writes for them.
    #[inline(never)]
    pub(super) fn synth(self) -> Result<Synth<'a>, Error> {
        let at = self.start;
        Ok(match self.tag {
            TAG_DOUBLE => {
                let x = f64::from_le_bytes(self.array(at)?);
                let s = match (x.is_nan(), x.is_sign_negative()) {
                    (true, false) => "NaN",
                    (true, true) => "-NaN",
                    (false, false) => "Infinity",
                    (false, true) => "-Infinity",
                };
                Synth::wrap("$numberDouble", Synth::Str(s))
            }
            TAG_BINARY => {
                let subtype = self.buf[at + 4];
                let mut data = &self.buf[at + 5..self.end];
                if subtype == 0x02 {
                    // The old binary subtype repeats the payload length inside it (bson 2.15
                    // rejects a mismatch and leaves it out of the value).
                    let inner = i32::from_le_bytes(self.array(at + 5)?);
                    if i64::from(inner) + 4 != data.len() as i64 {
                        return Err(Error::at(
                            at + 5,
                            "old binary subtype's inner length differs",
                        ));
                    }
                    data = &data[4..];
                }
                let body = vec![
                    ("base64", Synth::String(text::base64(data))),
                    ("subType", Synth::String(text::hex(&[subtype]))),
                ];
                Synth::wrap("$binary", Synth::Map(body))
            }
            TAG_UNDEFINED => Synth::wrap("$undefined", Synth::Bool(true)),
            TAG_OBJECT_ID => Synth::wrap("$oid", Synth::String(text::hex(&self.array::<12>(at)?))),
            TAG_DATETIME => {
                let ms = i64::from_le_bytes(self.array(at)?);
                let body = match text::date(ms) {
                    Some(iso) => Synth::String(iso),
                    None => Synth::wrap("$numberLong", Synth::String(ms.to_string())),
                };
                Synth::wrap("$date", body)
            }
            TAG_REGEX => {
                let (pattern, next) = self.cstring(at)?;
                let (options, _) = self.cstring(next)?;
                let mut sorted: Vec<char> = options.chars().collect();
                sorted.sort_unstable();
                let body = vec![
                    ("pattern", Synth::Str(pattern)),
                    ("options", Synth::String(sorted.into_iter().collect())),
                ];
                Synth::wrap("$regularExpression", Synth::Map(body))
            }
            TAG_DB_POINTER => {
                let namespace = self.lstring(at)?;
                let id = text::hex(&self.array::<12>(self.end - 12)?);
                let body = vec![
                    ("$ref", Synth::Str(namespace)),
                    ("$id", Synth::wrap("$oid", Synth::String(id))),
                ];
                Synth::wrap("$dbPointer", Synth::Map(body))
            }
            TAG_CODE => Synth::wrap("$code", Synth::Str(self.lstring(at)?)),
            TAG_SYMBOL => Synth::wrap("$symbol", Synth::Str(self.lstring(at)?)),
            TAG_CODE_WITH_SCOPE => {
                let total = i32::from_le_bytes(self.array(at)?);
                let code = self.lstring(at + 4)?;
                let scope_at = at + 8 + code.len() + 1;
                let scope = Value {
                    buf: self.buf,
                    tag: TAG_DOCUMENT,
                    start: scope_at,
                    end: value_end(self.buf, (scope_at, TAG_DOCUMENT), scope_at, self.end)?,
                };
                if scope.end != self.end {
                    return Err(Error::at(
                        at,
                        format!("code with scope length {total} is off"),
                    ));
                }
                Synth::Map(vec![
                    ("$code", Synth::Str(code)),
                    ("$scope", Synth::Doc(scope)),
                ])
            }
            TAG_TIMESTAMP => {
                // Little-endian uint64: the increment is the low half, the time the high half.
                let increment = u32::from_le_bytes(self.array(at)?);
                let time = u32::from_le_bytes(self.array(at + 4)?);
                let body = vec![("t", Synth::U32(time)), ("i", Synth::U32(increment))];
                Synth::wrap("$timestamp", Synth::Map(body))
            }
            TAG_DECIMAL128 => {
                let text = text::decimal128(self.array(at)?);
                Synth::wrap("$numberDecimal", Synth::String(text))
            }
            TAG_MIN_KEY => Synth::wrap("$minKey", Synth::I32(1)),
            TAG_MAX_KEY => Synth::wrap("$maxKey", Synth::I32(1)),
            other => {
                return Err(Error::at(
                    at,
                    format!("element type {other:#04x} has no wrapper"),
                ));
            }
        })
    }
}
