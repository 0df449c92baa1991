//! Docker credential helpers: the program `docker-credential-<name>` on PATH, run as
//! `docker-credential-<name> get` with the server (`HOST[:PORT]`) on stdin; it answers
//! `{"ServerURL": ..., "Username": ..., "Secret": ...}` on stdout, or exits non-zero with
//! "credentials not found in native keychain" when it has none for that server (the protocol of
//! docker/docker-credential-helpers, which docker, oras and podman speak).

use std::io::Write;
use std::process::{Command, Stdio};

use super::auth::Credentials;

/// Why a helper gave no credentials, other than having none for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelperError {
    /// The program is not on PATH (or cannot be executed).
    Missing { program: String, reason: String },
    /// It ran and failed, or printed something that is not the protocol's JSON.
    Failed { program: String, message: String },
}

impl std::fmt::Display for HelperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HelperError::Missing { program, reason } => {
                write!(
                    f,
                    "the credential helper `{program}` cannot be run ({reason})"
                )
            }
            HelperError::Failed { program, message } => {
                write!(f, "the credential helper `{program} get` failed: {message}")
            }
        }
    }
}

/// The program name of helper `name` (`desktop` -> `docker-credential-desktop`).
pub fn program(name: &str) -> String {
    format!("docker-credential-{name}")
}

/// Asks helper `name` for the credentials of `server`; `Ok(None)` when it has none.
pub fn get(name: &str, server: &str) -> Result<Option<Credentials>, HelperError> {
    let program = program(name);
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| HelperError::Missing {
            program: program.clone(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "not found on PATH".into()
            } else {
                e.to_string()
            },
        })?;
    let failed = |message: String| HelperError::Failed {
        program: program.clone(),
        message,
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading closes the pipe: its exit status tells.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        // The helpers' own words for "nothing stored for this server".
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = [stdout.trim(), stderr.trim()]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("no output");
        return Err(failed(format!("{}: {}", out.status, first_line(said))));
    }
    parse(&stdout).map_err(failed)
}

/// The `get` answer; an empty user name and secret mean none.
fn parse(stdout: &str) -> Result<Option<Credentials>, String> {
    let doc: serde_json::Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("its answer is not the helper protocol's JSON ({e})"))?;
    let field = |k: &str| {
        doc.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let (username, password) = (field("Username"), field("Secret"));
    if password.is_empty() && username.is_empty() {
        return Ok(None);
    }
    // Masked in anything printed, should a registry echo it back.
    crate::redact::register(&password);
    Ok(Some(Credentials { username, password }))
}

/// At most 200 characters of the first line (a helper's error, never its answer).
fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_empty_means_none() {
        let c = parse(r#"{"ServerURL":"h:5000","Username":"u","Secret":"s3cret"}"#)
            .unwrap()
            .unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "s3cret"));
        assert!(
            parse(r#"{"ServerURL":"h","Username":"","Secret":""}"#)
                .unwrap()
                .is_none()
        );
        assert!(
            parse("oops")
                .unwrap_err()
                .contains("not the helper protocol")
        );
        let missing = get("surely-not-installed-0xdead", "h:1").unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("docker-credential-surely-not-installed-0xdead")
                && missing.to_string().contains("not found on PATH"),
            "{missing}"
        );
    }
}
