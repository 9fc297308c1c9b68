//! Full upgrades through the product's state machine on the local stack: precheck, create
//! green, wait for it, snapshot blue, switch over, verify, delete old blue, notify — for an
//! Aurora MySQL cluster and an RDS PostgreSQL instance — a step that fails once on a
//! transient AWS error and is retried, and the same input started again after a persistent
//! failure, before or after the switchover, which resumes and completes the upgrade.

use crate::e2e_support::{
    cluster_snapshots, clusters, deployments, ids, instance_snapshots, instances, request, run,
    state_machine, Run,
};
use e2e::faults::Fault;
use e2e::lambda::function_arn;
use e2e::seed;
use serde_json::json;

/// The happy path, in order (the loops' Choices and Waits come between).
const UPGRADE_PATH: [&str; 21] = [
    "Keep the request",
    "Precheck",
    "Notify started",
    "Create green",
    "Notify green creating",
    "Poll green",
    "Notify green ready",
    "Snapshot blue",
    "Notify snapshot taken",
    "Switch over",
    "Notify switchover started",
    "Poll switchover",
    "Notify switchover completed",
    "Verify",
    "Notify verified",
    "Notify cleanup scheduled",
    "Wait grace period",
    "Delete old blue",
    "Notify old blue deleted",
    "Notify done",
    "Done",
];

/// The notifications of a full upgrade, in order.
const UPGRADE_STAGES: [&str; 10] = [
    "started",
    "green-creating",
    "green-ready",
    "snapshot-taken",
    "switchover-started",
    "switchover-completed",
    "verified",
    "cleanup-scheduled",
    "old-blue-deleted",
    "done",
];

#[tokio::test]
async fn aurora_mysql_cluster_is_upgraded_end_to_end() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eaur");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    // Green's emulated build (moto_patches/deployments.py, 300 AWS seconds) is still going
    // at the first read: the wait for green really waits, and RDS-EVENT-0244 ends it.

    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}),
    ))
    .await;

    run.assert_succeeded();
    run.assert_path(&UPGRADE_PATH);
    run.assert_never(&[
        "Notify failure",
        "Failed",
        "Ready for switchover",
        "Notify awaiting approval",
    ]);
    assert!(
        run.entered("Wait for green") >= 1,
        "green was polled until ready: {:?}",
        run.states()
    );
    // Snapshots and deletions take time (moto_patches/snapshots.py, deletions.py, deployments
    // and delete_target): the waits loop end to end. (The switchover lasts about a second of
    // emulated time here: whether its first read comes before its end depends on the
    // machine's speed; harness_switchover reads one mid-way.)
    for wait in ["Wait for snapshot", "Wait for deletion"] {
        assert!(
            run.entered(wait) >= 1,
            "`{wait}` looped: {:?}",
            run.states()
        );
    }
    println!(
        "full upgrade (aurora-mysql): {} state transitions, {} history events",
        run.execution.transitions,
        run.execution.events.len()
    );
    // Deleting old blue's instances, then its cluster, takes time (moto_patches/deletions.py:
    // `deleting` for two minutes of AWS time): the deletion wait listens, and RDS-EVENT-0003 /
    // 0171 (resource_events.py, when the resource is gone) end it. (Should an event come before
    // the wait began, the wait ends on its fallback read: both waits missing is not expected.)
    let (woken, fallbacks, early) = crate::e2e_waits::wait_ends(&run, "Wait for deletion");
    let deletions: Vec<&str> = woken
        .iter()
        .filter(|w| w["via"] == "rds-event")
        .filter_map(|w| w["event"].as_str())
        .filter(|e| ["RDS-EVENT-0003", "RDS-EVENT-0171"].contains(e))
        .collect();
    println!(
        "cleanup (aurora-mysql): {:.1} s wall clock; deletion waits ended by {deletions:?}, {fallbacks} fallback reads, {early} early",
        cleanup_seconds(&run)
    );
    assert!(
        !deletions.is_empty(),
        "an RDS deletion event ended the deletion wait: {woken:?}"
    );

    // Production is the upgraded green under the production names; old blue is gone.
    assert_eq!(
        clusters(stack, &id).await,
        [(id.clone(), "8.0.mysql_aurora.3.08.0".to_owned())]
    );
    assert_eq!(
        ids(&instances(stack, &id).await),
        [format!("{id}-0"), format!("{id}-1")]
    );
    assert!(
        deployments(stack, &id).await.is_empty(),
        "the deployment object is deleted after old blue"
    );
    // Blue was snapshotted before switchover; old blue's final snapshot is kept.
    let output = run.output();
    let before = output["snapshot"]["snapshotId"]
        .as_str()
        .expect("snapshot id");
    assert!(
        cluster_snapshots(stack, &id)
            .await
            .iter()
            .any(|s| s == before),
        "snapshot of blue {before}"
    );
    assert!(
        !cluster_snapshots(stack, &format!("{id}-old1"))
            .await
            .is_empty(),
        "final snapshot of old blue"
    );
    assert_eq!(output["verify"]["verified"], true);

    assert_eq!(run.stages(), UPGRADE_STAGES, "{:?}", run.notifications);
    assert!(
        run.notifications
            .iter()
            .all(|(_, outcome)| outcome != "failure"),
        "{:?}",
        run.notifications
    );
    assert_eq!(run.outcome_of("done"), Some("success"));
}

