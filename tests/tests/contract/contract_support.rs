//! Every answer each step can give, built from the steps' own Rust answer types, for the
//! contract test: what the state machine reads must exist in every one of them.
//!
//! Each enum a step answers with is listed through an exhaustive `match`, so a new variant
//! does not compile until it is added here (and so tested against the definition).

use bluegreen::aws::database::DatabaseSummary;
use bluegreen::aws::deployment::{DeploymentRef, DeploymentStatus, Member, Task};
use bluegreen::aws::events::SwitchoverTiming;
use bluegreen::precheck::{Finding, NotChecked, Report, Severity};
use bluegreen::readiness::Phase;
use bluegreen::steps::{create, delete_old, poll_status, switchover, Progress, Tick};
use serde::Serialize;
use serde_json::Value;

const SOURCE: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";
const TARGET: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-green-abc";
const OLD: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-old1";

/// One answer of one step, with a name for messages.
pub struct Answer {
    pub variant: String,
    pub json: Value,
}

fn answer(variant: impl Into<String>, value: impl Serialize) -> Answer {
    Answer {
        variant: variant.into(),
        json: serde_json::to_value(value).expect("an answer serializes"),
    }
}

/// Every answer of `function` for `operation` (`""` when the function has none).
pub fn answers(function: &str, operation: &str) -> Vec<Answer> {
    match (function, operation) {
        ("precheck", "") => precheck(),
        ("precheck", "identify") => identify(),
        ("create", "") => create(),
        ("poll-status", "status") => status(),
        ("poll-status", "verify") => verify(),
        ("poll-status", "hook-payload") => hook_payload(),
        ("switchover", "snapshot-blue") => snapshot(),
        ("switchover", "switchover") => switchover(),
        ("switchover", "restore-roles") => restore_roles(),
        ("precheck", "status") => board(),
        ("delete-old", "cleanup" | "abandon") => delete_old(),
        ("notify", "") => notify_at_an_end(),
        other => panic!("no answers listed for {other:?}"),
    }
}

/// notify's answer at an end: the channels' delivery (or why it sent nothing) and the
/// upgrade's figures as `Figures::answer` writes them, measured or not.
fn notify_at_an_end() -> Vec<Answer> {
    use bluegreen::metrics::Figures;
    let measured = Figures {
        green_build_seconds: Some(3600.0),
        switchover_seconds: Some(3.5),
        cleanup_seconds: Some(120.0),
        total_seconds: Some(4000.0),
        polls: Some(30),
        state_transitions: Some(95),
        rds_calls: Some(120),
    };
    let delivered = |f: &Figures| {
        serde_json::json!({
            "sns": {"delivered": true, "messageId": "m-1"},
            "slack": {"status": "disabled"},
            "figures": f.answer()
        })
    };
    vec![
        answer("delivered, every figure measured", delivered(&measured)),
        answer(
            "delivered, nothing measured",
            delivered(&Figures::default()),
        ),
        answer(
            "not sent (notifications: failures)",
            serde_json::json!({"skipped": "options.notifications is `failures`", "figures": measured.answer()}),
        ),
    ]
}

fn hook_payload() -> Vec<Answer> {
    use bluegreen::hooks::payload::{HookCall, HookPayload, Side};
    use bluegreen::hooks::{Hook, HookStage};
    let side = |identifier: &str, arn: &str, version: &str| Side {
        identifier: identifier.into(),
        arn: arn.into(),
        endpoint: Some(format!("{identifier}.abc.us-east-1.rds.amazonaws.com")),
        port: Some(5432),
        engine_version: version.into(),
    };
    let hook = Hook {
        target: "arn:aws:lambda:us-east-1:123456789012:function:analyze".into(),
        timeout_seconds: 300,
    };
    let call = HookCall {
        kind: hook.kind(),
        hook: Some(hook),
        payload: Some(HookPayload {
            stage: HookStage::AfterSwitchover,
            database: "orders".into(),
            engine: "postgres".into(),
            account_id: Some("123456789012".into()),
            region: "us-east-1".into(),
            deployment: deployment(Some(SOURCE), OLD),
            blue: side("orders-old1", OLD, "15.10"),
            green: side("orders", SOURCE, "16.4"),
            execution: Some("run-1".into()),
        }),
    };
    let none = HookCall {
        hook: None,
        kind: None,
        payload: None,
    };
    vec![answer("a hook", call), answer("no hook at the stage", none)]
}

