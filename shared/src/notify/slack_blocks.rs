//! The Slack message (Block Kit) for an incoming webhook.
//!
//! The header stays in the message's own blocks so it shows in full; the body sits in an
//! attachment whose `color` draws the bar that says the outcome at a glance. Every text is
//! escaped for Slack's mrkdwn and cut to Block Kit's limits (header 150, section 3000, field
//! 2000 characters, 10 fields).

use serde_json::{json, Value};

use super::event::{Outcome, Stage};
use super::format::truncate;
use super::interaction::button::{ButtonValue, Decision};
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

/// The webhook payload for a message; `buttons`: the stack answers Slack's Approve and Reject
/// buttons (a signing secret is configured), so an "awaiting approval" message carries them.
pub fn payload(m: &Message, buttons: bool) -> Value {
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
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&format!("{} {}", m.outcome.emoji(), m.title()), 150), "emoji": true},
    })];
    if buttons {
        blocks.extend(approval_buttons(m));
    }
    json!({
        "text": m.subject(),
        "blocks": blocks,
        "attachments": [{"color": colour(m.outcome), "blocks": body}],
    })
}

/// The Approve and Reject buttons of an "awaiting approval" message, and who may use them;
/// nothing when the message does not name the database and execution fully. A click posts to
/// notify's Function URL ([`super::interaction`]); each asks for confirmation first.
fn approval_buttons(m: &Message) -> Vec<Value> {
    if !m.answerable
        || m.stage != Stage::AwaitingApproval.name()
        || m.outcome != Outcome::ActionNeeded
    {
        return Vec::new();
    }
    let Some(value) = ButtonValue::for_message(&m.target, m.execution_arn.as_deref()) else {
        return Vec::new();
    };
    let value = value.encode();
    let database = escape(m.database());
    let button = |decision: Decision, label: &str, style: &str, question: String| {
        json!({
            "type": "button",
            "action_id": decision.action_id(),
            "text": {"type": "plain_text", "text": label},
            "style": style,
            "value": value,
            "confirm": {
                "title": {"type": "plain_text", "text": truncate(&format!("{label} {}?", m.database()), 100)},
                "text": {"type": "mrkdwn", "text": question},
                "confirm": {"type": "plain_text", "text": label},
                "deny": {"type": "plain_text", "text": "Cancel"},
            },
        })
    };
    vec![
        json!({
            "type": "actions",
            "block_id": "bluegreen-approval",
            "elements": [
                button(Decision::Approve, "Approve", "primary", format!("Switch *{database}* over to green: production moves, connections drop briefly.")),
                button(Decision::Reject, "Reject", "danger", format!("Do not switch *{database}* over: the workflow ends as `abandon` asks; blue keeps serving.")),
            ],
        }),
        json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Only the Slack users named in the stack's SlackApprovers can answer here. Anyone else starts an execution with the same target and `\"action\": \"approve\"` (or `reject`): IAM decides who may."}],
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::event::TargetFacts;
    use crate::notify::message::Details;

    fn awaiting(stage: &str) -> Message {
        Message {
            stage: stage.into(),
            outcome: Outcome::ActionNeeded,
            target: TargetFacts {
                identifier: Some("orders".into()),
                engine: Some("aurora-postgresql".into()),
                account_id: Some("111122223333".into()),
                region: Some("eu-west-1".into()),
                ..Default::default()
            },
            headline: "green ready: approve the switchover".into(),
            summary: "s".into(),
            facts: vec![],
            details: None,
            next_steps: vec![],
            links: vec![],
            error: None,
            execution_arn: Some(
                "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1".into(),
            ),
            answerable: true,
        }
    }

    #[test]
    fn the_awaiting_approval_message_carries_approve_and_reject() {
        let p = payload(&awaiting("awaiting-approval"), true);
        let actions = &p["blocks"][1];
        assert_eq!(actions["type"], "actions");
        let buttons = actions["elements"].as_array().unwrap();
        let ids: Vec<&str> = buttons
            .iter()
            .map(|b| b["action_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["bluegreen-approve", "bluegreen-reject"]);
        for b in buttons {
            let value = ButtonValue::decode(b["value"].as_str().unwrap()).unwrap();
            assert_eq!(value.target.identifier, "orders");
            assert_eq!(value.target.account_id.as_deref(), Some("111122223333"));
            assert_eq!(value.execution_name(), "orders-1");
            assert!(b["value"].as_str().unwrap().len() <= 2000);
            assert!(b["confirm"]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("*orders*"));
        }
        assert_eq!(p["blocks"][2]["type"], "context");
    }

    #[test]
    fn other_stages_and_incomplete_messages_have_no_buttons() {
        let blocks = |m: &Message, buttons| payload(m, buttons)["blocks"].as_array().unwrap().len();
        assert_eq!(blocks(&awaiting("green-ready"), true), 1);
        let mut no_execution = awaiting("awaiting-approval");
        no_execution.execution_arn = None;
        assert_eq!(blocks(&no_execution, true), 1);
        // Manual mode's "ready for switchover" waits for nothing: no buttons.
        let mut manual = awaiting("awaiting-approval");
        manual.answerable = false;
        assert_eq!(blocks(&manual, true), 1);
        // Without a signing secret nothing would answer a click: no buttons.
        assert_eq!(blocks(&awaiting("awaiting-approval"), false), 1);
        // The plain text (SNS, mail) has no trace of the buttons.
        assert!(!awaiting("awaiting-approval")
            .text()
            .contains("bluegreen-approve"));
    }

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
            answerable: false,
        };
        let p = payload(&m, true);
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
