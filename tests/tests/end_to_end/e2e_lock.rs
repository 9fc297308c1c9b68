//! One execution per database, through the product's state machine on the local stack: the
//! lock (the template's LockTable, Step Functions' own DynamoDB integration) is taken first,
//! refuses a second execution as `Locked` with nothing touched, and is released on every end:
//! success, failure, and (through statemachine/release-lock.asl.json, which the
//! execution-status rule starts) an execution stopped from outside.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::e2e_support::{
    await_dropped_by_the_rule, deployments, end_rule_for, notifications_about, request, run,
    state_machine, Run,
};
use e2e::faults::Fault;
use e2e::moto::{unique, ACCOUNT, REGION};
use e2e::seed;
use e2e::stack::Stack;
use e2e::stepfunctions::statemachine_definition;
use serde_json::{json, Value};

const AURORA_TARGET: &str = "8.0.mysql_aurora.3.08.0";

fn lock_key(id: &str) -> String {
    format!("{ACCOUNT}/{REGION}/{id}")
}

fn upgrade(id: &str) -> Value {
    request(
        "upgrade",
        id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET, "targetDbClusterParameterGroupName": format!("{id}-cpg")}),
    )
}

/// Starts an upgrade whose green reads PROVISIONING until the test lets it finish
/// ([`let_green_finish`]), and waits until it has created green (holding the lock). Returns its
/// execution ARN. (A count of describes would not do: the wait for green reads only when woken
/// or at its fallback, so the count would last minutes.)
async fn start_a_long_upgrade(id: &str) -> String {
    let (stack, arn) = state_machine().await;
    seed::aurora_mysql(&stack.moto, id, 1).await;
    stack
        .moto
        .inject(
            id,
            Fault::Provisioning {
                describes: u32::MAX,
            },
        )
        .await;
    let first = stack
        .sfn()
        .start(arn, &unique(&format!("{id}-first")), &upgrade(id))
        .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while deployments(stack, id).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first execution never created green"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        seed::lock_holder(&stack.moto, &lock_key(id))
            .await
            .as_deref(),
        Some(first.as_str()),
        "the first execution holds the lock while it works"
    );
    first
}

/// Green of [`start_a_long_upgrade`] reads AVAILABLE from now on: its wait sees it at its next
/// read (the fallback, seconds scaled), or at once when stopped.
async fn let_green_finish(id: &str) {
    let (stack, _) = state_machine().await;
    assert!(stack.moto.clear_faults(id).await >= 1, "the build was held");
}

fn assert_locked(run: &Run, holder: &str) {
    assert_eq!(run.execution.status, "FAILED", "{:?}", run.states());
    assert_eq!(run.execution.error.as_deref(), Some("Locked"));
    let cause = run.execution.cause.as_deref().unwrap_or_default();
    assert!(
        cause.contains(holder),
        "the cause names the holder: {cause}"
    );
    assert!(cause.contains("nothing was touched"), "{cause}");
    run.assert_never(&[
        "Precheck",
        "Create green",
        "Switch over",
        "Delete old blue",
        "Abandon green",
        "Release the lock",
    ]);
    assert_eq!(
        run.notifications.last(),
        Some(&("started".to_owned(), "failure".to_owned())),
        "the refusal reaches a human: {:?}",
        run.notifications
    );
    assert!(
        run.body_of("started").contains("Locked"),
        "{}",
        run.body_of("started")
    );
}