fn restore_roles() -> Vec<Answer> {
    use bluegreen::steps::restore_roles::RolesRestored;
    let restored = |added: Vec<String>, skipped: Option<String>| RolesRestored {
        state: Progress::Done,
        production: "orders".into(),
        roles: vec!["arn:aws:iam::123456789012:role/s3-import (s3Import)".into()],
        added,
        skipped,
    };
    vec![
        answer("restored", restored(vec!["s3-import".into()], None)),
        answer("already there", restored(vec![], None)),
        answer(
            "not asked",
            restored(
                vec![],
                Some("options.restoreAssociatedRoles is false".into()),
            ),
        ),
    ]
}

fn board() -> Vec<Answer> {
    let board = bluegreen::board::Board {
        table: "locks".into(),
        stale_after_seconds: 86_400,
        in_flight: vec![],
        stale: vec![],
        by_stage: Default::default(),
    };
    vec![answer("board", board)]
}

fn identify() -> Vec<Answer> {
    let request = serde_json::json!({"target": {"region": "us-east-1", "identifier": "Orders", "engine": "aurora-mysql"}});
    let hub = || async { Ok("123456789012".to_owned()) };
    let identified = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(bluegreen::lock::identify::identify(
            &request,
            "exec",
            std::time::SystemTime::now(),
            hub,
        ))
        .expect("a valid request is identified");
    vec![answer("identified", identified)]
}

fn deployment(target: Option<&str>, source: &str) -> DeploymentRef {
    DeploymentRef {
        id: "bgd-1".into(),
        name: "bg-orders".into(),
        source_arn: source.into(),
        target_arn: target.map(str::to_owned),
    }
}

fn tick(next_wait_seconds: u32) -> Tick {
    Tick {
        attempt: 3,
        next_wait_seconds,
    }
}

fn database(identifier: &str) -> DatabaseSummary {
    DatabaseSummary {
        identifier: identifier.into(),
        arn: format!("arn:aws:rds:us-east-1:123456789012:cluster:{identifier}"),
        engine: "aurora-mysql".into(),
        engine_version: "8.0.mysql_aurora.3.08.0".into(),
        status: "available".into(),
        instances: vec![format!("{identifier}-0")],
    }
}

fn precheck() -> Vec<Answer> {
    let finding = |severity| Finding {
        id: "binlog-format".into(),
        severity,
        message: "binlog_format is OFF".into(),
        fix: "set ROW".into(),
        source: "AWS".into(),
    };
    let passed = Report {
        passed: true,
        blocking: 0,
        warnings: 1,
        findings: vec![finding(Severity::Warn)],
        not_checked: vec![NotChecked {
            id: "long-transactions".into(),
            reason: "needs SQL".into(),
        }],
        database: Some(database("orders")),
        report: "table".into(),
        baseline: None,
    };
    let blocked = Report {
        passed: false,
        blocking: 1,
        warnings: 0,
        findings: vec![finding(Severity::Block)],
        not_checked: vec![],
        database: None,
        report: "table".into(),
        baseline: None,
    };
    vec![
        answer("passed", passed),
        answer("blocked (dry run)", blocked),
    ]
}

fn create() -> Vec<Answer> {
    [(false, None), (true, Some(TARGET))]
        .into_iter()
        .map(|(adopted, target)| {
            answer(
                format!("adopted={adopted}, target={target:?}"),
                create::Created {
                    id: "bgd-1".into(),
                    name: "bg-orders".into(),
                    source_arn: SOURCE.into(),
                    target_arn: target.map(str::to_owned),
                    status: DeploymentStatus::Provisioning,
                    adopted,
                    identity: identity(target.is_some()),
                },
            )
        })
        .collect()
}

