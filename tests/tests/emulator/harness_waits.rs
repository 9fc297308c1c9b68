//! Waits and Retry intervals in moto's Step Functions engine are scaled by `E2E_WAIT_SCALE`,
//! and a timestamp wait is capped (`tests/tools/moto_patches/sfn_waits.py`). This server has
//! no Lambda endpoint: the definitions use only Pass, Wait, Parallel and Fail.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use e2e::moto::{unique, Moto};
use e2e::stepfunctions::{Execution, StepFunctions};
use serde_json::{json, Value};

/// 100 s become 1 s; a timestamp wait at most 1 s.
fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| Moto::start(&[("E2E_WAIT_SCALE", "0.01"), ("E2E_TIMESTAMP_WAIT_CAP", "1")]))
}

async fn run(definition: Value, input: Value) -> (Execution, Duration) {
    let sfn = StepFunctions::new(&moto().endpoint);
    let name = unique("harness-wait");
    let arn = sfn
        .create_state_machine(&name, &definition.to_string())
        .await;
    let began = Instant::now();
    let execution = sfn.run(&arn, &name, &input, Duration::from_secs(60)).await;
    (execution, began.elapsed())
}

/// The run waited (at least the scaled time) and was scaled: `below_ms` is far above what a
/// busy machine adds and far below the unscaled waits (100 s or more), so noise cannot fail it.
fn assert_took(took: Duration, at_least_ms: u64, below_ms: u64) {
    assert!(
        took >= Duration::from_millis(at_least_ms),
        "waited {took:?}, expected at least {at_least_ms} ms"
    );
    assert!(
        took < Duration::from_millis(below_ms),
        "waited {took:?}, expected under {below_ms} ms"
    );
}

#[tokio::test]
async fn a_seconds_wait_is_scaled() {
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}});
    let (execution, took) = run(definition, json!({})).await;
    assert_eq!(execution.status, "SUCCEEDED");
    assert_took(took, 900, 60_000);
}

#[tokio::test]
async fn a_timestamp_path_wait_days_away_is_capped() {
    let definition = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.at", "End": true}}});
    let (execution, took) = run(definition, json!({"at": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(execution.status, "SUCCEEDED");
    assert_took(took, 900, 60_000);
}

#[tokio::test]
async fn a_retry_interval_is_scaled_and_catch_sees_the_error() {
    let definition = json!({
        "StartAt": "Attempt",
        "States": {
            "Attempt": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Retryable", "Cause": "busy"}}}],
                "Retry": [{"ErrorEquals": ["Retryable"], "IntervalSeconds": 100, "MaxAttempts": 1, "BackoffRate": 1.0}],
                "Catch": [{"ErrorEquals": ["Retryable"], "ResultPath": "$.error", "Next": "Gave up"}],
                "End": true
            },
            "Gave up": {"Type": "Pass", "End": true}
        }
    });
    let (execution, took) = run(definition, json!({})).await;
    assert_eq!(execution.status, "SUCCEEDED", "{execution:#?}");
    assert_eq!(
        execution.output.as_ref().unwrap()["error"]["Error"],
        "Retryable"
    );
    assert_eq!(
        execution.states.iter().filter(|s| *s == "Boom").count(),
        2,
        "one retry: {:?}",
        execution.states
    );
    assert_took(took, 900, 60_000);
}
