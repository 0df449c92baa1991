//! Issue 10 end to end: the JSON output of every built-in schema and of the issue's cases,
//! inserted with `to-milvus insert` (which reads the JSON files the way Milvus' JSON import
//! does) into the server that holds it and verified with `to-milvus verify --level full`.
//! Servers, as in milvus_cli_e2e.rs: Milvus 2.3.5 for single-vector schemas without
//! nullable/default fields, Lite 2.5.1 for several vectors and half precision, Lite 3.2.2 for
//! nullable and default values. Collections are named `fixes_*`.

mod common;
mod milvus_common;

use std::path::Path;

use common::{must, pyarrow_check};
use milvus_common::service_uri;

/// `generate` JSON of a built-in (`--builtin NAME`) or a schema file, in files of 700 rows.
fn generate_json(dir: &Path, source: &[&str], rows: &str, out: &str) {
    let mut args = vec!["generate"];
    args.extend_from_slice(source);
    args.extend_from_slice(&[
        "-f",
        "json",
        "-r",
        rows,
        "--rows-per-file",
        "700",
        "--out",
        out,
        "--no-progress",
        "--seed",
        "10",
    ]);
    must(dir, &args);
    pyarrow_check(&dir.join(out));
}

fn insert_and_verify(dir: &Path, uri: &str, data: &str, collection: &str) {
    must(
        dir,
        &[
            "to-milvus",
            "insert",
            data,
            "--uri",
            uri,
            "--collection-name",
            collection,
            "--drop-if-exists",
            "--batch-size",
            "300",
            "--no-progress",
        ],
    );
    let out = must(
        dir,
        &[
            "--output",
            "json",
            "to-milvus",
            "verify",
            data,
            "--uri",
            uri,
            "--collection-name",
            collection,
            "--level",
            "full",
            "--sample",
            "25",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["passed"], true, "{collection}: {report:#}");
    assert_eq!(
        report["sampled"], report["found"],
        "{collection}: {report:#}"
    );
    assert!(report["sampled"].as_u64().unwrap() > 0);
    let fields = report["fields"].as_array().unwrap();
    assert!(
        fields.iter().all(|f| f["checked"].as_u64().unwrap() > 0),
        "{collection}: {report:#}"
    );
}

fn schema_file(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

#[test]
fn json_of_single_vector_builtins_and_cases_on_milvus_23() {
    let uri = service_uri("MI_MILVUS23_URI");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for name in [
        "simple",
        "product_catalog",
        "news_articles",
        "multi_tenant_data",
    ] {
        let data = format!("json/{name}");
        generate_json(d, &["--builtin", name], "1500", &data);
        insert_and_verify(d, &uri, &data, &format!("fixes_json23_{name}"));
    }
    // Case 2: auto_id on a VarChar primary key (Milvus fills in string ids).
    let auto = schema_file(
        d,
        "auto.yaml",
        "collection_name: auto_varchar
fields:
  - {name: pk, type: VarChar, max_length: 64, is_primary: true, auto_id: true}
  - {name: title, type: VarChar, max_length: 64, kind: title}
  - {name: v, type: FloatVector, dim: 4}
",
    );
    generate_json(d, &["--schema", &auto], "800", "json/auto");
    insert_and_verify(d, &uri, "json/auto", "fixes_json23_auto_varchar");
    // Case 3: the dynamic field on, no declared keys.
    let dynamic = schema_file(
        d,
        "dyn.yaml",
        "collection_name: dyn_empty
enable_dynamic_field: true
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: v, type: FloatVector, dim: 8}
",
    );
    generate_json(d, &["--schema", &dynamic], "800", "json/dyn");
    insert_and_verify(d, &uri, "json/dyn", "fixes_json23_dyn_empty");
    // Cases 4 and 5: whole words from a user list; extreme ranges.
    let values = schema_file(
        d,
        "values.yaml",
        "collection_name: values
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: w, type: VarChar, max_length: 4, words: [\"中\", \"ab\", \"x\"]}
  - {name: s, type: VarChar, max_length: 13, min_length: 6, kind: sentence, words: [\"中文\", \"汉字词\", \"ab\"]}
  - {name: d, type: Double, min: -1e308, max: 1e308}
  - {name: f, type: Float, min: -3.4e38, max: 3.4e38}
  - {name: top, type: Int64, min: 9223372036854775797, max: 9223372036854775807}
  - {name: v, type: FloatVector, dim: 8}
",
    );
    generate_json(d, &["--schema", &values], "800", "json/values");
    insert_and_verify(d, &uri, "json/values", "fixes_json23_values");
}

#[test]
fn json_of_multi_vector_and_half_precision_on_lite_25() {
    let uri = service_uri("MI_LITE25_URI");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    generate_json(d, &["--builtin", "document_search"], "1500", "json/ds");
    insert_and_verify(d, &uri, "json/ds", "fixes_json25_document_search");
    // multimedia_content without its default values (Lite 2.5.1 refuses them; they are
    // covered on Lite 3.2.2 below).
    let mut schema: serde_json::Value =
        serde_json::from_str(milvus_ingest::schema::builtin_text("multimedia_content").unwrap())
            .unwrap();
    for field in schema["fields"].as_array_mut().unwrap() {
        for key in ["default_value", "nullable", "null_ratio"] {
            field.as_object_mut().unwrap().remove(key);
        }
    }
    let mm = schema_file(d, "mm.json", &schema.to_string());
    generate_json(d, &["--schema", &mm], "1500", "json/mm");
    insert_and_verify(d, &uri, "json/mm", "fixes_json25_multimedia_content");
    // Case 1: half-precision vectors as `dim` numbers, plus binary, sparse, JSON, arrays
    // and a dynamic key that is not a field name.
    let half = schema_file(
        d,
        "half.yaml",
        "collection_name: json_f16
enable_dynamic_field: true
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: f16, type: Float16Vector, dim: 4}
  - {name: bf16, type: BFloat16Vector, dim: 4}
  - {name: bin, type: BinaryVector, dim: 32}
  - {name: sp, type: SparseFloatVector, dim: 1000, density: 0.01}
  - {name: doc, type: JSON}
  - {name: tags, type: Array, element_type: Int32, max_capacity: 3}
dynamic_fields:
  - {name: source-url, type: VarChar, max_length: 60, kind: url}
",
    );
    generate_json(d, &["--schema", &half], "900", "json/half");
    insert_and_verify(d, &uri, "json/half", "fixes_json25_half");
}

#[test]
fn json_of_nullable_and_default_schemas_on_lite_32() {
    let uri = service_uri("MI_LITE32_URI");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for name in ["ecommerce_search", "knowledge_base"] {
        let data = format!("json/{name}");
        generate_json(d, &["--builtin", name], "1500", &data);
        insert_and_verify(d, &uri, &data, &format!("fixes_json32_{name}"));
    }
    // multimedia_content's defaults and nullable JSON, with float vectors only.
    let defaults = schema_file(
        d,
        "defaults.yaml",
        "collection_name: defaults
enable_dynamic_field: true
fields:
  - {name: media_id, type: Int64, is_primary: true}
  - {name: media_type, type: VarChar, max_length: 20, default_value: image, enum_values: [image, video]}
  - {name: is_public, type: Bool, default_value: true}
  - {name: properties, type: JSON, nullable: true}
  - {name: note, type: VarChar, max_length: 50, nullable: true}
  - {name: v, type: FloatVector, dim: 16}
",
    );
    generate_json(d, &["--schema", &defaults], "900", "json/defaults");
    insert_and_verify(d, &uri, "json/defaults", "fixes_json32_defaults");
}

/// Milvus' own readers on the cases: bulk import (upload, Import RPC, wait) of the JSON rows
/// of cases 3 and 5, of case 3's Parquet (`$meta` of `{}`) and of a BinaryVector Parquet
/// (DELTA_BINARY_PACKED bytes) into Milvus 2.3.5, verified at
/// full level against the same files. Case 2 there: 2.3's Import RPC cannot generate VarChar
/// keys, so that import is refused before anything is created (insert above works).
#[test]
fn milvus_23_bulk_imports_the_cases_json_and_parquet() {
    let uri = service_uri("MI_MILVUS23_URI");
    let vars = milvus_common::services();
    let var = |k: &str| {
        vars.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{k} is not in the services env.sh"))
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let run_id = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            % 1_000_000
    );
    let auto = schema_file(
        d,
        "auto.yaml",
        "collection_name: auto_varchar
fields:
  - {name: pk, type: VarChar, max_length: 64, is_primary: true, auto_id: true}
  - {name: v, type: FloatVector, dim: 8}
",
    );
    let values = schema_file(
        d,
        "values.yaml",
        "collection_name: values
enable_dynamic_field: true
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: s, type: VarChar, max_length: 13, min_length: 6, kind: sentence, words: [\"中文\", \"汉字词\", \"ab\"]}
  - {name: d, type: Double, min: -1e308, max: 1e308}
  - {name: top, type: Int64, min: 9223372036854775797, max: 9223372036854775807}
  - {name: doc, type: JSON}
  - {name: tags, type: Array, element_type: VarChar, max_length: 10, max_capacity: 3}
  - {name: v, type: FloatVector, dim: 8}
",
    );
    // Binary vectors are Parquet INT32 columns written DELTA_BINARY_PACKED (format/parquet.rs):
    // Milvus' own reader must take them.
    let binary = schema_file(
        d,
        "binary.yaml",
        "collection_name: binary
fields:
  - {name: id, type: Int64, is_primary: true}
  - {name: note, type: VarChar, max_length: 20}
  - {name: bin, type: BinaryVector, dim: 128}
",
    );
    generate_json(d, &["--schema", &auto], "300", "json_auto");
    generate_json(d, &["--schema", &values], "900", "json_values");
    must(
        d,
        &[
            "generate",
            "--schema",
            &values,
            "-r",
            "900",
            "--out",
            "pq_values",
            "--no-progress",
        ],
    );
    must(
        d,
        &[
            "generate",
            "--schema",
            &binary,
            "-r",
            "900",
            "--out",
            "pq_binary",
            "--no-progress",
        ],
    );
    let import = |data: &str, collection: &str| {
        let bucket = var("MI_S3_BUCKET");
        let endpoint = var("MI_S3_ENDPOINT");
        let region = var("MI_S3_REGION");
        let key = var("MI_S3_ACCESS_KEY");
        let secret = var("MI_S3_SECRET_KEY");
        let prefix = format!("fixes_{run_id}_{data}");
        common::run_in(
            d,
            &[
                "--output",
                "json",
                "to-milvus",
                "import",
                "--no-progress",
                "--local-path",
                data,
                "--s3-path",
                &prefix,
                "--bucket",
                &bucket,
                "--endpoint-url",
                &endpoint,
                "--region",
                &region,
                "--access-key-id",
                &key,
                "--secret-access-key",
                &secret,
                "--uri",
                &uri,
                "--collection-name",
                collection,
                "--drop-if-exists",
                "--wait",
                "--timeout",
                "600",
            ],
        )
    };
    let out = import("json_auto", "fixes_imp23_json_auto");
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("VarChar auto_id primary key `pk`"), "{t}");
    for data in ["json_values", "pq_values", "pq_binary"] {
        let collection = format!("fixes_imp23_{data}");
        let out = import(data, &collection);
        assert!(out.status.success(), "{}", common::text(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["row_count"], 900, "{data}: {summary:#}");
        let out = must(
            d,
            &[
                "--output",
                "json",
                "to-milvus",
                "verify",
                data,
                "--uri",
                &uri,
                "--collection-name",
                &collection,
                "--level",
                "full",
                "--sample",
                "25",
            ],
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["passed"], true, "{data}: {report:#}");
    }
}
