//! Parquet output, encoded so Milvus bulk import reads it, with row groups encoded in parallel.
//!
//! Workers turn record batches into finished column chunks ([`RowGroupEncoder`]); the writer
//! thread only appends those bytes in order ([`ParquetFileWriter`]). Encoding is where the CPU
//! goes, so this spreads it over all cores while files stay byte-identical whatever the thread
//! count: each row group is encoded by one worker from the same sequence of pieces.

use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType as ArrowType, SchemaRef};
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::arrow::{ArrowSchemaConverter, add_encoded_arrow_schema_to_metadata};
use parquet::basic::{Compression, Encoding, GzipLevel, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

use super::arrow_types::arrow_schema;
use super::parquet_dense::{DenseChunk, DenseColumn, DenseListWriter, Element};
use super::sink::SinkFile;
use crate::schema::{DataType, Schema};

/// Compression codecs users may choose (`--compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    None,
    #[default]
    Snappy,
    Zstd,
    Lz4,
    Gzip,
}

impl Codec {
    pub const NAMES: &'static str = "none, snappy, zstd, lz4, gzip";

    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Snappy => "snappy",
            Codec::Zstd => "zstd",
            Codec::Lz4 => "lz4",
            Codec::Gzip => "gzip",
        }
    }

    fn compression(self) -> Compression {
        match self {
            Codec::None => Compression::UNCOMPRESSED,
            Codec::Snappy => Compression::SNAPPY,
            Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
            Codec::Lz4 => Compression::LZ4_RAW,
            Codec::Gzip => Compression::GZIP(GzipLevel::default()),
        }
    }
}

impl FromStr for Codec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Ok(Codec::None),
            "snappy" => Ok(Codec::Snappy),
            "zstd" => Ok(Codec::Zstd),
            "lz4" => Ok(Codec::Lz4),
            "gzip" => Ok(Codec::Gzip),
            _ => Err(format!(
                "unknown compression `{s}`; expected one of {}",
                Codec::NAMES
            )),
        }
    }
}

/// Everything needed to encode row groups of one dataset and to write its files.
pub struct ParquetLayout {
    arrow_schema: SchemaRef,
    props: Arc<WriterProperties>,
    root: parquet::schema::types::TypePtr,
    factory: ArrowRowGroupWriterFactory,
    /// Per Arrow field: the leaf writers it takes, and the direct encoder of dense vectors.
    slots: Vec<Slot>,
}

/// How one Arrow field is encoded.
#[derive(Clone)]
enum Slot {
    /// Through `compute_leaves` into this many `ArrowColumnWriter`s.
    Arrow(usize),
    /// A non-null fixed-length vector column (see `parquet_dense`).
    Dense(DenseColumn),
}

