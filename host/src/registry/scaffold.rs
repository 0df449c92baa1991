//! `plugin new`: a guest crate on our SDK that builds with one command and passes its own test.
//!
//! The SDK and the WIT it builds against are embedded in this binary (see host/build.rs) and
//! written next to the new crate in `.milvus-ingest-sdk/`, referenced by a relative path: the
//! crate builds wherever it is created, with no checkout of this repository and no git, and it
//! keeps building after milvus-ingest is upgraded (commit the directory with the crate).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::cache::write_atomic;
use super::error::RegistryError;
use super::name::PackageName;

include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));

/// Where the SDK copy goes inside the new crate.
const SDK_DIR: &str = ".milvus-ingest-sdk";

/// The world a new plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaffoldWorld {
    FieldGenerator,
    Validator,
    SyncHandler,
}

/// What `plugin new` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Scaffolded {
    pub dir: PathBuf,
    pub crate_name: String,
    /// The name the plugin reports (schemas use it in `"plugin"`).
    pub plugin_name: String,
    pub world: ScaffoldWorld,
    pub build_command: String,
    pub test_command: String,
    /// Where the build puts the component (relative to `dir`).
    pub component: PathBuf,
}

/// Creates `<parent>/<dir name>` for plugin `name` (`ns:name` or a kebab-case `name`).
pub fn scaffold(
    parent: &Path,
    name: &str,
    world: ScaffoldWorld,
) -> Result<Scaffolded, RegistryError> {
    let label = match name.parse::<PackageName>() {
        Ok(p) => p.name,
        Err(_) => {
            let probe = format!("x:{name}");
            probe.parse::<PackageName>().map_err(|_| RegistryError::BadInput {
                what: "plugin name",
                input: name.to_string(),
                rule: "expected NAME or NAMESPACE:NAME in kebab-case (lowercase letters, digits, single '-'), e.g. acme:dice".into(),
            })?;
            name.to_string()
        }
    };
    let dir = parent.join(&label);
    if dir.exists() {
        return Err(RegistryError::BadInput {
            what: "plugin directory",
            input: dir.display().to_string(),
            rule: "already exists; pick another name or remove it".into(),
        });
    }
    let crate_name = label.clone();
    let lib_name = label.replace('-', "_");
    let files = crate_files(&crate_name, name, world)?;
    for (rel, bytes) in &files {
        write_atomic(&dir.join(rel), bytes)?;
    }
    Ok(Scaffolded {
        dir: dir.clone(),
        crate_name,
        plugin_name: name.to_string(),
        world,
        build_command: "cargo build --release --target wasm32-wasip2".into(),
        test_command: "cargo test".into(),
        component: PathBuf::from(format!("target/wasm32-wasip2/release/{lib_name}.wasm")),
    })
}

/// Every file of the new crate, as (relative path, bytes).
fn crate_files(
    crate_name: &str,
    plugin_name: &str,
    world: ScaffoldWorld,
) -> Result<Vec<(String, Vec<u8>)>, RegistryError> {
    let mut out = Vec::new();
    let workspace = file("plugins/Cargo.toml")?;
    for (rel, bytes) in SDK_FILES {
        if let Some(rest) = rel.strip_prefix("plugins/sdk/") {
            let bytes = if rest == "Cargo.toml" {
                standalone_manifest(&text(bytes), &text(workspace))?.into_bytes()
            } else {
                bytes.to_vec()
            };
            out.push((format!("{SDK_DIR}/plugins/sdk/{rest}"), bytes));
        } else if rel.starts_with("wit/") {
            out.push((format!("{SDK_DIR}/{rel}"), bytes.to_vec()));
        }
    }
    if let Ok(lock) = file("plugins/Cargo.lock") {
        // The versions the SDK is tested with; cargo prunes what this crate does not use.
        out.push(("Cargo.lock".into(), lock.to_vec()));
    }
    out.push(("Cargo.toml".into(), manifest(crate_name).into_bytes()));
    out.push((".gitignore".into(), b"/target\n".to_vec()));
    out.push((
        "README.md".into(),
        readme(crate_name, plugin_name, world).into_bytes(),
    ));
    let src = match world {
        ScaffoldWorld::FieldGenerator => GENERATOR_SRC,
        ScaffoldWorld::Validator => VALIDATOR_SRC,
        ScaffoldWorld::SyncHandler => SYNC_SRC,
    };
    out.push((
        "src/lib.rs".into(),
        src.replace("@NAME@", plugin_name)
            .replace("@COLLECTION@", &crate_name.replace('-', "_"))
            .into_bytes(),
    ));
    Ok(out)
}

