//! The connection to one Milvus server: URI parsing, TLS, credentials and database metadata,
//! raised message limits, server-version detection, and turning gRPC/Milvus statuses into
//! typed errors.
//!
//! Everything talks to Milvus through the official SDK's generated gRPC client
//! (`MilvusServiceClient`) rather than `ClientV2`: the high-level client keeps tonic's 4 MiB
//! limits, builds its own column types (a copy we avoid by converting Arrow straight to
//! `FieldData`), and sends expression templates that servers before 2.5 cannot parse.

use std::fmt;
use std::time::Duration;

use ::milvus::proto::common::{ErrorCode, Status as MilvusStatus};
use ::milvus::proto::milvus::milvus_service_client::MilvusServiceClient;
use ::milvus::proto::milvus::{GetVersionRequest, HasCollectionRequest};
use base64::Engine;
use tonic::codegen::InterceptedService;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

use super::error::{MilvusError, Result};
use super::tls::{self, TlsOptions};

/// Far above Milvus' 64 MB request limit, so the server (not tonic) decides what is too big.
const MESSAGE_LIMIT: usize = 256 * 1024 * 1024;
const DEFAULT_PORT: u16 = 19530;
/// HTTP/2 keepalive: a ping every 20 s, the connection dropped 10 s after an unanswered one.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to connect, as the user gave it (flags or `MILVUS_*` variables).
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `http://host:port`, `https://host:port` or `host:port`.
    pub uri: String,
    /// `user:password` or an API key.
    pub token: Option<String>,
    pub db_name: Option<String>,
    /// Applied to each RPC; load and flush waits have their own limits.
    pub rpc_timeout: Duration,
    /// Certificate checks of `https://` URIs (default: the system roots).
    pub tls: TlsOptions,
}

impl ConnectOptions {
    pub fn new(uri: impl Into<String>) -> ConnectOptions {
        ConnectOptions {
            uri: uri.into(),
            token: None,
            db_name: None,
            rpc_timeout: Duration::from_secs(120),
            tls: TlsOptions::default(),
        }
    }
}

/// The user a token names, for messages: `alice` of `alice:password`, `(API key)` for a
/// token without `:`, `None` without a token. Never any part of the secret.
pub fn token_user(token: Option<&str>) -> Option<String> {
    let token = token.filter(|t| !t.is_empty())?;
    Some(match token.split_once(':') {
        Some((user, _)) => user.to_string(),
        None => "(API key)".to_string(),
    })
}

/// Normalises a user URI to `scheme://host:port`; returns it and whether TLS is on.
pub fn normalize_uri(uri: &str) -> Result<(String, bool)> {
    let bad = |reason: &str| MilvusError::BadUri {
        uri: crate::redact::uri(uri),
        reason: reason.to_string(),
    };
    let trimmed = uri.trim().trim_end_matches('/');
    let (tls, rest) = if let Some(rest) = trimmed.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = trimmed.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = trimmed.strip_prefix("tcp://") {
        (false, rest)
    } else if trimmed.contains("://") {
        return Err(bad("expected http://, https:// or host:port"));
    } else {
        (false, trimmed)
    };
    if rest.is_empty() || rest.contains('/') {
        return Err(bad("expected host:port with no path"));
    }
    if rest.contains('@') {
        return Err(bad(
            "credentials do not go in the URI: use --token, --token-file or MILVUS_TOKEN",
        ));
    }
    // IPv6 literals are written `[::1]:19530`; only a colon after `]` starts a port.
    let host_end = rest.rfind(']').map_or(0, |i| i + 1);
    let with_port = match rest[host_end..].rfind(':').map(|i| host_end + i) {
        Some(0) => return Err(bad("empty host")),
        Some(i) => {
            let port = &rest[i + 1..];
            port.parse::<u16>()
                .map_err(|_| bad(&format!("port `{port}` is not a number 0-65535")))?;
            rest.to_string()
        }
        None => format!("{rest}:{DEFAULT_PORT}"),
    };
    let scheme = if tls { "https" } else { "http" };
    Ok((format!("{scheme}://{with_port}"), tls))
}

