//! The board (`bluegreen::board`) against moto's DynamoDB: lock items in the schema the state
//! machine writes at every stage, read back as upgrades in flight with their stage and age,
//! and the locks older than the bound.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use bluegreen::board::{self, StatusRequest};
use bluegreen::notify::format::rfc3339;
use e2e::moto::{moto, unique, ACCOUNT, REGION};
use serde_json::json;

/// A lock table like the template's (hash key `lockKey`), under a unique name.
async fn table(ddb: &aws_sdk_dynamodb::Client) -> String {
    let name = unique("locks");
    ddb.create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("lockKey")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("lockKey")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create the lock table");
    name
}

/// One lock item as the state machine keeps it, started `age` ago, at `stage` for 10 minutes.
async fn lock(ddb: &aws_sdk_dynamodb::Client, table: &str, key: &str, stage: &str, age: Duration) {
    let now = SystemTime::now();
    let s = |v: String| AttributeValue::S(v);
    let name = key.rsplit('/').next().unwrap().to_owned();
    let item = HashMap::from([
        ("lockKey".to_owned(), s(key.to_owned())),
        (
            "holder".to_owned(),
            s(format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:execution:bg:{name}-run"
            )),
        ),
        ("executionName".to_owned(), s(format!("{name}-run"))),
        ("action".to_owned(), s("upgrade".into())),
        ("startedAt".to_owned(), s(rfc3339(now - age))),
        ("stage".to_owned(), s(stage.to_owned())),
        (
            "stageSince".to_owned(),
            s(rfc3339(now - Duration::from_secs(600))),
        ),
        ("deploymentId".to_owned(), s(format!("bgd-{name}"))),
        (
            "expiresAt".to_owned(),
            AttributeValue::N(
                (now.duration_since(UNIX_EPOCH).unwrap().as_secs() + 86_400 * 30).to_string(),
            ),
        ),
    ]);
    ddb.put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put the lock");
}

#[tokio::test]
async fn two_upgrades_in_flight_and_one_stale_lock() {
    let ddb = moto().dynamodb();
    let table = table(&ddb).await;
    let hour = Duration::from_secs(3600);
    lock(
        &ddb,
        &table,
        &format!("{ACCOUNT}/{REGION}/orders"),
        "green-creating",
        hour,
    )
    .await;
    lock(
        &ddb,
        &table,
        &format!("{ACCOUNT}/{REGION}/billing"),
        "switchover-started",
        2 * hour,
    )
    .await;
    lock(
        &ddb,
        &table,
        &format!("{ACCOUNT}/{REGION}/stuck"),
        "cleanup-scheduled",
        30 * hour,
    )
    .await;
    lock(
        &ddb,
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
    assert_eq!(answer.stale, [format!("{ACCOUNT}/{REGION}/stuck")]);
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
