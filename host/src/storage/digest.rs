//! The checksum an upload is verified (and resumed) by: the S3 ETag, computed locally.
//!
//! S3 and S3-compatible stores (Garage, MinIO) compute an object's ETag from the bytes they
//! received: the MD5 of the content for a single PUT, and for a multipart upload the MD5 of the
//! concatenated binary MD5s of the parts, followed by `-<part count>`. Because every upload here
//! cuts files into parts of one fixed size, the expected ETag is a pure function of the file's
//! bytes, and comparing it with the server's ETag proves the server holds exactly those bytes,
//! without downloading them. The same digest is also stored as user metadata
//! ([`digest_attribute`]) so stores whose ETags are opaque (GCS, Azure) can at least be compared
//! with what was sent; local files are simply re-read.

use std::io::Read;

use md5::{Digest, Md5};

use super::store::StoreKind;

/// Part size of every multipart upload. Files up to this size go in one PUT.
pub const PART_SIZE: usize = 16 * 1024 * 1024;

/// Metadata name of the digest on Azure, whose metadata names must be C# identifiers
/// (letters, digits and `_`, not starting with a digit): it refuses a `-` with 400
/// `InvalidMetadata`.
pub const AZURE_DIGEST_ATTRIBUTE: &str = "milvus_ingest_etag";

/// Metadata name of the digest on S3 (`x-amz-meta-...`) and GCS (`x-goog-meta-...`). Both take
/// any lower-case header token; `-` rather than `_` because common proxies (nginx by default)
/// drop request headers whose names contain `_`.
pub const DIGEST_ATTRIBUTE: &str = "milvus-ingest-etag";

/// The metadata name the digest is written under on a store of `kind` (both names are read).
pub fn digest_attribute(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Azure => AZURE_DIGEST_ATTRIBUTE,
        StoreKind::S3 | StoreKind::Gcs | StoreKind::Local => DIGEST_ATTRIBUTE,
    }
}

/// Whether `name` is a valid Azure metadata name (a C# identifier, ASCII only here).
pub fn is_azure_metadata_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Incrementally computes the S3-style ETag of a byte stream cut into `part_size` parts.
pub struct EtagHasher {
    part_size: usize,
    current: Md5,
    in_part: usize,
    parts: Vec<[u8; 16]>,
    total: u64,
}

impl EtagHasher {
    pub fn new(part_size: usize) -> EtagHasher {
        EtagHasher {
            part_size,
            current: Md5::new(),
            in_part: 0,
            parts: Vec::new(),
            total: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        while !data.is_empty() {
            let take = (self.part_size - self.in_part).min(data.len());
            self.current.update(&data[..take]);
            self.in_part += take;
            data = &data[take..];
            if self.in_part == self.part_size {
                let done = std::mem::replace(&mut self.current, Md5::new());
                self.parts.push(done.finalize().into());
                self.in_part = 0;
            }
        }
    }

    /// The ETag (lower-case hex, no quotes). A stream no longer than one part is a single PUT.
    pub fn finish(mut self) -> String {
        if self.in_part > 0 || self.parts.is_empty() {
            self.parts.push(self.current.finalize().into());
        }
        if self.total <= self.part_size as u64 {
            return hex::encode(self.parts[0]);
        }
        let mut outer = Md5::new();
        for p in &self.parts {
            outer.update(p);
        }
        format!("{}-{}", hex::encode(outer.finalize()), self.parts.len())
    }
}

/// The ETag of a local file, read in one pass.
pub fn file_etag(path: &std::path::Path, part_size: usize) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = EtagHasher::new(part_size);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let size = hasher.total;
    Ok((size, hasher.finish()))
}

/// An ETag as servers send it (quoted, sometimes weak) reduced to the bare lower-case value.
pub fn normalize_etag(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_part_is_plain_md5_and_multipart_has_a_count() {
        let mut h = EtagHasher::new(4);
        h.update(b"abc");
        assert_eq!(h.finish(), hex::encode(Md5::digest(b"abc")));
        let mut h = EtagHasher::new(4);
        h.update(b"abcd");
        h.update(b"efghi");
        let mut outer = Md5::new();
        for part in [&b"abcd"[..], b"efgh", b"i"] {
            outer.update(Md5::digest(part));
        }
        assert_eq!(h.finish(), format!("{}-3", hex::encode(outer.finalize())));
        assert_eq!(normalize_etag("W/\"ABC-2\""), "abc-2");
    }

    #[test]
    fn the_azure_digest_name_is_a_csharp_identifier() {
        assert!(is_azure_metadata_name(digest_attribute(StoreKind::Azure)));
        assert!(!is_azure_metadata_name(DIGEST_ATTRIBUTE));
        assert!(!is_azure_metadata_name("1abc") && is_azure_metadata_name("_a1"));
        // S3 and GCS: a lower-case HTTP header token without `_`.
        let name = digest_attribute(StoreKind::Gcs);
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
    }
}