/// Adds `authorization` and `dbname` metadata to every request.
#[derive(Clone)]
pub struct Metadata {
    authorization: Option<MetadataValue<Ascii>>,
    dbname: Option<MetadataValue<Ascii>>,
}

impl Interceptor for Metadata {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> std::result::Result<tonic::Request<()>, tonic::Status> {
        if let Some(auth) = &self.authorization {
            request.metadata_mut().insert("authorization", auth.clone());
        }
        if let Some(db) = &self.dbname {
            request.metadata_mut().insert("dbname", db.clone());
        }
        Ok(request)
    }
}

pub type Raw = MilvusServiceClient<InterceptedService<Channel, Metadata>>;

/// The server's version, when it says (Milvus Lite 2.5 does not implement `GetVersion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub text: Option<String>,
    /// (major, minor, patch) parsed from `text`.
    pub number: Option<(u32, u32, u32)>,
}

impl ServerVersion {
    fn parse(text: &str) -> ServerVersion {
        let digits = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = digits
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().ok());
        let number = match (parts.next(), parts.next(), parts.next()) {
            (Some(Some(a)), Some(Some(b)), Some(Some(c))) => Some((a, b, c)),
            (Some(Some(a)), Some(Some(b)), _) => Some((a, b, 0)),
            _ => None,
        };
        ServerVersion {
            text: Some(text.to_string()),
            number,
        }
    }

    /// At least `major.minor`; an unknown version is assumed recent (servers without
    /// `GetVersion` are Lite builds of 2.4+), and the server itself still has the last word.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.number.is_none_or(|(a, b, _)| (a, b) >= (major, minor))
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(t) => f.write_str(t),
            None => f.write_str("(version unknown: GetVersion not implemented)"),
        }
    }
}

