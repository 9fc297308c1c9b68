//! The endpoint end to end in process: SDK mocks for Secrets Manager and Step Functions
//! (the emulator tier runs the same against moto: tests/tests/emulator/notify_approvals.rs).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::error::ExecutionAlreadyExists;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use serde_json::{json, Value};

use super::http::tests::event;
use super::payload::tests::{form, payload, VALUE};
use super::*;

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const MACHINE: &str = "arn:aws:states:eu-west-1:111122223333:stateMachine:hub-bluegreen";
const FLEET_MACHINE: &str = "arn:aws:states:eu-west-1:111122223333:stateMachine:hub-fleet";
const NOW: u64 = 1_767_000_000;
const APPROVER: &str = "U0JANE001";

/// Each start: (state machine ARN, execution name, input).
type Started = Arc<Mutex<Vec<(String, String, Value)>>>;

fn start_rule(started: Started) -> Rule {
    mock!(aws_sdk_sfn::Client::start_execution).then_compute_output(move |input| {
        let name = input.name().unwrap_or_default().to_owned();
        let body: Value = serde_json::from_str(input.input().unwrap_or("null")).unwrap();
        let machine = input.state_machine_arn().unwrap_or_default().to_owned();
        started.lock().unwrap().push((machine, name.clone(), body));
        StartExecutionOutput::builder()
            .execution_arn(format!(
                "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:{name}"
            ))
            .start_date(aws_smithy_types::DateTime::from_secs(NOW as i64))
            .build()
            .unwrap()
    })
}

fn interactions(start: &Rule) -> Interactions {
    let secret = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_output(|| {
        GetSecretValueOutput::builder()
            .secret_string(SECRET)
            .build()
    });
    Interactions::new(
        mock_client!(aws_sdk_secretsmanager, [&secret]),
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack-signing",
        AllowList::parse(APPROVER, "SLACK_APPROVERS").unwrap(),
        Starter::new(
            mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [start]),
            MACHINE,
            FLEET_MACHINE,
        ),
    )
    .unwrap()
}

/// A click's request as Slack signs it at `signed_at`; its reply goes to a closed local port.
fn request(action: &str, user: &str, signed_at: u64, secret: &str) -> Value {
    request_on(VALUE, action, user, signed_at, secret)
}

/// The same for a button carrying `value`.
fn request_on(value: &str, action: &str, user: &str, signed_at: u64, secret: &str) -> Value {
    let mut p = payload(action, value, user);
    p["response_url"] = json!("http://127.0.0.1:9/actions/T0TEAM/1/abc");
    let body = form(&p);
    let ts = signed_at.to_string();
    let signature = SigningSecret::parse(secret).unwrap().sign(&ts, &body);
    event(
        json!({"x-slack-request-timestamp": ts, "x-slack-signature": signature,
               "content-type": "application/x-www-form-urlencoded"}),
        &body,
        true,
    )
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

#[tokio::test]
async fn an_allowed_signed_click_starts_one_approval_and_says_so() {
    let started = Started::default();
    let rule = start_rule(started.clone());
    let i = interactions(&rule);
    let req = request("bluegreen-approve", APPROVER, NOW - 2, SECRET);
    let answered = answer(Some(&i), &req, at(NOW)).await;
    assert_eq!(answered["statusCode"], 200, "{answered}");
    let body: Value = serde_json::from_str(answered["body"].as_str().unwrap()).unwrap();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("approve the switchover"),
        "{body}"
    );

    // Slack retries the same request: same name, same input (idempotent in Step Functions).
    answer(Some(&i), &req, at(NOW + 3)).await;
    let started = started.lock().unwrap().clone();
    assert_eq!(started.len(), 2);
    assert_eq!(started[0], started[1]);
    let (machine, name, input) = &started[0];
    assert_eq!(machine, MACHINE);
    assert!(name.starts_with("slack-approve-"), "{name}");
    assert_eq!(input["action"], "approve");
    assert_eq!(input["target"]["identifier"], "orders");
    assert_eq!(input["approval"]["by"], "slack:U0JANE001 (jane)");
    assert_eq!(input["approval"]["via"], "slack");
}

