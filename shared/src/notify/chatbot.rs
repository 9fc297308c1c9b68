//! The AWS Chatbot (Amazon Q Developer in chat applications) custom notification: the JSON
//! Chatbot renders in Slack or Microsoft Teams when it reads the message from an SNS topic.
//!
//! Schema: `{"version": "1.0", "source": "custom", "id"?, "content": {"textType":
//! "client-markdown", "title", "description", "nextSteps", "keywords"}, "metadata":
//! {"threadId", "summary", "eventType", "relatedResources", "additionalContext"}}`.
//! `client-markdown` is rendered in the chat platform's own markdown, so the text uses only
//! what Slack and Teams share: `*bold*`-free plain lines, code blocks and bare links.

use serde_json::{json, Map, Value};

use super::format::truncate;
use super::message::Message;

/// Room for the description; chat clients cut long messages anyway.
const DESCRIPTION_MAX_CHARS: usize = 4000;

/// The custom notification for a message.
pub fn payload(m: &Message) -> Value {
    let mut description = m.summary.clone();
    if !m.facts.is_empty() {
        description.push_str("\n\n");
        description.push_str(
            &m.facts
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    if let Some(details) = &m.details {
        description.push_str(&format!(
            "\n\n{}:\n```\n{}\n```",
            details.title,
            truncate(details.body.trim_end(), 2500)
        ));
    }
    for link in &m.links {
        description.push_str(&format!("\n{}: {}", link.label, link.url));
    }
    let context: Map<String, Value> = [
        ("stage", Some(m.stage.clone())),
        ("outcome", Some(m.outcome.name().to_owned())),
        ("database", m.target.identifier.clone()),
        ("engine", m.target.engine.clone()),
        ("account", m.target.account_id.clone()),
        ("region", m.target.region.clone()),
        ("error", m.error.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), Value::String(v?))))
    .collect();
    let keywords: Vec<&str> = [
        Some(m.database()),
        Some(m.stage.as_str()),
        Some(m.outcome.name()),
        m.target.engine.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut payload = json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": format!("{} {}", m.outcome.emoji(), m.title()),
            "description": truncate(&description, DESCRIPTION_MAX_CHARS),
            "nextSteps": m.next_steps,
            "keywords": keywords,
        },
        "metadata": {
            // One thread per execution (or per database), so a run reads as one conversation.
            "threadId": m.execution_arn.clone().unwrap_or_else(|| m.database().to_owned()),
            "summary": m.subject(),
            "eventType": format!("bluegreen.{}", m.stage),
            "relatedResources": m.execution_arn.iter().collect::<Vec<_>>(),
            "additionalContext": context,
        },
    });
    if let Some(execution) = &m.execution_arn {
        payload["id"] = Value::String(format!("{execution}/{}", m.stage));
    }
    payload
}
