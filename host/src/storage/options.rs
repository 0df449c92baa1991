//! Storage settings as the user gave them (flags, then `AWS_*` variables, then the shared
//! credentials file's profile), and the [`Secret`] wrapper that keeps keys out of every
//! `Debug`/`Display`.

use std::fmt;
use std::time::Duration;

/// A credential: printed as `***` by both `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for handing to the signer and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to reach an object store. Unset fields fall back to the provider's usual environment
/// (`AWS_*`, `GOOGLE_*`, `AZURE_*`) inside [`super::Store::open`].
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// S3-compatible endpoint, e.g. `http://127.0.0.1:3900` (path-style requests).
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    /// Treated as a credential too: never printed.
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
    /// Profile of `~/.aws/credentials` used when no key is given.
    pub profile: Option<String>,
    /// Plain HTTP to a non-loopback endpoint (loopback is always allowed).
    pub allow_http: bool,
    /// Attempts per request after the first, with exponential backoff.
    pub max_retries: usize,
    pub retry_timeout: Duration,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            endpoint_url: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            profile: None,
            allow_http: false,
            max_retries: 8,
            retry_timeout: Duration::from_secs(180),
        }
    }
}

impl StorageOptions {
    /// Every credential value, for redacting messages from the store.
    pub fn secrets(&self) -> Vec<String> {
        [
            &self.access_key_id,
            &self.secret_access_key,
            &self.session_token,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.expose().to_string())
        .collect()
    }

    /// Fills missing keys from `[profile]` of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`
    /// or `~/.aws/credentials`), and the region from `~/.aws/config`. Only when a profile is named
    /// (flag or `AWS_PROFILE`) and no key was given explicitly.
    pub fn apply_profile(&mut self) {
        let Some(profile) = self.profile.clone() else {
            return;
        };
        if self.access_key_id.is_some() {
            return;
        }
        let home = dirs::home_dir().unwrap_or_default();
        let creds = std::env::var("AWS_SHARED_CREDENTIALS_FILE")
            .map(Into::into)
            .unwrap_or_else(|_| home.join(".aws/credentials"));
        let section = read_ini_section(&creds, &profile);
        let get = |k: &str| {
            section
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        self.access_key_id = get("aws_access_key_id").map(Secret);
        self.secret_access_key = get("aws_secret_access_key").map(Secret);
        self.session_token = get("aws_session_token").map(Secret);
        if self.region.is_none() {
            let config = std::env::var("AWS_CONFIG_FILE")
                .map(Into::into)
                .unwrap_or_else(|_| home.join(".aws/config"));
            let name = if profile == "default" {
                profile.clone()
            } else {
                format!("profile {profile}")
            };
            self.region = read_ini_section(&config, &name)
                .into_iter()
                .find(|(k, _)| k == "region")
                .map(|(_, v)| v);
        }
    }
}

/// `key = value` pairs of `[section]` in an INI file; empty when the file or section is absent.
fn read_ini_section(path: &std::path::Path, section: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
        } else if inside && let Some((k, v)) = line.split_once('=') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let options = StorageOptions {
            access_key_id: Some(Secret::new("GK1234abcd")),
            secret_access_key: Some(Secret::new("verysecret")),
            ..Default::default()
        };
        let text = format!("{options:?}");
        assert!(
            !text.contains("GK1234abcd") && !text.contains("verysecret"),
            "{text}"
        );
        assert_eq!(options.secrets().len(), 2);
    }

    #[test]
    fn ini_sections_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            "[default]\naws_access_key_id = A\n[dev]\naws_access_key_id=B\naws_secret_access_key = C\n",
        )
        .unwrap();
        let dev = read_ini_section(&path, "dev");
        assert_eq!(
            dev,
            vec![
                ("aws_access_key_id".to_string(), "B".to_string()),
                ("aws_secret_access_key".to_string(), "C".to_string())
            ]
        );
    }
}
