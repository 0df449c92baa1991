//! Embeds the frozen WIT of the interface versions this SDK targets into the export macros.
//!
//! Bindings are generated in the plugin crate (by the macro), not here: a plugin then carries
//! exactly the one world it implements, whatever else the SDK offers. The WIT is read from the
//! frozen directories at build time so the SDK can never drift from the contract.
//!
//! Field generators and validators are built against 0.2.0; sync handlers against 0.3.0, which
//! defines that world only (BSON documents in, float32 vectors out).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (macro arm, world, WIT directory under `wit/`, files of the package).
const WORLDS: [(&str, &str, &str, &[&str]); 3] = [
    (
        "field_generator",
        "field-generator",
        "since_v0.2.0",
        &["types.wit", "generator.wit", "validator.wit", "sync.wit"],
    ),
    (
        "validator",
        "validator",
        "since_v0.2.0",
        &["types.wit", "generator.wit", "validator.wit", "sync.wit"],
    ),
    (
        "sync_handler",
        "sync-handler",
        "since_v0.3.0",
        &["sync.wit"],
    ),
];

/// The package text of `files` in `dir`, and its version.
fn package(dir: &Path, files: &[&str]) -> (String, String) {
    let mut package = None;
    let mut body = String::new();
    for file in files {
        let path = dir.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("package ") {
                package = Some(rest.trim_end_matches(';').to_string());
            } else {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    let package = package.expect("the WIT files declare a package");
    let version = package.rsplit('@').next().unwrap().to_string();
    (format!("package {package};\n{body}"), version)
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let wit_root = manifest.join("../../wit");
    let mut out = String::new();
    let mut arms = String::new();
    for (arm, world, dir, files) in WORLDS {
        let (wit, version) = package(&wit_root.join(dir), files);
        let name = match arm {
            "sync_handler" => "SYNC_INTERFACE_VERSION",
            "field_generator" => "INTERFACE_VERSION",
            _ => "",
        };
        if !name.is_empty() {
            writeln!(
                out,
                "/// The interface version (WIT package version) of the {world} components this SDK builds{}.",
                if arm == "field_generator" { " (validators too)" } else { "" }
            )
            .unwrap();
            writeln!(out, "pub const {name}: &str = {version:?};").unwrap();
        }
        writeln!(
            arms,
            "({arm}) => {{ ::milvus_ingest_sdk::__private::wit_bindgen::generate!({{\n\
             inline: {wit:?},\n world: {world:?},\n\
             runtime_path: \"::milvus_ingest_sdk::__private::wit_bindgen::rt\",\n\
             }}); }};"
        )
        .unwrap();
    }
    writeln!(
        out,
        "#[doc(hidden)]\n#[macro_export]\nmacro_rules! __milvus_ingest_bindings {{\n{arms}}}"
    )
    .unwrap();
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bindings_macro.rs");
    std::fs::write(dest, out).unwrap();
}
