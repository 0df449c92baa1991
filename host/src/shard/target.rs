//! The location a shard writes to and `dataset status`/`finalize` read: a local directory or an
//! object-store prefix, behind one small synchronous API.
//!
//! Data files and manifests go through a [`Sink`] (so they appear whole or not at all); listing,
//! reading and deleting go through [`Store`]. A remote target drives the store on the
//! [`ObjectSink`]'s runtime (one runtime per client, so pooled connections stay alive); a local
//! one needs no runtime at all: object_store's local backend runs inline outside tokio.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectMeta;

use super::error::ShardError;
use super::manifest::SHARDS_DIR;
use crate::format::{LocalSink, Sink};
use crate::storage::sink::ObjectSink;
use crate::storage::{Location, StorageError, StorageOptions, Store, StoreKind};

/// Requests in flight when reading many small objects (manifests).
const READS_IN_FLIGHT: usize = 16;

enum Writer {
    Local(LocalSink),
    Object(Box<ObjectSink>),
}

pub struct Target {
    pub location: Location,
    pub store: Store,
    writer: Writer,
}

impl Target {
    /// Opens `location`. A local directory is created when `create` (generate) and must exist
    /// otherwise (status, finalize).
    pub fn open(
        location: &Location,
        options: &StorageOptions,
        create: bool,
    ) -> Result<Target, ShardError> {
        if let Location::Local(dir) = location {
            if !create && !dir.is_dir() {
                return Err(ShardError::Usage(format!(
                    "{} is not a directory",
                    dir.display()
                )));
            }
            if create {
                std::fs::create_dir_all(dir.join(SHARDS_DIR)).map_err(|e| ShardError::Io {
                    what: "creating",
                    path: dir.join(SHARDS_DIR).display().to_string(),
                    source: e,
                })?;
            }
        }
        let store = Store::open(location, options)?;
        let writer = match location {
            Location::Local(dir) => Writer::Local(LocalSink::new(dir)),
            _ => Writer::Object(Box::new(ObjectSink::new(store.clone())?)),
        };
        let target = Target {
            location: location.clone(),
            store,
            writer,
        };
        target.block_on(target.store.check_access())?;
        Ok(target)
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind
    }

    /// Where data files and manifests are written.
    pub fn sink(&self) -> &dyn Sink {
        match &self.writer {
            Writer::Local(s) => s,
            Writer::Object(s) => s.as_ref(),
        }
    }

    /// Runs a storage call to completion.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.writer {
            Writer::Local(_) => futures::executor::block_on(future),
            Writer::Object(sink) => sink.block_on(future),
        }
    }

    /// Every object under the location (names relative to it), without our hidden temporary
    /// files.
    pub fn list(&self) -> Result<Vec<(String, ObjectMeta)>, ShardError> {
        let mut all = self.block_on(self.store.list())?;
        all.retain(|(name, _)| !name.split('/').any(|seg| seg.starts_with('.')));
        Ok(all)
    }

    /// The contents of `name`, or `None` when it does not exist.
    pub fn read(&self, name: &str) -> Result<Option<Bytes>, ShardError> {
        match self.block_on(self.store.get(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(StorageError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The contents of each of `names` (in that order; `None` for missing ones), a few at once.
    pub fn read_many(&self, names: &[String]) -> Result<Vec<Option<Bytes>>, ShardError> {
        let store = &self.store;
        self.block_on(
            futures::stream::iter(names.iter().map(|name| async move {
                match store.get(name).await {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(StorageError::NotFound { .. }) => Ok(None),
                    Err(e) => Err(ShardError::from(e)),
                }
            }))
            .buffered(READS_IN_FLIGHT)
            .try_collect(),
        )
    }

    pub fn delete(&self, name: &str) -> Result<(), ShardError> {
        Ok(self.block_on(self.store.delete(name))?)
    }

    /// Writes `bytes` as `name`, atomically (a complete object or none).
    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<u64, ShardError> {
        let io = |e: std::io::Error| ShardError::Io {
            what: "writing",
            path: self.store.url(name),
            source: e,
        };
        let mut file = self.sink().create(name).map_err(io)?;
        std::io::Write::write_all(&mut file, bytes).map_err(io)?;
        file.commit().map_err(io)
    }
}
