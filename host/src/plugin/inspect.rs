//! `plugin inspect`: what a component is and exports, without running a generation.

use std::fmt::Write as _;
use std::path::Path;

use super::error::PluginError;
use super::host::{PluginHost, PluginLimits};
use super::loaded::PluginInfo;

/// Loads `path` in a fresh host (default limits) and describes it.
pub fn inspect(path: &Path) -> Result<PluginInfo, PluginError> {
    let host = PluginHost::new(PluginLimits::default(), 0)?;
    Ok(host.load(path)?.info().clone())
}

/// The human-readable form of [`inspect`]'s answer.
pub fn inspect_text(info: &PluginInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "plugin:            {} {}", info.name, info.version);
    if !info.description.is_empty() {
        let _ = writeln!(out, "description:       {}", info.description);
    }
    let _ = writeln!(out, "world:             {}", info.world);
    let _ = writeln!(out, "interface version: {}", info.interface_version);
    let _ = writeln!(out, "file:              {}", info.path.display());
    let _ = writeln!(out, "sha256:            {}", info.sha256);
    if info.stateless {
        let _ = writeln!(
            out,
            "stateless:         yes (instances are reused across calls)"
        );
    }
    if !info.functions.is_empty() {
        let kind = match info.world {
            super::World::Validator => "validators",
            _ => "generators",
        };
        let _ = writeln!(out, "{kind}:");
        for f in &info.functions {
            let _ = writeln!(out, "  {} [{}]", f.name, f.types.join(", "));
            if !f.description.is_empty() {
                let _ = writeln!(out, "      {}", f.description);
            }
            let _ = writeln!(out, "      params: {}", f.params_schema);
        }
    }
    for h in &info.handlers {
        let _ = writeln!(out, "collection type:   {}", h.collection_type);
        if !h.description.is_empty() {
            let _ = writeln!(out, "      {}", h.description);
        }
        let _ = writeln!(
            out,
            "      source: {}.{} (time field {})",
            h.source_database, h.source_collection, h.source_time_field
        );
        let _ = writeln!(
            out,
            "      milvus name: {} (alias forms [{{tenant}}_]{}[_{{namespace}}], tenant prefix {})",
            h.naming.default_name, h.naming.base_name, h.naming.tenant_prefix
        );
        let _ = writeln!(
            out,
            "      primary key: {}; vector dim: {}",
            h.primary_key,
            h.dim.map_or("none".to_string(), |d| d.to_string())
        );
        match &h.embedding {
            Some(e) => {
                let _ = writeln!(
                    out,
                    "      embeds: {} -> {} (model name in {}, dim {})",
                    e.text_fields.join(" + "),
                    e.vector_field,
                    e.model_field,
                    e.dim
                );
            }
            None => {
                let _ = writeln!(out, "      embeds: not declared (cannot backfill)");
            }
        }
        let _ = writeln!(out, "      index params: {}", h.index_params);
    }
    let _ = writeln!(out, "exports:           {}", info.exports.join(", "));
    let _ = writeln!(out, "imports:           {}", info.imports.join(", "));
    out
}
