//! The actions besides a plain upgrade, through the product's state machine on the local
//! stack: manual approval and the `switchover` action that resumes it (twice, or twice at
//! once, with one switchover), `dry-run`, `abandon`, and switchover windows (waited for,
//! refused when past or impossible, missed with green kept, resumed with a new window).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::e2e_support::{
    clusters, deployments, finish, ids, instance_snapshots, instances, request, run, state_machine,
    Run,
};
use bluegreen::aws::deployment::DeploymentStatus;
use bluegreen::notify::format::rfc3339;
use e2e::faults::Fault;
use e2e::seed;
use e2e::seed_precheck::{self as shapes, MYSQL};
use e2e::stack::Stack;
use serde_json::{json, Value};

#[tokio::test]
async fn manual_mode_stops_ready_for_switchover_and_the_switchover_action_resumes() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2emanual");
    seed::aurora_postgres(&stack.moto, &id, 1).await;
    seed::cluster_parameter_group(
        &stack.moto,
        &format!("{id}-pg16"),
        "aurora-postgresql16",
        &[("rds.logical_replication", "1")],
    )
    .await;
    let upgrade = request(
        "upgrade",
        &id,
        "aurora-postgresql",
        json!({"targetEngineVersion": "16.4", "targetDbClusterParameterGroupName": format!("{id}-pg16"), "switchoverMode": "manual"}),
    );

    let first = run(&upgrade).await;

    first.assert_succeeded();
    first.assert_path(&[
        "Precheck",
        "Create green",
        "Poll green",
        "Notify green ready",
        "Switchover mode?",
        "Prepare resume input",
        "Notify awaiting approval",
        "Ready for switchover",
    ]);
    first.assert_never(&["Snapshot blue", "Switch over", "Delete old blue"]);
    assert_eq!(
        first.stages(),
        [
            "started",
            "green-creating",
            "green-ready",
            "awaiting-approval"
        ]
    );
    assert_eq!(first.outcome_of("awaiting-approval"), Some("action-needed"));
    let approval = first.body_of("awaiting-approval");
    assert!(
        approval.contains("switchover"),
        "the notification says how to continue: {approval}"
    );
    // Nothing switched: blue is production at its old version, green waits beside it.
    let before = clusters(stack, &id).await;
    assert!(
        before.contains(&(id.clone(), "15.6".to_owned())),
        "{before:?}"
    );
    assert_eq!(before.len(), 2, "blue and green: {before:?}");
    let waiting = deployments(stack, &id).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].status, DeploymentStatus::Available);

    // The notification's instruction: the same input with "action": "switchover".
    let mut resume = upgrade.clone();
    resume["action"] = json!("switchover");
    let second = run(&resume).await;

    second.assert_succeeded();
    second.assert_never(&["Precheck", "Create green", "Poll green", "Notify started"]);
    second.assert_path(&[
        "Which action?",
        "Snapshot blue",
        "Switch over",
        "Poll switchover",
        "Verify",
        "Delete old blue",
        "Notify done",
        "Done",
    ]);
    assert_eq!(
        second.stages(),
        [
            "snapshot-taken",
            "switchover-started",
            "switchover-completed",
            "verified",
            "cleanup-scheduled",
            "old-blue-deleted",
            "done"
        ]
    );
    assert_eq!(
        clusters(stack, &id).await,
        [(id.clone(), "16.4".to_owned())],
        "production upgraded, old blue deleted"
    );
    assert_eq!(
        ids(&instances(stack, &id).await),
        [format!("{id}-0"), format!("{id}-1")]
    );
    assert!(deployments(stack, &id).await.is_empty());
}

