//! Approving from Slack: the Approve and Reject buttons of a question (a switchover's, a
//! cleanup's, a fleet's between waves) post to notify's Function URL, and this module answers
//! them.
//!
//! The request is Slack's only if its signature verifies with the app's signing secret
//! ([`signature`]); then the click is read ([`payload`]), its user must be on the allow-list
//! ([`allow_list`]), and an `approve` or `reject` execution of the state machine that asked
//! (per-database or fleet, [`button::Question`]) is started under a name derived from the
//! click ([`answer`]). The execution does the rest (it takes the wait of the button's purpose
//! only, re-reads what it acts on, answers). Every refusal has its HTTP status and a short
//! reason, is logged without secrets, and starts nothing.

/// Whether the state machines wait for an approval that a click can answer: they do
/// (statemachine/bluegreen.asl.json "Wait for approval", the switchover's and the cleanup's;
/// statemachine/fleet.asl.json "Ask the fleet's approval"; the `approve`/`reject` executions
/// a click starts answer them). Only questions carry the buttons
/// ([`super::message::Message::buttons`]).
pub const APPROVALS_WAIT: bool = true;

pub mod allow_list;
pub mod answer;
pub mod button;
pub mod config;
pub mod http;
pub mod payload;
pub mod signature;

use std::time::{Duration, SystemTime};

use aws_config::{Region, SdkConfig};
use serde_json::Value;

use super::config::region_of;
use super::secret::{SecretSource, WebhookUrl};
use super::slack_delivery::{RetryPolicy, SlackSender};
use crate::error::Error;
use allow_list::AllowList;
use answer::{ApprovalExecution, Starter};
use config::InteractionConfig;
use http::{HttpRequest, HttpResponse};
use payload::Click;
use signature::SigningSecret;

pub use http::is_function_url_event;

/// The answer to one HTTP request when Slack approvals are not configured.
const NOT_CONFIGURED: &str =
    "Slack approvals are not configured on this stack (SlackSigningSecretArn is none)";

/// The endpoint, built once per container.
pub struct Interactions {
    signing: SecretSource<SigningSecret>,
    approvers: AllowList,
    starter: Starter,
    replies: SlackSender,
}

impl std::fmt::Debug for Interactions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interactions")
            .field("approvers", &self.approvers.len())
            .field(
                "state_machines",
                &[button::Machine::Database, button::Machine::Fleet]
                    .map(|m| self.starter.state_machine_arn(m)),
            )
            .finish_non_exhaustive()
    }
}

impl Interactions {
    /// Builds the clients; each calls the Region its resource lives in. The signing secret is
    /// read on the first request and kept for the container's life.
    pub fn from_config(config: &InteractionConfig, sdk: &SdkConfig) -> Result<Interactions, Error> {
        let in_region_of = |arn: &str| match region_of(arn) {
            Some(region) => sdk
                .to_builder()
                .region(Region::new(region.to_owned()))
                .build(),
            None => sdk.clone(),
        };
        Interactions::new(
            aws_sdk_secretsmanager::Client::new(&in_region_of(&config.signing_secret_arn)),
            &config.signing_secret_arn,
            config.approvers.clone(),
            Starter::new(
                aws_sdk_sfn::Client::new(&in_region_of(&config.state_machine_arn)),
                &config.state_machine_arn,
                &config.fleet_state_machine_arn,
            ),
        )
    }

    pub fn new(
        secrets: aws_sdk_secretsmanager::Client,
        signing_secret_arn: &str,
        approvers: AllowList,
        starter: Starter,
    ) -> Result<Interactions, Error> {
        // One short attempt: Slack wants its answer within 3 s of the click.
        let replies = SlackSender::new(RetryPolicy {
            max_attempts: 1,
            request_timeout: Duration::from_millis(1500),
            first_backoff: Duration::ZERO,
            max_wait: Duration::ZERO,
            total_wait: Duration::ZERO,
        })?;
        Ok(Interactions {
            signing: SecretSource::with_parser(
                secrets,
                signing_secret_arn,
                "Slack signing",
                SigningSecret::parse,
            ),
            approvers,
            starter,
            replies,
        })
    }

    /// Answers one request at `now`.
    async fn respond(&self, request: &HttpRequest, now: SystemTime) -> HttpResponse {
        if request.method != "POST" {
            return refuse(
                405,
                "only POST requests from Slack are answered".to_owned(),
                None,
            );
        }
        let secret = match self.signing.value().await {
            Ok(secret) => secret,
            Err(error) => {
                tracing::error!(%error, "Slack approval refused: the signing secret cannot be read");
                return HttpResponse::text(
                    500,
                    "the signing secret cannot be read; nothing was changed",
                );
            }
        };
        if let Err(why) = signature::verify(
            &secret,
            request.header("x-slack-request-timestamp"),
            request.header("x-slack-signature"),
            &request.body,
            now,
        ) {
            return refuse(401, why.to_string(), None);
        }
        let click = match Click::from_form(&request.body) {
            Ok(click) => click,
            Err(why) => return refuse(400, why.to_string(), None),
        };
        if !self.approvers.permits(&click.user_id) {
            let reason = format!(
                "Slack user {} is not on the approvers' list (SlackApprovers): nothing was started",
                click.user_id
            );
            self.tell(&click, serde_json::json!({"response_type": "ephemeral", "replace_original": false, "text": reason}))
                .await;
            return refuse(403, reason, Some(&click));
        }
        let execution = ApprovalExecution::for_click(&click);
        match self.starter.start(&execution).await {
            Ok(started) => {
                tracing::info!(
                    user = %click.user_id, decision = click.decision.action(),
                    question = %click.value.question.subject(), purpose = ?click.value.question.for_(),
                    waiting = %click.value.execution,
                    execution = %execution.name, ?started, "Slack approval answer started"
                );
                let reply = answer::reply(&click, &started);
                self.tell(&click, reply.clone()).await;
                HttpResponse {
                    status: 200,
                    body: reply,
                }
            }
            Err(error) => {
                tracing::error!(%error, user = %click.user_id, execution = %execution.name, "Slack approval answer could not be started");
                HttpResponse::text(500, "the approval execution could not be started; nothing was changed (see notify's log)")
            }
        }
    }

    /// Posts `message` to the click's `response_url` (only a Slack hooks URL); best-effort.
    async fn tell(&self, click: &Click, message: Value) {
        let Some(url) = click.response_url.as_deref() else {
            return;
        };
        match WebhookUrl::parse(url) {
            Ok(url) => {
                self.replies.send(&url, &message).await;
            }
            Err(why) => {
                tracing::warn!(%why, "the click's response_url is not a Slack URL: not answered there")
            }
        }
    }
}

/// A refusal: logged (reason and user only) and answered with `status`.
fn refuse(status: u16, reason: String, click: Option<&Click>) -> HttpResponse {
    tracing::warn!(
        status, %reason, user = click.map(|c| c.user_id.as_str()),
        "Slack approval request refused"
    );
    HttpResponse::text(status, reason)
}

/// The Function URL's answer to `event` (an HTTP event, [`is_function_url_event`]), whether or
/// not Slack approvals are configured (`None`: 404, nothing read).
pub async fn answer(interactions: Option<&Interactions>, event: &Value, now: SystemTime) -> Value {
    let response = match (interactions, HttpRequest::from_event(event)) {
        (None, _) => refuse(404, NOT_CONFIGURED.to_owned(), None),
        (Some(_), Err(why)) => refuse(400, why, None),
        (Some(i), Ok(request)) => i.respond(&request, now).await,
    };
    response.to_event()
}

#[cfg(test)]
mod tests;
