//! A local output directory that appears complete or not at all.
//!
//! Files are written into a hidden staging directory beside the target; `commit` swaps it into
//! place (moving any previous dataset aside first and deleting it only after the swap). A
//! failed or interrupted run drops the staging directory, so the previous dataset is untouched.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputDirError {
    #[error("output directory {} already exists and is not empty; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    #[error("{} exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot prepare {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    pub fn prepare(target: &Path, force: bool) -> Result<StagedDir, OutputDirError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputDirError::Io { path, source }
        };
        if target.exists() {
            if !target.is_dir() {
                return Err(OutputDirError::NotADirectory(target.to_path_buf()));
            }
            let non_empty = std::fs::read_dir(target)
                .map_err(io(target))?
                .next()
                .is_some();
            if non_empty && !force {
                return Err(OutputDirError::Exists(target.to_path_buf()));
            }
        }
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let staging = crate::fsutil::temp_sibling(target);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        std::fs::create_dir(&staging).map_err(io(&staging))?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// Where files are written until commit.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn commit(mut self) -> Result<(), OutputDirError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputDirError::Io { path, source }
        };
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            std::process::id()
        ));
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &old).map_err(io(&self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(io(&self.target)(e));
        }
        self.committed = true;
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
