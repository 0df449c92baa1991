//! Issue 10: faults Milvus users reported publicly in bulk-import files, one test per
//! reproducing input with its right value (the server side is in fixes_json_e2e.rs).

mod common;

use std::fs;
use std::path::Path;

use common::{must, pyarrow_check, run_in, text};
use serde_json::Value;

fn write(dir: &Path, name: &str, yaml: &str) {
    fs::write(dir.join(name), yaml).unwrap();
}

/// The rows of a one-file JSON dataset.
fn json_rows(dir: &Path) -> Vec<serde_json::Map<String, Value>> {
    let doc: Value = serde_json::from_slice(&fs::read(dir.join("data.json")).unwrap()).unwrap();
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

fn parquet_batch(path: &Path) -> arrow_array::RecordBatch {
    let file = fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
}

const HALF: &str = "collection_name: json_f16
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: f16, type: Float16Vector, dim: 4}
  - {name: bf16, type: BFloat16Vector, dim: 4}
";

/// Case 1: half-precision vectors in JSON are `dim` numbers (the half values), not 2 x dim
/// bytes; Parquet of the same seed keeps the bytes of the same values.
#[test]
fn half_vectors_in_json_are_dim_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "f16.yaml", HALF);
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "f16.yaml",
            "-r",
            "2",
            "-f",
            "json",
            "--out",
            "j",
            "--no-progress",
        ],
    );
    let rows = json_rows(&tmp.path().join("j"));
    let f16: Vec<f64> = rows[0]["f16"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // The issue's row: bytes [19,185,2,185,209,178,105,182] are these four halves.
    assert_eq!(f16, [-0.6343, -0.626, -0.213, -0.4006], "{rows:?}");
    for row in &rows {
        for name in ["f16", "bf16"] {
            let v = row[name].as_array().unwrap();
            assert_eq!(v.len(), 4, "{name}: {v:?}");
            assert!(v.iter().all(|x| x.as_f64().is_some_and(|f| f.abs() <= 1.0)));
        }
    }
    pyarrow_check(&tmp.path().join("j"));

    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "f16.yaml",
            "-r",
            "2",
            "--out",
            "p",
            "--no-progress",
        ],
    );
    let batch = parquet_batch(&tmp.path().join("p/data.parquet"));
    for (name, decode) in [
        (
            "f16",
            (|b: [u8; 2]| half::f16::from_le_bytes(b).to_f32()) as fn([u8; 2]) -> f32,
        ),
        ("bf16", |b: [u8; 2]| half::bf16::from_le_bytes(b).to_f32()),
    ] {
        let list = batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::ListArray>()
            .unwrap();
        for (r, row) in rows.iter().enumerate() {
            let bytes = list.value(r);
            let bytes = bytes
                .as_any()
                .downcast_ref::<arrow_array::UInt8Array>()
                .unwrap();
            assert_eq!(bytes.len(), 8, "Parquet keeps 2 bytes per dimension");
            for (k, json) in row[name].as_array().unwrap().iter().enumerate() {
                let parquet = decode([bytes.value(2 * k), bytes.value(2 * k + 1)]);
                // The JSON number reads back (through float32, as Milvus does) to the half.
                let back = json.as_f64().unwrap() as f32;
                let round = if name == "f16" {
                    half::f16::from_f32(back).to_f32()
                } else {
                    half::bf16::from_f32(back).to_f32()
                };
                assert_eq!(round, parquet, "{name} row {r} dim {k}");
            }
        }
    }
}

/// Case 1, every other type: JSON rows hold what Milvus' JSON row reader parses.
#[test]
fn every_type_is_encoded_as_milvus_json_import_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "all.yaml",
        "collection_name: all_types
enable_dynamic_field: true
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: i8v, type: Int8Vector, dim: 8}
  - {name: bin, type: BinaryVector, dim: 32}
  - {name: sp, type: SparseFloatVector, dim: 1000, density: 0.01}
  - {name: doc, type: JSON}
  - {name: tags, type: Array, element_type: Int32, max_capacity: 3}
  - {name: note, type: VarChar, max_length: 20, nullable: true, null_ratio: 0.5}
