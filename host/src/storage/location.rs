//! Where a dataset lives: a local directory or a prefix in an S3, GCS or Azure bucket, parsed
//! from what the user typed (`DIR`, `s3://bucket/prefix`, `gs://...`, `az://container/prefix`).

use std::fmt;
use std::path::PathBuf;

use super::error::{Result, StorageError};

/// A parsed location. The prefix never starts or ends with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
    Gcs { bucket: String, prefix: String },
    Azure { container: String, prefix: String },
}

impl Location {
    /// Parses a URL or a local path. Anything with `://` must be one of the known schemes.
    pub fn parse(text: &str) -> Result<Location> {
        let bad = |reason: &str| StorageError::BadUrl {
            url: text.to_string(),
            reason: reason.to_string(),
        };
        let Some((scheme, rest)) = text.split_once("://") else {
            if text.is_empty() {
                return Err(bad("empty path"));
            }
            return Ok(Location::Local(PathBuf::from(text)));
        };
        let (bucket, prefix) = match rest.split_once('/') {
            Some((b, p)) => (b, p.trim_matches('/')),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(bad("no bucket name after the scheme"));
        }
        if prefix.split('/').any(|seg| seg == "." || seg == "..") || prefix.contains("//") {
            return Err(bad(
                "the prefix may not contain `.`, `..` or empty segments",
            ));
        }
        let bucket = bucket.to_string();
        let prefix = prefix.to_string();
        match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => {
                let valid = (3..=63).contains(&bucket.len())
                    && bucket.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                    });
                if !valid {
                    return Err(bad(
                        "S3 bucket names are 3-63 characters of a-z, 0-9, `-` and `.`",
                    ));
                }
                Ok(Location::S3 { bucket, prefix })
            }
            "gs" | "gcs" => Ok(Location::Gcs { bucket, prefix }),
            "az" | "azure" | "abfs" => {
                // Azure refuses anything else with a bare 400 InvalidResourceName.
                let valid = (3..=63).contains(&bucket.len())
                    && bucket
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !bucket.starts_with('-')
                    && !bucket.ends_with('-')
                    && !bucket.contains("--");
                if !valid {
                    return Err(bad(
                        "Azure container names are 3-63 characters of a-z, 0-9 and single `-` between them",
                    ));
                }
                Ok(Location::Azure {
                    container: bucket,
                    prefix,
                })
            }
            "file" => Ok(Location::Local(PathBuf::from(format!("/{rest}")))),
            other => Err(bad(&format!(
                "unknown scheme `{other}://`; expected s3://, gs://, az:// or a local path"
            ))),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Location::Local(_))
    }

    /// Whether `text` names a remote location (so callers can choose a code path before parsing).
    pub fn is_remote(text: &str) -> bool {
        text.contains("://") && !text.starts_with("file://")
    }

    /// Bucket (or container) and prefix of a remote location.
    pub fn bucket_prefix(&self) -> Option<(&str, &str)> {
        match self {
            Location::Local(_) => None,
            Location::S3 { bucket, prefix } | Location::Gcs { bucket, prefix } => {
                Some((bucket, prefix))
            }
            Location::Azure { container, prefix } => Some((container, prefix)),
        }
    }

    /// The object key (or relative path) of `name` under this location's prefix.
    pub fn key(&self, name: &str) -> String {
        match self.bucket_prefix() {
            Some((_, "")) | None => name.to_string(),
            Some((_, prefix)) => format!("{prefix}/{name}"),
        }
    }

    /// `name` under this location, for messages.
    pub fn display(&self, name: &str) -> String {
        match self {
            Location::Local(dir) => dir.join(name).display().to_string(),
            _ if name.is_empty() => self.to_string(),
            _ => format!("{}/{}", self.to_string().trim_end_matches('/'), name),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(dir) => write!(f, "{}", dir.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Location::Gcs { bucket, prefix } => write!(f, "gs://{bucket}/{prefix}"),
            Location::Azure { container, prefix } => write!(f, "az://{container}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_parse() {
        assert_eq!(
            Location::parse("s3://a-bucket/data/set/").unwrap(),
            Location::S3 {
                bucket: "a-bucket".into(),
                prefix: "data/set".into()
            }
        );
        assert_eq!(
            Location::parse("s3://bkt").unwrap().key("meta.json"),
            "meta.json"
        );
        assert_eq!(
            Location::parse("gs://g/p").unwrap().key("x.parquet"),
            "p/x.parquet"
        );
        assert!(matches!(
            Location::parse("az://cont/p").unwrap(),
            Location::Azure { .. }
        ));
        assert_eq!(
            Location::parse("out/dir").unwrap(),
            Location::Local("out/dir".into())
        );
        assert_eq!(
            Location::parse("s3://bkt/a").unwrap().display("m.json"),
            "s3://bkt/a/m.json"
        );
    }

    #[test]
    fn bad_urls_name_the_rule() {
        for (url, want) in [
            ("ftp://x/y", "unknown scheme"),
            ("s3:///p", "no bucket"),
            ("s3://Upper/p", "3-63 characters"),
            ("s3://ok-bucket/a/../b", "`..`"),
            ("az://My_Container/p", "Azure container names"),
            ("az://a--b/p", "single `-`"),
        ] {
            let err = Location::parse(url).unwrap_err().to_string();
            assert!(err.contains(url) && err.contains(want), "{url}: {err}");
        }
    }
}
