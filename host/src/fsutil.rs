//! Small filesystem helpers shared by writers and stores.

use std::path::{Path, PathBuf};

/// A hidden temporary name next to `path`, unique to this process, e.g. `.data.parquet.tmp-1234`.
///
/// Writers create this, fill it and rename it over `path` only when complete, so readers never
/// see a half-written file and a crash leaves only an obviously temporary file behind.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Whether a file name is one of our temporary names.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}
