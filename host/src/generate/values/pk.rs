//! Primary keys: unique by construction, never by checking.
//!
//! Int64 keys count up from `min` (default 1). VarChar keys are a bijective scramble of the
//! row index rendered to fit `max_length`: a UUID when 36 bytes fit, else fixed-width base 36
//! of the scrambled index, else (more rows than the scramble's bit width holds) zero-padded
//! base 36 of the plain row index; a dataset too large for the width is an error up front.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Int64Array};
use rand::Rng;

use crate::generate::column::{ChunkRequest, ColumnGenerator, GenContext};
use crate::generate::error::GenerateError;
use crate::generate::rng::{Purpose, scramble, stream};
use crate::schema::{DataType, Field};

use super::text::write_uuid;

/// Int64 keys `start + row`.
pub struct IntKeys {
    start: i64,
}

impl IntKeys {
    pub fn new(field: &Field, ctx: &GenContext) -> Result<IntKeys, GenerateError> {
        let start = field
            .min
            .map_or(1, |b| b.as_i64().unwrap_or(b.as_f64() as i64));
        let last = i128::from(start) + i128::from(ctx.total_rows) - 1;
        let max = field.max.map_or(i128::from(i64::MAX), |m| {
            m.as_i64().map_or(m.as_f64() as i128, i128::from)
        });
        if last > max {
            return Err(GenerateError::field(
                &field.name,
                format!(
                    "primary keys from {start} for {} rows end at {last}, past the maximum {max}",
                    ctx.total_rows
                ),
            ));
        }
        Ok(IntKeys { start })
    }
}

impl ColumnGenerator for IntKeys {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let first = self.start + req.first_row as i64;
        Ok(Arc::new(Int64Array::from_iter_values(
            (0..req.rows as i64).map(|i| first + i),
        )))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Uuid,
    /// `width` base-36 digits of a bijection on `bits`-bit integers (`bits == 0`: of the
    /// row index itself).
    Base36 {
        width: usize,
        bits: u32,
    },
}

/// Unique VarChar keys that fit `max_length` bytes.
pub struct StrKeys {
    style: Style,
    key: u64,
    key2: u64,
}

impl StrKeys {
    pub fn new(field: &Field, path: &str, ctx: &GenContext) -> Result<StrKeys, GenerateError> {
        let max = field.max_length.unwrap_or(36) as usize;
        let rows = ctx.total_rows;
        let style = if max >= 36 {
            Style::Uuid
        } else {
            let width = max.min(12);
            // The largest bit count whose values all have `width` base-36 digits.
            let bits = ((width as f64) * 36f64.log2()).floor().min(62.0) as u32;
            if rows <= 1u64 << bits {
                Style::Base36 { width, bits }
            } else if (rows as f64) <= 36f64.powi(width as i32) {
                Style::Base36 { width, bits: 0 }
            } else {
                return Err(GenerateError::field(
                    &field.name,
                    format!(
                        "{rows} unique primary keys cannot fit max_length {max}: raise max_length or lower the row count"
                    ),
                ));
            }
        };
        let mut setup = stream(ctx.seed, path, Purpose::Setup, 0);
        Ok(StrKeys {
            style,
            key: setup.random(),
            key2: setup.random(),
        })
    }

    fn write(&self, row: u64, out: &mut String) {
        out.clear();
        match self.style {
            Style::Uuid => write_uuid(out, scramble(row, self.key), scramble(row, self.key2)),
            Style::Base36 { width, bits } => {
                let mut x = if bits == 0 {
                    row
                } else {
                    permute_bits(row, bits, self.key)
                };
                let mut digits = [b'0'; 12];
                for d in digits[..width].iter_mut().rev() {
                    *d = b"0123456789abcdefghijklmnopqrstuvwxyz"[(x % 36) as usize];
                    x /= 36;
                }
                out.push_str(std::str::from_utf8(&digits[..width]).expect("ASCII digits"));
            }
        }
    }
}

