//! SNS delivery through moto: what a raw SQS subscriber receives (the structured form),
//! what an enveloped one sees (the subject), and the attributes filter policies use.

use crate::notify_support::{execution, notifier, request, verified};
use bluegreen::steps::notify::handle;
use e2e::moto::{moto, unique, Moto, ACCOUNT, REGION};
use e2e::seed::{self, Received};
use serde_json::{json, Value};

/// A second queue on `topic` without raw delivery: its messages are SNS's JSON envelope.
async fn enveloped_queue(moto: &Moto, topic: &str) -> String {
    let config = moto.sdk_config(REGION);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = sqs
        .create_queue()
        .queue_name(unique("notify-envelope"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = format!(
        "arn:aws:sqs:{REGION}:{ACCOUNT}:{}",
        url.rsplit('/').next().unwrap()
    );
    aws_sdk_sns::Client::new(&config)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap();
    url
}

async fn publish(event: Value) -> (Value, Received, Value) {
    let moto = moto();
    let (topic, raw_queue) = seed::topic_with_queue(moto, &unique("notify-sns")).await;
    let envelope_queue = enveloped_queue(moto, &topic).await;
    let answer = handle(event, &notifier(moto, &topic, None)).await.unwrap();
    let mut raw = seed::drain_queue(moto, &raw_queue).await;
    let mut enveloped = seed::drain_queue(moto, &envelope_queue).await;
    assert_eq!(
        (raw.len(), enveloped.len()),
        (1, 1),
        "one message per subscriber"
    );
    let envelope: Value = serde_json::from_str(&enveloped.remove(0).body).unwrap();
    (answer, raw.remove(0), envelope)
}

#[tokio::test]
async fn a_success_stage_reaches_subscribers_with_subject_body_and_attributes() {
    let db = unique("orders");
    let (answer, received, envelope) = publish(json!({
        "stage": "verified", "outcome": "success", "request": request(&db),
        "deployment": {"id": "bgd-sns1"},
        "detail": verified(&db, 37.0),
        "execution": execution("run-sns-1")
    }))
    .await;
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
    assert!(
        answer["sns"]["messageId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{answer}"
    );

    let subject = format!("[Blue/Green] {db}: production verified on 8.0.mysql_aurora.3.08.0");
    assert_eq!(envelope["Subject"], subject.as_str());
    assert_eq!(
        envelope["Message"].as_str().unwrap(),
        received.body,
        "the sqs form is the same with or without the envelope"
    );

    let body: Value =
        serde_json::from_str(&received.body).expect("SQS subscribers get the structured JSON");
    assert_eq!(body["subject"], subject.as_str());
    assert_eq!(
        (body["stage"].as_str(), body["outcome"].as_str()),
        (Some("verified"), Some("success"))
    );
    assert_eq!(
        (
            body["database"].as_str(),
            body["accountId"].as_str(),
            body["region"].as_str()
        ),
        (Some(db.as_str()), Some(ACCOUNT), Some(REGION))
    );
    assert_eq!(body["facts"]["Switchover took"], "37 s");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "{db}: production verified on 8.0.mysql_aurora.3.08.0\n\nChecked after switchover: {db} is available"
        )),
        "{text}"
    );
    let fact = |label: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(label)
                .filter(|rest| rest.starts_with("  "))
                .map(str::trim)
        })
    };
    assert_eq!(
        (fact("Stage"), fact("Outcome"), fact("Database")),
        (Some("verified"), Some("success"), Some(db.as_str())),
        "{text}"
    );
    assert!(
        text.contains("Execution in Step Functions: https://"),
        "{text}"
    );

    let expected = [
        ("account", ACCOUNT),
        ("database", db.as_str()),
        ("outcome", "success"),
        ("stage", "verified"),
    ];
    let attributes: Vec<(&str, &str)> = received
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(attributes, expected);
    for (name, value) in expected {
        assert_eq!(
            envelope["MessageAttributes"][name],
            json!({"Type": "String", "Value": value}),
            "{envelope}"
        );
    }
}

#[tokio::test]
async fn a_failure_with_an_invalid_input_still_reaches_people() {
    let cause = json!({
        "errorType": "InvalidInput",
        "errorMessage": "invalid input: `target.engine` is `oracle-ee`, not one of aurora-mysql, aurora-postgresql, mysql, postgres, mariadb. Fix: use one of those"
    });
    let (answer, received, envelope) = publish(json!({
        "stage": "failed", "outcome": "failure",
        "request": {"target": {"identifier": "billing", "engine": "oracle-ee", "region": REGION, "accountId": "111122223333"}, "colour": "blue"},
        "detail": {"failedStage": "validate-input"},
        "error": {"Error": "InvalidInput", "Cause": cause.to_string()},
        "execution": execution("run-sns-2")
    }))
    .await;
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
    assert_eq!(
        envelope["Subject"],
        "FAILED [Blue/Green] billing: failed at validate-input: InvalidInput"
    );
    let body: Value = serde_json::from_str(&received.body).unwrap();
    assert_eq!(body["error"], "InvalidInput");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("`target.engine` is `oracle-ee`"),
        "the cause's errorMessage is shown: {text}"
    );
    assert!(
        !text.contains("errorType"),
        "not the raw Lambda JSON: {text}"
    );
    assert!(text.contains("Left behind: Nothing was changed"), "{text}");
    assert!(
        text.contains("What to do next:\n1. Fix the input"),
        "{text}"
    );
    assert_eq!(received.attributes["outcome"], "failure");
    assert_eq!(received.attributes["stage"], "failed");
    assert_eq!(received.attributes["database"], "billing");
    assert_eq!(received.attributes["account"], "111122223333");
}

