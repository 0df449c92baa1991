//! Dense vectors: float directions (gaussian, uniform or clustered around centres drawn once
//! per field), stored as f32, f16/bf16 bytes, int8, or bits.
//!
//! Rows are filled into one flat buffer and wrapped as a list array with computed offsets, so a
//! chunk costs two allocations whatever its dimension.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int8Array, ListArray, UInt8Array};
use arrow_buffer::OffsetBuffer;
use arrow_schema::Field as ArrowField;
use rand::Rng;

use crate::format::arrow_types::arrow_type;
use crate::generate::column::{ChunkRequest, ColumnGenerator, GenContext};
use crate::generate::error::GenerateError;
use crate::generate::rng::{Purpose, stream};
use crate::schema::{DataType, Distribution, Field};

use super::columns::values_rng;
use super::fastrng::FastRng;

/// Cluster centres above this many floats would dominate memory; such a schema is refused.
const MAX_CENTRE_FLOATS: usize = 64 << 20;

/// Above this per-component noise a clustered row is built as `centre / noise + z` instead of
/// `centre + z * noise`. Below it the old form cannot overflow (|z| < 40, so a square stays under
/// 1.6e15 per component) and keeps its values; above it the centre's share is below 1e-6 anyway.
const SCALED_NOISE_ABOVE: f32 = 1e6;

/// Int8 vectors hold a unit direction scaled so one component's std is about this.
const INT8_STD: f32 = 32.0;

enum Shape {
    Gaussian,
    Uniform,
    /// `centres` holds `clusters * dim` floats, each centre of unit length.
    Clustered {
        centres: Vec<f32>,
        clusters: u64,
        noise: f32,
    },
}

#[derive(Clone, Copy)]
enum Store {
    F32,
    F16,
    BF16,
    Bits,
    I8,
}

pub struct DenseVectors {
    shape: Shape,
    store: Store,
    dim: usize,
    item: Arc<ArrowField>,
    path: String,
    ctx: GenContext,
}

impl DenseVectors {
    pub fn new(field: &Field, path: &str, ctx: &GenContext) -> Result<DenseVectors, GenerateError> {
        let dim = field.dim.filter(|d| *d > 0).ok_or_else(|| {
            GenerateError::field(&field.name, format!("{} needs dim >= 1", field.data_type))
        })? as usize;
        let store = match field.data_type {
            DataType::FloatVector => Store::F32,
            DataType::Float16Vector => Store::F16,
            DataType::BFloat16Vector => Store::BF16,
            DataType::Int8Vector => Store::I8,
            DataType::BinaryVector => {
                if !dim.is_multiple_of(8) {
                    return Err(GenerateError::field(
                        &field.name,
                        format!(
                            "a BinaryVector dim counts bits and must be a multiple of 8 (got {dim})"
                        ),
                    ));
                }
                Store::Bits
            }
            t => {
                return Err(GenerateError::field(
                    &field.name,
                    format!("{t} is not a dense vector"),
                ));
            }
        };
        let shape = match &field.distribution {
            Some(Distribution::Uniform) => Shape::Uniform,
            Some(Distribution::Clustered { clusters, spread }) => {
                let clusters = u64::from((*clusters).max(1));
                if clusters as usize * dim > MAX_CENTRE_FLOATS {
                    return Err(GenerateError::field(
                        &field.name,
                        format!(
                            "{clusters} clusters of dim {dim} need {} floats of centres; at most {MAX_CENTRE_FLOATS} are allowed",
                            clusters as usize * dim
                        ),
                    ));
                }
                let mut rng = FastRng::from_rng(&mut stream(ctx.seed, path, Purpose::Setup, 0));
                let mut centres = vec![0f32; clusters as usize * dim];
                for c in centres.chunks_exact_mut(dim) {
                    gaussian_unit(&mut rng, c);
                }
                let noise = (spread.unwrap_or(0.1) / (dim as f64).sqrt()) as f32;
                Shape::Clustered {
                    centres,
                    clusters,
                    noise,
                }
            }
            _ => Shape::Gaussian,
        };
        let item = match arrow_type(field) {
            arrow_schema::DataType::List(item) => item,
            other => {
                return Err(GenerateError::field(
                    &field.name,
                    format!("a dense vector should map to a list, not {other}"),
                ));
            }
        };
        Ok(DenseVectors {
            shape,
            store,
            dim,
            item,
            path: path.to_string(),
            ctx: ctx.clone(),
        })
    }

