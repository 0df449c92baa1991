//! Issue 25, items 12-14: `rebuild` (and `sync`'s target creation) against Milvus 2.3.5 and
//! Milvus Lite 3.2.2. Old collections hold duplicate primary keys (plain inserts of the same
//! keys twice, made with pymilvus), serve a second alias, or were made for a sync handler
//! whose scalar indexes older servers name differently. Every result is read back with
//! pymilvus (tests/rebuild_check.py). Names start with `rb25_`.

// rebuild_common and sync_common each include milvus_common.rs (the service URIs).
#![allow(clippy::duplicate_mod)]

mod rebuild_common;

use std::path::Path;

use rebuild_common::{check, cleanup, fill, rebuild, rebuilt, service_uri, text};
use serde_json::{Value, json};

const M23: &str = "MI_MILVUS23_URI";
const L32: &str = "MI_LITE32_URI";

fn schema(name: &str) -> Value {
    json!({
        "collection_name": name,
        "enable_dynamic_field": true,
        "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "vec", "type": "FloatVector", "dim": 8},
            {"name": "title", "type": "VarChar", "max_length": 32}
        ],
        "dynamic_fields": [{"name": "note", "type": "VarChar", "max_length": 20}]
    })
}

/// Fills `<alias>_v0` with `rows` rows, points `alias` at it; returns the collection.
fn aliased(server: &str, dir: &Path, alias: &str, rows: u64) -> String {
    cleanup(server, alias);
    let real = format!("{alias}_v0");
    fill(dir, &service_uri(server), &schema(alias), rows, &real);
    check(server, &["alias", alias, &real]);
    real
}

// ---- item 12: duplicate primary keys ------------------------------------------------------

/// 20,000 distinct keys, every 4th inserted a second time (25,000 by count(*) on Milvus 2.3.5;
/// Milvus Lite 3.2.2 replaces a row inserted again, so it keeps 20,000): the rebuild copies
/// every distinct key once, names the duplicates and switches; pymilvus finds 20,000 keys, no
/// duplicates, every row equal to the old one.
fn duplicates_are_copied_once(server: &str, alias: &str, extra: &[&str], copies: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let uri = service_uri(server);
    let old = aliased(server, tmp.path(), alias, 20_000);
    let dup = check(server, &["duplicate", &old, "id", "4"]);
    assert_eq!(dup["inserted"], 5_000, "{dup}");
    let before = check(server, &["keys", &old, "id"]);
    assert_eq!(
        (&before["count"], &before["distinct"]),
        (&json!(20_000 + copies), &json!(20_000)),
        "plain inserts of the same keys again: {before}"
    );
    let mut args = vec!["--alias", alias, "-b", "3000"];
    args.extend_from_slice(extra);
    let summary = rebuilt(tmp.path(), &uri, &args);
    assert_eq!(summary["switched"], true, "{summary:#}");
    assert_eq!(summary["rows_copied"], 20_000, "{summary:#}");
    assert_eq!(summary["rows_in_new"], 20_000, "{summary:#}");
    assert_eq!(summary["distinct_keys"], 20_000, "{summary:#}");
    assert_eq!(summary["duplicate_copies"], copies, "{summary:#}");
    assert_eq!(
        summary["warnings"]
            .to_string()
            .contains("25,000 counted, 20,000 distinct, 5,000 duplicate copies"),
        copies == 5_000,
        "{summary:#}"
    );
    let new = summary["new_collection"].as_str().unwrap();
    let after = check(server, &["keys", new, "id"]);
    assert_eq!(
        (&after["count"], &after["distinct"], &after["duplicates"]),
        (&json!(20_000), &json!(20_000), &json!(0)),
        "{after}"
    );
    let r = check(server, &["compare", &old, new, "id"]);
    assert_eq!(
        (&r["compared"], &r["mismatches"]),
        (&json!(20_000), &json!(0)),
        "{r:#}"
    );
    assert_eq!(
        check(server, &["describe", alias])["aliases"][alias],
        new,
        "the alias was not switched"
    );
    cleanup(server, alias);
}

#[test]
fn m23_duplicate_keys_parallel_ranges() {
    duplicates_are_copied_once(M23, "rb25_m23_dup_par", &[], 5_000);
}

