//! The question of `cleanupMode: approval`: what the cleanup would delete (old blue by name,
//! ARN and resource ids, its members, the Blue/Green deployment) and the final snapshot it
//! would take first, so the person approves exactly that. delete-old re-reads all of it before
//! deleting anything and refuses when it no longer holds.

use super::event::{answer, Event};
use super::message::Message;
use crate::naming;
use crate::steps::{delete_old::Tracked, poll_status::Verified};

/// Fills the question's headline, summary and facts (`until`: "until <time> (UTC)").
pub fn ask(event: &Event, m: &mut Message, until: &str) {
    let verified: Option<Verified> = event.detail.get("verify").and_then(answer);
    let tracked: Option<Tracked> = answer(&event.deployment);
    let old = verified.as_ref().map(|v| &v.old_blue);
    let name = old.map_or_else(|| "old blue".to_owned(), |o| o.identifier.clone());
    let blue = tracked
        .as_ref()
        .and_then(|t| t.identity.as_ref())
        .map(|i| &i.blue);
    let deployment = tracked.as_ref().map(|t| t.reference.id.clone());
    let snapshot = match (event.request_text(&["options", "finalSnapshot"]).as_deref(), &deployment) {
        (Some("false"), _) => "with no final snapshot (options.finalSnapshot is false; its automated backups are kept)".to_owned(),
        (_, Some(id)) => format!("after a final snapshot, {}", naming::final_snapshot(&name, id)),
        (_, None) => "after a final snapshot".to_owned(),
    };
    let members = old
        .map(|o| o.instances.join(", "))
        .filter(|s| !s.is_empty())
        .map(|s| format!(" with its instances {s}"))
        .unwrap_or_default();
    let then = deployment
        .as_ref()
        .map(|d| format!(", then the Blue/Green deployment {d}"))
        .unwrap_or_default();
    m.headline = format!("switchover done: approve or reject deleting {name}");
    m.summary = format!(
        "Production runs on green, verified, and the grace period has passed. This execution waits for your answer {until} before deleting old blue: {name}{members}{then}, {snapshot}. Approve and it is deleted now. Reject and nothing is deleted: old blue is kept (and costs money until deleted) and the lock is released. With no answer by then it ends ApprovalExpired: nothing deleted, old blue kept, and you are told once; the same input with \"action\": \"cleanup\" deletes it later. Answer with \"approval\": {{\"for\": \"cleanup\"}} (the input below has it): an answer without it is a switchover's and is refused here."
    );
    m.facts.push(("Old blue".into(), name));
    if let Some(o) = old {
        m.facts.push(("Old blue ARN".into(), o.arn.clone()));
    }
    if let Some(b) = blue {
        m.facts
            .push(("Old blue resource id".into(), b.resource_id.clone()));
        if !b.members.is_empty() {
            m.facts
                .push(("Its members' resource ids".into(), b.members.join(", ")));
        }
    }
    if let Some(d) = deployment {
        m.facts.push(("Deployment".into(), d));
    }
    m.facts.push(("Final snapshot".into(), snapshot));
}

#[cfg(test)]
mod tests {
    use crate::notify::event::{Event, Outcome};
    use crate::notify::stages::compose;
    use serde_json::json;
    use std::time::SystemTime;

    fn event(final_snapshot: bool) -> Event {
        Event::from_map(json!({
            "stage": "awaiting-approval",
            "outcome": "action-needed",
            "request": {"target": {"region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"},
                        "options": {"cleanupMode": "approval", "finalSnapshot": final_snapshot, "skipFinalSnapshotAcknowledged": true}},
            "deployment": {"id": "bgd-abc123", "name": "orders-8", "sourceArn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders-old1",
                           "identity": {"kind": "cluster", "blue": {"resourceId": "cluster-BLUE", "members": ["db-B1", "db-B2"]}}},
            "detail": {"mode": "approval", "for": "cleanup", "askedAt": "2026-12-07T06:00:00Z", "approvalTimeoutSeconds": 3600,
                       "verify": {"verified": true,
                                  "production": {"identifier": "orders", "arn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders", "engine": "aurora-mysql", "engineVersion": "8.0", "status": "available", "instances": ["orders-1"]},
                                  "oldBlue": {"identifier": "orders-old1", "arn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders-old1", "engine": "aurora-mysql", "engineVersion": "5.7", "status": "available", "instances": ["orders-1-old1", "orders-2-old1"]}},
                       "approveInput": {"action": "approve", "target": {"identifier": "orders"}, "approval": {"for": "cleanup"}}},
            "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1", "name": "orders-1"}
        }).as_object().unwrap())
    }

    #[test]
    fn the_cleanup_question_names_what_is_deleted_the_snapshot_and_the_deadline() {
        let m = compose(&event(true), SystemTime::now());
        assert_eq!(m.outcome, Outcome::ActionNeeded);
        let buttons = m.buttons.as_ref().expect("Slack's buttons answer it");
        assert_eq!(
            buttons.question.for_(),
            crate::waits::ApprovalFor::Cleanup,
            "bound to the cleanup: a click never answers a switchover's wait"
        );
        assert!(
            m.next_steps[0].contains("Slack's Approve button"),
            "{:?}",
            m.next_steps
        );
        assert_eq!(
            m.headline,
            "switchover done: approve or reject deleting orders-old1"
        );
        for needle in [
            "orders-old1 with its instances orders-1-old1, orders-2-old1",
            "then the Blue/Green deployment bgd-abc123",
            "after a final snapshot, orders-old1-final-abc123",
            "until 2026-12-07T07:00:00Z",
            "ApprovalExpired: nothing deleted, old blue kept",
            "\"action\": \"cleanup\"",
            "\"for\": \"cleanup\"",
        ] {
            assert!(m.summary.contains(needle), "{needle}: {}", m.summary);
        }
        for fact in [
            ("Old blue resource id", "cluster-BLUE"),
            ("Its members' resource ids", "db-B1, db-B2"),
            ("Deployment", "bgd-abc123"),
            ("Answer until", "2026-12-07T07:00:00Z"),
        ] {
            assert!(
                m.facts.contains(&(fact.0.into(), fact.1.into())),
                "{fact:?}: {:?}",
                m.facts
            );
        }
        assert!(
            m.next_steps[1].contains("old blue is kept"),
            "{:?}",
            m.next_steps
        );
        let pasted: serde_json::Value = serde_json::from_str(&m.details.unwrap().body).unwrap();
        assert_eq!(pasted["approval"]["for"], "cleanup");
        let bare = compose(&event(false), SystemTime::now());
        assert!(
            bare.summary.contains("with no final snapshot"),
            "{}",
            bare.summary
        );
    }

    #[test]
    fn the_cleanup_answer_says_what_follows() {
        let mut e = event(true);
        e.outcome = Outcome::Success;
        e.detail = json!({"mode": "approval", "for": "cleanup",
            "approval": {"decision": "approve", "for": "cleanup", "by": "ops@example.com", "via": "cli", "at": "2026-12-07T06:10:00Z"}});
        let m = compose(&e, SystemTime::now());
        assert_eq!(m.headline, "deleting old blue approved by ops@example.com");
        assert!(
            m.summary.contains("Old blue is deleted now"),
            "{}",
            m.summary
        );
        e.detail["approval"]["decision"] = json!("reject");
        let m = compose(&e, SystemTime::now());
        assert_eq!(m.headline, "deleting old blue rejected by ops@example.com");
        assert!(m.summary.contains("old blue is kept"), "{}", m.summary);
        assert!(
            m.summary.contains("\"action\": \"cleanup\""),
            "{}",
            m.summary
        );
    }
}
