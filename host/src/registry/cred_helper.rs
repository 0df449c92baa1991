//! Docker credential helpers: the program `docker-credential-<name>` on PATH, run as
//! `docker-credential-<name> get` with the server (`HOST[:PORT]`) on stdin; it answers
//! `{"ServerURL": ..., "Username": ..., "Secret": ...}` on stdout, or exits non-zero with
//! "credentials not found in native keychain" when it has none for that server (the protocol of
//! docker/docker-credential-helpers, which docker, oras and podman speak).

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    let out = wait_with_deadline(child, HELPER_DEADLINE).map_err(failed)?;
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

/// How long a helper may take to answer. Helpers that fetch a token (cloud ones) answer within
/// seconds; one that hangs (a keychain waiting for a prompt nobody sees) must not hang the
/// command with it.
pub const HELPER_DEADLINE: Duration = Duration::from_secs(30);

/// The helper's output once it exits, or an error when it has not exited within `deadline`
/// (it is killed then). stdout and stderr are read on their own threads, so a helper that
/// writes a lot cannot block on a full pipe.
fn wait_with_deadline(mut child: Child, deadline: Duration) -> Result<Output, String> {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        if let Some(mut pipe) = pipe {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                let _ = tx.send(buf);
            });
        }
        rx
    }
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "it did not answer within {} s, so it was stopped",
                deadline.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // A grandchild may still hold the pipes open: take what came within a moment.
    let collect =
        |rx: mpsc::Receiver<Vec<u8>>| rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    Ok(Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
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