impl ParquetLayout {
    pub fn new(schema: &Schema, codec: Codec) -> Result<ParquetLayout, ParquetError> {
        let arrow_schema = arrow_schema(schema);
        let descriptor = ArrowSchemaConverter::new().convert(&arrow_schema)?;
        let mut builder = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(codec.compression())
            .set_created_by(format!("milvus-ingest {}", env!("CARGO_PKG_VERSION")))
            // Row groups are cut by the planner, never by the writer.
            .set_max_row_group_size(usize::MAX)
            .set_statistics_enabled(EnabledStatistics::Chunk);
        for column in descriptor.columns() {
            let top = &column.path().parts()[0];
            let top_type = arrow_schema
                .field_with_name(top)
                .map(|f| f.data_type().clone())
                .unwrap_or(ArrowType::Null);
            if is_high_entropy(&top_type) {
                // Vectors and JSON text never repeat: trying a dictionary or min/max
                // statistics on them costs time and buys nothing.
                let path = ColumnPath::new(column.path().parts().to_vec());
                builder = builder
                    .set_column_dictionary_enabled(path.clone(), false)
                    .set_column_statistics_enabled(path, EnabledStatistics::None);
            }
        }
        let slots = field_slots(schema, &arrow_schema, &descriptor);
        if matches!(codec, Codec::Snappy | Codec::Lz4) {
            // Random f32 directions do not compress (snappy measured 0.999 on 768-d columns)
            // but compressing costs a pass and a buffer per page: the fast codecs skip them.
            // Byte vectors have no 8-bit physical type and are stored as INT32: PLAIN spends
            // 4 bytes per byte and snappy took 44% of multimedia_content's CPU to halve that.
            // Delta bit-packing gets about 1 byte per byte with no codec (profiled: CPU per
            // row -33%, file -27%). zstd and gzip users asked for size, so they keep their
            // codec and the default encodings everywhere.
            for slot in &slots {
                if let Slot::Dense(d) = slot {
                    builder = builder
                        .set_column_compression(d.descr.path().clone(), Compression::UNCOMPRESSED);
                    if d.element != Element::F32 {
                        builder = builder.set_column_encoding(
                            d.descr.path().clone(),
                            Encoding::DELTA_BINARY_PACKED,
                        );
                    }
                }
            }
        }
        let mut props = builder.build();
        add_encoded_arrow_schema_to_metadata(&arrow_schema, &mut props);
        let props = Arc::new(props);
        let root = descriptor.root_schema_ptr();
        // The factory only keeps the schema and properties; it is built from a throwaway
        // writer because its constructor wants one.
        let probe = SerializedFileWriter::new(std::io::sink(), root.clone(), props.clone())?;
        let factory = ArrowRowGroupWriterFactory::new(&probe, arrow_schema.clone());
        drop(probe);
        Ok(ParquetLayout {
            arrow_schema,
            props,
            root,
            factory,
            slots,
        })
    }

    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.arrow_schema
    }

    pub fn row_group_encoder(&self) -> Result<RowGroupEncoder, ParquetError> {
        self.row_group_encoder_for(0)
    }

    /// An encoder for a row group of about `rows` rows (pre-sizes the vector buffers).
    pub fn row_group_encoder_for(&self, rows: u64) -> Result<RowGroupEncoder, ParquetError> {
        let mut arrow = self.factory.create_column_writers(0)?.into_iter();
        let mut fields = Vec::with_capacity(self.slots.len());
        for slot in &self.slots {
            fields.push(match slot {
                Slot::Arrow(leaves) => FieldWriter::Arrow(arrow.by_ref().take(*leaves).collect()),
                Slot::Dense(column) => {
                    // The factory also made a writer for this leaf; it goes unused.
                    arrow.next();
                    let width = if column.element == Element::F32 { 4 } else { 1 };
                    let expected = rows as usize * column.per_row * width;
                    FieldWriter::Dense(Box::new(DenseListWriter::new(
                        column,
                        &self.props,
                        expected + expected / 64,
                    )))
                }
            });
        }
        Ok(RowGroupEncoder {
            fields,
            schema: self.arrow_schema.clone(),
            rows: 0,
        })
    }

    pub fn open<'a>(
        &self,
        file: Box<dyn SinkFile + 'a>,
    ) -> Result<ParquetFileWriter<'a>, ParquetError> {
        let writer =
            SerializedFileWriter::new(SinkWrite(file), self.root.clone(), self.props.clone())?;
        Ok(ParquetFileWriter { writer })
    }
}

/// The leaves of each Arrow field, and which fields take the dense vector encoder: non-null
/// vector fields whose Arrow list holds f32, u8 or i8 elements in one Parquet leaf.
fn field_slots(
    schema: &Schema,
    arrow_schema: &SchemaRef,
    descriptor: &parquet::schema::types::SchemaDescriptor,
) -> Vec<Slot> {
    arrow_schema
        .fields()
        .iter()
        .map(|arrow_field| {
            let leaves: Vec<_> = descriptor
                .columns()
                .iter()
                .filter(|c| c.path().parts()[0] == *arrow_field.name())
                .collect();
            let field = schema.fields.iter().find(|f| f.name == *arrow_field.name());
            let dense = field.and_then(|f| {
                let dim = f.dim? as usize;
                if !f.data_type.is_dense_vector()
                    || f.nullable
                    || f.default_value.is_some()
                    || leaves.len() != 1
                {
                    return None;
                }
                let (element, per_row) = match f.data_type {
                    DataType::FloatVector => (Element::F32, dim),
                    DataType::Float16Vector | DataType::BFloat16Vector => (Element::U8, dim * 2),
                    DataType::BinaryVector => (Element::U8, dim / 8),
                    DataType::Int8Vector => (Element::I8, dim),
                    _ => return None,
                };
                let item = match arrow_field.data_type() {
                    ArrowType::List(item) => item.data_type().clone(),
                    _ => return None,
                };
                let matches = matches!(
                    (element, item),
                    (Element::F32, ArrowType::Float32)
                        | (Element::U8, ArrowType::UInt8)
                        | (Element::I8, ArrowType::Int8)
                );
                (matches && per_row > 0).then(|| DenseColumn {
                    descr: leaves[0].clone(),
                    element,
                    per_row,
                })
            });
            match dense {
                Some(d) => Slot::Dense(d),
                None => Slot::Arrow(leaves.len()),
            }
        })
        .collect()
}

