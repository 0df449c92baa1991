//! Helpers shared by the CLI tests: run the real binary in a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_milvus-ingest"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the binary with `args` in `dir`, with a private schema store.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("MILVUS_INGEST_HOME", dir.join(".home"))
        .output()
        .expect("binary runs")
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run_in(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The interpreter with pyarrow (`MI_PYTHON`, set by scripts/test.sh), else `python3`.
pub fn python() -> String {
    std::env::var("MI_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs tests/check_dataset.py (pyarrow only, no project code) on a dataset directory.
pub fn pyarrow_check(dataset: &Path) {
    let script = repo_root().join("tests/check_dataset.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(dataset)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); run the suite with scripts/test.sh",
                python()
            )
        });
    assert!(
        out.status.success(),
        "independent pyarrow check failed for {} (is pyarrow installed for {}? scripts/test.sh sets MI_PYTHON):\n{}\n{}",
        dataset.display(),
        python(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exit code, stdout and stderr of a run, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs the binary and asserts it succeeded; returns its output.
pub fn must(dir: &Path, args: &[&str]) -> Output {
    let out = run_in(dir, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    out
}
