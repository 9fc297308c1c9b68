//! Publishing a message to the SNS topic people and tools subscribe to.
//!
//! One publish carries every form, with `MessageStructure=json` (SNS picks the value for
//! each subscription's protocol):
//! - `default` and `email`: the readable text (mail, SMS, and any protocol not listed);
//! - `https`: the AWS Chatbot custom notification ([`super::chatbot`]): Chatbot subscribes
//!   to topics over HTTPS, and a custom notification is the only form it renders in full;
//! - `sqs` and `lambda`: the structured fields plus the readable text as JSON, for programs.
//!
//! This beats one body for all: mail readers get no JSON, Chatbot gets no plain text (which
//! it would drop), and programs get fields instead of parsing prose. The subject (mail) and
//! the message attributes `stage`, `outcome`, `database` and `account` (String, for
//! subscription filter policies) are the same for every protocol.

use std::collections::HashMap;

use aws_sdk_sns::types::MessageAttributeValue;
use serde::Serialize;
use serde_json::{json, Value};

use super::chatbot;
use super::format::truncate;
use super::message::Message;

/// SNS accepts 256 KiB per message, structure included; stay under it.
const MESSAGE_MAX_BYTES: usize = 250_000;

/// What happened to the SNS publish, for the step's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnsReport {
    pub delivered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Publishes to one topic; built once per container.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl Publisher {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// Publishes the message; a failure is reported and logged, never raised.
    pub async fn publish(&self, m: &Message) -> SnsReport {
        let attributes: HashMap<String, MessageAttributeValue> = m
            .attributes()
            .into_iter()
            .filter_map(|(name, value)| {
                Some((
                    name.to_owned(),
                    MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value(value)
                        .build()
                        .ok()?,
                ))
            })
            .collect();
        let sent = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(m.subject())
            .message_structure("json")
            .message(structured_message(m))
            .set_message_attributes(Some(attributes))
            .send()
            .await;
        match sent {
            Ok(out) => {
                tracing::info!(
                    message_id = out.message_id(),
                    "notification published to SNS"
                );
                SnsReport {
                    delivered: true,
                    message_id: out.message_id,
                    error: None,
                }
            }
            Err(err) => {
                let error = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
                tracing::warn!(%error, "SNS publish failed; the workflow goes on");
                SnsReport {
                    delivered: false,
                    message_id: None,
                    error: Some(error),
                }
            }
        }
    }
}

/// The `MessageStructure=json` message: one string value per protocol (see the module docs).
pub fn structured_message(m: &Message) -> String {
    let chatbot = chatbot::payload(m).to_string();
    let mut text_cap = 40_000;
    loop {
        let text = truncate(&m.text(), text_cap);
        let mut fields = m.fields();
        fields["text"] = Value::String(text.clone());
        let fields = fields.to_string();
        let message = json!({
            "default": text,
            "email": text,
            "https": chatbot,
            "sqs": fields,
            "lambda": fields,
        })
        .to_string();
        if message.len() <= MESSAGE_MAX_BYTES || text_cap < 1000 {
            return message;
        }
        text_cap /= 2;
    }
}
