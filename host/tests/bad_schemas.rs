//! One bad schema per rule: each is refused with exit code 2, a message naming the field,
//! the attribute and the rule, and nothing written.

mod common;

use std::fs;

use common::run_in;

/// (what is wrong, fields JSON, words the message must contain)
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "no primary key",
        r#"[{"name":"v","type":"FloatVector","dim":8}]"#,
        &["primary key"],
    ),
    (
        "two primary keys",
        r#"[{"name":"a","type":"Int64","is_primary":true},{"name":"b","type":"Int64","is_primary":true},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["a, b"],
    ),
    (
        "pk of a wrong type",
        r#"[{"name":"id","type":"Double","is_primary":true},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["id", "is_primary", "Int64 or VarChar"],
    ),
    (
        "auto_id off the pk",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"n","type":"Int64","auto_id":true},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`n`", "auto_id"],
    ),
    (
        "a word over max_length",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"w","type":"VarChar","max_length":4,"words":["中文","ab"]},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`w`", "words", "\"中文\" is 6 UTF-8 bytes"],
    ),
    (
        "a Float range beyond 32 bits",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"f","type":"Float","min":-1e308,"max":1e308},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`f`", "min", "Float range"],
    ),
    (
        "binary dim over 8 x 32768",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"v","type":"BinaryVector","dim":262152}]"#,
        &["`v`", "dim", "262144"],
    ),
    (
        "nullable pk",
        r#"[{"name":"id","type":"Int64","is_primary":true,"nullable":true},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`id`", "nullable"],
    ),
    (
        "partition key of a wrong type",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"p","type":"Bool","is_partition_key":true},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`p`", "is_partition_key"],
    ),
    (
        "two partition keys",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"p","type":"Int64","is_partition_key":true},{"name":"q","type":"Int64","is_partition_key":true},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["partition key", "p, q"],
    ),
    (
        "VarChar without max_length",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"s","type":"VarChar"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`s`", "max_length", "required"],
    ),
    (
        "max_length too large",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"s","type":"VarChar","max_length":70000},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`s`", "max_length", "65535"],
    ),
    (
        "vector without dim",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"v","type":"FloatVector"}]"#,
        &["`v`", "dim", "required"],
    ),
    (
        "binary dim not a multiple of 8",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"v","type":"BinaryVector","dim":12}]"#,
        &["`v`", "dim", "multiple of 8"],
    ),
    (
        "no vector field",
        r#"[{"name":"id","type":"Int64","is_primary":true}]"#,
        &["vector field"],
    ),
    (
        "array without element_type",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"a","type":"Array","max_capacity":4},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`a`", "element_type"],
    ),
    (
        "array capacity too large",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"a","type":"Array","element_type":"Int32","max_capacity":5000},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`a`", "max_capacity", "4096"],
    ),
    (
        "array of JSON",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"a","type":"Array","element_type":"JSON","max_capacity":4},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`a`", "element_type"],
    ),
    (
        "min above max",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"n","type":"Int32","min":10,"max":5},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`n`", "min"],
    ),
    (
        "min outside the type",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"n","type":"Int8","min":-500},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`n`", "min", "Int8"],
    ),
    (
        "default of a wrong type",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"n","type":"Int32","default_value":"x"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`n`", "default_value"],
    ),
    (
        "default longer than max_length",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"s","type":"VarChar","max_length":3,"default_value":"ééé"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`s`", "default_value", "bytes"],
    ),
    (
        "nullable vector",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"v","type":"FloatVector","dim":8,"nullable":true}]"#,
        &["`v`", "nullable"],
    ),
    (
        "null_ratio on a non-nullable field",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"n","type":"Int32","null_ratio":0.5},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`n`", "null_ratio", "nullable"],
    ),
    (
        "unknown type",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"s","type":"Strng"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`s`", "Strng"],
    ),
    (
        "unknown attribute",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"s","type":"VarChar","max_lenght":5},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`s`", "max_lenght"],
    ),
    (
        "unknown kind",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"s","type":"VarChar","max_length":50,"kind":"emial"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`s`", "kind", "email"],
    ),
    (
        "duplicate names",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"x","type":"Bool"},{"name":"x","type":"Bool"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`x`", "unique"],
    ),
    (
        "invalid name",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"my field","type":"Bool"},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["my field", "name"],
    ),
    (
        "distribution not for the type",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"b","type":"Bool","distribution":{"type":"zipf"}},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`b`", "distribution"],
    ),
    (
        "bad metric",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"v","type":"BinaryVector","dim":8,"metric_type":"COSINE"}]"#,
        &["`v`", "metric_type", "HAMMING"],
    ),
    (
        "dim on a scalar",
        r#"[{"name":"id","type":"Int64","is_primary":true},{"name":"n","type":"Int32","dim":4},{"name":"v","type":"FloatVector","dim":8}]"#,
        &["`n`", "dim"],
    ),
];

#[test]
fn each_rule_has_its_message_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    for (what, fields, words) in CASES {
        let path = dir.path().join("bad.json");
        fs::write(
            &path,
            format!(r#"{{"collection_name":"c","fields":{fields}}}"#),
        )
        .unwrap();
        for extra in [&["--validate-only"][..], &["--out", "never"][..]] {
            let mut args = vec!["generate", "--schema", "bad.json"];
            args.extend_from_slice(extra);
            let out = run_in(dir.path(), &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
            assert!(
                stderr.contains("bad.json"),
                "{what}: message names the file: {stderr}"
            );
            for w in *words {
                assert!(stderr.contains(w), "{what}: `{w}` missing from: {stderr}");
            }
        }
        assert!(
            !dir.path().join("never").exists(),
            "{what}: something was written"
        );
    }
}

#[test]
fn all_problems_are_reported_at_once_and_yaml_works_the_same() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.yaml"),
        "collection_name: c\nfields:\n  - {name: id, type: Int64, is_primary: true}\n  - {name: s, type: VarChar}\n  - {name: v, type: FloatVector, dim: 12, metric_type: HAMMING}\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["generate", "--schema", "bad.yaml", "--validate-only"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(stderr.contains("`s`") && stderr.contains("`v`"), "{stderr}");
    fs::write(
        dir.path().join("good.yaml"),
        "collection_name: c\nfields:\n  - {name: id, type: Int64, is_primary: true}\n  - {name: s, type: VarChar, max_length: 20}\n  - {name: v, type: FloatVector, dim: 16}\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &[
            "generate",
            "--schema",
            "good.yaml",
            "-r",
            "50",
            "--out",
            "y",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("y/data.parquet").exists());
}
