//! Approvals (issue 20): `switchoverMode: approval` waits in place with a task token on the
//! lock item; an `approve` or `reject` execution (the console's and CLI's way, and what
//! Slack's buttons start) finds it by the database, takes it in one conditional write and
//! answers it. Waits are scaled (`E2E_WAIT_SCALE`): the token's timeout too.

use std::time::{Duration, Instant};

use crate::e2e_support::{deployments, finish, request, run, state_machine, Run};
use e2e::moto::{unique, ACCOUNT, REGION};
use e2e::seed;
use e2e::stack::Stack;
use serde_json::{json, Value};

/// An approval timeout the tests answer well within (36 s at the default scale of 0.01).
const LONG: u32 = 3600;

fn key(id: &str) -> String {
    format!("{ACCOUNT}/{REGION}/{id}")
}

fn answer(action: &str, id: &str, approval: Value) -> Value {
    let mut input = json!({
        "action": action,
        "target": {"accountId": ACCOUNT, "region": REGION, "identifier": id, "engine": "aurora-mysql"},
    });
    if !approval.is_null() {
        input["approval"] = approval;
    }
    input
}

fn upgrade(id: &str, timeout: u32) -> Value {
    request(
        "upgrade",
        id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "switchoverMode": "approval", "approvalTimeoutSeconds": timeout}),
    )
}

/// The lock item's `waitPurpose`, if a wait is stored.
async fn wait_purpose(stack: &Stack, id: &str) -> Option<String> {
    seed::lock_text(&stack.moto, &key(id), "waitPurpose").await
}

