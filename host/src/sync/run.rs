//! One sync run: resolve the target (creating the collection and alias when missing), load or
//! start the checkpoint, run the initial pass (`scan.rs`), flush, and with `--follow` apply the
//! change stream. A run killed at any point re-reads at most the requests that were in flight,
//! and upserts make writing them again harmless.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bson::Bson;
use tokio::task::block_in_place;

use super::batch::Prepared;
use super::checkpoint::{Checkpoint, Identity, checkpoint_path};
use super::error::SyncError;
use super::follow::follow;
use super::handlers::ResolvedHandler;
use super::report::{ReportFile, SyncReporter, SyncSummary};
use super::scan::{Reader, scan};
use super::target::{Target, ensure, handler_schema};
use crate::milvus::collection::flush;
use crate::milvus::query::Pk;
use crate::milvus::{Client, MilvusError};
use crate::mongo::changes::{token_from_json, token_to_json};
use crate::mongo::{FileSource, LiveSource, TimeWindow};
use crate::schema::Schema;

/// Where documents come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A live server; `database` overrides the handler's (and the URI's) default.
    Live {
        uri: String,
        database: Option<String>,
    },
    /// mongodump / mongoexport files, read in this order.
    Files(Vec<PathBuf>),
}

/// How to run, resolved from flags by the CLI.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Documents per handler call (and per checkpoint step).
    pub batch_size: usize,
    /// Read at most this many documents (counted across resumed runs).
    pub limit: Option<u64>,
    pub days: Option<u32>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Write requests in flight.
    pub concurrency: usize,
    /// Bytes of columns per write request at most: consecutive batches are merged up to this
    /// (a single batch over it still goes alone; 0: no merging).
    pub max_request_bytes: usize,
    /// Attempts per request for transient errors.
    pub attempts: u32,
    /// Batches converted at once (one thread each).
    pub convert_threads: usize,
    pub dry_run: bool,
    pub resume: bool,
    pub follow: bool,
    /// Where the checkpoint lives (see [`super::checkpoint`]).
    pub state_dir: PathBuf,
    pub report: Option<PathBuf>,
    /// Write to this Milvus name instead of the handler's.
    pub milvus_name: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            batch_size: 500,
            limit: None,
            days: None,
            since: None,
            until: None,
            concurrency: 4,
            max_request_bytes: 16 << 20,
            attempts: 6,
            convert_threads: std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
            dry_run: false,
            resume: false,
            follow: false,
            state_dir: super::checkpoint::default_state_dir(),
            report: None,
            milvus_name: None,
        }
    }
}

/// Everything the batches of one run share.
pub(crate) struct Ctx<'a> {
    pub client: Option<&'a Client>,
    pub handler: &'a ResolvedHandler,
    pub schema: Arc<Schema>,
    pub pk_field: String,
    /// The name written to (an alias) and the real collection behind it.
    pub name: String,
    pub real: String,
    pub options: &'a SyncOptions,
    pub checkpoint_path: PathBuf,
}

/// The per-document bookkeeping shared by the scan and `--follow`.
pub(crate) struct Books {
    pub summary: SyncSummary,
    pub report: Option<ReportFile>,
}

impl Books {
    pub fn skipped(&mut self, prepared: &Prepared) -> Result<(), SyncError> {
        self.summary.converted += prepared.converted;
        self.summary.collapsed += prepared.collapsed;
        for s in &prepared.skipped {
            self.summary.skip(&s.reason);
            if let Some(r) = &mut self.report {
                r.line(&s.id, "skipped", &s.reason)?;
            }
        }
        Ok(())
    }

