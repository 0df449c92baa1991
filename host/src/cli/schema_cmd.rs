//! `milvus-ingest schema list|show|add|remove|help`.

use std::path::PathBuf;

use clap::Subcommand;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::error::CliError;
use super::printer::Printer;
use crate::schema::{
    DataType, Schema, SchemaSource, SchemaStore, StoredSchema, StringKind, builtin_names,
    load_builtin, load_schema_file,
};

#[derive(Debug, Subcommand)]
// `schema help` is ours (the format reference), not clap's.
#[command(disable_help_subcommand = true)]
pub enum SchemaCommand {
    /// List built-in and stored schemas.
    List,
    /// Show a schema's fields (or, with --output json, the schema itself).
    Show {
        /// Built-in or stored schema id.
        id: String,
    },
    /// Validate a schema file and store it under an id for `generate --builtin ID`.
    Add {
        id: String,
        file: PathBuf,
        #[arg(long, default_value = "")]
        description: String,
        /// Comma-separated tags.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Replace a stored schema with the same id.
        #[arg(long)]
        force: bool,
    },
    /// Remove a stored schema.
    Remove { id: String },
    /// The schema format: field types, attributes and string kinds.
    Help {
        /// Details of one field type, e.g. Array, JSON, FloatVector.
        #[arg(long, value_name = "TYPE")]
        field_type: Option<String>,
    },
}

pub fn run(cmd: SchemaCommand, printer: &Printer) -> Result<(), CliError> {
    let store = SchemaStore::for_user();
    match cmd {
        SchemaCommand::List => list(&store, printer),
        SchemaCommand::Show { id } => {
            let schema = SchemaSource::Named(id).load(&store)?;
            show(&schema, printer);
            Ok(())
        }
        SchemaCommand::Add {
            id,
            file,
            description,
            tags,
            force,
        } => {
            let schema = load_schema_file(&file)?;
            let entry = StoredSchema {
                description: if description.is_empty() {
                    schema.description.clone()
                } else {
                    description
                },
                tags: tags
                    .into_iter()
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
                added_from: file.display().to_string(),
            };
            let path = store
                .add(&id, &schema, entry, force)
                .map_err(CliError::usage)?;
            if printer.is_json() {
                printer.json(&serde_json::json!({"status": "added", "id": id, "path": path}));
            } else {
                printer.out(&format!(
                    "added schema `{id}` ({} fields) -> {}",
                    schema.fields.len(),
                    path.display()
                ));
            }
            Ok(())
        }
        SchemaCommand::Remove { id } => {
            store.remove(&id).map_err(CliError::usage)?;
            if printer.is_json() {
                printer.json(&serde_json::json!({"status": "removed", "id": id}));
            } else {
                printer.out(&format!("removed schema `{id}`"));
            }
            Ok(())
        }
        SchemaCommand::Help { field_type } => help(field_type.as_deref(), printer),
    }
}

fn list(store: &SchemaStore, printer: &Printer) -> Result<(), CliError> {
    let mut rows = Vec::new();
    for name in builtin_names() {
        let schema = load_builtin(name)?;
        rows.push(serde_json::json!({
            "id": name, "source": "builtin", "collection": schema.collection_name,
            "fields": schema.fields.len(), "description": schema.description, "tags": [],
        }));
    }
    for (id, entry) in store.list()? {
        let fields = store
            .path_of(&id)
            .and_then(|p| load_schema_file(&p).ok())
            .map(|s| s.fields.len())
            .unwrap_or(0);
        rows.push(serde_json::json!({
            "id": id, "source": "user", "collection": "", "fields": fields,
            "description": entry.description, "tags": entry.tags,
        }));
    }
    if printer.is_json() {
        printer.json(&rows);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["id", "source", "fields", "description", "tags"]);
    for r in &rows {
        let tags = r["tags"].as_array().map(|t| {
            t.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        });
        table.add_row([
            r["id"].as_str().unwrap_or(""),
            r["source"].as_str().unwrap_or(""),
            &r["fields"].to_string(),
            r["description"].as_str().unwrap_or(""),
            &tags.unwrap_or_default(),
        ]);
    }
    printer.out(&table.to_string());
    printer.status(&format!(
        "user schemas are stored in {}",
        store.dir().display()
    ));
    Ok(())
}

