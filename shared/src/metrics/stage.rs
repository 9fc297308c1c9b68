//! The metrics of the workflow's stages, from the events notify receives: notify sees every
//! stage and the execution, so each fact is measured once, where it is known.
//!
//! | stage | metrics |
//! |---|---|
//! | `green-ready` | TimeToReady, Polls (green-creating) |
//! | `snapshot-taken`, `switchover-completed`, `old-blue-deleted`, `abandoned` | Polls of the loop that ended |
//! | `verified` | SwitchoverDuration |
//! | `old-blue-deleted` | CleanupTime |
//! | `done`, `abandoned` | UpgradeTime, Outcomes |
//! | `awaiting-approval`, `dry-run-report` | Outcomes |
//! | a failure the state machine caught | Outcomes, Failures |
//!
//! A loop's Polls are its status reads as the execution's history counts them
//! ([`super::history`]: every call of the loop's step and every read its wait made before
//! waiting), so the events that end a loop read the history ([`reads_history`]).
//!
//! The safety net's `execution-ended` adds nothing: AWS/States' ExecutionsFailed, TimedOut and
//! Aborted count those ends already, and the failure path would count one twice.

use std::time::SystemTime;

use serde_json::{Map, Value};

use super::catalog::{
    CLEANUP_TIME, FAILURES, OUTCOMES, POLLS, SWITCHOVER_DURATION, TIME_TO_READY, UPGRADE_TIME,
};
use super::emf::Point;
use super::figures::{cleanup_began, seconds_at, since, Figures};
use super::history::Tally;
use crate::notify::event::{text_at, Event, Outcome, Stage};

/// What an event measures: the points to emit, and the figures of an end.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub points: Vec<Point>,
    /// Present at an end (done, abandoned, awaiting-approval, a failure).
    pub figures: Option<Figures>,
}

/// Whether what `event` measures needs the execution's history: it ends a wait loop (its
/// Polls) or the execution (its figures).
pub fn reads_history(event: &Event) -> bool {
    ending(event).is_some() || loop_ended(event).is_some()
}

/// A failure the state machine caught and reports (not the safety net's end).
fn failed(event: &Event) -> bool {
    event.outcome == Outcome::Failure
        && (event.error.is_some() || event.stage == Stage::Failed)
        && event.stage != Stage::ExecutionEnded
}

/// How the event ends the execution (the outcome it counts), if it is an end.
fn ending(event: &Event) -> Option<&'static str> {
    if failed(event) {
        return Some(Outcome::Failure.name());
    }
    match &event.stage {
        Stage::Done | Stage::Abandoned => Some(Outcome::Success.name()),
        Stage::AwaitingApproval => Some(Outcome::ActionNeeded.name()),
        Stage::DryRunReport => Some(event.outcome.name()),
        _ => None,
    }
}

/// The wait loop whose end the event reports, named by the stage its Polls carry.
fn loop_ended(event: &Event) -> Option<Stage> {
    match &event.stage {
        _ if failed(event) => None,
        Stage::GreenReady => Some(Stage::GreenCreating),
        s @ (Stage::SnapshotTaken
        | Stage::SwitchoverCompleted
        | Stage::OldBlueDeleted
        | Stage::Abandoned) => Some(s.clone()),
        _ => None,
    }
}

