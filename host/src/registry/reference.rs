//! Registry references: `oci://HOST[:PORT]/PREFIX` for an OCI registry, or a directory (a path
//! or a `file://` URL) for a directory registry.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::error::RegistryError;
use super::name::PackageName;

/// Where packages are published and fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryRef {
    /// An OCI distribution registry. `prefix` is empty or ends with `/`; a package `ns:name`
    /// lives in repository `<prefix><ns>/<name>`.
    Oci {
        host: String,
        prefix: String,
        /// `http://` was written (rather than `oci://`): plain HTTP was asked for explicitly.
        plain_http: bool,
    },
    /// A directory tree `<root>/<ns>/<name>/<version>.wasm` with an `index.json`.
    Dir(PathBuf),
}

impl RegistryRef {
    /// Parses a reference; a relative directory is taken relative to `base`.
    pub fn parse(text: &str, base: &Path) -> Result<RegistryRef, RegistryError> {
        let bad = |rule: &str| RegistryError::BadInput {
            what: "registry reference",
            input: text.to_string(),
            rule: rule.to_string(),
        };
        let trimmed = text.trim();
        for (scheme, plain_http) in [("oci://", false), ("http://", true)] {
            if let Some(rest) = trimmed.strip_prefix(scheme) {
                let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
                if host.is_empty() || host.contains(['@', '?', '#', ' ']) {
                    return Err(bad(
                        "expected oci://HOST[:PORT]/PREFIX, e.g. oci://ghcr.io/acme/plugins",
                    ));
                }
                let path = path.trim_matches('/');
                let valid = path.split('/').all(|seg| {
                    seg.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                });
                if !valid {
                    return Err(bad(
                        "the prefix may hold only lowercase letters, digits, '.', '_', '-' and '/' (OCI repository names)",
                    ));
                }
                return Ok(RegistryRef::Oci {
                    host: host.to_ascii_lowercase(),
                    prefix: if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path}/")
                    },
                    plain_http,
                });
            }
        }
        if trimmed.contains("://") && !trimmed.starts_with("file://") {
            return Err(bad(
                "expected oci://HOST/PREFIX, a directory, or file:///PATH",
            ));
        }
        let path = PathBuf::from(trimmed.strip_prefix("file://").unwrap_or(trimmed));
        if path.as_os_str().is_empty() {
            return Err(bad("empty path"));
        }
        Ok(RegistryRef::Dir(if path.is_absolute() {
            path
        } else {
            base.join(path)
        }))
    }

    /// Whether the OCI host is on this machine (127.0.0.0/8, ::1, localhost).
    pub fn is_loopback(&self) -> bool {
        match self {
            RegistryRef::Oci { host, .. } => host_is_loopback(host),
            RegistryRef::Dir(_) => true,
        }
    }

    /// The OCI repository of a package: `<prefix><ns>/<name>`.
    pub fn repository(&self, name: &PackageName) -> String {
        match self {
            RegistryRef::Oci { prefix, .. } => format!("{prefix}{}/{}", name.namespace, name.name),
            RegistryRef::Dir(_) => format!("{}/{}", name.namespace, name.name),
        }
    }
}

/// `host` without its port, checked for loopback.
pub fn host_is_loopback(host: &str) -> bool {
    let bare = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    bare == "localhost" || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryRef::Oci {
                host,
                prefix,
                plain_http,
            } => {
                let scheme = if *plain_http { "http" } else { "oci" };
                write!(f, "{scheme}://{host}/{prefix}")
            }
            RegistryRef::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let base = Path::new("/proj");
        let r = RegistryRef::parse("oci://127.0.0.1:5000/team/plugins", base).unwrap();
        assert_eq!(r.to_string(), "oci://127.0.0.1:5000/team/plugins/");
        assert!(r.is_loopback());
        let name: PackageName = "acme:dice".parse().unwrap();
        assert_eq!(r.repository(&name), "team/plugins/acme/dice");
        let r = RegistryRef::parse("oci://ghcr.io", base).unwrap();
        assert!(!r.is_loopback());
        assert_eq!(r.repository(&name), "acme/dice");
        assert_eq!(
            RegistryRef::parse("shared/reg", base).unwrap(),
            RegistryRef::Dir("/proj/shared/reg".into())
        );
        assert_eq!(
            RegistryRef::parse("file:///srv/reg", base).unwrap(),
            RegistryRef::Dir("/srv/reg".into())
        );
        assert!(RegistryRef::parse("oci://h/Upper", base).is_err());
        assert!(RegistryRef::parse("s3://b/x", base).is_err());
        assert!(host_is_loopback("[::1]:5000"));
        assert!(host_is_loopback("localhost"));
        assert!(!host_is_loopback("10.0.0.1:5000"));
    }
}