dynamic_fields:
  - {name: source-url, type: VarChar, max_length: 60, kind: url}
",
    );
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "all.yaml",
            "-r",
            "20",
            "-f",
            "json",
            "--out",
            "j",
            "--no-progress",
        ],
    );
    for row in json_rows(&tmp.path().join("j")) {
        let i8v = row["i8v"].as_array().unwrap();
        assert_eq!(i8v.len(), 8);
        assert!(
            i8v.iter()
                .all(|x| x.as_i64().is_some_and(|v| (-128..=127).contains(&v)))
        );
        let bin = row["bin"].as_array().unwrap();
        assert_eq!(bin.len(), 4, "dim/8 bytes");
        assert!(bin.iter().all(|x| x.as_u64().is_some_and(|v| v <= 255)));
        let sp = row["sp"]
            .as_object()
            .expect("sparse is an {\"index\": value} object");
        assert!(!sp.is_empty());
        assert!(
            sp.iter()
                .all(|(k, v)| k.parse::<u32>().is_ok() && v.is_f64())
        );
        assert!(
            row["doc"].is_object(),
            "a JSON field is a JSON value, not a string"
        );
        assert!(row["tags"].as_array().unwrap().iter().all(Value::is_i64));
        assert!(row["note"].is_null() || row["note"].is_string());
        // Dynamic keys are top-level keys of the row.
        assert!(row["source-url"].as_str().unwrap().starts_with("https://"));
        assert!(!row.contains_key("$meta"));
    }
    pyarrow_check(&tmp.path().join("j"));
}

/// Case 2: auto_id on a VarChar primary key is valid; the key is left out of the files.
#[test]
fn auto_id_varchar_primary_key_is_valid_and_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "auto.yaml",
        "collection_name: auto_varchar
fields:
  - {name: pk, type: VarChar, max_length: 64, is_primary: true, auto_id: true}
  - {name: v, type: FloatVector, dim: 4}
",
    );
    must(
        tmp.path(),
        &["generate", "--schema", "auto.yaml", "--validate-only"],
    );
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "auto.yaml",
            "-r",
            "5",
            "-f",
            "json",
            "--out",
            "j",
            "--no-progress",
        ],
    );
    for row in json_rows(&tmp.path().join("j")) {
        assert_eq!(row.keys().collect::<Vec<_>>(), ["v"]);
    }
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "auto.yaml",
            "-r",
            "5",
            "--out",
            "p",
            "--no-progress",
        ],
    );
    let batch = parquet_batch(&tmp.path().join("p/data.parquet"));
    assert!(batch.column_by_name("pk").is_none());
    pyarrow_check(&tmp.path().join("p"));
}

/// Case 3: the dynamic field on without declared keys still gets a `$meta` column (`{}`).
#[test]
fn dynamic_field_without_keys_writes_an_empty_meta() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "dyn.yaml",
        "collection_name: dyn_empty
enable_dynamic_field: true
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: v, type: FloatVector, dim: 4}
",
    );
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "dyn.yaml",
            "-r",
            "3",
            "--out",
            "p",
            "--no-progress",
        ],
    );
    let batch = parquet_batch(&tmp.path().join("p/data.parquet"));
    let names: Vec<&str> = batch
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["id", "v", "$meta"]);
    let meta = batch
        .column_by_name("$meta")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .unwrap();
    assert!(meta.iter().all(|m| m == Some("{}")), "{meta:?}");
    pyarrow_check(&tmp.path().join("p"));
}