/// Blue's recorded resource ids, and green's once AWS has named it.
fn identity(green_named: bool) -> bluegreen::aws::identity::Identity {
    use bluegreen::aws::identity::{Identity, Side};
    let side = |id: &str| Side {
        resource_id: id.into(),
        members: vec![format!("{id}-member")],
    };
    Identity {
        kind: bluegreen::input::Kind::Cluster,
        blue: side("cluster-BLUE"),
        green: green_named.then(|| side("cluster-GREEN")),
    }
}

/// Every phase poll-status answers.
pub fn phases() -> Vec<Phase> {
    let all = [
        Phase::Provisioning,
        Phase::Ready,
        Phase::Switching,
        Phase::Switched,
    ];
    for phase in all {
        match phase {
            Phase::Provisioning | Phase::Ready | Phase::Switching | Phase::Switched => {}
        }
    }
    all.to_vec()
}

fn status() -> Vec<Answer> {
    let mut out = Vec::new();
    for phase in phases() {
        for details in [None, Some("replication degraded")] {
            let waiting = matches!(phase, Phase::Provisioning | Phase::Switching);
            out.push(answer(
                format!("{phase:?}, statusDetails={details:?}"),
                poll_status::Status {
                    phase,
                    deployment: deployment(details.map(|_| TARGET), SOURCE),
                    status: DeploymentStatus::Available,
                    status_details: details.map(str::to_owned),
                    tasks: vec![Task {
                        name: "CREATING_READ_REPLICA_OF_SOURCE".into(),
                        status: "COMPLETED".into(),
                    }],
                    members: vec![Member {
                        source: SOURCE.into(),
                        target: TARGET.into(),
                        status: "AVAILABLE".into(),
                    }],
                    waiting_for: if waiting {
                        vec!["orders-green-abc-0 is modifying".into()]
                    } else {
                        vec![]
                    },
                    green_build_seconds: None,
                    tick: tick(if waiting { 60 } else { 0 }),
                },
            ));
        }
    }
    out
}

fn verify() -> Vec<Answer> {
    let timing = SwitchoverTiming {
        started_at: "2026-12-01T02:00:00Z".into(),
        completed_at: "2026-12-01T02:00:42Z".into(),
        duration_seconds: 42.0,
    };
    [None, Some(timing)]
        .into_iter()
        .map(|switchover| {
            answer(
                format!("switchover timing known: {}", switchover.is_some()),
                poll_status::Verified {
                    verified: true,
                    production: database("orders"),
                    old_blue: database("orders-old1"),
                    switchover,
                    parity: None,
                    global: None,
                },
            )
        })
        .collect()
}

fn snapshot() -> Vec<Answer> {
    let taken = |state, status: &str, wait| switchover::Snapshot {
        state,
        deployment: deployment(Some(TARGET), SOURCE),
        snapshot_id: Some("orders-before-switchover-bgd-1".into()),
        snapshot_status: Some(status.into()),
        skipped: None,
        waiting_for: (state == Progress::InProgress)
            .then(|| "snapshot orders-before-switchover-bgd-1".into()),
        awaits: if state == Progress::InProgress {
            vec!["arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:orders-before-switchover-bgd-1".into()]
        } else {
            vec![]
        },
        tick: tick(wait),
    };
    let skipped = |why: &str| switchover::Snapshot {
        state: Progress::Done,
        deployment: deployment(Some(TARGET), SOURCE),
        snapshot_id: None,
        snapshot_status: None,
        skipped: Some(why.into()),
        waiting_for: None,
        awaits: vec![],
        tick: tick(0),
    };
    let window = switchover::Snapshot {
        state: Progress::InProgress,
        deployment: deployment(Some(TARGET), SOURCE),
        snapshot_id: None,
        snapshot_status: None,
        skipped: None,
        waiting_for: Some("the switchover window to open".into()),
        awaits: vec![],
        tick: tick(120),
    };
    vec![
        answer("creating", taken(Progress::InProgress, "creating", 30)),
        answer("available", taken(Progress::Done, "available", 0)),
        answer(
            "skipped: already switched",
            skipped("the deployment has already switched over"),
        ),
        answer(
            "skipped: option",
            skipped("options.snapshotBeforeSwitchover is false"),
        ),
        answer("waiting for the window", window),
    ]
}