#[tokio::test]
async fn a_second_execution_for_the_same_database_ends_locked_and_touches_nothing() {
    let (stack, arn) = state_machine().await;
    let id = unique("e2elock");
    let first = start_a_long_upgrade(&id).await;
    let before = deployments(stack, &id).await;
    assert_eq!(before.len(), 1, "the first execution created green");

    // Other work on the same database, under every spelling of it: refused as Locked.
    let mut other_version = upgrade(&id);
    other_version["options"]["targetEngineVersion"] = json!("8.0.mysql_aurora.3.09.0");
    let mut abandon = upgrade(&id);
    abandon["action"] = json!("abandon");
    let mut shouted = abandon.clone();
    shouted["target"]["identifier"] = json!(id.to_uppercase());
    let mut with_account = other_version.clone();
    with_account["target"]["accountId"] = json!(ACCOUNT);
    let mut null_account = abandon.clone();
    null_account["target"]["accountId"] = Value::Null;
    for second in [other_version, abandon, shouted, with_account, null_account] {
        let second = run(&second).await;
        assert_locked(&second, &first);
    }
    // Work the holder is already doing (the same upgrade again, its cleanup, its switchover):
    // nothing to do, one message naming the holder, and a success.
    for action in ["upgrade", "cleanup", "switchover"] {
        let mut input = upgrade(&id);
        input["action"] = json!(action);
        input["target"]["identifier"] = json!(id.to_uppercase());
        let second = run(&input).await;
        second.assert_succeeded();
        second.assert_never(&[
            "Precheck",
            "Create green",
            "Switch over",
            "Delete old blue",
            "Abandon green",
            "Release the lock",
        ]);
        assert_eq!(
            second.notifications,
            [("already-in-progress".to_owned(), "info".to_owned())],
            "{action}: one message"
        );
        assert!(
            second.body_of("already-in-progress").contains(&first),
            "{action}"
        );
    }
    assert_eq!(deployments(stack, &id).await, before, "nothing was touched");
    assert_eq!(
        seed::lock_holder(&stack.moto, &lock_key(&id))
            .await
            .as_deref(),
        Some(first.as_str()),
        "the refused executions released nothing"
    );

    // A dry run only reads: it takes no lock and runs alongside.
    let dry = run(&request(
        "dry-run",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    dry.assert_never(&["Take the lock"]);
    assert_ne!(dry.execution.error.as_deref(), Some("Locked"));

    // The first goes on once green is ready, succeeds and releases its lock.
    let_green_finish(&id).await;
    let done = stack.sfn().wait(&first, Duration::from_secs(600)).await;
    assert_eq!(
        done.status, "SUCCEEDED",
        "{:?} {:?}",
        done.error, done.cause
    );
    assert!(done.states.iter().any(|s| s == "Release the lock"));
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);
    let _ = arn;
}

#[tokio::test]
async fn the_lock_is_released_after_a_success_and_after_a_failure() {
    let (stack, _) = state_machine().await;
    let id = unique("e2elockends");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    let ok = run(&upgrade(&id)).await;
    ok.assert_succeeded();
    ok.assert_path(&[
        "Take the lock",
        "Which action?",
        "Notify done",
        "Release the lock",
        "Done",
    ]);
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);

    // A failed execution (blocked by the precheck: no such target version) releases it too.
    let mut blocked = upgrade(&id);
    blocked["options"]["targetEngineVersion"] = json!("8.0.mysql_aurora.9.99.9");
    let failed = run(&blocked).await;
    assert_eq!(failed.execution.error.as_deref(), Some("PrecheckFailed"));
    failed.assert_path(&[
        "Take the lock",
        "Notify failure",
        "Release the lock",
        "Failed",
    ]);
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);
}

/// statemachine/release-lock.asl.json on the local stack (the status rule's and the reaper's).
async fn release_machine(stack: &Stack) -> String {
    stack
        .sfn()
        .create_state_machine(
            &unique("release-lock"),
            &statemachine_definition("release-lock.asl.json", &BTreeMap::new()),
        )
        .await
}

/// The event EventBridge sends for an execution that ended (`Step Functions Execution Status
/// Change`), built from DescribeExecution as AWS documents it.
async fn status_change_event(execution_arn: &str) -> Value {
    let (stack, _) = state_machine().await;
    let d = stack
        .sfn()
        .call("DescribeExecution", json!({"executionArn": execution_arn}))
        .await;
    json!({
        "version": "0",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "account": ACCOUNT,
        "region": REGION,
        "resources": [execution_arn],
        "detail": {
            "executionArn": execution_arn,
            "stateMachineArn": d["stateMachineArn"],
            "name": d["name"],
            "status": d["status"],
            "startDate": d["startDate"],
            "stopDate": d["stopDate"],
            "input": d["input"],
            "output": null,
        }
    })
}

