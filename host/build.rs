//! Embeds the guest SDK (plugins/sdk), the frozen WIT (wit/) and the plugin workspace's
//! Cargo.toml/Cargo.lock into the binary, so `milvus-ingest plugin new` can write a crate that
//! builds anywhere, without a checkout of this repository. The file list is collected here
//! rather than written out by hand so it follows the SDK and new WIT versions automatically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let path = e.path();
        let rel = format!("{rel}/{name}");
        if path.is_dir() {
            collect(&path, &rel, out);
        } else {
            out.push((rel, path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest.parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    collect(&repo.join("plugins/sdk"), "plugins/sdk", &mut files);
    collect(&repo.join("wit"), "wit", &mut files);
    for f in ["plugins/Cargo.toml", "plugins/Cargo.lock"] {
        if repo.join(f).is_file() {
            files.push((f.to_string(), repo.join(f)));
        }
    }
    for d in [
        "plugins/sdk",
        "wit",
        "plugins/Cargo.toml",
        "plugins/Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", repo.join(d).display());
    }
    let mut code = String::from(
        "/// Guest SDK files (path relative to the repository root, bytes).\npub static SDK_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, path) in &files {
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("sdk_files.rs");
    std::fs::write(out, code).unwrap();
}