/// A connected client. Cheap to clone; clones share the HTTP/2 connection.
#[derive(Clone)]
pub struct Client {
    raw: Raw,
    pub uri: String,
    pub db_name: String,
    pub version: ServerVersion,
    pub rpc_timeout: Duration,
    /// Kept for the REST calls (ImportV2); never printed.
    token: Option<String>,
    /// The token's user, for messages (see [`token_user`]).
    user: Option<String>,
    /// Kept for the REST calls, which must trust what the gRPC channel trusts.
    tls: TlsOptions,
    /// The REST client, built on first use (loading the system roots is not free).
    http: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl Client {
    /// Connects, checks the credentials with a real call, and reads the server version.
    pub async fn connect(options: &ConnectOptions) -> Result<Client> {
        // The scheme of the normalised URI says whether TLS is on; tls::connect reads it.
        let (uri, _) = normalize_uri(&options.uri)?;
        let bad_meta = |what: &str| {
            MilvusError::Usage(format!("{what} is not valid gRPC metadata (ASCII only)"))
        };
        let authorization = match options.token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Some(
                base64::engine::general_purpose::STANDARD
                    .encode(token)
                    .parse()
                    .map_err(|_| bad_meta("token"))?,
            ),
            None => None,
        };
        let db_name = options
            .db_name
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let dbname = if db_name == "default" {
            None
        } else {
            Some(db_name.parse().map_err(|_| bad_meta("database name"))?)
        };
        let endpoint = Endpoint::from_shared(uri.clone())
            .map_err(|e| MilvusError::BadUri {
                uri: crate::redact::uri(&options.uri),
                reason: e.to_string(),
            })?
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            // A server that stops answering (frozen, partitioned away) is noticed by the
            // HTTP/2 keepalive within interval + timeout, and the connection is dropped. 20 s
            // stays above the 5 s minimum ping interval Milvus' proxy enforces.
            .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true)
            .tcp_keepalive(Some(KEEPALIVE_INTERVAL))
            // The backstop deadline of every call (each wrapper also sets its own).
            .timeout(options.rpc_timeout);
        let channel = tls::connect(endpoint, &uri, &options.tls).await?;
        let raw = MilvusServiceClient::with_interceptor(
            channel,
            Metadata {
                authorization,
                dbname,
            },
        )
        .max_decoding_message_size(MESSAGE_LIMIT)
        .max_encoding_message_size(MESSAGE_LIMIT);
        let mut client = Client {
            raw,
            uri,
            db_name,
            version: ServerVersion {
                text: None,
                number: None,
            },
            rpc_timeout: options.rpc_timeout,
            token: options.token.clone().filter(|t| !t.is_empty()),
            user: token_user(options.token.as_deref()),
            tls: options.tls.clone(),
            http: Default::default(),
        };
        client.version = match client.detect_version().await {
            // A TLS-only server drops a plain HTTP/2 connection without a word.
            Err(MilvusError::Rpc { reason, .. })
                if client.uri.starts_with("http://")
                    && (reason.contains("transport error") || reason.starts_with("Cancelled")) =>
            {
                return Err(MilvusError::Connect {
                    uri: client.uri.clone(),
                    reason: format!(
                        "{reason} (a server that only speaks TLS answers http:// like this: try https://)"
                    ),
                });
            }
            other => other?,
        };
        // GetVersion needs no privilege on some servers: prove the credentials with a call
        // that does.
        client
            .has_collection("milvus_ingest_connection_check")
            .await?;
        Ok(client)
    }

    async fn detect_version(&self) -> Result<ServerVersion> {
        let mut raw = self.raw();
        match raw.get_version(self.request(GetVersionRequest {})).await {
            Ok(resp) => {
                let resp = resp.into_inner();
                self.check("GetVersion", resp.status.as_ref())?;
                Ok(ServerVersion::parse(&resp.version))
            }
            Err(status) if status.code() == tonic::Code::Unimplemented => Ok(ServerVersion {
                text: None,
                number: None,
            }),
            Err(status) => Err(self.grpc_error("GetVersion", status)),
        }
    }

    pub async fn has_collection(&self, name: &str) -> Result<bool> {
        let resp = self
            .raw()
            .has_collection(self.request(HasCollectionRequest {
                db_name: self.db_name.clone(),
                collection_name: name.to_string(),
                ..Default::default()
            }))
            .await
            .map_err(|s| self.grpc_error("HasCollection", s))?
            .into_inner();
        self.check("HasCollection", resp.status.as_ref())?;
        Ok(resp.value)
    }

    /// The token, for REST calls that need it as a bearer token.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The refused-credentials error for this connection.
    pub fn auth_error(&self, reason: impl Into<String>) -> MilvusError {
        MilvusError::Auth {
            uri: self.uri.clone(),
            user: self.user.clone(),
            reason: reason.into(),
        }
    }

    /// An HTTP client for the server's REST API that trusts what the gRPC channel trusts.
    pub fn http_client(&self) -> Result<reqwest::Client> {
        if let Some(client) = self.http.get() {
            return Ok(client.clone());
        }
        let client = tls::http_client(&self.tls)?;
        Ok(self.http.get_or_init(|| client).clone())
    }

    /// The generated client, for calls not wrapped here.
    pub fn raw(&self) -> Raw {
        self.raw.clone()
    }

    /// Wraps a message with the per-RPC deadline.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.rpc_timeout);
        request
    }

    /// Turns a Milvus status into an error when it is not success.
    pub fn check(&self, rpc: &'static str, status: Option<&MilvusStatus>) -> Result<()> {
        let Some(status) = status else { return Ok(()) };
        #[allow(deprecated)]
        let code = status.error_code;
        if code == ErrorCode::Success as i32 && status.code == 0 {
            return Ok(());
        }
        let reason = if status.reason.is_empty() {
            format!("error code {code}/{}", status.code)
        } else {
            status.reason.clone()
        };
        let lower = reason.to_ascii_lowercase();
        if lower.contains("permission deny") || lower.contains("permission denied") {
            return Err(MilvusError::Permission {
                uri: self.uri.clone(),
                user: self.user.clone(),
                reason,
            });
        }
        if lower.contains("auth")
            && (lower.contains("fail") || lower.contains("invalid") || lower.contains("denied"))
        {
            return Err(self.auth_error(reason));
        }
        let transient = status.retriable
            || code == ErrorCode::RateLimit as i32
            || code == ErrorCode::ForceDeny as i32
            || lower.contains("rate limit")
            || lower.contains("not ready")
            || lower.contains("timeout")
            || lower.contains("too many")
            || lower.contains("quota");
        Err(MilvusError::Rpc {
            rpc,
            reason,
            transient,
        })
    }

    /// Turns a transport-level failure into an error.
    pub fn grpc_error(&self, rpc: &'static str, status: tonic::Status) -> MilvusError {
        use tonic::Code;
        match status.code() {
            Code::Unauthenticated => self.auth_error(status.message()),
            Code::PermissionDenied => MilvusError::Permission {
                uri: self.uri.clone(),
                user: self.user.clone(),
                reason: status.message().to_string(),
            },
            Code::Unimplemented => MilvusError::Unsupported {
                version: self.version.to_string(),
                feature: rpc.to_string(),
                hint: "the server does not implement this RPC".to_string(),
            },
            // The request's deadline passed (tonic reports its own timer as Cancelled
            // "Timeout expired"): the deadline was the whole budget, so this is not retried.
            code if is_deadline(code, status.message()) => MilvusError::NoAnswer {
                uri: self.uri.clone(),
                rpc,
                seconds: self.rpc_timeout.as_secs(),
                attempts: 1,
                last: format!("{code:?}: {}", status.message()),
            },
            code => MilvusError::Rpc {
                rpc,
                reason: format!("{code:?}: {}", status.message()),
                transient: matches!(
                    code,
                    Code::Unavailable
                        | Code::DeadlineExceeded
                        | Code::ResourceExhausted
                        | Code::Aborted
                        | Code::Unknown
                ),
            },
        }
    }
}

