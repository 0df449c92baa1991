//! Registry credentials: `MILVUS_INGEST_REGISTRY_USERNAME`/`_PASSWORD`, else the Docker config
//! (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`): the credential helper of
//! `credHelpers[host]`, else of `credsStore` (see `cred_helper`), else the `auths` entry with
//! `auth` or `username`/`password`. Credentials live only in memory: they are never written to
//! the lockfile, and their `Debug` form hides the password.

use std::path::PathBuf;

use base64::Engine as _;

use super::cred_helper;

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

/// What the credential lookup for one host found.
#[derive(Debug, Default)]
pub struct Lookup {
    /// `None`: anonymous access.
    pub credentials: Option<Credentials>,
    /// Why a credential helper named in the Docker config gave nothing (not on PATH, failed),
    /// with where it is named; reported if the registry then refuses anonymous access.
    pub problem: Option<String>,
}

/// Where the Docker config says a host's credentials are, in docker's and oras' order:
/// `credHelpers[host]`, then `credsStore`, then the `auths` entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    /// Ask helper `name`; `origin` says which key named it (for messages).
    Helper {
        name: String,
        origin: String,
    },
    Inline(Credentials),
    Anonymous,
}

/// Credentials for `host` (`HOST[:PORT]`): the environment variables, else the Docker config.
pub fn credentials_for(host: &str) -> Lookup {
    if let (Ok(username), Ok(password)) = (
        std::env::var("MILVUS_INGEST_REGISTRY_USERNAME"),
        std::env::var("MILVUS_INGEST_REGISTRY_PASSWORD"),
    ) {
        crate::redact::register(&password);
        return Lookup {
            credentials: Some(Credentials { username, password }),
            problem: None,
        };
    }
    let Some(path) = docker_config_path() else {
        return Lookup::default();
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Lookup::default();
    };
    match source_in_config(&text, host) {
        Source::Anonymous => Lookup::default(),
        Source::Inline(credentials) => {
            // Masked in anything printed, should a registry echo it back.
            crate::redact::register(&credentials.password);
            Lookup {
                credentials: Some(credentials),
                problem: None,
            }
        }
        Source::Helper { name, origin } => match cred_helper::get(&name, host) {
            Ok(credentials) => Lookup {
                credentials,
                problem: None,
            },
            Err(e) => Lookup {
                credentials: None,
                problem: Some(format!("{e}, named by {origin} in {}", path.display())),
            },
        },
    }
}

/// Where the text of a Docker config file says `host`'s credentials are.
pub fn source_in_config(text: &str, host: &str) -> Source {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Source::Anonymous;
    };
    let named = |v: &serde_json::Value| {
        v.as_str()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
    };
    if let Some((key, name)) = doc
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| key_host(k).eq_ignore_ascii_case(host))
        })
        .and_then(|(k, v)| Some((k, named(v)?)))
    {
        return Source::Helper {
            name,
            origin: format!("credHelpers[{key:?}]"),
        };
    }
    if let Some(name) = doc.get("credsStore").and_then(named) {
        return Source::Helper {
            name,
            origin: "credsStore".into(),
        };
    }
    from_auths(&doc, host).map_or(Source::Anonymous, Source::Inline)
}

/// The `auths` entry of `host`: `auth` (base64 `user:password`) or `username`/`password`.
fn from_auths(doc: &serde_json::Value, host: &str) -> Option<Credentials> {
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
        let Source::Inline(c) = source_in_config(text, "reg.example:5000") else {
            panic!("not inline")
        };
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p@ss"));
        assert!(
            matches!(source_in_config(text, "other.io"), Source::Inline(c) if c.username == "a")
        );
        assert_eq!(source_in_config(text, "nope.io"), Source::Anonymous);
        assert!(!format!("{c:?}").contains("p@ss"));
    }

    #[test]
    fn helpers_come_first_in_dockers_order() {
        let text = r#"{"auths": {"a.io": {"auth": "dTpwQHNz"}, "b.io": {"auth": "dTpwQHNz"}},
                       "credHelpers": {"a.io": "one"}, "credsStore": "store"}"#;
        let helper = |name: &str, origin: &str| Source::Helper {
            name: name.into(),
            origin: origin.into(),
        };
        assert_eq!(
            source_in_config(text, "a.io"),
            helper("one", "credHelpers[\"a.io\"]")
        );
        // credsStore wins over an auths entry, as in docker: the entry holds no secret then.
        assert_eq!(
            source_in_config(text, "b.io"),
            helper("store", "credsStore")
        );
        let text = r#"{"credHelpers": {"a.io": "one"}}"#;
        assert_eq!(source_in_config(text, "c.io"), Source::Anonymous);
    }
}
