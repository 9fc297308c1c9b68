//! The lock table's writes from the steps: hold (take again if free, expired or already ours)
//! before a change, and refresh (only if ours) at every stage.
//!
//! Item: `lockKey` (S, [`super::DatabaseKey`]), `holder` (S, execution ARN), `executionName`,
//! `action`, `covers` (S, space-separated [`super::claim::covers`] tokens), `startedAt`,
//! `stage`, `stageSince` (S, RFC 3339), `expiresAt` (N, epoch seconds: the table's TTL
//! attribute, and a lock whose `expiresAt` has passed counts as free). The state machine's
//! PutItem writes the same attributes (a contract test keeps them equal).

use std::time::SystemTime;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use super::claim::{bound, epoch_seconds, Claim};
use crate::error::Error;
use crate::input::Request;
use crate::notify::format::rfc3339;

/// The variable that names the lock table (template.yaml sets it for every function that
/// holds or refreshes the lock).
pub const TABLE_ENV: &str = "LOCK_TABLE_NAME";

/// The lock table's name from [`TABLE_ENV`]: read once at a function's start, where a missing
/// variable fails the start (the lock and the waits' tokens share the table).
pub fn table_name() -> Result<String, Error> {
    std::env::var(TABLE_ENV)
        .ok()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::Configuration(format!("{TABLE_ENV} is not set")))
}

/// The stack's lock table.
#[derive(Debug, Clone)]
pub struct LockTable {
    client: Client,
    name: String,
}

/// What the board shows of a stage: its name, and the deployment once it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage<'a> {
    pub name: &'a str,
    pub deployment: Option<&'a str>,
}

impl<'a> Stage<'a> {
    pub fn named(name: &'a str) -> Self {
        Stage {
            name,
            deployment: None,
        }
    }
}

/// Whether a write may take a lock that is not already this execution's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Before a change: free, expired or ours, else `Locked`.
    Hold,
    /// At a stage message: only if ours; never takes a lock (a refused execution must not).
    Refresh,
}

impl LockTable {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// The table named by [`TABLE_ENV`]; a missing variable fails the function's start.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, Error> {
        Ok(Self::new(Client::new(config), table_name()?))
    }

    /// Writes the claim's item for `stage`: `holder`, `stage`, `stageSince` and a new
    /// `expiresAt`. `Hold` re-takes a free or expired lock (a redrive after the release);
    /// both refuse another holder's with `Locked`, naming it.
    pub async fn write(
        &self,
        claim: &Claim,
        stage: &Stage<'_>,
        request: &Request,
        mode: Mode,
        now: SystemTime,
    ) -> Result<(), Error> {
        let now_s = epoch_seconds(now);
        let expires = now_s + bound(request, now).as_secs();
        // Names, not the attributes themselves: `action` is one of DynamoDB's reserved words
        // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html).
        let condition = match mode {
            Mode::Hold => "attribute_not_exists(#key) OR #holder = :me OR #expires < :now",
            Mode::Refresh => "#holder = :me",
        };
        let mut set = String::from(
            "SET #holder = :me, #stage = :stage, #since = :since, #expires = :exp, \
             #started = if_not_exists(#started, :since), #action = if_not_exists(#action, :action)",
        );
        let mut names = vec![
            ("#holder", "holder"),
            ("#stage", "stage"),
            ("#since", "stageSince"),
            ("#expires", "expiresAt"),
            ("#started", "startedAt"),
            ("#action", "action"),
        ];
        let mut values = vec![
            (":me", AttributeValue::S(claim.holder.clone())),
            (":stage", AttributeValue::S(stage.name.to_owned())),
            (":since", AttributeValue::S(rfc3339(now))),
            (":exp", AttributeValue::N(expires.to_string())),
            (
                ":action",
                AttributeValue::S(request.action.name().to_owned()),
            ),
        ];
        if mode == Mode::Hold {
            // DynamoDB refuses a name or value the expressions do not use.
            names.push(("#key", "lockKey"));
            values.push((":now", AttributeValue::N(now_s.to_string())));
        }
        // The deployment, and the wake machine's key (`byWakeKey`): the deployment unless a
        // wait names the resource it is for (shared/src/waits/store.rs; `if_not_exists`:
        // DynamoDB Developer Guide, "Update expressions"). DynamoDB refuses an empty key.
        if let Some(deployment) = stage.deployment.filter(|d| !d.is_empty()) {
            set.push_str(
                ", #deployment = :deployment, wakeKey = if_not_exists(waitResource, :deployment)",
            );
            names.push(("#deployment", "deploymentId"));
            values.push((":deployment", AttributeValue::S(deployment.to_owned())));
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("lockKey", AttributeValue::S(claim.key.clone()))
            .update_expression(set)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(
                names
                    .into_iter()
                    .map(|(n, a)| (n.to_owned(), a.to_owned()))
                    .collect(),
            ))
            .set_expression_attribute_values(Some(
                values.into_iter().map(|(n, v)| (n.to_owned(), v)).collect(),
            ))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) => {
                let held_by = e
                    .as_service_error()
                    .filter(|s| s.is_conditional_check_failed_exception())
                    .map(|s| match s {
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c
                            .item()
                            .and_then(|i| i.get("holder"))
                            .and_then(|v| v.as_s().ok())
                            .cloned()
                            .unwrap_or_else(|| "no execution (the lock is free)".to_owned()),
                        _ => String::new(),
                    });
                match held_by {
                    Some(holder) => Err(Error::Locked {
                        key: claim.key.clone(),
                        holder,
                    }),
                    None => Err(Error::from_sdk("dynamodb:UpdateItem", e)),
                }
            }
        }
    }
}