#[test]
fn m23_duplicate_keys_sequential_with_catch_up() {
    let seq = ["--concurrency", "1", "--catch-up"];
    duplicates_are_copied_once(M23, "rb25_m23_dup_seq", &seq, 5_000);
}

#[test]
fn l32_reinserted_keys_parallel_ranges() {
    duplicates_are_copied_once(L32, "rb25_l32_dup_par", &[], 0);
}

#[test]
fn l32_reinserted_keys_sequential_with_catch_up() {
    let seq = ["--concurrency", "1", "--catch-up"];
    duplicates_are_copied_once(L32, "rb25_l32_dup_seq", &seq, 0);
}

// ---- item 13: other aliases of the old collection -----------------------------------------

/// The old collection also serves `<alias>_reports`: the plan and --dry-run name it,
/// --drop-old is refused before anything is created (exit 1, naming it), and after a rebuild
/// the reporting alias still answers queries from the kept, loaded collection.
fn other_aliases_are_kept_serving(server: &str, alias: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let uri = service_uri(server);
    let old = aliased(server, tmp.path(), alias, 1_000);
    let reports = format!("{alias}_reports");
    check(server, &["alias", &reports, &old]);

    let plan = rebuilt(tmp.path(), &uri, &["--alias", alias, "--dry-run"]);
    assert_eq!(plan["other_aliases"], json!([reports]), "{plan:#}");
    assert!(plan["warnings"].to_string().contains(&reports), "{plan:#}");

    let out = rebuild(tmp.path(), &uri, &["--alias", alias, "--drop-old"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("`{reports}`")) && text(&out).contains("--drop-old"),
        "{}",
        text(&out)
    );
    let now = check(server, &["describe", alias]);
    assert_eq!(
        now["collections"],
        json!([old]),
        "something was created: {now:#}"
    );

    let summary = rebuilt(
        tmp.path(),
        &uri,
        &["--alias", alias, "--drain-seconds", "0"],
    );
    assert_eq!(summary["switched"], true, "{summary:#}");
    assert_eq!(summary["old_released"], false, "{summary:#}");
    assert_eq!(summary["old_dropped"], false, "{summary:#}");
    let new = summary["new_collection"].as_str().unwrap();
    let now = check(server, &["describe", alias]);
    assert_eq!(now["aliases"][alias], new, "{now:#}");
    assert_eq!(now["aliases"][reports.as_str()], old.as_str(), "{now:#}");
    // Queries through the reporting alias still work (the collection is still loaded).
    let served = check(server, &["count", &reports]);
    assert_eq!(served["count"], 1_000, "{served}");
    // And --drop-previous refuses the collection the reporting alias points at.
    let out = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--drop-previous", &old],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(&reports), "{}", text(&out));
    cleanup(server, alias);
}

#[test]
fn m23_other_aliases_are_kept_serving() {
    other_aliases_are_kept_serving(M23, "rb25_m23_alias");
}

#[test]
fn l32_other_aliases_are_kept_serving() {
    other_aliases_are_kept_serving(L32, "rb25_l32_alias");
}

/// A name that is a collection, not an alias: the dry run says so (and what the switch will
/// rename) before anything happens.
fn a_collection_name_is_announced_in_the_plan(server: &str, name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let uri = service_uri(server);
    cleanup(server, name);
    fill(tmp.path(), &uri, &schema(name), 500, name);
    let plan = rebuilt(tmp.path(), &uri, &["--alias", name, "--dry-run"]);
    let warnings = plan["warnings"].to_string();
    assert!(
        warnings.contains("is a collection, not an alias") && warnings.contains("_before_rebuild"),
        "{plan:#}"
    );
    let summary = rebuilt(tmp.path(), &uri, &["--alias", name, "--drain-seconds", "0"]);
    assert_eq!(summary["alias_created"], true, "{summary:#}");
    let renamed = summary["old_collection"].as_str().unwrap();
    assert!(
        summary["warnings"]
            .to_string()
            .contains(&format!("renamed to `{renamed}`")),
        "{summary:#}"
    );
    cleanup(server, name);
}

#[test]
fn m23_a_collection_name_is_announced_in_the_plan() {
    a_collection_name_is_announced_in_the_plan(M23, "rb25_m23_plain");
}

#[test]
fn l32_a_collection_name_is_announced_in_the_plan() {
    a_collection_name_is_announced_in_the_plan(L32, "rb25_l32_plain");
}

