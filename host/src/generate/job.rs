//! One generation job from settings to files: builds the row source, measures row width,
//! plans files and row groups, runs the engine and describes the result as `meta.json`.

use std::sync::atomic::AtomicBool;

use super::column::GenContext;
use super::dataset::{GeneratorResolver, RowSource};
use super::engine::{Encoder, OnInvalid, Progress, RunOptions, RunReport, run};
use super::error::GenerateError;
use super::plan::{Plan, SplitRequest, plan};
use super::rng::CHUNK_ROWS;
use crate::format::json_rows::{self, JsonRowsEncoder};
use crate::format::meta::{CollectionConfig, DatasetMeta, GenerationInfo};
use crate::format::parquet::{self, Codec, ParquetLayout};
use crate::format::sink::Sink;
use crate::schema::Schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Parquet(Codec),
    Json,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Parquet(_) => "parquet",
            OutputFormat::Json => "json",
        }
    }
}

#[derive(Debug, Clone)]
pub struct JobSettings {
    pub seed: u64,
    pub split: SplitRequest,
    /// First dataset row this run produces (to generate one shard of a larger dataset).
    pub start_row: u64,
    /// Rows of the whole dataset, for value pools; defaults to `start_row + rows of this run`.
    pub dataset_rows: Option<u64>,
    pub format: OutputFormat,
    pub workers: usize,
    pub batch_rows: u64,
    pub on_invalid: OnInvalid,
    pub collection_config: Option<CollectionConfig>,
}

enum FormatState {
    Parquet(ParquetLayout),
    Json(JsonRowsEncoder),
}

/// A planned job, ready to run.
pub struct Job {
    schema: Schema,
    settings: JobSettings,
    source: RowSource,
    format: FormatState,
    plan: Plan,
    bytes_per_row: f64,
}

impl Job {
    pub fn prepare(
        schema: Schema,
        settings: JobSettings,
        plugins: Option<&dyn GeneratorResolver>,
    ) -> Result<Job, GenerateError> {
        let format = match settings.format {
            OutputFormat::Parquet(codec) => FormatState::Parquet(
                ParquetLayout::new(&schema, codec)
                    .map_err(|e| GenerateError::Invalid(format!("parquet schema: {e}")))?,
            ),
            OutputFormat::Json => FormatState::Json(JsonRowsEncoder::new(&schema)),
        };
        // Pools are sized from the dataset's rows; before planning we only know what was asked.
        let requested = settings
            .split
            .total_rows
            .unwrap_or(super::plan::DEFAULT_TOTAL_ROWS);
        let mut ctx = GenContext {
            seed: settings.seed,
            total_rows: settings
                .dataset_rows
                .unwrap_or(settings.start_row + requested),
        };
        let mut source = RowSource::new(&schema, &ctx, plugins)?;
        let bytes_per_row = measure_row_width(&source, &format)?;
        let plan = plan(
            &settings.split,
            settings.start_row,
            bytes_per_row,
            settings.format.name(),
        )?;
        if settings.dataset_rows.is_none()
            && settings.start_row + plan.total_rows() != ctx.total_rows
        {
            // The total came from --file-count/--file-size: rebuild with the real size.
            ctx.total_rows = settings.start_row + plan.total_rows();
            source = RowSource::new(&schema, &ctx, plugins)?;
        }
        Ok(Job {
            schema,
            settings,
            source,
            format,
            plan,
            bytes_per_row,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Replaces the file plan, e.g. by one shard's slice of the whole dataset's plan
    /// (`shard::ShardLayout`). Values stay those of the dataset the job was prepared for, since
    /// they depend only on (seed, schema, field, row index).
    pub fn with_plan(mut self, plan: Plan) -> Job {
        self.plan = plan;
        self
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    pub fn source(&self) -> &RowSource {
        &self.source
    }

    pub fn bytes_per_row(&self) -> f64 {
        self.bytes_per_row
    }

    /// Writes every data file into `sink` and returns the report and the dataset description
    /// (the caller writes `meta.json` last, once the data is complete).
    pub fn run(
        &self,
        sink: &dyn Sink,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<(RunReport, DatasetMeta), GenerateError> {
        let options = RunOptions {
            workers: self.settings.workers,
            batch_rows: self.settings.batch_rows,
            on_invalid: self.settings.on_invalid,
        };
        let encoder = match &self.format {
            FormatState::Parquet(layout) => Encoder::Parquet(layout),
            FormatState::Json(json) => Encoder::Json(json),
        };
        let report = run(
            &self.source,
            encoder,
            &self.plan,
            sink,
            &options,
            progress,
            cancel,
        )?;
        let meta = DatasetMeta {
            schema: self.schema.clone(),
            generation_info: GenerationInfo {
                total_rows: report.rows,
                format: self.settings.format.name().to_string(),
                seed: self.settings.seed,
                file_count: report.files.len(),
                data_files: report.files.clone(),
                start_row: self.settings.start_row,
                compression: match self.settings.format {
                    OutputFormat::Parquet(codec) => Some(codec.name().to_string()),
                    OutputFormat::Json => None,
                },
                generation_time: report.seconds,
                rows_per_second: report.rows as f64 / report.seconds.max(1e-9),
                total_size_bytes: report.bytes,
                generator: format!("milvus-ingest {}", env!("CARGO_PKG_VERSION")),
            },
            collection_config: self.settings.collection_config.clone(),
        };
        Ok((report, meta))
    }
}

/// Encoded bytes per row, measured on the dataset's first chunk.
fn measure_row_width(source: &RowSource, format: &FormatState) -> Result<f64, GenerateError> {
    let sample = source.batch(0, CHUNK_ROWS)?;
    let bytes = match format {
        FormatState::Parquet(layout) => {
            parquet::encoded_size(layout, std::slice::from_ref(&sample))
                .map_err(|e| GenerateError::Invalid(format!("measuring row width: {e}")))?
        }
        FormatState::Json(json) => json_rows::encoded_size(json, std::slice::from_ref(&sample)),
    };
    Ok(bytes as f64 / sample.num_rows().max(1) as f64)
}
