//! Posting to a Slack incoming webhook, with a few short retries.
//!
//! A notification must never hold the workflow up, so the retries are bounded three ways:
//! attempts, the wait between them (Slack's `Retry-After` is honoured but capped) and the
//! total waiting, all far inside the function's timeout. Only what may pass is retried
//! (429, 5xx, network faults); a 4xx such as `invalid_payload` or `no_service` is final.
//! Errors are reported without the URL: it is the credential.

use std::time::Duration;

use aws_smithy_async::rt::sleep::{AsyncSleep, TokioSleep};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::secret::WebhookUrl;
use crate::error::Error;

/// How hard to try. The defaults keep one delivery under about 15 s in the worst case (three
/// attempts of at most 4 s each, 3 s of waiting), and a couple of seconds normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    /// Per request, connection included.
    pub request_timeout: Duration,
    /// The wait after the first failure; doubled after each next one.
    pub first_backoff: Duration,
    /// The longest single wait, `Retry-After` included.
    pub max_wait: Duration,
    /// The most waiting in total; a retry that would exceed it is not made.
    pub total_wait: Duration,
}

impl RetryPolicy {
    /// The wait before the next attempt: Slack's `Retry-After` when it gave one, else the
    /// backoff; never longer than `max_wait`.
    pub fn wait(&self, retry_after: Option<Duration>, backoff: Duration) -> Duration {
        retry_after.unwrap_or(backoff).min(self.max_wait)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            request_timeout: Duration::from_secs(4),
            first_backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(2),
            total_wait: Duration::from_secs(3),
        }
    }
}

/// The Slack part of the step's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlackStatus {
    Sent,
    Failed,
    Disabled,
}

/// What happened to the Slack message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackReport {
    pub status: SlackStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SlackReport {
    pub fn disabled() -> Self {
        Self {
            status: SlackStatus::Disabled,
            attempts: None,
            error: None,
        }
    }

    pub fn failed(error: String, attempts: u32) -> Self {
        tracing::warn!(%error, attempts, "Slack notification not delivered; the workflow goes on");
        Self {
            status: SlackStatus::Failed,
            attempts: Some(attempts),
            error: Some(error),
        }
    }
}

enum Attempt {
    Sent,
    Retry {
        error: String,
        after: Option<Duration>,
    },
    Final(String),
}

/// Sends webhook payloads; built once per container.
pub struct SlackSender {
    http: reqwest::Client,
    policy: RetryPolicy,
}

impl SlackSender {
    /// An HTTP client that never follows redirects (a webhook does not redirect).
    pub fn new(policy: RetryPolicy) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::Configuration(format!("cannot build the HTTP client for Slack: {e}"))
            })?;
        Ok(Self { http, policy })
    }

    /// Posts `payload`, retrying within the policy; the outcome is reported, never raised.
    pub async fn send(&self, url: &WebhookUrl, payload: &Value) -> SlackReport {
        let mut waited = Duration::ZERO;
        let mut backoff = self.policy.first_backoff;
        for attempt in 1..=self.policy.max_attempts {
            let (error, after) = match self.attempt(url, payload).await {
                Attempt::Sent => {
                    tracing::info!(attempts = attempt, "notification sent to Slack");
                    return SlackReport {
                        status: SlackStatus::Sent,
                        attempts: Some(attempt),
                        error: None,
                    };
                }
                Attempt::Final(error) => return SlackReport::failed(error, attempt),
                Attempt::Retry { error, after } => (error, after),
            };
            let wait = self.policy.wait(after, backoff);
            if attempt == self.policy.max_attempts || waited + wait > self.policy.total_wait {
                return SlackReport::failed(
                    format!("{error} (gave up after {attempt} attempts)"),
                    attempt,
                );
            }
            tracing::warn!(%error, attempt, wait_ms = wait.as_millis() as u64, "Slack delivery failed; retrying");
            TokioSleep::new().sleep(wait).await;
            waited += wait;
            backoff *= 2;
        }
        SlackReport::failed("no attempt allowed by the retry policy".to_owned(), 0)
    }

    async fn attempt(&self, url: &WebhookUrl, payload: &Value) -> Attempt {
        let response = match self.http.post(url.url().clone()).json(payload).send().await {
            Ok(response) => response,
            Err(err) => {
                return Attempt::Retry {
                    error: url.redact(&describe(err.without_url())),
                    after: None,
                }
            }
        };
        let status = response.status();
        if status.is_success() {
            return Attempt::Sent;
        }
        let after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.text().await.unwrap_or_default();
        let error = url.redact(&format!(
            "Slack answered {status}: {}",
            super::format::truncate(body.trim(), 200)
        ));
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Attempt::Retry { error, after }
        } else {
            Attempt::Final(error)
        }
    }
}

/// An HTTP error with its causes (`error sending request: ... Connection refused`).
fn describe(err: reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_then_capped_and_backoff_fills_in() {
        let policy = RetryPolicy::default();
        let backoff = Duration::from_millis(500);
        assert_eq!(
            policy.wait(Some(Duration::from_secs(1)), backoff),
            Duration::from_secs(1)
        );
        assert_eq!(
            policy.wait(Some(Duration::from_secs(3600)), backoff),
            policy.max_wait
        );
        assert_eq!(policy.wait(None, backoff), backoff);
        assert_eq!(
            policy.wait(None, Duration::from_secs(8)),
            policy.max_wait,
            "a long backoff is capped too"
        );
    }
}
