//! The board: every upgrade in flight, read from the lock table.
//!
//! Each execution that acts on a database holds that database's lock item for its whole life,
//! and the state machine keeps the item current at every stage: `lockKey`
//! (`<account>/<region>/<identifier>`, the database's canonical identity: docs/lock.md),
//! `holder` (execution ARN), `executionName`, `action`, `startedAt`, `stage`,
//! `stageSince`, `expiresAt` (epoch seconds, the table's TTL) and `deploymentId` once known.
//! [`read`] Scans the table (every page; it holds one item per database being acted on) and
//! answers each lock with its stage and age, and every lock older than a bound (stale: its
//! holder may have ended without releasing it). It only reads.
//!
//! DynamoDB Scan pages at 1 MB and returns `LastEvaluatedKey` until the last page ("Scanning
//! tables in DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html);
//! the SDK's paginator follows it. TTL deletes expired items only within a few days
//! ("Using time to live (TTL) in DynamoDB",
//! https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html), so an item past
//! `expiresAt` is still listed, marked `expired`.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::metrics::{catalog, emit, Point};
use crate::notify::format::parse_rfc3339;

/// Default bound past which a lock is stale: a day (an upgrade's green build takes hours; its
/// grace period holds the lock too, so set the bound above `gracePeriodSeconds`).
pub const DEFAULT_STALE_AFTER_SECONDS: u64 = 86_400;
/// The largest bound accepted: Step Functions' one-year execution limit.
pub const MAX_STALE_AFTER_SECONDS: u64 = 31_536_000;

/// The status request: `{"action": "status", "filter": {...}, "staleAfterSeconds": N}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusRequest {
    /// `status` (optional; any other action is refused).
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub filter: Filter,
    #[serde(default)]
    pub stale_after_seconds: Option<u64>,
}

/// Which locks to list; an empty filter lists the whole table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Filter {
    /// A 12-digit account id (every lock key names its account: [`crate::lock::key`]).
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

impl StatusRequest {
    /// Parses and checks the request; each error names its field.
    pub fn parse(value: serde_json::Value) -> Result<StatusRequest, Error> {
        let fix = "send {\"action\": \"status\", \"filter\": {\"accountId\": \"123456789012\", \"region\": \"eu-west-1\"}, \"staleAfterSeconds\": 86400} (every field optional)";
        let r: StatusRequest = crate::input::deserialize(value, fix)?;
        if let Some(action) = r.action.as_deref().filter(|a| *a != "status") {
            return Err(Error::invalid(
                "action",
                format!("is `{action}`"),
                "a status request has \"action\": \"status\" (or none)",
            ));
        }
        if let Some(a) = r.filter.account_id.as_deref() {
            let ok = a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(Error::invalid(
                    "filter.accountId",
                    format!("`{a}` is not a 12-digit account id"),
                    "give the 12 digits of the database's account (every lock key names it: docs/lock.md), or leave filter.accountId out",
                ));
            }
        }
        if let Some(region) = r.filter.region.as_deref() {
            let ok = !region.is_empty()
                && region.len() <= 32
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(Error::invalid(
                    "filter.region",
                    format!("`{region}` is not a Region name"),
                    "give a Region such as eu-west-1, or leave it out",
                ));
            }
        }
        if let Some(n) = r.stale_after_seconds {
            if !(1..=MAX_STALE_AFTER_SECONDS).contains(&n) {
                return Err(Error::invalid(
                    "staleAfterSeconds",
                    format!("is {n}"),
                    format!("give 1 to {MAX_STALE_AFTER_SECONDS} seconds (default {DEFAULT_STALE_AFTER_SECONDS})"),
                ));
            }
        }
        Ok(r)
    }

    /// The stale bound, or its default.
    pub fn stale_after(&self) -> u64 {
        self.stale_after_seconds
            .unwrap_or(DEFAULT_STALE_AFTER_SECONDS)
    }
}

