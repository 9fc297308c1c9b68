//! The lock's writes from the steps (shared/src/lock/table.rs) against moto's DynamoDB: a step
//! that changes something holds the lock (free, expired or its own), never beside another
//! holder; notify's refresh moves the stage forward and never takes a lock.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use bluegreen::lock::table::{LockTable, Mode, Stage};
use bluegreen::lock::Claim;
use e2e::moto::{moto, unique};
use e2e::seed;
use e2e::stepfunctions::LOCK_TABLE;
use serde_json::json;

fn request() -> bluegreen::input::Request {
    bluegreen::steps::parse_request(&json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-mysql"}, "options": {"maxPolls": 10, "gracePeriodSeconds": 60}})).unwrap()
}

async fn table() -> LockTable {
    seed::lock_table(moto()).await;
    LockTable::new(moto().dynamodb(), LOCK_TABLE)
}

async fn item(key: &str) -> Option<std::collections::HashMap<String, AttributeValue>> {
    moto()
        .dynamodb()
        .get_item()
        .table_name(LOCK_TABLE)
        .key("lockKey", AttributeValue::S(key.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
    match &item[name] {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

/// One write of `holder`'s claim on `key` at `stage`, for the test's request.
async fn write(
    table: &LockTable,
    key: &str,
    holder: &str,
    stage: &str,
    mode: Mode,
    at: SystemTime,
) -> Result<(), bluegreen::Error> {
    table
        .write(
            &claim(key, holder),
            &Stage::named(stage),
            &request(),
            mode,
            at,
        )
        .await
}

fn claim(key: &str, holder: &str) -> Claim {
    Claim {
        key: key.to_owned(),
        holder: holder.to_owned(),
    }
}

#[tokio::test]
async fn a_step_takes_a_free_lock_keeps_its_own_and_is_refused_anothers() {
    let table = table().await;
    let key = unique("acct/us-east-1/orders");
    let now = SystemTime::now();
    // Free (a redrive after the release): taken, with stage and expiry.
    write(&table, &key, "arn:exec:a", "create", Mode::Hold, now)
        .await
        .unwrap();
    let held = item(&key).await.expect("taken");
    assert_eq!(text(&held, "holder"), "arn:exec:a");
    assert_eq!(text(&held, "stage"), "create");
    assert_eq!(text(&held, "action"), "upgrade");
    let expires: u64 = text(&held, "expiresAt").parse().unwrap();
    let now_s = bluegreen::lock::claim::epoch_seconds(now);
    assert_eq!(
        expires,
        now_s + 10 * 300 + 60 + 86_400,
        "the bound of this request"
    );
    // Its own: held again, the stage moves.
    write(&table, &key, "arn:exec:a", "switchover", Mode::Hold, now)
        .await
        .unwrap();
    assert_eq!(text(&item(&key).await.unwrap(), "stage"), "switchover");
    // Another's: Locked naming the holder, and the item is unchanged.
    let refused = write(&table, &key, "arn:exec:b", "create", Mode::Hold, now)
        .await
        .unwrap_err();
    assert_eq!(refused.name(), "Locked");
    assert!(refused.to_string().contains("arn:exec:a"), "{refused}");
    assert_eq!(text(&item(&key).await.unwrap(), "holder"), "arn:exec:a");
    // Expired (its holder vanished unseen): another takes it.
    let later = now + Duration::from_secs(expires - now_s + 1);
    write(&table, &key, "arn:exec:b", "create", Mode::Hold, later)
        .await
        .unwrap();
    assert_eq!(text(&item(&key).await.unwrap(), "holder"), "arn:exec:b");
}

#[tokio::test]
async fn notify_refreshes_only_its_own_lock_and_never_takes_one() {
    let table = table().await;
    let key = unique("acct/us-east-1/orders");
    let now = SystemTime::now();
    // No lock: a refresh (a refused execution's failure message) takes none.
    let refused = write(
        &table,
        &key,
        "arn:exec:a",
        "failed at started",
        Mode::Refresh,
        now,
    )
    .await;
    assert_eq!(refused.unwrap_err().name(), "Locked");
    assert!(item(&key).await.is_none(), "nothing was taken");
    write(&table, &key, "arn:exec:a", "create", Mode::Hold, now)
        .await
        .unwrap();
    write(
        &table,
        &key,
        "arn:exec:a",
        "green-ready",
        Mode::Refresh,
        now,
    )
    .await
    .unwrap();
    assert_eq!(text(&item(&key).await.unwrap(), "stage"), "green-ready");
    let other = write(
        &table,
        &key,
        "arn:exec:b",
        "green-ready",
        Mode::Refresh,
        now,
    )
    .await;
    assert_eq!(other.unwrap_err().name(), "Locked");
    assert_eq!(text(&item(&key).await.unwrap(), "holder"), "arn:exec:a");
}