#[tokio::test]
async fn an_execution_stopped_from_outside_is_released_by_the_release_machine() {
    let _turn = crate::e2e_support::LEFT_LOCKS.read().await;
    let (stack, _) = state_machine().await;
    let id = unique("e2elockstop");
    let first = start_a_long_upgrade(&id).await;
    stack
        .sfn()
        .call(
            "StopExecution",
            json!({"executionArn": first, "error": "Operator", "cause": "stopped by hand"}),
        )
        .await;
    let stopped = stack.sfn().wait(&first, Duration::from_secs(60)).await;
    assert_eq!(stopped.status, "ABORTED");
    let_green_finish(&id).await;
    assert_eq!(
        seed::lock_holder(&stack.moto, &lock_key(&id))
            .await
            .as_deref(),
        Some(first.as_str()),
        "no end state ran: the lock is still held"
    );

    let release = release_machine(stack).await;
    // An event about another execution of the same database leaves the holder's lock alone.
    let mut other = status_change_event(&first).await;
    other["detail"]["executionArn"] = json!(format!("{first}-someone-else"));
    let ran = stack
        .sfn()
        .run(
            &release,
            &unique("release"),
            &other,
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(ran.status, "SUCCEEDED", "{:?} {:?}", ran.error, ran.cause);
    assert!(
        !ran.states.iter().any(|s| s == "Release the lock"),
        "{:?}",
        ran.states
    );
    assert_eq!(
        seed::lock_holder(&stack.moto, &lock_key(&id))
            .await
            .as_deref(),
        Some(first.as_str())
    );

    let event = status_change_event(&first).await;
    let ran = stack
        .sfn()
        .run(
            &release,
            &unique("release"),
            &event,
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(ran.status, "SUCCEEDED", "{:?} {:?}", ran.error, ran.cause);
    assert!(
        ran.states.iter().any(|s| s == "Released"),
        "{:?}",
        ran.states
    );
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);

    // The database is free again: an abandon takes the lock and removes green.
    let mut abandon = upgrade(&id);
    abandon["action"] = json!("abandon");
    let abandoned = run(&abandon).await;
    abandoned.assert_succeeded();
    assert!(deployments(stack, &id).await.is_empty());
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);
}

#[tokio::test]
async fn the_reaper_releases_a_lock_whose_holder_no_longer_runs_and_says_so() {
    let _turn = crate::e2e_support::LEFT_LOCKS.write().await;
    let (stack, _) = state_machine().await;
    let id = unique("e2ereap");
    let first = start_a_long_upgrade(&id).await;
    // Stopped, and its status event lost: nothing released the lock.
    stack
        .sfn()
        .call("StopExecution", json!({"executionArn": first}))
        .await;
    assert_eq!(
        stack
            .sfn()
            .wait(&first, Duration::from_secs(60))
            .await
            .status,
        "ABORTED"
    );
    let_green_finish(&id).await;
    assert_eq!(
        seed::lock_holder(&stack.moto, &lock_key(&id))
            .await
            .as_deref(),
        Some(first.as_str())
    );
    notifications_about(stack, &id).await; // the first execution's own messages

    // The reaper's schedule input (template.yaml, ReleaseLockStateMachine's Reaper event).
    let release = release_machine(stack).await;
    let began = Instant::now();
    let reaped = stack
        .sfn()
        .run(
            &release,
            &unique("reap"),
            &json!({"reap": true}),
            Duration::from_secs(120),
        )
        .await;
    assert_eq!(
        reaped.status, "SUCCEEDED",
        "{:?} {:?}",
        reaped.error, reaped.cause
    );
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);
    // Other executions' locks (the other tests' running upgrades) are left alone: each item
    // the reaper saw was either released (holder not running) or kept (holder running).
    assert!(reaped.states.iter().any(|s| s == "Tell the release"));
    let told = notifications_about(stack, &id).await;
    let stages: Vec<&str> = told
        .iter()
        .filter_map(|m| m.attributes.get("stage").map(String::as_str))
        .collect();
    assert_eq!(stages, ["lock-released"], "one message: {told:?}");
    assert!(told[0].body.contains(&first), "it names the holder");

    // The database is free: a new run proceeds (an abandon removes green).
    let mut abandon = upgrade(&id);
    abandon["action"] = json!("abandon");
    run(&abandon).await.assert_succeeded();
    eprintln!(
        "reaper: lock released and a new run done {:?} after the reaper started",
        began.elapsed()
    );
    assert!(deployments(stack, &id).await.is_empty());
}

