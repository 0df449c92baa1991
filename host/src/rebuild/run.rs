//! The rebuild from start to switch: plan, build and check, copy, flush once, wait for the
//! indexes, compare counts, optionally catch up, switch the alias with `AlterAlias`, then
//! release (and with `--drop-old` drop) the previous collection. Also `--resume` and `--abort`.
//!
//! Until the switch the alias is never touched. A failure while building drops the new
//! collection; a failure after rows were copied keeps it and its state file for `--resume`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::catchup::{CaughtUp, all_pks, catch_up};
use super::convert::Converter;
use super::distinct::{KeyCount, key_count};
use super::error::{RebuildError, Result};
use super::migrate::{CopyOptions, Reporter, copy_rows};
use super::plan::{Change, Old, Plan, Wanted, make_plan};
use super::retire::{check_drop_old, other_aliases, retire};
use super::state::{State, pk_from_json, pk_to_json, state_path};
use super::target::{IndexOverride, Target};
use crate::milvus::Client;
use crate::milvus::admin::{self, IndexRequest, NewCollection};
use crate::milvus::alias::{self, AliasTarget};
use crate::milvus::collection::{drop_collection, flush, load};
use crate::milvus::ddl::{check_support, collection_schema};
use crate::milvus::query::{Pk, in_expr};
use crate::milvus::reverse::schema_of;
use crate::milvus::scan::{count_at, delete, wall_clock_ts};

/// The default wait between switching the alias and releasing the old collection. Searches
/// the proxies routed to the old collection before the switch are still waiting for it (for
/// their guarantee timestamp): released at once, Milvus 2.3.5 fails them with "delegator closed
/// during wait tsafe" (seen in this project's CI with a searcher running through the switch).
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(5);

/// What to do (flags resolved).
#[derive(Debug, Clone)]
pub struct Options {
    pub alias: String,
    pub target: Target,
    pub overrides: Vec<IndexOverride>,
    pub metric: Option<String>,
    pub migrate: bool,
    pub drop_old: bool,
    pub allow_empty: bool,
    pub dry_run: bool,
    pub catch_up: bool,
    pub copy: CopyOptions,
    pub load_timeout: Duration,
    pub index_timeout: Duration,
    /// How long searches may keep running on the old collection after the switch before it is
    /// released (see [`DEFAULT_DRAIN`]).
    pub drain: Duration,
    /// Where state files live.
    pub state_dir: PathBuf,
}

/// What a rebuild did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub alias: String,
    pub old_collection: String,
    /// Other aliases of the old collection: they keep it loaded and kept after the switch.
    pub other_aliases: Vec<String>,
    pub new_collection: String,
    pub source: String,
    pub dry_run: bool,
    pub resumed: bool,
    pub switched: bool,
    /// The alias did not exist: it was created (and the collection of that name renamed).
    pub alias_created: bool,
    /// Rows of the old collection at the copy's snapshot.
    pub rows_at_snapshot: u64,
    /// Rows read from the old collection (all runs of a resumed rebuild).
    pub rows_copied: u64,
    /// Rows in the new collection at the switch.
    pub rows_in_new: u64,
    /// Distinct primary keys of the old collection (its `count(*)` also counts duplicate
    /// copies of a key, which plain inserts keep); what the new collection must hold.
    pub distinct_keys: u64,
    /// `count(*)` minus the distinct keys: rows of the old collection not copied because
    /// another copy of their key was.
    pub duplicate_copies: u64,
    /// Change of the old collection's row count while the copy ran (without --catch-up these
    /// rows are not in the new collection).
    pub rows_changed_during_copy: i64,
    pub caught_up: Option<CaughtUp>,
    pub old_released: bool,
    pub old_dropped: bool,
    pub seconds: f64,
    pub copy_seconds: f64,
    pub rows_per_second: f64,
    pub changes: Vec<Change>,
    pub indexes: Vec<IndexRequest>,
    pub warnings: Vec<String>,
    /// How to drop the previous collection later (when it was kept).
    pub drop_hint: Option<String>,
}

