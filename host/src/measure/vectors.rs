//! Vectors of one field in the form brute force computes on (float, f16, bf16 and int8 decoded
//! to f32; bits as bytes; sparse as sorted (index, value) pairs), read from a dataset's Arrow
//! column, drawn at random, and encoded back into the bytes a search placeholder carries.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int8Type, UInt8Type};
use arrow_array::{Array, ArrayRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use sha2::{Digest, Sha256};

use super::error::{MeasureError, Result};
use super::metric::normalize;
use crate::generate::values::{DEFAULT_DENSITY, DEFAULT_SPARSE_DIM};
use crate::schema::DataType;

/// Int8 vectors: a unit direction scaled so one component's std is about this (as generated).
const INT8_STD: f32 = 32.0;

/// Vectors of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum VectorSet {
    /// `data.len() == rows * dim`.
    Dense {
        dim: usize,
        data: Vec<f32>,
    },
    /// `data.len() == rows * bytes` (`bytes = dim / 8`).
    Binary {
        bytes: usize,
        data: Vec<u8>,
    },
    Sparse {
        rows: Vec<Vec<(u32, f32)>>,
    },
}

impl VectorSet {
    /// An empty set shaped for `data_type` with `dim` (bits for binary vectors).
    pub fn empty(data_type: DataType, dim: usize) -> VectorSet {
        match data_type {
            DataType::BinaryVector => VectorSet::Binary {
                bytes: dim / 8,
                data: Vec::new(),
            },
            DataType::SparseFloatVector => VectorSet::Sparse { rows: Vec::new() },
            _ => VectorSet::Dense {
                dim,
                data: Vec::new(),
            },
        }
    }