fn file(rel: &str) -> Result<&'static [u8], RegistryError> {
    SDK_FILES
        .iter()
        .find(|(r, _)| *r == rel)
        .map(|(_, b)| *b)
        .ok_or_else(|| RegistryError::BadInput {
            what: "embedded SDK",
            input: rel.to_string(),
            rule: "missing from this build of milvus-ingest".into(),
        })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The SDK's Cargo.toml with `workspace = true` entries replaced by the plugin workspace's
/// values, so the copy builds outside that workspace.
fn standalone_manifest(sdk: &str, workspace: &str) -> Result<String, RegistryError> {
    let bad = |e: String| RegistryError::BadInput {
        what: "embedded SDK manifest",
        input: "plugins/sdk/Cargo.toml".into(),
        rule: e,
    };
    let mut sdk: toml::Table = sdk
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let ws: toml::Table = workspace
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let empty = toml::Table::new();
    let ws = ws
        .get("workspace")
        .and_then(|w| w.as_table())
        .unwrap_or(&empty);
    let inherits = |v: &toml::Value| {
        v.as_table()
            .and_then(|t| t.get("workspace"))
            .and_then(|w| w.as_bool())
            == Some(true)
    };
    let wpkg = ws
        .get("package")
        .and_then(|p| p.as_table())
        .unwrap_or(&empty);
    if let Some(pkg) = sdk.get_mut("package").and_then(|p| p.as_table_mut()) {
        for (k, v) in pkg.iter_mut() {
            if inherits(v) {
                *v = wpkg
                    .get(k)
                    .cloned()
                    .ok_or_else(|| bad(format!("workspace has no package.{k}")))?;
            }
        }
    }
    let wdeps = ws
        .get("dependencies")
        .and_then(|p| p.as_table())
        .unwrap_or(&empty);
    for section in ["dependencies", "build-dependencies", "dev-dependencies"] {
        let Some(deps) = sdk.get_mut(section).and_then(|d| d.as_table_mut()) else {
            continue;
        };
        for (k, v) in deps.iter_mut() {
            if !inherits(v) {
                continue;
            }
            let mut base = match wdeps.get(k) {
                Some(toml::Value::String(ver)) => {
                    let mut t = toml::Table::new();
                    t.insert("version".into(), toml::Value::String(ver.clone()));
                    t
                }
                Some(toml::Value::Table(t)) => t.clone(),
                _ => return Err(bad(format!("workspace has no dependency {k}"))),
            };
            if let Some(toml::Value::String(p)) = base.get("path").cloned() {
                // Workspace paths are relative to plugins/, the SDK sits in plugins/sdk.
                base.insert("path".into(), toml::Value::String(format!("../{p}")));
            }
            for (ek, ev) in v.as_table().expect("checked").iter() {
                if ek == "workspace" {
                    continue;
                }
                if ek == "features"
                    && let (Some(toml::Value::Array(have)), toml::Value::Array(more)) =
                        (base.get_mut("features"), ev)
                {
                    have.extend(more.iter().cloned());
                    continue;
                }
                base.insert(ek.clone(), ev.clone());
            }
            *v = toml::Value::Table(base);
        }
    }
    Ok(toml::to_string(&sdk).expect("manifest serialises"))
}

