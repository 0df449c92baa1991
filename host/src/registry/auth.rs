//! Registry credentials: `MILVUS_INGEST_REGISTRY_USERNAME`/`_PASSWORD`, else the Docker config
//! (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, `auths` entries with `auth` or
//! `username`/`password`). Credentials live only in memory: they are never written to the
//! lockfile, and their `Debug` form hides the password.

use std::path::PathBuf;

use base64::Engine as _;

/// A user name and password (or token) for one registry host.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <hidden>)", self.username)
    }
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    dirs::home_dir().map(|h| h.join(".docker").join("config.json"))
}

/// The host part of an `auths` key (`https://HOST/v1/`, `HOST`, `HOST:PORT`).
fn key_host(key: &str) -> &str {
    let rest = key.split_once("://").map_or(key, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// Credentials for `host` (`HOST[:PORT]`), or `None` for anonymous access.
pub fn credentials_for(host: &str) -> Option<Credentials> {
    if let (Ok(username), Ok(password)) = (
        std::env::var("MILVUS_INGEST_REGISTRY_USERNAME"),
        std::env::var("MILVUS_INGEST_REGISTRY_PASSWORD"),
    ) {
        crate::redact::register(&password);
        return Some(Credentials { username, password });
    }
    let text = std::fs::read_to_string(docker_config_path()?).ok()?;
    let credentials = from_docker_config(&text, host)?;
    // Masked in anything printed, should a registry echo it back.
    crate::redact::register(&credentials.password);
    Some(credentials)
}

/// Looks `host` up in the text of a Docker config file.
pub fn from_docker_config(text: &str, host: &str) -> Option<Credentials> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let auths = doc.get("auths")?.as_object()?;
    let entry = auths
        .iter()
        .find(|(k, _)| key_host(k).eq_ignore_ascii_case(host))?
        .1;
    if let Some(encoded) = entry.get("auth").and_then(|a| a.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (u, p) = decoded.split_once(':')?;
        return Some(Credentials {
            username: u.to_string(),
            password: p.to_string(),
        });
    }
    Some(Credentials {
        username: entry.get("username")?.as_str()?.to_string(),
        password: entry.get("password")?.as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_entries_are_found() {
        let text = r#"{"auths": {"https://reg.example:5000/v1/": {"auth": "dTpwQHNz"},
                       "other.io": {"username": "a", "password": "b"}}}"#;
        let c = from_docker_config(text, "reg.example:5000").unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p@ss"));
        assert_eq!(from_docker_config(text, "other.io").unwrap().username, "a");
        assert!(from_docker_config(text, "nope.io").is_none());
        assert!(!format!("{c:?}").contains("p@ss"));
    }
}
