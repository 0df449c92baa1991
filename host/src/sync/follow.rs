//! `--follow`: after the initial pass, apply the collection's change stream to Milvus, one
//! group of changes at a time and in order (a later change to a document must land after an
//! earlier one), saving the stream's resume token in the checkpoint after each group. A
//! follower killed at any moment restarts from the last saved token and replays at most the
//! group it was applying; upserts and deletes make the replay harmless. A drop or rename of
//! the collection ends the stream: the follower applies what came before it and stops.

use std::time::{Duration, Instant};

use tokio::task::block_in_place;

use super::batch::{Item, prepare};
use super::checkpoint::Checkpoint;
use super::error::SyncError;
use super::report::SyncReporter;
use super::run::{Books, Ctx};
use super::write::send;
use crate::milvus::Client;
use crate::milvus::collection::flush;
use crate::mongo::MongoError;
use crate::mongo::changes::{Change, Changes, token_to_json};

/// How often an idle stream's advancing token is saved.
const IDLE_SAVE: Duration = Duration::from_secs(5);

/// Follows until Ctrl-C or SIGTERM (Ok(None)), a failed write (counted in the summary), or
/// the end of the stream: the collection dropped or renamed, its database dropped (Ok(Some),
/// the message for the user; the checkpoint then resumes after the last change applied).
pub(crate) async fn follow(
    ctx: &Ctx<'_>,
    changes: &mut Changes,
    cp: &mut Checkpoint,
    books: &mut Books,
    reporter: &dyn SyncReporter,
) -> Result<Option<String>, SyncError> {
    let client = ctx.client.expect("following writes to Milvus");
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| SyncError::Usage(format!("cannot watch SIGTERM: {e}")))?;
    let mut saved = Instant::now();
    let stopped = loop {
        #[cfg(unix)]
        let stop = term.recv();
        #[cfg(not(unix))]
        let stop = std::future::pending::<Option<()>>();
        let batch = tokio::select! {
            r = changes.next_changes(ctx.options.batch_size) => r?,
            _ = tokio::signal::ctrl_c() => break None,
            _ = stop => break None,
        };
        if batch.changes.is_empty() && batch.end.is_none() {
            let token = changes.resume_token().as_ref().map(token_to_json);
            if token.is_some() && token != cp.resume_token && saved.elapsed() > IDLE_SAVE {
                cp.resume_token = token;
                cp.save(&ctx.checkpoint_path)?;
                saved = Instant::now();
            }
            continue;
        }
        if !batch.changes.is_empty() {
            if !apply(ctx, client, batch.changes, books).await? {
                return Ok(None);
            }
            reporter.changes(books.summary.changes_applied);
            // The last applied change's token: never one past a drop or rename, which no
            // stream can resume after.
            cp.resume_token = batch.token.as_ref().map(token_to_json);
            cp.save(&ctx.checkpoint_path)?;
            saved = Instant::now();
        }
        if let Some(end) = batch.end {
            let e = MongoError::StreamEnded {
                namespace: changes.namespace().to_string(),
                end,
            };
            break Some(e.to_string());
        }
    };
    // Seal what the follower wrote; a failure here loses nothing (the server seals it later).
    let _ = flush(client, &ctx.real, Duration::from_secs(60)).await;
    Ok(stopped)
}

/// Converts and writes one group of changes; false when the write failed (counted in the
/// summary and the report).
async fn apply(
    ctx: &Ctx<'_>,
    client: &Client,
    changes: Vec<Change>,
    books: &mut Books,
) -> Result<bool, SyncError> {
    let items: Vec<Item> = changes
        .into_iter()
        .map(|c| match c {
            Change::Upsert(d) => Item::Doc(d),
            Change::Delete(id) => Item::Deleted(id),
        })
        .collect();
    books.summary.read += items.len() as u64;
    let prepared = block_in_place(|| prepare(&ctx.handler.handler, &ctx.schema, &items))?;
    books.skipped(&prepared)?;
    let (ups, dels) = (prepared.upserts.len(), prepared.deletes.len());
    let keys: Vec<_> = prepared.keys().cloned().collect();
    let (retries, result) = send(
        client,
        &ctx.name,
        &ctx.pk_field,
        prepared.fields,
        ups,
        &prepared.deletes,
        ctx.options.attempts,
    )
    .await;
    books.summary.retries += retries;
    if let Err(e) = result {
        books.failed(&keys, &e)?;
        return Ok(false);
    }
    books.summary.upserted += ups as u64;
    books.summary.deleted += dels as u64;
    books.summary.changes_applied += items.len() as u64;
    Ok(true)
}