#[tokio::test]
async fn dry_run_reports_blockers_and_a_clean_database_and_changes_nothing() {
    let (stack, _) = state_machine().await;
    let blocked = e2e::moto::unique("e2edryblk");
    // Three blockers at once: no automated backups, binlog_format left OFF, and the event
    // scheduler on (it would run twice once green is up); deletion protection warns.
    shapes::instance(
        &stack.moto,
        &blocked,
        MYSQL,
        &[("event_scheduler", "ON")],
        |c| c.backup_retention_period(0).deletion_protection(true),
    )
    .await;
    let clean = e2e::moto::unique("e2edryok");
    seed::rds_instance(&stack.moto, &clean, "mysql", "8.0.35").await;

    let blocked_run = run(&request("dry-run", &blocked, "mysql", json!({}))).await;
    let clean_run = run(&request("dry-run", &clean, "mysql", json!({}))).await;

    for (run, passed, state, outcome) in [
        (
            &blocked_run,
            false,
            "Dry run found blockers",
            "action-needed",
        ),
        (&clean_run, true, "Dry run found no blockers", "success"),
    ] {
        assert_eq!(
            run.execution.status, "SUCCEEDED",
            "a dry run succeeds whatever it finds: {:?}",
            run.execution.cause
        );
        assert_eq!(
            run.path(),
            [
                "Keep the request",
                "Which action?",
                "Precheck",
                "Dry run?",
                "Dry run passed?",
                state,
                "Notify dry-run report",
                "Dry run finished"
            ]
        );
        assert_eq!(run.output()["precheck"]["passed"], passed);
        assert_eq!(
            run.notifications,
            [("dry-run-report".to_owned(), outcome.to_owned())]
        );
    }
    let precheck = &blocked_run.output()["precheck"];
    let report = precheck["report"].as_str().unwrap_or_default();
    let body = blocked_run.body_of("dry-run-report");
    for blocker in [
        "automated-backups",
        "binlog-format",
        "event-scheduler-green",
    ] {
        assert!(
            report.contains(blocker),
            "the report names {blocker}: {report}"
        );
        assert!(body.contains(blocker), "so does the notification: {body}");
    }
    assert_eq!(
        (&precheck["blocking"], &precheck["warnings"]),
        (&json!(3), &json!(1)),
        "all three blockers and the warning in one run: {precheck:#}"
    );
    for id in [&blocked, &clean] {
        assert!(
            deployments(stack, id).await.is_empty(),
            "a dry run creates nothing"
        );
        assert_eq!(ids(&instances(stack, id).await), [id.as_str()]);
    }
}

#[tokio::test]
async fn abandon_deletes_green_and_keeps_blue() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eabandon");
    seed::rds_instance(&stack.moto, &id, "mariadb", "10.6.19").await;
    seed::parameter_group(
        &stack.moto,
        &format!("{id}-mdb1011"),
        "mariadb10.11",
        &[("binlog_format", "ROW")],
    )
    .await;
    let upgrade = request(
        "upgrade",
        &id,
        "mariadb",
        json!({"targetEngineVersion": "10.11.9", "targetDbParameterGroupName": format!("{id}-mdb1011"), "switchoverMode": "manual"}),
    );
    let ready = run(&upgrade).await;
    ready.assert_succeeded();
    assert_eq!(instances(stack, &id).await.len(), 2, "blue and green");

    let mut abandon = upgrade.clone();
    abandon["action"] = json!("abandon");
    let run = run(&abandon).await;

    run.assert_succeeded();
    run.assert_path(&[
        "Which action?",
        "Abandon green",
        "Abandoned?",
        "Notify abandoned",
        "Abandoned",
    ]);
    run.assert_never(&[
        "Precheck",
        "Create green",
        "Switch over",
        "Delete old blue",
        "Notify failure",
    ]);
    ready.assert_figures_so_far();
    run.assert_figures_so_far();
    assert_eq!(run.stages(), ["abandoned"]);
    assert_eq!(run.outcome_of("abandoned"), Some("success"));
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "10.6.19".to_owned())],
        "green is gone; blue untouched"
    );
    assert!(deployments(stack, &id).await.is_empty());
}