/// Seconds (wall clock) from the first `Delete old blue` to `Notify old blue deleted`.
fn cleanup_seconds(run: &Run) -> f64 {
    let entered = |state: &str| {
        run.execution
            .events
            .iter()
            .find(|e| e2e::stepfunctions::entered_state(e) == Some(state))
            .map(|e| crate::e2e_waits::timestamp(&e["timestamp"]))
            .unwrap_or_else(|| panic!("{state} entered"))
    };
    entered("Notify old blue deleted") - entered("Delete old blue")
}

#[tokio::test]
async fn rds_postgres_instance_is_upgraded_end_to_end() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2epg");
    seed::rds_instance(&stack.moto, &id, "postgres", "15.10").await;
    seed::parameter_group(
        &stack.moto,
        &format!("{id}-pg16"),
        "postgres16",
        &[("rds.logical_replication", "1")],
    )
    .await;

    let run = run(&request(
        "upgrade",
        &id,
        "postgres",
        json!({"targetEngineVersion": "16.4", "targetDbParameterGroupName": format!("{id}-pg16")}),
    ))
    .await;

    run.assert_succeeded();
    run.assert_path(&UPGRADE_PATH);
    run.assert_never(&["Notify failure", "Failed"]);
    println!(
        "full upgrade (postgres): {} state transitions, {} history events; cleanup {:.1} s wall clock",
        run.execution.transitions,
        run.execution.events.len(),
        cleanup_seconds(&run)
    );

    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "16.4".to_owned())],
        "green took the production name; old blue is deleted"
    );
    assert!(deployments(stack, &id).await.is_empty());
    let before = run.output()["snapshot"]["snapshotId"]
        .as_str()
        .expect("snapshot id")
        .to_owned();
    assert!(
        instance_snapshots(stack, &id).await.contains(&before),
        "snapshot of blue {before}"
    );
    assert!(
        !instance_snapshots(stack, &format!("{id}-old1"))
            .await
            .is_empty(),
        "final snapshot of old blue"
    );

    assert_eq!(run.stages(), UPGRADE_STAGES, "{:?}", run.notifications);
}

#[tokio::test]
async fn a_step_that_fails_once_on_a_transient_error_is_retried() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eretry");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    // The first CreateBlueGreenDeployment meets a busy cluster, an error the SDK does not
    // retry itself: create fails with Retryable and the state machine's Retry runs it again.
    let busy = Fault::fail("CreateBlueGreenDeployment", "InvalidDBClusterStateFault", 1);
    stack.moto.inject(&id, busy).await;

    // Stop at approval: the retry is what this test is about.
    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "switchoverMode": "manual"}),
    ))
    .await;

    run.assert_succeeded();
    // WaitOver is the green wait's answer when its first read finds green ready (a route to
    // Poll green, not a failed attempt).
    let errors: Vec<_> = run
        .task_errors()
        .into_iter()
        .filter(|e| e != "WaitOver")
        .collect();
    assert_eq!(errors, ["Retryable"], "one failed attempt, then success");
    assert_eq!(
        run.entered("Create green"),
        1,
        "a Retry re-runs the Task without re-entering the state"
    );
    let create_calls = run
        .execution
        .events_of("TaskScheduled")
        .iter()
        .filter(|e| {
            e["taskScheduledEventDetails"]["parameters"]
                .as_str()
                .is_some_and(|p| p.contains(&function_arn("create")))
        })
        .count();
    assert_eq!(create_calls, 2, "create was called twice");
    run.assert_never(&["Notify failure", "Failed"]);
    assert_eq!(run.path().last(), Some(&"Ready for switchover"));
    assert_eq!(
        deployments(stack, &id).await.len(),
        1,
        "the retry made no second deployment"
    );
    assert!(
        stack.moto.faults(&id).await.is_empty(),
        "the injected failure was used"
    );
    assert_eq!(
        run.stages(),
        [
            "started",
            "green-creating",
            "green-ready",
            "awaiting-approval"
        ]
    );
}

