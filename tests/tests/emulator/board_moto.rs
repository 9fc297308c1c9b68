//! The board (`bluegreen::board`) against moto's DynamoDB: lock items in the schema the state
//! machine writes at every stage, read back as upgrades in flight with their stage and age,
//! and the locks older than the bound.

use std::time::{Duration, SystemTime};

use bluegreen::board::{self, StatusRequest};
use e2e::moto::{moto, unique, ACCOUNT, REGION};
use e2e::seed;
use serde_json::json;

/// The lock item of `id` in this test's account and Region.
fn key(id: &str) -> String {
    format!("{ACCOUNT}/{REGION}/{id}")
}

#[tokio::test]
async fn two_upgrades_in_flight_and_one_stale_lock() {
    let ddb = moto().dynamodb();
    let table = unique("locks");
    seed::lock_table_named(moto(), &table).await;
    let hour = Duration::from_secs(3600);
    seed::lock_item(moto(), &table, &key("orders"), "green-creating", hour).await;
    seed::lock_item(
        moto(),
        &table,
        &key("billing"),
        "switchover-started",
        2 * hour,
    )
    .await;
    seed::lock_item(
        moto(),
        &table,
        &key("stuck"),
        "cleanup-scheduled",
        30 * hour,
    )
    .await;
    seed::lock_item(
        moto(),
        &table,
        &format!("{ACCOUNT}/eu-west-1/elsewhere"),
        "verified",
        hour,
    )
    .await;

    let answer = board::status(
        &ddb,
        &table,
        json!({"action": "status", "filter": {"accountId": ACCOUNT, "region": REGION}, "staleAfterSeconds": 86_400}),
    )
    .await
    .expect("the board reads");
    let found: Vec<(&str, Option<&str>)> = answer
        .in_flight
        .iter()
        .map(|l| (l.identifier.as_str(), l.stage.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("stuck", Some("cleanup-scheduled")),
            ("billing", Some("switchover-started")),
            ("orders", Some("green-creating")),
        ],
        "oldest first; the other Region's lock is filtered out"
    );
    assert_eq!(answer.stale, [key("stuck")]);
    let orders = &answer.in_flight[2];
    assert!(
        (3590..=3700).contains(&orders.age_seconds.unwrap()),
        "{orders:?}"
    );
    assert!(
        (590..=700).contains(&orders.stage_age_seconds.unwrap()),
        "{orders:?}"
    );
    assert_eq!(orders.deployment_id.as_deref(), Some("bgd-orders"));
    assert!(!orders.expired);

    let whole = board::read(&ddb, &table, &StatusRequest::default(), SystemTime::now())
        .await
        .unwrap();
    assert_eq!(whole.in_flight.len(), 4, "no filter: the whole table");
}

#[tokio::test]
async fn a_missing_table_is_an_aws_error_naming_the_call() {
    let err = board::read(
        &moto().dynamodb(),
        &unique("no-such-table"),
        &StatusRequest::default(),
        SystemTime::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "AwsCallFailed", "{err}");
    assert!(err.to_string().contains("Scan"), "{err}");
}
