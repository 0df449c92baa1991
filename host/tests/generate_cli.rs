//! `generate` end to end: the real binary on temporary directories, checked by pyarrow.

mod common;

use std::fs;
use std::path::Path;

use common::{ok, pyarrow_check, repo_root, run_in, text};

const BUILTINS: &[&str] = &[
    "simple",
    "product_catalog",
    "ecommerce_search",
    "news_articles",
    "document_search",
    "multi_tenant_data",
    "multimedia_content",
    "knowledge_base",
];

#[test]
fn every_builtin_generates_parquet_that_pyarrow_accepts() {
    let dir = tempfile::tempdir().unwrap();
    for name in BUILTINS {
        let out = format!("out/{name}");
        ok(
            dir.path(),
            &[
                "generate",
                "--builtin",
                name,
                "-r",
                "2500",
                "--rows-per-file",
                "1100",
                "--out",
                &out,
                "--no-progress",
            ],
        );
        pyarrow_check(&dir.path().join(&out));
    }
}

#[test]
fn json_output_is_accepted_too() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "product_catalog",
        "news_articles",
        "multimedia_content",
        "document_search",
    ] {
        let out = format!("json/{name}");
        ok(
            dir.path(),
            &[
                "generate",
                "--builtin",
                name,
                "-r",
                "1500",
                "--file-count",
                "2",
                "-f",
                "json",
                "--out",
                &out,
            ],
        );
        pyarrow_check(&dir.path().join(&out));
    }
}

#[test]
fn the_seeds_knowledge_base_file_works_as_a_user_schema() {
    let dir = tempfile::tempdir().unwrap();
    let schema = repo_root().join("tests/fixtures/knowledge_base.json");
    let schema = schema.to_str().unwrap();
    ok(
        dir.path(),
        &["generate", "--schema", schema, "--validate-only"],
    );
    ok(
        dir.path(),
        &["generate", "--schema", schema, "-r", "2000", "--out", "kb"],
    );
    pyarrow_check(&dir.path().join("kb"));
    // And through the store, as the seed's workflow does.
    ok(
        dir.path(),
        &[
            "schema",
            "add",
            "my_kb",
            schema,
            "--description",
            "FAQ",
            "--tags",
            "faq,support",
        ],
    );
    assert!(ok(dir.path(), &["schema", "list"]).contains("my_kb"));
    ok(
        dir.path(),
        &[
            "generate",
            "--builtin",
            "my_kb",
            "-r",
            "100",
            "--out",
            "kb2",
        ],
    );
    pyarrow_check(&dir.path().join("kb2"));
}

fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "meta.json")
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn bytes_do_not_depend_on_workers_or_batch_size() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["multimedia_content", "ecommerce_search", "news_articles"] {
        let a = format!("{name}-a");
        let b = format!("{name}-b");
        ok(
            dir.path(),
            &[
                "generate",
                "--builtin",
                name,
                "-r",
                "9000",
                "--rows-per-file",
                "4000",
                "--workers",
                "1",
                "--batch-size",
                "1024",
                "--out",
                &a,
                "--seed",
                "7",
            ],
        );
        ok(
            dir.path(),
            &[
                "generate",
                "--builtin",
                name,
                "-r",
                "9000",
                "--rows-per-file",
                "4000",
                "--workers",
                "3",
                "--batch-size",
                "5000",
                "--out",
                &b,
                "--seed",
                "7",
            ],
        );
        assert_eq!(
            files_of(&dir.path().join(&a)),
            files_of(&dir.path().join(&b)),
            "{name}"
        );
        #[allow(clippy::single_element_loop)] // more formats join later
        for f in ["json"] {
            let (ja, jb) = (format!("{name}-{f}-a"), format!("{name}-{f}-b"));
            ok(
                dir.path(),
                &[
                    "generate",
                    "--builtin",
                    name,
                    "-r",
                    "3000",
                    "-f",
                    f,
                    "--workers",
                    "1",
                    "--out",
                    &ja,
                ],
            );
            ok(
                dir.path(),
                &[
                    "generate",
                    "--builtin",
                    name,
                    "-r",
                    "3000",
                    "-f",
                    f,
                    "--workers",
                    "2",
                    "--batch-size",
                    "1",
                    "--out",
                    &jb,
                ],
            );
            assert_eq!(
                files_of(&dir.path().join(&ja)),
                files_of(&dir.path().join(&jb)),
                "{name} {f}"
            );
        }
    }
}

/// Every row of a dataset as JSON values, in file order (via the JSON writer, so it is
/// independent of Parquet layout).
fn rows_of(dir: &Path) -> Vec<serde_json::Value> {
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let mut rows = Vec::new();
    for f in meta["generation_info"]["data_files"].as_array().unwrap() {
        let doc: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join(f["file_name"].as_str().unwrap())).unwrap())
                .unwrap();
        rows.extend(doc["rows"].as_array().unwrap().iter().cloned());
    }
    rows
}