/// A cleanup started again right after another ended finds the deployment still `DELETING`
/// (AWS deletes it over time): it waits for the deletion and ends in success once the
/// deployment is gone and old blue is re-read by id and found gone, never refusing.
#[tokio::test]
async fn a_cleanup_rerun_while_the_deployment_is_deleting_waits_and_succeeds() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2edeleting");
    let upgrade = mysql_upgrade(stack, &id, json!({"deleteOldBlue": false})).await;
    run(&upgrade).await.assert_succeeded();
    let cleanup = with_action(&upgrade, "cleanup");
    run(&cleanup).await.assert_succeeded();
    assert_eq!(
        deployments(stack, &id).await.len(),
        0,
        "the first cleanup deleted the deployment object (it reads DELETING for a while)"
    );

    let again = run(&cleanup).await;
    again.assert_succeeded();
    assert!(
        again.entered("Wait for deletion") >= 1,
        "the re-run waited for the deletion: {:?}",
        again.states()
    );
    again.assert_never(&["Notify failure"]);
    // It deleted nothing itself: one message saying old blue was already gone.
    assert_eq!(again.stages(), ["old-blue-already-deleted", "done"]);
    assert!(
        again
            .body_of("old-blue-already-deleted")
            .contains("nothing deleted now"),
        "{}",
        again.body_of("old-blue-already-deleted")
    );
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "8.4.3".to_owned())],
        "production only; old blue gone"
    );
}

/// Green inherits blue's deletion protection, and AWS refuses DeleteTarget while it is on; the
/// product never turns it off: abandon is refused naming green and the fix, notified, and
/// nothing is deleted. Turned off by hand, the same abandon then removes green.
#[tokio::test]
async fn abandon_with_green_protected_is_refused_until_protection_is_turned_off() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eprotect");
    let upgrade = mysql_upgrade(stack, &id, json!({"switchoverMode": "manual"})).await;
    run(&upgrade).await.assert_succeeded();
    let green =
        bluegreen::aws::arn::name_of(&deployments(stack, &id).await[0].target_arn).to_owned();
    let protect = |on: bool| {
        let green = green.clone();
        async move {
            stack
                .moto
                .rds()
                .modify_db_instance()
                .db_instance_identifier(&green)
                .deletion_protection(on)
                .send()
                .await
                .expect("set green's deletion protection");
        }
    };
    protect(true).await;
    let abandon = with_action(&upgrade, "abandon");

    let refused = run(&abandon).await;
    assert_eq!(refused.execution.error.as_deref(), Some("UnsafeToDelete"));
    let cause = refused.execution.cause.clone().unwrap_or_default();
    assert!(
        cause.contains(&green) && cause.contains("deletion protection"),
        "{cause}"
    );
    assert_eq!(
        refused.outcome_of("abandoned"),
        Some("failure"),
        "{:?}",
        refused.notifications
    );
    assert_eq!(
        instances(stack, &id).await.len(),
        2,
        "blue and green both kept"
    );
    assert_eq!(
        deployments(stack, &id).await.len(),
        1,
        "the deployment is kept"
    );

    protect(false).await;
    let abandoned = run(&abandon).await;
    abandoned.assert_succeeded();
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "8.0.35".to_owned())],
        "green is gone; blue untouched"
    );
}

