//! moto's Step Functions engine runs a definition end to end against the workspace's real
//! Lambda binaries (under `cargo lambda watch`): errors arrive with the function's own
//! `errorType` for Retry and Catch, Waits and Retry intervals are scaled down, and the
//! functions get their environment (the local AWS endpoint, the topic).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::lambda::function_arn;
use e2e::moto::unique;
use e2e::stack::stack;
use e2e::stepfunctions::{substitute, Execution};
use serde_json::{json, Value};

/// Unscaled, this definition would wait 100 s (Wait) + 50 s (one Retry interval).
const DEFINITION: &str = r#"{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Result": {"seconds": 100}, "ResultPath": "$.wait", "Next": "Sleep"},
    "Sleep": {"Type": "Wait", "SecondsPath": "$.wait.seconds", "Next": "Precheck"},
    "Precheck": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${PrecheckFunctionArn}", "Payload": {"request.$": "$.request"}},
      "Retry": [{"ErrorEquals": ["InvalidInput"], "IntervalSeconds": 50, "MaxAttempts": 1, "BackoffRate": 1.0}],
      "Catch": [{"ErrorEquals": ["InvalidInput"], "ResultPath": "$.error", "Next": "Rejected"}],
      "Next": "Accepted"
    },
    "Rejected": {"Type": "Pass", "End": true},
    "Accepted": {"Type": "Succeed"}
  }
}"#;

/// A plain function ARN as Resource (the older task form), with a Catch on every error.
const PLAIN_ARN_DEFINITION: &str = r#"{
  "StartAt": "Precheck",
  "States": {
    "Precheck": {
      "Type": "Task",
      "Resource": "${PrecheckFunctionArn}",
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
      "End": true
    },
    "Caught": {"Type": "Pass", "End": true}
  }
}"#;

/// Notify through the state machine: the function publishes to the topic from its environment.
const NOTIFY_DEFINITION: &str = r#"{
  "StartAt": "Notify",
  "States": {
    "Notify": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${NotifyFunctionArn}", "Payload.$": "$"},
      "ResultSelector": {"answer.$": "$.Payload"},
      "End": true
    }
  }
}"#;

async fn run(definition: &str, input: Value) -> (Execution, Duration) {
    let stack = stack().await;
    let sfn = stack.sfn();
    let name = unique("harness-sfn");
    let arn = sfn
        .create_state_machine(&name, &substitute(definition, &BTreeMap::new()))
        .await;
    let began = Instant::now();
    let execution = sfn
        .run(
            &arn,
            &format!("{name}-run"),
            &input,
            Duration::from_secs(120),
        )
        .await;
    (execution, began.elapsed())
}

/// A request the precheck refuses before any AWS call: the region is empty.
fn invalid_request() -> Value {
    json!({"request": {"target": {"region": "", "identifier": "orders", "engine": "aurora-mysql"}}})
}

#[tokio::test]
async fn a_function_error_reaches_retry_and_catch_with_its_error_type_and_waits_are_scaled() {
    let (execution, took) = run(DEFINITION, invalid_request()).await;

    assert_eq!(execution.status, "SUCCEEDED", "{execution:#?}");
    assert_eq!(
        execution.states,
        ["Prepare", "Sleep", "Precheck", "Rejected"]
    );
    assert_eq!(execution.transitions, 4);
    assert_eq!(
        execution.events_of("TaskScheduled").len(),
        2,
        "one attempt and one retry on InvalidInput"
    );
    let failures = execution.events_of("TaskFailed");
    assert_eq!(failures.len(), 2);
    assert!(
        failures
            .iter()
            .all(|f| f["taskFailedEventDetails"]["error"] == "InvalidInput"),
        "{failures:#?}"
    );

    let error = &execution.output.as_ref().expect("output")["error"];
    assert_eq!(error["Error"], "InvalidInput");
    let cause: Value = serde_json::from_str(error["Cause"].as_str().expect("Cause"))
        .expect("Cause is the function's error JSON");
    assert_eq!(cause["errorType"], "InvalidInput");
    assert!(
        cause["errorMessage"]
            .as_str()
            .unwrap()
            .contains("target.region"),
        "{cause}"
    );

    // 150 s of waiting at the stack's scale of 0.01 is 1.5 s; the upper bound only tells
    // scaled from unscaled, far above what a busy machine adds.
    assert!(
        took >= Duration::from_millis(1500),
        "the waits happened: {took:?}"
    );
    assert!(
        took < Duration::from_secs(100),
        "the waits were scaled: {took:?}"
    );
}

#[tokio::test]
async fn a_plain_function_arn_resource_reaches_the_binary_too() {
    let (execution, _) = run(PLAIN_ARN_DEFINITION, invalid_request()).await;
    assert_eq!(execution.status, "SUCCEEDED", "{execution:#?}");
    assert_eq!(execution.states, ["Precheck", "Caught"]);
    assert_eq!(
        execution.output.as_ref().unwrap()["error"]["Error"],
        "InvalidInput"
    );
}

#[tokio::test]
async fn an_uncaught_function_error_fails_the_execution_with_it() {
    let definition = PLAIN_ARN_DEFINITION.replace(
        r#""Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],"#,
        "",
    );
    let (execution, _) = run(&definition, invalid_request()).await;
    assert_eq!(execution.status, "FAILED");
    assert_eq!(execution.error.as_deref(), Some("InvalidInput"));
    assert!(execution
        .cause
        .as_deref()
        .unwrap_or_default()
        .contains("errorType"));
}

#[tokio::test]
async fn functions_get_their_environment_and_publish_to_the_topic() {
    let stack = stack().await;
    let id = unique("harness-notify");
    let input = json!({
        "stage": "started",
        "outcome": "info",
        "request": {"target": {"region": "us-east-1", "identifier": id, "engine": "aurora-mysql"}},
        "execution": {"id": "arn:aws:states:us-east-1:123456789012:execution:x:y", "name": "y"}
    });
    let (execution, _) = run(NOTIFY_DEFINITION, input).await;
    assert_eq!(execution.status, "SUCCEEDED", "{execution:#?}");
    let answer = &execution.output.as_ref().unwrap()["answer"];
    assert_eq!(answer["sns"]["delivered"], true, "{answer}");
    assert_eq!(
        answer["slack"]["status"], "disabled",
        "SLACK_WEBHOOK_SECRET_ARN=none"
    );
    // Through the shared mailbox: draining the queue here would take other tests' messages.
    let received = crate::e2e_support::notifications_about(stack, &id).await;
    assert!(
        received.iter().any(|m| m.body.contains(&id)),
        "the message names the database: {received:?}"
    );
}

#[tokio::test]
async fn the_lambda_endpoint_answers_function_errors_with_500_and_the_error_json() {
    let stack = stack().await;
    let (status, body) = stack.lambda.invoke("precheck", &invalid_request()).await;
    assert_eq!(status, 500);
    assert_eq!(body["errorType"], "InvalidInput");
    assert_eq!(
        function_arn("precheck"),
        "arn:aws:lambda:us-east-1:123456789012:function:precheck"
    );
    eprintln!("stack started in {:?}", stack.started_in);
}
