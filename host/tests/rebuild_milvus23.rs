//! `rebuild` end to end against Milvus 2.3.5, through the real binary. Collections are filled
//! with our own `generate` + `to-milvus insert`; every check of the result is made with
//! pymilvus (tests/rebuild_check.py), not with this project's code. Names start with `rb_`.

mod rebuild_common;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use rebuild_common::{Searcher, bin, check, cleanup, fill, rebuild, rebuilt, service_uri, text};
use serde_json::{Value, json};

const URI: &str = "MI_MILVUS23_URI";

fn int_schema(name: &str) -> Value {
    json!({
        "collection_name": name,
        "enable_dynamic_field": true,
        "fields": [
            {"name": "id", "type": "Int64", "is_primary": true},
            {"name": "vec", "type": "FloatVector", "dim": 16},
            {"name": "title", "type": "VarChar", "max_length": 64},
            {"name": "n", "type": "Int32", "min": 0, "max": 1000},
            {"name": "score", "type": "Double"},
            {"name": "f", "type": "Float"},
            {"name": "flag", "type": "Bool"},
            {"name": "tags", "type": "Array", "element_type": "VarChar", "max_length": 20, "max_capacity": 5},
            {"name": "nums", "type": "Array", "element_type": "Int64", "max_capacity": 4, "min_capacity": 0},
            {"name": "doc", "type": "JSON"}
        ],
        "dynamic_fields": [
            {"name": "author", "type": "VarChar", "max_length": 50},
            {"name": "rank", "type": "Int64", "min": 1, "max": 100}
        ]
    })
}

fn str_schema(name: &str) -> Value {
    json!({
        "collection_name": name,
        "enable_dynamic_field": true,
        "fields": [
            {"name": "uid", "type": "VarChar", "max_length": 40, "is_primary": true},
            {"name": "emb", "type": "FloatVector", "dim": 8},
            {"name": "body", "type": "VarChar", "max_length": 200},
            {"name": "year", "type": "Int16", "min": 1990, "max": 2030},
            {"name": "meta", "type": "JSON"}
        ],
        "dynamic_fields": [{"name": "source", "type": "VarChar", "max_length": 30}]
    })
}

/// Fills `<alias>_v0` and points `alias` at it.
fn aliased(dir: &Path, uri: &str, schema: &Value, rows: u64, alias: &str) -> String {
    cleanup(URI, alias);
    let real = format!("{alias}_v0");
    fill(dir, uri, schema, rows, &real);
    check(URI, &["alias", alias, &real]);
    real
}

fn target_of(alias: &str) -> Option<String> {
    check(URI, &["describe", alias])["aliases"][alias]
        .as_str()
        .map(str::to_string)
}

fn assert_equal_rows(old: &str, new: &str, pk: &str, expect: &Value, rows: u64) {
    let r = check(URI, &["compare", old, new, pk, &expect.to_string()]);
    assert_eq!(r["mismatches"], 0, "{r:#}");
    assert_eq!(r["compared"], rows, "{r:#}");
    assert_eq!(r["new_rows"], rows, "{r:#}");
    assert_eq!(r["new_count"], rows, "{r:#}");
    assert_eq!(r["extra"], 0, "{r:#}");
}