/// Reads the event (`raw` is the event as sent, for `stageSince`) at `now`, with the
/// execution's history when [`reads_history`] asked for it (`None`: not read, or unreadable).
pub fn observe(
    raw: &Map<String, Value>,
    event: &Event,
    now: SystemTime,
    history: Option<&Tally>,
) -> Observed {
    let engine = event.target.engine.clone().unwrap_or_default();
    let action = event.action();
    let start = event.execution.start_time.as_deref();
    let d = &event.detail;
    let mut points = Vec::new();
    let failed = failed(event);
    let ended = ending(event);
    if let (Some(stage), Some(history)) = (loop_ended(event), history) {
        if let Some(reads) = history.polls.get(stage.name()) {
            points.push(Point::new(&POLLS, *reads as f64, &[stage.name()]));
        }
    }
    let mut seconds = |metric, value: Option<f64>, dims: &[&str]| {
        if let Some(v) = value {
            points.push(Point::new(metric, v, dims));
        }
    };
    match &event.stage {
        // GreenBuildTime is poll-status's: it reads RDS's CreateTime.
        Stage::GreenReady if !failed => seconds(&TIME_TO_READY, since(start, now), &[&engine]),
        Stage::Verified if !failed => seconds(
            &SWITCHOVER_DURATION,
            seconds_at(d, &["switchover", "durationSeconds"]),
            &[&engine],
        ),
        Stage::OldBlueDeleted if !failed => {
            let noted = text_at(&Value::Object(raw.clone()), &["stageSince"]);
            let from = cleanup_began(noted, event);
            seconds(&CLEANUP_TIME, since(from.as_deref(), now), &[&engine]);
        }
        Stage::Done | Stage::Abandoned if !failed => {
            seconds(&UPGRADE_TIME, since(start, now), &[&engine, &action])
        }
        _ => {}
    }
    if let Some(outcome) = ended {
        points.push(Point::new(&OUTCOMES, 1.0, &[&action, outcome]));
    }
    if failed {
        let error = event
            .error
            .as_ref()
            .map(|c| c.name.as_str())
            .unwrap_or("UnknownError");
        points.push(Point::new(&FAILURES, 1.0, &[error]));
    }
    let figures = ended.map(|_| Figures::of_end(event, now));
    let execution = event.execution.name.as_deref();
    let database = event.target.identifier.as_deref();
    let points = points
        .into_iter()
        .map(|p| p.with("execution", execution).with("database", database))
        .collect();
    Observed { points, figures }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::format::parse_rfc3339;
    use serde_json::json;
    use std::time::Duration;

    const START: &str = "2026-12-07T01:00:00Z";

    /// The loops' reads the execution's history counted (`history::tests` shows the count).
    fn history() -> Tally {
        let mut t = Tally::default();
        t.polls = [
            ("green-creating", 14),
            ("snapshot-taken", 2),
            ("old-blue-deleted", 3),
            ("abandoned", 1),
        ]
        .into_iter()
        .map(|(stage, n)| (stage.to_owned(), n))
        .collect();
        t
    }

    fn observe_at(value: Value, after: u64) -> Observed {
        observe_with(value, after, Some(&history()))
    }

    fn observe_with(value: Value, after: u64, history: Option<&Tally>) -> Observed {
        let map = value.as_object().unwrap().clone();
        let event = Event::from_map(&map);
        observe(
            &map,
            &event,
            parse_rfc3339(START).unwrap() + Duration::from_secs(after),
            history,
        )
    }

    fn base(stage: &str, detail: Value) -> Value {
        json!({
            "stage": stage,
            "request": {"action": "upgrade", "target": {"identifier": "orders", "engine": "aurora-mysql", "region": "eu-west-1"}},
            "detail": detail,
            "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:bg:run", "startTime": START}
        })
    }

    /// `(metric, dimension values, value)` of each point.
    fn summary(o: &Observed) -> Vec<(&'static str, Vec<String>, f64)> {
        o.points
            .iter()
            .map(|p| (p.metric.name, p.dimensions.clone(), p.value))
            .collect()
    }

    fn dims(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    /// The green loop's Polls are every read the history counted (the wait's reads before it
    /// waited included), not the poll step's `attempt` alone.
    #[test]
    fn green_ready_measures_the_wait() {
        let ready = base(
            "green-ready",
            json!({"phase": "ready", "attempt": 6, "greenBuildSeconds": 3500.0}),
        );
        let event = Event::from_map(ready.as_object().unwrap());
        assert!(reads_history(&event), "the end of a loop");
        let o = observe_at(ready.clone(), 3600);
        assert_eq!(
            summary(&o),
            vec![
                ("Polls", dims(&["green-creating"]), 14.0),
                ("TimeToReady", dims(&["aurora-mysql"]), 3600.0),
            ]
        );
        assert_eq!(o.figures, None, "not an end");
        assert_eq!(
            summary(&observe_with(ready, 3600, None)),
            vec![("TimeToReady", dims(&["aurora-mysql"]), 3600.0)],
            "no history, no count rather than a wrong one"
        );
        let verified = base("verified", json!({}));
        assert!(!reads_history(&Event::from_map(
            verified.as_object().unwrap()
        )));
    }

    #[test]
    fn verified_gives_rds_switchover_time() {
        let o = observe_at(
            base(
                "verified",
                json!({"verified": true, "switchover": {"durationSeconds": 3.5}}),
            ),
            10,
        );
        assert_eq!(
            summary(&o),
            vec![("SwitchoverDuration", dims(&["aurora-mysql"]), 3.5)]
        );
        let none = observe_at(base("verified", json!({"switchover": null})), 10);
        assert!(none.points.is_empty(), "no RDS events, no metric");
    }

    #[test]
    fn cleanup_time_needs_a_known_start() {
        let mut e = base("old-blue-deleted", json!({"state": "done", "attempt": 3}));
        let o = observe_at(e.clone(), 500);
        assert_eq!(
            summary(&o),
            vec![("Polls", dims(&["old-blue-deleted"]), 3.0)],
            "an upgrade's cleanup starts after the grace period: unknown without stageSince"
        );
        e["stageSince"] = json!("2026-12-07T01:05:00Z");
        assert_eq!(
            summary(&observe_at(e.clone(), 500))[1],
            ("CleanupTime", dims(&["aurora-mysql"]), 200.0)
        );
        e.as_object_mut().unwrap().remove("stageSince");
        e["request"]["action"] = json!("cleanup");
        assert_eq!(
            summary(&observe_at(e, 500))[1],
            ("CleanupTime", dims(&["aurora-mysql"]), 500.0)
        );
    }

    #[test]
    fn done_counts_the_outcome_and_carries_the_figures() {
        let o = observe_at(
            base(
                "done",
                json!({"snapshot": {"attempt": 1}, "verify": {"switchover": {"durationSeconds": 2.0}}, "cleanup": {"attempt": 2}}),
            ),
            90_000,
        );
        assert_eq!(
            summary(&o),
            vec![
                ("UpgradeTime", dims(&["aurora-mysql", "upgrade"]), 90_000.0),
                ("Outcomes", dims(&["upgrade", "success"]), 1.0),
            ]
        );
        let f = o.figures.unwrap();
        assert_eq!(
            (f.total_seconds, f.switchover_seconds, f.polls),
            (Some(90_000.0), Some(2.0), None),
            "polls are the history's (Figures::with_history), not the loops' attempts"
        );
    }

    #[test]
    fn a_failure_counts_its_error_name_once() {
        let mut e = base("green-creating", Value::Null);
        e["outcome"] = json!("failure");
        e["error"] = json!({"Error": "DeploymentFailed", "Cause": "green failed"});
        let o = observe_at(e.clone(), 60);
        assert_eq!(
            summary(&o),
            vec![
                ("Outcomes", dims(&["upgrade", "failure"]), 1.0),
                ("Failures", dims(&["DeploymentFailed"]), 1.0),
            ]
        );
        assert_eq!(o.figures.unwrap().total_seconds, Some(60.0));
        e["stage"] = json!("execution-ended");
        assert!(
            observe_at(e, 60).points.is_empty(),
            "the safety net adds nothing"
        );
    }

    #[test]
    fn ready_for_switchover_and_dry_runs_are_outcomes() {
        let o = observe_at(
            base(
                "awaiting-approval",
                json!({"greenPoll": {"attempt": 5, "greenBuildSeconds": 900.0}}),
            ),
            1000,
        );
        assert_eq!(
            summary(&o),
            vec![("Outcomes", dims(&["upgrade", "action-needed"]), 1.0)]
        );
        assert_eq!(o.figures.unwrap().green_build_seconds, Some(900.0));
        let mut dry = base("dry-run-report", json!({"passed": false}));
        dry["request"]["action"] = json!("dry-run");
        dry["outcome"] = json!("warning");
        assert_eq!(
            summary(&observe_at(dry, 5)),
            vec![("Outcomes", dims(&["dry-run", "warning"]), 1.0)]
        );
    }

    #[test]
    fn every_point_matches_its_definition() {
        for (stage, detail) in [
            (
                "green-ready",
                json!({"attempt": 1, "greenBuildSeconds": 1.0}),
            ),
            ("verified", json!({"switchover": {"durationSeconds": 1.0}})),
            ("done", json!({})),
            ("abandoned", json!({"attempt": 1})),
        ] {
            for p in observe_at(base(stage, detail), 5).points {
                assert!(p.document(SystemTime::now()).is_some(), "{p:?}");
            }
        }
    }
}