#[tokio::test]
async fn an_sns_error_is_reported_not_raised() {
    let moto = moto();
    let missing = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{}", unique("no-such-topic"));
    let answer = handle(
        json!({"stage": "done", "request": request("orders")}),
        &notifier(moto, &missing, None),
    )
    .await
    .expect("never raised");
    assert_eq!(answer["sns"]["delivered"], false, "{answer}");
    assert!(
        answer["sns"]["error"]
            .as_str()
            .unwrap()
            .contains("NotFound"),
        "{answer}"
    );
    assert_eq!(answer["slack"]["status"], "disabled");
}

#[tokio::test]
async fn only_an_event_that_is_not_an_object_is_an_error() {
    let moto = moto();
    let (topic, queue) = seed::topic_with_queue(moto, &unique("notify-bad")).await;
    let notifier = notifier(moto, &topic, None);
    for bad in [json!("failed"), json!([1]), Value::Null] {
        let err = handle(bad, &notifier).await.unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("`event`"), "{err}");
    }
    // An empty object still notifies: someone should hear that something happened.
    let answer = handle(json!({}), &notifier).await.unwrap();
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
    let received = seed::drain_queue(moto, &queue).await;
    assert_eq!(received[0].attributes["database"], "unknown database");
    assert_eq!(received[0].attributes["stage"], "unknown");
}

/// The event EventBridge delivers when an execution ends (AWS's "Step Functions Execution
/// Status Change"), for the database `db`.
fn status_change(db: &str, status: &str, error: Option<&str>, cause: Option<&str>) -> Value {
    let arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:bluegreen:run-ended-1");
    json!({
        "version": "0", "id": unique("event"), "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": ACCOUNT, "time": "2026-03-01T10:05:00Z", "region": REGION,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:bluegreen"),
            "name": "run-ended-1", "status": status,
            "startDate": 1_772_359_200_000u64, "stopDate": 1_772_359_500_000u64,
            "input": request(db).to_string(), "inputDetails": {"included": true},
            "output": null, "outputDetails": null, "error": error, "cause": cause
        }
    })
}

#[tokio::test]
async fn an_execution_that_ends_outside_its_catches_is_reported_with_what_is_left_running() {
    let moto = moto();
    let db = unique("ended");
    seed::aurora_mysql(moto, &db, 0).await;
    let rds = aws_sdk_rds::Client::new(&moto.sdk_config(REGION));
    let target = bluegreen::input::Request::from_value(request(&db)).unwrap();
    let green = bluegreen::steps::create::create(&rds, &target)
        .await
        .unwrap();

    let cause = "An error occurred while executing the state 'Snapshot blue'. The JSONPath '$.Payload.snapshotId' specified for the field 'snapshotId.$' could not be found";
    let (answer, received, envelope) = publish(status_change(
        &db,
        "FAILED",
        Some("States.Runtime"),
        Some(cause),
    ))
    .await;
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
    assert_eq!(
        envelope["Subject"],
        format!("FAILED [Blue/Green] {db}: execution failed: States.Runtime")
    );
    assert_eq!(
        (
            received.attributes.get("stage").map(String::as_str),
            received.attributes.get("database").map(String::as_str)
        ),
        (Some("execution-ended"), Some(db.as_str()))
    );
    let body: Value = serde_json::from_str(&received.body).unwrap();
    let text = body["text"].as_str().unwrap();
    for expected in [
        format!("Execution run-ended-1 for {db} ended FAILED: States.Runtime: {cause}"),
        format!(
            "green {} is running next to blue {db}, which still serves production (deployment {}",
            bluegreen::aws::arn::name_of(green.target_arn.as_deref().unwrap_or("(not named yet)")),
            green.id
        ),
        "\"action\": \"abandon\"".to_owned(),
        "Ended at".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} in {text}");
    }

    // An execution stopped by hand, for a database with nothing left running.
    let none = unique("ended");
    let (_, received, _) = publish(status_change(&none, "ABORTED", None, None)).await;
    let text: Value = serde_json::from_str(&received.body).unwrap();
    let text = text["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("{none}: execution stopped (ABORTED)")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Left running: nothing: no Blue/Green deployment of {none} exists."
        )),
        "{text}"
    );
}
