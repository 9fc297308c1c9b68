//! Which wait loop a task's call read for, told from what the call was asked (its
//! `TaskScheduled` parameters in the execution's history: the function's event,
//! docs/step-contracts.md), not from state names, so a loop's reads count the same however its
//! states are arranged.
//!
//! A loop's reads are every call of its step, which carries the loop's `poll` counter (`Poll
//! green`, `Snapshot blue`, `Poll switchover`, `Delete old blue`, `Abandon green`), and every
//! read a listening wait makes before it waits (`operation: wait` with `wait.recheck`: the
//! green and switchover waits), whatever then ended the wait (an RDS event, the fallback timer,
//! `WaitOver`, `WokenEarly`). A retried call read again, so it counts again. The waits that
//! only store their token (snapshot, deletion, approval) read nothing.

use serde_json::Value;

use crate::notify::event::Stage;

/// The loop `parameters` (a `TaskScheduled` event's JSON text) read for, named by the stage
/// that ends it (the `Polls` metric's `Stage`); `None` for every other task.
pub fn loop_of(parameters: &str) -> Option<Stage> {
    let parameters: Value = serde_json::from_str(parameters).ok()?;
    let event = parameters.get("Payload")?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let operation = text(event.get("operation"));
    if operation.as_deref() == Some("wait") {
        let wait = event.get("wait")?;
        wait.get("recheck").filter(|r| !r.is_null())?;
        return match text(wait.get("purpose"))?.as_str() {
            "green" => Some(Stage::GreenCreating),
            "switchover" => Some(Stage::SwitchoverCompleted),
            _ => None,
        };
    }
    event.get("poll")?;
    let switchover = event.get("switchoverRequestedAfter").is_some();
    match operation.as_deref()? {
        "status" if switchover => Some(Stage::SwitchoverCompleted),
        "status" => Some(Stage::GreenCreating),
        "snapshot-blue" => Some(Stage::SnapshotTaken),
        "cleanup" => Some(Stage::OldBlueDeleted),
        "abandon" => Some(Stage::Abandoned),
        // `switchover` starts the switchover (its poll counts the calls RDS refused): no read.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(payload: Value) -> Option<Stage> {
        loop_of(
            &json!({"FunctionName": "arn:aws:lambda:eu-west-1:1:function:f", "Payload": payload})
                .to_string(),
        )
    }

    #[test]
    fn each_loops_step_and_rechecking_wait_is_a_read() {
        let poll = json!({"attempt": 2});
        for (payload, stage) in [
            (
                json!({"operation": "status", "poll": poll}),
                "green-creating",
            ),
            (
                json!({"operation": "wait", "wait": {"purpose": "green", "token": "t", "recheck": {"attempt": 3}}}),
                "green-creating",
            ),
            (
                json!({"operation": "status", "poll": poll, "switchoverRequestedAfter": "2026-12-07T10:00:00Z"}),
                "switchover-completed",
            ),
            (
                json!({"operation": "wait", "switchoverRequestedAfter": "2026-12-07T10:00:00Z", "wait": {"purpose": "switchover", "recheck": {"attempt": 0}}}),
                "switchover-completed",
            ),
            (
                json!({"operation": "snapshot-blue", "poll": poll}),
                "snapshot-taken",
            ),
            (
                json!({"operation": "cleanup", "poll": poll}),
                "old-blue-deleted",
            ),
            (json!({"operation": "abandon", "poll": poll}), "abandoned"),
        ] {
            assert_eq!(
                of(payload.clone()).as_ref().map(Stage::name),
                Some(stage),
                "{payload}"
            );
        }
    }

    #[test]
    fn waits_that_only_store_their_token_and_other_calls_are_not() {
        for payload in [
            json!({"operation": "wait", "wait": {"purpose": "green"}}),
            json!({"operation": "wait", "wait": {"purpose": "green", "recheck": null}}),
            json!({"operation": "wait", "wait": {"purpose": "snapshot", "resources": []}}),
            json!({"operation": "wait", "wait": {"purpose": "deletion"}}),
            json!({"operation": "wait", "wait": {"purpose": "approval-switchover"}}),
            json!({"operation": "status", "request": {"action": "status"}}),
            json!({"operation": "verify"}),
            json!({"operation": "switchover", "poll": {"attempt": 0}}),
            json!({"stage": "done", "outcome": "success"}),
        ] {
            assert_eq!(of(payload.clone()), None, "{payload}");
        }
        for text in [
            "not json",
            r#"{"TableName": "locks", "Key": {}}"#,
            r#"{"Payload": "a string"}"#,
        ] {
            assert_eq!(loop_of(text), None, "{text}");
        }
    }
}
