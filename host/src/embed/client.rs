//! The HTTP client: one `POST {url}/embeddings` per call, retried on transient failures.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

use super::error::EmbedError;

/// An API key. `Debug` and `Display` print `***`, so it cannot leak through a log line, an
/// error or a `{:?}` of a struct holding it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// None for an empty key.
    pub fn new(key: String) -> Option<ApiKey> {
        (!key.trim().is_empty()).then(|| ApiKey(key.trim().to_string()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to call the endpoint.
#[derive(Debug, Clone)]
pub struct EmbedConfig {
    /// The API base, e.g. `http://localhost:8000/v1` (`/embeddings` is appended).
    pub url: String,
    /// The `model` of every request.
    pub model: String,
    /// Sent as `dimensions` when set (models that can shorten their vectors).
    pub dimensions: Option<u32>,
    /// Per request, connecting included.
    pub timeout: Duration,
    /// Tries per request for transient failures (at least 1).
    pub attempts: u32,
    /// The first backoff; doubles per retry up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// The environment variable the key came from, for messages.
    pub key_env: String,
}

impl EmbedConfig {
    /// Defaults: 60 s per request, 6 attempts, backoff 0.5 s doubling to 30 s.
    pub fn new(url: &str, model: &str) -> EmbedConfig {
        EmbedConfig {
            url: url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            dimensions: None,
            timeout: Duration::from_secs(60),
            attempts: 6,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            key_env: "OPENAI_API_KEY".into(),
        }
    }
}

/// One answer: a vector per input, in input order.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    /// The model the endpoint says made them ("" when it does not say).
    pub model: String,
    /// Retries this call needed.
    pub retries: u64,
}

/// A client for one endpoint and model; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct EmbedClient {
    http: reqwest::Client,
    config: EmbedConfig,
    endpoint: String,
    key: Option<ApiKey>,
}

impl fmt::Debug for EmbedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbedClient")
            .field("endpoint", &self.endpoint)
            .field("model", &self.config.model)
            .field("key", &self.key)
            .finish()
    }
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
    #[serde(default)]
    model: String,
}

#[derive(Deserialize)]
struct Item {
    index: Option<usize>,
    embedding: Vec<Option<f64>>,
}

/// Why a 2xx answer is unusable.
#[derive(Debug)]
enum BadAnswer {
    /// Not JSON, or not an OpenAI-style embeddings list.
    NotAList(String),
    /// A list that does not match the request (count, indexes).
    Mismatched(String),
}

/// What one attempt came to.
enum Attempt {
    Done(Embedded),
    /// Worth another try, after the server's `Retry-After` when it gave one.
    Again {
        status: Option<u16>,
        reason: String,
        wait: Option<Duration>,
    },
    Fail(EmbedError),
}

