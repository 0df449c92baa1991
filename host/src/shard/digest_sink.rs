//! A [`Sink`] wrapper that records, for every file it commits, the size, the SHA-256 and the
//! S3-style ETag of the bytes written, so a shard's manifest can be checked later without the
//! shard (S3 ETags by listing, local files by re-hashing).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::format::{Sink, SinkFile};
use crate::storage::digest::{EtagHasher, PART_SIZE};

/// Size and digests of one committed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub sha256: String,
    pub etag: String,
}

type Records = Arc<Mutex<BTreeMap<String, FileDigest>>>;

pub struct DigestSink<'a> {
    inner: &'a dyn Sink,
    records: Records,
}

impl<'a> DigestSink<'a> {
    pub fn new(inner: &'a dyn Sink) -> DigestSink<'a> {
        DigestSink {
            inner,
            records: Arc::default(),
        }
    }

    /// The digests of `name`, once committed.
    pub fn digest(&self, name: &str) -> Option<FileDigest> {
        self.records.lock().expect("digest lock").get(name).cloned()
    }
}

impl Sink for DigestSink<'_> {
    fn create(&self, name: &str) -> std::io::Result<Box<dyn SinkFile>> {
        Ok(Box::new(DigestFile {
            inner: Some(self.inner.create(name)?),
            name: name.to_string(),
            sha: Sha256::new(),
            etag: EtagHasher::new(PART_SIZE),
            records: self.records.clone(),
        }))
    }

    fn display(&self, name: &str) -> String {
        self.inner.display(name)
    }
}

struct DigestFile {
    inner: Option<Box<dyn SinkFile>>,
    name: String,
    sha: Sha256,
    etag: EtagHasher,
    records: Records,
}

impl Write for DigestFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.as_mut().expect("open").write(buf)?;
        self.sha.update(&buf[..n]);
        self.etag.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.as_mut().expect("open").flush()
    }
}

impl SinkFile for DigestFile {
    fn commit(mut self: Box<Self>) -> std::io::Result<u64> {
        let size = self.inner.take().expect("committed once").commit()?;
        let sha = std::mem::take(&mut self.sha);
        let etag = std::mem::replace(&mut self.etag, EtagHasher::new(PART_SIZE));
        let digest = FileDigest {
            size,
            sha256: hex::encode(sha.finalize()),
            etag: etag.finish(),
        };
        self.records
            .lock()
            .expect("digest lock")
            .insert(self.name.clone(), digest);
        Ok(size)
    }

    fn abort(mut self: Box<Self>) {
        if let Some(inner) = self.inner.take() {
            inner.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::LocalSink;

    #[test]
    fn committed_files_are_recorded_and_aborted_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let local = LocalSink::new(dir.path());
        let sink = DigestSink::new(&local);
        let mut f = sink.create("a.bin").unwrap();
        f.write_all(b"hello ").unwrap();
        f.write_all(b"world").unwrap();
        assert_eq!(f.commit().unwrap(), 11);
        let d = sink.digest("a.bin").unwrap();
        assert_eq!(d.sha256, hex::encode(Sha256::digest(b"hello world")));
        let (size, etag) =
            crate::storage::digest::file_etag(&dir.path().join("a.bin"), PART_SIZE).unwrap();
        assert_eq!((d.size, d.etag), (size, etag));
        let mut g = sink.create("b.bin").unwrap();
        g.write_all(b"x").unwrap();
        g.abort();
        assert!(sink.digest("b.bin").is_none());
        assert!(!dir.path().join("b.bin").exists());
    }
}