/// Case 4: a word longer than max_length is a validation error naming it and its bytes.
#[test]
fn words_longer_than_max_length_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "w.yaml",
        "collection_name: words
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: w, type: VarChar, max_length: 4, words: [\"中文\", \"汉字词\", \"ab\"]}
  - {name: v, type: FloatVector, dim: 4}
",
    );
    let out = run_in(
        tmp.path(),
        &["generate", "--schema", "w.yaml", "--validate-only"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for want in [
        "`w`",
        "words",
        "\"中文\" is 6 UTF-8 bytes, over max_length 4",
        "\"汉字词\" is 9 UTF-8 bytes",
    ] {
        assert!(t.contains(want), "`{want}` missing: {t}");
    }
}

/// Case 4, the rest of the kind: values made from `words` hold whole words only, for every
/// word-based kind, whatever the limits.
#[test]
fn values_from_words_are_whole_words_of_the_list() {
    let tmp = tempfile::tempdir().unwrap();
    let words = ["中文", "汉字词", "ab", "naïve"];
    let mut yaml = String::from(
        "collection_name: words\nfields:\n  - {name: id, type: Int64, is_primary: true}\n  - {name: v, type: FloatVector, dim: 4}\n",
    );
    let kinds = ["word", "words", "title", "sentence", "paragraph", "text"];
    for kind in kinds {
        yaml.push_str(&format!(
            "  - {{name: {kind}_f, type: VarChar, max_length: 13, min_length: 6, kind: {kind}, words: [\"中文\", \"汉字词\", \"ab\", \"naïve\"]}}\n"
        ));
    }
    // Kind `word` writes one word, so "ab" (2 bytes, under min_length 6) is refused there;
    // the other kinds join words and may use it.
    let out = {
        write(tmp.path(), "w.yaml", &yaml);
        run_in(
            tmp.path(),
            &["generate", "--schema", "w.yaml", "--validate-only"],
        )
    };
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("\"ab\" is 2 UTF-8 bytes, under min_length 6"),
        "{t}"
    );
    yaml = yaml.replace(
        "kind: word, words: [\"中文\", \"汉字词\", \"ab\", \"naïve\"]",
        "kind: word, words: [\"中文\", \"汉字词\", \"naïve\"]",
    );
    write(tmp.path(), "w.yaml", &yaml);
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "w.yaml",
            "-r",
            "300",
            "-f",
            "json",
            "--out",
            "j",
            "--no-progress",
        ],
    );
    for row in json_rows(&tmp.path().join("j")) {
        for kind in kinds {
            let v = row[&format!("{kind}_f")].as_str().unwrap();
            assert!((6..=13).contains(&v.len()), "{kind}: {v:?}");
            assert!(
                v.split(' ').all(|w| words.contains(&w)),
                "{kind}: {v:?} holds a value not in the list"
            );
            if kind == "word" {
                assert!(!v.contains(' '), "{v:?}");
            }
        }
    }

    // Limits no whole-word value can meet are refused up front.
    write(
        tmp.path(),
        "x.yaml",
        "collection_name: words\nfields:\n  - {name: id, type: Int64, is_primary: true}\n  - {name: s, type: VarChar, max_length: 7, min_length: 7, kind: words, words: [ab]}\n  - {name: v, type: FloatVector, dim: 4}\n",
    );
    let out = run_in(
        tmp.path(),
        &["generate", "--schema", "x.yaml", "--validate-only"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("no value of whole words"), "{t}");
}

/// Case 4, other user lists: enum values must respect min/max and min_length too.
#[test]
fn enum_values_outside_the_fields_own_limits_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (field, want) in [
        (
            "{name: n, type: Int32, min: 0, max: 10, enum_values: [1, 50]}",
            "50 is outside [min, max]",
        ),
        (
            "{name: s, type: VarChar, max_length: 10, min_length: 3, enum_values: [abc, x]}",
            "\"x\" is 1 UTF-8 bytes, under min_length 3",
        ),
        (
            "{name: f, type: Float, default_value: 1.0e39}",
            "outside the Float (32-bit) range",
        ),
    ] {
        write(
            tmp.path(),
            "e.yaml",
            &format!(
                "collection_name: e\nfields:\n  - {{name: id, type: Int64, is_primary: true}}\n  - {field}\n  - {{name: v, type: FloatVector, dim: 4}}\n"
            ),
        );
        let out = run_in(
            tmp.path(),
            &["generate", "--schema", "e.yaml", "--validate-only"],
        );
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{field}: {t}");
        assert!(t.contains(want), "{field}: `{want}` missing: {t}");
    }
}

fn numbers(rows: &[serde_json::Map<String, Value>], name: &str) -> Vec<Value> {
    rows.iter().map(|r| r[name].clone()).collect()
}

