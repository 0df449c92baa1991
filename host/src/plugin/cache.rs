//! On-disk cache of compiled components, keyed by (wasm sha256, engine version and settings).
//!
//! Compiling a component with Cranelift takes from tens of milliseconds to seconds; loading a
//! precompiled one takes well under a millisecond. Entries are written to a temporary name and
//! renamed, so concurrent runs never read half an entry. An entry that fails to load (another
//! wasmtime build, corruption) is recompiled and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::error::PluginError;
use crate::fsutil::temp_sibling;

/// Where compiled components go: `$MILVUS_INGEST_HOME/cache/plugins`, else the platform cache
/// directory (`~/.cache/milvus-ingest/plugins` on Linux).
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("MILVUS_INGEST_HOME") {
        return Some(PathBuf::from(home).join("cache").join("plugins"));
    }
    dirs::cache_dir().map(|d| d.join("milvus-ingest").join("plugins"))
}

/// Hex sha256 of a plugin file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Identifies the engine build and settings compiled code depends on.
fn engine_key(engine: &Engine) -> String {
    // DefaultHasher is only stable within one build of the binary, which is all we need: the
    // key also carries the wasmtime version, and a stale entry is detected on load anyway.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("wasmtime-48-{:016x}", h.finish())
}

/// Compiles `bytes` or loads the cached compilation.
pub fn load_component(
    engine: &Engine,
    cache_dir: Option<&Path>,
    path: &Path,
    bytes: &[u8],
    sha256: &str,
) -> Result<Component, PluginError> {
    let Some(dir) = cache_dir else {
        return compile(engine, path, bytes);
    };
    let entry = dir.join(format!("{sha256}-{}.cwasm", engine_key(engine)));
    if entry.is_file() {
        // SAFETY: the entry was written by `Engine::precompile_component` of an engine with the
        // same compatibility key, into a directory only milvus-ingest writes; wasmtime checks
        // the header and engine settings again before using it.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &entry) } {
            return Ok(component);
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(|e| not_a_component(path, bytes, &e))?;
    store_entry(dir, &entry, &compiled)?;
    // SAFETY: produced just above by this engine.
    unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| PluginError::Load {
        path: path.to_path_buf(),
        message: format!("{e:#}"),
    })
}

fn compile(engine: &Engine, path: &Path, bytes: &[u8]) -> Result<Component, PluginError> {
    Component::new(engine, bytes).map_err(|e| not_a_component(path, bytes, &e))
}

/// Classifies a compile failure: core modules and non-wasm files get a message saying what
/// they are.
fn not_a_component(path: &Path, bytes: &[u8], e: &wasmtime::Error) -> PluginError {
    let message = if !bytes.starts_with(b"\0asm") {
        "the file does not start with the WebAssembly magic bytes".to_string()
    } else if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
        "it is a core WebAssembly module; build it as a component (cargo build --target wasm32-wasip2, or wasm-tools component new)".to_string()
    } else {
        format!("{e:#}")
    };
    PluginError::NotAComponent {
        path: path.to_path_buf(),
        message,
    }
}

fn store_entry(dir: &Path, entry: &Path, compiled: &[u8]) -> Result<(), PluginError> {
    let fail = |e: std::io::Error| PluginError::Cache {
        path: entry.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let tmp = temp_sibling(entry);
    std::fs::write(&tmp, compiled).map_err(fail)?;
    std::fs::rename(&tmp, entry).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}