impl Summary {
    fn from_plan(plan: &Plan) -> Summary {
        Summary {
            alias: plan.alias.clone(),
            old_collection: plan.old_collection.clone(),
            other_aliases: plan.other_aliases.clone(),
            new_collection: plan.new_collection.clone(),
            source: plan.source.to_string(),
            dry_run: false,
            resumed: false,
            switched: false,
            alias_created: false,
            rows_at_snapshot: plan.rows,
            rows_copied: 0,
            rows_in_new: 0,
            distinct_keys: 0,
            duplicate_copies: 0,
            rows_changed_during_copy: 0,
            caught_up: None,
            old_released: false,
            old_dropped: false,
            seconds: 0.0,
            copy_seconds: 0.0,
            rows_per_second: 0.0,
            changes: plan.changes.clone(),
            indexes: plan.indexes.clone(),
            warnings: plan.warnings.clone(),
            drop_hint: None,
        }
    }
}

fn usage(message: impl Into<String>) -> RebuildError {
    RebuildError::Usage(message.into())
}

/// The state file of `alias` on this server.
pub fn state_file(client: &Client, options: &Options) -> PathBuf {
    state_path(
        &options.state_dir,
        &client.uri,
        &client.db_name,
        &options.alias,
    )
}

/// Plans the rebuild (describes the old collection; changes nothing).
pub async fn plan(client: &Client, options: &Options) -> Result<Plan> {
    let alias_name = &options.alias;
    let (old_name, alias_exists) = match alias::resolve(client, alias_name).await? {
        AliasTarget::Alias(c) => (c, true),
        AliasTarget::Collection => (alias_name.clone(), false),
        AliasTarget::Missing => {
            return Err(usage(format!(
                "there is no alias or collection named `{alias_name}` in database `{}`",
                client.db_name
            )));
        }
    };
    let info = admin::describe_info(client, &old_name).await?;
    let other_aliases = other_aliases(client, &old_name, alias_name).await?;
    let indexes = admin::indexes(client, &old_name).await?;
    let (old_schema, unknown) = schema_of(&info.schema, &indexes);
    if !unknown.is_empty() {
        return Err(RebuildError::Incompatible {
            alias: alias_name.clone(),
            problems: unknown
                .iter()
                .map(|u| {
                    format!(
                        "field `{}` has a type this tool does not know (code {})",
                        u.field, u.type_code
                    )
                })
                .collect(),
        });
    }
    let rows = count_at(client, &old_name, "", 0).await?;
    let plan = make_plan(
        &Old {
            info: &info,
            schema: &old_schema,
            indexes: &indexes,
            rows,
        },
        &Wanted {
            alias: alias_name,
            alias_exists,
            schema: options.target.schema.as_ref(),
            source: options.target.source.clone(),
            overrides: &options.overrides,
            metric: options.metric.as_deref(),
            now: chrono::Utc::now(),
            version: &client.version,
            other_aliases: &other_aliases,
        },
    )?;
    check_support(&plan.schema, &client.version)?;
    Ok(plan)
}

/// Runs a whole rebuild (or prints the plan with `dry_run`).
pub async fn rebuild(
    client: &Client,
    options: &Options,
    reporter: &dyn Reporter,
) -> Result<Summary> {
    let started = Instant::now();
    if !options.migrate && options.drop_old && !options.allow_empty {
        return Err(usage(
            "--no-migrate-data with --drop-old would point the alias at an empty collection and drop the one holding the data; add --allow-empty if that is really what you want",
        ));
    }
    let path = state_file(client, options);
    if let Some(state) = State::load(&path)? {
        return Err(usage(format!(
            "an interrupted rebuild of `{}` exists (new collection `{}`, {} rows copied): continue it with --resume or remove it with --abort (state: {})",
            options.alias,
            state.plan.new_collection,
            state.rows_copied,
            path.display()
        )));
    }
    let plan = plan(client, options).await?;
    check_drop_old(&plan, options)?;
    let mut summary = Summary::from_plan(&plan);
    if options.dry_run {
        summary.dry_run = true;
        return Ok(summary);
    }
    if !options.migrate {
        summary.warnings.push(
            "--no-migrate-data: the new collection is empty; refill it (e.g. with sync)".into(),
        );
    }
    reporter.status(&format!(
        "creating `{}` ({} indexes) next to `{}`",
        plan.new_collection,
        plan.indexes.len(),
        plan.old_collection
    ));
    let mut state = State {
        uri: client.uri.clone(),
        db_name: client.db_name.clone(),
        plan: plan.clone(),
        checkpoint: None,
        rows_copied: 0,
        copied: !options.migrate,
        migrate: options.migrate,
        max_time: None,
    };
    build(client, &plan, options, &mut state, &path).await?;
    finish(client, options, state, &path, summary, reporter, started).await
}

