//! Embeds the frozen WIT of the interface version this SDK targets into the export macros.
//!
//! Bindings are generated in the plugin crate (by the macro), not here: a plugin then carries
//! exactly the one world it implements, whatever else the SDK offers. The WIT is read from the
//! frozen directory at build time so the SDK can never drift from the contract.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The interface version this SDK implements (a directory under `wit/`).
const WIT_DIR: &str = "since_v0.2.0";
const FILES: [&str; 4] = ["types.wit", "generator.wit", "validator.wit", "sync.wit"];
const WORLDS: [(&str, &str); 3] = [
    ("field_generator", "field-generator"),
    ("validator", "validator"),
    ("sync_handler", "sync-handler"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = manifest.join("../../wit").join(WIT_DIR);
    let mut package = None;
    let mut body = String::new();
    for file in FILES {
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
    let wit = format!("package {package};\n{body}");

    let mut out = String::new();
    writeln!(
        out,
        "/// The interface version (WIT package version) this SDK builds plugins for."
    )
    .unwrap();
    writeln!(out, "pub const INTERFACE_VERSION: &str = {version:?};").unwrap();
    writeln!(
        out,
        "#[doc(hidden)]\n#[macro_export]\nmacro_rules! __milvus_ingest_bindings {{"
    )
    .unwrap();
    for (arm, world) in WORLDS {
        writeln!(
            out,
            "({arm}) => {{ ::milvus_ingest_sdk::__private::wit_bindgen::generate!({{\n\
             inline: {wit:?},\n world: {world:?},\n\
             runtime_path: \"::milvus_ingest_sdk::__private::wit_bindgen::rt\",\n\
             }}); }};"
        )
        .unwrap();
    }
    writeln!(out, "}}").unwrap();
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bindings_macro.rs");
    std::fs::write(dest, out).unwrap();
}
