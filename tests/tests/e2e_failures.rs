//! Failures through the product's state machine on the local stack: each stops the
//! execution with the step's own error, notifies the stage that failed, and leaves
//! production as it was.

mod e2e_support;

use e2e::faults::Fault;
use e2e::seed;
use e2e::seed_precheck::{self as shapes, MYSQL};
use e2e_support::{
    cluster_snapshots, clusters, deployments, ids, instances, request, run, state_machine, Run,
};
use serde_json::json;

const AURORA_TARGET: &str = "8.0.mysql_aurora.3.08.0";
const AURORA_SOURCE: &str = "8.0.mysql_aurora.3.05.2";

/// The execution failed with `error`, notified `stage` as a failure (last), and ended in Fail.
fn assert_failed(run: &Run, error: &str, stage: &str) {
    assert_eq!(run.execution.status, "FAILED", "{:?}", run.states());
    assert_eq!(
        run.execution.error.as_deref(),
        Some(error),
        "cause: {:?}",
        run.execution.cause
    );
    assert!(
        run.execution
            .cause
            .as_deref()
            .is_some_and(|c| c.contains(error)),
        "the cause is the step's own error: {:?}",
        run.execution.cause
    );
    let failed_at = format!("Failed at {stage}");
    assert_eq!(
        run.states()[run.states().len() - 3..],
        [failed_at.as_str(), "Notify failure", "Failed"]
    );
    assert_eq!(
        run.notifications.last(),
        Some(&(stage.to_owned(), "failure".to_owned())),
        "{:?}",
        run.notifications
    );
    assert_eq!(
        run.notifications
            .iter()
            .filter(|(_, o)| o == "failure")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_blocking_precheck_stops_before_anything_is_created() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eblock");
    shapes::instance(&stack.moto, &id, MYSQL, &[("binlog_format", "ROW")], |c| {
        c.backup_retention_period(0)
    })
    .await;

    let run = run(&request(
        "upgrade",
        &id,
        "mysql",
        json!({"targetEngineVersion": "8.4.3"}),
    ))
    .await;

    assert_failed(&run, "PrecheckFailed", "precheck-report");
    assert_eq!(
        run.states(),
        [
            "Keep the request",
            "Which action?",
            "Precheck",
            "Failed at precheck-report",
            "Notify failure",
            "Failed"
        ]
    );
    assert_eq!(run.stages(), ["precheck-report"]);
    assert!(
        run.body_of("precheck-report").contains("automated-backups"),
        "the notification names the blocker"
    );
    assert!(deployments(stack, &id).await.is_empty(), "nothing created");
    assert_eq!(ids(&instances(stack, &id).await), [id.as_str()]);
}

#[tokio::test]
async fn green_that_fails_to_provision_fails_the_execution_and_leaves_blue() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eprovfail");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    // AWS refuses binlog off at create (moto_patches/create_refusals.py); INVALID_CONFIGURATION
    // comes later, e.g. when green was promoted by hand (API_BlueGreenDeployment).
    let details = "Replication is broken: the green DB cluster was promoted manually.";
    stack
        .moto
        .inject(
            &id,
            Fault::InvalidConfiguration {
                details: details.to_owned(),
            },
        )
        .await;

    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    stack.moto.clear_faults(&id).await;

    assert_failed(&run, "DeploymentFailed", "green-creating");
    run.assert_path(&[
        "Precheck",
        "Create green",
        "Notify green creating",
        "Poll green",
        "Failed at green-creating",
    ]);
    run.assert_never(&["Notify green ready", "Snapshot blue", "Switch over"]);
    assert!(
        run.execution
            .cause
            .as_deref()
            .unwrap_or_default()
            .contains(details),
        "{:?}",
        run.execution.cause
    );
    assert!(
        run.body_of("green-creating").contains("promoted manually"),
        "the notification carries AWS's reason"
    );
    assert!(
        clusters(stack, &id)
            .await
            .contains(&(id.clone(), AURORA_SOURCE.to_owned())),
        "blue is production, unchanged"
    );
}

#[tokio::test]
async fn green_that_never_gets_ready_times_out_at_max_polls() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eslow");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    stack
        .moto
        .inject(&id, Fault::Provisioning { describes: 1000 })
        .await;

    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET, "maxPolls": 3}),
    ))
    .await;
    stack.moto.clear_faults(&id).await;

    assert_failed(&run, "WaitTimedOut", "green-creating");
    let polls = run.entered("Poll green");
    assert!(
        (3..=4).contains(&polls),
        "the poll budget bounds the loop: {polls} polls"
    );
    assert_eq!(run.entered("Wait for green"), polls - 1);
    assert_eq!(
        deployments(stack, &id).await.len(),
        1,
        "green is left for a person to look at (or abandon)"
    );
}

#[tokio::test]
async fn a_failed_switchover_fails_the_execution_and_production_stays_blue() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2eswfail");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    stack
        .moto
        .inject(
            &id,
            Fault::SwitchoverFailed {
                details: Some("Switchover timed out; all changes were rolled back.".into()),
            },
        )
        .await;

    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    stack.moto.clear_faults(&id).await;

    assert_eq!(
        run.execution.error.as_deref(),
        Some("DeploymentFailed"),
        "{:?}",
        run.execution.cause
    );
    run.assert_path(&[
        "Snapshot blue",
        "Switch over",
        "Notify switchover started",
        "Poll switchover",
    ]);
    run.assert_never(&["Verify", "Delete old blue", "Notify done"]);
    let stage = run
        .notifications
        .last()
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    assert!(
        stage == "switchover-completed" || stage == "switchover-started",
        "{:?}",
        run.notifications
    );
    assert_failed(&run, "DeploymentFailed", &stage);
    // Nothing renamed: production is blue at its old version, no -old1 anywhere.
    let found = clusters(stack, &id).await;
    assert!(
        found.contains(&(id.clone(), AURORA_SOURCE.to_owned())),
        "{found:?}"
    );
    assert!(
        ids(&found)
            .iter()
            .chain(ids(&instances(stack, &id).await).iter())
            .all(|n| !n.contains("-old")),
        "{found:?}"
    );
    assert!(
        !cluster_snapshots(stack, &id).await.is_empty(),
        "the snapshot taken before switchover is kept"
    );
}
