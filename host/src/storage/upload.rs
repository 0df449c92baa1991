//! `upload`: a local dataset directory to a location, in parallel, verified, resumable.
//!
//! Order of work: check the bucket and credentials; hash every local file (the expected ETag,
//! see [`super::digest`]); skip objects already there with the same size and ETag; remove a
//! stale `meta.json` at the destination (so the prefix never claims to be complete while data is
//! replaced); upload the rest with at most `concurrency` requests in flight (one PUT per small
//! file, fixed-size multipart parts otherwise, each request retried with backoff by
//! object_store); verify each object by size and ETag; and upload `meta.json` last, so a prefix
//! holding `meta.json` holds the whole dataset.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use object_store::{Attribute, Attributes, PutMultipartOptions, PutOptions, PutPayload};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::digest::{
    AZURE_DIGEST_ATTRIBUTE, DIGEST_ATTRIBUTE, EtagHasher, PART_SIZE, digest_attribute, file_etag,
    normalize_etag,
};
use super::error::{Result, StorageError};
use super::store::{Store, StoreKind};
use crate::format::META_FILE;

/// Progress of an upload, for the CLI's bar. Called from async tasks: keep it cheap.
pub trait UploadReporter: Send + Sync {
    /// Before any transfer: what will be sent and what is already there.
    fn planned(&self, to_send_files: usize, to_send_bytes: u64, skipped_files: usize) {
        let _ = (to_send_files, to_send_bytes, skipped_files);
    }
    fn transferred(&self, bytes: u64) {
        let _ = bytes;
    }
    fn file_done(&self, name: &str) {
        let _ = name;
    }
}

/// A reporter that reports nothing.
pub struct Silent;
impl UploadReporter for Silent {}

#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Requests (whole small files or parts) in flight at once.
    pub concurrency: usize,
    pub part_size: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            concurrency: 8,
            part_size: PART_SIZE,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadSummary {
    pub destination: String,
    pub files: usize,
    pub uploaded_files: usize,
    pub skipped_files: usize,
    pub uploaded_bytes: u64,
    pub skipped_bytes: u64,
    pub seconds: f64,
    pub megabytes_per_second: f64,
    /// Every object was checked by size and checksum after the upload.
    pub verified: bool,
}

/// One local file and its expected object.
#[derive(Debug, Clone)]
struct Item {
    name: String,
    path: PathBuf,
    size: u64,
    etag: String,
}

