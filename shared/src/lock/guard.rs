//! What a function does with the `lock` claim the state machine adds to its event: a step
//! that changes something holds the lock right before acting (so a redrive or resume re-takes
//! it, or stops as `Locked`); notify moves the item's stage and expiry forward at each stage
//! (never taking it); the readers ignore it.

use std::time::SystemTime;

use serde_json::Value;

use super::table::{LockTable, Mode, Stage};
use super::Claim;
use crate::error::Error;
use crate::input::Request;

/// How a function uses the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockUse {
    /// Hold before the step runs; the label is the board's stage (`create`, `switchover`, ...).
    Hold(&'static str),
    /// Refresh at each stage message (notify); a failure is logged, never raised.
    Refresh,
    /// Read-only steps.
    Ignore,
}

/// Takes the claim out of the event (the steps declare their events without it).
pub fn take_claim(payload: &mut Value) -> Option<Claim> {
    let claim = payload.as_object_mut()?.remove("lock")?;
    serde_json::from_value(claim).ok()
}

/// Applies `lock_use` for one event. The request is read leniently: one that does not parse
/// is refused by the step itself before any change, so there is nothing to hold for.
pub async fn apply(
    table: &LockTable,
    lock_use: LockUse,
    claim: &Claim,
    payload: &Value,
    now: SystemTime,
) -> Result<(), Error> {
    let Some(request) = payload
        .get("request")
        .and_then(|r| serde_json::from_value::<Request>(r.clone()).ok())
    else {
        return Ok(());
    };
    match lock_use {
        LockUse::Ignore => Ok(()),
        LockUse::Hold(stage) => {
            table
                .write(claim, &Stage::named(stage), &request, Mode::Hold, now)
                .await
        }
        LockUse::Refresh => {
            let name = notify_stage(payload);
            let stage = Stage {
                name: &name,
                deployment: payload.pointer("/deployment/id").and_then(Value::as_str),
            };
            if let Err(e) = table
                .write(claim, &stage, &request, Mode::Refresh, now)
                .await
            {
                tracing::warn!(error = %e, key = %claim.key, "the lock's stage was not recorded");
            }
            Ok(())
        }
    }
}

/// The board's stage for a notify event: the stage, or `failed at <stage>` for a failure.
fn notify_stage(payload: &Value) -> String {
    let stage = payload
        .get("stage")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    match payload.get("outcome").and_then(Value::as_str) {
        Some("failure") => format!("failed at {stage}"),
        _ => stage.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_claim_is_taken_out_and_the_stage_read() {
        let mut p = json!({"request": {}, "lock": {"key": "k", "holder": "arn"}, "stage": "green-ready", "outcome": "failure"});
        let claim = take_claim(&mut p).unwrap();
        assert_eq!(claim.key, "k");
        assert!(p.get("lock").is_none());
        assert_eq!(notify_stage(&p), "failed at green-ready");
        assert!(take_claim(&mut json!([1])).is_none());
    }
}
