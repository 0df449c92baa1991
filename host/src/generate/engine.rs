//! The runner: encodes a plan's segments on worker threads and writes them in order.
//!
//! Workers take segments in plan order and encode each completely (a Parquet row group or a
//! JSON block); the calling thread appends finished segments to their files in order. Workers
//! may run at most `window` segments ahead of the writer, so memory is bounded by
//! threads x segment size, never by the dataset. Output does not depend on the thread count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use arrow_array::RecordBatch;

use super::column::Violation;
use super::dataset::RowSource;
use super::error::GenerateError;
use super::plan::{Plan, Segment};
use super::rng::CHUNK_ROWS;
use crate::format::json_rows::{JsonFileWriter, JsonRowsEncoder};
use crate::format::meta::DataFile;
use crate::format::parquet::{EncodedRowGroup, ParquetFileWriter, ParquetLayout};
use crate::format::sink::Sink;

/// Reports progress; the CLI draws a bar, tests and libraries pass [`NoProgress`].
pub trait Progress: Sync {
    fn start(&self, _total_rows: u64) {}
    fn rows_done(&self, _rows: u64, _bytes_so_far: u64) {}
    fn finish(&self) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// What to do when a validator reports violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInvalid {
    #[default]
    Fail,
    Report,
}

/// The file format and its encoder settings.
pub enum Encoder<'a> {
    Parquet(&'a ParquetLayout),
    Json(&'a JsonRowsEncoder),
}

impl Encoder<'_> {
    pub fn extension(&self) -> &'static str {
        match self {
            Encoder::Parquet(_) => "parquet",
            Encoder::Json(_) => "json",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub workers: usize,
    /// Rows generated in memory at once by a worker; rounded up to whole chunks.
    pub batch_rows: u64,
    pub on_invalid: OnInvalid,
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub files: Vec<DataFile>,
    pub rows: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub violations: u64,
    /// The first few violations, for the summary.
    pub violation_samples: Vec<(String, Violation)>,
}

const VIOLATION_SAMPLES: usize = 20;

enum Encoded {
    Parquet(EncodedRowGroup),
    Json(Vec<u8>),
}

struct SegmentOutput {
    encoded: Encoded,
    rows: u64,
    violations: u64,
    samples: Vec<(String, Violation)>,
}

/// Runs `plan` and writes every file into `sink`. On error or cancellation no file of this run
/// is left half-written (files already committed stay; the caller owns the directory).
pub fn run(
    source: &RowSource,
    encoder: Encoder<'_>,
    plan: &Plan,
    sink: &dyn Sink,
    options: &RunOptions,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<RunReport, GenerateError> {
    let started = Instant::now();
    let segments = plan.segments();
    let workers = options.workers.max(1).min(segments.len().max(1));
    let window = workers * 2;
    let batch_chunks = options.batch_rows.div_ceil(CHUNK_ROWS).max(1);
    progress.start(plan.total_rows());

    let next_segment = AtomicUsize::new(0);
    let written = (Mutex::new(0usize), Condvar::new());
    let failed = AtomicBool::new(false);
    let (tx, rx) = crossbeam_channel::unbounded::<(usize, Result<SegmentOutput, GenerateError>)>();

    let result = std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next_segment, written, failed, segments, encoder) =
                (&next_segment, &written, &failed, &segments, &encoder);
            scope.spawn(move || {
                loop {
                    let index = next_segment.fetch_add(1, Ordering::SeqCst);
                    if index >= segments.len() {
                        break;
                    }
                    // Stay within `window` segments of the writer.
                    {
                        let (lock, cvar) = written;
                        let mut done = lock.lock().expect("writer lock");
                        // A timed wait: cancellation (Ctrl-C) arrives without notifying.
                        while index >= *done + window
                            && !failed.load(Ordering::SeqCst)
                            && !cancel.load(Ordering::SeqCst)
                        {
                            done = cvar
                                .wait_timeout(done, std::time::Duration::from_millis(50))
                                .expect("writer lock")
                                .0;
                        }
                    }
                    if failed.load(Ordering::SeqCst) || cancel.load(Ordering::SeqCst) {
                        break;
                    }
                    let out = encode_segment(
                        source,
                        encoder,
                        &segments[index],
                        batch_chunks,
                        options.on_invalid,
                        cancel,
                    );
                    let stop = out.is_err();
                    if tx.send((index, out)).is_err() || stop {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let outcome = write_in_order(
            &segments, plan, &encoder, sink, &rx, &written, progress, cancel,
        );
        if outcome.is_err() {
            failed.store(true, Ordering::SeqCst);
            written.1.notify_all();
            // Drain so workers blocked on nothing but the channel can finish.
            while rx.recv().is_ok() {}
        }
        outcome
    });
    progress.finish();
    let mut report = result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn encode_segment(
    source: &RowSource,
    encoder: &Encoder<'_>,
    segment: &Segment,
    batch_chunks: u64,
    on_invalid: OnInvalid,
    cancel: &AtomicBool,
) -> Result<SegmentOutput, GenerateError> {
    let mut violations = 0u64;
    let mut samples = Vec::new();
    let mut check = |batch: &RecordBatch, first_row: u64| -> Result<(), GenerateError> {
        for validator in source.validators() {
            let found = validator.validate(batch, first_row)?;
            if found.is_empty() {
                continue;
            }
            if on_invalid == OnInvalid::Fail {
                let v = &found[0];
                return Err(GenerateError::Invalid(format!(
                    "validator `{}`: row {}, field `{}`: {} ({} violation(s) in this batch; use --on-invalid report to write anyway)",
                    validator.name(),
                    v.row,
                    v.field,
                    v.message,
                    found.len()
                )));
            }
            violations += found.len() as u64;
            for v in found
                .into_iter()
                .take(VIOLATION_SAMPLES.saturating_sub(samples.len()))
            {
                samples.push((validator.name().to_string(), v));
            }
        }
        Ok(())
    };

    let end = segment.first_row + segment.rows;
    let batch_rows = batch_chunks * CHUNK_ROWS;
    let encoded = match encoder {
        Encoder::Parquet(layout) => {
            let mut rg = layout
                .row_group_encoder_for(segment.rows)
                .map_err(|e| GenerateError::Invalid(format!("parquet encoder: {e}")))?;
            // Generate a batch of chunks at a time, encode chunk by chunk.
            let mut start = segment.first_row;
            while start < end {
                if cancel.load(Ordering::SeqCst) {
                    return Err(GenerateError::Interrupted);
                }
                let stop = end.min((start / CHUNK_ROWS) * CHUNK_ROWS + batch_rows);
                let pieces: Vec<RecordBatch> =
                    source.pieces(start, stop).collect::<Result<_, _>>()?;
                let mut row = start;
                for piece in &pieces {
                    check(piece, row)?;
                    rg.write(piece).map_err(|e| {
                        GenerateError::Invalid(format!("encoding rows from {row}: {e}"))
                    })?;
                    row += piece.num_rows() as u64;
                }
                start = stop;
            }
            Encoded::Parquet(
                rg.finish()
                    .map_err(|e| GenerateError::Invalid(format!("parquet encoder: {e}")))?,
            )
        }
        Encoder::Json(json) => {
            let mut out = Vec::new();
            let mut start = segment.first_row;
            while start < end {
                if cancel.load(Ordering::SeqCst) {
                    return Err(GenerateError::Interrupted);
                }
                let stop = end.min((start / CHUNK_ROWS) * CHUNK_ROWS + batch_rows);
                let mut row = start;
                for piece in source.pieces(start, stop) {
                    let piece = piece?;
                    check(&piece, row)?;
                    json.encode_rows(&piece, &mut out);
                    row += piece.num_rows() as u64;
                }
                start = stop;
            }
            Encoded::Json(out)
        }
    };
    Ok(SegmentOutput {
        encoded,
        rows: segment.rows,
        violations,
        samples,
    })
}

/// An open output file of either format.
enum OpenFile<'a> {
    Parquet(ParquetFileWriter<'a>),
    Json(JsonFileWriter<'a>),
}

#[allow(clippy::too_many_arguments)]
fn write_in_order(
    segments: &[Segment],
    plan: &Plan,
    encoder: &Encoder<'_>,
    sink: &dyn Sink,
    rx: &crossbeam_channel::Receiver<(usize, Result<SegmentOutput, GenerateError>)>,
    written: &(Mutex<usize>, Condvar),
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<RunReport, GenerateError> {
    let mut report = RunReport::default();
    let mut pending: BTreeMap<usize, SegmentOutput> = BTreeMap::new();
    let mut open: Option<(usize, OpenFile<'_>)> = None;
    let mut next = 0usize;
    let mut bytes_done = 0u64;
    let io = |name: &str, e: &dyn std::fmt::Display| GenerateError::Write {
        path: sink.display(name).into(),
        message: e.to_string(),
    };

    while next < segments.len() {
        if cancel.load(Ordering::SeqCst) {
            return Err(GenerateError::Interrupted);
        }
        let (index, out) = rx
            .recv()
            .map_err(|_| GenerateError::Invalid("a worker thread stopped unexpectedly".into()))?;
        pending.insert(index, out?);
        while let Some(out) = pending.remove(&next) {
            let segment = segments[next];
            let file = &plan.files[segment.file];
            if open.as_ref().map(|(i, _)| *i) != Some(segment.file) {
                let sink_file = sink.create(&file.name).map_err(|e| io(&file.name, &e))?;
                let writer = match encoder {
                    Encoder::Parquet(layout) => {
                        OpenFile::Parquet(layout.open(sink_file).map_err(|e| io(&file.name, &e))?)
                    }
                    Encoder::Json(_) => OpenFile::Json(
                        JsonFileWriter::open(sink_file).map_err(|e| io(&file.name, &e))?,
                    ),
                };
                open = Some((segment.file, writer));
            }
            let (_, writer) = open.as_mut().expect("opened above");
            match (writer, out.encoded) {
                (OpenFile::Parquet(w), Encoded::Parquet(rg)) => {
                    w.append(rg).map_err(|e| io(&file.name, &e))?
                }
                (OpenFile::Json(w), Encoded::Json(bytes)) => {
                    w.append(&bytes).map_err(|e| io(&file.name, &e))?
                }
                _ => unreachable!("one encoder per run"),
            }
            report.rows += out.rows;
            report.violations += out.violations;
            for s in out.samples {
                if report.violation_samples.len() < VIOLATION_SAMPLES {
                    report.violation_samples.push(s);
                }
            }
            let file_ends = segment.first_row + segment.rows == file.first_row + file.rows;
            if file_ends {
                let (_, writer) = open.take().expect("open file");
                let sink_file = match writer {
                    OpenFile::Parquet(w) => w.finish().map_err(|e| io(&file.name, &e))?,
                    OpenFile::Json(w) => w.finish().map_err(|e| io(&file.name, &e))?,
                };
                let size = sink_file.commit().map_err(|e| io(&file.name, &e))?;
                bytes_done += size;
                report.files.push(DataFile {
                    file_name: file.name.clone(),
                    rows: file.rows,
                    file_size_bytes: size,
                    first_row: file.first_row,
                });
            }
            next += 1;
            {
                let (lock, cvar) = written;
                *lock.lock().expect("writer lock") = next;
                cvar.notify_all();
            }
            progress.rows_done(report.rows, bytes_done);
        }
    }
    report.bytes = bytes_done;
    Ok(report)
}
