//! Approving from Slack on the local stack (issue 20, item 3): a click on the "awaiting
//! approval" message's buttons, sent as Slack sends it (a form-encoded `payload`, signed with
//! the test app's signing secret) and handed to the stack's real notify binary as its Function
//! URL hands it (payload format 2.0: `e2e::slack`), is verified there, starts an `approve` or
//! `reject` execution in moto's Step Functions, and the waiting upgrade resumes or ends, saying
//! who answered via Slack. Unsigned, stale and not-allowed clicks are refused with their HTTP
//! status and change nothing; a late click is told as information, never as a failure. A click
//! on a fleet's question between waves starts an approve of the fleet machine, bound to that
//! fleet's wave.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::e2e_approvals::{
    answered, answered_in, assert_not_taken, assert_told_quietly, key,
    upgrade_waiting_for_approval, wait_purpose, LONG,
};
use crate::e2e_fleet::{
    children, hub, start_asking_between_two_waves, statuses_of, until_the_fleet_waits,
    FLEET_TIMEOUT, LONGEST_APPROVAL,
};
use crate::e2e_support::{finish, state_machine, Run};
use e2e::moto::unique;
use e2e::slack::{
    function_url_event, signed_headers, Click, HttpAnswer, APPROVER, APPROVER_NAME, SIGNING_SECRET,
};
use e2e::stack::Stack;
use serde_json::{json, Value};

/// Where the clicks' replies go: a closed port on the loopback, refused at once (the reply's
/// delivery through `response_url` is the emulator tier's: emulator/notify_approvals.rs).
const NOWHERE: &str = "http://127.0.0.1:9/actions/T0E2ETEAM/1/e2e";

