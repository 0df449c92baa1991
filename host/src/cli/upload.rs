//! `milvus-ingest upload SRC DST`: a dataset directory to object storage (see
//! [`crate::storage::upload`]), with a byte progress bar and a summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::error::CliError;
use super::printer::Printer;
use super::storage_args::StorageArgs;
use crate::storage::bucket::{BucketOutcome, ensure_bucket};
use crate::storage::{Location, Store, UploadOptions, UploadReporter, upload_dir};

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Dataset directory written by `generate`.
    #[arg(
        value_name = "SRC",
        required_unless_present = "local_path",
        conflicts_with = "local_path"
    )]
    pub src: Option<PathBuf>,
    /// Destination: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or a directory.
    #[arg(
        value_name = "DST",
        required_unless_present = "s3_path",
        conflicts_with = "s3_path"
    )]
    pub dst: Option<String>,
    /// SRC in the older `--local-path/--s3-path` form.
    #[arg(long, value_name = "DIR", hide_short_help = true)]
    pub local_path: Option<PathBuf>,
    /// DST in the older `--local-path/--s3-path` form.
    #[arg(long, value_name = "URL", hide_short_help = true)]
    pub s3_path: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Requests (files or 16 MiB parts) in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: u64,
    /// Create the bucket (Azure: the container) when it does not exist; s3:// and az:// only.
    #[arg(long)]
    pub create_bucket: bool,
    #[arg(long)]
    pub no_progress: bool,
}

pub(crate) struct Bar {
    pub bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(enabled: bool) -> Bar {
        let enabled = enabled && std::io::stderr().is_terminal();
        Bar {
            bar: enabled.then(|| {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta}) {msg}",
                    )
                    .expect("valid template"),
                );
                bar
            }),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl UploadReporter for Bar {
    fn planned(&self, files: usize, bytes: u64, skipped: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(bytes);
            bar.set_message(format!("{files} file(s), {skipped} already there"));
        }
    }

    fn transferred(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
}

pub fn run(args: UploadArgs, printer: &Printer) -> Result<(), CliError> {
    let src = args
        .src
        .clone()
        .or(args.local_path.clone())
        .expect("clap requires one");
    let dst = args
        .dst
        .clone()
        .or(args.s3_path.clone())
        .expect("clap requires one");
    let location = Location::parse(&dst)?;
    let store = Store::open(&location, &args.storage.options())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::failure)?;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst));
    }
    let bar = Bar::new(!args.no_progress);
    let summary = runtime.block_on(async {
        if args.create_bucket && ensure_bucket(&store).await? == BucketOutcome::Created {
            printer.status(&format!(
                "created {} for {location}",
                store.kind.bucket_noun()
            ));
        }
        let options = UploadOptions {
            concurrency: args.concurrency as usize,
            ..UploadOptions::default()
        };
        upload_dir(&src, &store, &options, &bar, &cancel).await
    });
    bar.finish();
    let summary = summary?;
    if printer.is_json() {
        printer.json(&summary);
    } else {
        printer.out(&format!(
            "uploaded {} of {} file(s), {} in {:.2}s ({:.1} MB/s), {} already there ({}); all verified by size and ETag -> {}",
            summary.uploaded_files,
            summary.files,
            bytesize::ByteSize(summary.uploaded_bytes),
            summary.seconds,
            summary.megabytes_per_second,
            summary.skipped_files,
            bytesize::ByteSize(summary.skipped_bytes),
            summary.destination
        ));
    }
    Ok(())
}
