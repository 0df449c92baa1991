//! The per-user blob cache shared by every project: `<root>/blobs/sha256/<hex>`.
//!
//! Blobs are content-addressed and immutable, so any process may fill the cache at any time:
//! bytes are hashed while they stream into a temporary file unique to the writer, and only a
//! file whose sha256 matches its name is renamed into place. Two processes fetching the same
//! blob both succeed; the second rename replaces identical bytes. Readers re-hash on every load
//! (see `resolve`), so a file modified in place is caught too.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

use super::error::RegistryError;

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The hex part of a `sha256:<64 hex>` digest; anything else is refused (digests become file
/// names, so they must not carry path characters).
pub fn digest_hex(digest: &str) -> Result<&str, RegistryError> {
    match digest.strip_prefix("sha256:") {
        Some(h)
            if h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(h)
        }
        _ => Err(RegistryError::BadInput {
            what: "digest",
            input: digest.to_string(),
            rule: "expected sha256: followed by 64 lowercase hex digits".into(),
        }),
    }
}

/// The sha256 digest of a file, read in chunks.
pub fn file_digest(path: &Path) -> Result<String, RegistryError> {
    let mut f = std::fs::File::open(path).map_err(|e| RegistryError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| RegistryError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", hex::encode(h.finalize())))
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary name next to `path`, unique per process and call.
pub(crate) fn unique_temp(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Writes `bytes` to `path` through a unique temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| RegistryError::io(dir, e))?;
    }
    let tmp = unique_temp(path);
    std::fs::write(&tmp, bytes).map_err(|e| RegistryError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        RegistryError::io(path, e)
    })
}

/// The blob cache of one user.
#[derive(Debug, Clone)]
pub struct BlobCache {
    root: PathBuf,
}

impl BlobCache {
    /// `$MILVUS_INGEST_HOME/cache/registry`, else `~/.cache/milvus-ingest/registry`.
    pub fn for_user() -> BlobCache {
        let root = match std::env::var_os("MILVUS_INGEST_HOME") {
            Some(home) => PathBuf::from(home).join("cache").join("registry"),
            None => dirs::cache_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("milvus-ingest")
                .join("registry"),
        };
        BlobCache { root }
    }

    pub fn at(root: impl Into<PathBuf>) -> BlobCache {
        BlobCache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with `digest` is (or would be) stored.
    pub fn path(&self, digest: &str) -> Result<PathBuf, RegistryError> {
        let hex = digest_hex(digest)?;
        Ok(self.root.join("blobs").join("sha256").join(hex))
    }

    pub fn contains(&self, digest: &str) -> bool {
        self.path(digest).is_ok_and(|p| p.is_file())
    }

    /// Starts writing the blob `digest`; bytes are hashed as they arrive.
    pub fn writer(&self, digest: &str, what: &str) -> Result<BlobWriter, RegistryError> {
        let path = self.path(digest)?;
        let dir = path.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir).map_err(|e| RegistryError::io(dir, e))?;
        let tmp = unique_temp(&path);
        let file = std::fs::File::create(&tmp).map_err(|e| RegistryError::io(&tmp, e))?;
        Ok(BlobWriter {
            file: Some(file),
            tmp,
            path,
            expected: digest.to_string(),
            what: what.to_string(),
            hasher: Sha256::new(),
        })
    }

    /// Stores `bytes` under their digest (checked against `digest`) and returns the path.
    pub fn put(&self, digest: &str, bytes: &[u8], what: &str) -> Result<PathBuf, RegistryError> {
        let mut w = self.writer(digest, what)?;
        w.write(bytes)?;
        w.finish()
    }

    /// Re-hashes the cached blob; a missing blob is `NotFound`-like `Offline`, a modified one
    /// `DigestMismatch`.
    pub fn verify(&self, digest: &str, what: &str) -> Result<PathBuf, RegistryError> {
        let path = self.path(digest)?;
        if !path.is_file() {
            return Err(RegistryError::Offline {
                what: what.to_string(),
                reason: format!("blob {digest} is not in the cache {}", self.root.display()),
            });
        }
        let actual = file_digest(&path)?;
        if actual != digest {
            return Err(RegistryError::DigestMismatch {
                what: format!("{what} (cached file {})", path.display()),
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(path)
    }
}

/// A blob being written into the cache; dropped without `finish`, it leaves nothing behind.
pub struct BlobWriter {
    file: Option<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    expected: String,
    what: String,
    hasher: Sha256,
}

impl BlobWriter {
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), RegistryError> {
        self.hasher.update(chunk);
        let file = self.file.as_mut().expect("not finished");
        file.write_all(chunk)
            .map_err(|e| RegistryError::io(&self.tmp, e))
    }

    /// Checks the digest and renames the blob into place.
    pub fn finish(mut self) -> Result<PathBuf, RegistryError> {
        let file = self.file.take().expect("not finished");
        file.sync_all()
            .map_err(|e| RegistryError::io(&self.tmp, e))?;
        drop(file);
        let actual = format!(
            "sha256:{}",
            hex::encode(std::mem::take(&mut self.hasher).finalize())
        );
        if actual != self.expected {
            return Err(RegistryError::DigestMismatch {
                what: self.what.clone(),
                expected: self.expected.clone(),
                actual,
            });
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| RegistryError::io(&self.path, e))?;
        Ok(self.path.clone())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // Finished writers renamed the file away; anything else is a partial download.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_verified_on_the_way_in() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::at(dir.path());
        let d = sha256_digest(b"hello");
        let p = cache.put(&d, b"hello", "test blob").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        assert!(cache.verify(&d, "x").is_ok());
        let bad = sha256_digest(b"other");
        assert!(matches!(
            cache.put(&bad, b"hello", "x"),
            Err(RegistryError::DigestMismatch { .. })
        ));
        assert!(!cache.contains(&bad));
        std::fs::write(&p, b"tampered").unwrap();
        assert!(matches!(
            cache.verify(&d, "x"),
            Err(RegistryError::DigestMismatch { .. })
        ));
        assert!(digest_hex("sha256:../../etc").is_err());
        // No temporary files are left behind.
        let left: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }
}