#[tokio::test]
async fn window_mode_waits_for_its_time_and_old_blue_kept_is_removed_by_the_cleanup_action() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2ewindow");
    seed::rds_instance(&stack.moto, &id, "mysql", "8.0.35").await;
    seed::parameter_group(
        &stack.moto,
        &format!("{id}-my84"),
        "mysql8.4",
        &[("binlog_format", "ROW")],
    )
    .await;
    // A few seconds ahead, in real time: the functions compare the window with their own
    // clock, so the switchover must come after it whatever the scaled-down waits do.
    let opens = SystemTime::now() + Duration::from_secs(8);
    let at = rfc3339(opens);
    let upgrade = request(
        "upgrade",
        &id,
        "mysql",
        json!({"targetEngineVersion": "8.4.3", "targetDbParameterGroupName": format!("{id}-my84"), "switchoverMode": "window", "switchoverAt": at, "deleteOldBlue": false}),
    );

    let first = run(&upgrade).await;

    first.assert_succeeded();
    first.assert_path(&[
        "Notify green ready",
        "Switchover mode?",
        "Wait for the switchover window",
        "Snapshot blue",
        "Switch over",
        "Verify",
        "Delete old blue?",
        "Notify done",
    ]);
    first.assert_never(&[
        "Notify cleanup scheduled",
        "Wait grace period",
        "Delete old blue",
    ]);
    let snapshot_at = entered_at(&first, "Notify snapshot taken");
    let switched_at = entered_at(&first, "Notify switchover started");
    // The window opens at `at` as written (whole seconds), as the functions read it.
    let written = bluegreen::window::parse_instant("at", &at).expect("a valid instant");
    let opens_at = seconds_since_epoch(written);
    assert!(
        snapshot_at >= opens_at && switched_at >= opens_at,
        "snapshot ({snapshot_at}) and switchover ({switched_at}) inside the window opening at {opens_at}"
    );
    assert_eq!(first.stages().last(), Some(&"done"));
    assert_eq!(
        ids(&instances(stack, &id).await),
        [id.clone(), format!("{id}-old1")],
        "deleteOldBlue false keeps old blue"
    );

    let mut cleanup = upgrade.clone();
    cleanup["action"] = json!("cleanup");
    let second = run(&cleanup).await;

    second.assert_succeeded();
    assert_eq!(
        second.path()[..4],
        [
            "Keep the request",
            "Which action?",
            "Hook before cleanup?",
            "Delete old blue"
        ]
    );
    second.assert_never(&["Precheck", "Snapshot blue", "Switch over", "Verify"]);
    assert_eq!(second.stages(), ["old-blue-deleted", "done"]);
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "8.4.3".to_owned())],
        "old blue deleted, production kept"
    );
    assert!(deployments(stack, &id).await.is_empty());
    assert!(
        !instance_snapshots(stack, &format!("{id}-old1"))
            .await
            .is_empty(),
        "final snapshot of old blue"
    );
}

/// When `state` was first entered (seconds since the epoch, as the history says).
pub(crate) fn entered_at(run: &Run, state: &str) -> f64 {
    run.execution
        .events
        .iter()
        .find(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
                && e["stateEnteredEventDetails"]["name"] == state
        })
        .and_then(|e| e["timestamp"].as_f64())
        .unwrap_or_else(|| panic!("`{state}` was not entered: {:?}", run.states()))
}

