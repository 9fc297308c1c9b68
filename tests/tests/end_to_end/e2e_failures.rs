//! Failures through the product's state machine on the local stack: each stops the
//! execution with the step's own error, notifies the stage that failed, and leaves
//! production as it was. An execution stopped from outside reaches people through the
//! end-of-execution rule's event. And the text of every message of a full upgrade: each fact
//! it shows travelled from the step that knows it.

use std::time::{Duration, Instant};

use crate::e2e_support::{
    cluster_snapshots, clusters, deployments, end_rule_for, ids, instances, notifications_about,
    request, run, state_machine, Run,
};
use e2e::faults::Fault;
use e2e::moto::unique;
use e2e::seed;
use e2e::seed_precheck::{self as shapes, MYSQL};
use e2e::stepfunctions::{entered_state, history_events_of, EVENTS_PER_RETRY, EXECUTION_EVENTS};
use serde_json::{json, Value};

const AURORA_TARGET: &str = "8.0.mysql_aurora.3.08.0";
const AURORA_SOURCE: &str = "8.0.mysql_aurora.3.05.2";

/// The text people read of the (last) notification of `stage`: what mail and chat show.
fn text_of(run: &Run, stage: &str) -> String {
    let body: Value = serde_json::from_str(run.body_of(stage)).expect("a structured message");
    body["text"].as_str().expect("text").to_owned()
}

/// The value of the fact `label` in a message's text (`Label   value`).
fn fact(text: &str, label: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix(label)
            .filter(|rest| rest.starts_with("  "))
            .map(|rest| rest.trim().to_owned())
    })
}

