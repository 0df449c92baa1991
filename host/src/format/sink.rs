//! Where data files go. Writers stream bytes into a [`SinkFile`]; the file becomes visible
//! under its final name only on `commit`, and `abort` (or dropping it) leaves nothing behind.
//!
//! The local sink writes a hidden temporary file and renames it; an object-store sink streams a
//! multipart upload and completes it on commit (aborting it otherwise).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

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
    early_flush: u64,
}

impl LocalSink {
    pub fn new(dir: impl Into<PathBuf>) -> LocalSink {
        LocalSink {
            dir: dir.into(),
            early_flush: EARLY_FLUSH_BYTES,
        }
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
            unflushed: 0,
            early_flush: self.early_flush,
            flusher: None,
        }))
    }

    fn display(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

/// Bytes a local file takes between two early flushes (see [`Flusher`]).
const EARLY_FLUSH_BYTES: u64 = 64 << 20;

struct LocalFile {
    out: Option<BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
    written: u64,
    unflushed: u64,
    early_flush: u64,
    flusher: Option<Flusher>,
}

/// Flushes what a file already holds to the disk while the rest is still being generated.
///
/// A file is fsynced before its rename (a committed file survives a crash), and the kernel
/// starts writing dirty pages only at `dirty_background_ratio` (10% of RAM) or after 30 s: for
/// files of a few GB that is after the last byte, so the whole file went to the disk after
/// generation, one after the other. A thread of its own calling `sync_data` on a clone of the
/// handle every [`EARLY_FLUSH_BYTES`] overlaps the two; the final fsync then waits only for the
/// tail (news_articles to disk was half disk time, half generation time).
struct Flusher {
    requests: Option<SyncSender<()>>,
    thread: JoinHandle<std::io::Result<()>>,
}

impl Flusher {
    fn start(file: File) -> std::io::Result<Flusher> {
        // One request may wait while a flush runs; more would only repeat it.
        let (requests, rx) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("file-flush".into())
            .spawn(move || {
                for () in rx {
                    file.sync_data()?;
                }
                Ok(())
            })?;
        Ok(Flusher {
            requests: Some(requests),
            thread,
        })
    }

    fn request(&self) {
        if let Some(tx) = &self.requests {
            // Full: a flush is already queued and will cover these bytes too. Disconnected:
            // the thread stopped on an error, which `finish` reports.
            let _ = tx.try_send(());
        }
    }

    /// Waits for the flushes in flight; the first error any of them met.
    fn finish(mut self) -> std::io::Result<()> {
        self.requests.take();
        self.thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the flush thread panicked")))
    }
}

impl LocalFile {
    fn wrote(&mut self, n: usize) -> std::io::Result<()> {
        self.written += n as u64;
        self.unflushed += n as u64;
        if self.unflushed >= self.early_flush {
            self.unflushed = 0;
            if self.flusher.is_none() {
                let file = self.out.as_ref().expect("open until commit").get_ref();
                self.flusher = Some(Flusher::start(file.try_clone()?)?);
            }
            if let Some(f) = &self.flusher {
                f.request();
            }
        }
        Ok(())
    }
}

impl Write for LocalFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.as_mut().expect("open until commit").write(buf)?;
        self.wrote(n)?;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out
            .as_mut()
            .expect("open until commit")
            .write_all(buf)?;
        self.wrote(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("open until commit").flush()
    }
}

impl SinkFile for LocalFile {
    fn commit(mut self: Box<Self>) -> std::io::Result<u64> {
        let out = self.out.take().expect("committed once");
        let file = out.into_inner().map_err(|e| e.into_error())?;
        if let Some(f) = self.flusher.take() {
            f.finish()?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_flushes_keep_every_byte_and_the_temp_name_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let sink = LocalSink {
            dir: dir.path().to_path_buf(),
            early_flush: 1000,
        };
        let mut f = sink.create("data.bin").unwrap();
        let mut want = Vec::new();
        for i in 0..500u32 {
            let piece: Vec<u8> = (0..(i % 97 + 1)).map(|j| (i * 31 + j) as u8).collect();
            f.write_all(&piece).unwrap();
            want.extend(piece);
        }
        assert!(!dir.path().join("data.bin").exists());
        assert_eq!(f.commit().unwrap(), want.len() as u64);
        assert_eq!(std::fs::read(dir.path().join("data.bin")).unwrap(), want);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left");

        let mut f = sink.create("gone.bin").unwrap();
        f.write_all(&want).unwrap();
        f.abort();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