/// Relative `/`-separated names of the files under `dir` (hidden files and directories, such
/// as staging leftovers and progress files, are not part of a dataset).
fn local_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let io = |path: &Path, e: std::io::Error| StorageError::Local {
        path: path.display().to_string(),
        source: e,
    };
    if !dir.is_dir() {
        return Err(StorageError::Usage(format!(
            "{}: not a directory (upload takes a dataset directory written by `generate`)",
            dir.display()
        )));
    }
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        for entry in std::fs::read_dir(&path).map_err(|e| io(&path, e))? {
            let entry = entry.map_err(|e| io(&path, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let rel_name = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type().map_err(|e| io(&entry.path(), e))?;
            if kind.is_dir() {
                stack.push((entry.path(), rel_name));
            } else if kind.is_file() {
                out.push((rel_name, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Uploads `src` to `dst`. Returns when every object is verified, or at the first error
/// (nothing half-written stays behind: failed multipart uploads are aborted).
pub async fn upload_dir(
    src: &Path,
    dst: &Store,
    options: &UploadOptions,
    reporter: &dyn UploadReporter,
    cancel: &AtomicBool,
) -> Result<UploadSummary> {
    let started = Instant::now();
    let files = local_files(src)?;
    dst.check_access().await?;

    let part_size = options.part_size;
    let items: Vec<Item> =
        futures::stream::iter(files.into_iter().map(|(name, path)| async move {
            let p = path.clone();
            let (size, etag) = tokio::task::spawn_blocking(move || file_etag(&p, part_size))
                .await
                .expect("hashing does not panic")
                .map_err(|e| StorageError::Local {
                    path: path.display().to_string(),
                    source: e,
                })?;
            Ok::<_, StorageError>(Item {
                name,
                path,
                size,
                etag,
            })
        }))
        .buffered(2)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;

    let mut pending = Vec::new();
    let mut skipped = (0usize, 0u64);
    for item in &items {
        if matches_remote(dst, item).await? {
            skipped.0 += 1;
            skipped.1 += item.size;
        } else {
            pending.push(item.clone());
        }
    }
    let (meta, data): (Vec<Item>, Vec<Item>) =
        pending.into_iter().partition(|i| i.name == META_FILE);
    if !meta.is_empty() {
        // The destination's meta.json describes another dataset (or another version of this
        // one): withdraw it before touching the data it describes.
        dst.delete(META_FILE).await?;
    }
    let to_send: u64 = data.iter().chain(&meta).map(|i| i.size).sum();
    reporter.planned(data.len() + meta.len(), to_send, skipped.0);

    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut uploads = futures::stream::iter(data.iter().map(|item| {
        let permits = permits.clone();
        async move {
            put_file(dst, item, options, permits, reporter, cancel).await?;
            verify(dst, item).await?;
            reporter.file_done(&item.name);
            Ok::<_, StorageError>(())
        }
    }))
    .buffer_unordered(options.concurrency.max(1));
    while let Some(result) = uploads.next().await {
        result?;
    }
    drop(uploads);
    for item in &meta {
        put_file(dst, item, options, permits.clone(), reporter, cancel).await?;
        verify(dst, item).await?;
        reporter.file_done(&item.name);
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(UploadSummary {
        destination: dst.location.to_string(),
        files: items.len(),
        uploaded_files: data.len() + meta.len(),
        skipped_files: skipped.0,
        uploaded_bytes: to_send,
        skipped_bytes: skipped.1,
        seconds,
        megabytes_per_second: to_send as f64 / 1e6 / seconds.max(1e-9),
        verified: true,
    })
}

/// The digest the store holds for `name`, in the terms of [`super::digest`].
async fn remote_digest(dst: &Store, name: &str, etag: Option<&str>) -> Result<Option<String>> {
    match dst.kind {
        StoreKind::S3 => Ok(etag.map(normalize_etag)),
        StoreKind::Local => {
            let Some(path) = dst.local_path(name) else {
                return Ok(None);
            };
            let part_size = PART_SIZE;
            let digest = tokio::task::spawn_blocking(move || file_etag(&path, part_size))
                .await
                .expect("hashing does not panic")
                .ok()
                .map(|(_, d)| d);
            Ok(digest)
        }
        StoreKind::Gcs | StoreKind::Azure => {
            let options = object_store::GetOptions {
                head: true,
                ..Default::default()
            };
            let got = dst
                .inner
                .get_opts(&dst.path(name), options)
                .await
                .map_err(|e| dst.error("head", name, e))?;
            // Both names: an object may have been written under the other store's name (a
            // copy between stores keeps metadata).
            let stored = [AZURE_DIGEST_ATTRIBUTE, DIGEST_ATTRIBUTE]
                .into_iter()
                .find_map(|key| got.attributes.get(&Attribute::Metadata(key.into())));
            match stored {
                Some(value) => Ok(Some(value.as_ref().to_string())),
                // No digest stored: a file `generate --out` streamed in parts (its digest is
                // only known once the upload is complete) or an object of another tool. Read
                // it back and hash it: slower than a HEAD, but exact, and still no re-send.
                None => read_back_digest(dst, name).await.map(Some),
            }
        }
    }
}

/// The digest of the object `name`, computed from its bytes as the store returns them.
async fn read_back_digest(dst: &Store, name: &str) -> Result<String> {
    let got = dst
        .inner
        .get(&dst.path(name))
        .await
        .map_err(|e| dst.error("get", name, e))?;
    let mut stream = got.into_stream();
    let mut hasher = EtagHasher::new(PART_SIZE);
    while let Some(chunk) = stream.next().await {
        hasher.update(&chunk.map_err(|e| dst.error("get", name, e))?);
    }
    Ok(hasher.finish())
}

/// Whether the object for `item` is already there, complete and identical.
async fn matches_remote(dst: &Store, item: &Item) -> Result<bool> {
    let Some(meta) = dst.head(&item.name).await? else {
        return Ok(false);
    };
    if meta.size != item.size {
        return Ok(false);
    }
    let digest = remote_digest(dst, &item.name, meta.e_tag.as_deref()).await?;
    Ok(digest.as_deref() == Some(item.etag.as_str()))
}

async fn verify(dst: &Store, item: &Item) -> Result<()> {
    let url = dst.url(&item.name);
    let Some(meta) = dst.head(&item.name).await? else {
        return Err(StorageError::Verify {
            url,
            reason: "the object is missing right after its upload completed".into(),
        });
    };
    if meta.size != item.size {
        return Err(StorageError::Verify {
            url,
            reason: format!(
                "holds {} bytes, the local file {} has {}",
                meta.size,
                item.path.display(),
                item.size
            ),
        });
    }
    let digest = remote_digest(dst, &item.name, meta.e_tag.as_deref()).await?;
    if digest.as_deref() != Some(item.etag.as_str()) {
        return Err(StorageError::Verify {
            url,
            reason: format!(
                "checksum (ETag) {} differs from the local file's {}",
                digest.as_deref().unwrap_or("(none)"),
                item.etag
            ),
        });
    }
    Ok(())
}

fn attributes(dst: &Store, item: &Item) -> Attributes {
    let mut attributes = Attributes::new();
    // The local filesystem store cannot keep attributes; its files are re-read instead.
    if dst.kind != StoreKind::Local {
        attributes.insert(
            Attribute::Metadata(digest_attribute(dst.kind).into()),
            item.etag.clone().into(),
        );
    }
    attributes
}

fn read_part(path: &Path, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

async fn read_part_async(item: &Item, offset: u64, len: usize) -> Result<PutPayload> {
    let path = item.path.clone();
    let buf = tokio::task::spawn_blocking(move || read_part(&path, offset, len))
        .await
        .expect("reading does not panic")
        .map_err(|e| StorageError::Local {
            path: item.path.display().to_string(),
            source: e,
        })?;
    Ok(PutPayload::from(buf))
}

async fn put_file(
    dst: &Store,
    item: &Item,
    options: &UploadOptions,
    permits: Arc<Semaphore>,
    reporter: &dyn UploadReporter,
    cancel: &AtomicBool,
) -> Result<()> {
    let path = dst.path(&item.name);
    if item.size <= options.part_size as u64 {
        let _permit = permits.acquire().await.expect("never closed");
        if cancel.load(Ordering::SeqCst) {
            return Err(StorageError::Interrupted);
        }
        let payload = read_part_async(item, 0, item.size as usize).await?;
        let put = PutOptions::from(attributes(dst, item));
        dst.inner
            .put_opts(&path, payload, put)
            .await
            .map_err(|e| dst.error("put", &item.name, e))?;
        reporter.transferred(item.size);
        return Ok(());
    }
    let mut upload = dst
        .inner
        .put_multipart_opts(&path, PutMultipartOptions::from(attributes(dst, item)))
        .await
        .map_err(|e| dst.error("create multipart upload", &item.name, e))?;
    let outcome: Result<()> = async {
        let mut in_flight = FuturesUnordered::new();
        let mut offset = 0u64;
        while offset < item.size {
            let permit = permits.clone().acquire_owned().await.expect("never closed");
            if cancel.load(Ordering::SeqCst) {
                return Err(StorageError::Interrupted);
            }
            let len = (item.size - offset).min(options.part_size as u64) as usize;
            let payload = read_part_async(item, offset, len).await?;
            let part = upload.put_part(payload);
            // Spawned so parts progress while this loop waits for a permit.
            in_flight.push(tokio::spawn(async move {
                let result = part.await;
                drop(permit);
                result.map(|()| len as u64)
            }));
            offset += len as u64;
            // Collect finished parts as we go so errors surface early.
            while let Some(Some(done)) = futures::FutureExt::now_or_never(in_flight.next()) {
                reporter.transferred(joined(dst, item, done)?);
            }
        }
        while let Some(done) = in_flight.next().await {
            reporter.transferred(joined(dst, item, done)?);
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => match upload.complete().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = upload.abort().await;
                Err(dst.error("complete multipart upload", &item.name, e))
            }
        },
        Err(e) => {
            let _ = upload.abort().await;
            Err(e)
        }
    }
}

type PartResult = std::result::Result<object_store::Result<u64>, tokio::task::JoinError>;

fn joined(dst: &Store, item: &Item, done: PartResult) -> Result<u64> {
    done.expect("part uploads do not panic")
        .map_err(|e| dst.error("upload part", &item.name, e))
}
