//! The waiting token in the lock item: written only while this execution holds the lock, and
//! refused when a wake-up hint is newer than the read the wait follows.
//!
//! Attributes (beside the lock's, docs/lock.md): `waitToken` (S, the task token), `waitPurpose`
//! (S, [`Purpose::name`]), `waitSince` (S, RFC 3339), `waitExpiresAt` (N, epoch seconds: when
//! the task's own timeout ends the wait), `waitResources` (SS, the ARNs whose RDS events may end
//! it: a snapshot, the instances and clusters being deleted; absent when none), `waitResource`
//! (S, the first of them), `wakeKey` (S, the key of the table's `byWakeKey` index, by which the
//! waker finds the wait: `waitResource` while there is one, else the deployment's id), and
//! `hintAt` (N, epoch milliseconds, written by the waker,
//! `statemachine/wake.asl.json`, at every event or approval for this database).
//!
//! One resource is enough to find the wait: the step that re-reads after it needs every listed
//! resource done (all the instances gone before their cluster is deleted), so the event of any
//! one of them is a necessary moment to read again, and the wake-up after it reads the world; a
//! resource still going is listed again by the next wait. A GSI key holds one value per item,
//! so the set itself cannot be indexed.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};

use super::Purpose;
use crate::error::Error;
use crate::lock::claim::epoch_seconds;
use crate::lock::table::table_name;
use crate::lock::Claim;
use crate::notify::format::rfc3339;

/// The fallback timer of a wait an RDS event ends: with the event lost, the world is read again
/// after 10 minutes at most (issue 20: at most one status read per database every 10 minutes).
pub const FALLBACK_SECONDS: u32 = 600;

/// The longest a task may wait for its token: Step Functions' task timeout has no lower
/// maximum than the execution's year; a day bounds one stretch (the waits here are 10
/// minutes, approvals at most 7 days: [`MAX_WAIT_SECONDS`]).
pub const MAX_WAIT_SECONDS: u32 = 7 * 86_400;

/// What the state machine hands the `wait` operation (`$$.Task.Token` and the claim).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitRequest {
    pub purpose: Purpose,
    pub token: String,
    /// The task's `TimeoutSeconds`: the token expires with it.
    pub timeout_seconds: u32,
    /// When the read this wait follows began (`$$.State.EnteredTime` of that read).
    pub polled_at: String,
    /// The lock this execution holds (`$.claim`).
    pub lock: Option<Claim>,
    /// The ARNs whose RDS events may end the wait (the waker matches an instance, cluster or
    /// snapshot event by them): what the step that would have polled is waiting for.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Read the world before waiting (the green and switchover waits, entered after the
    /// fallback timer or right after the step that started the work): `WaitOver` when there
    /// is nothing left to wait for. `poll` counts that read against `options.maxPolls`.
    #[serde(default)]
    pub recheck: Option<crate::steps::Poll>,
}

/// The answer (Step Functions ignores it: the task ends with the token's answer or its
/// timeout), for the logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    pub purpose: Purpose,
    pub until: String,
}

/// The lock table's wait attributes.
#[derive(Debug, Clone)]
pub struct TokenStore {
    client: Client,
    table: String,
}