/// A deadline that passed, the server's (DeadlineExceeded) or our own timer's.
fn is_deadline(code: tonic::Code, message: &str) -> bool {
    code == tonic::Code::DeadlineExceeded
        || (code == tonic::Code::Cancelled && message.contains("Timeout expired"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_normalise_and_bad_ones_name_the_rule() {
        assert_eq!(
            normalize_uri("localhost:19530").unwrap(),
            ("http://localhost:19530".into(), false)
        );
        assert_eq!(
            normalize_uri("http://127.0.0.1").unwrap(),
            ("http://127.0.0.1:19530".into(), false)
        );
        assert_eq!(
            normalize_uri("https://x.cloud:443/").unwrap(),
            ("https://x.cloud:443".into(), true)
        );
        let err = normalize_uri("ftp://host:1").unwrap_err().to_string();
        assert!(err.contains("ftp://host:1"), "{err}");
        let err = normalize_uri("host:notaport").unwrap_err().to_string();
        assert!(err.contains("notaport"), "{err}");
    }

    #[test]
    fn auth_errors_name_the_user_and_never_the_password() {
        assert_eq!(token_user(Some("alice:pw")).as_deref(), Some("alice"));
        assert_eq!(token_user(Some("sk-123")).as_deref(), Some("(API key)"));
        assert_eq!(token_user(Some("")), None);
        let err = MilvusError::Auth {
            uri: "https://h:1".into(),
            user: token_user(Some("alice:pw")),
            reason: "denied".into(),
        };
        assert_eq!(
            err.to_string(),
            "authentication failed for user `alice` at https://h:1: denied"
        );
        assert!(!err.is_usage());
        let err = normalize_uri("https://bob:Hunter22@h:1")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("Hunter22") && err.contains("--token"),
            "{err}"
        );
    }

    #[test]
    fn versions_parse_and_unknown_counts_as_recent() {
        let v = ServerVersion::parse("v2.3.5-lite");
        assert_eq!(v.number, Some((2, 3, 5)));
        assert!(v.at_least(2, 3) && !v.at_least(2, 4));
        let unknown = ServerVersion {
            text: None,
            number: None,
        };
        assert!(unknown.at_least(2, 5));
    }
}
