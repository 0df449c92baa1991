//! Why an embeddings request failed. Messages name the endpoint URL (never the API key) and
//! what the server said.

#[derive(Debug, Clone, thiserror::Error)]
pub enum EmbedError {
    /// Not an http(s) URL (exit 2).
    #[error("--embeddings-url `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// Connection refused, reset, DNS or timeout, after every retry.
    #[error("cannot reach the embeddings endpoint {url} after {attempts} attempts: {reason}")]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    /// 401 or 403: the key is missing or refused (never shown).
    #[error(
        "the embeddings endpoint {url} refused the request (HTTP {status}): {message}; check the API key in ${key_env}"
    )]
    Auth {
        url: String,
        status: u16,
        message: String,
        key_env: String,
    },
    /// 429/5xx still failing after every retry.
    #[error(
        "the embeddings endpoint {url} kept failing (HTTP {status}) after {attempts} attempts: {message}"
    )]
    Busy {
        url: String,
        status: u16,
        attempts: u32,
        message: String,
    },
    /// Another 4xx: this request's texts were refused (the batch is then split in halves, so a
    /// single text ends up reported alone).
    #[error("the embeddings endpoint {url} refused the input (HTTP {status}): {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
    /// A 2xx answer that is not a usable embeddings list.
    #[error("the embeddings endpoint {url} answered badly: {reason}")]
    BadAnswer { url: String, reason: String },
    /// A 2xx embeddings list that does not match its request (fewer or more embeddings than
    /// texts, an index out of range or repeated): the texts of that request failed.
    #[error("the embeddings endpoint {url} answered a request of {texts} texts with {reason}")]
    Mismatched {
        url: String,
        texts: usize,
        reason: String,
    },
}

impl EmbedError {
    /// Whether splitting the batch can help: the input was refused, or one answer was unusable.
    pub fn is_per_input(&self) -> bool {
        matches!(self, EmbedError::Refused { .. })
    }

    /// Whether the texts of this request failed together (and others may still succeed).
    pub fn is_per_request(&self) -> bool {
        matches!(self, EmbedError::Mismatched { .. })
    }

    /// Input the user can fix before any request (the URL): exit 2.
    pub fn is_usage(&self) -> bool {
        matches!(self, EmbedError::BadUrl { .. })
    }
}