/// Who Slack says answered, as the answering execution records it.
fn slack_by() -> String {
    format!("slack:{APPROVER} ({APPROVER_NAME})")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Slack's POST to notify's Function URL: the event Lambda makes of it, invoked on the stack's
/// notify; the HTTP response Lambda makes of the answer.
async fn post(stack: &Stack, headers: &[(String, String)], body: &str, base64: bool) -> HttpAnswer {
    let event = function_url_event(headers, body, base64);
    let (status, answer) = stack.lambda.invoke("notify", &event).await;
    assert_eq!(status, 200, "notify answered the invocation: {answer}");
    HttpAnswer::from_function(&answer)
}

/// The same POST, signed with the test app's secret at `t` as Slack signs it.
async fn post_signed(stack: &Stack, t: u64, body: &str) -> HttpAnswer {
    post(stack, &signed_headers(SIGNING_SECRET, t, body), body, false).await
}

/// The click's execution, named in the reply to the person (`Approval execution: `<name>``).
fn started_execution(answer: &HttpAnswer, machine: &str) -> String {
    let text = answer.json()["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = text
        .rsplit('`')
        .nth(1)
        .filter(|n| n.starts_with("slack-"))
        .unwrap_or_else(|| panic!("the reply names the execution it started: {text}"));
    format!(
        "{}:{name}",
        machine.replace(":stateMachine:", ":execution:")
    )
}

/// The executions Slack's clicks started about the database `id` (`slack-approve-…`,
/// `slack-reject-…`).
async fn slack_answers(stack: &Stack, machine: &str, id: &str) -> Vec<String> {
    let sfn = stack.sfn();
    let mut found = Vec::new();
    let mut token = Value::Null;
    loop {
        let mut request = json!({"stateMachineArn": machine, "maxResults": 1000});
        if !token.is_null() {
            request["nextToken"] = token.clone();
        }
        let page = sfn.call("ListExecutions", request).await;
        for e in page["executions"].as_array().into_iter().flatten() {
            let name = e["name"].as_str().unwrap_or_default();
            if !["slack-approve-", "slack-reject-"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                continue;
            }
            let arn = e["executionArn"].as_str().unwrap_or_default();
            let described = sfn
                .call("DescribeExecution", json!({"executionArn": arn}))
                .await;
            let input: Value =
                serde_json::from_str(described["input"].as_str().unwrap_or("null")).unwrap();
            if input["target"]["identifier"] == id {
                found.push(arn.to_owned());
            }
        }
        token = page["nextToken"].clone();
        if token.is_null() {
            return found;
        }
    }
}

/// The button's value on the message the waiting `execution` sent about `input`'s database.
fn button_value(input: &Value, execution: &str) -> Value {
    json!({"target": input["target"], "execution": execution})
}

/// A click by `user` on `action_id`, at the time `at` in Slack.
fn click<'a>(action_id: &'a str, user: &'a str, value: &'a Value, at: &'a str) -> Click<'a> {
    Click {
        action_id,
        user,
        value,
        action_ts: at,
        response_url: NOWHERE,
    }
}

#[tokio::test]
async fn a_signed_slack_click_approves_and_unsigned_stale_or_unlisted_ones_change_nothing() {
    let (stack, machine) = state_machine().await;
    let (id, input, upgrade) = upgrade_waiting_for_approval("slack-yes", LONG).await;
    let value = button_value(&input, &upgrade);
    let t = now();
    let at = format!("{t}.000100");
    let approve = click("bluegreen-approve", APPROVER, &value, &at).body();

    // Refused, each with its status and reason, before anything is started.
    let mallory = click("bluegreen-approve", "U0E2EMALLORY", &value, &at).body();
    for (what, headers, body, status, reason) in [
        ("unsigned", vec![], &approve, 401, "unsigned request"),
        (
            "stale (6 minutes old, validly signed)",
            signed_headers(SIGNING_SECRET, t - 360, &approve),
            &approve,
            401,
            "stale request",
        ),
        (
            "signed with another app's secret",
            signed_headers("another0apps0signing0secret00000", t, &approve),
            &approve,
            401,
            "does not match",
        ),
        (
            "a user not on the approvers' list",
            signed_headers(SIGNING_SECRET, t, &mallory),
            &mallory,
            403,
            "U0E2EMALLORY is not on the approvers' list",
        ),
    ] {
        let answer = post(stack, &headers, body, false).await;
        assert_eq!(answer.status, status, "{what}: {answer:?}");
        assert!(answer.body.contains(reason), "{what}: {answer:?}");
        assert!(answer.content_type.starts_with("text/plain"), "{answer:?}");
    }
    // Nothing changed: the upgrade still waits with its token, and no answer was started.
    assert_eq!(
        wait_purpose(stack, &id).await.as_deref(),
        Some("approval-switchover")
    );
    let still = stack
        .sfn()
        .call("DescribeExecution", json!({"executionArn": upgrade}))
        .await;
    assert_eq!(still["status"], "RUNNING");
    assert_eq!(
        slack_answers(stack, machine, &id).await,
        Vec::<String>::new()
    );

    // The allowed, signed click (body base64-encoded this time): verified, answered at once.
    let signed = signed_headers(SIGNING_SECRET, t, &approve);
    let answer = post(stack, &signed, &approve, true).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let reply = answer.json();
    assert_eq!(reply["response_type"], "ephemeral", "only to the person");
    let text = reply["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "<@{APPROVER}> asked to approve the switchover of *{id}*"
        )),
        "{text}"
    );
    let approval = started_execution(&answer, machine);
    // Slack retries a request it got no answer to within 3 s: the same click starts nothing more.
    assert_eq!(post(stack, &signed, &approve, false).await.status, 200);

    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    done.assert_path(&[
        "Wait for approval",
        "Notify approved",
        "Switch over",
        "Done",
    ]);
    let answer = &answered(&done, "Wait for approval")[0];
    assert_eq!(answer["decision"], "approve");
    assert_eq!(answer["by"], slack_by().as_str());
    assert_eq!(answer["via"], "slack");
    assert_eq!(
        done.output()["approval"]["via"],
        "slack",
        "kept in the state"
    );
    assert!(
        done.bodies
            .iter()
            .any(|b| b.contains(&format!("approved by {}", slack_by()))),
        "the next message says who approved via Slack: {:?}",
        done.stages()
    );
    assert_eq!(
        slack_answers(stack, machine, &id).await,
        vec![approval.clone()]
    );
    let approved = stack
        .sfn()
        .wait(&approval, std::time::Duration::from_secs(60))
        .await;
    assert_eq!(approved.status, "SUCCEEDED", "{:?}", approved.states);
    assert!(approved.states.iter().any(|s| s == "Answered"));
}

