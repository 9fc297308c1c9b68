//! Slack delivery through a real HTTP exchange: the notify step reads the webhook URL from
//! Secrets Manager (moto) and posts Block Kit to a local stand-in for Slack, which checks
//! the payload and answers 200, 429 with Retry-After, 404 or 500.

use std::time::{Duration, Instant};

use crate::notify_support::{execution, notifier, request, secret, verified, FakeSlack, Reply};
use bluegreen::steps::notify::handle;
use e2e::moto::{moto, unique, ACCOUNT, REGION};
use e2e::seed;
use serde_json::{json, Value};

/// A notifier whose Slack webhook is `slack`, and a fresh topic.
async fn setup(slack: &FakeSlack) -> bluegreen::notify::Notifier {
    let moto = moto();
    let (topic, _queue) = seed::topic_with_queue(moto, &unique("notify-slack")).await;
    let secret = secret(moto, &slack.url).await;
    notifier(moto, &topic, Some(secret))
}

fn texts(blocks: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for block in blocks.as_array().unwrap() {
        if let Some(t) = block["text"]["text"].as_str() {
            out.push(t.to_owned());
        }
        for f in block["fields"].as_array().into_iter().flatten() {
            out.push(f["text"].as_str().unwrap().to_owned());
        }
    }
    out
}

#[tokio::test]
async fn slack_gets_header_fields_links_and_the_outcome_colour() {
    let slack = FakeSlack::start(vec![], Reply::Ok).await;
    let notifier = setup(&slack).await;
    let db = unique("orders");
    let event = json!({
        "stage": "verified", "outcome": "success", "request": request(&db),
        "deployment": {"id": "bgd-slack1", "name": "bg", "sourceArn": format!("arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{db}")},
        "detail": verified(&db, 42.0),
        "execution": execution("run-slack-1")
    });
    let answer = handle(event, &notifier).await.unwrap();
    assert_eq!(
        answer["slack"],
        json!({"status": "sent", "attempts": 1}),
        "{answer}"
    );
    assert_eq!(answer["sns"]["delivered"], json!(true), "{answer}");

    let got = slack.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, slack.path);
    assert!(
        got[0].content_type.starts_with("application/json"),
        "{}",
        got[0].content_type
    );
    let body = &got[0].body;
    assert_eq!(
        body["text"],
        format!("[Blue/Green] {db}: production verified on 8.0.mysql_aurora.3.08.0")
    );
    let header = &body["blocks"][0];
    assert_eq!(header["type"], "header");
    assert_eq!(
        header["text"]["text"],
        format!(":white_check_mark: {db}: production verified on 8.0.mysql_aurora.3.08.0")
    );
    let attachment = &body["attachments"][0];
    assert_eq!(attachment["color"], "#2EB886");
    let texts = texts(&attachment["blocks"]);
    for field in [
        format!("*Database*\n{db}"),
        "*Engine*\naurora-mysql".to_owned(),
        format!("*Account*\n{ACCOUNT}"),
        format!("*Region*\n{REGION}"),
        "*Stage*\nverified".to_owned(),
        "*Outcome*\nsuccess".to_owned(),
        "*Deployment*\nbgd-slack1".to_owned(),
        "*Switchover took*\n42 s".to_owned(),
    ] {
        assert!(
            texts.contains(&field),
            "missing field {field:?} in {texts:#?}"
        );
    }
    let links = texts
        .iter()
        .find(|t| t.contains("|Execution in Step Functions>"))
        .expect("links section");
    let execution_arn =
        format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:bluegreen:run-slack-1");
    assert!(
        links.contains(&format!("<https://{REGION}.console.aws.amazon.com/states/home?region={REGION}#/v2/executions/details/{execution_arn}|Execution in Step Functions>")),
        "{links}"
    );
    assert!(
        links.contains(&format!("<https://{REGION}.console.aws.amazon.com/rds/home?region={REGION}#database:id={db};is-cluster=true|{db} in the RDS console>")),
        "{links}"
    );
}

