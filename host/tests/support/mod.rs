//! Shared by the plugin tests: where the built guests are, and a small dataset writer that
//! drives plugin generators and validators chunk by chunk on N threads into a Parquet file
//! through the project's sink (so a failure leaves no file).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::{ArrayRef, RecordBatch};
use milvus_ingest::format::{LocalSink, Sink, arrow_schema};
use milvus_ingest::generate::{
    BatchValidator, CHUNK_ROWS, ChunkRequest, ColumnGenerator, GenerateError, Violation,
};
use milvus_ingest::plugin::{PluginHost, PluginLimits};
use milvus_ingest::schema::Schema;
use parquet::arrow::ArrowWriter;

/// A built guest component. Missing files are a failure with instructions, never a skip.
pub fn wasm(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: build the guest plugins first with scripts/build-plugins.sh",
        path.display()
    );
    path
}

/// A host with its own compile cache, loaded with `plugins`.
pub fn host_with(
    limits: PluginLimits,
    seed: u64,
    plugins: &[&str],
) -> (PluginHost, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let host = PluginHost::with_cache_dir(limits, seed, Some(cache.path().to_path_buf())).unwrap();
    for p in plugins {
        host.load(&wasm(p)).unwrap();
    }
    (host, cache)
}

pub fn host(seed: u64, plugins: &[&str]) -> (PluginHost, tempfile::TempDir) {
    host_with(PluginLimits::default(), seed, plugins)
}

pub fn limits(memory_mib: usize, timeout_ms: u64) -> PluginLimits {
    PluginLimits {
        memory: memory_mib << 20,
        timeout: Duration::from_millis(timeout_ms),
    }
}

/// A generated chunk and what the validators found in it.
type ChunkResult = Result<(RecordBatch, Vec<Violation>), GenerateError>;

pub struct Outcome {
    pub path: PathBuf,
    pub violations: Vec<Violation>,
}

/// Generates `rows` rows of `schema` (every data field must name a plugin generator) on
/// `threads` threads, runs the schema's validators, and writes `dir/data.parquet`.
pub fn write_parquet(
    schema: &Schema,
    host: &PluginHost,
    dir: &Path,
    rows: u64,
    threads: usize,
) -> Result<Outcome, GenerateError> {
    let fields = schema.data_fields();
    let generators: Vec<Arc<dyn ColumnGenerator>> = fields
        .iter()
        .map(|f| {
            let r = f
                .generator
                .as_ref()
                .expect("test schemas use plugin generators");
            host.resolve_generator(r, f).map_err(GenerateError::from)
        })
        .collect::<Result<_, _>>()?;
    let mut validators: Vec<Arc<dyn BatchValidator>> = Vec::new();
    for f in &fields {
        for r in &f.validators {
            validators.push(
                host.resolve_validator(r, schema, Some(f))
                    .map_err(GenerateError::from)?,
            );
        }
    }
    for r in &schema.validators {
        validators.push(
            host.resolve_validator(r, schema, None)
                .map_err(GenerateError::from)?,
        );
    }
    let arrow = arrow_schema(schema);
    let chunks = rows.div_ceil(CHUNK_ROWS);
    let make = |chunk: u64| -> ChunkResult {
        let first_row = chunk * CHUNK_ROWS;
        let req = ChunkRequest {
            chunk_index: chunk,
            first_row,
            rows: (rows - first_row).min(CHUNK_ROWS) as usize,
        };
        let columns: Vec<ArrayRef> = generators
            .iter()
            .map(|g| g.generate(&req))
            .collect::<Result<_, _>>()?;
        let batch = RecordBatch::try_new(arrow.clone(), columns)
            .map_err(|e| GenerateError::Invalid(e.to_string()))?;
        let mut found = Vec::new();
        for v in &validators {
            found.extend(v.validate(&batch, first_row)?);
        }
        Ok((batch, found))
    };
    // Chunk i goes to thread i % threads; results are reassembled in chunk order.
    let mut results: Vec<Option<ChunkResult>> = (0..chunks).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let make = &make;
                s.spawn(move || {
                    (t as u64..chunks)
                        .step_by(threads)
                        .map(|c| (c, make(c)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (c, r) in h.join().unwrap() {
                results[c as usize] = Some(r);
            }
        }
    });
    let sink = LocalSink::new(dir);
    let mut file = sink.create("data.parquet").map_err(|e| GenerateError::Io {
        what: "creating",
        path: dir.join("data.parquet"),
        source: e,
    })?;
    let mut violations = Vec::new();
    {
        let mut writer = ArrowWriter::try_new(&mut file, arrow.clone(), None)
            .map_err(|e| GenerateError::Invalid(e.to_string()))?;
        for r in results {
            // An error drops `file` on the way out: the sink removes the temporary file.
            let (batch, found) = r.expect("every chunk ran")?;
            violations.extend(found);
            writer
                .write(&batch)
                .map_err(|e| GenerateError::Invalid(e.to_string()))?;
        }
        writer
            .close()
            .map_err(|e| GenerateError::Invalid(e.to_string()))?;
    }
    file.commit().map_err(|e| GenerateError::Io {
        what: "committing",
        path: dir.join("data.parquet"),
        source: e,
    })?;
    Ok(Outcome {
        path: dir.join("data.parquet"),
        violations,
    })
}

/// Every batch of a Parquet file, concatenated.
pub fn read_parquet(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// Names of the entries in `dir` (temporary files included).
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}
