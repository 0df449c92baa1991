//! Where data files go. Writers stream bytes into a [`SinkFile`]; the file becomes visible
//! under its final name only on `commit`, and `abort` (or dropping it) leaves nothing behind.
//!
//! The local sink writes a hidden temporary file and renames it; an object-store sink streams a
//! multipart upload and completes it on commit (aborting it otherwise).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::fsutil::temp_sibling;

/// A destination directory (local or remote) for one dataset.
pub trait Sink: Send + Sync {
    /// Starts writing `name` (a plain file name, no directories).
    fn create(&self, name: &str) -> std::io::Result<Box<dyn SinkFile>>;
    /// Human-readable location of `name`, for messages.
    fn display(&self, name: &str) -> String;
}

/// One file being written.
pub trait SinkFile: Write + Send {
    /// Makes the file visible under its final name; returns its size in bytes.
    fn commit(self: Box<Self>) -> std::io::Result<u64>;
    /// Discards everything written.
    fn abort(self: Box<Self>);
}

/// A local directory.
pub struct LocalSink {
    dir: PathBuf,
}

impl LocalSink {
    pub fn new(dir: impl Into<PathBuf>) -> LocalSink {
        LocalSink { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Sink for LocalSink {
    fn create(&self, name: &str) -> std::io::Result<Box<dyn SinkFile>> {
        let path = self.dir.join(name);
        let tmp = temp_sibling(&path);
        let file = File::create(&tmp)?;
        Ok(Box::new(LocalFile {
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            tmp,
            path,
            written: 0,
        }))
    }

    fn display(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

struct LocalFile {
    out: Option<BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
    written: u64,
}

impl Write for LocalFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.as_mut().expect("open until commit").write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out
            .as_mut()
            .expect("open until commit")
            .write_all(buf)?;
        self.written += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("open until commit").flush()
    }
}

impl SinkFile for LocalFile {
    fn commit(mut self: Box<Self>) -> std::io::Result<u64> {
        let out = self.out.take().expect("committed once");
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_data()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.written)
    }

    fn abort(mut self: Box<Self>) {
        self.out.take();
        let _ = std::fs::remove_file(&self.tmp);
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        // Dropped without commit (an error unwound past us): leave nothing behind.
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Discards everything while counting bytes: benchmarks use it to time generation and
/// encoding without the disk.
pub struct NullSink;

impl Sink for NullSink {
    fn create(&self, _name: &str) -> std::io::Result<Box<dyn SinkFile>> {
        Ok(Box::new(NullFile(0)))
    }

    fn display(&self, name: &str) -> String {
        format!("(null sink)/{name}")
    }
}

struct NullFile(u64);

impl Write for NullFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SinkFile for NullFile {
    fn commit(self: Box<Self>) -> std::io::Result<u64> {
        Ok(self.0)
    }

    fn abort(self: Box<Self>) {}
}