pub(crate) fn seconds_since_epoch(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

/// An RDS MySQL 8.0 instance `id` with a MySQL 8.4 parameter group for green, and the
/// upgrade input for it with `options` added.
async fn mysql_upgrade(stack: &Stack, id: &str, options: Value) -> Value {
    seed::rds_instance(&stack.moto, id, "mysql", "8.0.35").await;
    seed::parameter_group(
        &stack.moto,
        &format!("{id}-my84"),
        "mysql8.4",
        &[("binlog_format", "ROW")],
    )
    .await;
    let mut all =
        json!({"targetEngineVersion": "8.4.3", "targetDbParameterGroupName": format!("{id}-my84")});
    all.as_object_mut()
        .unwrap()
        .extend(options.as_object().cloned().unwrap_or_default());
    request("upgrade", id, "mysql", all)
}

/// The snapshots of instance `id` taken by someone (not RDS's automated `rds:` ones).
async fn manual_snapshots(stack: &Stack, id: &str) -> Vec<String> {
    let mut all = instance_snapshots(stack, id).await;
    all.retain(|s| !s.starts_with("rds:"));
    all
}

/// `input` with another action.
fn with_action(input: &Value, action: &str) -> Value {
    let mut other = input.clone();
    other["action"] = json!(action);
    other
}

/// How many switchovers RDS started on the deployments of `id`: its RDS-EVENT-0247, which
/// the emulator records for every SwitchoverBlueGreenDeployment it accepts, in AWS's words
/// ("Blue/green deployment events", USER_Events.Messages).
async fn switchovers_started(stack: &Stack, id: &str) -> usize {
    let mut started = 0;
    for d in deployments(stack, id).await {
        let events: Vec<_> = stack
            .moto
            .rds()
            .describe_events()
            .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
            .source_identifier(&d.id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .expect("describe events");
        started += events
            .iter()
            .filter(|e| e.message().is_some_and(|m| is_switchover_started(m, id)))
            .count();
    }
    started
}

/// RDS-EVENT-0247 for production `blue`: "Switchover from <blue> to <blue>-green-<6 characters>
/// started.". Not the per-instance RDS-EVENT-0250 ("Switchover from primary/read replica
/// <blue> to <green> started."), which RDS records in the same switchover.
fn is_switchover_started(message: &str, blue: &str) -> bool {
    message
        .strip_prefix(&format!("Switchover from {blue} to {blue}-green-"))
        .and_then(|rest| rest.strip_suffix(" started."))
        .is_some_and(|suffix| {
            suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// Asserts the run failed at its first step with InvalidInput naming `field`, told a human,
/// and changed nothing: no deployment, no snapshot, blue alone.
async fn assert_refused_before_any_change(stack: &Stack, run: &Run, id: &str, field: &str) {
    assert_eq!(run.execution.status, "FAILED", "{:?}", run.states());
    assert_eq!(run.execution.error.as_deref(), Some("InvalidInput"));
    let cause = run.execution.cause.as_deref().unwrap_or_default();
    assert!(cause.contains(field), "the cause names {field}: {cause}");
    run.assert_never(&["Create green", "Snapshot blue", "Switch over"]);
    assert_eq!(run.notifications.len(), 1, "{:?}", run.notifications);
    assert_eq!(run.notifications[0].1, "failure");
    assert!(run.bodies[0].contains(field), "{}", run.bodies[0]);
    assert!(
        deployments(stack, id).await.is_empty(),
        "no deployment created"
    );
    assert!(manual_snapshots(stack, id).await.is_empty(), "no snapshot");
    assert_eq!(ids(&instances(stack, id).await), [id]);
}

#[tokio::test]
async fn a_past_window_and_an_impossible_date_are_refused_before_anything_changes() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2epast");
    let yesterday = rfc3339(SystemTime::now() - Duration::from_secs(86_400));
    let past = mysql_upgrade(
        stack,
        &id,
        json!({"switchoverMode": "window", "switchoverAt": yesterday}),
    )
    .await;

    let refused = run(&past).await;

    assert_refused_before_any_change(stack, &refused, &id, "options.switchoverAt").await;
    // Refused by the first, read-only step, before the lock is even taken.
    assert_eq!(
        refused.path(),
        [
            "Keep the request",
            "Failed at started",
            "Notify failure",
            "Failed"
        ]
    );
    let cause = refused.execution.cause.as_deref().unwrap_or_default();
    assert!(cause.contains("in the past"), "{cause}");

    let mut impossible = past.clone();
    impossible["options"]["switchoverAt"] = json!("2026-02-30T25:61:61Z");
    let refused = run(&impossible).await;
    assert_refused_before_any_change(stack, &refused, &id, "options.switchoverAt").await;

    // The switchover action's window is checked by the first, read-only step, before the
    // lock, any wait or anything is touched.
    let resume = with_action(&past, "switchover");
    let refused = run(&resume).await;
    assert_refused_before_any_change(stack, &refused, &id, "options.switchoverAt").await;
    refused.assert_path(&["Keep the request", "Failed at started", "Notify failure"]);
    refused.assert_never(&["Take the lock", "Check the window"]);
    refused.assert_never(&["Wait for the switchover window"]);
}

/// Issue 19: a Region in no partition is refused naming `target.region` before any RDS call
/// (moto's meter counts none in it), and a wrong account is refused naming
/// `target.accountId` with the account read from the database's ARN.
#[tokio::test]
async fn a_region_in_no_partition_and_a_wrong_account_are_refused_naming_their_field() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eplace");
    let upgrade = mysql_upgrade(stack, &id, json!({})).await;

    let mut fake = upgrade.clone();
    fake["target"]["region"] = json!("xx-fake-9");
    let refused = run(&fake).await;
    assert_refused_before_any_change(stack, &refused, &id, "target.region").await;
    let cause = refused.execution.cause.as_deref().unwrap_or_default();
    assert!(cause.contains("set target.region to"), "{cause}");
    let rows: Vec<Value> = reqwest::get(format!("{}/moto-api/rds-calls", stack.moto.endpoint))
        .await
        .expect("reach the meter")
        .json()
        .await
        .expect("meter JSON");
    assert!(
        rows.iter().all(|r| r["region"] != "xx-fake-9"),
        "no RDS call into xx-fake-9: {rows:?}"
    );

    let mut elsewhere = upgrade.clone();
    elsewhere["target"]["accountId"] = json!("111122223333");
    let refused = run(&elsewhere).await;
    assert_refused_before_any_change(stack, &refused, &id, "target.accountId").await;
    let cause = refused.execution.cause.as_deref().unwrap_or_default();
    assert!(
        cause.contains(&format!("set target.accountId to `{}`", e2e::moto::ACCOUNT)),
        "the fix gives the account read from AWS: {cause}"
    );
    assert!(!cause.contains("Region"), "{cause}");
}

#[tokio::test]
async fn a_non_object_input_is_refused_with_what_the_input_must_be() {
    let (stack, arn) = state_machine().await;
    for (n, input) in [json!([]), json!("x"), json!(42)].iter().enumerate() {
        let name = e2e::moto::unique(&format!("e2enonobject{n}"));
        let execution = stack
            .sfn()
            .run(arn, &name, input, Duration::from_secs(120))
            .await;
        assert_eq!(
            execution.status, "FAILED",
            "{input}: {:?}",
            execution.states
        );
        assert_eq!(execution.error.as_deref(), Some("InvalidInput"), "{input}");
        let cause = execution.cause.as_deref().unwrap_or_default();
        assert!(
            cause.contains("the input must be a JSON object with action, target and options"),
            "{input}: {cause}"
        );
        assert!(!cause.contains("map"), "no serde wording: {cause}");
        assert!(!execution.states.iter().any(|s| s == "Create green"));
    }
}

#[tokio::test]
async fn a_missed_window_keeps_green_tells_a_human_and_a_new_window_resumes() {
    let (stack, arn) = state_machine().await;
    let id = e2e::moto::unique("e2emissed");
    // The window opened a minute ago and closes 30 s from now (a loaded machine took over 20 s
    // between the seeding and the execution's start: the precheck must still see it open).
    // Green is held building until the window has closed, then let go: ready too late.
    let mut upgrade = mysql_upgrade(stack, &id, json!({"switchoverMode": "window"})).await;
    let now = SystemTime::now();
    let closes = now + Duration::from_secs(30);
    upgrade["options"]["switchoverAt"] = json!(rfc3339(now - Duration::from_secs(60)));
    upgrade["options"]["switchoverNotAfter"] = json!(rfc3339(closes));
    stack
        .moto
        .inject(
            &id,
            Fault::Provisioning {
                describes: u32::MAX,
            },
        )
        .await;
    let started = stack
        .sfn()
        .start(arn, &e2e::moto::unique(&format!("{id}-upgrade")), &upgrade)
        .await;
    let deadline = closes + Duration::from_secs(120);
    while deployments(stack, &id).await.is_empty() || SystemTime::now() < closes {
        assert!(SystemTime::now() < deadline, "green was never created");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(stack.moto.clear_faults(&id).await >= 1, "green was held");

    let missed = finish(&started, &upgrade).await;

    assert_eq!(missed.execution.status, "FAILED", "{:?}", missed.states());
    assert_eq!(missed.execution.error.as_deref(), Some("WindowMissed"));
    missed.assert_path(&[
        "Create green",
        "Poll green",
        "Notify green ready",
        "Wait for the switchover window",
        "Snapshot blue",
        "Notify failure",
        "Failed",
    ]);
    missed.assert_never(&["Switch over", "Notify snapshot taken", "Delete old blue"]);
    assert_eq!(missed.outcome_of("snapshot-taken"), Some("failure"));
    let told = missed.body_of("snapshot-taken");
    for words in [
        "WindowMissed",
        "switchover window",
        "new options.switchoverAt",
        "green is kept",
    ] {
        assert!(told.contains(words), "the message says {words}: {told}");
    }
    // Green is kept, blue untouched and not even snapshotted.
    let kept = deployments(stack, &id).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, DeploymentStatus::Available);
    assert_eq!(instances(stack, &id).await.len(), 2, "blue and green");
    assert!(manual_snapshots(stack, &id).await.is_empty());

    // What the message says: the same input, action switchover, a new window (now).
    let mut resume = with_action(&upgrade, "switchover");
    resume["options"]["switchoverAt"] = json!(rfc3339(SystemTime::now()));
    resume["options"]
        .as_object_mut()
        .unwrap()
        .remove("switchoverNotAfter");
    let resumed = run(&resume).await;

    resumed.assert_succeeded();
    resumed.assert_path(&[
        "Resume in a window?",
        "Check the window",
        "Wait for the switchover window",
        "Snapshot blue",
        "Switch over",
        "Verify",
        "Delete old blue",
        "Done",
    ]);
    assert_eq!(
        resumed.output()["switchover"]["action"],
        "switchover-requested"
    );
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "8.4.3".to_owned())],
        "switched over in the new window; old blue deleted"
    );
}

