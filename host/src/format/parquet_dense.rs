//! A direct encoder for dense vector columns (`list<float>`, `list<uint8>`, `list<int8>` with
//! the same length in every row).
//!
//! The generic Arrow path (`compute_leaves` + `ArrowColumnWriter`) builds, for every 1024-row
//! piece, a definition level, a repetition level and a `usize` value index per element (12 bytes
//! of bookkeeping per 4-byte float) and then gathers the values through those indices. For a
//! 768-d column that is 9 MB of fresh vectors per piece; profiling `news_articles` showed half
//! of all CPU time in the kernel zeroing the pages those vectors grow into. Fixed-length
//! non-null lists have levels that never change (every element is defined; each row starts
//! with repetition level 0, then the list's level), so this encoder keeps one template of
//! levels and hands the contiguous value slice straight to the same parquet column writer.
//! The pages it produces are the bytes the Arrow path produces for the same properties.

use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int8Type, UInt8Type};
use arrow_array::{Array, ArrayRef};
use bytes::Bytes;
use parquet::column::page::{CompressedPage, PageWriteSpec, PageWriter};
use parquet::column::writer::{ColumnCloseResult, ColumnWriter, get_column_writer};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterPropertiesPtr;
use parquet::file::writer::{SerializedPageWriter, SerializedRowGroupWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// The Arrow element type of a dense vector column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Element {
    F32,
    U8,
    I8,
}

/// How to encode one dense vector column: its leaf, element type and values per row.
#[derive(Clone)]
pub(super) struct DenseColumn {
    pub descr: ColumnDescPtr,
    pub element: Element,
    pub per_row: usize,
}

/// Encodes one dense vector column of one row group.
pub(super) struct DenseListWriter {
    writer: ColumnWriter<'static>,
    buffer: Arc<Mutex<Vec<u8>>>,
    per_row: usize,
    element: Element,
    max_def: i16,
    max_rep: i16,
    def: Vec<i16>,
    rep: Vec<i16>,
    /// Element values widened to the INT32 physical type (u8/i8 columns only).
    widened: Vec<i32>,
    name: String,
}

impl DenseListWriter {
    /// `expected_bytes` pre-sizes the output buffer (growing it by doubling costs copies and
    /// page faults on every row group).
    pub fn new(
        column: &DenseColumn,
        props: &WriterPropertiesPtr,
        expected_bytes: usize,
    ) -> DenseListWriter {
        let buffer = Arc::new(Mutex::new(Vec::with_capacity(expected_bytes)));
        let pages = BufferPages {
            sink: TrackedWrite::new(SharedBuf(buffer.clone())),
        };
        let writer = get_column_writer(column.descr.clone(), props.clone(), Box::new(pages));
        DenseListWriter {
            writer,
            buffer,
            per_row: column.per_row,
            element: column.element,
            max_def: column.descr.max_def_level(),
            max_rep: column.descr.max_rep_level(),
            def: Vec::new(),
            rep: Vec::new(),
            widened: Vec::new(),
            name: column.descr.path().string(),
        }
    }

    /// Encodes one piece of the column. Every row must be present and hold exactly
    /// `per_row` non-null elements (dense vectors always do; the engine checks plugin output).
    pub fn write(&mut self, column: &ArrayRef) -> Result<(), ParquetError> {
        let name = self.name.clone();
        let bad =
            |what: &str| ParquetError::General(format!("dense vector column `{name}`: {what}"));
        let list = column
            .as_list_opt::<i32>()
            .ok_or_else(|| bad("not a list"))?;
        if list.null_count() > 0 {
            return Err(bad("null rows"));
        }
        let rows = list.len();
        let offsets = list.value_offsets();
        if offsets
            .windows(2)
            .any(|w| (w[1] - w[0]) as usize != self.per_row)
        {
            return Err(bad("rows of different lengths"));
        }
        let (start, end) = (offsets[0] as usize, offsets[rows] as usize);
        let n = rows * self.per_row;
        if list.values().slice(start, n).null_count() > 0 {
            return Err(bad("null elements"));
        }
        self.extend_levels(n);
        let (def, rep) = (&self.def[..n], &self.rep[..n]);
        let values = list.values();
        match (&mut self.writer, self.element) {
            (ColumnWriter::FloatColumnWriter(w), Element::F32) => {
                let v = &values.as_primitive::<Float32Type>().values()[start..end];
                w.write_batch(v, Some(def), Some(rep))?;
            }
            (ColumnWriter::Int32ColumnWriter(w), Element::U8) => {
                let v = &values.as_primitive::<UInt8Type>().values()[start..end];
                self.widened.clear();
                self.widened.extend(v.iter().map(|b| i32::from(*b)));
                w.write_batch(&self.widened, Some(def), Some(rep))?;
            }
            (ColumnWriter::Int32ColumnWriter(w), Element::I8) => {
                let v = &values.as_primitive::<Int8Type>().values()[start..end];
                self.widened.clear();
                self.widened.extend(v.iter().map(|b| i32::from(*b)));
                w.write_batch(&self.widened, Some(def), Some(rep))?;
            }
            _ => return Err(bad("element type does not match the Parquet column")),
        }
        Ok(())
    }

    /// Levels for at least `n` elements: all defined; repetition 0 at each row start.
    fn extend_levels(&mut self, n: usize) {
        if self.def.len() >= n {
            return;
        }
        let rows = n.div_ceil(self.per_row);
        self.def = vec![self.max_def; rows * self.per_row];
        self.rep = vec![self.max_rep; rows * self.per_row];
        for r in self.rep.iter_mut().step_by(self.per_row) {
            *r = 0;
        }
    }

    pub fn finish(self) -> Result<DenseChunk, ParquetError> {
        let close = self.writer.close()?;
        let data = std::mem::take(&mut *self.buffer.lock().expect("page buffer"));
        Ok(DenseChunk {
            data: Bytes::from(data),
            close,
        })
    }
}

/// A finished dense vector column chunk.
pub(super) struct DenseChunk {
    data: Bytes,
    close: ColumnCloseResult,
}

impl DenseChunk {
    pub fn append_to_row_group<W: Write + Send>(
        self,
        writer: &mut SerializedRowGroupWriter<'_, W>,
    ) -> Result<(), ParquetError> {
        writer.append_column(&self.data, self.close)
    }
}

/// A `Write` into a buffer the encoder reads back after the column writer is closed.
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("page buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Pages serialised exactly as the file writer serialises them, into memory.
struct BufferPages {
    sink: TrackedWrite<SharedBuf>,
}

impl PageWriter for BufferPages {
    fn write_page(&mut self, page: CompressedPage) -> Result<PageWriteSpec, ParquetError> {
        SerializedPageWriter::new(&mut self.sink).write_page(page)
    }

    fn close(&mut self) -> Result<(), ParquetError> {
        self.sink.flush()?;
        Ok(())
    }
}
