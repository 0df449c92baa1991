//! The dense vector encoder must write the bytes parquet's own Arrow writer writes.

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;

use super::*;
use crate::generate::GenContext;
use crate::generate::dataset::RowSource;
use crate::schema::load_builtin;

/// Every vector type (multimedia_content: f32, f16 bytes, bits; simple/news: f32) through the
/// layout's encoder and through `ArrowWriter` with the same properties: identical files.
#[test]
fn dense_vector_columns_match_the_arrow_writer_byte_for_byte() {
    for name in ["multimedia_content", "news_articles", "simple"] {
        // Whatever the codec (snappy leaves FloatVector chunks uncompressed in both).
        for codec in [Codec::Snappy, Codec::Zstd, Codec::None] {
            let schema = load_builtin(name).unwrap();
            let ctx = GenContext {
                seed: 11,
                total_rows: 3000,
            };
            let source = RowSource::new(&schema, &ctx, None).unwrap();
            let pieces: Vec<RecordBatch> =
                source.pieces(0, 2500).collect::<Result<_, _>>().unwrap();
            let layout = ParquetLayout::new(&schema, codec).unwrap();
            assert!(
                layout.slots.iter().any(|s| matches!(s, Slot::Dense(_))),
                "{name}"
            );

            let mut ours = layout.row_group_encoder_for(2500).unwrap();
            for p in &pieces {
                ours.write(p).unwrap();
            }
            let mut writer =
                SerializedFileWriter::new(Vec::new(), layout.root.clone(), layout.props.clone())
                    .unwrap();
            let mut rg = writer.next_row_group().unwrap();
            for chunk in ours.finish().unwrap().chunks {
                append_chunk(chunk, &mut rg).unwrap();
            }
            rg.close().unwrap();
            let ours = writer.into_inner().unwrap();

            let options = ArrowWriterOptions::new()
                .with_properties((*layout.props).clone())
                .with_skip_arrow_metadata(true);
            let mut reference =
                ArrowWriter::try_new_with_options(Vec::new(), layout.arrow_schema.clone(), options)
                    .unwrap();
            for p in &pieces {
                reference.write(p).unwrap();
            }
            let reference = reference.into_inner().unwrap();
            assert!(ours == reference, "{name} {codec:?}: files differ");
        }
    }
}