/// One lock: the upgrade holding it, where it stands, for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InFlight {
    pub lock_key: String,
    pub account_id: String,
    pub region: String,
    pub identifier: String,
    pub holder: Option<String>,
    pub execution_name: Option<String>,
    pub action: Option<String>,
    pub stage: Option<String>,
    pub started_at: Option<String>,
    pub stage_since: Option<String>,
    pub deployment_id: Option<String>,
    /// Seconds since `startedAt` (absent when it does not read as a time).
    pub age_seconds: Option<u64>,
    /// Seconds since `stageSince`.
    pub stage_age_seconds: Option<u64>,
    /// Epoch seconds of the item's TTL.
    pub expires_at: Option<u64>,
    /// `expiresAt` has passed (DynamoDB deletes it within days).
    pub expired: bool,
}

/// The board's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub table: String,
    pub stale_after_seconds: u64,
    /// Every lock the filter keeps, oldest first.
    pub in_flight: Vec<InFlight>,
    /// The lock keys among them older than the bound (or expired).
    pub stale: Vec<String>,
    /// How many locks per stage.
    pub by_stage: BTreeMap<String, usize>,
}

impl Board {
    /// The board's metrics: upgrades by stage, stale locks, the oldest lock's age.
    pub fn points(&self) -> Vec<Point> {
        let mut points: Vec<Point> = self
            .by_stage
            .iter()
            .map(|(stage, n)| Point::new(&catalog::UPGRADES_IN_FLIGHT, *n as f64, &[stage]))
            .collect();
        let oldest = self
            .in_flight
            .iter()
            .filter_map(|l| l.age_seconds)
            .max()
            .unwrap_or(0);
        points.push(Point::new(
            &catalog::STALE_LOCKS,
            self.stale.len() as f64,
            &[&self.table],
        ));
        points.push(Point::new(
            &catalog::OLDEST_LOCK_AGE,
            oldest as f64,
            &[&self.table],
        ));
        points
    }
}

/// Reads every lock of `table` the request's filter keeps, at `now`.
pub async fn read(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    request: &StatusRequest,
    now: SystemTime,
) -> Result<Board, Error> {
    let mut pages = ddb
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .send();
    let mut in_flight = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::from_sdk("Scan", e))?;
        for item in page.items() {
            if let Some(lock) = lock_of(item, now) {
                if keeps(&request.filter, &lock) {
                    in_flight.push(lock);
                }
            }
        }
    }
    // Oldest first: the one most likely stuck leads.
    in_flight.sort_by(|a, b| {
        b.age_seconds
            .cmp(&a.age_seconds)
            .then(a.lock_key.cmp(&b.lock_key))
    });
    let bound = request.stale_after();
    let stale = in_flight
        .iter()
        .filter(|l| l.expired || l.age_seconds.is_some_and(|age| age > bound))
        .map(|l| l.lock_key.clone())
        .collect();
    let mut by_stage = BTreeMap::new();
    for l in &in_flight {
        *by_stage
            .entry(l.stage.clone().unwrap_or_else(|| "unknown".into()))
            .or_insert(0) += 1;
    }
    Ok(Board {
        table: table.to_owned(),
        stale_after_seconds: bound,
        in_flight,
        stale,
        by_stage,
    })
}

/// Runs the status request against `table` and emits the board's metrics.
pub async fn status(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    request: serde_json::Value,
) -> Result<Board, Error> {
    let request = StatusRequest::parse(request)?;
    let board = read(ddb, table, &request, SystemTime::now()).await?;
    // Only the whole table's board is a measure of the stack; a filtered one is a question.
    if request.filter == Filter::default() {
        emit(&board.points());
    }
    tracing::info!(
        table,
        locks = board.in_flight.len(),
        stale = board.stale.len(),
        "board read"
    );
    Ok(board)
}