/// Rebuilds a 50,000-row collection (beyond the 16,384 query window) while a searcher keeps
/// searching through the alias; returns nothing, asserts everything.
fn rebuild_big(alias: &str, schema: Value, pk: &str, field: &str, dim: usize) {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let rows = 50_000;
    let old = aliased(tmp.path(), &uri, &schema, rows, alias);
    let searcher = Searcher::start(&uri, alias, field, dim, "COSINE");
    let t = Instant::now();
    while searcher.ok.load(std::sync::atomic::Ordering::Relaxed) < 3 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no search answered before the rebuild"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let during = searcher.ok.load(std::sync::atomic::Ordering::Relaxed);
    let summary = rebuilt(tmp.path(), &uri, &["--alias", alias, "-b", "3000"]);
    std::thread::sleep(Duration::from_secs(2));
    let (ok, failed, errors) = searcher.stop();
    assert_eq!(failed, 0, "searches failed during the rebuild: {errors:?}");
    assert!(ok > during + 3, "searches stopped answering: {ok} answers");

    let new = summary["new_collection"].as_str().unwrap().to_string();
    assert!(
        new.starts_with(&format!("{alias}_")) && new.len() == alias.len() + 21,
        "{new}"
    );
    assert_eq!(summary["switched"], true, "{summary:#}");
    assert_eq!(summary["rows_copied"], rows, "{summary:#}");
    assert_eq!(summary["rows_in_new"], rows, "{summary:#}");
    assert_eq!(summary["old_collection"], old.as_str());
    assert_eq!(summary["old_released"], true);
    assert_eq!(summary["old_dropped"], false);
    assert!(
        summary["drop_hint"].as_str().unwrap().contains(&old),
        "{summary:#}"
    );
    assert_eq!(target_of(alias).as_deref(), Some(new.as_str()));
    assert_equal_rows(&old, &new, pk, &json!({}), rows);

    // The kept collection can be dropped later; the live one cannot.
    let refused = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--drop-previous", &new],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let dropped = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--drop-previous", &old],
    );
    assert!(dropped.status.success(), "{}", text(&dropped));
    let left = check(URI, &["describe", alias]);
    assert_eq!(left["collections"], json!([new]), "{left:#}");
    cleanup(URI, alias);
}

#[test]
fn int64_pk_collection_of_50k_rows_is_rebuilt_while_searches_keep_working() {
    rebuild_big("rb_i64", int_schema("rb_i64"), "id", "vec", 16);
}

#[test]
fn varchar_pk_collection_of_50k_rows_is_rebuilt_while_searches_keep_working() {
    rebuild_big("rb_str", str_schema("rb_str"), "uid", "emb", 8);
}

#[test]
fn schema_change_promotes_a_dynamic_key_widens_a_field_and_drops_one() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_schema";
    let mut schema = int_schema(alias);
    // Binary vectors too: every vector type 2.3.5 has is copied.
    schema["fields"][1] = json!({"name": "vec", "type": "BinaryVector", "dim": 64});
    let old = aliased(tmp.path(), &uri, &schema, 5_000, alias);

    let mut new = schema.clone();
    let fields = new["fields"].as_array_mut().unwrap();
    fields.retain(|f| f["name"] != "flag");
    for f in fields.iter_mut() {
        if f["name"] == "n" {
            f["type"] = json!("Int64");
        }
    }
    fields.push(json!({"name": "rank", "type": "Int64"}));
    new["dynamic_fields"] = json!([]);
    let file = tmp.path().join("new.json");
    std::fs::write(&file, new.to_string()).unwrap();
    let file = file.to_str().unwrap();

    let plan = rebuilt(
        tmp.path(),
        &uri,
        &["--alias", alias, "--schema", file, "--dry-run"],
    );
    assert_eq!(plan["dry_run"], true);
    let changes = plan["changes"].to_string();
    assert!(
        changes.contains("flag")
            && changes.contains("removed")
            && changes.contains("rank")
            && changes.contains("Int32 -> Int64"),
        "{plan:#}"
    );
    assert_eq!(
        check(URI, &["describe", alias])["collections"],
        json!([old])
    );

    // A lossy change is refused before anything is created.
    let mut lossy = new.clone();
    lossy["fields"][3]["type"] = json!("Int8");
    let lossy_file = tmp.path().join("lossy.json");
    std::fs::write(&lossy_file, lossy.to_string()).unwrap();
    let out = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--schema", lossy_file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        check(URI, &["describe", alias])["collections"],
        json!([old])
    );

    let summary = rebuilt(tmp.path(), &uri, &["--alias", alias, "--schema", file]);
    let new_name = summary["new_collection"].as_str().unwrap();
    assert_eq!(target_of(alias).as_deref(), Some(new_name));
    // pymilvus flattens dynamic keys into rows, so the promoted key compares equal as a field.
    assert_equal_rows(&old, new_name, "id", &json!({"dropped": ["flag"]}), 5_000);
    cleanup(URI, alias);
}