fn manifest(crate_name: &str) -> String {
    format!(
        r#"[package]
name = "{crate_name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# cdylib: the component; rlib: so `cargo test` runs the tests natively.
crate-type = ["cdylib", "rlib"]

[dependencies]
milvus-ingest-sdk = {{ path = "{SDK_DIR}/plugins/sdk" }}

# A workspace of its own, so the crate builds wherever it was created.
[workspace]

[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = "debuginfo"
"#
    )
}

fn readme(crate_name: &str, plugin_name: &str, world: ScaffoldWorld) -> String {
    let lib = crate_name.replace('-', "_");
    let world = match world {
        ScaffoldWorld::FieldGenerator => "field-generator",
        ScaffoldWorld::Validator => "validator",
        ScaffoldWorld::SyncHandler => "sync-handler",
    };
    format!(
        "# {plugin_name}\n\nA milvus-ingest `{world}` plugin, created by `milvus-ingest plugin new`.\n\n\
         ```sh\ncargo test                                        # its own tests, natively\n\
         cargo build --release --target wasm32-wasip2      # the component (rustup target add wasm32-wasip2)\n\
         milvus-ingest plugin inspect target/wasm32-wasip2/release/{lib}.wasm\n\
         milvus-ingest plugin publish target/wasm32-wasip2/release/{lib}.wasm --registry REF --name NAMESPACE:NAME\n```\n\n\
         `{SDK_DIR}/` holds the milvus-ingest SDK and WIT this plugin builds against; commit it.\n"
    )
}

const GENERATOR_SRC: &str = r##"//! A milvus-ingest field generator. Schemas use it as
//! `"generator": {"plugin": "@NAME@", "name": "example", "params": {"max": 100}}`.

use milvus_ingest_sdk::prelude::*;

pub struct Plugin;

impl Generator for Plugin {
    fn info() -> PluginInfo {
        let example = FunctionInfo::new("example", "a number from 0 to `max` (default 100)", &[MilvusType::Int64]);
        PluginInfo::new("@NAME@", "0.1.0", "created by milvus-ingest plugin new").function(example)
    }

    fn generate(req: GenerateRequest) -> Result<Column, String> {
        if req.generator != "example" {
            return Err(format!("no generator `{}`; expected example", req.generator));
        }
        let max = req.param_f64("max", 100.0)?;
        if !(max >= 0.0) {
            return Err("`max` must be at least 0".into());
        }
        // Each row's value depends only on the seed, the field and the row: the same data
        // whatever the chunking and the thread count.
        let values = req
            .rows()
            .map(|row| RowRng::for_row(req.seed, &req.field.name, row).below(max as u64 + 1) as i64)
            .collect();
        Ok(Column::new(ColumnData::Scalar(Scalars::I64s(values))))
    }
}

export_generator!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(params: &str, first_row: u64) -> Vec<i64> {
        let field = r#"{"name":"n","type":"Int64"}"#;
        let req = GenerateRequest::from_wire("example".into(), field.into(), params, 7, first_row, 100).unwrap();
        match Plugin::generate(req).unwrap().data {
            ColumnData::Scalar(Scalars::I64s(v)) => v,
            other => panic!("expected Int64 values, got {other:?}"),
        }
    }

    #[test]
    fn values_stay_in_range_and_do_not_depend_on_chunking() {
        let whole = generate(r#"{"max": 10}"#, 0);
        assert_eq!(whole.len(), 100);
        assert!(whole.iter().all(|v| (0..=10).contains(v)));
        assert_eq!(whole[50..], generate(r#"{"max": 10}"#, 50)[..50]);
        assert!(Plugin::info().functions.iter().any(|f| f.name == "example"));
    }
}
"##;

const VALIDATOR_SRC: &str = r##"//! A milvus-ingest validator. Schemas use it on an Int64 field as
//! `"validators": [{"plugin": "@NAME@", "name": "range", "params": {"min": 0, "max": 100}}]`.

use milvus_ingest_sdk::prelude::*;
use milvus_ingest_sdk::{ValidateRequest, Validator, Violation};

pub struct Plugin;

impl Validator for Plugin {
    fn info() -> PluginInfo {
        let range = FunctionInfo::new("range", "every value within [min, max]", &[MilvusType::Int64]);
        PluginInfo::new("@NAME@", "0.1.0", "created by milvus-ingest plugin new").function(range)
    }

    fn validate(req: ValidateRequest) -> Result<Vec<Violation>, String> {
        if req.validator != "range" {
            return Err(format!("no validator `{}`; expected range", req.validator));
        }
        let bound = |key: &str, default: i64| match req.params.get(key) {
            None => Ok(default),
            Some(v) => v.as_i64().ok_or(format!("`{key}` must be an integer")),
        };
        let (min, max) = (bound("min", i64::MIN)?, bound("max", i64::MAX)?);
        let mut out = Vec::new();
        for col in &req.columns {
            let ColumnData::Scalar(Scalars::I64s(values)) = &col.column.data else {
                return Err(format!("field `{}` is not Int64", col.name));
            };
            for (i, v) in values.iter().enumerate() {
                if *v < min || *v > max {
                    out.push(Violation {
                        row: req.first_row + i as u64,
                        field: col.name.clone(),
                        message: format!("{v} is outside [{min}, {max}]"),
                    });
                }
            }
        }
        Ok(out)
    }
}

export_validator!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_range_are_reported_with_dataset_rows() {
        let field = r#"{"name":"n","type":"Int64"}"#.to_string();
        let column = Column::new(ColumnData::Scalar(Scalars::I64s(vec![1, 50, 500])));
        let req = ValidateRequest::from_wire("range".into(), r#"{"min":0,"max":100}"#, 1000, vec![("n".into(), field, column)]).unwrap();
        let found = Plugin::validate(req).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].row, 1002);
    }
}
"##;

const SYNC_SRC: &str = r##"//! A milvus-ingest sync handler: turns MongoDB documents (BSON, read as relaxed Extended
//! JSON values) into entities of the `@COLLECTION@` collection type.

use milvus_ingest_sdk::serde_json::{Value, json};
use milvus_ingest_sdk::{ConvertResult, Document, Entity, HandlerInfo, MongoSource, Naming, Params, Skip, SyncHandler, SyncInfo, TenantPrefix};

pub struct Plugin;

pub const COLLECTION_TYPE: &str = "@COLLECTION@";

impl SyncHandler for Plugin {
    fn info(params: &Params) -> Result<SyncInfo, String> {
        params.check_known(&["tenant_id"])?;
        let schema = json!({
            "collection_name": COLLECTION_TYPE,
            "fields": [
                {"name": "id", "type": "VarChar", "max_length": 64, "is_primary": true},
                {"name": "text", "type": "VarChar", "max_length": 1000},
                {"name": "vector", "type": "FloatVector", "dim": 4}
            ]
        });
        Ok(SyncInfo {
            name: "@NAME@".into(),
            version: "0.1.0".into(),
            description: "created by milvus-ingest plugin new".into(),
            handlers: vec![HandlerInfo {
                collection_type: COLLECTION_TYPE.into(),
                description: "documents with an _id, a text and a 4-dimensional vector".into(),
                naming: Naming {
                    base_name: COLLECTION_TYPE.into(),
                    tenant_prefix: TenantPrefix::Optional,
                    default_name: COLLECTION_TYPE.into(),
                },
                milvus_schema: schema.to_string(),
                index_params: json!({"vector": {"index_type": "AUTOINDEX", "metric_type": "COSINE"}}).to_string(),
                source: MongoSource {
                    database: "app".into(),
                    collection: COLLECTION_TYPE.into(),
                    time_field: "updated_at".into(),
                },
                primary_key: "id".into(),
                dim: Some(4),
                embedding: None,
            }],
        })
    }

    fn convert(collection_type: &str, _params: &Params, documents: &[Document<'_>]) -> Result<ConvertResult, String> {
        if collection_type != COLLECTION_TYPE {
            return Err(format!("unknown collection type `{collection_type}`"));
        }
        let mut out = ConvertResult::default();
        for (index, document) in documents.iter().enumerate() {
            let index = index as u32;
            let doc: Value = match document.to_json() {
                Ok(d) => d,
                Err(e) => {
                    out.skipped.push(Skip { index, id: document.id(), reason: format!("not a valid BSON document: {e}") });
                    continue;
                }
            };
            let id = match &doc["_id"] {
                Value::String(s) => s.clone(),
                Value::Object(o) => o.get("$oid").and_then(Value::as_str).unwrap_or_default().to_string(),
                _ => String::new(),
            };
            let vector = doc["vector"].as_array().filter(|v| v.len() == 4);
            match (id.is_empty(), vector) {
                // The SDK sends `vector` (a FloatVector field) to the host as float32.
                (false, Some(v)) => out.entities.push(Entity::new(
                    index,
                    json!({"id": id, "text": doc["text"].as_str().unwrap_or(""), "vector": v}),
                )),
                _ => out.skipped.push(Skip { index, id, reason: "needs an _id and a 4-dimensional vector".into() }),
            }
        }
        Ok(out)
    }
}

milvus_ingest_sdk::export_sync_handler!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_convert_or_are_skipped_with_a_reason() {
        // Tests write documents as Extended JSON; the host sends them as BSON.
        let bytes: Vec<Vec<u8>> = [
            r#"{"_id": {"$oid": "65f1a2b3c4d5e6f708192a3b"}, "text": "hi", "vector": [1, 0, 0, 0]}"#,
            r#"{"text": "no id"}"#,
        ]
        .iter()
        .map(|t| milvus_ingest_sdk::document_from_extjson(t).unwrap())
        .collect();
        let docs: Vec<Document> = bytes.iter().map(|b| Document::new(b).unwrap()).collect();
        let r = Plugin::convert(COLLECTION_TYPE, &Params::default(), &docs).unwrap();
        assert_eq!(r.entities.len(), 1);
        assert_eq!(r.entities[0].row["id"], "65f1a2b3c4d5e6f708192a3b");
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].index, 1);
    }
}
"##;
