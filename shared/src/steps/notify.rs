//! Step: notify. Tells people what the workflow did, at every stage, on SNS and Slack.
//!
//! The event (see docs/step-contracts.md) is read leniently, because a failure caused by a
//! bad input must still reach someone. The answer reports each channel; delivery problems
//! are reported there, never raised, so a notification never fails the workflow.

use std::time::SystemTime;

use serde_json::Value;

use crate::error::Error;
use crate::notify::{event::Event, stages, Notifier};

/// Runs the step. The only error is an event that is not a JSON object at all.
pub async fn handle(event: Value, notifier: &Notifier) -> Result<Value, Error> {
    let Value::Object(map) = event else {
        return Err(Error::invalid(
            "event",
            format!("is {}, not a JSON object", kind_of(&event)),
            "send {\"stage\", \"outcome\", \"request\": $.request, ...} as docs/step-contracts.md describes for notify",
        ));
    };
    let message = stages::compose(&Event::from_map(&map), SystemTime::now());
    Ok(serde_json::json!(notifier.deliver(&message).await))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
