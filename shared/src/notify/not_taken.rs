//! Stage `answer-not-taken`: an `approve` or `reject` (from the console, the CLI or a Slack
//! click) that changed nothing, because nothing waited for an approval, another answer took
//! the wait first, the wait ended before the answer reached it, or the answer names another
//! execution's question than the one waiting (`NotThisQuestion`: an old message's button).
//!
//! Who is told what: the person who answered must learn their answer did nothing (a Slack
//! click's reply only said it was asked, and "the outcome is reported here"), but a late or
//! second click is no alarm for the people on call. So it is one message as information
//! (outcome `info`, never `failure`), naming who answered, what and why it changed nothing;
//! the answering execution succeeds (no failed-executions alarm, no status-rule message) with
//! the same reason in its output (`notTaken`). The waiting execution's own end (approved,
//! rejected, ApprovalExpired) is told by that execution, once. Real failures of an answer
//! (`AnswerFailed`: the lock item unreadable, Step Functions refusing the answer) still fail
//! the execution and are told as failures.

use super::event::{text_at, Event};
use super::message::Message;

pub(crate) fn describe(event: &Event, m: &mut Message) {
    let approval = event.request.get("approval");
    let action = text_at(&event.request, &["action"]).unwrap_or_else(|| "answer".into());
    let by = approval
        .and_then(|a| text_at(a, &["by"]))
        .or_else(|| event.execution.name.clone())
        .unwrap_or_else(|| "someone".into());
    let via = approval.and_then(|a| text_at(a, &["via"]));
    let why = text_at(&event.detail, &["Error"]).unwrap_or_else(|| "NothingToApprove".into());
    let cause = text_at(&event.detail, &["Cause"])
        .unwrap_or_else(|| "no approval wait could be answered".into());
    let first_came = why == "AlreadyAnswered";
    let other_question = why == "NotThisQuestion";
    m.headline = if first_came {
        format!("{action} by {by} not taken: already answered")
    } else if other_question {
        format!("{action} by {by} not taken: it answers an earlier question")
    } else {
        format!("{action} by {by} not taken: nothing waits for an approval")
    };
    m.summary = format!(
        "The {action} of {by}{} changed nothing. {cause}",
        via.as_deref()
            .map(|v| format!(" (via {v})"))
            .unwrap_or_default(),
    );
    m.facts.push(("Answered by".into(), by));
    m.facts.push(("Why".into(), why));
    m.next_steps.push(if first_came {
        "Nothing to do: the first answer decides, and the waiting execution's own message says what it did.".into()
    } else if other_question {
        "The message you answered belongs to an execution that no longer waits. To answer the question waiting now, use its own message (its buttons, or the input it gives to paste, which names its execution).".into()
    } else {
        "Nothing to do if the upgrade already ended (its own message says how). If you meant to answer a waiting upgrade, check the target is the upgrade's; after ApprovalExpired, resume with the same input and \"action\": \"switchover\".".into()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::event::Outcome;
    use crate::notify::stages::compose;
    use serde_json::json;
    use std::time::SystemTime;

    fn event(detail: serde_json::Value) -> Event {
        Event::from_map(
            json!({
                "stage": "answer-not-taken",
                "outcome": "info",
                "request": {"action": "approve",
                            "target": {"region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"},
                            "approval": {"by": "slack:U0JANE01 (jane)", "via": "slack"}},
                "detail": detail,
                "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:slack-approve-ab", "name": "slack-approve-ab"}
            })
            .as_object()
            .unwrap(),
        )
    }

    #[test]
    fn a_second_answer_is_information_naming_who_and_why() {
        let m = compose(
            &event(
                json!({"Error": "AlreadyAnswered", "Cause": "The approval wait of 1/eu-west-1/orders (execution orders-1) was already answered: reject by bob."}),
            ),
            SystemTime::now(),
        );
        assert_eq!(m.outcome, Outcome::Info, "no alarm for a late click");
        assert_eq!(m.error, None, "not reported as a failure");
        assert_eq!(m.stage, "answer-not-taken");
        assert_eq!(
            m.headline,
            "approve by slack:U0JANE01 (jane) not taken: already answered"
        );
        assert!(
            m.summary.contains("(via slack) changed nothing")
                && m.summary.contains("reject by bob"),
            "{}",
            m.summary
        );
        assert!(m
            .facts
            .contains(&("Why".to_owned(), "AlreadyAnswered".to_owned())));
    }

    #[test]
    fn an_answer_with_nothing_waiting_says_what_to_check() {
        let m = compose(
            &event(
                json!({"Error": "NothingToApprove", "Cause": "No execution holds 1/eu-west-1/orders."}),
            ),
            SystemTime::now(),
        );
        assert_eq!(m.outcome, Outcome::Info);
        assert!(m
            .headline
            .ends_with("not taken: nothing waits for an approval"));
        assert!(m.summary.contains("No execution holds"), "{}", m.summary);
        assert!(m.next_steps[0].contains("\"action\": \"switchover\""));
    }

    #[test]
    fn an_answer_to_an_earlier_question_says_which_message_to_use() {
        let m = compose(
            &event(
                json!({"Error": "NotThisQuestion", "Cause": "This answer is to the question of execution arn:old, and 1/eu-west-1/orders is now held by execution arn:new."}),
            ),
            SystemTime::now(),
        );
        assert_eq!(m.outcome, Outcome::Info, "no alarm for an old button");
        assert_eq!(m.error, None);
        assert!(
            m.headline
                .ends_with("not taken: it answers an earlier question"),
            "{}",
            m.headline
        );
        assert!(
            m.summary.contains("held by execution arn:new"),
            "{}",
            m.summary
        );
        assert!(m.next_steps[0].contains("its own message"));
    }
}
