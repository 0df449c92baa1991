//! After the switch: the previous collection is released (and with `--drop-old` dropped),
//! unless another alias still points at it: a reporting alias serving from the same
//! collection must keep answering, so that collection stays loaded and is never dropped.
//! Also `--abort` and `--drop-previous`, which refuse the collection an alias points at.

use serde::Serialize;

use super::error::{RebuildError, Result};
use super::migrate::Reporter;
use super::plan::Plan;
use super::run::{Options, Summary, state_file};
use super::state::State;
use crate::milvus::alias::{self, AliasTarget};
use crate::milvus::collection::drop_collection;
use crate::milvus::{Client, MilvusError, admin};

fn usage(message: impl Into<String>) -> RebuildError {
    RebuildError::Usage(message.into())
}

/// Names in backquotes, comma-separated: "`a`, `b`".
pub fn names(list: &[String]) -> String {
    list.iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Aliases of `collection` other than `alias`, as the server lists them now.
pub async fn other_aliases(client: &Client, collection: &str, alias: &str) -> Result<Vec<String>> {
    let mut others: Vec<String> = alias::list(client, collection)
        .await?
        .into_iter()
        .filter(|a| a != alias)
        .collect();
    others.sort();
    Ok(others)
}

/// Refuses `--drop-old` while another alias points at the old collection (before anything
/// is created): dropping it would take that alias with it.
pub fn check_drop_old(plan: &Plan, options: &Options) -> Result<()> {
    if !options.drop_old || plan.other_aliases.is_empty() {
        return Ok(());
    }
    Err(RebuildError::Refused {
        alias: plan.alias.clone(),
        old: plan.old_collection.clone(),
        reason: format!(
            "--drop-old would drop `{}`, which alias {} also points at (it would disappear with it): move that alias first, or rebuild without --drop-old; nothing was created",
            plan.old_collection,
            names(&plan.other_aliases)
        ),
        kept: None,
    })
}

/// Releases (and with `--drop-old` drops) `retired` after the drain, unless an alias still
/// points at it: then it stays loaded and kept, and the summary says which alias holds it.
pub async fn retire(
    client: &Client,
    options: &Options,
    plan: &Plan,
    retired: &str,
    summary: &mut Summary,
    reporter: &dyn Reporter,
) -> Result<()> {
    // Asked again: an alias may have been created since the plan was made.
    let holders = other_aliases(client, retired, &plan.alias).await?;
    if !holders.is_empty() {
        summary.warnings.push(format!(
            "`{retired}` stays loaded and kept: alias {} still points at it (move it, then drop the collection with --drop-previous)",
            names(&holders)
        ));
        summary.other_aliases = holders;
        return Ok(());
    }
    reporter.status(&format!(
        "switched; letting searches on `{retired}` finish for {:?} before releasing it",
        options.drain
    ));
    tokio::time::sleep(options.drain).await;
    match admin::release(client, retired).await {
        Ok(()) => summary.old_released = true,
        Err(e) => summary
            .warnings
            .push(format!("releasing `{retired}` failed: {e}")),
    }
    if options.drop_old {
        drop_collection(client, retired).await?;
        summary.old_dropped = true;
    } else {
        summary.drop_hint = Some(format!(
            "the previous collection `{retired}` is kept (released); drop it with: milvus-ingest rebuild --alias {} --drop-previous {retired}",
            plan.alias
        ));
    }
    Ok(())
}
/// What `--abort` did.
#[derive(Debug, Clone, Serialize)]
pub struct Aborted {
    pub alias: String,
    pub dropped: String,
    pub alias_on: String,
}

/// Drops the new collection of an interrupted rebuild and forgets it.
pub async fn abort(client: &Client, options: &Options) -> Result<Aborted> {
    let path = state_file(client, options);
    let state = State::load(&path)?.ok_or_else(|| {
        usage(format!(
            "no interrupted rebuild of `{}` on {} to abort",
            options.alias, client.uri
        ))
    })?;
    let plan = &state.plan;
    if let AliasTarget::Alias(now) = alias::resolve(client, &plan.alias).await?
        && now == plan.new_collection
    {
        State::remove(&path)?;
        return Err(usage(format!(
            "alias `{}` already points at `{}`: the rebuild finished, nothing to abort",
            plan.alias, plan.new_collection
        )));
    }
    if client.has_collection(&plan.new_collection).await? {
        drop_collection(client, &plan.new_collection).await?;
    }
    State::remove(&path)?;
    Ok(Aborted {
        alias: plan.alias.clone(),
        dropped: plan.new_collection.clone(),
        alias_on: plan.old_collection.clone(),
    })
}

/// Drops a previous collection kept by an earlier rebuild; refuses the one behind the alias.
pub async fn drop_previous(client: &Client, alias_name: &str, collection: &str) -> Result<()> {
    if let AliasTarget::Alias(now) = alias::resolve(client, alias_name).await?
        && now == collection
    {
        return Err(usage(format!(
            "`{collection}` is the collection alias `{alias_name}` points at: refusing to drop it"
        )));
    }
    if collection == alias_name {
        return Err(usage(format!("`{collection}` is the alias' own name")));
    }
    if !client.has_collection(collection).await? {
        return Err(RebuildError::Milvus(MilvusError::NoCollection {
            collection: collection.to_string(),
        }));
    }
    let holders = other_aliases(client, collection, alias_name).await?;
    if !holders.is_empty() {
        return Err(usage(format!(
            "alias {} points at `{collection}`: refusing to drop it (move the alias first)",
            names(&holders)
        )));
    }
    let _ = admin::release(client, collection).await;
    drop_collection(client, collection).await?;
    Ok(())
}