/// Starts an approval-mode upgrade of a new cluster and waits until its approval wait is
/// stored on the lock item. Returns the database, the upgrade's input and its execution ARN.
async fn upgrade_waiting_for_approval(prefix: &str, timeout: u32) -> (String, Value, String) {
    let (stack, arn) = state_machine().await;
    let id = unique(prefix);
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    let input = upgrade(&id, timeout);
    let execution = stack
        .sfn()
        .start(arn, &unique(&format!("{id}-upgrade")), &input)
        .await;
    let deadline = Instant::now() + Duration::from_secs(300);
    while wait_purpose(stack, &id).await.as_deref() != Some("approval-switchover") {
        assert!(
            Instant::now() < deadline,
            "the upgrade never waited for an approval"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    (id, input, execution)
}

/// The TaskSucceeded output of `state` (the answer a token wait received).
fn answered(run: &Run, state: &str) -> Vec<Value> {
    let mut inside = false;
    let mut found = Vec::new();
    for e in &run.execution.events {
        if e["type"] == "TaskStateEntered" {
            inside = e["stateEnteredEventDetails"]["name"] == state;
        }
        if inside && e["type"] == "TaskSucceeded" {
            found.push(
                serde_json::from_str(e["taskSucceededEventDetails"]["output"].as_str().unwrap())
                    .unwrap(),
            );
        }
    }
    found
}

#[tokio::test]
async fn an_approve_execution_resumes_the_upgrade_and_says_who_approved() {
    let (id, input, upgrade) = upgrade_waiting_for_approval("appr-yes", LONG).await;
    let approve = run(&answer(
        "approve",
        &id,
        json!({"by": "jane@example.com", "via": "cli", "reason": "green checked"}),
    ))
    .await;
    approve.assert_succeeded();
    approve.assert_path(&[
        "Identify the database",
        "Take the approval wait",
        "Answer the wait",
    ]);
    approve.assert_never(&["Take the lock", "Precheck", "Create green", "Switch over"]);
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    done.assert_path(&[
        "Ask for approval",
        "Wait for approval",
        "Notify approved",
        "Snapshot blue",
        "Switch over",
        "Done",
    ]);
    let approval = &answered(&done, "Wait for approval")[0];
    assert_eq!(approval["decision"], "approve");
    assert_eq!(approval["by"], "jane@example.com");
    assert_eq!(approval["via"], "cli");
    assert_eq!(
        done.output()["approval"]["by"],
        "jane@example.com",
        "kept in the state"
    );
    assert!(approval["at"].as_str().is_some_and(|a| a.ends_with('Z')));
    // The approve run, about the same database, collected the messages sent before it.
    let asked = approve
        .bodies
        .iter()
        .find(|b| b.contains("\"stage\":\"awaiting-approval\",\"outcome\":\"action-needed\""))
        .expect("the awaiting-approval question");
    assert!(
        asked.contains(r#"\"action\": \"approve\""#),
        "the input to paste: {asked}"
    );
    assert!(
        asked.contains("ApprovalExpired"),
        "what the deadline does: {asked}"
    );
    assert!(
        approve
            .bodies
            .iter()
            .chain(&done.bodies)
            .any(|b| b.contains("approved by jane@example.com")),
        "the next message says who approved: {:?}",
        done.bodies
    );
}

#[tokio::test]
async fn a_reject_ends_the_upgrade_keeping_green_and_says_so() {
    let (stack, _) = state_machine().await;
    let (id, input, upgrade) = upgrade_waiting_for_approval("appr-no", LONG).await;
    let reject = run(&answer("reject", &id, Value::Null)).await;
    reject.assert_succeeded();
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    done.assert_path(&[
        "Wait for approval",
        "Notify rejected",
        "End: Rejected",
        "Release the lock",
        "Rejected",
    ]);
    done.assert_never(&[
        "Snapshot blue",
        "Switch over",
        "Abandon green",
        "Delete old blue",
    ]);
    let answer = &answered(&done, "Wait for approval")[0];
    assert_eq!(answer["decision"], "reject");
    assert!(
        answer["by"].as_str().is_some_and(|b| b.contains("reject")),
        "by defaults to the answering execution's name: {answer}"
    );
    done.assert_figures_so_far();
    let kept = deployments(stack, &id).await;
    assert_eq!(kept.len(), 1, "green is kept");
    assert!(
        reject
            .bodies
            .iter()
            .chain(&done.bodies)
            .any(|b| b.contains("rejected by")),
        "people are told: {:?}",
        done.bodies
    );
    assert_eq!(
        seed::lock_holder(&stack.moto, &key(&id)).await,
        None,
        "the lock is released"
    );
}

#[tokio::test]
async fn a_deadline_passing_ends_approval_expired_once_with_green_kept() {
    let (stack, _) = state_machine().await;
    let (id, input, upgrade) = upgrade_waiting_for_approval("appr-late", 300).await;
    let done = finish(&upgrade, &input).await;
    done.assert_failed_at("ApprovalExpired", "awaiting-approval");
    done.assert_never(&["Snapshot blue", "Switch over", "Abandon green"]);
    assert!(
        done.execution.cause.as_deref().is_some_and(|c| c
            .contains("\"action\": \\\"switchover\\\"")
            || c.contains("switchover")),
        "resumable with the switchover action: {:?}",
        done.execution.cause
    );
    assert_eq!(deployments(stack, &id).await.len(), 1, "green is kept");
    // Too late: nothing waits any more, and nothing changes.
    let late = run(&answer("approve", &id, Value::Null)).await;
    assert_eq!(late.execution.error.as_deref(), Some("NothingToApprove"));
}

#[tokio::test]
async fn an_approve_with_nothing_waiting_is_a_clear_error_and_changes_nothing() {
    let (stack, _) = state_machine().await;
    let id = unique("appr-none");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    let approve = run(&answer("approve", &id, Value::Null)).await;
    approve.assert_failed_at("NothingToApprove", "started");
    let cause = approve.execution.cause.as_deref().unwrap_or_default();
    assert!(cause.contains(&key(&id)), "names the database: {cause}");
    approve.assert_never(&["Take the lock", "Answer the wait", "Precheck"]);
    assert!(deployments(stack, &id).await.is_empty(), "nothing created");
    assert_eq!(
        seed::lock_holder(&stack.moto, &key(&id)).await,
        None,
        "nothing locked"
    );
}

#[tokio::test]
async fn two_approvals_racing_give_exactly_one_answer() {
    let (id, input, upgrade) = upgrade_waiting_for_approval("appr-race", LONG).await;
    let (first, second) = (
        answer("approve", &id, json!({"by": "first"})),
        answer("approve", &id, json!({"by": "second"})),
    );
    let (a, b) = tokio::join!(run(&first), run(&second));
    let statuses = [a.execution.status.as_str(), b.execution.status.as_str()];
    assert_eq!(
        statuses.iter().filter(|s| **s == "SUCCEEDED").count(),
        1,
        "{statuses:?} {:?} {:?}",
        a.execution.cause,
        b.execution.cause
    );
    let loser = if a.execution.status == "SUCCEEDED" {
        &b
    } else {
        &a
    };
    assert_eq!(
        loser.execution.error.as_deref(),
        Some("AlreadyAnswered"),
        "{:?}",
        loser.execution.cause
    );
    assert!(
        loser
            .execution
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("already answered")),
        "{:?}",
        loser.execution.cause
    );
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    assert_eq!(done.entered("Notify approved"), 1);
    assert_eq!(done.entered("Switch over"), 1);
}
