//! `generate --out s3://...`: a [`Sink`] that streams each file to the object store.
//!
//! The engine is synchronous (std threads), object_store is async: the sink owns a small tokio
//! runtime and each file drives it with `block_on`. A file is held in memory until it outgrows
//! one part, then streamed as a multipart upload of fixed-size parts (a few in flight, with
//! back-pressure). `commit` completes the upload (or does a single PUT for a small file), so
//! the object appears whole or not at all; `abort` and `Drop` abort the multipart upload.
//! Parts have the same size as `upload`'s, so the objects carry the same ETags an upload of the
//! local files would, and commit checks the server's ETag against the bytes it was sent. A
//! small file also gets its digest as metadata (as `upload` writes it); a streamed one cannot
//! (the digest is known only at the end), and `upload` reads such an object back to compare.

use std::io::Write;
use std::sync::Arc;

use object_store::{Attribute, Attributes, PutOptions, PutPayload, WriteMultipart};
use tokio::runtime::Runtime;

use super::digest::{EtagHasher, PART_SIZE, digest_attribute, normalize_etag};
use super::error::{Result, StorageError};
use super::store::{Store, StoreKind};
use crate::format::{Sink, SinkFile};

/// Parts of one file in flight at once.
const PARTS_IN_FLIGHT: usize = 4;

pub struct ObjectSink {
    store: Store,
    runtime: Arc<Runtime>,
}

impl ObjectSink {
    pub fn new(store: Store) -> Result<ObjectSink> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("object-sink")
            .enable_all()
            .build()
            .map_err(|e| StorageError::Local {
                path: "(tokio runtime)".into(),
                source: e,
            })?;
        Ok(ObjectSink {
            store,
            runtime: Arc::new(runtime),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs an async storage call on the sink's runtime (for the checks around a run).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

fn io_error(e: StorageError) -> std::io::Error {
    std::io::Error::other(e)
}

impl Sink for ObjectSink {
    fn create(&self, name: &str) -> std::io::Result<Box<dyn SinkFile>> {
        Ok(Box::new(ObjectFile {
            store: self.store.clone(),
            runtime: self.runtime.clone(),
            name: name.to_string(),
            state: State::Buffering(Vec::new()),
            hasher: Some(EtagHasher::new(PART_SIZE)),
            written: 0,
        }))
    }

    fn display(&self, name: &str) -> String {
        self.store.url(name)
    }
}

enum State {
    Buffering(Vec<u8>),
    Streaming(WriteMultipart),
    Closed,
}

struct ObjectFile {
    store: Store,
    runtime: Arc<Runtime>,
    name: String,
    state: State,
    hasher: Option<EtagHasher>,
    written: u64,
}

impl ObjectFile {
    fn start_streaming(&mut self, buffered: Vec<u8>) -> std::io::Result<()> {
        let path = self.store.path(&self.name);
        let upload = self
            .runtime
            .block_on(self.store.inner.put_multipart(&path))
            .map_err(|e| io_error(self.store.error("create multipart upload", &self.name, e)))?;
        let _guard = self.runtime.enter();
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        writer.write(&buffered);
        self.state = State::Streaming(writer);
        Ok(())
    }
}

impl Write for ObjectFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.hasher.as_mut().expect("open").update(buf);
        self.written += buf.len() as u64;
        match &mut self.state {
            State::Buffering(buffer) => {
                buffer.extend_from_slice(buf);
                if buffer.len() > PART_SIZE {
                    let buffered = std::mem::take(buffer);
                    self.start_streaming(buffered)?;
                }
            }
            State::Streaming(writer) => {
                {
                    let _guard = self.runtime.enter();
                    writer.write(buf);
                }
                let name = &self.name;
                let store = &self.store;
                self.runtime
                    .block_on(writer.wait_for_capacity(PARTS_IN_FLIGHT))
                    .map_err(|e| io_error(store.error("upload part", name, e)))?;
            }
            State::Closed => return Err(std::io::Error::other("write after commit")),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SinkFile for ObjectFile {
    fn commit(mut self: Box<Self>) -> std::io::Result<u64> {
        let expected = self.hasher.take().expect("committed once").finish();
        let path = self.store.path(&self.name);
        let result = match std::mem::replace(&mut self.state, State::Closed) {
            State::Buffering(buffer) => {
                // A small file's digest is known before its single PUT: store it like `upload`
                // does, so an upload of the same files over it is skipped with a HEAD.
                let mut attributes = Attributes::new();
                if self.store.kind != StoreKind::Local {
                    attributes.insert(
                        Attribute::Metadata(digest_attribute(self.store.kind).into()),
                        expected.clone().into(),
                    );
                }
                self.runtime
                    .block_on(self.store.inner.put_opts(
                        &path,
                        PutPayload::from(buffer),
                        PutOptions::from(attributes),
                    ))
                    .map_err(|e| self.store.error("put", &self.name, e))
            }
            State::Streaming(writer) => self
                .runtime
                .block_on(writer.finish())
                .map_err(|e| self.store.error("complete multipart upload", &self.name, e)),
            State::Closed => unreachable!("committed once"),
        }
        .map_err(io_error)?;
        // S3 ETags are content-derived (see `digest`): prove the server holds what we sent.
        if self.store.kind == StoreKind::S3
            && let Some(etag) = result.e_tag.as_deref().map(normalize_etag)
            && etag != expected
        {
            let _ = self.runtime.block_on(self.store.delete(&self.name));
            return Err(io_error(StorageError::Verify {
                url: self.store.url(&self.name),
                reason: format!("server ETag {etag} differs from the bytes sent ({expected})"),
            }));
        }
        Ok(self.written)
    }

    fn abort(mut self: Box<Self>) {
        self.abort_upload();
    }
}

impl ObjectFile {
    fn abort_upload(&mut self) {
        if let State::Streaming(writer) = std::mem::replace(&mut self.state, State::Closed) {
            let _ = self.runtime.block_on(writer.abort());
        }
    }
}

impl Drop for ObjectFile {
    fn drop(&mut self) {
        // Dropped without commit (an error or Ctrl-C unwound past us): abort the upload so no
        // parts linger in the bucket.
        self.abort_upload();
    }
}