    pub fn failed(&mut self, keys: &[Pk], error: &MilvusError) -> Result<(), SyncError> {
        self.summary.failed += keys.len() as u64;
        let reason = format!("write failed: {error}");
        if let Some(r) = &mut self.report {
            for k in keys {
                let id = match k {
                    Pk::Int(i) => i.to_string(),
                    Pk::Str(s) => s.clone(),
                };
                r.line(&id, "failed", &reason)?;
            }
        }
        self.summary.failures.push(error.to_string());
        Ok(())
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs a sync: the initial pass, then (with `follow`) the change stream until Ctrl-C or
/// SIGTERM. `client` may be None only for a dry run. `Err` for problems that stop the run
/// (bad input, handler failure, unreachable servers); write failures are counted in the summary.
pub async fn run_sync(
    client: Option<&Client>,
    handler: &ResolvedHandler,
    source: Source,
    options: &SyncOptions,
    reporter: &dyn SyncReporter,
) -> Result<SyncSummary, SyncError> {
    let started = Instant::now();
    let desc = handler.handler.describe().clone();
    let schema = Arc::new(handler_schema(&desc)?);
    let pk_field = schema.primary().expect("checked").name.clone();
    let name = options
        .milvus_name
        .clone()
        .unwrap_or_else(|| handler.collection_name.clone());
    if options.batch_size == 0 {
        return Err(SyncError::Usage("--batch-size must be at least 1".into()));
    }
    if client.is_none() && !options.dry_run {
        return Err(SyncError::Usage(
            "a Milvus connection is needed unless --dry-run".into(),
        ));
    }
    if options.follow && matches!(source, Source::Files(_)) {
        return Err(SyncError::Usage(
            "--follow tails a live collection's change stream; it cannot follow files".into(),
        ));
    }
    if options.follow && options.dry_run {
        return Err(SyncError::Usage(
            "--follow and --dry-run contradict each other".into(),
        ));
    }
    let mut window = TimeWindow::from_flags(
        &desc.source_time_field,
        options.days,
        options.since.as_deref(),
        options.until.as_deref(),
        now_ms(),
    )
    .map_err(SyncError::Usage)?;

    let live = match &source {
        Source::Live { uri, database } => Some(
            LiveSource::connect(
                uri,
                database.as_deref(),
                &desc.source_database,
                &desc.source_collection,
            )
            .await?,
        ),
        Source::Files(_) => None,
    };
    let source_name = match (&source, &live) {
        (_, Some(l)) => format!("{}/{}", l.uri(), l.namespace()),
        (Source::Files(files), _) => format!(
            "files:{}",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        _ => unreachable!("a live source is connected"),
    };
    let (milvus_uri, db_name) = client
        .map(|c| (c.uri.clone(), c.db_name.clone()))
        .unwrap_or_default();
    let identity = Identity {
        collection_type: handler.collection_type.clone(),
        milvus_uri,
        db_name,
        collection: name.clone(),
        source: source_name.clone(),
        days: options.days,
        window: window.clone(),
        limit: options.limit,
    };
    let cp_path = checkpoint_path(&options.state_dir, &name);
    let mut cp = match options
        .resume
        .then(|| Checkpoint::load(&cp_path))
        .transpose()?
        .flatten()
    {
        Some(cp) => {
            cp.check_matches(&cp_path, &identity)?;
            // A rolling --days window keeps the instant it started from.
            window = cp.identity.window.clone();
            cp
        }
        None => {
            if options.resume {
                reporter.warning(&format!(
                    "no checkpoint at {}: starting from the beginning",
                    cp_path.display()
                ));
            }
            Checkpoint::new(identity)
        }
    };
    let resumed_after = (options.resume && (cp.read > 0 || cp.scan_complete)).then_some(cp.read);

    let mut follow_on = options.follow;
    if let (true, Some(l)) = (follow_on, &live)
        && let Err(reason) = l.change_streams().await?
    {
        reporter.warning(&format!(
            "--follow needs a change stream, and {} is {reason}: syncing once instead (schedule it with --since, or run MongoDB as a replica set)",
            l.uri()
        ));
        follow_on = false;
    }

    let target = match (client, options.dry_run) {
        (Some(c), false) => Some(ensure(c, &schema, &name).await?),
        _ => None,
    };
    let real = target
        .as_ref()
        .map_or_else(|| name.clone(), |t: &Target| t.real.clone());
    let ctx = Ctx {
        client,
        handler,
        schema: schema.clone(),
        pk_field,
        name: name.clone(),
        real: real.clone(),
        options,
        checkpoint_path: cp_path.clone(),
    };
    let mut books = Books {
        summary: SyncSummary {
            collection_type: handler.collection_type.clone(),
            collection: name.clone(),
            real_collection: real,
            target: match &target {
                None => "dry run".into(),
                Some(t) if t.created => "created".into(),
                Some(_) => "reused".into(),
            },
            source: source_name,
            dry_run: options.dry_run,
            resumed_after,
            checkpoint: (!options.dry_run).then(|| cp_path.clone()),
            ..Default::default()
        },
        report: options
            .report
            .as_deref()
            .map(ReportFile::create)
            .transpose()?,
    };

    // The change stream opens before the scan, so nothing written meanwhile is missed.
    let mut changes = match (follow_on, &live) {
        (true, Some(l)) => {
            let token = cp
                .resume_token
                .as_ref()
                .map(token_from_json)
                .transpose()
                .map_err(|e| SyncError::Checkpoint {
                    path: cp_path.clone(),
                    reason: format!("bad resume token: {e}"),
                })?;
            let c = l.watch(token).await?;
            if cp.resume_token.is_none() {
                cp.resume_token = c.resume_token().as_ref().map(token_to_json);
            }
            Some(c)
        }
        _ => None,
    };

    let left = options.limit.map(|l| l.saturating_sub(cp.read));
    let mut reader = match (&live, &source) {
        (Some(l), _) => {
            let after = cp
                .last_id
                .as_ref()
                .map(|v| Bson::try_from(v.clone()))
                .transpose()
                .map_err(|e| SyncError::Checkpoint {
                    path: cp_path.clone(),
                    reason: format!("bad last _id: {e}"),
                })?;
            Reader::Live(Box::new(
                l.scan(
                    window.to_filter(),
                    after.as_ref(),
                    left,
                    options.batch_size as u32,
                )
                .await?,
            ))
        }
        (None, Source::Files(files)) => {
            let mut fs = FileSource::open(files, window.clone())?;
            block_in_place(|| fs.skip(cp.position))?;
            Reader::Files { source: fs, left }
        }
        (None, Source::Live { .. }) => unreachable!("connected above"),
    };
    reporter.start(left);

    let ok = scan(&ctx, &mut reader, &mut cp, &mut books, reporter).await?;
    let written = books.summary.upserted + books.summary.deleted > 0;
    if let (Some(c), false, true) = (client, options.dry_run, written)
        && let Err(e) = flush(c, &ctx.real, Duration::from_secs(120)).await
    {
        reporter.warning(&format!(
            "flush of `{}` failed (the rows are written and will be sealed by the server): {e}",
            ctx.real
        ));
    }
    if let (true, Some(changes)) = (ok, changes.as_mut()) {
        reporter.following();
        books.summary.stopped = follow(&ctx, changes, &mut cp, &mut books, reporter).await?;
    }
    if let Some(r) = books.report.take() {
        r.finish()?;
    }
    let mut summary = books.summary;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rows_per_second = summary.read as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}