// ---- item 14: the shipped handlers' indexes on older servers ------------------------------

mod sync_common;

/// `sync` of the shipped `episodic_memory` handler (default 1024-d vectors) from 30 MongoDB
/// documents into `name` on `server`: the target is created with the handler's indexes in the
/// server's own names, behind its alias; returns the sync summary.
async fn synced(server: &str, dir: &Path, name: &str, db: &str) -> Value {
    use sync_common::{EPISODIC, episodic_docs, fresh, insert, mongo, mongo_uri};
    let client = mongo().await;
    let coll = fresh(&client, db, EPISODIC.source).await;
    insert(&coll, &episodic_docs(25, 0..30, 1024)).await;
    cleanup(server, name);
    let state = dir.join("state").display().to_string();
    let (mongo, uri) = (mongo_uri(), service_uri(server));
    let args = [
        "--output",
        "json",
        "sync",
        "-c",
        "episodic_memory",
        "--milvus-name",
        name,
        "--mongo-uri",
        &mongo,
        "--mongo-db",
        db,
        "--uri",
        &uri,
        "--state-dir",
        &state,
        "--no-progress",
    ];
    let out = rebuild_common::run_in(dir, &args);
    let now = check(server, &["describe", name]);
    assert!(
        out.status.success(),
        "sync: {}\nleft on the server: {now:#}",
        text(&out)
    );
    let real = now["aliases"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no alias: {now:#}"));
    assert_eq!(now["collections"], json!([real]), "{now:#}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The index types of `collection` as pymilvus reports them, by field.
fn index_types(server: &str, prefix: &str, collection: &str) -> Value {
    let now = check(server, &["describe", prefix]);
    let types: serde_json::Map<String, Value> = now["indexes"][collection]
        .as_object()
        .unwrap_or_else(|| panic!("{collection} has no indexes: {now:#}"))
        .iter()
        .map(|(f, p)| (f.clone(), p["index_type"].clone()))
        .collect();
    Value::Object(types)
}

/// Synced, then rebuilt from the shipped handler (the alias names its collection type): the
/// scalar AUTOINDEXes the handler declares are built as `scalar` (what the server has), the
/// alias switches and every row is copied.
async fn the_episodic_memory_handler_is_synced_and_rebuilt(server: &str, name: &str, scalar: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let s = synced(server, tmp.path(), name, name).await;
    assert_eq!(s["target"], "created", "{s}");
    let rows = s["upserted"].as_u64().unwrap();
    assert!(rows > 10, "{s}");
    let uri = service_uri(server);
    let summary = rebuilt(tmp.path(), &uri, &["--alias", name, "--drain-seconds", "0"]);
    assert_eq!(
        summary["source"], "sync handler for `episodic_memory`",
        "{summary:#}"
    );
    assert_eq!(summary["switched"], true, "{summary:#}");
    assert_eq!(summary["rows_in_new"], rows, "{summary:#}");
    let new = summary["new_collection"].as_str().unwrap();
    let types = index_types(server, name, new);
    assert_eq!(types["vector"], "HNSW", "{types}");
    assert_eq!(types["user_id"], scalar, "{types}");
    let keys = check(server, &["keys", name, "id"]);
    assert_eq!(
        (&keys["count"], &keys["distinct"]),
        (&json!(rows), &json!(rows)),
        "{keys}"
    );
    // `--index` takes the server's spelling whatever the case given.
    if scalar == "Trie" {
        let o = [
            "--alias",
            name,
            "--index",
            "user_id=TRIE",
            "--drain-seconds",
            "0",
        ];
        let again = rebuilt(tmp.path(), &uri, &o);
        let newer = again["new_collection"].as_str().unwrap();
        assert_eq!(index_types(server, name, newer)["user_id"], "Trie");
    }
    cleanup(server, name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m23_the_episodic_memory_handler_is_synced_and_rebuilt() {
    the_episodic_memory_handler_is_synced_and_rebuilt(M23, "rb25_m23_episodic_memory", "Trie")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l32_the_episodic_memory_handler_is_synced_and_rebuilt() {
    the_episodic_memory_handler_is_synced_and_rebuilt(L32, "rb25_l32_episodic_memory", "INVERTED")
        .await;
}
