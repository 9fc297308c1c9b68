//! The Slack webhook URL comes from Secrets Manager (moto), is read once per notifier (once
//! per container), and a missing secret or `none` never fails the step.

use crate::notify_support::{notifier, request, secret, FakeSlack, Reply};
use bluegreen::steps::notify::handle;
use e2e::moto::{moto, unique, REGION};
use e2e::seed;
use serde_json::json;

#[tokio::test]
async fn the_url_is_read_from_the_secret_once_and_cached() {
    let moto = moto();
    let slack = FakeSlack::start(vec![], Reply::Ok).await;
    let (topic, _) = seed::topic_with_queue(moto, &unique("notify-secret")).await;
    let arn = secret(moto, &json!({"webhookUrl": slack.url}).to_string()).await;
    let notifier = notifier(moto, &topic, Some(arn.clone()));
    let event = json!({"stage": "started", "request": request(&unique("db"))});
    assert_eq!(
        handle(event.clone(), &notifier).await.unwrap()["slack"]["status"],
        "sent"
    );

    // Gone from Secrets Manager: the container keeps the URL it read.
    let sm = aws_sdk_secretsmanager::Client::new(&moto.sdk_config(REGION));
    sm.delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        handle(event, &notifier).await.unwrap()["slack"]["status"],
        "sent"
    );
    assert_eq!(slack.received().len(), 2);
}

#[tokio::test]
async fn a_missing_secret_is_reported_and_sns_still_delivers() {
    let moto = moto();
    let (topic, queue) = seed::topic_with_queue(moto, &unique("notify-nosecret")).await;
    let missing = format!(
        "arn:aws:secretsmanager:{REGION}:{}:secret:nothing-here-AbCdEf",
        e2e::moto::ACCOUNT
    );
    let notifier = notifier(moto, &topic, Some(missing));
    let answer = handle(
        json!({"stage": "started", "request": request(&unique("db"))}),
        &notifier,
    )
    .await
    .unwrap();
    assert_eq!(answer["slack"]["status"], "failed", "{answer}");
    assert!(
        answer["slack"]["error"]
            .as_str()
            .unwrap()
            .contains("ResourceNotFoundException"),
        "{answer}"
    );
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
    assert_eq!(seed::drain_queue(moto, &queue).await.len(), 1);
}

#[tokio::test]
async fn a_secret_that_is_not_a_webhook_url_is_refused_without_quoting_it() {
    let moto = moto();
    let (topic, _) = seed::topic_with_queue(moto, &unique("notify-badsecret")).await;
    let arn = secret(moto, "http://hooks.example.com/services/T/B/PLAINHTTPTOKEN").await;
    let answer = handle(
        json!({"stage": "started", "request": request(&unique("db"))}),
        &notifier(moto, &topic, Some(arn)),
    )
    .await
    .unwrap();
    assert_eq!(answer["slack"]["status"], "failed", "{answer}");
    let error = answer["slack"]["error"].as_str().unwrap();
    assert!(
        error.contains("must be an https://hooks.slack.com/ URL")
            && !error.contains("PLAINHTTPTOKEN"),
        "{error}"
    );
}

#[tokio::test]
async fn none_disables_slack() {
    let moto = moto();
    let (topic, _) = seed::topic_with_queue(moto, &unique("notify-noslack")).await;
    let answer = handle(
        json!({"stage": "done", "request": request(&unique("db"))}),
        &notifier(moto, &topic, None),
    )
    .await
    .unwrap();
    assert_eq!(answer["slack"], json!({"status": "disabled"}), "{answer}");
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
}
