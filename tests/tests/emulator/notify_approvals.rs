//! Approving from Slack, through notify's handler as its Function URL calls it: a request
//! signed as Slack signs it (HMAC-SHA256 computed here, independently of the product) starts
//! an `approve` execution on moto's Step Functions under a name derived from the click, reads
//! the signing secret from moto's Secrets Manager, and answers the person through the click's
//! `response_url`; Slack's retry starts nothing more; unsigned, stale, badly signed, foreign
//! and not-allowed requests start nothing.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bluegreen::notify::interaction::allow_list::AllowList;
use bluegreen::notify::interaction::config::InteractionConfig;
use bluegreen::notify::interaction::{answer, is_function_url_event, Interactions};
use e2e::moto::{moto, unique, ACCOUNT, REGION};
use e2e::stepfunctions::StepFunctions;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};

use crate::notify_support::{secret, FakeSlack, Reply};

const SIGNING_SECRET: &str = "e2e0signing0secret0abcdef0123456";
const APPROVER: &str = "U0E2EJANE";

/// A per-database machine stand-in that stays RUNNING long enough for the retry to meet it.
const WAITING: &str =
    r#"{"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 20, "End": true}}}"#;

struct Setup {
    sfn: StepFunctions,
    machine: String,
    interactions: Interactions,
    slack: FakeSlack,
}

async fn setup() -> Setup {
    let moto = moto();
    let sfn = StepFunctions::new(&moto.endpoint);
    let machine = sfn
        .create_state_machine(&unique("bluegreen-approvals"), WAITING)
        .await;
    let fleet_machine = sfn
        .create_state_machine(&unique("fleet-approvals"), WAITING)
        .await;
    let secret_arn = secret(moto, &json!({"signingSecret": SIGNING_SECRET}).to_string()).await;
    let config = InteractionConfig {
        signing_secret_arn: secret_arn,
        approvers: AllowList::parse(APPROVER, "SLACK_APPROVERS").unwrap(),
        state_machine_arn: machine.clone(),
        fleet_state_machine_arn: fleet_machine,
    };
    let interactions = Interactions::from_config(&config, &moto.sdk_config(REGION)).unwrap();
    let slack = FakeSlack::start(vec![], Reply::Ok).await;
    Setup {
        sfn,
        machine,
        interactions,
        slack,
    }
}