fn switchover() -> Vec<Answer> {
    let all = [
        switchover::SwitchoverAction::RebootingGreen,
        switchover::SwitchoverAction::WaitingForGreen,
        switchover::SwitchoverAction::WaitingForWindow,
        switchover::SwitchoverAction::SwitchoverRequested,
        switchover::SwitchoverAction::AlreadySwitching,
        switchover::SwitchoverAction::AlreadySwitched,
    ];
    all.into_iter()
        .map(|action| {
            let state = match action {
                switchover::SwitchoverAction::RebootingGreen
                | switchover::SwitchoverAction::WaitingForGreen
                | switchover::SwitchoverAction::WaitingForWindow => Progress::InProgress,
                switchover::SwitchoverAction::SwitchoverRequested
                | switchover::SwitchoverAction::AlreadySwitching
                | switchover::SwitchoverAction::AlreadySwitched => Progress::Done,
            };
            let wait = if state == Progress::Done { 0 } else { 30 };
            answer(
                format!("{action:?}"),
                switchover::Switchover {
                    state,
                    action,
                    deployment: deployment(Some(TARGET), SOURCE),
                    detail: "what happened".into(),
                    tick: tick(wait),
                },
            )
        })
        .collect()
}

fn delete_old() -> Vec<Answer> {
    use delete_old::DeletionStep;
    let all = [
        DeletionStep::AwaitSwitchover,
        DeletionStep::FinalSnapshot,
        DeletionStep::DeleteInstances,
        DeletionStep::DeleteReplicas,
        DeletionStep::DeleteCluster,
        DeletionStep::DeleteInstance,
        DeletionStep::DeleteDeployment,
        DeletionStep::DeleteGreen,
        DeletionStep::Complete,
    ];
    let mut out = Vec::new();
    // Every stage with both states: the call that deletes the deployment object answers done.
    for (step, state) in all
        .into_iter()
        .flat_map(|s| [(s, Progress::InProgress), (s, Progress::Done)])
    {
        // The compiler lists every stage here when one is added.
        match step {
            DeletionStep::AwaitSwitchover
            | DeletionStep::FinalSnapshot
            | DeletionStep::DeleteInstances
            | DeletionStep::DeleteReplicas
            | DeletionStep::DeleteCluster
            | DeletionStep::DeleteInstance
            | DeletionStep::DeleteDeployment
            | DeletionStep::DeleteGreen
            | DeletionStep::Complete => {}
        }
        for (snapshot, deployment_known) in [(None, false), (Some("orders-old1-final-bgd-1"), true)]
        {
            out.push(answer(
                format!(
                    "{step:?} {state:?}, finalSnapshotId={snapshot:?}, deployment known: {deployment_known}"
                ),
                delete_old::Answer {
                    state,
                    step,
                    detail: "what happened".into(),
                    deployment: deployment_known.then(|| delete_old::Tracked {
                        reference: deployment(Some(SOURCE), OLD),
                        identity: Some(identity(true)),
                    }),
                    final_snapshot_id: snapshot.map(str::to_owned),
                    deleted: vec!["orders-old1-0".into()],
                    awaits: if state == Progress::Done {
                        vec![]
                    } else {
                        vec!["arn:aws:rds:eu-west-1:123456789012:db:orders-old1-0".into()]
                    },
                    tick: tick(if state == Progress::Done { 0 } else { 30 }),
                },
            ));
        }
    }
    out
}
