//! Sparse float vectors as the JSON text Milvus bulk import reads: `{"17":0.53,"204":0.11}`,
//! indices distinct and ascending inside `[0, dim)`, values positive.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::StringBuilder;

use crate::generate::column::{ChunkRequest, ColumnGenerator, GenContext};
use crate::generate::error::GenerateError;
use crate::generate::rng::Purpose;
use crate::schema::Field;

use super::columns::values_rng;
use super::fastrng::FastRng;

/// The index space when the schema gives none (a typical vocabulary size).
pub const DEFAULT_SPARSE_DIM: u32 = 30_000;
pub const DEFAULT_DENSITY: f64 = 0.01;

pub struct SparseVectors {
    dim: u64,
    /// Mean non-zeros per row; each row draws between half and one and a half times this.
    mean_nnz: u64,
    path: String,
    ctx: GenContext,
}

impl SparseVectors {
    pub fn new(
        field: &Field,
        path: &str,
        ctx: &GenContext,
    ) -> Result<SparseVectors, GenerateError> {
        let dim = u64::from(field.dim.unwrap_or(DEFAULT_SPARSE_DIM));
        if dim == 0 {
            return Err(GenerateError::field(
                &field.name,
                "a sparse vector's dim (index space) must be > 0",
            ));
        }
        let density = field.density.unwrap_or(DEFAULT_DENSITY);
        if !(density > 0.0 && density <= 1.0) {
            return Err(GenerateError::field(
                &field.name,
                format!("density must be in (0, 1] (got {density})"),
            ));
        }
        let mean_nnz = ((density * dim as f64).round() as u64).clamp(1, dim);
        if mean_nnz > crate::schema::MAX_SPARSE_NNZ {
            return Err(GenerateError::field(
                &field.name,
                format!(
                    "density {density} of dim {dim} is {mean_nnz} non-zeros per row; at most {} are generated",
                    crate::schema::MAX_SPARSE_NNZ
                ),
            ));
        }
        Ok(SparseVectors {
            dim,
            mean_nnz,
            path: path.to_string(),
            ctx: ctx.clone(),
        })
    }

    /// Distinct sorted indices for one row into `idx`.
    fn indices(&self, rng: &mut FastRng, idx: &mut Vec<u32>) {
        let lo = (self.mean_nnz / 2).max(1);
        let hi = (self.mean_nnz + self.mean_nnz / 2).min(self.dim);
        let n = (lo + rng.below(hi - lo + 1)) as usize;
        idx.clear();
        if n as u64 * 2 > self.dim {
            // Dense enough to pick by walking the index space (selection sampling).
            let mut needed = n as u64;
            for i in 0..self.dim {
                if rng.below(self.dim - i) < needed {
                    idx.push(i as u32);
                    needed -= 1;
                }
            }
            return;
        }
        while idx.len() < n {
            for _ in idx.len()..n {
                idx.push(rng.below(self.dim) as u32);
            }
            idx.sort_unstable();
            idx.dedup();
        }
    }
}

impl ColumnGenerator for SparseVectors {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = values_rng(&self.ctx, &self.path, Purpose::Values, req);
        let mut b = StringBuilder::with_capacity(req.rows, req.rows * self.mean_nnz as usize * 16);
        let mut idx = Vec::with_capacity(self.mean_nnz as usize * 2);
        let mut text = String::new();
        for _ in 0..req.rows {
            self.indices(&mut rng, &mut idx);
            text.clear();
            text.push('{');
            for (k, i) in idx.iter().enumerate() {
                // One entry is at most `,"4294967295":0.9999` (21 bytes): build it on the
                // stack and append it at once.
                let mut entry = [0u8; 24];
                let mut len = 0;
                if k > 0 {
                    entry[0] = b',';
                    len = 1;
                }
                entry[len] = b'"';
                len += 1;
                len += write_u32(&mut entry[len..], *i);
                entry[len..len + 2].copy_from_slice(b"\":");
                len += 2;
                len += write_weight(&mut entry[len..], rng.unit());
                text.push_str(std::str::from_utf8(&entry[..len]).expect("ASCII entry"));
            }
            text.push('}');
            b.append_value(&text);
        }
        Ok(Arc::new(b.finish()))
    }
}

/// Writes the decimal digits of `n` at the start of `out`; returns their count.
fn write_u32(out: &mut [u8], mut n: u32) -> usize {
    let mut digits = [0u8; 10];
    let mut pos = digits.len();
    loop {
        pos -= 1;
        digits[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - pos;
    out[..len].copy_from_slice(&digits[pos..]);
    len
}

/// Writes a weight in (0, 1] with up to four decimals, skewed low like learned sparse term
/// weights (`u` uniform in [0, 1)); returns the byte count. Four decimals are plenty for test
/// data and need no float formatting.
fn write_weight(out: &mut [u8], u: f64) -> usize {
    let q = ((1.0 - u) * (1.0 - u) * 9_999.0) as u32 + 1;
    if q >= 10_000 {
        out[..3].copy_from_slice(b"1.0");
        return 3;
    }
    let digits = [
        b'0',
        b'.',
        b'0' + (q / 1000) as u8,
        b'0' + (q / 100 % 10) as u8,
        b'0' + (q / 10 % 10) as u8,
        b'0' + (q % 10) as u8,
    ];
    // Trailing zeros are noise in JSON text; "0.5" reads back like "0.5000".
    let mut end = digits.len();
    while digits[end - 1] == b'0' && end > 3 {
        end -= 1;
    }
    out[..end].copy_from_slice(&digits[..end]);
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, StringArray};

    #[test]
    fn indices_are_sorted_distinct_and_in_range() {
        for (dim, density) in [
            (Some(1000), Some(0.05)),
            (None, None),
            (Some(10), Some(1.0)),
            (Some(7), Some(0.6)),
        ] {
            let mut f = Field::new("sparse", crate::schema::DataType::SparseFloatVector);
            f.dim = dim;
            f.density = density;
            let g = SparseVectors::new(
                &f,
                "sparse",
                &GenContext {
                    seed: 1,
                    total_rows: 100,
                },
            )
            .unwrap();
            let a = g
                .generate(&ChunkRequest {
                    chunk_index: 0,
                    first_row: 0,
                    rows: 50,
                })
                .unwrap();
            let a = a.as_any().downcast_ref::<StringArray>().unwrap();
            let mut total = 0;
            for row in a.iter() {
                let obj: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(row.unwrap()).unwrap();
                let keys: Vec<u64> = obj.keys().map(|k| k.parse().unwrap()).collect();
                assert!(!keys.is_empty());
                let text_order: Vec<u64> = row
                    .unwrap()
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .map(|k| k.parse().unwrap())
                    .collect();
                assert!(text_order.windows(2).all(|w| w[0] < w[1]), "{row:?}");
                assert!(keys.iter().all(|k| *k < u64::from(dim.unwrap_or(30_000))));
                assert!(obj.values().all(|v| v.as_f64().unwrap() > 0.0));
                total += keys.len();
            }
            let expected = (density.unwrap_or(0.01) * f64::from(dim.unwrap_or(30_000)))
                .round()
                .max(1.0);
            let mean = total as f64 / 50.0;
            assert!(
                (mean - expected).abs() <= expected * 0.25 + 1.0,
                "{mean} vs {expected}"
            );
        }
    }
}
