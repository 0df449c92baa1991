//! The floor for Parquet output: how long a bare single-threaded `ArrowWriter` takes to write
//! the same batches (already in memory) with the same compression. Run by bench/run.sh:
//!
//!   cargo bench --bench parquet_floor -- DATASET_DIR...
//!
//! Each dataset's files are read into memory first (not timed), then written to a temporary
//! file and timed.

use std::fs::File;
use std::time::Instant;

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

fn main() {
    let dirs: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if dirs.is_empty() {
        eprintln!("usage: cargo bench --bench parquet_floor -- DATASET_DIR...");
        return;
    }
    for dir in dirs {
        let mut batches = Vec::new();
        let mut schema = None;
        for entry in std::fs::read_dir(&dir).expect("dataset dir") {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("parquet") {
                continue;
            }
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).expect("open"))
                .expect("parquet")
                .with_batch_size(8192)
                .build()
                .expect("reader");
            for b in reader {
                let b = b.expect("batch");
                schema.get_or_insert_with(|| b.schema());
                batches.push(b);
            }
        }
        let Some(schema) = schema else { continue };
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let out =
            std::env::temp_dir().join(format!("parquet-floor-{}.parquet", std::process::id()));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let started = Instant::now();
        let mut writer =
            ArrowWriter::try_new(File::create(&out).expect("create"), schema, Some(props))
                .expect("writer");
        for b in &batches {
            writer.write(b).expect("write");
        }
        writer.close().expect("close");
        let secs = started.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        let _ = std::fs::remove_file(&out);
        println!(
            "floor {dir}: {rows} rows, {:.1} MB in {secs:.2}s = {:.0} rows/s, {:.0} MB/s (bare ArrowWriter, 1 thread, snappy)",
            bytes as f64 / 1e6,
            rows as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
}
