//! Walking a document's elements (as a serde map) and an array's (as a serde sequence).

use std::collections::{HashMap, HashSet};

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::*;

/// A serde map over (key, value) pairs whose values deserialize themselves: a document's
/// elements ([`DocMap`]) or a synthesized Extended JSON wrapper's entries.
pub(super) struct Pairs<'a, V> {
    entries: std::vec::IntoIter<(&'a str, V)>,
    value: Option<V>,
}

impl<'a, V> Pairs<'a, V> {
    pub(super) fn new(entries: Vec<(&'a str, V)>) -> Pairs<'a, V> {
        Pairs {
            entries: entries.into_iter(),
            value: None,
        }
    }
}

/// A document's elements, listed once up front so that a repeated key can be merged (first
/// position, last value) before any is visited.
pub(super) type DocMap<'a> = Pairs<'a, Value<'a>>;

/// Up to this many keys a pairwise comparison finds repeats faster than hashing.
const QUADRATIC_KEYS: usize = 16;

impl<'a> Pairs<'a, Value<'a>> {
    pub(super) fn of_document(doc: Value<'a>) -> Result<DocMap<'a>, Error> {
        let buf = doc.buf;
        let last = doc.end - 1;
        let mut elements = Vec::new();
        let mut pos = doc.start + 4;
        while pos < last {
            let ((key_start, key_end), value) = element(buf, pos, last)?;
            let key = doc.utf8(key_start, &buf[key_start..key_end])?;
            elements.push((key, value));
            pos = value.end;
        }
        if has_repeated_key(&elements) {
            elements = first_position_last_value(elements);
        }
        Ok(Pairs::new(elements))
    }
}

fn has_repeated_key(elements: &[(&str, Value<'_>)]) -> bool {
    if elements.len() <= QUADRATIC_KEYS {
        elements
            .iter()
            .enumerate()
            .any(|(i, (k, _))| elements[..i].iter().any(|(seen, _)| seen == k))
    } else {
        let mut seen = HashSet::with_capacity(elements.len());
        !elements.iter().all(|(k, _)| seen.insert(*k))
    }
}

/// One entry per key, at the key's first position, holding its last value (bson::Document's
/// insert semantics).
fn first_position_last_value<'a>(elements: Vec<(&'a str, Value<'a>)>) -> Vec<(&'a str, Value<'a>)> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(elements.len());
    let mut out: Vec<(&str, Value<'_>)> = Vec::with_capacity(elements.len());
    for (key, value) in elements {
        match index.get(key) {
            Some(&i) => out[i].1 = value,
            None => {
                index.insert(key, out.len());
                out.push((key, value));
            }
        }
    }
    out
}

impl<'a, D: de::Deserializer<'a, Error = Error>> MapAccess<'a> for Pairs<'a, D> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(Error(
                "a map value was asked for before its key".to_string(),
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An array's elements, walked in place: the hot path (1,024 doubles per embedding vector), so
/// no per-element allocation and keys ("0", "1", ..) are skipped unread.
pub(super) struct ArraySeq<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The array's terminating NUL.
    last: usize,
}

impl<'a> ArraySeq<'a> {
    pub(super) fn new(array: Value<'a>) -> ArraySeq<'a> {
        ArraySeq {
            buf: array.buf,
            pos: array.start + 4,
            last: array.end - 1,
        }
    }
}

impl ArraySeq<'_> {
    /// The element at `pos` when it is a well-framed finite double, stepping past it: the
    /// vector case, read in place (a call through [`element`] and the general value
    /// deserializer costs several times the read itself). Anything else, malformed bytes
    /// included, is left to the general path, which reports errors.
    #[inline(always)]
    fn finite_double(&mut self) -> Option<f64> {
        let bytes = self.buf.get(self.pos..self.last)?;
        if bytes[0] != TAG_DOUBLE {
            return None;
        }
        let nul = 1 + bytes[1..].iter().position(|&b| b == 0)?;
        let value = bytes.get(nul + 1..nul + 9)?;
        let x = f64::from_le_bytes(value.try_into().ok()?);
        if !x.is_finite() {
            return None;
        }
        self.pos += nul + 9;
        Some(x)
    }
}

/// A finite double, for the fast path of [`ArraySeq`].
struct FiniteDouble(f64);

impl<'a> de::Deserializer<'a> for FiniteDouble {
    type Error = Error;

    #[inline(always)]
    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(self.0)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

impl<'a> SeqAccess<'a> for ArraySeq<'a> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.pos >= self.last {
            return Ok(None);
        }
        if let Some(x) = self.finite_double() {
            return seed.deserialize(FiniteDouble(x)).map(Some);
        }
        let (_, value) = element(self.buf, self.pos, self.last)?;
        self.pos = value.end;
        seed.deserialize(value).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        double_count(self.buf, self.pos, self.last)
    }
}

/// When the array starting at `pos` (its first element) begins with a double: how many elements
/// its bytes hold if all are doubles keyed "0", "1", .. (exact for an embedding vector, and
/// never more than the bytes could hold), so a collector allocates once.
fn double_count(buf: &[u8], pos: usize, last: usize) -> Option<usize> {
    if buf.get(pos) != Some(&TAG_DOUBLE) || buf.get(pos + 1..pos + 3) != Some(b"0\0") {
        return None;
    }
    let mut left = last - pos;
    let mut count = 0;
    // Elements with d-digit keys take 1 + d + 1 + 8 bytes; there are 10 one-digit keys, 90
    // two-digit keys, and so on.
    let (mut digits, mut keys) = (1, 10);
    loop {
        let size = 10 + digits;
        let fit = left / size;
        if fit < keys {
            return Some(count + fit);
        }
        count += keys;
        left -= keys * size;
        digits += 1;
        keys = if digits == 2 { 90 } else { keys * 10 };
    }
}