#[tokio::test]
async fn a_switchover_resumed_twice_or_twice_at_once_switches_once_and_succeeds() {
    // (Twice at once: one acts, the other is Locked; twice in a row: both succeed.)
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2etwice");
    let upgrade = mysql_upgrade(
        stack,
        &id,
        json!({"switchoverMode": "manual", "deleteOldBlue": false}),
    )
    .await;
    run(&upgrade).await.assert_succeeded();
    let resume = with_action(&upgrade, "switchover");

    // Two executions at once: the database's lock lets one act; the other finds it doing the
    // same switchover and ends "nothing to do" (a success, one message), having touched
    // nothing. Then a third after both.
    let (first, second) = tokio::join!(run(&resume), run(&resume));
    let third = run(&resume).await;
    let idle = |r: &Run| r.execution.states.iter().any(|s| s == "Already being done");
    let (acted, locked) = if idle(&first) {
        (&second, &first)
    } else {
        (&first, &second)
    };
    assert!(
        idle(locked),
        "the second found the first doing it: {:?}",
        locked.execution.states
    );
    locked.assert_succeeded();
    locked.assert_never(&["Snapshot blue", "Switch over", "Verify"]);

    let mut requested = 0;
    for resumed in [acted, &third] {
        resumed.assert_succeeded();
        resumed.assert_never(&["Notify failure", "Failed"]);
        resumed.assert_path(&[
            "Snapshot blue",
            "Switch over",
            "Poll switchover",
            "Verify",
            "Notify done",
            "Done",
        ]);
        let action = resumed.output()["switchover"]["action"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            [
                "switchover-requested",
                "already-switching",
                "already-switched"
            ]
            .contains(&action.as_str()),
            "{action}"
        );
        requested += usize::from(action == "switchover-requested");
    }
    // Notifications are told apart by database, so only the run alone has its own.
    assert_eq!(third.outcome_of("done"), Some("success"));
    assert!(
        third.notifications.iter().all(|(_, o)| o != "failure"),
        "{:?}",
        third.notifications
    );
    assert_eq!(
        requested, 1,
        "one execution switched over; the next found it done"
    );
    assert_eq!(third.output()["switchover"]["action"], "already-switched");
    // One message for the switchover found done, with RDS's time; none about a snapshot,
    // a switchover start or a completion that did not happen in this run (issue 19).
    assert_eq!(
        third.stages(),
        ["already-switched-over", "verified", "done"],
        "{:?}",
        third.bodies
    );
    let already = third.body_of("already-switched-over");
    assert!(
        already.contains("already switched over at 20") && already.contains("nothing switched now"),
        "{already}"
    );
    let snapshot = &third.output()["snapshot"];
    assert_eq!(
        (&snapshot["state"], &snapshot["snapshotId"]),
        (&json!("done"), &Value::Null),
        "no snapshot of a database already switched over: {snapshot}"
    );
    assert_eq!(
        switchovers_started(stack, &id).await,
        1,
        "RDS saw one switchover"
    );
    assert_eq!(
        ids(&instances(stack, &id).await),
        [id.clone(), format!("{id}-old1")],
        "production and the one old blue (no -old2)"
    );
    assert_eq!(instances(stack, &id).await[0].1, "8.4.3");
}