/// Creates the new collection, every index, loads it. On failure the new collection is dropped.
async fn build(
    client: &Client,
    plan: &Plan,
    options: &Options,
    state: &mut State,
    path: &Path,
) -> Result<()> {
    let new = NewCollection {
        name: plan.new_collection.clone(),
        schema: collection_schema(&plan.schema, &plan.new_collection),
        shards: plan.shards,
        num_partitions: plan.num_partitions,
        consistency_level: plan.consistency_level,
    };
    admin::create_collection(client, &new).await?;
    // From here on the new collection exists: name it in the state file at once.
    state.save(path)?;
    let built = async {
        for index in &plan.indexes {
            admin::create_index(client, &plan.new_collection, index).await?;
        }
        admin::wait_indexes(client, &plan.new_collection, options.index_timeout).await?;
        load(client, &plan.new_collection, options.load_timeout).await
    }
    .await;
    if let Err(e) = built {
        return Err(discard(client, plan, path, e.to_string()).await);
    }
    Ok(())
}

/// Drops the new collection and its state after a failure; the error to return.
async fn discard(client: &Client, plan: &Plan, path: &Path, reason: String) -> RebuildError {
    let dropped = drop_collection(client, &plan.new_collection).await;
    let _ = State::remove(path);
    RebuildError::Refused {
        alias: plan.alias.clone(),
        old: plan.old_collection.clone(),
        reason: match dropped {
            Ok(()) => format!(
                "{reason}; the new collection `{}` was dropped",
                plan.new_collection
            ),
            Err(e) => format!(
                "{reason}; dropping the new collection `{}` failed too ({e}): drop it by hand",
                plan.new_collection
            ),
        },
        kept: None,
    }
}

/// Continues an interrupted rebuild from its state file.
pub async fn resume(
    client: &Client,
    options: &Options,
    reporter: &dyn Reporter,
) -> Result<Summary> {
    let started = Instant::now();
    let path = state_file(client, options);
    let state = State::load(&path)?.ok_or_else(|| {
        usage(format!(
            "no interrupted rebuild of `{}` on {} (looked for {})",
            options.alias,
            client.uri,
            path.display()
        ))
    })?;
    let plan = state.plan.clone();
    if !client.has_collection(&plan.new_collection).await? {
        State::remove(&path)?;
        return Err(usage(format!(
            "the new collection `{}` of the interrupted rebuild is gone; state removed, start again",
            plan.new_collection
        )));
    }
    if let AliasTarget::Alias(now) = alias::resolve(client, &plan.alias).await?
        && now != plan.old_collection
    {
        return Err(usage(format!(
            "alias `{}` now points at `{now}`, not at `{}` as when the rebuild started; remove the rebuild with --abort",
            plan.alias, plan.old_collection
        )));
    }
    // The earlier run may have stopped while building: finish that first.
    let have = admin::indexes(client, &plan.new_collection).await?;
    for index in &plan.indexes {
        if !have.iter().any(|i| i.field == index.field) {
            admin::create_index(client, &plan.new_collection, index).await?;
        }
    }
    load(client, &plan.new_collection, options.load_timeout).await?;
    let mut summary = Summary::from_plan(&plan);
    summary.resumed = true;
    reporter.status(&format!(
        "resuming the rebuild of `{}` into `{}` ({} rows copied before)",
        plan.alias, plan.new_collection, state.rows_copied
    ));
    finish(client, options, state, &path, summary, reporter, started).await
}