#[tokio::test]
async fn a_slack_reject_ends_the_upgrade_and_a_late_click_is_told_as_information() {
    let (stack, machine) = state_machine().await;
    let (id, input, upgrade) = upgrade_waiting_for_approval("slack-no", LONG).await;
    let value = button_value(&input, &upgrade);
    let t = now();
    let at = format!("{t}.000200");
    let reject = click("bluegreen-reject", APPROVER, &value, &at).body();
    let answer = post_signed(stack, t, &reject).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let done = finish(&upgrade, &input).await;
    done.assert_succeeded();
    done.assert_path(&["Wait for approval", "Notify rejected", "Rejected"]);
    done.assert_never(&["Snapshot blue", "Switch over"]);
    let rejected = &answered(&done, "Wait for approval")[0];
    assert_eq!(rejected["decision"], "reject");
    assert_eq!(rejected["by"], slack_by().as_str());
    assert!(
        done.bodies
            .iter()
            .any(|b| b.contains(&format!("rejected by {}", slack_by()))),
        "{:?}",
        done.stages()
    );

    // A second person's click on the same message, after the upgrade ended: Slack is answered
    // (the click was asked), the answer changes nothing and is told once, as information.
    let later = format!("{t}.000300");
    let approve = click("bluegreen-approve", APPROVER, &value, &later).body();
    let answer = post_signed(stack, now(), &approve).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let late_arn = started_execution(&answer, machine);
    let late_input: Value = json!({"target": input["target"]});
    let late: Run = finish(&late_arn, &late_input).await;
    let cause = assert_not_taken(&late, "NothingToApprove");
    assert!(cause.contains(&key(&id)), "{cause}");
    assert_told_quietly(&late.notifications);
    let told = &late.bodies[0];
    assert!(
        told.contains(&format!("approve by {} not taken", slack_by())),
        "names who clicked: {told}"
    );
    assert_eq!(
        slack_answers(stack, machine, &id).await.len(),
        2,
        "the reject and the late approve"
    );
}

/// The fleet's question between waves carries buttons bound to the fleet's wave: a click starts
/// an `approve` of the fleet state machine (notify's `FLEET_STATE_MACHINE_ARN`), which answers
/// the fleet's wait; the next wave runs and the fleet keeps who approved via Slack. A value
/// naming the fleet with another purpose is refused and starts nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_slack_click_on_a_fleet_s_question_approves_its_next_wave() {
    let hub = hub().await;
    let stack = hub.stack;
    let fleet = unique("slack-wave");
    let (dbs, execution) =
        start_asking_between_two_waves(hub, &fleet, &unique(&fleet), LONGEST_APPROVAL).await;
    until_the_fleet_waits(hub, &fleet, &execution).await;
    let t = now();
    let at = format!("{t}.000400");

    let mixed = json!({"fleet": fleet, "for": "cleanup", "execution": execution});
    let body = click("bluegreen-approve", APPROVER, &mixed, &at).body();
    let refused = post_signed(stack, t, &body).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(refused.body.contains("names neither"), "{refused:?}");

    let value = json!({"fleet": fleet, "for": "wave", "execution": execution});
    let approve = click("bluegreen-approve", APPROVER, &value, &at).body();
    let answer = post_signed(stack, t, &approve).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let text = answer.json()["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        text.contains(&format!(
            "<@{APPROVER}> asked to approve the next wave of fleet *{fleet}*"
        )),
        "{text}"
    );
    let approval = started_execution(&answer, &hub.fleet_machine);
    let took = stack.sfn().wait(&approval, FLEET_TIMEOUT).await;
    assert_eq!(took.status, "SUCCEEDED", "{:?}", took.states);
    let out = took.output.clone().expect("output");
    assert_eq!(out["status"], "answered", "{out}");
    assert_eq!(out["execution"], json!(execution), "the fleet's own wait");

    let done = stack.sfn().wait(&execution, FLEET_TIMEOUT).await;
    assert_eq!(done.status, "SUCCEEDED", "{:?}", done.cause);
    let received = &answered_in(&done, "Ask the fleet's approval")[0];
    assert_eq!(received["decision"], "approve");
    assert_eq!(received["for"], "wave");
    assert_eq!(received["by"], slack_by().as_str());
    assert_eq!(received["via"], "slack");
    assert_eq!(
        statuses_of(hub, &fleet, &done, &dbs),
        ["passed", "passed"],
        "wave 2 ran after the click"
    );
    assert_eq!(children(hub, &fleet).await.len(), 2);
}
