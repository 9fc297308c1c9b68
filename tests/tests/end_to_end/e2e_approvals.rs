//! Approvals (issue 20): `switchoverMode: approval` waits in place with a task token on the
//! lock item; an `approve` or `reject` execution (the console's and CLI's way, and what
//! Slack's buttons start) finds it by the database, takes it in one conditional write and
//! answers it. Waits are scaled (`E2E_WAIT_SCALE`): the token's timeout too.

use std::time::{Duration, Instant};

use crate::e2e_support::{clusters, deployments, finish, request, run, state_machine, Run};
use e2e::moto::{unique, ACCOUNT, REGION};
use e2e::seed;
use e2e::stack::Stack;
use e2e::stepfunctions::Execution;
use serde_json::{json, Value};

/// An approval timeout the tests answer well within (36 s at the default scale of 0.01).
pub(crate) const LONG: u32 = 3600;

pub(crate) fn key(id: &str) -> String {
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
pub(crate) async fn wait_purpose(stack: &Stack, id: &str) -> Option<String> {
    seed::lock_text(&stack.moto, &key(id), "waitPurpose").await
}

/// Starts an approval-mode upgrade of a new cluster and waits until its approval wait is
/// stored on the lock item. Returns the database, the upgrade's input and its execution ARN.
pub(crate) async fn upgrade_waiting_for_approval(
    prefix: &str,
    timeout: u32,
) -> (String, Value, String) {
    let id = unique(prefix);
    let input = upgrade(&id, timeout);
    let execution = start_until_waiting(&id, &input, "approval-switchover").await;
    (id, input, execution)
}

/// Seeds the cluster `id`, starts `input` on it and waits until a wait of `purpose` is stored
/// on its lock item; the execution's ARN.
async fn start_until_waiting(id: &str, input: &Value, purpose: &str) -> String {
    let (stack, arn) = state_machine().await;
    seed::aurora_mysql(&stack.moto, id, 1).await;
    let execution = stack
        .sfn()
        .start(arn, &unique(&format!("{id}-upgrade")), input)
        .await;
    wait_for(&execution, id, purpose).await;
    execution
}

/// Until the lock item of `id` holds a wait of `purpose`; fails at once, with what the
/// execution did, when it ended instead.
async fn wait_for(execution: &str, id: &str, purpose: &str) {
    let (stack, _) = state_machine().await;
    let deadline = Instant::now() + Duration::from_secs(300);
    while wait_purpose(stack, id).await.as_deref() != Some(purpose) {
        let described = stack
            .sfn()
            .call("DescribeExecution", json!({"executionArn": execution}))
            .await;
        if described["status"] != "RUNNING" || Instant::now() > deadline {
            let ended = stack.sfn().wait(execution, Duration::ZERO).await;
            panic!(
                "no {purpose} wait was stored: {} {:?} {:?} {:?}",
                ended.status, ended.error, ended.cause, ended.states
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The TaskSucceeded output of `state` (the answer a token wait received).
pub(crate) fn answered(run: &Run, state: &str) -> Vec<Value> {
    answered_in(&run.execution, state)
}

/// The same for any execution (a fleet's).
pub(crate) fn answered_in(execution: &Execution, state: &str) -> Vec<Value> {
    let mut inside = false;
    let mut found = Vec::new();
    for e in &execution.events {
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

/// Asserts `run` (an approve or reject) changed nothing and ended quietly: it succeeded at
/// `Answer not taken` (no failed-executions alarm) with `notTaken.Error` = `why`, through one
/// `info` message (not a failure). Returns `notTaken.Cause`.
pub(crate) fn assert_not_taken(run: &Run, why: &str) -> String {
    run.assert_succeeded();
    run.assert_path(&[
        "Notify answer not taken",
        "End: Answer not taken",
        "Answer not taken",
    ]);
    run.assert_never(&["Notify failure", "Take the lock"]);
    let not_taken = &run.output()["notTaken"];
    assert_eq!(not_taken["Error"], why, "{not_taken}");
    not_taken["Cause"].as_str().unwrap_or_default().to_owned()
}

/// The notifications a not-taken answer sends: exactly one, `answer-not-taken` as information.
pub(crate) fn assert_told_quietly(notifications: &[(String, String)]) {
    assert_eq!(
        notifications,
        [("answer-not-taken".to_owned(), "info".to_owned())],
        "one message, no failure"
    );
}

#[tokio::test]
async fn an_approve_execution_resumes_the_upgrade_and_says_who_approved() {
    let (stack, _) = state_machine().await;
    let (id, input, upgrade) = upgrade_waiting_for_approval("appr-yes", LONG).await;
    // An answer bound to another execution's question (an old message's button, for the same
    // database and purpose) changes nothing and is told as information, naming who waits now.
    let (machine, _) = upgrade.rsplit_once(':').unwrap();
    let older = format!("{machine}:an-older-upgrade");
    let stale = run(&answer(
        "approve",
        &id,
        json!({"by": "old-button", "execution": older}),
    ))
    .await;
    let cause = assert_not_taken(&stale, "NotThisQuestion");
    assert!(
        cause.contains(&older) && cause.contains(&format!("held by execution {upgrade}")),
        "names both executions: {cause}"
    );
    assert!(
        cause.contains(&format!(r#""execution": "{upgrade}""#)),
        "the fix: {cause}"
    );
    // (The stale run, first about this database, also collected the upgrade's messages.)
    assert_told_quietly(
        &stale
            .notifications
            .iter()
            .filter(|(stage, _)| stage == "answer-not-taken")
            .cloned()
            .collect::<Vec<_>>(),
    );
    assert!(
        stale.notifications.iter().all(|(_, o)| o != "failure"),
        "{:?}",
        stale.notifications
    );
    stale.assert_never(&["Answer the wait"]);
    assert_eq!(
        wait_purpose(stack, &id).await.as_deref(),
        Some("approval-switchover"),
        "the wait is still open"
    );
    // Bound to the execution that asked (as the question's approve.json and buttons are): taken.
    let approve = run(&answer(
        "approve",
        &id,
        json!({"by": "jane@example.com", "via": "cli", "reason": "green checked", "execution": upgrade}),
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
    // The first answer's run, about the same database, collected the messages sent before it.
    let asked = stale
        .bodies
        .iter()
        .find(|b| b.contains("\"stage\":\"awaiting-approval\",\"outcome\":\"action-needed\""))
        .expect("the awaiting-approval question");
    assert!(
        asked.contains(r#"\"action\": \"approve\""#),
        "the input to paste: {asked}"
    );
    assert!(
        asked.contains(&format!(r#"\"execution\": \"{upgrade}\""#)),
        "the input to paste is bound to this execution: {asked}"
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
    // Too late: nothing waits any more, nothing changes, and the late answer is no alarm.
    let late = run(&answer("approve", &id, Value::Null)).await;
    assert_not_taken(&late, "NothingToApprove");
    assert_told_quietly(&late.notifications);
}

#[tokio::test]
async fn an_approve_with_nothing_waiting_is_told_clearly_and_changes_nothing() {
    let (stack, _) = state_machine().await;
    let id = unique("appr-none");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    let approve = run(&answer("approve", &id, Value::Null)).await;
    let cause = assert_not_taken(&approve, "NothingToApprove");
    assert!(cause.contains(&key(&id)), "names the database: {cause}");
    assert_told_quietly(&approve.notifications);
    assert!(
        approve.bodies[0].contains("nothing waits for an approval"),
        "{}",
        approve.bodies[0]
    );
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
    let took = |r: &Run| r.entered("End: Answered");
    assert_eq!(took(&a) + took(&b), 1, "{:?} {:?}", a.states(), b.states());
    let loser = if took(&a) == 1 { &b } else { &a };
    let cause = assert_not_taken(loser, "AlreadyAnswered");
    assert!(cause.contains("already answered"), "{cause}");
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    assert_eq!(done.entered("Notify approved"), 1);
    assert_eq!(done.entered("Switch over"), 1);
    // The loser's one message is information; the runs share the database's messages.
    let all: Vec<_> = [&a, &b, &done]
        .iter()
        .flat_map(|r| r.notifications.clone())
        .collect();
    assert_told_quietly(
        &all.iter()
            .filter(|(stage, _)| stage == "answer-not-taken")
            .cloned()
            .collect::<Vec<_>>(),
    );
    assert!(
        all.iter().all(|(_, outcome)| outcome != "failure"),
        "{all:?}"
    );
}

/// Approval and window together: approved before the window opens, the switchover still
/// waits for it (issue 20: the window's opening time applies after an approval).
#[tokio::test]
async fn an_approval_before_the_window_opens_switches_over_in_the_window() {
    use crate::e2e_actions::{entered_at, seconds_since_epoch};
    let id = unique("appr-window");
    // Real time, a little after the approval will come: the functions compare the window
    // with their own clock.
    let opens = std::time::SystemTime::now() + Duration::from_secs(25);
    let at = bluegreen::notify::format::rfc3339(opens);
    let mut input = upgrade(&id, LONG);
    input["options"]["switchoverAt"] = json!(at);
    input["options"]["deleteOldBlue"] = json!(false);
    let upgrade = start_until_waiting(&id, &input, "approval-switchover").await;
    let approve = run(&answer("approve", &id, json!({"by": "jane@example.com"}))).await;
    approve.assert_succeeded();
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    done.assert_path(&[
        "Wait for approval",
        "Notify approved",
        "After the approval",
        "Wait for the switchover window",
        "Snapshot blue",
        "Switch over",
        "Done",
    ]);
    let approved_at = entered_at(&done, "Notify approved");
    let switched_at = entered_at(&done, "Notify switchover started");
    let opens_at =
        seconds_since_epoch(bluegreen::window::parse_instant("at", &at).expect("an instant"));
    assert!(
        approved_at < opens_at,
        "approved ({approved_at}) before the window opened ({opens_at})"
    );
    assert!(
        switched_at >= opens_at,
        "switched over ({switched_at}) inside the window opening at {opens_at}"
    );
}

/// An approve sent as the deadline passes: whichever comes first, there is exactly one
/// outcome. Either the approval took (the upgrade switches over, the approve ends answered)
/// or the deadline did (the upgrade ends `ApprovalExpired` with green kept, the approve
/// changes nothing and is told as information: a token whose task timed out is refused by
/// SendTaskSuccess with TaskTimedOut). Never both, never a failure told for the approve.
#[tokio::test]
async fn an_approval_racing_the_deadline_has_exactly_one_outcome() {
    // Two upgrades at once, answered just before and just after their deadline (as the
    // answering execution reaches it): each has exactly one outcome, whichever it is.
    let outcomes = tokio::join!(
        approve_near_the_deadline(2600),
        approve_near_the_deadline(3100)
    );
    println!("approvals at the deadline: {outcomes:?}");
}

/// Starts an approval-mode upgrade whose deadline is 3 s away on the stack, sends an approve
/// `after_ms` after its wait is stored, and asserts one outcome; whether the approval took.
async fn approve_near_the_deadline(after_ms: u64) -> bool {
    let (stack, _) = state_machine().await;
    let id = unique("appr-edge");
    // The shortest deadline (300 s: 3 s on the stack); old blue is kept, so the approved
    // path ends at the switchover's verification.
    let mut input = upgrade(&id, 300);
    input["options"]["deleteOldBlue"] = json!(false);
    let upgrade = start_until_waiting(&id, &input, "approval-switchover").await;
    tokio::time::sleep(Duration::from_millis(after_ms)).await;
    let approve = run(&answer("approve", &id, json!({"by": "edge"}))).await;
    approve.assert_succeeded();
    let done = finish(&upgrade, &input).await;
    let took = approve.entered("End: Answered") == 1;
    if took {
        done.assert_succeeded();
        assert_eq!(done.entered("Notify approved"), 1, "{:?}", done.states());
        assert_eq!(done.entered("Switch over"), 1);
    } else {
        // (Its failure message may have reached the approve's run first: both collect the
        // messages about this database; they are counted together below.)
        assert_eq!(done.execution.status, "FAILED", "{:?}", done.states());
        assert_eq!(done.execution.error.as_deref(), Some("ApprovalExpired"));
        done.assert_never(&["Notify approved", "Snapshot blue", "Switch over"]);
        assert_eq!(deployments(stack, &id).await.len(), 1, "green is kept");
        // Too late, whether the token was already gone or its task had timed out.
        assert_not_taken(&approve, "NothingToApprove");
    }
    // One outcome told: the deadline as a failure only when it took; the approve never.
    let failures: Vec<_> = approve
        .notifications
        .iter()
        .chain(&done.notifications)
        .filter(|(_, outcome)| outcome == "failure")
        .collect();
    let expected: Vec<(String, String)> = if took {
        vec![]
    } else {
        vec![("awaiting-approval".to_owned(), "failure".to_owned())]
    };
    assert_eq!(
        failures,
        expected.iter().collect::<Vec<_>>(),
        "{:?} {:?}",
        approve.notifications,
        done.notifications
    );
    took
}

/// An upgrade that asks before the cleanup (`cleanupMode: approval`), and before the
/// switchover when `switchover` is set.
fn upgrade_asking_cleanup(id: &str, switchover: bool, timeout: u32) -> Value {
    let mut options = json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "cleanupMode": "approval", "approvalTimeoutSeconds": timeout});
    if switchover {
        options["switchoverMode"] = json!("approval");
    }
    request("upgrade", id, "aurora-mysql", options)
}

/// Old blue (`<id>-old1`) as moto has it: one entry while it exists.
async fn old_blue(stack: &Stack, id: &str) -> usize {
    clusters(stack, &format!("{id}-old1")).await.len()
}

/// One execution asks twice through the one approval block: an answer for the other wait is
/// refused each time and changes nothing (an approve meant for the switchover cannot delete
/// old blue), the right one goes on; the cleanup's question names what it deletes.
#[tokio::test]
async fn each_approval_takes_only_its_own_answer_and_the_cleanup_waits_for_its_approve() {
    let (stack, _) = state_machine().await;
    let id = unique("appr-clean");
    let input = upgrade_asking_cleanup(&id, true, LONG);
    let upgrade = start_until_waiting(&id, &input, "approval-switchover").await;
    let for_cleanup = |by: &str| answer("approve", &id, json!({"by": by, "for": "cleanup"}));
    let early = run(&for_cleanup("early")).await;
    let cause = assert_not_taken(&early, "NothingToApprove");
    assert!(
        cause.contains("is approval-switchover, and this answer is for approval-cleanup"),
        "{cause}"
    );
    assert_eq!(
        wait_purpose(stack, &id).await.as_deref(),
        Some("approval-switchover"),
        "the switchover's wait is still open"
    );
    run(&answer("approve", &id, json!({"by": "jane"})))
        .await
        .assert_succeeded();
    wait_for(&upgrade, &id, "approval-cleanup").await;
    // The switchover's kind of answer (no `for`) now: refused, old blue still there.
    let stale = run(&answer("approve", &id, json!({"by": "jane"}))).await;
    let cause = assert_not_taken(&stale, "NothingToApprove");
    assert!(
        cause.contains(r#""approval": {"for": "cleanup"}"#),
        "the fix: {cause}"
    );
    assert_eq!(old_blue(stack, &id).await, 1, "nothing deleted");
    assert_eq!(
        wait_purpose(stack, &id).await.as_deref(),
        Some("approval-cleanup"),
        "the cleanup's wait is still open"
    );
    let yes = run(&for_cleanup("ops@example.com")).await;
    yes.assert_succeeded();
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    done.assert_path(&[
        "Ask for the switchover's approval",
        "Wait for approval",
        "Notify approved",
        "After the approval",
        "Switch over",
        "Wait grace period",
        "Hook before cleanup?",
        "Ask for approval",
        "Wait for approval",
        "Notify approved",
        "After the approval",
        "Hook before cleanup?",
        "Delete old blue",
        "Done",
    ]);
    assert_eq!(
        done.entered("Wait for approval"),
        2,
        "one block, entered twice"
    );
    let answers = answered(&done, "Wait for approval");
    assert_eq!(
        (&answers[0]["for"], &answers[1]["for"]),
        (&json!("switchover"), &json!("cleanup"))
    );
    assert_eq!(
        done.output()["approval"]["by"],
        "ops@example.com",
        "kept in the state"
    );
    assert_eq!(old_blue(stack, &id).await, 0, "deleted after the approve");
    let bodies: Vec<&String> = early
        .bodies
        .iter()
        .chain(&stale.bodies)
        .chain(&yes.bodies)
        .chain(&done.bodies)
        .collect();
    let question = bodies
        .iter()
        .find(|b| b.contains("approve or reject deleting"))
        .expect("the cleanup's question");
    for needle in [
        &format!("{id}-old1"),
        "Old blue resource id",
        &format!("{id}-old1-final-"),
        "Answer until",
        "ApprovalExpired: nothing deleted, old blue kept",
        r#"\"for\": \"cleanup\""#,
    ] {
        assert!(question.contains(needle), "{needle}: {question}");
    }
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("deleting old blue approved by ops@example.com")),
        "the next message says who approved"
    );
}

/// Reject keeps old blue and releases the lock; no answer by the deadline keeps it too, told
/// once as ApprovalExpired at cleanup-scheduled; the cleanup action deletes it later.
#[tokio::test]
async fn a_rejected_or_expired_cleanup_keeps_old_blue_and_the_cleanup_action_resumes() {
    let (stack, _) = state_machine().await;
    let (no, late) = (unique("appr-cl-no"), unique("appr-cl-late"));
    let (no_input, late_input) = (
        upgrade_asking_cleanup(&no, false, LONG),
        upgrade_asking_cleanup(&late, false, 300),
    );
    let (no_run, late_run) = tokio::join!(
        start_until_waiting(&no, &no_input, "approval-cleanup"),
        start_until_waiting(&late, &late_input, "approval-cleanup"),
    );
    let reject = run(&answer(
        "reject",
        &no,
        json!({"for": "cleanup", "reason": "keep it a week"}),
    ))
    .await;
    reject.assert_succeeded();
    let (rejected, expired) =
        tokio::join!(finish(&no_run, &no_input), finish(&late_run, &late_input));
    rejected.assert_succeeded();
    rejected.assert_path(&[
        "Hook before cleanup?",
        "Wait for approval",
        "Notify rejected",
        "Release the lock",
        "Rejected",
    ]);
    rejected.assert_never(&["Delete old blue"]);
    assert_eq!(old_blue(stack, &no).await, 1, "old blue kept");
    assert_eq!(
        seed::lock_holder(&stack.moto, &key(&no)).await,
        None,
        "the lock is released"
    );
    assert!(
        reject
            .bodies
            .iter()
            .chain(&rejected.bodies)
            .any(|b| b.contains("deleting old blue rejected by") && b.contains("keep it a week")),
        "people are told"
    );
    expired.assert_failed_at("ApprovalExpired", "cleanup-scheduled");
    expired.assert_never(&["Delete old blue"]);
    let cause = expired.execution.cause.clone().unwrap_or_default();
    assert!(
        cause.contains("nothing was deleted and old blue is kept"),
        "{cause}"
    );
    assert_eq!(old_blue(stack, &late).await, 1, "old blue kept");
    let mut cleanup = late_input.clone();
    cleanup["action"] = json!("cleanup");
    let resumed = run(&cleanup).await;
    resumed.assert_succeeded();
    resumed.assert_never(&["Ask for approval"]);
    assert_eq!(
        old_blue(stack, &late).await,
        0,
        "the cleanup action deleted it"
    );
}