fn show(schema: &Schema, printer: &Printer) {
    if printer.is_json() {
        printer.json(schema);
        return;
    }
    printer.out(&format!(
        "{} — {}",
        schema.collection_name, schema.description
    ));
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["field", "type", "attributes"]);
    for f in &schema.fields {
        let mut attrs = Vec::new();
        if f.is_primary {
            attrs.push("primary".to_string());
        }
        if f.auto_id {
            attrs.push("auto_id".into());
        }
        if f.is_partition_key {
            attrs.push("partition key".into());
        }
        if f.nullable {
            attrs.push(format!(
                "nullable ({:.0}% null)",
                f.effective_null_ratio() * 100.0
            ));
        }
        if let Some(d) = &f.default_value {
            attrs.push(format!("default {d}"));
        }
        if let Some(d) = f.dim {
            attrs.push(format!("dim {d}"));
        }
        if let Some(l) = f.max_length {
            attrs.push(format!("max_length {l}"));
        }
        if let Some(c) = f.max_capacity {
            attrs.push(format!("max_capacity {c}"));
        }
        if f.min.is_some() || f.max.is_some() {
            attrs.push(format!(
                "range {}..{}",
                f.min.map(|v| v.to_string()).unwrap_or_default(),
                f.max.map(|v| v.to_string()).unwrap_or_default()
            ));
        }
        if let Some(k) = &f.kind {
            attrs.push(format!("kind {k}"));
        }
        if let Some(m) = &f.metric_type {
            attrs.push(format!("metric {m}"));
        }
        if let Some(g) = &f.generator {
            attrs.push(format!("plugin {}/{}", g.plugin, g.name));
        }
        let t = if f.data_type == DataType::Array {
            format!("Array<{}>", f.value_type())
        } else {
            f.data_type.to_string()
        };
        table.add_row([f.name.clone(), t, attrs.join(", ")]);
    }
    printer.out(&table.to_string());
    if schema.enable_dynamic_field {
        let keys: Vec<&str> = schema
            .dynamic_fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        printer.out(&format!(
            "dynamic field enabled; generated keys: {}",
            if keys.is_empty() {
                "none".into()
            } else {
                keys.join(", ")
            }
        ));
    }
    for func in &schema.functions {
        printer.out(&format!(
            "function {} ({}): {} -> {}",
            func.name,
            func.function_type,
            func.input_field_names.join(", "),
            func.output_field_names.join(", ")
        ));
    }
}

/// Attributes each type accepts, for `schema help`.
fn attributes_of(t: DataType) -> &'static str {
    match t {
        DataType::Bool => "nullable, null_ratio, default_value, default_ratio, enum_values",
        t if t.is_integer() => {
            "min, max, distribution {uniform | normal(mean, std) | zipf(exponent)}, enum_values, cardinality_ratio, is_primary (Int64), auto_id (primary key), is_partition_key (Int64), nullable, null_ratio, default_value, default_ratio"
        }
        t if t.is_float() => {
            "min, max, distribution {uniform | normal(mean, std)}, enum_values, cardinality_ratio, nullable, null_ratio, default_value, default_ratio"
        }
        DataType::VarChar => {
            "max_length (required, UTF-8 bytes), min_length, kind, words (values are whole words of the list; each word within max_length), enum_values, cardinality_ratio, is_primary, auto_id (primary key, Milvus 2.3+), is_partition_key, nullable, null_ratio, default_value, default_ratio"
        }
        DataType::Json => {
            "shape (a map of key -> field spec, nested JSON allowed), nullable, null_ratio"
        }
        DataType::Array => {
            "element_type (required), max_capacity (required, 1-4096), min_capacity, and the element's own attributes (max_length, kind, min, max, enum_values)"
        }
        DataType::SparseFloatVector => {
            "dim (optional index space, default 30000), density (share of non-zero dims, default 0.01), metric_type (IP, BM25)"
        }
        DataType::BinaryVector => {
            "dim (required, bits, multiple of 8), metric_type (HAMMING, JACCARD)"
        }
        _ => {
            "dim (required), distribution {gaussian | uniform | clustered(clusters, spread)}, metric_type (L2, IP, COSINE)"
        }
    }
}

fn help(field_type: Option<&str>, printer: &Printer) -> Result<(), CliError> {
    if let Some(name) = field_type {
        let t: DataType = name.parse().map_err(CliError::usage_msg)?;
        printer.out(&format!("{t}\n  attributes: {}\n  every field also takes: name, type, description, generator (plugin), validators (plugins), index", attributes_of(t)));
        if t == DataType::VarChar || t == DataType::Array {
            printer.out("  kinds:");
            for k in StringKind::ALL {
                printer.out(&format!("    {:<14} {}", k.name(), k.help()));
            }
        }
        return Ok(());
    }
    printer.out("A schema is a JSON or YAML object:\n  collection_name, description, fields[], enable_dynamic_field, dynamic_fields[], functions[] (BM25), validators[]\n\nField types and their attributes:");
    for t in DataType::ALL {
        printer.out(&format!("  {:<18} {}", t.name(), attributes_of(t)));
    }
    printer.out("\nString kinds (VarChar `kind`; guessed from the field name when absent):");
    for k in StringKind::ALL {
        printer.out(&format!("  {:<14} {}", k.name(), k.help()));
    }
    printer.out("\nMore: `schema help --field-type TYPE`, `schema show product_catalog`.");
    Ok(())
}
