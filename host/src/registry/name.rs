//! Package names (`namespace:name`) and plugin specs (`namespace:name@REQ`), as in the Wasm
//! component ecosystem's package ids.

use std::fmt;
use std::str::FromStr;

use semver::{Version, VersionReq};

use super::error::RegistryError;

/// A package id such as `acme:dice`: kebab-case namespace and name, separated by `:`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName {
    pub namespace: String,
    pub name: String,
}

/// A package plus an optional version requirement (`acme:dice`, `acme:dice@^1`, `acme:dice@1.2.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSpec {
    pub name: PackageName,
    pub req: Option<VersionReq>,
}

/// Checks one kebab-case label: lowercase ASCII letters, digits and single `-` between words,
/// starting with a letter (the WIT rule, which also keeps OCI repository paths valid).
fn check_label(label: &str) -> bool {
    !label.is_empty()
        && label.starts_with(|c: char| c.is_ascii_lowercase())
        && !label.ends_with('-')
        && !label.contains("--")
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl FromStr for PackageName {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |rule: &str| RegistryError::BadInput {
            what: "package name",
            input: s.to_string(),
            rule: rule.to_string(),
        };
        let (ns, name) = s
            .split_once(':')
            .ok_or_else(|| bad("expected NAMESPACE:NAME, e.g. acme:dice"))?;
        if !check_label(ns) || !check_label(name) {
            return Err(bad(
                "namespace and name must be kebab-case: lowercase letters, digits and single '-', starting with a letter",
            ));
        }
        Ok(PackageName {
            namespace: ns.to_string(),
            name: name.to_string(),
        })
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)
    }
}

impl serde::Serialize for PackageName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PackageName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a version requirement (`^1`, `1.2`, `=1.2.3`, `>=0.3, <0.5`); a bare `1.2.3` means
/// `^1.2.3`, as in Cargo.
pub fn parse_req(s: &str) -> Result<VersionReq, RegistryError> {
    VersionReq::parse(s.trim()).map_err(|e| RegistryError::BadInput {
        what: "version requirement",
        input: s.to_string(),
        rule: format!("{e} (examples: ^1, 1.2, =1.2.3, >=0.3, <0.5)"),
    })
}

/// Parses an exact version (`1.2.3`).
pub fn parse_version(s: &str) -> Result<Version, RegistryError> {
    Version::parse(s.trim()).map_err(|e| RegistryError::BadInput {
        what: "version",
        input: s.to_string(),
        rule: format!("{e} (expected semver MAJOR.MINOR.PATCH, e.g. 1.0.0)"),
    })
}

impl FromStr for PluginSpec {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, req) = match s.split_once('@') {
            Some((n, r)) => (n, Some(parse_req(r)?)),
            None => (s, None),
        };
        Ok(PluginSpec {
            name: name.parse()?,
            req,
        })
    }
}

impl PluginSpec {
    /// Whether a `--plugin` value names a registry package rather than a file: it parses as
    /// `ns:name[@REQ]` and no file of that name exists.
    pub fn looks_like_spec(value: &str) -> bool {
        !std::path::Path::new(value).exists() && value.parse::<PluginSpec>().is_ok()
    }
}

/// The highest version in `versions` matching `req` (pre-releases only when `req` names one).
pub fn best_match<'a>(versions: &'a [Version], req: &VersionReq) -> Option<&'a Version> {
    versions.iter().filter(|v| req.matches(v)).max()
}

/// Sorted, de-duplicated semver versions among `tags` (other tags such as `latest` are ignored).
pub fn semver_tags<I: IntoIterator<Item = S>, S: AsRef<str>>(tags: I) -> Vec<Version> {
    let mut out: Vec<Version> = tags
        .into_iter()
        .filter_map(|t| Version::parse(t.as_ref()).ok())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_specs_parse() {
        let s: PluginSpec = "acme:dice@^1".parse().unwrap();
        assert_eq!(s.name.to_string(), "acme:dice");
        assert!(s.req.unwrap().matches(&Version::new(1, 4, 0)));
        assert!("acme:dice".parse::<PluginSpec>().unwrap().req.is_none());
        for bad in [
            "dice",
            "Acme:dice",
            "acme:",
            ":dice",
            "acme:di--ce",
            "acme:dice@nope",
        ] {
            assert!(bad.parse::<PluginSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn best_match_takes_highest_and_ignores_other_tags() {
        let v = semver_tags(["0.3.0", "latest", "1.0.0", "1.2.0", "2.0.0", "1.2.0"]);
        assert_eq!(v.len(), 4);
        assert_eq!(
            best_match(&v, &parse_req("^1").unwrap()),
            Some(&Version::new(1, 2, 0))
        );
        assert_eq!(best_match(&v, &parse_req("^3").unwrap()), None);
    }
}