/// Runs `input` with `CreateDBClusterSnapshot` failing persistently for the cluster `id` (and
/// its `-old1`), expecting the failure at `stage`; then, the fault cleared, runs the same
/// input again and returns both runs.
async fn fail_then_rerun(id: &str, input: &serde_json::Value, stage: &str) -> (Run, Run) {
    let (stack, _) = state_machine().await;
    let quota = Fault::fail("CreateDBClusterSnapshot", "SnapshotQuotaExceeded", 1_000);
    stack.moto.inject(id, quota).await;
    let failed = run(input).await;
    assert_eq!(failed.execution.status, "FAILED", "{:?}", failed.states());
    assert_eq!(failed.execution.error.as_deref(), Some("AwsCallFailed"));
    assert_eq!(
        failed.outcome_of(stage),
        Some("failure"),
        "{:?}",
        failed.notifications
    );
    let left = deployments(stack, id).await;
    assert_eq!(left.len(), 1, "the deployment is left for a re-run");
    assert!(
        stack.moto.clear_faults(id).await >= 1,
        "the fault was still there"
    );

    let rerun = run(input).await;

    rerun.assert_succeeded();
    rerun.assert_path(&UPGRADE_PATH[..5]);
    rerun.assert_path(&["Verify", "Delete old blue", "Notify done", "Done"]);
    rerun.assert_never(&["Notify failure", "Failed"]);
    let precheck = &rerun.output()["precheck"];
    assert_eq!(precheck["passed"], true, "{precheck:#}");
    assert!(
        precheck["report"]
            .as_str()
            .unwrap_or_default()
            .contains("resumed-deployment"),
        "the precheck says what it resumes: {precheck:#}"
    );
    assert_eq!(
        rerun.output()["deployment"]["adopted"],
        true,
        "create adopted it"
    );
    assert_eq!(
        rerun.output()["deployment"]["id"],
        left[0].id.as_str(),
        "the re-run went on with the same deployment"
    );
    assert_eq!(
        clusters(stack, id).await,
        [(id.to_owned(), "8.0.mysql_aurora.3.08.0".to_owned())],
        "production upgraded, old blue deleted"
    );
    assert!(deployments(stack, id).await.is_empty());
    (failed, rerun)
}

#[tokio::test]
async fn a_rerun_after_a_persistent_failure_before_switchover_completes_the_upgrade() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2erunbefore");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    let input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}),
    );

    // The snapshot of blue before switchover fails: green exists, nothing switched.
    let (failed, rerun) = fail_then_rerun(&id, &input, "snapshot-taken").await;

    failed.assert_path(&[
        "Create green",
        "Poll green",
        "Snapshot blue",
        "Notify failure",
    ]);
    failed.assert_never(&["Switch over"]);
    rerun.assert_path(&["Snapshot blue", "Switch over", "Poll switchover"]);
    assert_eq!(
        rerun.output()["switchover"]["action"],
        "switchover-requested"
    );
}

#[tokio::test]
async fn a_rerun_after_a_persistent_failure_after_switchover_goes_on_to_verify_and_cleanup() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2erunafter");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    // No snapshot before switchover: the only snapshot is old blue's final one, at cleanup.
    let input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "snapshotBeforeSwitchover": false}),
    );

    let (failed, rerun) = fail_then_rerun(&id, &input, "old-blue-deleted").await;

    failed.assert_path(&["Switch over", "Verify", "Delete old blue", "Notify failure"]);
    // The re-run found the switchover done and did not make another.
    rerun.assert_path(&[
        "Create green",
        "Poll green",
        "Green phase?",
        "Poll switchover",
        "Verify",
    ]);
    rerun.assert_never(&["Switch over", "Snapshot blue"]);
    assert_eq!(rerun.output()["greenPoll"]["phase"], "switched");
}