    pub fn len(&self) -> usize {
        match self {
            VectorSet::Dense { dim, data } => data.len() / (*dim).max(1),
            VectorSet::Binary { bytes, data } => data.len() / (*bytes).max(1),
            VectorSet::Sparse { rows } => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the vectors of `other` (same shape).
    pub fn extend(&mut self, other: VectorSet) {
        match (self, other) {
            (VectorSet::Dense { data, .. }, VectorSet::Dense { data: more, .. }) => {
                data.extend(more)
            }
            (VectorSet::Binary { data, .. }, VectorSet::Binary { data: more, .. }) => {
                data.extend(more)
            }
            (VectorSet::Sparse { rows }, VectorSet::Sparse { rows: more }) => rows.extend(more),
            _ => panic!("vector sets of different shapes"),
        }
    }

    /// The first `n` vectors.
    pub fn truncate(&mut self, n: usize) {
        match self {
            VectorSet::Dense { dim, data } => data.truncate(n * *dim),
            VectorSet::Binary { bytes, data } => data.truncate(n * *bytes),
            VectorSet::Sparse { rows } => rows.truncate(n),
        }
    }

    /// Vector `i` as the bytes of a search placeholder for a field of `data_type`.
    pub fn encode(&self, data_type: DataType, i: usize) -> Vec<u8> {
        match self {
            VectorSet::Dense { dim, data } => {
                let row = &data[i * dim..(i + 1) * dim];
                match data_type {
                    DataType::Float16Vector => row
                        .iter()
                        .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
                        .collect(),
                    DataType::BFloat16Vector => row
                        .iter()
                        .flat_map(|x| half::bf16::from_f32(*x).to_le_bytes())
                        .collect(),
                    DataType::Int8Vector => row.iter().map(|x| *x as i8 as u8).collect(),
                    _ => row.iter().flat_map(|x| x.to_le_bytes()).collect(),
                }
            }
            VectorSet::Binary { bytes, data } => data[i * bytes..(i + 1) * bytes].to_vec(),
            VectorSet::Sparse { rows } => rows[i]
                .iter()
                .flat_map(|(k, v)| k.to_le_bytes().into_iter().chain(v.to_le_bytes()))
                .collect(),
        }
    }

    /// Feeds every vector into `hasher` (for cache keys).
    pub fn digest_into(&self, hasher: &mut Sha256) {
        match self {
            VectorSet::Dense { dim, data } => {
                hasher.update(b"dense");
                hasher.update((*dim as u64).to_le_bytes());
                for x in data {
                    hasher.update(x.to_le_bytes());
                }
            }
            VectorSet::Binary { bytes, data } => {
                hasher.update(b"binary");
                hasher.update((*bytes as u64).to_le_bytes());
                hasher.update(data);
            }
            VectorSet::Sparse { rows } => {
                hasher.update(b"sparse");
                for row in rows {
                    hasher.update((row.len() as u64).to_le_bytes());
                    for (k, v) in row {
                        hasher.update(k.to_le_bytes());
                        hasher.update(v.to_le_bytes());
                    }
                }
            }
        }
    }

    /// Reads a dataset column of a `data_type` field (Arrow layout of `format::arrow_types`).
    /// `what` names the file and field in errors.
    pub fn from_column(
        data_type: DataType,
        dim: usize,
        column: &ArrayRef,
        what: &str,
    ) -> std::result::Result<VectorSet, String> {
        if column.null_count() > 0 {
            return Err(format!("{what}: null vectors cannot be searched"));
        }
        let wrong = |expected: &str| {
            format!(
                "{what}: expected {expected} for a {data_type}, found {}",
                column.data_type()
            )
        };
        if data_type == DataType::SparseFloatVector {
            let text = column
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong("JSON text"))?;
            let mut rows = Vec::with_capacity(text.len());
            for i in 0..text.len() {
                let (bytes, _) = crate::milvus::convert::encode_sparse(text.value(i))
                    .map_err(|e| format!("{what}: row {i}: {e}"))?;
                rows.push(
                    bytes
                        .chunks_exact(8)
                        .map(|p| {
                            (
                                u32::from_le_bytes(p[..4].try_into().expect("4 bytes")),
                                f32::from_le_bytes(p[4..].try_into().expect("4 bytes")),
                            )
                        })
                        .collect(),
                );
            }
            return Ok(VectorSet::Sparse { rows });
        }
        let list = column.as_list_opt::<i32>().ok_or_else(|| wrong("a list"))?;
        let per_row = match data_type {
            DataType::BinaryVector => dim / 8,
            DataType::Float16Vector | DataType::BFloat16Vector => dim * 2,
            _ => dim,
        };
        // Offsets of a sliced list start anywhere: read the window the rows cover.
        let offsets = list.value_offsets();
        let (start, end) = (offsets[0] as usize, offsets[list.len()] as usize);
        if end - start != per_row * list.len() {
            return Err(format!(
                "{what}: rows do not all hold {per_row} values (dim {dim})"
            ));
        }
        let values = list.values();
        match data_type {
            DataType::FloatVector => {
                let v = values
                    .as_primitive_opt::<Float32Type>()
                    .ok_or_else(|| wrong("List<Float32>"))?;
                Ok(VectorSet::Dense {
                    dim,
                    data: v.values()[start..end].to_vec(),
                })
            }
            DataType::Int8Vector => {
                let v = values
                    .as_primitive_opt::<Int8Type>()
                    .ok_or_else(|| wrong("List<Int8>"))?;
                Ok(VectorSet::Dense {
                    dim,
                    data: v.values()[start..end].iter().map(|x| *x as f32).collect(),
                })
            }
            DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector => {
                let v = values
                    .as_primitive_opt::<UInt8Type>()
                    .ok_or_else(|| wrong("List<UInt8>"))?;
                let bytes = &v.values()[start..end];
                Ok(match data_type {
                    DataType::BinaryVector => VectorSet::Binary {
                        bytes: per_row,
                        data: bytes.to_vec(),
                    },
                    DataType::Float16Vector => VectorSet::Dense {
                        dim,
                        data: bytes
                            .chunks_exact(2)
                            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                            .collect(),
                    },
                    _ => VectorSet::Dense {
                        dim,
                        data: bytes
                            .chunks_exact(2)
                            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                            .collect(),
                    },
                })
            }
            other => Err(format!("{what}: {other} is not a vector type")),
        }
    }

    /// `n` random vectors of a `data_type` field, shaped like generated data: float directions
    /// of unit length (as f16/bf16 after rounding), int8 scaled like the generator does, random
    /// bits, sparse rows of about 1% of a 30,000-index space with positive values.
    pub fn random(data_type: DataType, dim: usize, n: usize, seed: u64) -> VectorSet {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        match data_type {
            DataType::BinaryVector => {
                let mut data = vec![0u8; n * dim / 8];
                rng.fill(&mut data[..]);
                VectorSet::Binary {
                    bytes: dim / 8,
                    data,
                }
            }
            DataType::SparseFloatVector => {
                let space = DEFAULT_SPARSE_DIM;
                let nnz = ((space as f64 * DEFAULT_DENSITY) as usize).max(1);
                let rows = (0..n)
                    .map(|_| {
                        let mut idx: Vec<u32> =
                            (0..nnz).map(|_| rng.random_range(0..space)).collect();
                        idx.sort_unstable();
                        idx.dedup();
                        idx.into_iter()
                            .map(|i| (i, rng.random_range(0.01f32..1.0)))
                            .collect()
                    })
                    .collect();
                VectorSet::Sparse { rows }
            }
            _ => {
                let mut data = vec![0f32; n * dim];
                for row in data.chunks_exact_mut(dim.max(1)) {
                    for x in row.iter_mut() {
                        *x = StandardNormal.sample(&mut rng);
                    }
                    normalize(row);
                    match data_type {
                        DataType::Float16Vector => row
                            .iter_mut()
                            .for_each(|x| *x = half::f16::from_f32(*x).to_f32()),
                        DataType::BFloat16Vector => row
                            .iter_mut()
                            .for_each(|x| *x = half::bf16::from_f32(*x).to_f32()),
                        DataType::Int8Vector => {
                            let scale = INT8_STD * (dim as f32).sqrt();
                            row.iter_mut()
                                .for_each(|x| *x = (*x * scale).round().clamp(-128.0, 127.0));
                        }
                        _ => {}
                    }
                }
                VectorSet::Dense { dim, data }
            }
        }
    }
}

/// Why a column could not be read, as a data error on `path`.
pub(crate) fn column_error(path: &std::path::Path, reason: String) -> MeasureError {
    MeasureError::Data {
        path: path.to_path_buf(),
        reason,
    }
}

/// Checks a sample's size matches what was asked.
pub(crate) fn expect_rows(set: &VectorSet, wanted: usize, what: &str) -> Result<()> {
    if set.len() < wanted {
        return Err(MeasureError::Usage(format!(
            "{what}: only {} vectors available, {wanted} wanted",
            set.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_vectors_have_the_right_shape_and_norm() {
        let f = VectorSet::random(DataType::FloatVector, 32, 10, 1);
        assert_eq!(f.len(), 10);
        if let VectorSet::Dense { data, .. } = &f {
            for row in data.chunks(32) {
                let n: f32 = row.iter().map(|x| x * x).sum();
                assert!((n - 1.0).abs() < 1e-4);
            }
        }
        assert_eq!(f, VectorSet::random(DataType::FloatVector, 32, 10, 1));
        assert_eq!(f.encode(DataType::FloatVector, 3).len(), 32 * 4);
        let h = VectorSet::random(DataType::Float16Vector, 32, 2, 1);
        assert_eq!(h.encode(DataType::Float16Vector, 1).len(), 64);
        let b = VectorSet::random(DataType::BinaryVector, 64, 3, 1);
        assert_eq!(b.len(), 3);
        assert_eq!(b.encode(DataType::BinaryVector, 2).len(), 8);
        let s = VectorSet::random(DataType::SparseFloatVector, 0, 4, 1);
        assert_eq!(s.len(), 4);
        let bytes = s.encode(DataType::SparseFloatVector, 0);
        assert_eq!(bytes.len() % 8, 0);
        let i = VectorSet::random(DataType::Int8Vector, 16, 2, 1);
        assert_eq!(i.encode(DataType::Int8Vector, 0).len(), 16);
    }
}
