//! Primary keys: unique by construction, derived from the row index alone (never from a set of
//! keys seen so far), so any process generating any row range produces disjoint keys.
//!
//! Int64 keys count up from `min` (default 1), which keeps them readable in queries. VarChar keys
//! are UUIDs when the field asks for (or is named like) a UUID and has room for 36 bytes, else
//! 16 hex digits of a bijective scramble of the row index, else zero-padded base-36 row numbers
//! when `max_length` is tighter than 16.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, StringArray};

use super::strings::{push_uuid, resolve_kind};
use crate::generate::rng::{scramble, stable_hash};
use crate::generate::{ChunkRequest, ColumnGenerator, GenContext, GenerateError};
use crate::schema::{DataType, Field, StringKind};

enum Style {
    Sequential { start: i64 },
    Uuid { key_a: u64, key_b: u64 },
    Hex { key: u64 },
    Base36 { width: usize },
}

pub(crate) struct PrimaryKeyColumn {
    style: Style,
}

const HEX_LEN: usize = 16;

impl PrimaryKeyColumn {
    pub(crate) fn new(ctx: &GenContext, field: &Field) -> Result<PrimaryKeyColumn, GenerateError> {
        let name = field.name.as_str();
        let rows = ctx.total_rows;
        let key = ctx.seed ^ stable_hash(name);
        let style = match field.data_type {
            DataType::Int64 => {
                let start = field.min.map_or(1, |m| m as i64);
                let last = start.checked_add(rows.saturating_sub(1) as i64);
                let max = field.max.map_or(i64::MAX, |m| m as i64);
                match last {
                    Some(last) if last <= max => Style::Sequential { start },
                    _ => {
                        return Err(GenerateError::field(
                            name,
                            format!(
                                "{rows} unique primary keys do not fit between min {start} and max {max}"
                            ),
                        ));
                    }
                }
            }
            DataType::VarChar => {
                let max_len = field.max_length.unwrap_or(64) as usize;
                if max_len >= 36 && resolve_kind(field, name)? == StringKind::Uuid {
                    Style::Uuid {
                        key_a: key,
                        key_b: key.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15,
                    }
                } else if max_len >= HEX_LEN {
                    Style::Hex { key }
                } else if 36f64.powi(max_len as i32) >= rows as f64 {
                    Style::Base36 { width: max_len }
                } else {
                    return Err(GenerateError::field(
                        name,
                        format!("max_length {max_len} is too short for {rows} unique primary keys"),
                    ));
                }
            }
            t => {
                return Err(GenerateError::field(
                    name,
                    format!("a primary key must be Int64 or VarChar, not {t}"),
                ));
            }
        };
        Ok(PrimaryKeyColumn { style })
    }

    fn string_key(&self, row: u64, out: &mut String) {
        match self.style {
            Style::Uuid { key_a, key_b } => {
                // 64 injective bits go where the UUID's version and variant bits are not.
                let unique = scramble(row, key_a).to_be_bytes();
                let rest = scramble(row, key_b).to_be_bytes();
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&unique[..4]);
                b[4..12].copy_from_slice(&rest);
                b[12..].copy_from_slice(&unique[4..]);
                push_uuid(b, out);
            }
            Style::Hex { key } => out.push_str(&format!("{:016x}", scramble(row, key))),
            Style::Base36 { width } => {
                let mut digits = vec![b'0'; width];
                let mut n = row;
                for d in digits.iter_mut().rev() {
                    *d = b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize];
                    n /= 36;
                }
                out.push_str(std::str::from_utf8(&digits).unwrap_or_default());
            }
            Style::Sequential { .. } => {}
        }
    }
}

impl ColumnGenerator for PrimaryKeyColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let rows = req.first_row..req.first_row + req.rows as u64;
        Ok(match self.style {
            Style::Sequential { start } => Arc::new(Int64Array::from_iter_values(
                rows.map(|r| start.wrapping_add(r as i64)),
            )),
            _ => {
                let mut s = String::new();
                Arc::new(StringArray::from_iter_values(rows.map(|r| {
                    s.clear();
                    self.string_key(r, &mut s);
                    s.clone()
                })))
            }
        })
    }
}