/// Copy (what is left), flush, check indexes and counts, catch up, switch, retire the old one.
async fn finish(
    client: &Client,
    options: &Options,
    mut state: State,
    path: &Path,
    mut summary: Summary,
    reporter: &dyn Reporter,
    started: Instant,
) -> Result<Summary> {
    let plan = state.plan.clone();
    let converter = Arc::new(Converter::new(&plan));
    let keep = |reason: String| RebuildError::Refused {
        alias: plan.alias.clone(),
        old: plan.old_collection.clone(),
        reason,
        kept: Some(plan.new_collection.clone()),
    };
    let mut snapshot_rows = 0u64;
    // The copy's snapshot (0, "now", when an earlier run finished the copy).
    let mut snapshot_ts = 0u64;
    let mut copied_now = 0u64;
    let copy_started = Instant::now();
    if !state.copied {
        let start_after = state.checkpoint.as_ref().and_then(pk_from_json);
        // Rows past the checkpoint may have been written by requests in flight when the
        // earlier run stopped: remove them so they are copied exactly once.
        if summary.resumed {
            remove_after(client, &plan, start_after.as_ref()).await?;
        }
        let ts = wall_clock_ts();
        snapshot_ts = ts;
        snapshot_rows = count_at(client, &plan.old_collection, "", ts).await?;
        summary.rows_at_snapshot = snapshot_rows;
        let below = match &start_after {
            Some(pk) => {
                count_at(
                    client,
                    &plan.old_collection,
                    &format!("{} <= {pk}", plan.pk),
                    ts,
                )
                .await?
            }
            None => 0,
        };
        reporter.copy_start(snapshot_rows, below.min(snapshot_rows));
        let before = state.rows_copied;
        let copied = copy_rows(
            client,
            &plan,
            converter.clone(),
            ts,
            start_after,
            &options.copy,
            reporter,
            |pk, rows| {
                state.checkpoint = Some(pk_to_json(pk));
                state.rows_copied = before + rows;
                state.save(path)
            },
        )
        .await;
        reporter.copy_end();
        let copied = copied.map_err(|e| keep(format!("copying failed: {e}")))?;
        state.rows_copied = before + copied.rows;
        state.checkpoint = copied.last.as_ref().map(pk_to_json);
        state.max_time = state.max_time.max(copied.max_time);
        state.copied = true;
        state.save(path)?;
        copied_now = copied.rows;
        reporter.status("flushing the new collection");
        flush(client, &plan.new_collection, Duration::from_secs(300)).await?;
    } else if state.migrate {
        snapshot_rows = count_at(client, &plan.old_collection, "", 0).await?;
        summary.rows_at_snapshot = snapshot_rows;
    }
    summary.copy_seconds = copy_started.elapsed().as_secs_f64();
    summary.rows_per_second = copied_now as f64 / summary.copy_seconds.max(1e-9);
    summary.rows_copied = state.rows_copied;

    reporter.status("waiting for the indexes of the new collection");
    if let Err(e) = admin::wait_indexes(client, &plan.new_collection, options.index_timeout).await {
        return Err(discard(client, &plan, path, e.to_string()).await);
    }

    let migrate = state.migrate;
    let mut in_new = count_at(client, &plan.new_collection, "", 0).await?;
    if migrate && in_new != state.rows_copied {
        return Err(keep(format!(
            "the new collection holds {in_new} rows but {} were copied",
            state.rows_copied
        )));
    }
    let old_now = count_at(client, &plan.old_collection, "", 0).await?;
    summary.rows_changed_during_copy = old_now as i64 - snapshot_rows as i64;
    if migrate && options.catch_up {
        let since = state
            .max_time
            .zip(options.copy.time_field.as_deref())
            .map(|(t, f)| (f, t));
        let caught = catch_up(
            client,
            &plan,
            converter.clone(),
            options.copy.batch_size,
            since,
            reporter,
        )
        .await
        .map_err(|e| keep(format!("catch-up failed: {e}")))?;
        let old_then = count_at(client, &plan.old_collection, "", 0).await?;
        in_new = count_at(client, &plan.new_collection, "", 0).await?;
        summary.caught_up = Some(caught);
        let keys = key_count(client, &plan.old_collection, &plan.pk, 0, old_then, in_new).await?;
        note_duplicates(&mut summary, &plan, keys);
        if in_new != keys.distinct {
            return Err(keep(format!(
                "after the catch-up the new collection holds {in_new} rows and the old one {} (it is still being written to)",
                counts(keys)
            )));
        }
    } else if migrate {
        let keys = key_count(
            client,
            &plan.old_collection,
            &plan.pk,
            snapshot_ts,
            snapshot_rows,
            in_new,
        )
        .await?;
        note_duplicates(&mut summary, &plan, keys);
        if in_new != keys.distinct {
            return Err(keep(format!(
                "the old collection had {} when the copy started and has {old_now} rows now, and {in_new} were copied: it was written to during the copy (servers before 2.4 do not pin reads to a snapshot, so some of those writes were copied and some not); re-run with --resume --catch-up to copy the difference",
                counts(keys)
            )));
        }
    }
    summary.rows_in_new = in_new;

    switch(client, &plan, &mut summary)
        .await
        .map_err(|e| keep(format!("switching the alias failed: {e}")))?;
    summary.switched = true;
    State::remove(path)?;

    let retired = if plan.alias_exists {
        plan.old_collection.clone()
    } else {
        renamed_old(&plan)
    };
    retire(client, options, &plan, &retired, &mut summary, reporter).await?;
    summary.old_collection = retired;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// "25,000 rows" or, with duplicate keys, "25,000 rows (20,000 distinct keys)".
fn counts(keys: KeyCount) -> String {
    if keys.duplicates() == 0 {
        format!("{} rows", keys.counted)
    } else {
        format!("{} rows ({} distinct keys)", keys.counted, keys.distinct)
    }
}

/// Records the old collection's distinct keys, and warns about duplicate copies.
fn note_duplicates(summary: &mut Summary, plan: &Plan, keys: KeyCount) {
    summary.distinct_keys = keys.distinct;
    summary.duplicate_copies = keys.duplicates();
    if keys.duplicates() > 0 {
        summary.warnings.push(format!(
            "`{}` holds duplicate primary keys ({}): plain inserts of the same key keep every copy and count(*) counts them all; the new collection holds one row per key, the copy a query returns",
            plan.old_collection,
            keys.describe()
        ));
    }
}

/// The name the old collection gets when the alias takes its name.
pub(super) fn renamed_old(plan: &Plan) -> String {
    renamed_old_name(&plan.new_collection)
}

/// `<new collection>_before_rebuild`.
pub(super) fn renamed_old_name(new_collection: &str) -> String {
    format!("{new_collection}_before_rebuild")
}

/// Points the alias at the new collection: `AlterAlias`, or (no alias yet) rename the
/// collection holding the alias' name out of the way and `CreateAlias`.
async fn switch(client: &Client, plan: &Plan, summary: &mut Summary) -> Result<()> {
    if plan.alias_exists {
        alias::alter(client, &plan.alias, &plan.new_collection).await?;
        return Ok(());
    }
    let moved = renamed_old(plan);
    admin::rename(client, &plan.old_collection, &moved).await?;
    if let Err(e) = alias::create(client, &plan.alias, &plan.new_collection).await {
        // Put the name back so readers find their collection again.
        let _ = admin::rename(client, &moved, &plan.old_collection).await;
        return Err(e.into());
    }
    // The plan said so before anything happened (`plan::alias_notes`).
    summary.alias_created = true;
    Ok(())
}

/// Deletes rows of the new collection past `after` (all rows when `None`).
async fn remove_after(client: &Client, plan: &Plan, after: Option<&Pk>) -> Result<()> {
    let pks = all_pks(client, &plan.new_collection, &plan.pk, 0).await?;
    let stale: Vec<Pk> = pks
        .into_iter()
        .filter(|p| after.is_none_or(|a| p > a))
        .collect();
    for chunk in stale.chunks(4096) {
        delete(client, &plan.new_collection, &in_expr(&plan.pk, chunk)).await?;
    }
    Ok(())
}
