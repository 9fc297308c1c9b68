//! A person's answer to an approval wait, as the `approve`/`reject` execution hands it to the
//! waiting one (`SendTaskSuccess`'s output, kept under `$.approval` there and said in the next
//! message). Who started the execution is also in CloudTrail and the execution itself.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::ApprovalFor;
use crate::input::{Action, Approval, Request};
use crate::notify::format::rfc3339;

/// `approve` or `reject`, of which wait, who, how, why and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub decision: Decision,
    /// The wait this answers (`approval.for`, `switchover` when absent): the answering
    /// execution takes only a wait of this purpose, and the waiting one goes on only with an
    /// approve for its own.
    #[serde(rename = "for")]
    pub for_: ApprovalFor,
    /// `approval.by`, or the answering execution's name when absent.
    pub by: String,
    /// `approval.via`, or `step-functions` (a console or CLI StartExecution).
    pub via: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// RFC 3339 UTC.
    pub at: String,
}

/// The two answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Answer {
    /// The answer an `approve`/`reject` request gives; `None` for every other action.
    pub fn of(request: &Request, execution: &str, now: SystemTime) -> Option<Answer> {
        let decision = match request.action {
            Action::Approve => Decision::Approve,
            Action::Reject => Decision::Reject,
            _ => return None,
        };
        Some(Self::given(
            decision,
            request.approval.as_ref(),
            execution,
            now,
        ))
    }

    /// The answer `decision` with what the person gave (`approval`), defaults filled in:
    /// `by` the answering execution's name, `via` Step Functions, `for` the switchover.
    pub fn given(
        decision: Decision,
        approval: Option<&Approval>,
        execution: &str,
        now: SystemTime,
    ) -> Answer {
        let given = approval.cloned().unwrap_or_default();
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Answer {
            decision,
            for_: given.for_.unwrap_or_default(),
            by: nonempty(given.by).unwrap_or_else(|| execution.to_owned()),
            via: nonempty(given.via).unwrap_or_else(|| "step-functions".to_owned()),
            reason: nonempty(given.reason),
            at: rfc3339(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: serde_json::Value) -> Request {
        Request::from_value(v).unwrap()
    }

    #[test]
    fn an_answer_says_who_how_and_when_with_defaults() {
        let target = json!({"region": "us-east-1", "identifier": "orders", "engine": "mysql"});
        let bare = request(json!({"action": "approve", "target": target}));
        let a = Answer::of(&bare, "exec-7", SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(a.decision, Decision::Approve);
        assert_eq!(
            (a.by.as_str(), a.via.as_str()),
            ("exec-7", "step-functions")
        );
        assert_eq!(a.at, "1970-01-01T00:00:00Z");
        assert_eq!(a.reason, None);
        assert_eq!(
            a.for_,
            ApprovalFor::Switchover,
            "an answer without `for` is the switchover's"
        );
        let slack = request(json!({"action": "reject", "target": target,
            "approval": {"by": "slack:U012 (jane)", "via": "slack", "reason": "not tonight", "for": "cleanup"}}));
        let r = Answer::of(&slack, "exec-8", SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"decision": "reject", "for": "cleanup", "by": "slack:U012 (jane)", "via": "slack", "reason": "not tonight", "at": "1970-01-01T00:00:00Z"})
        );
        let upgrade = request(json!({"target": target}));
        assert_eq!(Answer::of(&upgrade, "x", SystemTime::UNIX_EPOCH), None);
    }
}
