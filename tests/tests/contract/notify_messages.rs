//! One message per stage: subject and body name the database, the stage and the outcome,
//! say what happened in that stage's terms and, where a person must act, exactly how.
//! Details are the steps' own answers, built from their Rust types (`answers` below), as the
//! state machine passes them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bluegreen::notify::event::{Event, Stage};
use bluegreen::notify::message::{Message, SUBJECT_MAX_CHARS};
use bluegreen::notify::record::Record;
use bluegreen::notify::stages::{compose, silence};
use serde_json::{json, Value};

/// Step answers as the steps serialize them, for the stages' `detail`.
mod answers {
    use bluegreen::aws::database::DatabaseSummary;
    use bluegreen::aws::deployment::{DeploymentRef, Task};
    use bluegreen::aws::events::SwitchoverTiming;
    use bluegreen::precheck::{Finding, NotChecked, Report, Severity};
    use bluegreen::readiness::Phase;
    use bluegreen::steps::{delete_old, poll_status, switchover, Progress, Tick};
    use serde_json::Value;

    const ARN: &str = "arn:aws:rds:eu-west-1:111122223333:cluster:";

    fn json(value: impl serde::Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    pub fn deployment(source: &str, target: &str) -> DeploymentRef {
        DeploymentRef {
            id: "bgd-abc".into(),
            name: "bg-orders".into(),
            source_arn: format!("{ARN}{source}"),
            target_arn: Some(format!("{ARN}{target}")),
        }
    }

    pub fn finding(id: &str, severity: Severity, message: &str, fix: &str) -> Finding {
        Finding {
            id: id.into(),
            severity,
            message: message.into(),
            fix: fix.into(),
            source: "api".into(),
        }
    }

    pub fn report(findings: Vec<Finding>, not_checked: &[(&str, &str)]) -> Value {
        let blocking = findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
            .count();
        json(Report {
            passed: blocking == 0,
            blocking,
            warnings: findings.len() - blocking,
            findings,
            not_checked: not_checked
                .iter()
                .map(|(id, reason)| NotChecked {
                    id: (*id).into(),
                    reason: (*reason).into(),
                })
                .collect(),
            database: None,
            report: "(the precheck's own text)".into(),
            baseline: None,
        })
    }

    pub fn status(
        phase: Phase,
        tasks: &[(&str, &str)],
        waiting: &[&str],
        attempt: u32,
        wait: u32,
    ) -> Value {
        json(poll_status::Status {
            phase,
            deployment: deployment("orders", "orders-green-x1"),
            status: bluegreen::aws::deployment::DeploymentStatus::Provisioning,
            status_details: None,
            tasks: tasks
                .iter()
                .map(|(name, status)| Task {
                    name: (*name).into(),
                    status: (*status).into(),
                })
                .collect(),
            members: vec![],
            waiting_for: waiting.iter().map(|w| (*w).to_owned()).collect(),
            green_build_seconds: None,
            tick: Tick {
                attempt,
                next_wait_seconds: wait,
            },
        })
    }

    pub fn snapshot(id: Option<&str>, skipped: Option<&str>) -> Value {
        json(switchover::Snapshot {
            state: Progress::Done,
            deployment: deployment("orders", "orders-green-x1"),
            snapshot_id: id.map(str::to_owned),
            snapshot_status: id.map(|_| "available".to_owned()),
            skipped: skipped.map(str::to_owned),
            waiting_for: None,
            awaits: vec![],
            tick: Tick {
                attempt: 1,
                next_wait_seconds: 0,
            },
        })
    }

    pub fn switchover(action: switchover::SwitchoverAction, detail: &str) -> Value {
        json(switchover::Switchover {
            state: Progress::Done,
            action,
            deployment: deployment("orders", "orders-green-x1"),
            detail: detail.into(),
            tick: Tick {
                attempt: 0,
                next_wait_seconds: 0,
            },
        })
    }

    fn database(identifier: &str, version: &str) -> DatabaseSummary {
        DatabaseSummary {
            identifier: identifier.into(),
            arn: format!("{ARN}{identifier}"),
            engine: "aurora-mysql".into(),
            engine_version: version.into(),
            status: "available".into(),
            instances: vec![],
        }
    }

    pub fn verified(seconds: Option<f64>) -> Value {
        json(poll_status::Verified {
            verified: true,
            production: database("orders", "8.0.mysql_aurora.3.08.0"),
            old_blue: database("orders-old1", "8.0.mysql_aurora.3.05.2"),
            switchover: seconds.map(|s| SwitchoverTiming {
                started_at: "2026-12-01T02:00:00Z".into(),
                completed_at: "2026-12-01T02:01:05Z".into(),
                duration_seconds: s,
            }),
            parity: None,
            global: None,
        })
    }

    pub fn deleted(final_snapshot: Option<&str>, deleted: &[&str], source: &str) -> Value {
        json(delete_old::Answer {
            state: Progress::Done,
            step: delete_old::DeletionStep::Complete,
            detail: "done".into(),
            deployment: Some(delete_old::Tracked {
                reference: deployment(source, "orders"),
                identity: None,
            }),
            final_snapshot_id: final_snapshot.map(str::to_owned),
            deleted: deleted.iter().map(|d| (*d).to_owned()).collect(),
            awaits: vec![],
            tick: Tick {
                attempt: 4,
                next_wait_seconds: 0,
            },
        })
    }
}

use bluegreen::precheck::Severity;
use bluegreen::readiness::Phase;
use bluegreen::steps::switchover::SwitchoverAction;

/// 2026-12-01T02:00:00Z.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_090_400)
}