#[test]
fn index_changes_failures_and_refusals() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_index";
    let old = aliased(tmp.path(), &uri, &int_schema(alias), 3_000, alias);

    // A new index the server cannot build: alias untouched, no new collection left.
    let out = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--index", "vec=IVF_FLAT:nlist=0"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nlist"),
        "{}",
        text(&out)
    );
    let state = check(URI, &["describe", alias]);
    assert_eq!(state["collections"], json!([old]), "{state:#}");
    assert_eq!(target_of(alias).as_deref(), Some(old.as_str()));

    // The seed's scenario 1 step 4 (empty target, old dropped) is refused.
    let out = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--no-migrate-data", "--drop-old"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-empty"));

    // An unknown field in --index is bad input.
    let out = rebuild(
        tmp.path(),
        &uri,
        &["--alias", alias, "--index", "nope=HNSW"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // Index-only rebuild.
    let summary = rebuilt(
        tmp.path(),
        &uri,
        &[
            "--alias",
            alias,
            "--index",
            "vec=IVF_FLAT:nlist=64",
            "--metric",
            "L2",
        ],
    );
    let new = summary["new_collection"].as_str().unwrap();
    let state = check(URI, &["describe", alias]);
    let params = &state["indexes"][new]["vec"];
    assert_eq!(params["index_type"], "IVF_FLAT", "{state:#}");
    assert_eq!(params["metric_type"], "L2", "{state:#}");
    assert_eq!(
        state["indexes"][&old]["vec"]["index_type"], "HNSW",
        "{state:#}"
    );
    assert_equal_rows(&old, new, "id", &json!({}), 3_000);
    cleanup(URI, alias);
}

fn spawn_rebuild(dir: &Path, uri: &str, args: &[&str]) -> Child {
    Command::new(bin())
        .args(["--output", "json", "rebuild", "--uri", uri, "--no-progress"])
        .args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Rows copied so far, from the state file (0 until it exists).
fn copied_so_far(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir.join(".home/rebuild")) else {
        return 0;
    };
    for e in entries.flatten() {
        if e.path().extension().is_some_and(|x| x == "json")
            && let Ok(text) = std::fs::read_to_string(e.path())
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            return v["rows_copied"].as_u64().unwrap_or(0);
        }
    }
    0
}

fn wait_copied(child: &mut Child, dir: &Path, rows: u64) {
    let t = Instant::now();
    while copied_so_far(dir) < rows {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the rebuild ended ({status}) before copying {rows} rows");
        }
        assert!(t.elapsed() < Duration::from_secs(300), "copy too slow");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn rows_written_during_the_copy_stop_the_switch_or_are_caught_up() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_catch";
    let old = aliased(tmp.path(), &uri, &int_schema(alias), 30_000, alias);
    let slow = ["-b", "100", "--concurrency", "1"];

    // Without --catch-up: rows arrive below and above the copy's position; 2.3.5 has no
    // snapshot reads, so the copy saw some of them: the counts differ and the alias stays.
    let mut args = vec!["--alias", alias];
    args.extend_from_slice(&slow);
    let mut child = spawn_rebuild(tmp.path(), &uri, &args);
    wait_copied(&mut child, tmp.path(), 1_000);
    check(URI, &["copyrows", &old, "id", "5", "[-1, -2, 90000001]"]);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--catch-up") && stderr.contains("30003"),
        "{}",
        text(&out)
    );
    assert_eq!(target_of(alias).as_deref(), Some(old.as_str()));

    // --resume --catch-up copies the difference and switches.
    let summary = rebuilt(
        tmp.path(),
        &uri,
        &["--alias", alias, "--resume", "--catch-up"],
    );
    assert_eq!(summary["caught_up"]["added"], 2, "{summary:#}");
    assert_eq!(summary["rows_in_new"], 30_003, "{summary:#}");
    let current = summary["new_collection"].as_str().unwrap().to_string();
    assert_eq!(target_of(alias).as_deref(), Some(current.as_str()));
    assert_equal_rows(&old, &current, "id", &json!({}), 30_003);

    // --catch-up from the start: rows written during the copy all arrive before the switch.
    let mut args = vec!["--alias", alias, "--catch-up"];
    args.extend_from_slice(&slow);
    let mut child = spawn_rebuild(tmp.path(), &uri, &args);
    wait_copied(&mut child, tmp.path(), 1_000);
    check(
        URI,
        &["copyrows", &current, "id", "7", "[-5, -6, 90000005]"],
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        summary["caught_up"]["added"].as_u64().unwrap() >= 2,
        "{summary:#}"
    );
    assert_eq!(summary["rows_in_new"], 30_006, "{summary:#}");
    let newest = summary["new_collection"].as_str().unwrap();
    assert_equal_rows(&current, newest, "id", &json!({}), 30_006);
    cleanup(URI, alias);
}

