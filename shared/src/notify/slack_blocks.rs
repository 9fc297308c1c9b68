//! The Slack message (Block Kit) for an incoming webhook.
//!
//! The header stays in the message's own blocks so it shows in full; the body sits in an
//! attachment whose `color` draws the bar that says the outcome at a glance. Every text is
//! escaped for Slack's mrkdwn and cut to Block Kit's limits (header 150, section 3000, field
//! 2000 characters, 10 fields).

use serde_json::{json, Value};

use super::event::Outcome;
use super::format::truncate;
use super::message::Message;

/// The attachment bar's colour for an outcome.
pub fn colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Info => "#439FE0",
        Outcome::Success => "#2EB886",
        Outcome::Warning => "#DAA038",
        Outcome::Failure => "#A30200",
        Outcome::ActionNeeded => "#7D3C98",
    }
}

/// Escapes the three characters Slack's mrkdwn reserves.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&text, 3000)}})
}

/// The webhook payload for a message.
pub fn payload(m: &Message) -> Value {
    let mut body = vec![section(escape(&m.summary))];
    if !m.facts.is_empty() {
        let fields: Vec<Value> = m
            .facts
            .iter()
            .take(10)
            .map(|(k, v)| json!({"type": "mrkdwn", "text": truncate(&format!("*{}*\n{}", escape(k), escape(v)), 2000)}))
            .collect();
        body.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(details) = &m.details {
        let code = truncate(&escape(details.body.trim_end()), 2800);
        body.push(section(format!(
            "*{}*\n```{code}```",
            escape(&details.title)
        )));
    }
    if !m.next_steps.is_empty() {
        let steps: Vec<String> = m
            .next_steps
            .iter()
            .enumerate()
            .map(|(n, s)| format!("{}. {}", n + 1, escape(s)))
            .collect();
        body.push(section(format!("*What to do next*\n{}", steps.join("\n"))));
    }
    if !m.links.is_empty() {
        let links: Vec<String> = m
            .links
            .iter()
            .map(|l| format!("<{}|{}>", l.url, escape(&l.label)))
            .collect();
        body.push(section(links.join("  ·  ")));
    }
    json!({
        "text": m.subject(),
        "blocks": [{
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(&format!("{} {}", m.outcome.emoji(), m.title()), 150), "emoji": true},
        }],
        "attachments": [{"color": colour(m.outcome), "blocks": body}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::event::TargetFacts;
    use crate::notify::message::Details;

    #[test]
    fn block_kit_limits_hold_for_long_messages() {
        let m = Message {
            stage: "failed".into(),
            outcome: Outcome::Failure,
            target: TargetFacts {
                identifier: Some("o".repeat(63)),
                ..Default::default()
            },
            headline: "h".repeat(300),
            summary: "<s>".repeat(2000),
            facts: (0..14)
                .map(|n| (format!("k{n}"), "v".repeat(3000)))
                .collect(),
            details: Some(Details {
                title: "T".into(),
                body: "b".repeat(10_000),
            }),
            next_steps: vec!["step".into()],
            links: vec![],
            error: None,
            execution_arn: None,
        };
        let p = payload(&m);
        assert_eq!(
            p["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            150
        );
        let blocks = p["attachments"][0]["blocks"].as_array().unwrap();
        let summary = blocks[0]["text"]["text"].as_str().unwrap();
        assert!(
            summary.chars().count() <= 3000 && summary.starts_with("&lt;s&gt;"),
            "escaped and cut"
        );
        let fields = blocks[1]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 10);
        assert!(fields
            .iter()
            .all(|f| f["text"].as_str().unwrap().chars().count() <= 2000));
        assert!(blocks.iter().all(|b| b["text"]["text"]
            .as_str()
            .is_none_or(|t| t.chars().count() <= 3000)));
        assert_eq!(p["attachments"][0]["color"], "#A30200");
    }
}