fn request() -> Value {
    json!({
        "action": "upgrade",
        "target": {"accountId": "111122223333", "region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"},
        "options": {"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "gracePeriodSeconds": 7200}
    })
}

fn message(stage: &str, extra: Value) -> Message {
    let mut event = json!({
        "stage": stage,
        "request": request(),
        "deployment": {"id": "bgd-abc", "name": "bg-orders", "sourceArn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders", "targetArn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders-green-x1"},
        "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:bluegreen:run-7", "name": "run-7"}
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    compose(&Event::from_map(event.as_object().unwrap()), now())
}

/// Every message names the database, stage and outcome in subject and body.
fn check_common(m: &Message, stage: &str, outcome: &str) -> (String, String) {
    let (subject, text) = (m.subject(), m.text());
    assert!(subject.contains("orders"), "{subject}");
    assert!(
        subject.chars().count() <= SUBJECT_MAX_CHARS && !subject.contains('\n'),
        "{subject}"
    );
    assert_eq!(m.outcome.name(), outcome, "{stage}");
    assert_eq!(m.stage, stage);
    let fact = |label: &str| {
        m.facts
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        (fact("Database"), fact("Stage"), fact("Outcome")),
        (Some("orders"), Some(stage), Some(outcome)),
        "{text}"
    );
    for shown in ["orders", stage, outcome] {
        assert!(text.contains(shown), "{stage}: text lacks {shown}: {text}");
    }
    (subject, text)
}

#[test]
fn every_named_stage_has_its_own_headline() {
    let mut headlines = std::collections::BTreeSet::new();
    for stage in Stage::KNOWN {
        let m = message(stage.name(), json!({}));
        check_common(&m, stage.name(), stage.default_outcome().name());
        assert!(
            headlines.insert(m.headline.clone()),
            "{} repeats {}",
            stage.name(),
            m.headline
        );
        assert!(
            m.links
                .iter()
                .any(|l| l.url.contains("#database:id=orders;is-cluster=true")),
            "{}",
            stage.name()
        );
    }
}

#[test]
fn started() {
    let (subject, text) = check_common(
        &message("started", json!({"outcome": "info"})),
        "started",
        "info",
    );
    assert_eq!(subject, "[Blue/Green] orders: upgrade started");
    assert!(
        text.contains("target engine version 8.0.mysql_aurora.3.08.0")
            && text.contains("as soon as green is ready"),
        "{text}"
    );
}

#[test]
fn precheck_report_with_warnings() {
    let detail = answers::report(
        vec![answers::finding(
            "backup-retention",
            Severity::Warn,
            "1 day of backups",
            "keep 7 days",
        )],
        &[],
    );
    let (subject, text) = check_common(
        &message(
            "precheck-report",
            json!({"outcome": "warning", "detail": detail}),
        ),
        "precheck-report",
        "warning",
    );
    assert_eq!(
        subject,
        "WARNING [Blue/Green] orders: prechecks passed with 1 warning"
    );
    assert!(
        text.contains("WARN      backup-retention  1 day of backups")
            && text.contains("Fix: keep 7 days"),
        "{text}"
    );
}

#[test]
fn green_creating_shows_progress() {
    let detail = answers::status(
        Phase::Provisioning,
        &[
            ("CREATING_READ_REPLICA_OF_SOURCE", "COMPLETED"),
            ("DB_ENGINE_VERSION_UPGRADE", "IN_PROGRESS"),
        ],
        &["orders-green-x1-1"],
        3,
        60,
    );
    let m = message(
        "green-creating",
        json!({"outcome": "info", "detail": detail}),
    );
    let (subject, text) = check_common(&m, "green-creating", "info");
    assert_eq!(
        subject,
        "[Blue/Green] orders: green environment being created"
    );
    assert!(
        text.contains("1 of 2 tasks completed")
            && text.contains("Waiting for: orders-green-x1-1")
            && text.contains("Next check in 1 min"),
        "{text}"
    );
    assert!(
        text.contains("DB_ENGINE_VERSION_UPGRADE        IN_PROGRESS"),
        "{text}"
    );
}

#[test]
fn green_ready() {
    let (subject, text) = check_common(
        &message("green-ready", json!({"outcome": "success"})),
        "green-ready",
        "success",
    );
    assert_eq!(subject, "[Blue/Green] orders: green environment ready");
    assert!(
        text.contains("Green  ")
            && text.contains("orders-green-x1")
            && text.contains("Switchover follows now"),
        "{text}"
    );
}

#[test]
fn awaiting_approval_says_exactly_how_to_continue() {
    let m = message("awaiting-approval", json!({"outcome": "action-needed"}));
    let (subject, text) = check_common(&m, "awaiting-approval", "action-needed");
    assert_eq!(
        subject,
        "ACTION NEEDED [Blue/Green] orders: green ready: approve the switchover"
    );
    assert!(
        text.contains("aws stepfunctions start-execution --state-machine-arn arn:aws:states:eu-west-1:111122223333:stateMachine:bluegreen --region eu-west-1 --input file://switchover.json"),
        "{text}"
    );
    let input: Value = serde_json::from_str(&m.details.as_ref().unwrap().body).unwrap();
    let mut expected = request();
    expected["action"] = json!("switchover");
    assert_eq!(input, expected, "the same input with the switchover action");
    assert!(
        text.contains("\"action\": \"cleanup\"") && text.contains("\"action\": \"abandon\""),
        "{text}"
    );
}

#[test]
fn snapshot_taken() {
    let detail = answers::snapshot(Some("orders-pre-switchover-abc"), None);
    let (subject, text) = check_common(
        &message(
            "snapshot-taken",
            json!({"outcome": "info", "detail": detail}),
        ),
        "snapshot-taken",
        "info",
    );
    assert_eq!(
        subject,
        "[Blue/Green] orders: blue snapshot orders-pre-switchover-abc taken"
    );
    assert!(text.contains("restore point"), "{text}");
    let skipped = message(
        "snapshot-taken",
        json!({"detail": answers::snapshot(None, Some("options.snapshotBeforeSwitchover is false"))}),
    );
    assert_eq!(skipped.headline, "blue snapshot skipped");
    assert!(
        skipped
            .text()
            .contains("No snapshot of blue was taken before switchover: options.snapshotBeforeSwitchover is false."),
        "{}",
        skipped.text()
    );
}

#[test]
fn switchover_started_and_completed() {
    let requested = answers::switchover(
        SwitchoverAction::SwitchoverRequested,
        "switchover requested",
    );
    let (subject, text) = check_common(
        &message(
            "switchover-started",
            json!({"outcome": "info", "detail": requested}),
        ),
        "switchover-started",
        "info",
    );
    assert_eq!(subject, "[Blue/Green] orders: switchover started");
    assert!(text.contains("more than 300 s, RDS rolls back"), "{text}");
    let resumed = answers::switchover(
        SwitchoverAction::AlreadySwitched,
        "bgd-abc has already switched over",
    );
    let m = message("switchover-started", json!({"detail": resumed}));
    assert_eq!(
        (m.stage.as_str(), m.headline.as_str()),
        (
            "already-switched-over",
            "already switched over at an earlier time, nothing switched now"
        ),
        "without RDS's record the step's answer decides; the time is said to be unread"
    );
    let switching = answers::switchover(
        SwitchoverAction::AlreadySwitching,
        "bgd-abc is already switching over",
    );
    let m = message("switchover-started", json!({"detail": switching}));
    assert_eq!(m.headline, "switchover under way");
    assert!(
        m.summary.contains("no second one is requested")
            && m.summary.contains("bgd-abc is already switching over."),
        "{}",
        m.summary
    );
    let poll = answers::status(Phase::Switched, &[], &[], 2, 0);
    let (subject, text) = check_common(
        &message(
            "switchover-completed",
            json!({"outcome": "success", "detail": poll}),
        ),
        "switchover-completed",
        "success",
    );
    assert_eq!(subject, "[Blue/Green] orders: switchover completed");
    assert!(text.contains("Old blue  "), "{text}");
}

/// An event as notify reads it, with what AWS recorded (`record`) about the stage's work.
fn recorded(stage: &str, extra: Value, record: Record) -> Event {
    let mut event = json!({
        "stage": stage,
        "request": request(),
        "deployment": {"id": "bgd-abc", "name": "bg-orders", "sourceArn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders", "targetArn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders-green-x1"},
        "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:bluegreen:run-8", "name": "run-8", "startTime": "2026-12-07T02:00:00.250Z"}
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    let mut event = Event::from_map(event.as_object().unwrap());
    event.record = record;
    event
}

fn switched_at(completed: &str) -> Record {
    Record {
        read: true,
        switchover_started: Some("2026-12-07T01:10:00Z".into()),
        switchover_completed: Some(completed.into()),
        ..Record::default()
    }
}

/// Issue 19: a re-run that finds the switchover done sends one message, "already switched over
/// at <RDS's time>, nothing switched now", and nothing about a snapshot, a start or a
/// completion that did not happen in it; a switchover made in this execution is told as ever.
#[test]
fn a_switchover_found_done_is_told_once_with_the_time_aws_recorded() {
    let before = switched_at("2026-12-07T01:10:03Z");
    let already = answers::switchover(
        SwitchoverAction::AlreadySwitched,
        "bgd-abc has already switched over",
    );
    let snapshot = answers::snapshot(
        None,
        Some(bluegreen::steps::switchover::SKIPPED_ALREADY_SWITCHED),
    );
    let poll = answers::status(Phase::Switched, &[], &[], 0, 0);
    let stages = [
        recorded(
            "snapshot-taken",
            json!({"detail": snapshot}),
            before.clone(),
        ),
        recorded(
            "switchover-started",
            json!({"detail": already}),
            before.clone(),
        ),
        recorded(
            "switchover-completed",
            json!({"detail": poll}),
            before.clone(),
        ),
    ];
    let sent: Vec<Message> = stages
        .iter()
        .filter(|e| silence(e).is_none())
        .map(|e| compose(e, now()))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let (subject, text) = check_common(&sent[0], "already-switched-over", "info");
    assert_eq!(
        subject,
        "[Blue/Green] orders: already switched over at 2026-12-07T01:10:03Z, nothing switched now"
    );
    assert!(text.contains("made no switchover call"), "{text}");
    assert!(text.contains("RDS-EVENT-0248"), "{text}");

    // An upgrade re-run reaches the same stage with poll-status's answer: the same message.
    let rerun = recorded(
        "switchover-started",
        json!({"detail": poll}),
        before.clone(),
    );
    assert_eq!(compose(&rerun, now()).stage, "already-switched-over");

    // Switched in this execution (RDS's events after its start): started and completed as ever,
    // even when the step answered from a retried call (already-switched).
    let now_switched = Record {
        switchover_started: Some("2026-12-07T02:00:05Z".into()),
        ..switched_at("2026-12-07T02:00:09Z")
    };
    let started = recorded(
        "switchover-started",
        json!({"detail": already}),
        now_switched.clone(),
    );
    assert_eq!(compose(&started, now()).headline, "switchover started");
    let completed = recorded(
        "switchover-completed",
        json!({"detail": poll}),
        now_switched,
    );
    assert!(silence(&completed).is_none());
    assert_eq!(compose(&completed, now()).headline, "switchover completed");
    // AWS not read: nothing is silenced on a guess.
    let unread = recorded(
        "switchover-completed",
        json!({"detail": poll}),
        Record::default(),
    );
    assert!(silence(&unread).is_none());
}

#[test]
fn green_snapshot_and_old_blue_found_done_say_nothing_was_done_now() {
    use bluegreen::aws::identity::{Identity, Side};
    let adopted = serde_json::to_value(bluegreen::steps::create::Created {
        id: "bgd-abc".into(),
        name: "bg-orders".into(),
        source_arn: "arn:aws:rds:eu-west-1:111122223333:cluster:orders".into(),
        target_arn: None,
        status: bluegreen::aws::deployment::DeploymentStatus::Provisioning,
        adopted: true,
        identity: Identity {
            kind: bluegreen::input::Kind::Cluster,
            blue: Side {
                resource_id: "cluster-B".into(),
                members: vec![],
            },
            green: None,
        },
    })
    .unwrap();
    let earlier = Record {
        read: true,
        deployment_created: Some("2026-12-06T23:00:00Z".into()),
        ..Record::default()
    };
    let e = recorded("green-creating", json!({"deployment": adopted}), earlier);
    let (subject, text) = check_common(&compose(&e, now()), "green-already-created", "info");
    assert_eq!(
        subject,
        "[Blue/Green] orders: green already created at 2026-12-06T23:00:00Z, nothing created now"
    );
    assert!(text.contains("created nothing"), "{text}");
    let mut retried = e.clone();
    retried.record.deployment_created = Some("2026-12-07T02:00:05Z".into());
    assert_eq!(
        compose(&retried, now()).stage,
        "green-creating",
        "created in this execution"
    );

    let taken = answers::snapshot(Some("orders-before-switchover"), None);
    let earlier = Record {
        read: true,
        snapshot_created: Some("2026-12-07T01:30:00Z".into()),
        ..Record::default()
    };
    let e = recorded("snapshot-taken", json!({"detail": taken}), earlier);
    let m = compose(&e, now());
    let (_, text) = check_common(&m, "snapshot-already-taken", "info");
    assert_eq!(
        m.headline,
        "blue snapshot orders-before-switchover already taken at 2026-12-07T01:30:00Z, nothing taken now"
    );
    assert!(text.contains("took no snapshot"), "{text}");
    let mut now_taken = e.clone();
    now_taken.record.snapshot_created = Some("2026-12-07T02:00:30Z".into());
    assert_eq!(compose(&now_taken, now()).stage, "snapshot-taken");

    let gone = answers::deleted(Some("orders-old1-final"), &[], "orders-old1");
    let (subject, text) = check_common(
        &message(
            "old-blue-deleted",
            json!({"outcome": "success", "detail": gone}),
        ),
        "old-blue-already-deleted",
        "success",
    );
    assert_eq!(
        subject,
        "[Blue/Green] orders: old blue already deleted, nothing deleted now"
    );
    assert!(text.contains("This execution deleted nothing"), "{text}");
}

#[test]
fn verified_shows_the_version_and_the_switchover_duration_from_rds_events() {
    let (subject, text) = check_common(
        &message(
            "verified",
            json!({"outcome": "success", "detail": answers::verified(Some(1.6))}),
        ),
        "verified",
        "success",
    );
    assert_eq!(
        subject,
        "[Blue/Green] orders: production verified on 8.0.mysql_aurora.3.08.0"
    );
    for expected in [
        "the switchover took 1.6 s. Old blue (orders-old1) is still there.",
        "Switchover took     1.6 s\n",
        "Switchover          2026-12-01T02:00:00Z to 2026-12-01T02:01:05Z\n",
        "Production version  8.0.mysql_aurora.3.08.0\n",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    let unknown = message("verified", json!({"detail": answers::verified(None)})).text();
    assert!(
        unknown.contains("unknown (RDS recorded no switchover events)"),
        "{unknown}"
    );
}

#[test]
fn cleanup_scheduled_says_when_from_the_state_machine_clock() {
    let detail = json!({"gracePeriodSeconds": 7200, "scheduledAt": "2026-12-01T03:00:00.250Z", "verify": answers::verified(Some(3.0))});
    let m = message(
        "cleanup-scheduled",
        json!({"outcome": "info", "detail": detail}),
    );
    let (subject, text) = check_common(&m, "cleanup-scheduled", "info");
    assert_eq!(
        subject, "[Blue/Green] orders: old blue to be deleted at 2026-12-01T05:00:00Z",
        "the grace period's start + 2 h"
    );
    assert!(
        text.contains("orders-old1 is kept for a grace period of 2 h")
            && text.contains("stop this execution before 2026-12-01T05:00:00Z"),
        "{text}"
    );
    let mut keep = request();
    keep["options"]["deleteOldBlue"] = json!(false);
    let kept = message("cleanup-scheduled", json!({"request": keep}));
    assert_eq!(kept.headline, "old blue kept for a later cleanup");
    assert!(kept.next_steps[0].contains("\"action\": \"cleanup\""));
}

#[test]
fn old_blue_deleted_names_the_final_snapshot() {
    let detail = answers::deleted(Some("orders-old1-final-abc"), &["bgd-abc"], "orders-old1");
    let (subject, text) = check_common(
        &message(
            "old-blue-deleted",
            json!({"outcome": "success", "detail": detail}),
        ),
        "old-blue-deleted",
        "success",
    );
    assert_eq!(
        subject,
        "[Blue/Green] orders: old blue deleted (final snapshot orders-old1-final-abc)"
    );
    assert!(
        text.contains("Deleted orders-old1, then the Blue/Green deployment bgd-abc. Final snapshot orders-old1-final-abc keeps its data"),
        "{text}"
    );
    let none = message(
        "old-blue-deleted",
        json!({"detail": answers::deleted(None, &["bgd-abc"], "orders-old1")}),
    );
    assert_eq!(
        none.headline,
        "old blue deleted (no final snapshot: options.finalSnapshot is false)"
    );
}

#[test]
fn done_and_abandoned() {
    let detail = json!({
        "snapshot": answers::snapshot(Some("orders-pre-switchover-abc"), None),
        "verify": answers::verified(Some(42.0)),
        "cleanup": answers::deleted(Some("orders-old1-final-abc"), &["bgd-abc"], "orders-old1"),
    });
    let (subject, text) = check_common(
        &message("done", json!({"outcome": "success", "detail": detail})),
        "done",
        "success",
    );
    assert_eq!(subject, "[Blue/Green] orders: upgrade complete");
    for expected in [
        "production runs on green (8.0.mysql_aurora.3.08.0). Old blue is deleted.",
        "Switchover took",
        "42 s",
        "orders-pre-switchover-abc",
        "orders-old1 deleted",
        "orders-old1-final-abc",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    let (subject, text) = check_common(
        &message(
            "abandoned",
            json!({"outcome": "success", "detail": answers::deleted(None, &["orders-green-x1"], "orders")}),
        ),
        "abandoned",
        "success",
    );
    assert_eq!(
        subject,
        "[Blue/Green] orders: abandoned: green deleted, blue untouched"
    );
    assert!(
        text.contains("bgd-abc") && text.contains("orders-green-x1"),
        "{text}"
    );
}

#[test]
fn dry_run_report_is_a_table_of_findings() {
    let detail = json!({
        "passed": false, "blocking": 1, "warnings": 1,
        "findings": [
            {"id": "binlog-format", "severity": "block", "message": "binlog_format is MIXED", "fix": "set binlog_format to ROW in orders-cpg", "source": "api"},
            {"id": "pending-reboot", "severity": "warn", "message": "parameters pending reboot", "fix": "reboot the writer", "source": "api"}
        ],
        "notChecked": [{"id": "tables-without-primary-key", "reason": "needs SQL access"}],
        "report": "(the precheck's own text)"
    });
    let m = message(
        "dry-run-report",
        json!({"outcome": "warning", "detail": detail}),
    );
    let (subject, text) = check_common(&m, "dry-run-report", "warning");
    assert_eq!(
        subject,
        "WARNING [Blue/Green] orders: dry run: 1 blocking problem and 1 warning"
    );
    let table = &m.details.as_ref().unwrap().body;
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "SEVERITY  CHECK           FINDING");
    assert_eq!(rows[1], "BLOCK     binlog-format   binlog_format is MIXED");
    assert_eq!(
        rows[2].trim(),
        "Fix: set binlog_format to ROW in orders-cpg"
    );
    assert!(rows[3].starts_with("WARN      pending-reboot"), "{table}");
    assert!(
        table.contains("tables-without-primary-key: needs SQL access"),
        "{table}"
    );
    assert!(
        text.contains("nothing was changed") || text.contains("Prechecks only"),
        "{text}"
    );
}

#[test]
fn failed_says_stage_cause_what_is_left_and_what_next() {
    let cause = json!({"errorType": "WaitTimedOut", "errorMessage": "gave up waiting for green after 200 polls. Fix: look at the deployment in the console; raise options.maxPolls to wait longer"}).to_string();
    let m = message(
        "failed",
        json!({"outcome": "failure", "detail": {"failedStage": "green-creating"}, "error": {"Error": "WaitTimedOut", "Cause": cause}}),
    );
    let (subject, text) = check_common(&m, "failed", "failure");
    assert_eq!(
        subject,
        "FAILED [Blue/Green] orders: failed at green-creating: WaitTimedOut"
    );
    assert!(
        text.contains("gave up waiting for green after 200 polls"),
        "the cause: {text}"
    );
    assert!(
        text.contains(
            "Left behind: Blue is untouched and still serves production. Green (bgd-abc) may exist"
        ),
        "{text}"
    );
    assert!(
        text.contains("What to do next:\n1. Open the deployment in the RDS console"),
        "{text}"
    );
    assert!(
        text.contains("\"action\": \"switchover\"") && text.contains("\"action\": \"abandon\""),
        "{text}"
    );
}

#[test]
fn failed_after_switchover_keeps_old_blue() {
    let m = message(
        "failed",
        json!({"detail": {"failedStage": "verify"}, "error": {"Error": "VerificationFailed", "Cause": "{\"errorMessage\": \"verification failed for orders: engine version is 8.0.mysql_aurora.3.05.2\"}"}}),
    );
    let (_, text) = check_common(&m, "failed", "failure");
    assert!(
        text.contains("production runs on green") && text.contains("nothing was deleted"),
        "{text}"
    );
    assert!(text.contains("\"action\": \"cleanup\""), "{text}");
}

#[test]
fn a_failed_precheck_shows_its_findings() {
    let report = answers::report(
        vec![answers::finding(
            "backtrack",
            Severity::Block,
            "backtrack is enabled",
            "disable backtrack",
        )],
        &[],
    );
    let cause =
        json!({"errorType": "PrecheckFailed", "errorMessage": report.to_string()}).to_string();
    let m = message(
        "failed",
        json!({"detail": {"failedStage": "precheck"}, "error": {"Error": "PrecheckFailed", "Cause": cause}}),
    );
    let (_, text) = check_common(&m, "failed", "failure");
    assert!(
        text.contains("Prechecks found 1 blocking problem(s)")
            && text.contains("BLOCK     backtrack  backtrack is enabled"),
        "{text}"
    );
    assert!(
        text.contains("Nothing was changed") && text.contains("Fix each blocking finding"),
        "{text}"
    );
}

#[test]
fn unknown_stages_and_broken_events_still_read_well() {
    let m = message(
        "rollback-started",
        json!({"outcome": "warning", "detail": {"why": "manual"}}),
    );
    let (subject, text) = check_common(&m, "rollback-started", "warning");
    assert_eq!(subject, "WARNING [Blue/Green] orders: rollback started");
    assert!(text.contains("\"why\": \"manual\""), "{text}");

    let event = json!({"stage": "failed", "request": 42, "error": {"Error": "States.Runtime", "Cause": "An error occurred while executing the state 'Notify'"}});
    let m = compose(&Event::from_map(event.as_object().unwrap()), now());
    assert_eq!(
        m.subject(),
        "FAILED [Blue/Green] unknown database: failed at an unknown step: States.Runtime"
    );
    assert!(m
        .text()
        .contains("An error occurred while executing the state 'Notify'"));
    assert!(
        m.links.is_empty(),
        "no Region, no identifier: no made-up links"
    );
}

#[test]
fn a_failure_as_the_state_machine_sends_it_reads_like_failed() {
    // "Notify failure" sends the stage that failed, outcome failure and the caught error.
    let cause = json!({"errorType": "DeploymentFailed", "errorMessage": "Blue/Green deployment bgd-abc failed: INVALID_CONFIGURATION: replication stopped"}).to_string();
    let m = message(
        "green-creating",
        json!({"outcome": "failure", "error": {"Error": "DeploymentFailed", "Cause": cause}}),
    );
    let (subject, text) = check_common(&m, "green-creating", "failure");
    assert_eq!(
        subject,
        "FAILED [Blue/Green] orders: failed at green-creating: DeploymentFailed"
    );
    assert!(
        text.contains("INVALID_CONFIGURATION: replication stopped")
            && text.contains("Left behind: Blue is untouched"),
        "{text}"
    );
    assert!(
        text.contains("What to do next:\n1. Open the deployment"),
        "{text}"
    );
    assert_eq!(m.error.as_deref(), Some("DeploymentFailed"));

    let m = message(
        "done",
        json!({"outcome": "failure", "error": {"Error": "States.Timeout", "Cause": "timed out"}}),
    );
    assert!(
        m.text().contains("only its final step failed"),
        "{}",
        m.text()
    );
    // A warning that carries an error keeps its own stage's message and shows the error.
    let m = message(
        "verified",
        json!({"outcome": "warning", "error": {"Error": "NotReady", "Cause": "members settling"}}),
    );
    assert!(
        m.headline.starts_with("production verified")
            && m.text().contains("Error: NotReady: members settling"),
        "{}",
        m.text()
    );
}
