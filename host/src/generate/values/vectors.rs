//! Dense vectors: float, half, bfloat16, int8 and binary, flattened row-major into the `List<_>`
//! columns Milvus imports.
//!
//! Float-like vectors default to unit-length Gaussian directions (what embeddings look like to
//! an ANN index); `uniform` draws components in [-1, 1); `clustered` scatters rows around
//! `clusters` fixed centres so recall measurements mean something. Binary vectors are random bits,
//! or centre bits flipped with probability `spread` when clustered.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int8Array, UInt8Array};
use arrow_schema::DataType as ArrowType;
use half::{bf16, f16};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, StandardNormal};

use super::build::list_array;
use crate::format::arrow_type;
use crate::generate::rng::{Purpose, stream};
use crate::generate::{ChunkRequest, ColumnGenerator, GenContext, GenerateError, chunk_rng};
use crate::schema::{DataType, Distribution, Field};

/// Noise around a cluster centre when the schema gives no `spread`.
const DEFAULT_SPREAD: f64 = 0.1;

enum Style {
    Gaussian,
    Uniform,
    Clustered {
        /// `clusters * width` values: unit directions (float) or bytes (binary).
        centres: Vec<f32>,
        clusters: usize,
        spread: f32,
    },
}

pub(crate) struct DenseVectorColumn {
    ctx: GenContext,
    path: String,
    t: DataType,
    dim: usize,
    style: Style,
    list_type: ArrowType,
}

impl DenseVectorColumn {
    pub(crate) fn new(ctx: &GenContext, field: &Field) -> Result<DenseVectorColumn, GenerateError> {
        let name = field.name.as_str();
        let t = field.data_type;
        let dim = field
            .dim
            .filter(|d| *d > 0)
            .ok_or_else(|| GenerateError::field(name, format!("{t} needs a `dim` > 0")))?
            as usize;
        if t == DataType::BinaryVector && !dim.is_multiple_of(8) {
            return Err(GenerateError::field(
                name,
                format!("a BinaryVector dim counts bits and must be a multiple of 8 (got {dim})"),
            ));
        }
        let style = match &field.distribution {
            Some(Distribution::Uniform) => Style::Uniform,
            Some(Distribution::Clustered { clusters, spread }) => {
                let clusters = (*clusters).max(1) as usize;
                let mut rng = stream(ctx.seed, name, Purpose::Setup, 0);
                let width = if t == DataType::BinaryVector {
                    dim / 8
                } else {
                    dim
                };
                let mut centres = vec![0f32; clusters * width];
                for centre in centres.chunks_mut(width) {
                    if t == DataType::BinaryVector {
                        centre
                            .iter_mut()
                            .for_each(|b| *b = f32::from(rng.random::<u8>()));
                    } else {
                        gaussian_unit(&mut rng, centre);
                    }
                }
                Style::Clustered {
                    centres,
                    clusters,
                    spread: spread.unwrap_or(DEFAULT_SPREAD) as f32,
                }
            }
            _ if t == DataType::BinaryVector => Style::Uniform,
            _ => Style::Gaussian,
        };
        Ok(DenseVectorColumn {
            ctx: ctx.clone(),
            path: name.to_string(),
            t,
            dim,
            style,
            list_type: arrow_type(field),
        })
    }

    /// One float row into `out` (`out.len() == dim`).
    fn float_row(&self, rng: &mut ChaCha8Rng, out: &mut [f32]) {
        match &self.style {
            Style::Gaussian => gaussian_unit(rng, out),
            Style::Uniform => out
                .iter_mut()
                .for_each(|x| *x = rng.random_range(-1.0..1.0)),
            Style::Clustered {
                centres,
                clusters,
                spread,
            } => {
                let c = rng.random_range(0..*clusters);
                let centre = &centres[c * self.dim..(c + 1) * self.dim];
                // Per-component noise so the noise vector's length is about `spread`.
                let sigma = spread / (self.dim as f32).sqrt();
                for (x, m) in out.iter_mut().zip(centre) {
                    let n: f32 = StandardNormal.sample(rng);
                    *x = m + sigma * n;
                }
                normalize(out);
            }
        }
    }

    fn binary_row(&self, rng: &mut ChaCha8Rng, out: &mut Vec<u8>) {
        let bytes = self.dim / 8;
        match &self.style {
            Style::Clustered {
                centres,
                clusters,
                spread,
            } => {
                let c = rng.random_range(0..*clusters);
                for &centre in &centres[c * bytes..(c + 1) * bytes] {
                    let mut b = centre as u8;
                    for bit in 0..8 {
                        if rng.random::<f32>() < *spread {
                            b ^= 1 << bit;
                        }
                    }
                    out.push(b);
                }
            }
            _ => out.extend((0..bytes).map(|_| rng.random::<u8>())),
        }
    }
}

fn gaussian_unit(rng: &mut ChaCha8Rng, out: &mut [f32]) {
    out.iter_mut().for_each(|x| *x = StandardNormal.sample(rng));
    normalize(out);
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

impl ColumnGenerator for DenseVectorColumn {
    fn generate(&self, req: &ChunkRequest) -> Result<ArrayRef, GenerateError> {
        let mut rng = chunk_rng(&self.ctx, &self.path, Purpose::Values, req);
        let rows = req.rows;
        let mut row = vec![0f32; self.dim];
        let child: ArrayRef = match self.t {
            DataType::FloatVector => {
                let mut values = Vec::with_capacity(rows * self.dim);
                for _ in 0..rows {
                    self.float_row(&mut rng, &mut row);
                    values.extend_from_slice(&row);
                }
                Arc::new(Float32Array::from(values))
            }
            DataType::Float16Vector | DataType::BFloat16Vector => {
                let mut bytes = Vec::with_capacity(rows * self.dim * 2);
                for _ in 0..rows {
                    self.float_row(&mut rng, &mut row);
                    for &x in &row {
                        let le = if self.t == DataType::Float16Vector {
                            f16::from_f32(x).to_le_bytes()
                        } else {
                            bf16::from_f32(x).to_le_bytes()
                        };
                        bytes.extend_from_slice(&le);
                    }
                }
                Arc::new(UInt8Array::from(bytes))
            }
            DataType::Int8Vector => {
                let mut values = Vec::with_capacity(rows * self.dim);
                for _ in 0..rows {
                    if matches!(self.style, Style::Uniform) {
                        values.extend((0..self.dim).map(|_| rng.random::<i8>()));
                        continue;
                    }
                    self.float_row(&mut rng, &mut row);
                    let peak = row.iter().fold(0f32, |m, x| m.max(x.abs()));
                    let scale = if peak > 0.0 { 127.0 / peak } else { 0.0 };
                    values.extend(row.iter().map(|x| (x * scale).round() as i8));
                }
                Arc::new(Int8Array::from(values))
            }
            DataType::BinaryVector => {
                let mut bytes = Vec::with_capacity(rows * self.dim / 8);
                for _ in 0..rows {
                    self.binary_row(&mut rng, &mut bytes);
                }
                Arc::new(UInt8Array::from(bytes))
            }
            t => {
                return Err(GenerateError::field(
                    &self.path,
                    format!("{t} is not a dense vector type"),
                ));
            }
        };
        let per_row = child.len() / rows.max(1);
        let lengths = vec![Some(per_row); rows];
        list_array(&self.list_type, &lengths, child, &self.path)
    }
}
