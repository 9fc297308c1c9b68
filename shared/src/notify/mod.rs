//! Notifications people read, at every stage of the workflow: SNS (mail, AWS Chatbot, any
//! subscriber) and Slack.
//!
//! An event becomes one [`Message`](message::Message) ([`stages::compose`]); each channel
//! renders it its own way ([`sns`], [`chatbot`], [`slack_blocks`]). Delivery never fails or
//! holds up the workflow: each channel's outcome is logged and reported in the step's answer,
//! and Slack is retried only briefly ([`slack_delivery::RetryPolicy`]).

mod already;
pub mod approval;
pub(crate) mod chatbot;
mod cleanup_question;
pub mod config;
pub mod ended;
pub mod event;
pub(crate) mod failure;
pub(crate) mod findings;
pub mod fleet;
pub mod format;
pub mod interaction;
pub(crate) mod links;
pub mod message;
mod not_taken;
pub mod record;
pub(crate) mod secret;
pub(crate) mod slack_blocks;
pub(crate) mod slack_delivery;
pub(crate) mod sns;
pub mod stages;
pub mod told;

use aws_config::{Region, SdkConfig};
use serde::Serialize;

use crate::aws::clients::ClientFactory;
use crate::aws::deployment::Deployment;
use crate::error::Error;
use config::{region_of, Config};
use message::Message;
use secret::WebhookSource;
use slack_delivery::{RetryPolicy, SlackReport, SlackSender};
use sns::{Publisher, SnsReport};

/// The step's answer: what happened on each channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub sns: SnsReport,
    pub slack: SlackReport,
}

/// Slack delivery: where the URL comes from and how it is posted.
pub(crate) struct Slack {
    pub(crate) source: WebhookSource,
    pub(crate) sender: SlackSender,
}

/// Everything that sends notifications; built once per container.
pub struct Notifier {
    sns: Publisher,
    slack: Option<Slack>,
    /// Reads what an ended execution left running (read-only); `None` says it is unknown.
    world: Option<ClientFactory>,
    /// Slack's Approve/Reject buttons are answered ([`interaction`]): show them.
    approval_buttons: bool,
}

/// Names the channels, never their secrets or clients' internals.
impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("slack", &self.slack.is_some())
            .field("reads_the_world", &self.world.is_some())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    pub(crate) fn new(sns: Publisher, slack: Option<Slack>) -> Self {
        Self {
            sns,
            slack,
            world: None,
            approval_buttons: false,
        }
    }

    /// Shows Approve/Reject buttons on Slack's "awaiting approval" message; only when the
    /// stack answers them (a signing secret is configured).
    pub fn with_approval_buttons(mut self, on: bool) -> Self {
        self.approval_buttons = on;
        self
    }

    /// Lets the safety net read the world (DescribeBlueGreenDeployments) through `clients`.
    pub fn with_world(mut self, clients: ClientFactory) -> Self {
        self.world = Some(clients);
        self
    }

    /// The clients this notifier reads through (the fleet reads and writes its files with them).
    pub fn clients(&self) -> Option<&ClientFactory> {
        self.world.as_ref()
    }

    /// What the workflow for `request` left running, or why that cannot be read.
    pub async fn left_running(
        &self,
        request: &serde_json::Value,
    ) -> Result<Vec<Deployment>, String> {
        ended::left_running(self.world.as_ref(), request).await
    }

    /// The state transitions and RDS calls of the execution that sent `event`, from its own
    /// history ([`crate::metrics::history`]); `None` (logged) when it cannot be read: the
    /// figures never fail or delay a message beyond the read itself.
    pub async fn execution_tally(
        &self,
        event: &event::Event,
    ) -> Option<crate::metrics::history::Tally> {
        let world = self.world.as_ref()?;
        let arn = event.execution.arn.as_deref()?;
        let config = match region_of(arn) {
            Some(region) => world
                .base()
                .to_builder()
                .region(Region::new(region.to_owned()))
                .build(),
            None => world.base().clone(),
        };
        let sfn = aws_sdk_sfn::Client::new(&config);
        match crate::metrics::history::Tally::of_execution(&sfn, arn).await {
            Ok(tally) => Some(tally),
            Err(e) => {
                tracing::warn!(execution = arn, error = %e, "the execution's history could not be read: no state transitions or RDS calls in its figures");
                None
            }
        }
    }

    /// What AWS recorded about the work `event` reports (empty when not needed or unreadable).
    pub async fn record(&self, event: &event::Event) -> record::Record {
        record::read(self.world.as_ref(), event).await
    }

    /// Builds the clients from the function's configuration; each client calls the Region
    /// of the resource it uses (named by its ARN). The webhook secret is read on first use.
    pub fn from_config(config: &Config, sdk: &SdkConfig) -> Result<Notifier, Error> {
        let in_region_of = |arn: &str| match region_of(arn) {
            Some(region) => sdk
                .to_builder()
                .region(Region::new(region.to_owned()))
                .build(),
            None => sdk.clone(),
        };
        let sns = Publisher::new(
            aws_sdk_sns::Client::new(&in_region_of(&config.topic_arn)),
            &config.topic_arn,
        );
        let slack = match &config.slack_secret {
            Some(secret) => Some(Slack {
                source: WebhookSource::new(
                    aws_sdk_secretsmanager::Client::new(&in_region_of(secret)),
                    secret,
                ),
                sender: SlackSender::new(RetryPolicy::default())?,
            }),
            None => None,
        };
        Ok(Notifier::new(sns, slack).with_world(ClientFactory::new(sdk.clone())))
    }

    /// Sends the message on every channel at once and reports each outcome.
    pub async fn deliver(&self, m: &Message) -> Delivery {
        let (sns, slack) = tokio::join!(self.sns.publish(m), self.slack(m));
        tracing::info!(stage = %m.stage, outcome = m.outcome.name(), sns_delivered = sns.delivered, slack = ?slack.status, "notification handled");
        crate::metrics::delivery(&sns, &slack);
        Delivery { sns, slack }
    }

    async fn slack(&self, m: &Message) -> SlackReport {
        let Some(slack) = &self.slack else {
            return SlackReport::disabled();
        };
        match slack.source.url().await {
            Ok(url) => {
                slack
                    .sender
                    .send(&url, &slack_blocks::payload(m, self.approval_buttons))
                    .await
            }
            Err(error) => SlackReport::failed(error, 0),
        }
    }
}