/// A keyed bijection on `bits`-bit integers: odd multipliers and xor-shifts are invertible
/// modulo 2^bits, so distinct rows stay distinct inside the smaller key space.
fn permute_bits(x: u64, bits: u32, key: u64) -> u64 {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let half = bits.div_ceil(2).max(1);
    let mut z = x & mask;
    z = (z ^ (key & mask)).wrapping_mul(0x9e37_79b9_7f4a_7c15 | 1) & mask;
    z ^= z >> half;
    z = z.wrapping_mul((key >> 17) | 1) & mask;
    z ^= z >> half;
    z = z.wrapping_mul(0xbf58_476d_1ce4_e5b9) & mask;
    z ^ (z >> half)
}

impl ColumnGenerator for StrKeys {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut b = StringBuilder::with_capacity(req.rows, req.rows * 36);
        let mut s = String::with_capacity(40);
        for i in 0..req.rows as u64 {
            self.write(req.first_row + i, &mut s);
            b.append_value(&s);
        }
        Ok(Arc::new(b.finish()))
    }
}

/// The key generator for a primary-key field.
pub fn build_keys(
    field: &Field,
    path: &str,
    ctx: &GenContext,
) -> Result<Arc<dyn ColumnGenerator>, GenerateError> {
    match field.data_type {
        DataType::Int64 => Ok(Arc::new(IntKeys::new(field, ctx)?)),
        DataType::VarChar => Ok(Arc::new(StrKeys::new(field, path, ctx)?)),
        t => Err(GenerateError::field(
            &field.name,
            format!("a primary key must be Int64 or VarChar, not {t}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, StringArray};
    use std::collections::HashSet;

    fn ctx(rows: u64) -> GenContext {
        GenContext {
            seed: 42,
            total_rows: rows,
        }
    }

    fn keys_of(field: &Field, rows: u64) -> Vec<String> {
        let g = StrKeys::new(field, &field.name, &ctx(rows)).unwrap();
        let mut out = Vec::with_capacity(rows as usize);
        let chunks = rows.div_ceil(1024);
        for c in 0..chunks {
            let n = (rows - c * 1024).min(1024) as usize;
            let a = g
                .generate(&ChunkRequest {
                    chunk_index: c,
                    first_row: c * 1024,
                    rows: n,
                })
                .unwrap();
            let a = a.as_any().downcast_ref::<StringArray>().unwrap();
            out.extend(a.iter().map(|v| v.unwrap().to_string()));
        }
        out
    }

    #[test]
    fn varchar_keys_are_unique_and_fit_for_a_million_rows() {
        for max in [64u32, 36, 12, 8, 7] {
            let mut f = Field::new("pk", DataType::VarChar);
            f.max_length = Some(max);
            let keys = keys_of(&f, 1_000_000);
            assert!(keys.iter().all(|k| k.len() <= max as usize), "max {max}");
            let distinct: HashSet<&String> = keys.iter().collect();
            assert_eq!(distinct.len(), keys.len(), "max_length {max}");
        }
    }

    #[test]
    fn small_widths_fall_back_or_refuse() {
        let mut f = Field::new("pk", DataType::VarChar);
        f.max_length = Some(3);
        assert_eq!(
            keys_of(&f, 40_000).iter().collect::<HashSet<_>>().len(),
            40_000
        );
        let err = StrKeys::new(&f, "pk", &ctx(50_000))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("pk") && err.contains("max_length 3"), "{err}");
        f.max_length = Some(4);
        let keys = keys_of(&f, 1_500_000);
        assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 1_500_000);
        assert!(keys.iter().all(|k| k.len() <= 4));
    }

    #[test]
    fn int_keys_count_from_min_and_respect_max() {
        let mut f = Field::new("id", DataType::Int64);
        f.min = Some(crate::schema::Bound::from(100.0));
        let g = IntKeys::new(&f, &ctx(5000)).unwrap();
        let a = g
            .generate(&ChunkRequest {
                chunk_index: 2,
                first_row: 2048,
                rows: 3,
            })
            .unwrap();
        let a = a.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(a.values().to_vec(), vec![2148, 2149, 2150]);
        f.max = Some(crate::schema::Bound::from(200.0));
        assert!(IntKeys::new(&f, &ctx(5000)).is_err());
        assert_eq!(a.null_count(), 0);
    }
}
