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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::event::Event;
    use crate::notify::stages::compose;
    use std::time::UNIX_EPOCH;

    fn message(extra: Value) -> Message {
        let mut event = json!({
            "stage": "awaiting-approval", "outcome": "action-needed",
            "request": {"target": {"identifier": "orders", "engine": "postgres", "region": "eu-west-1", "accountId": "111122223333"}},
            "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:bg:run-1", "name": "run-1"}
        });
        for (k, v) in extra.as_object().unwrap() {
            event[k] = v.clone();
        }
        compose(&Event::from_map(event.as_object().unwrap()), UNIX_EPOCH)
    }

    fn parts(m: &Message) -> Value {
        serde_json::from_str(&structured_message(m)).unwrap()
    }

    #[test]
    fn each_protocol_gets_its_form_as_a_string() {
        let m = message(json!({}));
        let parts = parts(&m);
        for key in ["default", "email", "https", "sqs", "lambda"] {
            assert!(parts[key].is_string(), "SNS needs string values: {key}");
        }
        assert_eq!(parts["default"], m.text());
        assert_eq!(parts["email"], m.text());
        let fields: Value = serde_json::from_str(parts["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(fields["text"], m.text());
        assert_eq!(fields["outcome"], "action-needed");
        assert_eq!(parts["lambda"], parts["sqs"]);
    }

    #[test]
    fn https_subscribers_get_a_chatbot_custom_notification() {
        let m = message(json!({}));
        let chatbot: Value = serde_json::from_str(parts(&m)["https"].as_str().unwrap()).unwrap();
        assert_eq!(chatbot["version"], "1.0");
        assert_eq!(chatbot["source"], "custom");
        assert_eq!(chatbot["content"]["textType"], "client-markdown");
        assert_eq!(
            chatbot["content"]["title"],
            ":raising_hand: orders: green ready: approve the switchover"
        );
        let description = chatbot["content"]["description"].as_str().unwrap();
        assert!(
            description.starts_with("Green is ready and in sync.")
                && description.contains("```\n{"),
            "{description}"
        );
        assert!(chatbot["content"]["nextSteps"][0]
            .as_str()
            .unwrap()
            .contains("\"action\": \"switchover\""));
        assert_eq!(
            chatbot["metadata"]["threadId"],
            "arn:aws:states:eu-west-1:111122223333:execution:bg:run-1"
        );
        assert_eq!(chatbot["metadata"]["summary"], m.subject());
        assert_eq!(
            chatbot["metadata"]["additionalContext"]["account"],
            "111122223333"
        );
        assert_eq!(
            chatbot["id"],
            "arn:aws:states:eu-west-1:111122223333:execution:bg:run-1/awaiting-approval"
        );
    }

    #[test]
    fn a_huge_report_stays_under_the_sns_limit() {
        let findings: Vec<Value> = (0..3000)
            .map(|n| json!({"id": format!("check-{n}"), "severity": "warn", "message": "ü".repeat(60), "fix": "x".repeat(40), "source": "api"}))
            .collect();
        let m = message(
            json!({"stage": "dry-run-report", "outcome": "warning", "detail": {"passed": true, "blocking": 0, "warnings": 3000, "findings": findings, "notChecked": [], "database": null, "report": ""}}),
        );
        let structured = structured_message(&m);
        assert!(
            structured.len() <= MESSAGE_MAX_BYTES,
            "{} bytes",
            structured.len()
        );
        let parts: Value = serde_json::from_str(&structured).unwrap();
        assert!(parts["default"]
            .as_str()
            .unwrap()
            .starts_with("orders: dry run: ready, with 3000 warnings"));
    }
}