/// Case 5: extreme but legal ranges spread over the whole range.
#[test]
fn extreme_ranges_spread_over_the_whole_range() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "x.yaml",
        "collection_name: extremes
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: d, type: Double, min: -1e308, max: 1e308}
  - {name: dn, type: Double, min: -1e308, max: 1e308, distribution: {type: normal}}
  - {name: f, type: Float, min: -3.4e38, max: 3.4e38}
  - {name: top, type: Int64, min: 9223372036854775797, max: 9223372036854775807}
  - {name: bottom, type: Int64, min: -9223372036854775808, max: -9223372036854775800}
  - {name: all, type: Int64, min: -9223372036854775808, max: 9223372036854775807, distribution: {type: zipf}}
  - {name: price, type: Double, min: 0, max: 1e308}
  - {name: v, type: FloatVector, dim: 4}
",
    );
    must(
        tmp.path(),
        &[
            "generate",
            "--schema",
            "x.yaml",
            "-r",
            "1000",
            "-f",
            "json",
            "--out",
            "j",
            "--no-progress",
        ],
    );
    let rows = json_rows(&tmp.path().join("j"));
    for name in ["d", "dn", "f", "price"] {
        let v: Vec<f64> = numbers(&rows, name)
            .iter()
            .map(|x| x.as_f64().unwrap_or_else(|| panic!("{name}: {x}")))
            .collect();
        let distinct: std::collections::HashSet<u64> = v.iter().map(|x| x.to_bits()).collect();
        assert!(distinct.len() > 900, "{name}: {} distinct", distinct.len());
        let (lo, hi) = (
            v.iter().cloned().fold(f64::INFINITY, f64::min),
            v.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        );
        let top = if name == "f" { 3.4e38 } else { 1e308 };
        assert!(hi > top / 4.0 && hi <= top, "{name}: max {hi}");
        if name != "price" {
            assert!(lo < -top / 4.0 && lo >= -top, "{name}: min {lo}");
        }
    }
    for (name, lo, hi, distinct) in [
        ("top", i64::MAX - 10, i64::MAX, 11),
        ("bottom", i64::MIN, i64::MIN + 8, 9),
    ] {
        let v: Vec<i64> = numbers(&rows, name)
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        assert!(v.iter().all(|x| (lo..=hi).contains(x)), "{name}: {v:?}");
        let set: std::collections::HashSet<i64> = v.into_iter().collect();
        assert_eq!(
            set.len(),
            distinct,
            "{name}: every value of the range appears"
        );
    }
    assert!(rows.iter().all(|r| r["all"].is_i64()));
    pyarrow_check(&tmp.path().join("j"));
}

/// Case 5: numeric controls that would overflow or collapse are refused with a message.
#[test]
fn numeric_controls_that_would_collapse_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (field, want) in [
        (
            "{name: f, type: Float, min: -1e308, max: 1e308}",
            "outside the Float range",
        ),
        (
            "{name: f, type: Float, min: 1e-50, max: 2e-50}",
            "no 32-bit Float lies between",
        ),
        (
            "{name: d, type: Double, min: 0, max: 1, distribution: {type: normal, mean: 100}}",
            "normal `mean` 100 is outside [min, max]",
        ),
        (
            "{name: n, type: Int64, min: 9223372036854775807, max: 9223372036854775800}",
            "min (9223372036854775807) must be <= max (9223372036854775800)",
        ),
        (
            "{name: s, type: SparseFloatVector, dim: 4000000000, density: 0.5}",
            "non-zeros per row",
        ),
    ] {
        write(
            tmp.path(),
            "e.yaml",
            &format!(
                "collection_name: e\nfields:\n  - {{name: id, type: Int64, is_primary: true}}\n  - {field}\n  - {{name: v, type: FloatVector, dim: 4}}\n"
            ),
        );
        let out = run_in(
            tmp.path(),
            &["generate", "--schema", "e.yaml", "--validate-only"],
        );
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{field}: {t}");
        assert!(t.contains(want), "{field}: `{want}` missing: {t}");
    }
}
