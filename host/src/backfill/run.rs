//! The backfill loop. Per round: read up to `batch × concurrency` selected documents in `_id`
//! order, embed their texts (several requests in flight), check the vectors, then (with
//! `--sync`) upsert the updated documents into Milvus through the sync path, then `$set`
//! vector, model name and `updated_at` in MongoDB, then move the checkpoint past the round.
//!
//! Milvus goes before MongoDB on purpose: if the Mongo write fails, the document still needs a
//! vector and the next run redoes both; the other order could leave a document that is no
//! longer selected but never reached Milvus.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bson::{Bson, DateTime, Document};
use tokio::task::block_in_place;

use super::checkpoint::{Checkpoint, Identity};
use super::error::BackfillError;
use super::select::{classify, selection_filter, set_path, text_of};
use super::summary::BackfillSummary;
use super::vectors::{TextResult, embed_all};
use crate::embed::EmbedClient;
use crate::milvus::Client;
use crate::milvus::collection::flush;
use crate::mongo::{LiveSource, SourceDoc, TimeWindow, id_key};
use crate::plugin::EmbeddingDesc;
use crate::sync::SyncReporter;
use crate::sync::batch::{Item, prepare};
use crate::sync::checkpoint::checkpoint_path;
use crate::sync::handlers::ResolvedHandler;
use crate::sync::report::ReportFile;
use crate::sync::target::{ensure, handler_schema};
use crate::sync::write::send;

/// How to run, resolved from flags by the CLI.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// `--model`: sent with every request, compared with and written to the model field.
    pub model: String,
    /// Texts per embeddings request.
    pub batch: usize,
    /// UTF-8 bytes per request at most (a longer text goes alone).
    pub max_batch_bytes: usize,
    /// Embeddings requests in flight.
    pub concurrency: usize,
    /// Handle at most this many documents (across resumed runs).
    pub limit: Option<u64>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Only documents with no vector (missing, null, empty); keep wrong-dim and other-model ones.
    pub only_missing: bool,
    /// Cut longer vectors to the handler's dim and re-normalise them.
    pub truncate_dim: bool,
    pub dry_run: bool,
    pub resume: bool,
    pub state_dir: PathBuf,
    pub report: Option<PathBuf>,
    /// With `--sync`: the Milvus name to upsert into instead of the handler's.
    pub milvus_name: Option<String>,
    /// Attempts per Milvus request for transient errors.
    pub attempts: u32,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions {
            model: String::new(),
            batch: 64,
            max_batch_bytes: 1 << 20,
            concurrency: 4,
            limit: None,
            since: None,
            until: None,
            only_missing: false,
            truncate_dim: false,
            dry_run: false,
            resume: false,
            state_dir: super::checkpoint::default_state_dir(),
            report: None,
            milvus_name: None,
            attempts: 6,
        }
    }
}

/// Where MongoDB is.
#[derive(Debug, Clone)]
pub struct MongoTarget {
    pub uri: String,
    /// Overrides the URI's and the handler's database.
    pub database: Option<String>,
}

/// The Milvus side of `--sync`.
struct SyncSide<'a> {
    client: &'a Client,
    schema: Arc<crate::schema::Schema>,
    pk_field: String,
    name: String,
    real: String,
}

/// The handler's embedding declaration, or why it cannot backfill.
pub fn embedding_of(handler: &ResolvedHandler) -> Result<EmbeddingDesc, BackfillError> {
    handler
        .handler
        .describe()
        .embedding
        .clone()
        .ok_or_else(|| BackfillError::NoEmbedding {
            collection_type: handler.collection_type.clone(),
            plugin: handler.handler.plugin().name().to_string(),
            interface: handler.handler.plugin().info().interface_version.clone(),
        })
}

