//! A person's answer to a fleet waiting between waves (`waves.approveBetweenWaves`): an
//! execution of the fleet state machine started with
//! `{"action": "approve"|"reject", "fleet": "<name>", "approval": {"by": ..., "reason": ...}}`,
//! so IAM on StartExecution decides who may answer and CloudTrail records who did. The state
//! machine takes the wait off the fleet's item (`fleet/<name>` in the lock table) in one
//! conditional write and answers its token; this module only checks the input and makes the
//! answer, before anything is written.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::request::FleetRequest;
use crate::error::Error;
use crate::input::Approval;
use crate::waits::{Answer, ApprovalFor, Decision};

/// The lock-table key of a fleet's wait: two parts, so the board (which reads
/// `account/region/identifier` keys) never takes it for a database.
pub fn wait_key(fleet: &str) -> String {
    format!("fleet/{fleet}")
}

/// What an answering execution carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FleetAnswerInput {
    action: Decision,
    fleet: String,
    #[serde(default)]
    approval: Option<Approval>,
}

/// What the state machine uses: the item's key and the answer handed to the waiting fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAnswer {
    pub key: String,
    pub answer: Answer,
}

/// Whether a fleet state machine input answers a wait (rather than runs a fleet).
pub fn is_answer(input: &Value) -> bool {
    matches!(
        input.get("action").and_then(Value::as_str),
        Some("approve" | "reject")
    )
}

impl FleetAnswer {
    /// Checks an answer and makes it; `InvalidInput` names the field and the fix.
    pub fn from_value(input: Value, execution: &str, now: SystemTime) -> Result<Self, Error> {
        let given: FleetAnswerInput = crate::input::deserialize(
            input,
            "give {\"action\": \"approve\" or \"reject\", \"fleet\": \"<name>\", \"approval\": {\"by\": \"...\", \"reason\": \"...\"}} (docs/fleet.md, Approval between waves)",
        )?;
        FleetRequest::check_name(&given.fleet)?;
        if let Some(approval) = &given.approval {
            if approval.for_.is_some_and(|f| f != ApprovalFor::Wave) {
                return Err(Error::invalid(
                    "approval.for",
                    "names a database's wait, and a fleet waits only between waves",
                    "leave approval.for out (or give `wave`); a database's wait is answered on the per-database state machine",
                ));
            }
            approval.check()?;
        }
        let mut answer = Answer::given(given.action, given.approval.as_ref(), execution, now);
        answer.for_ = ApprovalFor::Wave;
        Ok(FleetAnswer {
            key: wait_key(&given.fleet),
            answer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(v: Value) -> Result<FleetAnswer, Error> {
        FleetAnswer::from_value(v, "exec-1", SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn an_answer_names_the_fleet_and_who() {
        let a = answer(json!({"action": "approve", "fleet": "pg16-dec", "approval": {"by": "jane", "reason": "wave 1 looks fine"}})).unwrap();
        assert_eq!(a.key, "fleet/pg16-dec");
        assert_eq!(
            serde_json::to_value(&a.answer).unwrap(),
            json!({"decision": "approve", "for": "wave", "by": "jane", "via": "step-functions", "reason": "wave 1 looks fine", "at": "1970-01-01T00:00:00Z"})
        );
        let bare = answer(json!({"action": "reject", "fleet": "f"})).unwrap();
        assert_eq!(bare.answer.decision, Decision::Reject);
        assert_eq!(
            bare.answer.by, "exec-1",
            "the answering execution when no by"
        );
        // The asking execution binds the take (the state machine reads it from the input);
        // the answer handed to the fleet stays the same.
        let bound = answer(json!({"action": "approve", "fleet": "f", "approval": {"execution": "arn:aws:states:eu-west-1:111122223333:execution:hub-fleet:f-2"}})).unwrap();
        assert_eq!(bound.answer.decision, Decision::Approve);
        assert!(is_answer(&json!({"action": "reject", "fleet": "f"})));
        assert!(!is_answer(&json!({"action": "upgrade", "fleet": "f"})));
        assert!(!is_answer(&json!({"fleet": "f"})));
    }

    #[test]
    fn a_bad_answer_names_the_field() {
        for (input, field) in [
            (json!({"action": "approve"}), "fleet"),
            (json!({"action": "approve", "fleet": "no spaces"}), "fleet"),
            (
                json!({"action": "approve", "fleet": "f", "targets": []}),
                "targets",
            ),
            (
                json!({"action": "approve", "fleet": "f", "approval": {"for": "cleanup"}}),
                "approval.for",
            ),
            (
                json!({"action": "approve", "fleet": "f", "approval": {"by": "x".repeat(501)}}),
                "approval.by",
            ),
            (
                json!({"action": "approve", "fleet": "f", "approval": {"execution": "pg16-dec-1"}}),
                "approval.execution",
            ),
        ] {
            let e = answer(input.clone()).unwrap_err();
            assert_eq!(e.name(), "InvalidInput", "{input}");
            assert!(e.to_string().contains(field), "{input}: {e}");
        }
    }
}