/// The Function URL event of a click on `action_id` by `user`, signed with `key` at `ts`.
fn click(setup: &Setup, action_id: &str, user: &str, database: &str, ts: u64, key: &str) -> Value {
    let value = json!({
        "target": {"accountId": ACCOUNT, "region": REGION, "identifier": database, "engine": "aurora-postgresql"},
        "execution": format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:bluegreen:{database}-upgrade"),
    });
    let payload = json!({
        "type": "block_actions",
        "team": {"id": "T0E2E"},
        "user": {"id": user, "username": "jane.doe", "team_id": "T0E2E"},
        "response_url": setup.slack.url,
        "actions": [{"action_id": action_id, "block_id": "bluegreen-approval", "type": "button",
                     "value": value.to_string(), "action_ts": format!("{ts}.000100")}],
    });
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts.to_string(),
                    "x-slack-signature": signature, "x-slack-retry-num": "0"},
        "requestContext": {"http": {"method": "POST", "path": "/", "sourceIp": "203.0.113.9"}},
        "body": base64::engine::general_purpose::STANDARD.encode(body),
        "isBase64Encoded": true,
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn executions(sfn: &StepFunctions, machine: &str) -> Vec<Value> {
    let listed = sfn
        .call("ListExecutions", json!({"stateMachineArn": machine}))
        .await;
    listed["executions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_signed_approval_starts_one_execution_with_the_approvers_name() {
    let s = setup().await;
    let database = unique("orders");
    let request = click(
        &s,
        "bluegreen-approve",
        APPROVER,
        &database,
        now(),
        SIGNING_SECRET,
    );
    assert!(is_function_url_event(&request));

    // The first click of a container reads the signing secret too; Slack waits 3 s at most.
    let clock = Instant::now();
    let first = answer(Some(&s.interactions), &request, SystemTime::now()).await;
    let took = clock.elapsed();
    println!("first click answered in {} ms", took.as_millis());
    assert!(took < Duration::from_secs(3), "answered in {took:?}");
    assert_eq!(first["statusCode"], 200, "{first}");
    // Slack retries when its 3 s pass: the same request, the same execution.
    let retry = answer(Some(&s.interactions), &request, SystemTime::now()).await;
    assert_eq!(retry["statusCode"], 200, "{retry}");

    let started = executions(&s.sfn, &s.machine).await;
    assert_eq!(started.len(), 1, "{started:?}");
    let arn = started[0]["executionArn"].as_str().unwrap();
    assert!(started[0]["name"]
        .as_str()
        .unwrap()
        .starts_with("slack-approve-"));
    let described = s
        .sfn
        .call("DescribeExecution", json!({"executionArn": arn}))
        .await;
    let input: Value = serde_json::from_str(described["input"].as_str().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({
            "action": "approve",
            "target": {"accountId": ACCOUNT, "region": REGION, "identifier": database, "engine": "aurora-postgresql"},
            // The button carries no `for` (as sent before cleanup and wave buttons existed):
            // a switchover's, said explicitly in the answer.
            // Bound to the execution that asked (its button's `execution`).
            "approval": {"by": "slack:U0E2EJANE (jane.doe)", "via": "slack", "for": "switchover",
                         "reason": format!("approve clicked in Slack on the message of execution {database}-upgrade"),
                         "execution": format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:bluegreen:{database}-upgrade")},
        })
    );

    // The person is told, through the click's response_url, only to them.
    let told = s.slack.received();
    assert_eq!(told.len(), 2, "one reply per request");
    assert_eq!(told[0].body["response_type"], "ephemeral");
    let text = told[0].body["text"].as_str().unwrap();
    assert!(
        text.contains("<@U0E2EJANE> asked to approve the switchover") && text.contains(&database),
        "{text}"
    );
    s.sfn
        .call("StopExecution", json!({"executionArn": arn}))
        .await;
}

#[tokio::test]
async fn unsigned_stale_forged_foreign_or_unlisted_requests_start_nothing() {
    let s = setup().await;
    let db = unique("payments");
    let t = now();
    let mut unsigned = click(&s, "bluegreen-approve", APPROVER, &db, t, SIGNING_SECRET);
    unsigned["headers"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !k.starts_with("x-slack"));
    for (what, request, status) in [
        ("unsigned", unsigned, 401),
        (
            "stale (6 minutes old)",
            click(
                &s,
                "bluegreen-approve",
                APPROVER,
                &db,
                t - 360,
                SIGNING_SECRET,
            ),
            401,
        ),
        (
            "signed with another key",
            click(
                &s,
                "bluegreen-approve",
                APPROVER,
                &db,
                t,
                "someone-elses-signing-secret",
            ),
            401,
        ),
        (
            "another action",
            click(
                &s,
                "bluegreen-delete-blue",
                APPROVER,
                &db,
                t,
                SIGNING_SECRET,
            ),
            400,
        ),
        (
            "a user not on the list",
            click(
                &s,
                "bluegreen-reject",
                "U0E2EMALLORY",
                &db,
                t,
                SIGNING_SECRET,
            ),
            403,
        ),
    ] {
        let answered = answer(Some(&s.interactions), &request, SystemTime::now()).await;
        assert_eq!(answered["statusCode"], status, "{what}: {answered}");
    }
    assert_eq!(executions(&s.sfn, &s.machine).await, Vec::<Value>::new());
    // Only the authentic click of the user not on the list was told why (nothing else is
    // known to come from Slack).
    let told = s.slack.received();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].body["text"]
        .as_str()
        .unwrap()
        .contains("not on the approvers' list"));
}

#[tokio::test]
async fn a_click_whose_execution_has_ended_is_answered_as_already_taken() {
    let s = setup().await;
    let database = unique("billing");
    let request = click(
        &s,
        "bluegreen-reject",
        APPROVER,
        &database,
        now(),
        SIGNING_SECRET,
    );
    assert_eq!(
        answer(Some(&s.interactions), &request, SystemTime::now()).await["statusCode"],
        200
    );
    let arn = executions(&s.sfn, &s.machine).await[0]["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    s.sfn
        .call("StopExecution", json!({"executionArn": arn}))
        .await;
    // A late retry of the same click: Step Functions refuses the name (ExecutionAlreadyExists,
    // the execution is closed) and the person is told it was already taken.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let late = answer(Some(&s.interactions), &request, SystemTime::now()).await;
    assert_eq!(late["statusCode"], 200, "{late}");
    assert!(
        late["body"].as_str().unwrap().contains("already taken"),
        "{late}"
    );
    assert_eq!(executions(&s.sfn, &s.machine).await.len(), 1);
}