    /// One unit-length row of the field's shape.
    #[inline]
    fn fill_row(&self, rng: &mut FastRng, row: &mut [f32]) {
        match &self.shape {
            Shape::Gaussian => gaussian_unit(rng, row),
            Shape::Uniform => {
                for pair in row.chunks_mut(2) {
                    let x = rng.bits();
                    for (i, v) in pair.iter_mut().enumerate() {
                        let bits = (x >> (32 * i)) as u32 >> 8;
                        *v = bits as f32 * (2.0 / (1u32 << 24) as f32) - 1.0;
                    }
                }
                normalize(row);
            }
            Shape::Clustered {
                centres,
                clusters,
                noise,
            } => {
                let c = rng.below(*clusters) as usize;
                let centre = &centres[c * self.dim..(c + 1) * self.dim];
                fill_normal(rng, row);
                if *noise <= SCALED_NOISE_ABOVE {
                    for (v, m) in row.iter_mut().zip(centre) {
                        *v = m + *v * noise;
                    }
                } else {
                    // `centre + z * noise` divided by `noise`: the same direction, but the sum
                    // of squares in `normalize` can no longer overflow f32 (a spread of 1e20
                    // made every row inf, then zero).
                    let inv = 1.0 / noise;
                    for (v, m) in row.iter_mut().zip(centre) {
                        *v += m * inv;
                    }
                }
                normalize(row);
            }
        }
    }

    fn floats(&self, rng: &mut FastRng, rows: usize) -> Vec<f32> {
        let mut out = vec![0f32; rows * self.dim];
        for row in out.chunks_exact_mut(self.dim) {
            self.fill_row(rng, row);
        }
        out
    }

    fn list(
        &self,
        rows: usize,
        per_row: usize,
        values: ArrayRef,
    ) -> Result<ArrayRef, GenerateError> {
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(per_row, rows));
        ListArray::try_new(self.item.clone(), offsets, values, None)
            .map(|l| Arc::new(l) as ArrayRef)
            .map_err(|e| {
                GenerateError::field(&self.path, format!("building the vector column: {e}"))
            })
    }
}

impl ColumnGenerator for DenseVectors {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = values_rng(&self.ctx, &self.path, Purpose::Values, req);
        let rows = req.rows;
        match self.store {
            Store::F32 => {
                let v = self.floats(&mut rng, rows);
                self.list(rows, self.dim, Arc::new(Float32Array::from(v)))
            }
            Store::F16 | Store::BF16 => {
                let v = self.floats(&mut rng, rows);
                let mut bytes = Vec::with_capacity(v.len() * 2);
                if matches!(self.store, Store::F16) {
                    bytes.extend(v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()));
                } else {
                    bytes.extend(
                        v.iter()
                            .flat_map(|x| half::bf16::from_f32(*x).to_le_bytes()),
                    );
                }
                self.list(rows, self.dim * 2, Arc::new(UInt8Array::from(bytes)))
            }
            Store::I8 => {
                let v = self.floats(&mut rng, rows);
                let scale = INT8_STD * (self.dim as f32).sqrt();
                let ints: Vec<i8> = v
                    .iter()
                    .map(|x| (x * scale).round().clamp(-128.0, 127.0) as i8)
                    .collect();
                self.list(rows, self.dim, Arc::new(Int8Array::from(ints)))
            }
            Store::Bits => {
                let per_row = self.dim / 8;
                let bytes = match self.shape {
                    // Random bits are what a gaussian or uniform direction's signs would be.
                    Shape::Gaussian | Shape::Uniform => {
                        let mut b = vec![0u8; rows * per_row];
                        rng.fill(&mut b[..]);
                        b
                    }
                    // Clustered bit vectors are the signs of clustered float rows.
                    Shape::Clustered { .. } => self
                        .floats(&mut rng, rows)
                        .chunks_exact(8)
                        .map(|c| {
                            c.iter()
                                .enumerate()
                                .fold(0u8, |acc, (i, x)| acc | (u8::from(*x > 0.0) << (7 - i)))
                        })
                        .collect(),
                };
                self.list(rows, per_row, Arc::new(UInt8Array::from(bytes)))
            }
        }
    }
}

#[inline]
fn fill_normal(rng: &mut FastRng, row: &mut [f32]) {
    let mut quads = row.chunks_exact_mut(4);
    for q in &mut quads {
        q.copy_from_slice(&rng.normal4());
    }
    for v in quads.into_remainder() {
        *v = rng.normal();
    }
}

fn gaussian_unit(rng: &mut FastRng, row: &mut [f32]) {
    fill_normal(rng, row);
    normalize(row);
}