#[tokio::test]
async fn a_runtime_error_no_catch_can_catch_is_told_once_by_the_rule_and_its_lock_released() {
    let _turn = crate::e2e_support::LEFT_LOCKS.read().await;
    let (stack, arn) = state_machine().await;
    let id = unique("e2eruntime");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    // The precheck answers without `passed`: the Precheck state's ResultSelector cannot read
    // it, which in an AWS account is States.Runtime, uncaught by States.ALL.
    stack
        .moto
        .inject(
            &id,
            Fault::AnswerWithout {
                function: "precheck".into(),
                field: "passed".into(),
            },
        )
        .await;
    let name = unique(&format!("{id}-runtime"));
    end_rule_for(stack, &[("StateMachine", arn)], &name).await;
    let execution = stack
        .sfn()
        .run(arn, &name, &upgrade(&id), Duration::from_secs(120))
        .await;
    assert_eq!(execution.status, "FAILED");
    assert_eq!(
        execution.error.as_deref(),
        Some("States.Runtime"),
        "{:?}",
        execution.cause
    );
    assert!(
        !execution
            .states
            .iter()
            .any(|s| s == "Notify failure" || s == "Release the lock"),
        "no Catch ran: {:?}",
        execution.states
    );
    assert_eq!(
        seed::lock_holder(&stack.moto, &lock_key(&id))
            .await
            .as_deref(),
        Some(execution.arn.as_str()),
        "the execution died holding its lock"
    );
    // The rule tells it: exactly one message, execution-ended.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut told = Vec::new();
    while told.is_empty() {
        assert!(Instant::now() < deadline, "nobody was told");
        tokio::time::sleep(Duration::from_millis(500)).await;
        told.extend(
            notifications_about(stack, &id)
                .await
                .into_iter()
                .filter(|m| m.attributes.get("outcome").map(String::as_str) == Some("failure")),
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    told.extend(
        notifications_about(stack, &id)
            .await
            .into_iter()
            .filter(|m| m.attributes.get("outcome").map(String::as_str) == Some("failure")),
    );
    // One message for this end (a reaper running meanwhile may add its own, about the lock).
    let stages: Vec<&str> = told
        .iter()
        .filter_map(|m| m.attributes.get("stage").map(String::as_str))
        .filter(|s| *s != "lock-released")
        .collect();
    assert_eq!(stages, ["execution-ended"], "{told:?}");
    assert!(told[0].body.contains("States.Runtime"));
    // The status event releases the lock (the release machine finds it by holder).
    let release = release_machine(stack).await;
    let event = status_change_event(&execution.arn).await;
    let ran = stack
        .sfn()
        .run(
            &release,
            &unique("release"),
            &event,
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(ran.status, "SUCCEEDED", "{:?} {:?}", ran.error, ran.cause);
    assert_eq!(seed::lock_holder(&stack.moto, &lock_key(&id)).await, None);
    assert!(
        !ran.states.iter().any(|s| s == "Tell the release"),
        "the rule already told this end: the release says nothing more"
    );
}

#[tokio::test]
async fn a_failure_the_workflow_told_is_not_told_again_by_the_rule() {
    let (stack, arn) = state_machine().await;
    let id = unique("e2eonce");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    let name = unique(&format!("{id}-blocked"));
    end_rule_for(stack, &[("StateMachine", arn)], &name).await;
    let mut blocked = upgrade(&id);
    blocked["options"]["targetEngineVersion"] = json!("8.0.mysql_aurora.9.99.9");
    let execution = stack
        .sfn()
        .run(arn, &name, &blocked, Duration::from_secs(120))
        .await;
    assert_eq!(execution.error.as_deref(), Some("PrecheckFailed"));
    assert!(
        bluegreen::notify::told::Told::in_cause(execution.cause.as_deref()).is_some(),
        "the end carries the told mark: {:?}",
        execution.cause
    );
    // The rule delivered the status event to notify, which dropped it (its log says so).
    await_dropped_by_the_rule(stack, &execution.arn).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let told: Vec<(String, String)> = notifications_about(stack, &id)
        .await
        .iter()
        .filter(|m| m.attributes.get("outcome").map(String::as_str) == Some("failure"))
        .map(|m| {
            (
                m.attributes.get("stage").cloned().unwrap_or_default(),
                m.attributes.get("outcome").cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        told,
        [("precheck-report".to_owned(), "failure".to_owned())],
        "one failure message, the workflow's own"
    );
}

/// The lock item of `key` as the table holds it (strings and numbers as text).
async fn lock_item(stack: &Stack, key: &str) -> BTreeMap<String, String> {
    seed::read_lock_item(&stack.moto, key)
        .await
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let text = v.as_s().or_else(|_| v.as_n()).ok()?.clone();
            Some((k, text))
        })
        .collect()
}

/// Waits until notify has written `stage` on the lock item of `id` (up to two minutes).
async fn await_stage(stack: &Stack, id: &str, stage: &str) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let item = lock_item(stack, &lock_key(id)).await;
        if item.get("stage").map(String::as_str) == Some(stage) {
            return item;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {stage}: {item:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The seam of the board: what notify writes on the lock item at each stage (stage, since
/// when, the deployment) is what `action: status` reads back and shows. Two real upgrades in
/// flight at different stages (one building green, one in its grace period after the
/// switchover) and one stale lock left by a holder long gone.
#[tokio::test]
async fn the_status_action_lists_the_upgrades_in_flight_from_the_board() {
    // The stale lock is one the reaper would release: take turns with it.
    let _turn = crate::e2e_support::LEFT_LOCKS.read().await;
    let (stack, arn) = state_machine().await;
    let building = unique("e2eboardgreen");
    let first = start_a_long_upgrade(&building).await;
    let in_grace = unique("e2eboardgrace");
    seed::aurora_mysql(&stack.moto, &in_grace, 1).await;
    // A day of grace (minutes, scaled): the upgrade waits at cleanup-scheduled.
    let mut graceful = upgrade(&in_grace);
    graceful["options"]["gracePeriodSeconds"] = json!(86_400);
    let second = stack
        .sfn()
        .start(arn, &unique(&format!("{in_grace}-run")), &graceful)
        .await;
    let stale = unique("e2eboardstale");
    seed::lock_item(
        &stack.moto,
        e2e::stepfunctions::LOCK_TABLE,
        &lock_key(&stale),
        "switchover-started",
        Duration::from_secs(50 * 3600),
    )
    .await;
    let written = [
        (
            building.as_str(),
            &first,
            await_stage(stack, &building, "green-creating").await,
        ),
        (
            in_grace.as_str(),
            &second,
            await_stage(stack, &in_grace, "cleanup-scheduled").await,
        ),
    ];

    let board = stack
        .sfn()
        .run(
            arn,
            &unique("board"),
            &json!({"action": "status", "filter": {"accountId": ACCOUNT, "region": REGION}, "staleAfterSeconds": 86_400}),
            Duration::from_secs(120),
        )
        .await;
    assert_eq!(
        board.status, "SUCCEEDED",
        "{:?} {:?}",
        board.error, board.cause
    );
    assert!(
        !board.states.iter().any(|s| s == "Identify the database"),
        "the board takes no lock: {:?}",
        board.states
    );
    let output = board.output.clone().expect("the board is the output");
    let listed = |id: &str| {
        output["inFlight"]
            .as_array()
            .expect("inFlight")
            .iter()
            .find(|l| l["lockKey"] == lock_key(id))
            .unwrap_or_else(|| panic!("{id} is in flight: {output}"))
            .clone()
    };
    let stale_keys = output["stale"].as_array().expect("stale").clone();
    for (id, holder, item) in &written {
        let shown = listed(id);
        let deployment = &deployments(stack, id).await[0].id;
        // What notify wrote is what the board shows, field by field.
        assert_eq!(
            item.get("deploymentId"),
            Some(deployment),
            "{id}: notify wrote the deployment: {item:?}"
        );
        assert_eq!(shown["deploymentId"], json!(deployment), "{id}: {shown}");
        assert_eq!(shown["holder"], json!(holder), "{id}");
        assert_eq!(shown["stage"], json!(item["stage"]), "{id}");
        assert_eq!(shown["stageSince"], json!(item["stageSince"]), "{id}");
        assert_eq!(shown["startedAt"], json!(item["startedAt"]), "{id}");
        assert_eq!(
            shown["executionName"],
            json!(holder.rsplit(':').next().unwrap()),
            "{id}"
        );
        assert_eq!(
            (shown["action"].as_str(), shown["expired"].as_bool()),
            (Some("upgrade"), Some(false)),
            "{id}"
        );
        assert!(
            shown["ageSeconds"].as_u64().is_some_and(|a| a < 600),
            "{id}: started minutes ago: {shown}"
        );
        assert!(
            !stale_keys.contains(&json!(lock_key(id))),
            "{id} is not stale"
        );
    }
    let forgotten = listed(&stale);
    assert_eq!(forgotten["stage"], "switchover-started");
    assert!(
        forgotten["ageSeconds"]
            .as_u64()
            .is_some_and(|a| a >= 50 * 3600),
        "{forgotten}"
    );
    assert!(
        stale_keys.contains(&json!(lock_key(&stale))),
        "the forgotten lock is stale: {output}"
    );
    assert!(
        output["byStage"]["green-creating"].as_u64() >= Some(1)
            && output["byStage"]["cleanup-scheduled"].as_u64() >= Some(1),
        "{output}"
    );

    for holder in [&first, &second] {
        stack
            .sfn()
            .call("StopExecution", json!({"executionArn": holder}))
            .await;
    }
    let_green_finish(&building).await;
    for id in [&building, &in_grace, &stale] {
        stack
            .moto
            .dynamodb()
            .delete_item()
            .table_name(e2e::stepfunctions::LOCK_TABLE)
            .key(
                "lockKey",
                aws_sdk_dynamodb::types::AttributeValue::S(lock_key(id)),
            )
            .send()
            .await
            .expect("remove the test's lock");
    }
}