/// Runs a backfill. `embed` may be None only for a dry run; `milvus` is Some for `--sync`.
/// `Err` for problems that stop the run (bad input, unreachable servers, an endpoint answering
/// with the wrong dimension or refusing the key); per-document failures are in the summary.
pub async fn run_backfill(
    handler: &ResolvedHandler,
    mongo: &MongoTarget,
    embed: Option<&EmbedClient>,
    milvus: Option<&Client>,
    options: &BackfillOptions,
    reporter: &dyn SyncReporter,
) -> Result<BackfillSummary, BackfillError> {
    let started = Instant::now();
    let emb = embedding_of(handler)?;
    let desc = handler.handler.describe().clone();
    if options.model.trim().is_empty() {
        return Err(BackfillError::Usage(
            "--model must name the embedding model".into(),
        ));
    }
    if options.batch == 0 || options.concurrency == 0 {
        return Err(BackfillError::Usage(
            "--batch and --concurrency must be at least 1".into(),
        ));
    }
    if embed.is_none() && !options.dry_run {
        return Err(BackfillError::Usage(
            "an embeddings endpoint is needed unless --dry-run".into(),
        ));
    }
    let window = TimeWindow::from_flags(
        &desc.source_time_field,
        None,
        options.since.as_deref(),
        options.until.as_deref(),
        chrono::Utc::now().timestamp_millis(),
    )
    .map_err(BackfillError::Usage)?;
    let source = LiveSource::connect(
        &mongo.uri,
        mongo.database.as_deref(),
        &desc.source_database,
        &desc.source_collection,
    )
    .await?;
    let source_name = format!("{}/{}", source.uri(), source.namespace());

    let sync = match (milvus, options.dry_run) {
        (Some(client), false) => {
            let schema = Arc::new(handler_schema(&desc)?);
            let name = options
                .milvus_name
                .clone()
                .unwrap_or_else(|| handler.collection_name.clone());
            let target = ensure(client, &schema, &name).await?;
            Some(SyncSide {
                client,
                pk_field: schema.primary().expect("checked").name.clone(),
                schema,
                name,
                real: target.real,
            })
        }
        _ => None,
    };

    let identity = Identity {
        collection_type: handler.collection_type.clone(),
        source: source_name.clone(),
        model: options.model.clone(),
        only_missing: options.only_missing,
        window: window.clone(),
        limit: options.limit,
        sync_target: milvus.map(|c| {
            format!(
                "{}/{}/{}",
                c.uri,
                c.db_name,
                options
                    .milvus_name
                    .clone()
                    .unwrap_or_else(|| handler.collection_name.clone())
            )
        }),
    };
    let cp_path = checkpoint_path(
        &options.state_dir,
        &format!("{}.{}", handler.collection_type, source.namespace()),
    );
    let mut cp = match options
        .resume
        .then(|| Checkpoint::load(&cp_path))
        .transpose()?
        .flatten()
    {
        Some(cp) => {
            cp.check_matches(&cp_path, &identity)?;
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
    let mut summary = BackfillSummary {
        collection_type: handler.collection_type.clone(),
        source: source_name,
        endpoint: embed
            .map(|e| format!("{}/embeddings", e.config().url))
            .unwrap_or_default(),
        model: options.model.clone(),
        dim: emb.dim,
        dry_run: options.dry_run,
        resumed_after: (options.resume && cp.read > 0).then_some(cp.read),
        sync_collection: sync.as_ref().map(|s| s.name.clone()),
        checkpoint: (!options.dry_run).then(|| cp_path.clone()),
        ..Default::default()
    };
    let mut report = options
        .report
        .as_deref()
        .map(ReportFile::create)
        .transpose()?;

    let mut filter = selection_filter(&emb, &options.model, options.only_missing);
    let time = window.to_filter();
    if !time.is_empty() {
        filter = bson::doc! {"$and": [filter, time]};
    }
    let after = cp
        .last_id
        .as_ref()
        .map(|v| Bson::try_from(v.clone()))
        .transpose()
        .map_err(|e| BackfillError::Checkpoint {
            path: cp_path.clone(),
            reason: format!("bad last _id: {e}"),
        })?;
    let left = options.limit.map(|l| l.saturating_sub(cp.read));
    let round = options.batch * options.concurrency;
    let mut scan = source
        .scan(filter, after.as_ref(), left, round as u32)
        .await?;
    reporter.start(left);
    let mut this_run = 0u64;
    let mut warned_model = false;
    let outcome: Result<(), BackfillError> = async {
        loop {
            let docs = scan.next_documents(round).await?;
            let Some(last) = docs.last().and_then(|d| d.get("_id").cloned()) else {
                break;
            };
            let round_docs = docs.len() as u64;
            this_run += round_docs;
            reporter.read(this_run);
            // (document, its text) of those with something to embed.
            let mut todo: Vec<(Document, String)> = Vec::with_capacity(docs.len());
            for d in docs {
                let id = d.get("_id").map(id_key).unwrap_or_default();
                let Some(need) = classify(&d, &emb, &options.model, options.only_missing) else {
                    // Fixed by someone else since the query ran.
                    summary.skip("already has a current vector");
                    continue;
                };
                summary.selected += 1;
                *summary.selected_by_reason.entry(need.as_str().into()).or_default() += 1;
                match text_of(&d, &emb) {
                    Ok(_) if options.dry_run => {
                        if let Some(r) = &mut report {
                            r.line(&id, "selected", need.as_str())?;
                        }
                        summary.documents.push((id, need.as_str().to_string()));
                    }
                    Ok(text) => todo.push((d, text)),
                    Err(reason) => {
                        summary.skip(&reason);
                        if let Some(r) = &mut report {
                            r.line(&id, "skipped", &reason)?;
                        }
                    }
                }
            }
            if options.dry_run {
                continue;
            }
            let client = embed.expect("checked: an endpoint unless --dry-run");
            let texts: Vec<String> = todo.iter().map(|(_, t)| t.clone()).collect();
            let vectors = embed_all(
                client,
                &texts,
                options.batch,
                options.max_batch_bytes,
                options.concurrency,
                emb.dim,
                options.truncate_dim,
            )
            .await?;
            summary.requests += vectors.requests;
            summary.retries += vectors.retries;
            if summary.endpoint_model.is_empty() {
                summary.endpoint_model = vectors.endpoint_model.clone();
            }
            if !warned_model && !vectors.endpoint_model.is_empty() && vectors.endpoint_model != options.model {
                warned_model = true;
                reporter.warning(&format!(
                    "the endpoint reports model `{}` for --model `{}`; documents are labelled `{}` (pass --model {} to label them as the endpoint does)",
                    vectors.endpoint_model, options.model, options.model, vectors.endpoint_model
                ));
            }
            let now = DateTime::now();
            let mut updates: Vec<(Bson, Document)> = Vec::new();
            let mut changed: Vec<Document> = Vec::new();
            for ((mut d, _), result) in todo.into_iter().zip(vectors.results) {
                let id = d.get("_id").cloned().unwrap_or(Bson::Null);
                match result {
                    TextResult::Vector(v) => {
                        summary.embedded += 1;
                        let vector = Bson::Array(v.into_iter().map(|x| Bson::Double(f64::from(x))).collect());
                        let mut set = Document::new();
                        set.insert(emb.vector_field.clone(), vector.clone());
                        set.insert(emb.model_field.clone(), options.model.clone());
                        set.insert("updated_at", now);
                        set_path(&mut d, &emb.vector_field, vector);
                        set_path(&mut d, &emb.model_field, Bson::from(options.model.clone()));
                        set_path(&mut d, "updated_at", Bson::DateTime(now));
                        updates.push((id, set));
                        changed.push(d);
                    }
                    TextResult::Failed(reason) => {
                        let key = id_key(&id);
                        if let Some(r) = &mut report {
                            r.line(&key, "failed", &reason)?;
                        }
                        summary.fail(format!("document `{key}`: {reason}"));
                    }
                }
            }
            if let Some(side) = &sync {
                let items: Vec<Item> = changed.into_iter().map(|d| Item::Doc(SourceDoc::from_document(d))).collect();
                let prepared = block_in_place(|| prepare(&handler.handler, &side.schema, &items))?;
                for s in &prepared.skipped {
                    summary.skip(&format!("not synced: {}", s.reason));
                    if let Some(r) = &mut report {
                        r.line(&s.id, "skipped", &format!("not synced: {}", s.reason))?;
                    }
                }
                let rows = prepared.upserts.len();
                let (retries, result) = send(
                    side.client,
                    &side.name,
                    &side.pk_field,
                    prepared.fields,
                    rows,
                    &prepared.deletes,
                    options.attempts,
                )
                .await;
                summary.retries += retries;
                if let Err(e) = result {
                    // Nothing of this round reaches MongoDB: the next run selects it again.
                    for (id, _) in &updates {
                        summary.fail(format!("document `{}`: Milvus upsert failed: {e}", id_key(id)));
                        if let Some(r) = &mut report {
                            r.line(&id_key(id), "failed", &format!("Milvus upsert failed: {e}"))?;
                        }
                    }
                    return Ok(());
                }
                summary.synced += rows as u64;
            }
            let set = source.set_many(&updates).await?;
            summary.written += set.matched;
            for (key, message) in set.failed.iter() {
                summary.fail(format!("document `{key}`: MongoDB update failed: {message}"));
                if let Some(r) = &mut report {
                    r.line(key, "failed", &format!("MongoDB update failed: {message}"))?;
                }
            }
            for key in &set.missing {
                summary.skip("deleted from MongoDB meanwhile");
                if let Some(r) = &mut report {
                    r.line(key, "skipped", "deleted from MongoDB meanwhile")?;
                }
            }
            cp.last_id = Some(last.into_canonical_extjson());
            cp.read += round_docs;
            cp.save(&cp_path)?;
        }
        Ok(())
    }
    .await;
    if !options.dry_run && outcome.is_ok() && summary.failed == 0 {
        cp.complete = true;
        cp.save(&cp_path)?;
    }
    if let Some(side) = &sync
        && summary.synced > 0
        && let Err(e) = flush(side.client, &side.real, std::time::Duration::from_secs(120)).await
    {
        reporter.warning(&format!(
            "flush of `{}` failed (the rows are written and will be sealed by the server): {e}",
            side.real
        ));
    }
    if let Some(r) = report.take() {
        r.finish()?;
    }
    outcome?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.texts_per_second = summary.embedded as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}