#[tokio::test]
async fn each_question_s_click_starts_its_own_machine_bound_to_its_purpose() {
    let started = Started::default();
    let rule = start_rule(started.clone());
    let i = interactions(&rule);
    let execution = |machine: &str, name: &str| {
        format!(
            "{}:{name}",
            machine.replace(":stateMachine:", ":execution:")
        )
    };
    let wave = format!(
        r#"{{"fleet":"pg16-dec","for":"wave","execution":"{}"}}"#,
        execution(FLEET_MACHINE, "pg16-dec-1")
    );
    let cleanup = VALUE.replacen(r#","execution""#, r#","for":"cleanup","execution""#, 1);
    for value in [&wave, &cleanup] {
        let req = request_on(value, "bluegreen-approve", APPROVER, NOW, SECRET);
        let answered = answer(Some(&i), &req, at(NOW)).await;
        assert_eq!(answered["statusCode"], 200, "{answered}");
    }
    let started = started.lock().unwrap().clone();
    let (machine, _, input) = &started[0];
    assert_eq!(machine, FLEET_MACHINE, "a wave is the fleet machine's");
    assert_eq!(input["fleet"], "pg16-dec");
    assert_eq!(input["approval"]["for"], "wave");
    assert!(input.get("target").is_none(), "{input}");
    let (machine, _, input) = &started[1];
    assert_eq!(machine, MACHINE, "a cleanup is the database's");
    assert_eq!(input["target"]["identifier"], "orders");
    assert_eq!(input["approval"]["for"], "cleanup");
    // A value claiming another question's purpose is refused and starts nothing.
    let mixed = VALUE.replacen(r#","execution""#, r#","for":"wave","execution""#, 1);
    let refused = answer(
        Some(&i),
        &request_on(&mixed, "bluegreen-approve", APPROVER, NOW, SECRET),
        at(NOW),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn refusals_have_their_status_and_start_nothing() {
    let started = Started::default();
    let rule = start_rule(started.clone());
    let i = interactions(&rule);
    let signed = request("bluegreen-approve", APPROVER, NOW, SECRET);
    let mut unsigned = signed.clone();
    unsigned["headers"] = json!({"content-type": "application/x-www-form-urlencoded"});
    let mut get = signed.clone();
    get["requestContext"]["http"]["method"] = json!("GET");
    let mut tampered = signed.clone();
    let body = String::from_utf8(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            signed["body"].as_str().unwrap(),
        )
        .unwrap(),
    )
    .unwrap()
    .replace("orders", "payments");
    tampered["body"] = json!(body);
    tampered["isBase64Encoded"] = json!(false);
    for (what, req, status, reason) in [
        ("unsigned", unsigned, 401, "unsigned request"),
        (
            "stale",
            request("bluegreen-approve", APPROVER, NOW - 301, SECRET),
            401,
            "stale request",
        ),
        (
            "from the future",
            request("bluegreen-approve", APPROVER, NOW + 301, SECRET),
            401,
            "stale request",
        ),
        (
            "signed with another secret",
            request("bluegreen-approve", APPROVER, NOW, "not-the-app-secret"),
            401,
            "does not match",
        ),
        ("tampered", tampered, 401, "does not match"),
        (
            "another button",
            request("bluegreen-switchover-now", APPROVER, NOW, SECRET),
            400,
            "unknown action",
        ),
        (
            "not on the list",
            request("bluegreen-approve", "U0MALLORY", NOW, SECRET),
            403,
            "U0MALLORY is not on the approvers' list",
        ),
        ("not a POST", get, 405, "only POST"),
    ] {
        let answered = answer(Some(&i), &req, at(NOW)).await;
        assert_eq!(answered["statusCode"], status, "{what}: {answered}");
        assert!(
            answered["body"].as_str().unwrap().contains(reason),
            "{what}: {answered}"
        );
    }
    assert_eq!(rule.num_calls(), 0, "a refusal started an execution");
    let off = answer(
        None,
        &request("bluegreen-approve", APPROVER, NOW, SECRET),
        at(NOW),
    )
    .await;
    assert_eq!(off["statusCode"], 404);
}

#[tokio::test]
async fn a_click_whose_execution_already_ended_is_told_not_retried() {
    let rule = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder().message("ended").build(),
        )
    });
    let i = interactions(&rule);
    let answered = answer(
        Some(&i),
        &request("bluegreen-reject", APPROVER, NOW, SECRET),
        at(NOW),
    )
    .await;
    assert_eq!(answered["statusCode"], 200, "{answered}");
    assert!(
        answered["body"].as_str().unwrap().contains("already taken"),
        "{answered}"
    );
}

#[tokio::test]
async fn refusals_are_logged_with_their_reason_and_never_the_secret() {
    let rule = start_rule(Started::default());
    let i = interactions(&rule);
    // The refusals once before the capture: their call sites are registered by then, so the
    // capture's interest reaches them (Captured::install).
    for req in [
        request("bluegreen-approve", APPROVER, NOW - 600, SECRET),
        request("bluegreen-approve", "U0MALLORY", NOW, SECRET),
    ] {
        answer(Some(&i), &req, at(NOW)).await;
    }
    let capture = crate::steps::notify::tests::Captured::install().await;
    let mut answers = Vec::new();
    for req in [
        request("bluegreen-approve", APPROVER, NOW - 600, SECRET),
        request("bluegreen-approve", "U0MALLORY", NOW, SECRET),
        request("bluegreen-approve", APPROVER, NOW, SECRET),
    ] {
        answers.push(answer(Some(&i), &req, at(NOW)).await.to_string());
    }
    let logs = capture.logs.text();
    for expected in [
        "Slack approval request refused",
        "stale request",
        "U0MALLORY",
        "Slack approval answer started",
    ] {
        assert!(logs.contains(expected), "the logs say {expected:?}: {logs}");
    }
    for text in answers.iter().chain([&logs]) {
        assert!(!text.contains(SECRET), "the signing secret leaked: {text}");
    }
}