impl TokenStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table named by `LOCK_TABLE_NAME`.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, Error> {
        Ok(Self::new(Client::new(config), table_name()?))
    }

    /// Stores the token on this execution's lock item. `Locked` when another execution holds
    /// it (or none does); `WokenEarly` when a hint came after the read this wait follows, so
    /// the state machine reads again at once instead of sleeping through it.
    pub async fn store(&self, wait: &WaitRequest, now: SystemTime) -> Result<Waiting, Error> {
        let (claim, polled_ms) = validate(wait)?;
        let until = now + Duration::from_secs(wait.timeout_seconds.into());
        let mut values = HashMap::from([
            (":me".to_owned(), AttributeValue::S(claim.holder.clone())),
            (":token".to_owned(), AttributeValue::S(wait.token.clone())),
            (
                ":purpose".to_owned(),
                AttributeValue::S(wait.purpose.name().to_owned()),
            ),
            (":since".to_owned(), AttributeValue::S(rfc3339(now))),
            (
                ":exp".to_owned(),
                AttributeValue::N(epoch_seconds(until).to_string()),
            ),
        ]);
        let mut names = HashMap::from([("#holder".to_owned(), "holder".to_owned())]);
        // A wait for no resource leaves none behind from an earlier wait (DynamoDB refuses an
        // empty string as an index key, and an empty set).
        let mut listed: Vec<String> = Vec::new();
        for r in wait.resources.iter().filter(|r| !r.is_empty()) {
            if !listed.contains(r) {
                listed.push(r.clone());
            }
        }
        // The wake machine's key (`byWakeKey`): the resource while the wait names one, else
        // the deployment (written by the stages; the lock's own key before there is one).
        // `if_not_exists(path, value)` reads another attribute of the same item: DynamoDB
        // Developer Guide, "Update expressions", "Preventing overwrites of an existing
        // attribute" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html).
        let resources = match listed.first() {
            None => {
                values.insert(":self".to_owned(), AttributeValue::S(claim.key.clone()));
                ", wakeKey = if_not_exists(deploymentId, :self) REMOVE waitResources, waitResource"
            }
            Some(first) => {
                values.insert(":resource".to_owned(), AttributeValue::S(first.clone()));
                values.insert(":resources".to_owned(), AttributeValue::Ss(listed.clone()));
                ", waitResources = :resources, waitResource = :resource, wakeKey = :resource"
            }
        };
        if !wait.purpose.is_approval() {
            values.insert(
                ":polled".to_owned(),
                AttributeValue::N(polled_ms.to_string()),
            );
            names.insert("#hint".to_owned(), "hintAt".to_owned());
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("lockKey", AttributeValue::S(claim.key.clone()))
            .update_expression(format!(
                "SET waitToken = :token, waitPurpose = :purpose, waitSince = :since, waitExpiresAt = :exp{resources}"
            ))
            .condition_expression(condition(wait.purpose))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(_) => Ok(Waiting {
                purpose: wait.purpose,
                until: rfc3339(until),
            }),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Err(refusal(claim, wait.purpose, c.item()))
                }
                _ => Err(Error::from_sdk("dynamodb:UpdateItem", e)),
            },
        }
    }

    /// Stores a fleet's between-waves token on the fleet's item `key` (`fleet/<name>`, no
    /// lock: a fleet holds none), `holder` being the fleet's execution. Refused (`Locked`,
    /// naming the other execution) only while another execution's wait is open and unexpired,
    /// so a fleet of the same name never takes another's wait.
    pub async fn store_fleet_wait(
        &self,
        key: &str,
        holder: &str,
        token: &str,
        timeout_seconds: u32,
        now: SystemTime,
    ) -> Result<Waiting, Error> {
        let until = now + Duration::from_secs(timeout_seconds.into());
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("lockKey", AttributeValue::S(key.to_owned()))
            .update_expression(
                "SET #holder = :me, waitToken = :token, waitPurpose = :purpose, waitSince = :since, waitExpiresAt = :exp REMOVE lastAnswer",
            )
            .condition_expression(
                "attribute_not_exists(waitToken) OR #holder = :me OR waitExpiresAt < :now",
            )
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":me", AttributeValue::S(holder.to_owned()))
            .expression_attribute_values(":token", AttributeValue::S(token.to_owned()))
            .expression_attribute_values(
                ":purpose",
                AttributeValue::S(Purpose::ApprovalWave.name().to_owned()),
            )
            .expression_attribute_values(":since", AttributeValue::S(rfc3339(now)))
            .expression_attribute_values(
                ":exp",
                AttributeValue::N(epoch_seconds(until).to_string()),
            )
            .expression_attribute_values(
                ":now",
                AttributeValue::N(epoch_seconds(now).to_string()),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(_) => Ok(Waiting {
                purpose: Purpose::ApprovalWave,
                until: rfc3339(until),
            }),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => Err(Error::Locked {
                    key: key.to_owned(),
                    holder: c
                        .item()
                        .and_then(|i| i.get("holder"))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_else(|| "another execution".to_owned()),
                }),
                _ => Err(Error::from_sdk("dynamodb:UpdateItem", e)),
            },
        }
    }
}

/// Only the holder writes its token. A wait an RDS event may end is refused after a newer hint
/// (`WokenEarly`); an approval is not: no event answers it (the waker never wakes an approval
/// purpose, statemachine/wake.asl.json), so a hint left meanwhile must not cut it short.
fn condition(purpose: Purpose) -> &'static str {
    if purpose.is_approval() {
        "#holder = :me"
    } else {
        "#holder = :me AND (attribute_not_exists(#hint) OR #hint < :polled)"
    }
}