#[inline]
fn normalize(row: &mut [f32]) {
    let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        let inv = 1.0 / norm;
        row.iter_mut().for_each(|v| *v *= inv);
    } else if let Some(first) = row.first_mut() {
        *first = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, cast::AsArray, types::Float32Type};

    fn ctx() -> GenContext {
        GenContext {
            seed: 5,
            total_rows: 10_000,
        }
    }

    fn req(rows: usize) -> ChunkRequest {
        ChunkRequest {
            chunk_index: 0,
            first_row: 0,
            rows,
        }
    }

    fn vector_field(t: DataType, dim: u32) -> Field {
        let mut f = Field::new("v", t);
        f.dim = Some(dim);
        f
    }

    #[test]
    fn float_vectors_are_unit_length() {
        for dist in [
            None,
            Some(Distribution::Uniform),
            Some(Distribution::Clustered {
                clusters: 4,
                spread: None,
            }),
        ] {
            let mut f = vector_field(DataType::FloatVector, 33);
            f.distribution = dist;
            let a = DenseVectors::new(&f, "v", &ctx())
                .unwrap()
                .generate(&req(100))
                .unwrap();
            let list = a.as_list::<i32>();
            assert_eq!(list.len(), 100);
            for i in 0..100 {
                let row = list.value(i);
                let row = row.as_primitive::<Float32Type>();
                assert_eq!(row.len(), 33);
                let norm: f32 = row.values().iter().map(|v| v * v).sum();
                assert!((norm - 1.0).abs() < 1e-4, "{norm}");
            }
        }
    }

    #[test]
    fn huge_spreads_give_unit_rows_not_zeros() {
        for spread in [1e6, 1e20, 3e38] {
            let mut f = vector_field(DataType::FloatVector, 768);
            f.distribution = Some(Distribution::Clustered {
                clusters: 3,
                spread: Some(spread),
            });
            let a = DenseVectors::new(&f, "v", &ctx())
                .unwrap()
                .generate(&req(50))
                .unwrap();
            let list = a.as_list::<i32>();
            for i in 0..50 {
                let row = list.value(i);
                let row = row.as_primitive::<Float32Type>();
                assert!(
                    row.values().iter().all(|v| v.is_finite()),
                    "spread {spread}"
                );
                let norm: f32 = row.values().iter().map(|v| v * v).sum();
                assert!((norm - 1.0).abs() < 1e-4, "spread {spread}: norm {norm}");
                assert!(
                    row.values()[1..].iter().any(|v| *v != 0.0),
                    "spread {spread}"
                );
            }
        }
    }

    #[test]
    fn byte_vectors_have_their_byte_lengths() {
        for (t, dim, per_row) in [
            (DataType::BinaryVector, 64, 8),
            (DataType::Float16Vector, 16, 32),
            (DataType::BFloat16Vector, 16, 32),
            (DataType::Int8Vector, 16, 16),
        ] {
            let a = DenseVectors::new(&vector_field(t, dim), "v", &ctx())
                .unwrap()
                .generate(&req(10))
                .unwrap();
            let list = a.as_list::<i32>();
            assert_eq!(list.values().len(), 10 * per_row, "{t}");
            assert_eq!(list.value_length(3), per_row as i32);
        }
    }

    #[test]
    fn clustered_rows_are_closest_to_their_own_centre() {
        let mut f = vector_field(DataType::FloatVector, 64);
        f.distribution = Some(Distribution::Clustered {
            clusters: 8,
            spread: Some(0.3),
        });
        let g = DenseVectors::new(&f, "v", &ctx()).unwrap();
        let Shape::Clustered { centres, .. } = &g.shape else {
            panic!("not clustered")
        };
        // Replay the draws: each row picks its centre first.
        let mut rng = values_rng(&ctx(), "v", Purpose::Values, &req(200));
        let mut row = vec![0f32; 64];
        for _ in 0..200 {
            let mut probe = rng.clone();
            let own = probe.below(8) as usize;
            g.fill_row(&mut rng, &mut row);
            let dot = |c: usize| -> f32 {
                row.iter()
                    .zip(&centres[c * 64..(c + 1) * 64])
                    .map(|(a, b)| a * b)
                    .sum()
            };
            let best = (0..8).max_by(|a, b| dot(*a).total_cmp(&dot(*b))).unwrap();
            assert_eq!(best, own);
            assert!(dot(own) > 0.9, "{}", dot(own));
        }
    }
}
