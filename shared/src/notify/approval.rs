//! The messages of an approval wait (`switchoverMode: approval`, `cleanupMode: approval`,
//! told apart by `detail.for`): the question (how to approve or reject, the exact input to
//! paste, until when, what the deadline does) and the answer (who, how, when). What a cleanup
//! would delete is [`super::cleanup_question`]'s. Manual mode's "ready for switchover" is
//! [`super::stages`]' own: it waits for nothing.

use std::time::Duration;

use serde_json::{json, Value};

use super::event::{number_at, text_at, Event};
use super::format::{parse_rfc3339, rfc3339};
use super::interaction::button::ButtonValue;
use super::message::{Details, Message};
use crate::input::DEFAULT_APPROVAL_TIMEOUT_SECONDS;
use crate::waits::ApprovalFor;

/// Whether the awaiting-approval event is approval mode's (the state machine says `mode`).
pub fn is_approval_mode(event: &Event) -> bool {
    text_at(&event.detail, &["mode"]).as_deref() == Some("approval")
}

/// Which wait the event is about (`detail.for`; the switchover's when absent).
pub fn approval_for(event: &Event) -> ApprovalFor {
    event
        .detail
        .get("for")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The question: the execution waits in place for an `approve` or `reject` execution (or a
/// click on Slack's buttons, bound to this question's purpose, which starts one).
pub fn ask(event: &Event, m: &mut Message) {
    let timeout = number_at(&event.detail, &["approvalTimeoutSeconds"])
        .unwrap_or(DEFAULT_APPROVAL_TIMEOUT_SECONDS.into());
    let until = text_at(&event.detail, &["askedAt"])
        .and_then(|t| parse_rfc3339(&t))
        .map(|at| rfc3339(at + Duration::from_secs(timeout)));
    let until_words = until
        .clone()
        .map(|u| format!("until {u} (UTC)"))
        .unwrap_or_else(|| format!("for {timeout} s"));
    let purpose = approval_for(event);
    m.buttons = ButtonValue::for_database(&m.target, purpose, m.execution_arn.as_deref());
    let kept = match purpose {
        ApprovalFor::Cleanup => {
            super::cleanup_question::ask(event, m, &until_words);
            "old blue is kept; \"action\": \"cleanup\" deletes it later"
        }
        _ => {
            m.headline = "green ready: approve or reject the switchover".into();
            m.summary = format!(
                "Green is ready and in sync. Production still runs on blue, and this execution waits for your answer {until_words}. Approve and the switchover follows (a snapshot of blue first when asked). Reject and it ends with nothing switched over and green kept. With no answer by then it ends ApprovalExpired: nothing switched over, green kept, and you are told once; the same input with \"action\": \"switchover\" resumes later."
            );
            "green is kept; \"action\": \"abandon\" removes it later"
        }
    };
    let start = super::stages::start_execution_command(event);
    let reject = input(event, "rejectInput", "reject");
    let buttons = if m.buttons.is_some() {
        "Slack's Approve button, or "
    } else {
        ""
    };
    m.next_steps = vec![
        format!("To approve: {buttons}start an execution of this state machine with the input below: {start} --input file://approve.json"),
        format!("To reject ({kept}): start one with {} ({start} --input file://reject.json)", one_line(&reject)),
        "Who may answer is who may start an execution of this state machine (IAM); the answer, who gave it and when are kept in both executions' history.".into(),
    ];
    m.details = Some(Details {
        title: "approve.json (the input that approves)".into(),
        body: input(event, "approveInput", "approve"),
    });
    if let Some(u) = until {
        m.facts.push(("Answer until".into(), u));
    }
}

/// The answer the waiting execution received (`detail.approval`).
pub fn answered(event: &Event, m: &mut Message) {
    let a = event.detail.get("approval").cloned().unwrap_or(Value::Null);
    let text = |k: &str| text_at(&a, &[k]);
    let by = text("by").unwrap_or_else(|| "someone".into());
    let via = text("via").unwrap_or_else(|| "an execution".into());
    let at = text("at").unwrap_or_else(|| "an unknown time".into());
    let reason = text("reason")
        .map(|r| format!(" Reason: {r}."))
        .unwrap_or_default();
    let approved = text("decision").as_deref() == Some("approve");
    let cleanup = approval_for(event) == ApprovalFor::Cleanup;
    let what = if cleanup {
        "deleting old blue"
    } else {
        "switchover"
    };
    let verdict = if approved { "approved" } else { "rejected" };
    m.headline = format!("{what} {verdict} by {by}");
    let then = match (cleanup, approved) {
        (false, true) => "The switchover follows now.",
        (false, false) => "Nothing was switched over; green is kept and blue keeps serving. To switch over later, start the same input with \"action\": \"switchover\"; to remove green, \"action\": \"abandon\".",
        (true, true) => "Old blue is deleted now (after its final snapshot, unless finalSnapshot is false).",
        (true, false) => "Nothing was deleted: old blue is kept (and costs money until deleted) and the lock is released. To delete it later, start the same input with \"action\": \"cleanup\".",
    };
    let capitalised = if approved { "Approved" } else { "Rejected" };
    m.summary = format!("{capitalised} by {by} via {via} at {at}.{reason} {then}");
    m.facts.push(("Answered by".into(), by));
    m.facts.push(("Via".into(), via));
    m.facts.push(("At".into(), at));
}

/// The input the state machine prepared (`detail.<field>`), or one built from the request's
/// target, pretty-printed.
fn input(event: &Event, field: &str, action: &str) -> String {
    let value = event
        .detail
        .get(field)
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or_else(|| json!({"action": action, "target": event.request.get("target")}));
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn one_line(json: &str) -> String {
    serde_json::from_str::<Value>(json)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| json.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::event::Outcome;
    use crate::notify::stages::compose;
    use std::time::SystemTime;

    fn event(outcome: &str, detail: Value, mode: &str) -> Event {
        Event::from_map(json!({
            "stage": "awaiting-approval",
            "outcome": outcome,
            "request": {"target": {"region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"}, "options": {"switchoverMode": mode}},
            "detail": detail,
            "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1", "name": "orders-1"}
        }).as_object().unwrap())
    }

    #[test]
    fn the_question_says_how_until_when_and_what_the_deadline_does() {
        let e = event(
            "action-needed",
            json!({"mode": "approval", "askedAt": "2026-12-07T06:00:00Z", "approvalTimeoutSeconds": 3600,
                   "approveInput": {"action": "approve", "target": {"region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"}},
                   "rejectInput": {"action": "reject", "target": {"region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"}}}),
            "approval",
        );
        let m = compose(&e, SystemTime::now());
        let buttons = m.buttons.as_ref().expect("Slack's buttons may answer it");
        assert_eq!(buttons.question.for_(), ApprovalFor::Switchover);
        assert_eq!(m.outcome, Outcome::ActionNeeded);
        assert!(
            m.summary.contains("until 2026-12-07T07:00:00Z"),
            "{}",
            m.summary
        );
        assert!(m.summary.contains("ApprovalExpired"), "{}", m.summary);
        assert!(m.summary.contains("green kept"), "{}", m.summary);
        let details = m.details.expect("the input to paste");
        let pasted: Value = serde_json::from_str(&details.body).unwrap();
        assert_eq!(pasted["action"], "approve");
        assert_eq!(pasted["target"]["identifier"], "orders");
        assert!(
            m.next_steps[1].contains(r#""action":"reject""#),
            "{}",
            m.next_steps[1]
        );
        assert!(m.next_steps[0]
            .contains("arn:aws:states:eu-west-1:111122223333:stateMachine:hub-bluegreen"));
        assert!(m
            .facts
            .contains(&("Answer until".into(), "2026-12-07T07:00:00Z".into())));
    }

    #[test]
    fn manual_mode_is_not_answerable_by_buttons() {
        let e = event("action-needed", json!({"message": "x"}), "manual");
        let m = compose(&e, SystemTime::now());
        assert!(m.buttons.is_none());
        assert!(
            m.summary.contains("nothing changes until you continue"),
            "{}",
            m.summary
        );
    }

    #[test]
    fn the_answer_names_who_how_and_when() {
        let approval = json!({"decision": "approve", "by": "slack:U012 (jane)", "via": "slack", "at": "2026-12-07T06:10:00Z", "reason": "fine"});
        let m = compose(
            &event(
                "success",
                json!({"mode": "approval", "approval": approval}),
                "approval",
            ),
            SystemTime::now(),
        );
        assert_eq!(m.headline, "switchover approved by slack:U012 (jane)");
        assert!(
            m.summary
                .contains("via slack at 2026-12-07T06:10:00Z. Reason: fine."),
            "{}",
            m.summary
        );
        assert!(m.buttons.is_none());
        let mut rejected = approval.clone();
        rejected["decision"] = json!("reject");
        let m = compose(
            &event(
                "info",
                json!({"mode": "approval", "approval": rejected}),
                "approval",
            ),
            SystemTime::now(),
        );
        assert_eq!(m.headline, "switchover rejected by slack:U012 (jane)");
        assert!(m.summary.contains("green is kept"), "{}", m.summary);
    }
}
