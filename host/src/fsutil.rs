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

/// Writes `bytes` to [`temp_sibling`]`(path)`, syncs it and renames it over `path`, so a
/// reader sees the old file or the whole new one. On error the temporary file is removed and
/// `path` is left as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_sibling(path);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Whether a file name is one of our temporary names.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}
