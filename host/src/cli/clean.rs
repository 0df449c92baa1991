//! `milvus-ingest clean`: remove what interrupted runs left behind (hidden staging directories
//! and temporary files), and with `--all` the generated datasets themselves.

use std::path::{Path, PathBuf};

use clap::Args;

use super::error::CliError;
use super::printer::Printer;
use crate::format::META_FILE;
use crate::fsutil::is_temp_name;

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Directories to clean [default: output].
    pub dirs: Vec<PathBuf>,
    /// Also remove generated datasets (directories holding a meta.json).
    #[arg(long)]
    pub all: bool,
    /// List what would be removed without removing it.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: CleanArgs, printer: &Printer) -> Result<(), CliError> {
    let given = args.dirs_given();
    let dirs = if given {
        args.dirs.clone()
    } else {
        vec![PathBuf::from("output")]
    };
    let mut removed = Vec::new();
    for dir in &dirs {
        if !dir.is_dir() {
            if given {
                return Err(CliError::usage_msg(format!(
                    "{} is not a directory",
                    dir.display()
                )));
            }
            continue;
        }
        collect(dir, args.all, &mut removed).map_err(CliError::failure)?;
    }
    for path in &removed {
        if !args.dry_run {
            let result = if path.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            };
            result.map_err(|e| {
                CliError::failure(anyhow::anyhow!("cannot remove {}: {e}", path.display()))
            })?;
        }
    }
    if printer.is_json() {
        printer.json(&serde_json::json!({"removed": removed, "dry_run": args.dry_run}));
    } else {
        for path in &removed {
            printer.out(&format!(
                "{} {}",
                if args.dry_run {
                    "would remove"
                } else {
                    "removed"
                },
                path.display()
            ));
        }
        printer.status(&format!(
            "{} item(s) {}",
            removed.len(),
            if args.dry_run { "to remove" } else { "removed" }
        ));
    }
    Ok(())
}

impl CleanArgs {
    fn dirs_given(&self) -> bool {
        !self.dirs.is_empty()
    }
}

/// Leftovers (and datasets when `all`) below `dir`, not descending into what is removed.
fn collect(dir: &Path, all: bool, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if all && dir.join(META_FILE).is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if is_temp_name(&name) || (name.starts_with('.') && name.contains(".old-")) {
            out.push(path);
        } else if entry.file_type()?.is_dir() {
            collect(&path, all, out)?;
        }
    }
    Ok(())
}