#[test]
fn an_interrupted_rebuild_resumes_or_aborts() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let alias = "rb_resume";
    let old = aliased(tmp.path(), &uri, &int_schema(alias), 20_000, alias);
    let slow = ["--alias", alias, "-b", "500", "--concurrency", "2"];

    let mut child = spawn_rebuild(tmp.path(), &uri, &slow);
    wait_copied(&mut child, tmp.path(), 4_000);
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(target_of(alias).as_deref(), Some(old.as_str()));
    // A fresh rebuild refuses to start over an interrupted one.
    let out = rebuild(tmp.path(), &uri, &["--alias", alias]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--resume"),
        "{}",
        text(&out)
    );

    let summary = rebuilt(tmp.path(), &uri, &["--alias", alias, "--resume"]);
    assert_eq!(summary["resumed"], true);
    assert_eq!(summary["rows_in_new"], 20_000, "{summary:#}");
    let new = summary["new_collection"].as_str().unwrap().to_string();
    assert_eq!(target_of(alias).as_deref(), Some(new.as_str()));
    assert_equal_rows(&old, &new, "id", &json!({}), 20_000);

    // Ctrl-C this time: exit 1, the message names the new collection and both ways out.
    // Then abort: the half-built collection goes, the alias stays.
    let mut child = spawn_rebuild(tmp.path(), &uri, &slow);
    wait_copied(&mut child, tmp.path(), 2_000);
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interrupted")
            && stderr.contains("--resume")
            && stderr.contains("--abort")
            && stderr.contains(alias),
        "{}",
        text(&out)
    );
    let aborted = rebuilt(tmp.path(), &uri, &["--alias", alias, "--abort"]);
    assert_eq!(aborted["alias_on"], new.as_str());
    let state = check(URI, &["describe", alias]);
    assert_eq!(state["collections"], json!([new, old]), "{state:#}");
    assert_eq!(target_of(alias).as_deref(), Some(new.as_str()));
    assert_eq!(copied_so_far(tmp.path()), 0);
    cleanup(URI, alias);
}

#[test]
fn a_collection_without_an_alias_gets_one() {
    let uri = service_uri(URI);
    let tmp = tempfile::tempdir().unwrap();
    let name = "rb_bare";
    cleanup(URI, name);
    fill(tmp.path(), &uri, &str_schema(name), 2_000, name);
    let summary = rebuilt(tmp.path(), &uri, &["--alias", name]);
    assert_eq!(summary["alias_created"], true, "{summary:#}");
    let new = summary["new_collection"].as_str().unwrap();
    assert_eq!(target_of(name).as_deref(), Some(new));
    let previous = summary["old_collection"].as_str().unwrap();
    assert_equal_rows(previous, new, "uid", &json!({}), 2_000);
    cleanup(URI, name);
}
