//! One request's retries: transient failures (unavailable, deadline exceeded, rate limits) are
//! tried again with exponential backoff, but every attempt of a request shares one deadline,
//! `rpc_timeout` after the first attempt started. So a server that stops answering (frozen,
//! partitioned away) ends a request within `rpc_timeout` plus one backoff step, however many
//! attempts are allowed, and the caller reports it as [`MilvusError::NoAnswer`].

use std::time::{Duration, Instant};

use super::client::Client;
use super::error::{MilvusError, Result};

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The shortest deadline an attempt is sent with; less is not worth a round trip.
const MIN_ATTEMPT: Duration = Duration::from_millis(200);

/// The retry state of one request (`rpc` names it in errors).
pub struct Retry {
    rpc: &'static str,
    attempts: u32,
    retries: u32,
    backoff: Duration,
    budget: Duration,
    deadline: Instant,
}

impl Retry {
    /// At most `attempts` tries (at least one), all within `client.rpc_timeout` from now.
    pub fn new(client: &Client, rpc: &'static str, attempts: u32) -> Retry {
        Retry {
            rpc,
            attempts: attempts.max(1),
            retries: 0,
            backoff: FIRST_BACKOFF,
            budget: client.rpc_timeout,
            deadline: Instant::now() + client.rpc_timeout,
        }
    }

    /// `message` as a request whose deadline is what is left of the budget.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        let left = self.deadline.saturating_duration_since(Instant::now());
        request.set_timeout(left.max(MIN_ATTEMPT));
        request
    }

    /// Retries so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// After a failed attempt: waits and returns `Ok(())` when another attempt is allowed,
    /// else returns the error to report. A transient failure whose budget ran out becomes
    /// [`MilvusError::NoAnswer`] when it was the server not answering.
    pub async fn failed(&mut self, client: &Client, mut error: MilvusError) -> Result<()> {
        if let MilvusError::NoAnswer { attempts, .. } = &mut error {
            // The attempt used what was left of the request's deadline.
            *attempts = self.retries + 1;
            return Err(error);
        }
        if !error.is_transient() {
            return Err(error);
        }
        let fits = Instant::now() + self.backoff + MIN_ATTEMPT < self.deadline;
        if self.retries + 1 < self.attempts && fits {
            self.retries += 1;
            tokio::time::sleep(self.backoff).await;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            return Ok(());
        }
        Err(match error {
            MilvusError::Rpc { reason, .. } if is_silence(&reason) => MilvusError::NoAnswer {
                uri: client.uri.clone(),
                rpc: self.rpc,
                seconds: self.budget.as_secs(),
                attempts: self.retries + 1,
                last: reason,
            },
            other => other,
        })
    }
}

/// Whether a transport failure means the server did not answer (as opposed to answering
/// "rate limited" or "not ready").
fn is_silence(reason: &str) -> bool {
    ["Unavailable", "transport error", "connection"]
        .iter()
        .any(|s| reason.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_told_from_refusals() {
        assert!(is_silence(
            "Unavailable: error trying to connect: transport error"
        ));
        assert!(!is_silence("rate limit exceeded[rate=0.1]"));
    }
}
