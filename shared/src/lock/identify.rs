//! The read-only first step of every execution: the request validated whole, and the
//! database's lock key resolved from it ([`super::DatabaseKey`]), before anything is taken or
//! changed. An `InvalidInput` here ends the execution with nothing touched and nothing locked.

use std::time::SystemTime;

use serde::Serialize;

use super::claim::{asks, bound, covers, epoch_seconds};
use super::key::DatabaseKey;
use crate::error::Error;
use crate::input::{Action, Request};
use crate::waits::Answer;

/// What the state machine keeps under `$.lock` and writes into the lock item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identified {
    /// The item's `lockKey`.
    pub key: String,
    /// Whether this action holds the lock (all but `dry-run`, which only reads).
    pub take: bool,
    pub action: &'static str,
    /// The tokens of the work this execution will do ([`super::claim::covers`]), space-separated,
    /// with a space at each end so a token is found as ` token `.
    pub covers: String,
    /// The token of what this execution asks for: another holder whose `covers` has it is
    /// already doing this work.
    pub asks: String,
    /// Now and the lock's expiry, epoch seconds as text (DynamoDB's `N`).
    pub now: String,
    pub expires_at: String,
    /// With `approve`/`reject`: the answer to hand the waiting execution; null otherwise.
    pub answer: Option<Answer>,
    /// The approval wait's timeout in seconds (`options.approvalTimeoutSeconds` or its
    /// default), for the wait's `TimeoutSecondsPath`.
    pub approval_timeout_seconds: u32,
}

/// Validates the request and resolves its key (`execution`: this execution's name, the
/// default of an answer's `by`); `caller_account` answers the account of the
/// functions' credentials (called only when the target names no role).
pub async fn identify<F, Fut>(
    request: &serde_json::Value,
    execution: &str,
    now: SystemTime,
    caller_account: F,
) -> Result<Identified, Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String, Error>>,
{
    let request: Request = crate::steps::parse_request(request)?;
    request.validate_start(now)?;
    let caller = match request.target.role_arn {
        Some(_) => String::new(),
        None => caller_account().await?,
    };
    let key = DatabaseKey::of(&request.target, &caller)?;
    let now_s = epoch_seconds(now);
    Ok(Identified {
        key: key.to_string(),
        take: request.action != Action::DryRun && !request.action.answers_approval(),
        action: request.action.name(),
        covers: format!(" {} ", covers(&request).join(" ")),
        asks: format!(" {} ", asks(&request)),
        now: now_s.to_string(),
        expires_at: (now_s + bound(&request, now).as_secs()).to_string(),
        answer: Answer::of(&request, execution, now),
        approval_timeout_seconds: request.options.approval_timeout(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn hub() -> Result<String, Error> {
        Ok("111111111111".to_owned())
    }

    #[tokio::test]
    async fn a_null_account_is_the_hub_account_and_the_key_is_lowercase() {
        let request = json!({"action": "cleanup", "target": {"accountId": null, "region": "eu-west-1", "identifier": "Orders", "engine": "aurora-mysql"}});
        let id = identify(&request, "exec", SystemTime::now(), hub)
            .await
            .unwrap();
        assert_eq!(id.key, "111111111111/eu-west-1/orders");
        assert!(id.take);
        assert_eq!(id.asks, " cleanup ");
    }

    #[tokio::test]
    async fn a_huge_identifier_is_refused_before_any_call() {
        let request = json!({"target": {"region": "eu-west-1", "identifier": "x".repeat(100_000), "engine": "aurora-mysql"}});
        let never = || async { panic!("no AWS call for a bad input") };
        let e = identify(&request, "exec", SystemTime::now(), never)
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("target.identifier"));
    }

    #[tokio::test]
    async fn a_role_names_the_account_without_asking_sts() {
        let request = json!({"target": {"region": "eu-west-1", "identifier": "orders", "engine": "mysql", "roleArn": "arn:aws:iam::222222222222:role/rds-bluegreen"}});
        let never = || async { panic!("the role's account needs no call") };
        let id = identify(&request, "exec", SystemTime::now(), never)
            .await
            .unwrap();
        assert_eq!(id.key, "222222222222/eu-west-1/orders");
    }
}