fn is_high_entropy(t: &ArrowType) -> bool {
    match t {
        ArrowType::List(item) => !matches!(item.data_type(), ArrowType::Utf8 | ArrowType::Boolean),
        _ => false,
    }
}

/// Encodes the batches of one row group into finished column chunks.
pub struct RowGroupEncoder {
    fields: Vec<FieldWriter>,
    schema: SchemaRef,
    rows: u64,
}

/// The writers of one Arrow field.
enum FieldWriter {
    Arrow(Vec<ArrowColumnWriter>),
    Dense(Box<DenseListWriter>),
}

/// One finished column chunk of either kind.
enum Chunk {
    Arrow(ArrowColumnChunk),
    Dense(DenseChunk),
}

impl RowGroupEncoder {
    /// Encodes one batch. The sequence of batches decides page boundaries, so callers must cut
    /// a row group into the same pieces whatever their batch size (the engine uses chunk pieces).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        for ((field, column), writer) in self
            .schema
            .fields()
            .iter()
            .zip(batch.columns())
            .zip(&mut self.fields)
        {
            match writer {
                FieldWriter::Dense(w) => w.write(column)?,
                FieldWriter::Arrow(writers) => {
                    let mut writers = writers.iter_mut();
                    for leaf in compute_leaves(field, column)? {
                        writers
                            .next()
                            .ok_or_else(|| {
                                ParquetError::General("more leaves than column writers".into())
                            })?
                            .write(&leaf)?;
                    }
                }
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    pub fn finish(self) -> Result<EncodedRowGroup, ParquetError> {
        let mut chunks = Vec::new();
        for field in self.fields {
            match field {
                FieldWriter::Dense(w) => chunks.push(Chunk::Dense(w.finish()?)),
                FieldWriter::Arrow(writers) => {
                    for w in writers {
                        chunks.push(Chunk::Arrow(w.close()?));
                    }
                }
            }
        }
        Ok(EncodedRowGroup {
            chunks,
            rows: self.rows,
        })
    }
}

/// A finished row group, ready to be appended to a file.
pub struct EncodedRowGroup {
    chunks: Vec<Chunk>,
    pub rows: u64,
}

fn append_chunk<W: Write + Send>(
    chunk: Chunk,
    rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
) -> Result<(), ParquetError> {
    match chunk {
        Chunk::Arrow(c) => c.append_to_row_group(rg),
        Chunk::Dense(c) => c.append_to_row_group(rg),
    }
}

/// Writes the header, appended row groups and footer of one file into a sink file.
pub struct ParquetFileWriter<'a> {
    writer: SerializedFileWriter<SinkWrite<'a>>,
}

impl<'a> ParquetFileWriter<'a> {
    pub fn append(&mut self, row_group: EncodedRowGroup) -> Result<(), ParquetError> {
        let mut rg = self.writer.next_row_group()?;
        for chunk in row_group.chunks {
            append_chunk(chunk, &mut rg)?;
        }
        rg.close()?;
        Ok(())
    }

    pub fn bytes_written(&self) -> usize {
        self.writer.bytes_written()
    }

    /// Writes the footer and returns the sink file, still to be committed.
    pub fn finish(self) -> Result<Box<dyn SinkFile + 'a>, ParquetError> {
        Ok(self.writer.into_inner()?.0)
    }
}

/// Adapts a boxed sink file to the `Write + Send` the Parquet writer wants.
struct SinkWrite<'a>(Box<dyn SinkFile + 'a>);

impl Write for SinkWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Encodes batches into an in-memory file: used to measure bytes per row for planning.
pub fn encoded_size(
    layout: &ParquetLayout,
    batches: &[RecordBatch],
) -> Result<usize, ParquetError> {
    let mut encoder = layout.row_group_encoder()?;
    for b in batches {
        encoder.write(b)?;
    }
    let rg = encoder.finish()?;
    let mut writer =
        SerializedFileWriter::new(Vec::new(), layout.root.clone(), layout.props.clone())?;
    let mut w = writer.next_row_group()?;
    for chunk in rg.chunks {
        append_chunk(chunk, &mut w)?;
    }
    w.close()?;
    Ok(writer.into_inner()?.len())
}

#[cfg(test)]
#[path = "parquet_tests.rs"]
mod tests;