/// Asserts `text` contains every one of `expected`.
fn assert_says(stage: &str, text: &str, expected: &[String]) {
    for want in expected {
        assert!(
            text.contains(want.as_str()),
            "the {stage} message lacks {want:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_blocking_precheck_stops_before_anything_is_created() {
    let (stack, _) = state_machine().await;
    let id = unique("e2eblock");
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

    run.assert_failed_at("PrecheckFailed", "precheck-report");
    assert_eq!(
        run.path(),
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
    let id = unique("e2eprovfail");
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

    run.assert_failed_at("DeploymentFailed", "green-creating");
    run.assert_path(&[
        "Precheck",
        "Create green",
        "Notify green creating",
        "Wait for green",
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
    let found = deployments(stack, &id).await;
    let deployment = &found.first().expect("green is left").id;
    assert_says(
        "green-creating failure",
        &text_of(&run, "green-creating"),
        &[
            format!("{id}: failed at green-creating: DeploymentFailed"),
            details.to_owned(),
            format!("Left behind: Blue is untouched and still serves production. Green ({deployment}) may exist and costs money while it runs."),
            "What to do next:\n1. Open the deployment in the RDS console".to_owned(),
        ],
    );
    let text = text_of(&run, "green-creating");
    assert_eq!(fact(&text, "Database").as_deref(), Some(id.as_str()));
    assert_eq!(
        fact(&text, "Failed stage").as_deref(),
        Some("green-creating")
    );
    assert_eq!(fact(&text, "Deployment"), Some(deployment.clone()));
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
    let id = unique("e2eslow");
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

    run.assert_failed_at("WaitTimedOut", "green-creating");
    // Each `Wait for green` reads before it waits (and `Poll green` reads when a wait ends
    // early): together within the budget.
    let polls = run.entered("Wait for green") + run.entered("Poll green");
    assert!(
        (3..=4).contains(&polls),
        "the poll budget bounds the loop: {polls} reads: {:?}",
        run.states()
    );
    assert_eq!(
        deployments(stack, &id).await.len(),
        1,
        "green is left for a person to look at (or abandon)"
    );
}

#[tokio::test]
async fn a_failed_switchover_fails_the_execution_and_production_stays_blue() {
    let (stack, _) = state_machine().await;
    let id = unique("e2eswfail");
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
        "Wait for switchover",
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
    run.assert_failed_at("DeploymentFailed", &stage);
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

// ---------------------------------------------------------------- the end-of-execution rule

#[tokio::test]
async fn an_execution_stopped_from_outside_is_told_through_the_end_rule_with_what_is_left_running()
{
    let (stack, arn) = state_machine().await;
    let id = unique("e2estop");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    // Green never gets ready: the execution loops at "Poll green" until it is stopped.
    stack
        .moto
        .inject(&id, Fault::Provisioning { describes: 100_000 })
        .await;
    let name = unique(&format!("{id}-stop"));
    // The template's rule and its target, the notify function, on moto's default bus; narrowed
    // to this execution, so the other tests' failures here are not reported twice.
    let pattern = end_rule_for(stack, &[("StateMachine", arn)], &name).await;
    assert_eq!(
        pattern["detail"]["status"],
        json!(["FAILED", "TIMED_OUT", "ABORTED"])
    );

    let input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    );
    let sfn = stack.sfn();
    let execution = sfn.start(arn, &name, &input).await;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let history = sfn.history(&execution).await;
        if history
            .iter()
            .filter_map(entered_state)
            .any(|s| s == "Wait for green")
        {
            break;
        }
        assert!(Instant::now() < deadline, "green creation never started");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sfn.call(
        "StopExecution",
        json!({"executionArn": execution, "error": "OperatorStopped", "cause": "stopped by the on-call engineer"}),
    )
    .await;
    let ended = sfn.wait(&execution, Duration::from_secs(60)).await;
    assert_eq!(ended.status, "ABORTED");
    assert!(
        !ended.states.iter().any(|s| s == "Notify failure"),
        "a stopped execution runs none of its own failure path: {:?}",
        ended.states
    );

    // Step Functions -> EventBridge -> the rule -> notify (asynchronously) -> SNS.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut mine = Vec::new();
    while !mine.iter().any(|m: &seed::Received| {
        m.attributes.get("stage").map(String::as_str) == Some("execution-ended")
    }) {
        assert!(
            Instant::now() < deadline,
            "no execution-ended notification: {mine:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        mine.extend(notifications_about(stack, &id).await);
    }
    stack.moto.clear_faults(&id).await;
    let ended_messages: Vec<&seed::Received> = mine
        .iter()
        .filter(|m| m.attributes.get("stage").map(String::as_str) == Some("execution-ended"))
        .collect();
    assert_eq!(ended_messages.len(), 1, "{mine:?}");
    assert_eq!(
        ended_messages[0]
            .attributes
            .get("outcome")
            .map(String::as_str),
        Some("failure")
    );
    let green = deployments(stack, &id).await;
    assert_eq!(green.len(), 1, "green is left running");
    let green = &green[0];
    let body: Value = serde_json::from_str(&ended_messages[0].body).unwrap();
    assert_eq!(
        body["subject"],
        format!("FAILED [Blue/Green] {id}: execution stopped (ABORTED)")
    );
    let text = body["text"].as_str().unwrap();
    // moto's StopExecution keeps no error or cause (AWS keeps them): either is shown.
    let described = sfn
        .call("DescribeExecution", json!({"executionArn": execution}))
        .await;
    let cause = described["cause"]
        .as_str()
        .filter(|c| !c.is_empty())
        .unwrap_or("the execution was stopped (StopExecution) before it finished");
    assert_says(
        "execution-ended",
        text,
        &[
            format!("{id}: execution stopped (ABORTED)"),
            format!("Execution {name} for {id} ended ABORTED"),
            cause.to_owned(),
            format!(
                "Left running: green {} is running next to blue {id}, which still serves production (deployment {}",
                green.target_name(),
                green.id
            ),
            "\"action\": \"switchover\"".to_owned(),
            "\"action\": \"abandon\"".to_owned(),
        ],
    );
    assert_eq!(fact(text, "Execution status").as_deref(), Some("ABORTED"));
    assert_eq!(fact(text, "Stage").as_deref(), Some("execution-ended"));
    assert_eq!(fact(text, "Database").as_deref(), Some(id.as_str()));
}

// ---------------------------------------------------------------- the messages of a full upgrade

#[tokio::test]
async fn every_message_of_a_full_upgrade_shows_the_facts_the_steps_found() {
    let (stack, _) = state_machine().await;
    let id = unique("e2etext");
    seed::aurora_mysql(&stack.moto, &id, 1).await;

    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    run.assert_succeeded();
    assert_eq!(
        run.stages(),
        [
            "started",
            "green-creating",
            "green-ready",
            "snapshot-taken",
            "switchover-started",
            "switchover-completed",
            "verified",
            "cleanup-scheduled",
            "old-blue-deleted",
            "done"
        ]
    );
    // The history's size is what the contract test's worst case counts for each state run.
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(e2e::moto::root().join("statemachine/bluegreen.asl.json"))
            .unwrap(),
    )
    .unwrap();
    let counted: u64 = EXECUTION_EVENTS
        + run
            .states()
            .iter()
            .map(|s| history_events_of(&definition["States"][s]))
            .sum::<u64>()
        // Retries: a task scheduled again within one entry of its state (a wait's fallback
        // caught into itself is a new entry, counted above).
        + EVENTS_PER_RETRY
            * (run.execution.events_of("TaskScheduled").len()
                - run.execution.events_of("TaskStateEntered").len()) as u64;
    // A token wait whose invocation answered an error (WaitOver: nothing left to wait for)
    // was never submitted: one event fewer than a wait that waited.
    let waits_entered = run
        .states()
        .iter()
        .filter(|s| {
            definition["States"][**s]["Resource"]
                .as_str()
                .is_some_and(|r| r.ends_with(".waitForTaskToken"))
        })
        .count();
    let counted = counted - (waits_entered - run.execution.events_of("TaskSubmitted").len()) as u64;
    assert_eq!(
        run.execution.events.len() as u64,
        counted,
        "history events of {:?}",
        run.states()
    );
    let out = run.output();
    let deployment = out["deployment"]["id"].as_str().expect("deployment id");
    let green = bluegreen::aws::arn::name_of(
        out["greenPoll"]["deployment"]["targetArn"]
            .as_str()
            .expect("green's ARN, as poll-status read it"),
    )
    .to_owned();
    let snapshot = out["snapshot"]["snapshotId"].as_str().expect("snapshot id");
    assert_eq!(
        snapshot,
        bluegreen::naming::pre_switchover_snapshot(&id, deployment)
    );
    let old = format!("{id}-old1");
    let final_snapshot = out["cleanup"]["finalSnapshotId"]
        .as_str()
        .expect("final snapshot id");
    assert_eq!(
        final_snapshot,
        bluegreen::naming::final_snapshot(&old, deployment)
    );
    let took = out["verify"]["switchover"]["durationSeconds"]
        .as_f64()
        .expect("verify read the switchover's duration from RDS events 0247/0248");
    let took = bluegreen::notify::format::human_seconds(took);

    for stage in run.stages() {
        let text = text_of(&run, stage);
        assert_eq!(
            fact(&text, "Database").as_deref(),
            Some(id.as_str()),
            "{text}"
        );
        assert_eq!(fact(&text, "Stage").as_deref(), Some(stage), "{text}");
        // From the first message after create on, every message names the deployment.
        let expected = (stage != "started").then_some(deployment);
        assert_eq!(fact(&text, "Deployment").as_deref(), expected, "{text}");
    }
    assert_says(
        "started",
        &text_of(&run, "started"),
        &[
            format!("{id}: upgrade started"),
            format!("target engine version {AURORA_TARGET}"),
            "Prechecks passed with".to_owned(),
        ],
    );
    assert_says(
        "green-creating",
        &text_of(&run, "green-creating"),
        &[format!("RDS is building green for {id} (deployment status")],
    );
    let ready = text_of(&run, "green-ready");
    assert_eq!(fact(&ready, "Green"), Some(green.clone()), "{ready}");
    assert_says(
        "green-ready",
        &ready,
        &["Switchover follows now.".to_owned()],
    );
    assert_says(
        "snapshot-taken",
        &text_of(&run, "snapshot-taken"),
        &[
            format!("{id}: blue snapshot {snapshot} taken"),
            format!("Snapshot {snapshot} of blue (available)"),
        ],
    );
    assert_says(
        "switchover-started",
        &text_of(&run, "switchover-started"),
        &[format!("{id}: switchover started")],
    );
    let completed = text_of(&run, "switchover-completed");
    assert_eq!(
        fact(&completed, "Old blue"),
        Some(old.clone()),
        "{completed}"
    );
    let verified = text_of(&run, "verified");
    assert_says(
        "verified",
        &verified,
        &[
            format!("{id}: production verified on {AURORA_TARGET}"),
            format!("the switchover took {took}. Old blue ({old}) is still there."),
        ],
    );
    assert_eq!(fact(&verified, "Switchover took"), Some(took.clone()));
    // The grace period (0 s here) starts when the state machine entered the notification.
    let scheduled = text_of(&run, "cleanup-scheduled");
    let delete_at = fact(&scheduled, "Delete at").expect("Delete at");
    let entered = run
        .execution
        .events
        .iter()
        .find(|e| entered_state(e) == Some("Notify cleanup scheduled"))
        .and_then(|e| e["timestamp"].as_f64())
        .expect("when the notification was entered");
    let at = bluegreen::notify::format::parse_rfc3339(&delete_at).expect("an RFC 3339 time");
    let at = at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (at - entered).abs() < 2.0,
        "delete at {delete_at}, entered at {entered}"
    );
    assert_says(
        "cleanup-scheduled",
        &scheduled,
        &[format!("{old} is kept for a grace period of 0 s as a way back, then deleted after a final snapshot.")],
    );
    assert_says(
        "old-blue-deleted",
        &text_of(&run, "old-blue-deleted"),
        &[
            format!("{id}: old blue deleted (final snapshot {final_snapshot})"),
            format!("Deleted {old}, then the Blue/Green deployment {deployment}. Final snapshot {final_snapshot} keeps its data"),
        ],
    );
    let done = text_of(&run, "done");
    assert_says(
        "done",
        &done,
        &[
            format!("{id}: upgrade complete"),
            format!("production runs on green ({AURORA_TARGET}). Old blue is deleted."),
        ],
    );
    for (label, value) in [
        ("Production version", AURORA_TARGET.to_owned()),
        ("Switchover took", took),
        ("Snapshot before switchover", snapshot.to_owned()),
        ("Old blue", format!("{old} deleted")),
        ("Final snapshot", final_snapshot.to_owned()),
    ] {
        assert_eq!(fact(&done, label), Some(value), "{done}");
    }
}