/// The claim and the read's time in epoch milliseconds, or `InvalidInput` naming the field.
fn validate(wait: &WaitRequest) -> Result<(&Claim, i64), Error> {
    let claim = wait.lock.as_ref().ok_or_else(|| {
        Error::invalid(
            "wait.lock",
            "is missing: only an execution that holds the database's lock may wait",
            "pass \"lock.$\": \"$.claim\" in the state's Payload.wait",
        )
    })?;
    if wait.token.is_empty() {
        return Err(Error::invalid(
            "wait.token",
            "is empty",
            "pass \"token.$\": \"$$.Task.Token\" with the .waitForTaskToken resource",
        ));
    }
    if !(1..=MAX_WAIT_SECONDS).contains(&wait.timeout_seconds) {
        return Err(Error::invalid(
            "wait.timeoutSeconds",
            format!("is {}", wait.timeout_seconds),
            format!("give 1 to {MAX_WAIT_SECONDS} (the task's TimeoutSeconds)"),
        ));
    }
    let polled = crate::steps::poll_status::parse_time(&wait.polled_at).map_err(|_| {
        Error::invalid(
            "wait.polledAt",
            format!("`{}` is not an RFC 3339 time", wait.polled_at),
            "pass the read state's $$.State.EnteredTime",
        )
    })?;
    Ok((claim, polled.to_millis().unwrap_or_default()))
}

/// Why the conditional write was refused, from the item as it was.
fn refusal(
    claim: &Claim,
    purpose: Purpose,
    old: Option<&HashMap<String, AttributeValue>>,
) -> Error {
    let holder = old
        .and_then(|i| i.get("holder"))
        .and_then(|v| v.as_s().ok())
        .cloned();
    match holder {
        Some(h) if h == claim.holder => Error::WokenEarly {
            key: claim.key.clone(),
            purpose: purpose.name().to_owned(),
        },
        other => Error::Locked {
            key: claim.key.clone(),
            holder: other.unwrap_or_else(|| "no execution (the lock is free)".to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wait(v: serde_json::Value) -> Result<WaitRequest, serde_json::Error> {
        serde_json::from_value(v)
    }

    fn good() -> serde_json::Value {
        json!({"purpose": "green", "token": "t", "timeoutSeconds": 600, "polledAt": "2026-12-07T05:00:00.123Z", "lock": {"key": "1/r/orders", "holder": "arn:me"}})
    }

    #[test]
    fn a_wait_names_its_lock_token_bounds_and_read_time() {
        let w = wait(good()).unwrap();
        let (claim, ms) = validate(&w).unwrap();
        assert_eq!(claim.holder, "arn:me");
        assert_eq!(ms, 1_796_619_600_123);
        for (field, value, named) in [
            ("lock", json!(null), "wait.lock"),
            ("token", json!(""), "wait.token"),
            ("timeoutSeconds", json!(0), "wait.timeoutSeconds"),
            (
                "timeoutSeconds",
                json!(MAX_WAIT_SECONDS + 1),
                "wait.timeoutSeconds",
            ),
            ("polledAt", json!("yesterday"), "wait.polledAt"),
        ] {
            let mut v = good();
            v[field] = value;
            let e = validate(&wait(v).unwrap()).unwrap_err();
            assert_eq!(e.field(), Some(named), "{e}");
        }
        let mut unknown = good();
        unknown["extra"] = json!(1);
        assert!(wait(unknown).is_err(), "unknown fields are refused");
    }

    #[test]
    fn only_event_waits_give_way_to_a_newer_hint() {
        for purpose in [Purpose::Green, Purpose::Switchover, Purpose::Deletion] {
            assert!(
                condition(purpose).contains("#hint < :polled"),
                "{purpose:?}"
            );
        }
        for purpose in [Purpose::ApprovalSwitchover, Purpose::ApprovalCleanup] {
            assert_eq!(condition(purpose), "#holder = :me", "{purpose:?}");
        }
    }

    #[test]
    fn a_refusal_is_a_hint_when_ours_and_locked_otherwise() {
        let claim = Claim {
            key: "k".into(),
            holder: "arn:me".into(),
        };
        let ours = HashMap::from([("holder".to_owned(), AttributeValue::S("arn:me".into()))]);
        assert_eq!(
            refusal(&claim, Purpose::Green, Some(&ours)).name(),
            "WokenEarly"
        );
        let other = HashMap::from([("holder".to_owned(), AttributeValue::S("arn:x".into()))]);
        let e = refusal(&claim, Purpose::Green, Some(&other));
        assert_eq!(e.name(), "Locked");
        assert!(e.to_string().contains("arn:x"));
        assert_eq!(refusal(&claim, Purpose::Deletion, None).name(), "Locked");
    }
}
