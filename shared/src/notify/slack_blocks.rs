//! The Slack message (Block Kit) for an incoming webhook.
//!
//! The header stays in the message's own blocks so it shows in full; the body sits in an
//! attachment whose `color` draws the bar that says the outcome at a glance. Every text is
//! escaped for Slack's mrkdwn and cut to Block Kit's limits (header 150, section 3000, field
//! 2000 characters, 10 fields).

use serde_json::{json, Value};

use super::event::Outcome;
use super::format::truncate;
use super::interaction::button::{Decision, Question};
use super::message::Message;
use crate::waits::ApprovalFor;

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

/// The Approve and Reject buttons of a question (a switchover's, a cleanup's, a fleet's
/// between waves), and who may use them; nothing for any other message. A click posts to
/// notify's Function URL ([`super::interaction`]); each asks for confirmation first, saying
/// what the click does.
fn approval_buttons(m: &Message) -> Vec<Value> {
    let Some(value) = m
        .buttons
        .as_ref()
        .filter(|_| m.outcome == Outcome::ActionNeeded)
    else {
        return Vec::new();
    };
    let subject = value.question.subject();
    let name = escape(&subject);
    let (approve, reject) = match &value.question {
        Question::Database { for_: ApprovalFor::Cleanup, .. } => (
            format!("Delete old blue of *{name}* now (after its final snapshot unless finalSnapshot is false): it cannot be undone."),
            format!("Keep old blue of *{name}*: nothing is deleted and the lock is released; `\"action\": \"cleanup\"` deletes it later."),
        ),
        Question::Database { .. } => (
            format!("Switch *{name}* over to green: production moves, connections drop briefly."),
            format!("Do not switch *{name}* over: the workflow ends as `abandon` asks; blue keeps serving."),
        ),
        Question::Wave { .. } => (
            format!("Start the next wave of *{name}*."),
            format!("Stop *{name}* here: no later wave starts, nothing already done is undone."),
        ),
    };
    let value = value.encode();
    let button = |decision: Decision, label: &str, style: &str, question: String| {
        json!({
            "type": "button",
            "action_id": decision.action_id(),
            "text": {"type": "plain_text", "text": label},
            "style": style,
            "value": value,
            "confirm": {
                "title": {"type": "plain_text", "text": truncate(&format!("{label} {subject}?"), 100)},
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
                button(Decision::Approve, "Approve", "primary", approve),
                button(Decision::Reject, "Reject", "danger", reject),
            ],
        }),
        json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Only the Slack users named in the stack's SlackApprovers can answer here. Anyone else starts an `\"action\": \"approve\"` (or `reject`) execution with the input this message gives: IAM decides who may."}],
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::event::TargetFacts;
    use crate::notify::interaction::button::ButtonValue;
    use crate::notify::message::Details;

    const EXECUTION: &str =
        "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1";

    fn awaiting(for_: ApprovalFor) -> Message {
        let target = TargetFacts {
            identifier: Some("orders".into()),
            engine: Some("aurora-postgresql".into()),
            account_id: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        };
        Message {
            stage: "awaiting-approval".into(),
            outcome: Outcome::ActionNeeded,
            buttons: ButtonValue::for_database(&target, for_, Some(EXECUTION)),
            target,
            headline: "green ready: approve the switchover".into(),
            summary: "s".into(),
            facts: vec![],
            details: None,
            next_steps: vec![],
            links: vec![],
            error: None,
            execution_arn: Some(EXECUTION.into()),
        }
    }

    /// The (approve, reject) buttons of a payload, checked for what every question's have.
    fn buttons(p: &Value) -> (Value, Value) {
        let actions = &p["blocks"][1];
        assert_eq!(actions["type"], "actions");
        let buttons = actions["elements"].as_array().unwrap();
        let ids: Vec<&str> = buttons
            .iter()
            .map(|b| b["action_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["bluegreen-approve", "bluegreen-reject"]);
        assert!(buttons
            .iter()
            .all(|b| b["value"].as_str().unwrap().len() <= 2000));
        assert_eq!(buttons[0]["value"], buttons[1]["value"]);
        assert_eq!(p["blocks"][2]["type"], "context");
        (buttons[0].clone(), buttons[1].clone())
    }

    fn value_of(button: &Value) -> ButtonValue {
        ButtonValue::decode(button["value"].as_str().unwrap()).unwrap()
    }

    /// Asserts the button's confirmation says `text`.
    fn says(button: &Value, text: &str) {
        let confirm = button["confirm"]["text"]["text"].as_str().unwrap();
        assert!(confirm.contains(text), "{text}: {button}");
    }

    #[test]
    fn the_switchover_question_carries_approve_and_reject_bound_to_it() {
        let (approve, reject) = buttons(&payload(&awaiting(ApprovalFor::Switchover), true));
        let value = value_of(&approve);
        let Question::Database { target, for_ } = &value.question else {
            panic!("a database's question: {value:?}");
        };
        assert_eq!(target.identifier, "orders");
        assert_eq!(target.account_id.as_deref(), Some("111122223333"));
        assert_eq!(for_, &ApprovalFor::Switchover);
        assert_eq!(value.execution_name(), "orders-1");
        says(&approve, "Switch *orders* over");
        says(&reject, "blue keeps serving");
    }

    #[test]
    fn the_cleanup_question_carries_buttons_bound_to_the_cleanup() {
        let (approve, reject) = buttons(&payload(&awaiting(ApprovalFor::Cleanup), true));
        let value = value_of(&reject);
        assert_eq!(value.question.for_(), ApprovalFor::Cleanup);
        assert_eq!(value.question.subject(), "orders");
        says(&approve, "Delete old blue of *orders*");
        says(&reject, "Keep old blue of *orders*");
        assert_eq!(approve["confirm"]["title"]["text"], "Approve orders?");
    }

    #[test]
    fn the_fleet_s_question_carries_buttons_bound_to_its_wave() {
        let fleet = "arn:aws:states:eu-west-1:111122223333:execution:hub-fleet:pg16-dec-1";
        let mut m = awaiting(ApprovalFor::Switchover);
        m.stage = "fleet-approval".into();
        m.target = TargetFacts {
            identifier: Some("fleet pg16-dec".into()),
            ..Default::default()
        };
        m.buttons = ButtonValue::for_fleet("pg16-dec", Some(fleet));
        let (approve, reject) = buttons(&payload(&m, true));
        let value = value_of(&approve);
        assert_eq!(
            value.question,
            Question::Wave {
                fleet: "pg16-dec".into()
            }
        );
        assert_eq!(value.execution, fleet);
        says(&approve, "next wave of *fleet pg16-dec*");
        says(&reject, "no later wave starts");
    }

    #[test]
    fn other_messages_and_incomplete_questions_have_no_buttons() {
        let blocks = |m: &Message, buttons| payload(m, buttons)["blocks"].as_array().unwrap().len();
        let question = awaiting(ApprovalFor::Switchover);
        // The answer to a question (it is no longer asked) and any message without one.
        let mut answered = question.clone();
        answered.outcome = Outcome::Success;
        assert_eq!(blocks(&answered, true), 1);
        // Manual mode's "ready for switchover" waits for nothing; an incomplete target or no
        // execution gives no value: no buttons.
        let mut manual = question.clone();
        manual.buttons = None;
        assert_eq!(blocks(&manual, true), 1);
        let mut no_execution = question.clone();
        no_execution.execution_arn = None;
        no_execution.buttons =
            ButtonValue::for_database(&question.target, ApprovalFor::Switchover, None);
        assert_eq!(blocks(&no_execution, true), 1);
        // Without a signing secret nothing would answer a click: no buttons.
        assert_eq!(blocks(&question, false), 1);
        // The plain text (SNS, mail) has no trace of the buttons.
        assert!(!question.text().contains("bluegreen-approve"));
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
            buttons: None,
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
