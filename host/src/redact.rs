//! Keeping secrets out of everything the tool prints or writes.
//!
//! Two layers. First, code never formats a secret: URIs are shown through [`uri`] (which
//! replaces the password of `scheme://user:password@host` with `***`), tokens and keys are
//! kept in fields that are never displayed. Second, as a safety net for text that comes back
//! from servers and libraries (an error that echoes a request, a driver that prints its
//! connection string), every secret the command was given is [`register`]ed once, and
//! [`text`] replaces any occurrence of one with `***`; the CLI passes everything it prints
//! through it (`cli::printer`, `cli::error`).

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this are not searched for in free text (a 2-character password would
/// mask every word containing it); they are still never formatted by our own code.
const MIN_SEARCHED_LEN: usize = 4;

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers `secret` for the rest of the process, so [`text`] masks it wherever it shows up.
/// Empty and very short values are ignored (see `MIN_SEARCHED_LEN`).
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SEARCHED_LEN {
        return;
    }
    let mut known = registry().lock().unwrap_or_else(|p| p.into_inner());
    if !known.iter().any(|k| k == secret) {
        known.push(secret.to_string());
        // Longest first, so a token is masked whole before its password part is looked for.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// Registers a Milvus token (`user:password` or an API key): the whole token and, for
/// `user:password`, the password alone. The default root password `Milvus`, published in
/// Milvus' documentation, is not masked on its own: it is no secret, and masking the word
/// would garble every message that names the server.
pub fn register_token(token: &str) {
    register(token);
    if let Some((_, password)) = token.split_once(':')
        && password != "Milvus"
    {
        register(password);
    }
}

/// Registers the password of a URI's `user:password@` part, if it has one.
pub fn register_uri(uri: &str) {
    if let Some((start, end)) = password_span(uri, 0) {
        register(&uri[start..end]);
    }
}

/// `text` with every registered secret and every URI password replaced by `***`.
pub fn text(text: &str) -> Cow<'_, str> {
    let known = registry().lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    drop(known);
    match out {
        Cow::Borrowed(t) => uri_passwords(t),
        Cow::Owned(t) => Cow::Owned(uri_passwords(&t).into_owned()),
    }
}

/// A URI for display: `mongodb://user:secret@host/db` becomes `mongodb://user:***@host/db`.
/// Anything else is returned unchanged.
pub fn uri(uri: &str) -> String {
    uri_passwords(uri).into_owned()
}

/// Every `scheme://user:password@` in `text` with the password masked.
fn uri_passwords(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some((start, end)) = password_span(text, from) {
        out.push_str(&text[copied..start]);
        out.push_str(MASK);
        copied = end;
        from = end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Byte range of the password in the first `scheme://user:password@host` at or after `from`.
fn password_span(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut search = from;
    while let Some(i) = text[search..].find("://") {
        let authority_start = search + i + 3;
        // The authority ends at the first '/', '?', '#' or whitespace; a userinfo is what
        // comes before its last '@' (passwords may contain '@' only percent-encoded, but be
        // lenient).
        let rest = &text[authority_start..];
        let authority_len = rest
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
            && colon + 1 < at
            && &authority[colon + 1..at] != MASK
        {
            return Some((authority_start + colon + 1, authority_start + at));
        }
        search = authority_start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_passwords_are_masked_and_the_rest_kept() {
        assert_eq!(
            uri("mongodb://alice:s3cr3t@db:27017/app?authSource=admin"),
            "mongodb://alice:***@db:27017/app?authSource=admin"
        );
        assert_eq!(uri("http://localhost:19530"), "http://localhost:19530");
        assert_eq!(uri("mongodb://alice@db/x"), "mongodb://alice@db/x");
        assert_eq!(
            text("a mongodb://u:p1@h/x then https://v:p2@k:1 end").as_ref(),
            "a mongodb://u:***@h/x then https://v:***@k:1 end"
        );
        // Already masked stays as it is.
        assert_eq!(uri("mongodb://u:***@h"), "mongodb://u:***@h");
    }

    #[test]
    fn registered_secrets_are_masked_anywhere() {
        register_token("sec-unit-user:Sentinel-Pw-7f3a");
        register("ab"); // too short to search for
        let out = text("token sec-unit-user:Sentinel-Pw-7f3a and Sentinel-Pw-7f3a, ab");
        assert_eq!(out, "token *** and ***, ab");
        register_token("root:Milvus");
        assert_eq!(text("Milvus at x"), "Milvus at x");
        assert_eq!(text("root:Milvus"), "***");
    }
}