impl EmbedClient {
    /// Checks the URL (http or https, a host) and builds the connection pool.
    pub fn new(config: EmbedConfig, key: Option<ApiKey>) -> Result<EmbedClient, EmbedError> {
        let bad = |reason: &str| EmbedError::BadUrl {
            url: config.url.clone(),
            reason: reason.to_string(),
        };
        let parsed = reqwest::Url::parse(&config.url)
            .map_err(|e| bad(&format!("{e}; write it like http://localhost:8000/v1")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad("must be an http:// or https:// URL with a host"));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(EmbedClient {
            http,
            endpoint: format!("{}/embeddings", config.url),
            config,
            key,
        })
    }

    pub fn config(&self) -> &EmbedConfig {
        &self.config
    }

    /// Embeds `texts` (not empty) in one request, retried on transient failures.
    pub async fn embed(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
        let mut body = serde_json::json!({
            "model": self.config.model,
            "input": texts,
            "encoding_format": "float",
        });
        if let Some(d) = self.config.dimensions {
            body["dimensions"] = d.into();
        }
        let attempts = self.config.attempts.max(1);
        let mut backoff = self.config.backoff;
        let mut retries = 0u64;
        loop {
            match self.once(&body, texts.len()).await {
                Attempt::Done(mut e) => {
                    e.retries = retries;
                    return Ok(e);
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Again {
                    status,
                    reason,
                    wait,
                } => {
                    if retries + 1 >= u64::from(attempts) {
                        return Err(match status {
                            Some(status) => EmbedError::Busy {
                                url: self.endpoint.clone(),
                                status,
                                attempts,
                                message: reason,
                            },
                            None => EmbedError::Unreachable {
                                url: self.endpoint.clone(),
                                attempts,
                                reason,
                            },
                        });
                    }
                    retries += 1;
                    // The server's Retry-After wins, but never beyond the backoff ceiling.
                    let pause = wait.unwrap_or(backoff).min(self.config.max_backoff);
                    tokio::time::sleep(pause).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    async fn once(&self, body: &serde_json::Value, n: usize) -> Attempt {
        let mut request = self.http.post(&self.endpoint).json(body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(&key.0);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Again {
                    status: None,
                    reason: describe_transport(&e),
                    wait: None,
                };
            }
        };
        let status = response.status();
        let wait = retry_after(response.headers());
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => {
                return Attempt::Again {
                    status: None,
                    reason: describe_transport(&e),
                    wait: None,
                };
            }
        };
        if status.is_success() {
            return match self.parse(&text, n) {
                Ok(e) => Attempt::Done(e),
                Err(BadAnswer::NotAList(reason)) => Attempt::Fail(EmbedError::BadAnswer {
                    url: self.endpoint.clone(),
                    reason,
                }),
                Err(BadAnswer::Mismatched(reason)) => Attempt::Fail(EmbedError::Mismatched {
                    url: self.endpoint.clone(),
                    texts: n,
                    reason,
                }),
            };
        }
        let message = server_message(&text);
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Attempt::Fail(EmbedError::Auth {
                url: self.endpoint.clone(),
                status: status.as_u16(),
                message,
                key_env: self.config.key_env.clone(),
            }),
            StatusCode::TOO_MANY_REQUESTS
            | StatusCode::REQUEST_TIMEOUT
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Attempt::Again {
                status: Some(status.as_u16()),
                reason: message,
                wait,
            },
            _ => Attempt::Fail(EmbedError::Refused {
                url: self.endpoint.clone(),
                status: status.as_u16(),
                message,
            }),
        }
    }

    /// The vectors of a 2xx answer, in input order. Non-finite or null values stay in as NaN
    /// so the caller reports that input alone.
    fn parse(&self, text: &str, n: usize) -> Result<Embedded, BadAnswer> {
        let answer: Answer = serde_json::from_str(text).map_err(|e| {
            BadAnswer::NotAList(format!(
                "not an embeddings list ({e}): {}",
                text.chars().take(200).collect::<String>()
            ))
        })?;
        let mismatched = |reason: String| BadAnswer::Mismatched(reason);
        if answer.data.len() != n {
            return Err(mismatched(format!(
                "{} embeddings for {n} inputs",
                answer.data.len()
            )));
        }
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; n];
        for (pos, item) in answer.data.into_iter().enumerate() {
            let i = item.index.unwrap_or(pos);
            let slot = vectors.get_mut(i).ok_or_else(|| {
                mismatched(format!("embedding index {i} out of range for {n} inputs"))
            })?;
            if slot.is_some() {
                return Err(mismatched(format!("embedding index {i} given twice")));
            }
            *slot = Some(
                item.embedding
                    .into_iter()
                    .map(|v| v.map_or(f32::NAN, |v| v as f32))
                    .collect(),
            );
        }
        Ok(Embedded {
            vectors: vectors
                .into_iter()
                .map(|v| v.expect("every index filled: n items, no repeats"))
                .collect(),
            model: answer.model,
            retries: 0,
        })
    }
}

/// The `error.message` of an OpenAI-style error body, else the start of the body.
fn server_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

/// A transport failure without the URL's query string (where some services put keys).
fn describe_transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let shown = match e.url() {
        Some(u) => e.to_string().replace(&format!(" for url ({u})"), ""),
        None => e.to_string(),
    };
    let mut text = format!("{kind}: {shown}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let ms = at.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(ms.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn keys_never_print() {
        let k = ApiKey::new("sk-secret-123".into()).unwrap();
        assert_eq!(format!("{k} {k:?}"), "*** ApiKey(***)");
        let c = EmbedClient::new(EmbedConfig::new("http://127.0.0.1:1/v1", "m"), Some(k)).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
        assert!(ApiKey::new("  ".into()).is_none());
    }

    #[test]
    fn urls_are_checked() {
        for bad in ["localhost:8000/v1", "ftp://x/v1", "not a url"] {
            let e = EmbedClient::new(EmbedConfig::new(bad, "m"), None).unwrap_err();
            assert!(e.is_usage(), "{bad}: {e}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_a_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn answers_are_checked_and_put_in_input_order() {
        let c = EmbedClient::new(EmbedConfig::new("http://127.0.0.1:1/v1", "m"), None).unwrap();
        let e = c
            .parse(
                r#"{"data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":[1,null]}],"model":"x"}"#,
                2,
            )
            .unwrap();
        assert_eq!(e.vectors[0][0], 1.0);
        assert!(e.vectors[0][1].is_nan());
        assert_eq!(e.vectors[1], vec![3.0, 4.0]);
        assert_eq!(e.model, "x");
        assert!(c.parse(r#"{"data":[]}"#, 1).is_err());
        assert!(
            c.parse(
                r#"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[1]}]}"#,
                2
            )
            .is_err()
        );
    }
}