#[test]
fn file_splits_and_row_ranges_hold_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "news_articles",
            "-r",
            "5000",
            "-f",
            "json",
            "--out",
            "one",
        ],
    );
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "news_articles",
            "-r",
            "5000",
            "-f",
            "json",
            "--rows-per-file",
            "777",
            "--out",
            "many",
        ],
    );
    // Two shards of the same dataset, produced separately.
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "news_articles",
            "-r",
            "2100",
            "-f",
            "json",
            "--dataset-rows",
            "5000",
            "--start-row",
            "0",
            "--out",
            "part1",
        ],
    );
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "news_articles",
            "-r",
            "2900",
            "-f",
            "json",
            "--dataset-rows",
            "5000",
            "--start-row",
            "2100",
            "--out",
            "part2",
        ],
    );
    let one = rows_of(&d.join("one"));
    assert_eq!(one.len(), 5000);
    assert_eq!(one, rows_of(&d.join("many")));
    let mut parts = rows_of(&d.join("part1"));
    parts.extend(rows_of(&d.join("part2")));
    assert_eq!(one, parts);
}

#[test]
fn seeds_matter_including_zero() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "product_catalog",
            "-r",
            "200",
            "-f",
            "json",
            "--seed",
            "0",
            "--out",
            "s0",
        ],
    );
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "product_catalog",
            "-r",
            "200",
            "-f",
            "json",
            "--seed",
            "1",
            "--out",
            "s1",
        ],
    );
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "product_catalog",
            "-r",
            "200",
            "-f",
            "json",
            "--seed",
            "0",
            "--out",
            "s0b",
        ],
    );
    assert_ne!(rows_of(&d.join("s0")), rows_of(&d.join("s1")));
    assert_eq!(rows_of(&d.join("s0")), rows_of(&d.join("s0b")));
}

#[test]
fn preview_and_validate_only_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run_in(
        d,
        &[
            "generate",
            "--builtin",
            "knowledge_base",
            "-r",
            "3",
            "--preview",
            "--out",
            "p",
        ],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("question_embedding"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    let out = run_in(
        d,
        &[
            "generate",
            "--builtin",
            "knowledge_base",
            "--validate-only",
            "--out",
            "p",
        ],
    );
    assert!(out.status.success());
    assert!(!d.join("p").exists());
    assert!(!d.join("output").exists());
}

/// `-r 0 --preview` used to exit 0 with a preview of one row; more than 100 rows were cut
/// without a word.
#[test]
fn preview_refuses_zero_rows_and_says_when_it_shows_fewer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = |rows: &'static str| ["generate", "--builtin", "simple", "-r", rows, "--preview"];
    let out = run_in(d, &args("0"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--total-rows must be greater than 0"),
        "{}",
        text(&out)
    );
    assert!(out.stdout.is_empty(), "nothing is previewed");

    let mut json = args("150").to_vec();
    json.extend(["--output", "json"]);
    let out = run_in(d, &json);
    assert!(out.status.success(), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 100);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the first 100 of the 150 asked for"),
        "{stderr}"
    );
}

#[test]
fn an_existing_dataset_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "100",
            "--out",
            "ds",
        ],
    );
    let before = fs::read(d.join("ds/data.parquet")).unwrap();
    let out = run_in(
        d,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "200",
            "--out",
            "ds",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(fs::read(d.join("ds/data.parquet")).unwrap(), before);
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "200",
            "--out",
            "ds",
            "--force",
            "--output",
            "json",
        ],
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("ds/meta.json")).unwrap()).unwrap();
    assert_eq!(meta["generation_info"]["total_rows"], 200);
    // No staging directories or temporary files are left beside it.
    let names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains(".tmp-") && !n.contains(".old-")),
        "{names:?}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        vec!["generate", "--builtin", "simple", "--file-size", "lots"],
        vec!["generate", "--builtin", "simple", "-r", "0"],
        vec!["generate", "--builtin", "simple", "--partitions", "4"],
        vec!["generate", "--builtin", "nope"],
        vec!["generate"],
        vec!["generate", "--builtin", "simple", "--schema", "x.json"],
    ] {
        let out = run_in(d, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        fs::read_dir(d)
            .unwrap()
            .all(|e| e.unwrap().file_name() == ".home")
    );
}

#[test]
fn clean_removes_leftovers_and_with_all_the_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "generate",
            "--builtin",
            "simple",
            "-r",
            "10",
            "--out",
            "output/a",
        ],
    );
    fs::create_dir_all(d.join("output/.b.tmp-123")).unwrap();
    fs::write(d.join("output/a/.data.parquet.tmp-9"), b"half").unwrap();
    ok(d, &["clean"]);
    assert!(!d.join("output/.b.tmp-123").exists());
    assert!(!d.join("output/a/.data.parquet.tmp-9").exists());
    assert!(d.join("output/a/meta.json").exists());
    ok(d, &["clean", "--all", "--dry-run"]);
    assert!(d.join("output/a").exists());
    ok(d, &["clean", "--all"]);
    assert!(!d.join("output/a").exists());
}
