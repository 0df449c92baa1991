//! Half-precision vector elements as JSON numbers.
//!
//! Parquet carries Float16/BFloat16 vectors as their little-endian bytes, but Milvus' JSON row
//! import (2.4.4 and later, and pymilvus' BulkWriter) wants `dim` numbers per row, which it
//! parses as float32 and rounds to the half format. Each 16-bit pattern is written as the
//! shortest decimal that reads back to the same pattern along that path (`0x B913` is
//! `-0.6343`), so JSON and Parquet files of one seed hold the same vectors.
//!
//! There are only 65 536 patterns per format: their texts are computed once per process and
//! looked up, which keeps JSON encoding as cheap as for float32 vectors.

use std::sync::OnceLock;

use half::{bf16, f16};

/// The two 16-bit float formats Milvus stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    /// IEEE 754 binary16 (`Float16Vector`).
    F16,
    /// bfloat16 (`BFloat16Vector`).
    BF16,
}

impl Half {
    /// The value of a bit pattern.
    pub fn decode(self, bits: u16) -> f32 {
        match self {
            Half::F16 => f16::from_bits(bits).to_f32(),
            Half::BF16 => bf16::from_bits(bits).to_f32(),
        }
    }

    /// The bit pattern a float32 rounds to (round to nearest even, as Milvus does).
    pub fn encode(self, value: f32) -> u16 {
        match self {
            Half::F16 => f16::from_f32(value).to_bits(),
            Half::BF16 => bf16::from_f32(value).to_bits(),
        }
    }

    /// The JSON text of a pattern: the shortest decimal that reads back to it (`null` for
    /// NaN and infinities, which JSON cannot hold).
    pub fn text(self, bits: u16) -> &'static str {
        static F16_TABLE: OnceLock<Table> = OnceLock::new();
        static BF16_TABLE: OnceLock<Table> = OnceLock::new();
        let table = match self {
            Half::F16 => &F16_TABLE,
            Half::BF16 => &BF16_TABLE,
        };
        table.get_or_init(|| Table::build(self)).get(bits)
    }
}

/// The texts of all 65 536 patterns, concatenated, with their end offsets.
struct Table {
    text: String,
    ends: Vec<u32>,
}

impl Table {
    fn build(format: Half) -> Table {
        let mut text = String::with_capacity(65_536 * 8);
        let mut ends = Vec::with_capacity(65_536);
        for bits in 0..=u16::MAX {
            text.push_str(&shortest(format, bits));
            ends.push(text.len() as u32);
        }
        Table { text, ends }
    }

    fn get(&self, bits: u16) -> &str {
        let i = usize::from(bits);
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }
}

fn shortest(format: Half, bits: u16) -> String {
    let value = format.decode(bits);
    if !value.is_finite() {
        return "null".into();
    }
    // float32 needs at most 9 significant digits, so the loop always ends with a match.
    for digits in 1..=9 {
        let candidate = format!("{:.*e}", digits - 1, value);
        if candidate
            .parse::<f32>()
            .is_ok_and(|f| format.encode(f) == bits)
        {
            let exact: f64 = candidate.parse().expect("formatted from a float");
            return ryu::Buffer::new().format_finite(exact).to_string();
        }
    }
    ryu::Buffer::new().format_finite(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_reads_back_to_itself() {
        for format in [Half::F16, Half::BF16] {
            for bits in 0..=u16::MAX {
                let text = format.text(bits);
                if !format.decode(bits).is_finite() {
                    assert_eq!(text, "null");
                    continue;
                }
                // The path Milvus takes: decimal -> float32 -> half.
                let f: f32 = text.parse().unwrap();
                assert_eq!(format.encode(f), bits, "{format:?} {bits:#06x} {text}");
            }
        }
    }

    #[test]
    fn texts_are_short() {
        // 0xB913 is -0.63427734375 in binary16 (the first value of issue 10's example).
        assert_eq!(Half::F16.text(0xB913), "-0.6343");
        assert_eq!(Half::F16.text(f16::from_f32(1.0).to_bits()), "1.0");
        assert_eq!(Half::F16.text(f16::MAX.to_bits()), "65500.0");
        assert_eq!(Half::BF16.text(bf16::from_f32(-0.5).to_bits()), "-0.5");
        assert_eq!(Half::F16.text(0x8000), "-0.0");
    }
}