#[tokio::test]
async fn a_failure_is_red_and_says_what_to_do() {
    let slack = FakeSlack::start(vec![], Reply::Ok).await;
    let notifier = setup(&slack).await;
    let db = unique("orders");
    let cause = json!({"errorType": "DeploymentFailed", "errorMessage": "Blue/Green deployment bgd-9 failed: INVALID_CONFIGURATION: replication <broken> & stopped"}).to_string();
    let event = json!({
        "stage": "failed", "outcome": "failure", "request": request(&db),
        "deployment": {"id": "bgd-9"},
        "detail": {"failedStage": "green-creating"},
        "error": {"Error": "DeploymentFailed", "Cause": cause},
    });
    let answer = handle(event, &notifier).await.unwrap();
    assert_eq!(answer["slack"]["status"], "sent", "{answer}");
    let body = &slack.received()[0].body;
    assert_eq!(body["attachments"][0]["color"], "#A30200");
    assert_eq!(
        body["blocks"][0]["text"]["text"],
        format!(":x: {db}: failed at green-creating: DeploymentFailed")
    );
    let texts = texts(&body["attachments"][0]["blocks"]);
    let summary = &texts[0];
    assert!(
        summary.contains("replication &lt;broken&gt; &amp; stopped"),
        "mrkdwn is escaped: {summary}"
    );
    assert!(summary.contains("Blue is untouched"), "{summary}");
    let steps = texts
        .iter()
        .find(|t| t.starts_with("*What to do next*"))
        .expect("next steps");
    assert!(steps.contains("\"action\": \"abandon\""), "{steps}");
}

#[tokio::test]
async fn rate_limit_is_retried_after_the_retry_after_delay() {
    let slack = FakeSlack::start(vec![Reply::TooMany { retry_after: 1 }], Reply::Ok).await;
    let notifier = setup(&slack).await;
    let answer = handle(
        json!({"stage": "started", "request": request(&unique("db"))}),
        &notifier,
    )
    .await
    .unwrap();
    assert_eq!(
        answer["slack"],
        json!({"status": "sent", "attempts": 2}),
        "{answer}"
    );
    let got = slack.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "the same message is sent again");
    let gap = got[1].at - got[0].at;
    // Only a lower bound: a busy machine makes waits longer, never shorter. The exact choice
    // (Retry-After over the 500 ms backoff, capped) is unit-tested on RetryPolicy::wait.
    assert!(
        gap >= Duration::from_millis(950),
        "waited {gap:?} for Retry-After: 1, more than the 500 ms backoff"
    );
}

#[tokio::test]
async fn a_long_retry_after_is_capped() {
    let slack = FakeSlack::start(vec![Reply::TooMany { retry_after: 3600 }], Reply::Ok).await;
    let notifier = setup(&slack).await;
    let answer = handle(
        json!({"stage": "done", "request": request(&unique("db"))}),
        &notifier,
    )
    .await
    .unwrap();
    assert_eq!(answer["slack"]["status"], "sent", "{answer}");
    let got = slack.received();
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(1950) && gap < Duration::from_secs(60),
        "waited {gap:?}: the cap is 2 s, not the hour Slack asked for"
    );
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_given_up_and_reported() {
    let slack = FakeSlack::start(vec![], Reply::Status(500)).await;
    let notifier = setup(&slack).await;
    let started = Instant::now();
    let answer = handle(
        json!({"stage": "verified", "request": request(&unique("db"))}),
        &notifier,
    )
    .await
    .expect("delivery failures never fail the step");
    let took = started.elapsed();
    assert_eq!(answer["slack"]["status"], "failed", "{answer}");
    assert_eq!(answer["slack"]["attempts"], 3, "{answer}");
    let error = answer["slack"]["error"].as_str().unwrap();
    assert!(
        error.contains("500") && error.contains("gave up after 3 attempts"),
        "{error}"
    );
    assert!(!error.contains(&slack.path), "{error}");
    assert_eq!(
        answer["sns"]["delivered"], true,
        "SNS is unaffected: {answer}"
    );
    assert_eq!(slack.received().len(), 3);
    assert!(
        took < Duration::from_secs(60),
        "bounded by the policy (about 1.5 s of waits): took {took:?}"
    );
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let slack = FakeSlack::start(vec![], Reply::Status(404)).await;
    let notifier = setup(&slack).await;
    let answer = handle(
        json!({"stage": "done", "request": request(&unique("db"))}),
        &notifier,
    )
    .await
    .unwrap();
    assert_eq!(answer["slack"]["status"], "failed", "{answer}");
    assert_eq!(answer["slack"]["attempts"], 1, "{answer}");
    assert_eq!(slack.received().len(), 1);
}
