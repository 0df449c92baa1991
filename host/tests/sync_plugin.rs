//! A sync-handler component given with `--plugin` serves a new collection type end to end; the
//! host's entity checks catch what that (deliberately careless) handler lets through; a handler
//! that traps stops the run naming the plugin, the function and the document, with nothing of
//! that batch written; and bad input exits 2 with a message naming the flag and rule.

mod sync_common;

use sync_common::*;

const NAME: &str = "sync_plugin_notes";

fn notes_args<'a>(dir: &'a str, plugin: &'a str, mongo: &'a str, milvus: &'a str) -> Vec<&'a str> {
    vec![
        "-c",
        "sync_note",
        "--plugin",
        plugin,
        "--milvus-name",
        NAME,
        "--mongo-uri",
        mongo,
        "--uri",
        milvus,
        "--state-dir",
        dir,
        "-b",
        "5",
        "--concurrency",
        "1",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_serves_a_new_collection_type_and_the_host_checks_its_entities() {
    let client = mongo().await;
    let coll = fresh(&client, "notesdb", "notes").await;
    let docs = note_docs(31, 0..40);
    insert(&coll, &docs).await;
    drop_target(NAME).await;
    let dir = tempfile::tempdir().unwrap();
    let plugin = wasm("sync_notes").display().to_string();
    let (mongo, milvus) = (mongo_uri(), milvus_uri());
    let state = dir.path().join("state").display().to_string();

    let out = run(
        dir.path(),
        &["--output", "json", "sync", "--list", "--plugin", &plugin],
    );
    assert!(out.status.success(), "{}", text(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let types: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["collection_type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"sync_note") && types.contains(&"episodic_memory"),
        "{types:?}"
    );

    let report_path = dir.path().join("r.jsonl");
    let rp = report_path.display().to_string();
    let mut args = notes_args(&state, &plugin, &mongo, &milvus);
    args.extend(["--report", &rp]);
    let s = sync_ok(dir.path(), &args);
    let good = expectations("sync_note", &docs).rows;
    assert_eq!(s["upserted"], good.len() as u64, "{s}");
    assert_rows("sync_note", NAME, &good);
    assert_report(&report_path, "sync_note", &docs);

    // A document that makes the handler trap: the run stops (exit 1) naming plugin, function
    // and document; the batches before it are written, nothing of its own batch.
    let trap = oid(31, 1000);
    let mut bad = note_docs(31, 1000..1001).remove(0);
    bad.insert("trap", true);
    let more = note_docs(31, 990..1000);
    insert(&coll, &more).await;
    insert(&coll, &[bad]).await;
    let mut tail = note_docs(31, 1001..1004);
    tail.iter_mut().for_each(|d| {
        d.insert("title", "后来的");
    });
    insert(&coll, &tail).await;
    let out = run(
        dir.path(),
        &["sync"]
            .into_iter()
            .chain(notes_args(&state, &plugin, &mongo, &milvus))
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sync-notes") && err.contains("convert") && err.contains(&trap.to_hex()),
        "{err}"
    );
    // 40 + 10 documents before the trap: batches of 5, so the trap's batch is 1000..1004.
    let mut written: Vec<bson::Document> = docs.clone();
    written.extend(more);
    let good = expectations("sync_note", &written).rows;
    assert_rows("sync_note", NAME, &good);
    drop_target(NAME).await;
}

#[test]
fn bad_input_exits_2_naming_the_flag_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("x.json"), "{\"_id\": 1}\n").unwrap();
    let x = d.join("x.json").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["sync", "-c", "no_such_type", "--from-file", &x, "--dry-run"],
            "episodic_memory",
        ),
        (
            vec![
                "sync",
                "-c",
                "episodic_memory",
                "--from-file",
                &x,
                "--dry-run",
                "--since",
                "yesterday",
            ],
            "--since",
        ),
        (
            vec![
                "sync",
                "-c",
                "episodic_memory",
                "--from-file",
                &x,
                "--dry-run",
                "--limit",
                "0",
            ],
            "--limit",
        ),
        (
            vec![
                "sync",
                "-c",
                "episodic_memory",
                "--from-file",
                &x,
                "--dry-run",
                "-d",
                "1",
                "--since",
                "2026-01-01",
            ],
            "--days",
        ),
        (
            vec![
                "sync",
                "-c",
                "episodic_memory",
                "--from-file",
                "missing.bson",
                "--dry-run",
            ],
            "missing.bson",
        ),
        (
            vec![
                "sync",
                "-c",
                "episodic_memory",
                "--from-file",
                &x,
                "--dry-run",
                "--handler-param",
                "dim",
            ],
            "KEY=VALUE",
        ),
        (
            vec!["sync", "-c", "episodic_memory", "--dry-run"],
            "--mongo-uri",
        ),
    ];
    for (args, phrase) in cases {
        let out = command(d, &args)
            .env_remove("MONGODB_URI")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(phrase),
            "{args:?}: `{phrase}`\n{}",
            text(&out)
        );
    }
    // A broken export names the file and the document.
    std::fs::write(d.join("b.jsonl"), "{\"_id\": 1}\n{oops}\n").unwrap();
    let out = run(
        d,
        &[
            "sync",
            "-c",
            "episodic_memory",
            "--from-file",
            "b.jsonl",
            "--dry-run",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("b.jsonl: document 1"), "{}", text(&out));
}