fn keeps(filter: &Filter, lock: &InFlight) -> bool {
    filter
        .account_id
        .as_deref()
        .is_none_or(|a| a == lock.account_id)
        && filter.region.as_deref().is_none_or(|r| r == lock.region)
}

/// One item as a lock; `None` for an item without a readable `lockKey`.
fn lock_of(item: &HashMap<String, AttributeValue>, now: SystemTime) -> Option<InFlight> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) if !s.is_empty() => Some(s.clone()),
        Some(AttributeValue::N(n)) => Some(n.clone()),
        _ => None,
    };
    let lock_key = text("lockKey")?;
    let mut parts = lock_key.splitn(3, '/');
    let (account_id, region, identifier) = (parts.next()?, parts.next()?, parts.next()?);
    let age = |name: &str| {
        let at = parse_rfc3339(&text(name)?)?;
        now.duration_since(at).ok().map(|d| d.as_secs())
    };
    let expires_at = text("expiresAt").and_then(|n| n.parse::<u64>().ok());
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Some(InFlight {
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        identifier: identifier.to_owned(),
        holder: text("holder"),
        execution_name: text("executionName"),
        action: text("action"),
        stage: text("stage"),
        started_at: text("startedAt"),
        stage_since: text("stageSince"),
        deployment_id: text("deploymentId"),
        age_seconds: age("startedAt"),
        stage_age_seconds: age("stageSince"),
        expired: expires_at.is_some_and(|e| e <= now_secs),
        expires_at,
        lock_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::scan::ScanOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use serde_json::json;

    const NOW: &str = "2026-12-07T12:00:00Z";

    fn now() -> SystemTime {
        parse_rfc3339(NOW).unwrap()
    }

    fn item(
        key: &str,
        stage: &str,
        started: &str,
        expires: u64,
    ) -> HashMap<String, AttributeValue> {
        let s = |v: &str| AttributeValue::S(v.to_owned());
        HashMap::from([
            ("lockKey".to_owned(), s(key)),
            (
                "holder".to_owned(),
                s(&format!(
                    "arn:aws:states:eu-west-1:111122223333:execution:bg:{stage}"
                )),
            ),
            ("executionName".to_owned(), s(stage)),
            ("action".to_owned(), s("upgrade")),
            ("startedAt".to_owned(), s(started)),
            ("stage".to_owned(), s(stage)),
            ("stageSince".to_owned(), s("2026-12-07T11:30:00Z")),
            (
                "expiresAt".to_owned(),
                AttributeValue::N(expires.to_string()),
            ),
        ])
    }

    /// Two pages: the paginator must follow `LastEvaluatedKey`.
    fn two_pages() -> aws_smithy_mocks::Rule {
        let later = now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600;
        mock!(aws_sdk_dynamodb::Client::scan)
            .sequence()
            .output(move || {
                ScanOutput::builder()
                    .items(item(
                        "111122223333/eu-west-1/orders",
                        "green-creating",
                        "2026-12-07T11:00:00Z",
                        later,
                    ))
                    .last_evaluated_key(
                        "lockKey",
                        AttributeValue::S("111122223333/eu-west-1/orders".into()),
                    )
                    .build()
            })
            .output(move || {
                ScanOutput::builder()
                    .items(item(
                        "111122223333/us-east-1/billing",
                        "switchover-started",
                        "2026-12-07T11:50:00Z",
                        later,
                    ))
                    .items(item(
                        "111111111111/eu-west-1/stuck",
                        "cleanup-scheduled",
                        "2026-12-01T12:00:00Z",
                        later,
                    ))
                    .items(item(
                        "111111111111/eu-west-1/gone",
                        "verified",
                        "2026-12-07T11:59:00Z",
                        1,
                    ))
                    .items(HashMap::from([(
                        "holder".to_owned(),
                        AttributeValue::S("x".into()),
                    )]))
                    .build()
            })
            .build()
    }

    #[tokio::test]
    async fn every_page_is_read_and_old_locks_are_stale() {
        let rule = two_pages();
        let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule]);
        let request =
            StatusRequest::parse(json!({"action": "status", "staleAfterSeconds": 7200})).unwrap();
        let board = read(&ddb, "locks", &request, now()).await.unwrap();
        assert_eq!(rule.num_calls(), 2, "both pages");
        let keys: Vec<&str> = board
            .in_flight
            .iter()
            .map(|l| l.lock_key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "111111111111/eu-west-1/stuck",
                "111122223333/eu-west-1/orders",
                "111122223333/us-east-1/billing",
                "111111111111/eu-west-1/gone",
            ],
            "oldest first; an item without a key is skipped"
        );
        let orders = &board.in_flight[1];
        assert_eq!(
            (
                orders.identifier.as_str(),
                orders.stage.as_deref(),
                orders.age_seconds,
                orders.stage_age_seconds
            ),
            ("orders", Some("green-creating"), Some(3600), Some(1800))
        );
        assert_eq!(
            board.stale,
            [
                "111111111111/eu-west-1/stuck",
                "111111111111/eu-west-1/gone"
            ],
            "older than 2 h, or expired"
        );
        assert_eq!(board.by_stage.get("green-creating"), Some(&1));
        let metrics: Vec<(&str, f64)> = board
            .points()
            .iter()
            .map(|p| (p.metric.name, p.value))
            .collect();
        assert!(
            metrics.contains(&("StaleLocks", 2.0))
                && metrics.contains(&("OldestLockAge", 518_400.0)),
            "{metrics:?}"
        );
    }

    #[tokio::test]
    async fn the_filter_keeps_one_account_and_region() {
        let rule = two_pages();
        let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule]);
        let request = StatusRequest::parse(
            json!({"filter": {"accountId": "111122223333", "region": "eu-west-1"}}),
        )
        .unwrap();
        let board = read(&ddb, "locks", &request, now()).await.unwrap();
        assert_eq!(board.in_flight.len(), 1);
        assert_eq!(board.in_flight[0].identifier, "orders");
        assert!(board.stale.is_empty(), "the default bound is a day");
    }

    #[tokio::test]
    async fn a_refused_scan_is_an_aws_error() {
        let rule = mock!(aws_sdk_dynamodb::Client::scan).then_error(|| {
            aws_sdk_dynamodb::operation::scan::ScanError::ResourceNotFoundException(
                aws_sdk_dynamodb::types::error::ResourceNotFoundException::builder()
                    .message("Requested resource not found")
                    .build(),
            )
        });
        let ddb = mock_client!(aws_sdk_dynamodb, [&rule]);
        let err = read(&ddb, "nope", &StatusRequest::default(), now())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "AwsCallFailed");
        assert!(err.to_string().contains("Scan"), "{err}");
    }

    #[test]
    fn bad_requests_name_the_field() {
        for (request, field) in [
            (
                json!({"filter": {"accountId": "12345"}}),
                "filter.accountId",
            ),
            (json!({"filter": {"region": "EU West"}}), "filter.region"),
            (json!({"staleAfterSeconds": 0}), "staleAfterSeconds"),
            (json!({"staleAfterSeconds": "soon"}), "staleAfterSeconds"),
            (json!({"action": "upgrade"}), "action"),
            (json!({"filter": {"account": "1"}}), "filter.account"),
            (json!({"stale": 5}), "stale"),
        ] {
            let err = StatusRequest::parse(request.clone()).unwrap_err();
            assert_eq!(err.name(), "InvalidInput");
            assert_eq!(err.field(), Some(field), "{request}: {err}");
        }
        let ok = StatusRequest::parse(json!({"filter": {"accountId": "111111111111"}})).unwrap();
        assert_eq!(ok.stale_after(), DEFAULT_STALE_AFTER_SECONDS);
    }
}
