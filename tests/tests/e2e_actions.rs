//! The actions besides a plain upgrade, through the product's state machine on the local
//! stack: manual approval and the `switchover` action that resumes it, `dry-run`, and
//! `abandon`.

mod e2e_support;

use e2e::seed;
use e2e::seed_precheck::{self as shapes, MYSQL};
use e2e_support::{
    clusters, deployments, ids, instance_snapshots, instances, request, run, state_machine,
};
use serde_json::json;

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
    assert_eq!(waiting[0].status, "AVAILABLE");

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
            run.states(),
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
    assert_eq!(run.stages(), ["abandoned"]);
    assert_eq!(run.outcome_of("abandoned"), Some("success"));
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "10.6.19".to_owned())],
        "green is gone; blue untouched"
    );
    assert!(deployments(stack, &id).await.is_empty());
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
    // An hour ahead: the scaled-down engine waits its capped few seconds for it.
    let at = utc_timestamp(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
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
    let waited = first
        .execution
        .events
        .iter()
        .find(|e| {
            e["type"] == "WaitStateEntered"
                && e["stateEnteredEventDetails"]["name"] == "Wait for the switchover window"
        })
        .expect("window wait entered");
    let left = first
        .execution
        .events
        .iter()
        .find(|e| {
            e["type"] == "WaitStateExited"
                && e["stateExitedEventDetails"]["name"] == "Wait for the switchover window"
        })
        .expect("window wait left");
    let seconds = left["timestamp"].as_f64().unwrap_or_default()
        - waited["timestamp"].as_f64().unwrap_or_default();
    assert!(seconds >= 1.0, "the window wait waited ({seconds} s)");
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
        second.states()[..3],
        ["Keep the request", "Which action?", "Delete old blue"]
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

/// `YYYY-MM-DDTHH:MM:SSZ` for a time (the form options.switchoverAt takes).
fn utc_timestamp(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[test]
fn utc_timestamps_are_rfc3339() {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_086_923);
    assert_eq!(utc_timestamp(at), "2026-12-01T01:02:03Z");
    assert_eq!(
        utc_timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400)),
        "2000-02-29T00:00:00Z"
    );
}
