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
        now_s + 10 * 600 + 60 + 86_400,
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

/// The lock's one guarantee under load: of many executions writing their claim on a free lock
/// at the same moment, exactly one holds it and every other is told `Locked` naming that one.
/// DynamoDB applies each conditional write atomically against the latest item (the emulator's
/// `consistency` patch; docs/emulator.md), so this holds in AWS as it must here.
#[tokio::test]
async fn of_many_racing_for_a_free_lock_exactly_one_takes_it() {
    let table = table().await;
    let now = SystemTime::now();
    for round in 0..4 {
        let key = unique(&format!("acct/us-east-1/race-{round}"));
        let holders: Vec<String> = (0..16).map(|i| format!("arn:exec:{i}")).collect();
        let mut writes = tokio::task::JoinSet::new();
        for (i, holder) in holders.iter().enumerate() {
            let (table, key, holder) = (table.clone(), key.clone(), holder.clone());
            writes.spawn(async move {
                let written = write(&table, &key, &holder, "create", Mode::Hold, now).await;
                (i, written)
            });
        }
        let mut results: Vec<_> = writes.join_all().await;
        results.sort_by_key(|(i, _)| *i);
        let results: Vec<_> = results.into_iter().map(|(_, r)| r).collect();
        let winners: Vec<&String> = holders
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(h, _)| h)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let held = text(&item(&key).await.expect("taken"), "holder");
        assert_eq!(&held, winners[0], "the item names the one that took it");
        for refused in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(refused.name(), "Locked", "{refused}");
            assert!(refused.to_string().contains(&held), "{refused}");
        }
    }
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

/// A wait's request for `holder` on `key`, after a read at `polled_at`.
fn wait_request(key: &str, holder: &str, polled_at: &str) -> bluegreen::waits::WaitRequest {
    serde_json::from_value(json!({
        "purpose": "green", "token": format!("token-of-{holder}"), "timeoutSeconds": 600,
        "polledAt": polled_at, "lock": {"key": key, "holder": holder}
    }))
    .unwrap()
}

#[tokio::test]
async fn a_wait_stores_its_token_only_on_its_own_lock_and_not_after_a_newer_hint() {
    let table = table().await;
    let store = bluegreen::waits::TokenStore::new(moto().dynamodb(), LOCK_TABLE);
    let key = unique("acct/us-east-1/orders");
    let now = SystemTime::now();
    // No lock held: nothing stored.
    let refused = store
        .store(
            &wait_request(&key, "arn:exec:a", "2026-12-07T05:00:00Z"),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.name(), "Locked");
    assert!(item(&key).await.is_none(), "nothing was written");
    write(&table, &key, "arn:exec:a", "create", Mode::Hold, now)
        .await
        .unwrap();
    // Another execution's wait on this lock: Locked, the item unchanged.
    let refused = store
        .store(
            &wait_request(&key, "arn:exec:b", "2026-12-07T05:00:00Z"),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.name(), "Locked");
    assert!(!item(&key).await.unwrap().contains_key("waitToken"));
    // Its own: the token, its purpose and expiry.
    let waiting = store
        .store(
            &wait_request(&key, "arn:exec:a", "2026-12-07T05:00:00Z"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(waiting.purpose, bluegreen::waits::Purpose::Green);
    let held = item(&key).await.unwrap();
    assert_eq!(text(&held, "waitToken"), "token-of-arn:exec:a");
    assert_eq!(text(&held, "waitPurpose"), "green");
    let expires: u64 = text(&held, "waitExpiresAt").parse().unwrap();
    assert_eq!(expires, bluegreen::lock::claim::epoch_seconds(now) + 600);
    // A hint (an event) newer than the read: the wait refuses to begin, so the state machine
    // reads again; a read after the hint waits.
    let hint_ms = 1_796_619_660_000_i64; // 2026-12-07T05:01:00Z
    moto()
        .dynamodb()
        .update_item()
        .table_name(LOCK_TABLE)
        .key("lockKey", AttributeValue::S(key.clone()))
        .update_expression("SET hintAt = :h")
        .expression_attribute_values(":h", AttributeValue::N(hint_ms.to_string()))
        .send()
        .await
        .unwrap();
    let early = store
        .store(
            &wait_request(&key, "arn:exec:a", "2026-12-07T05:00:30Z"),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(early.name(), "WokenEarly", "{early}");
    store
        .store(
            &wait_request(&key, "arn:exec:a", "2026-12-07T05:01:30Z"),
            now,
        )
        .await
        .unwrap();
}

/// The keys of the items a Query on the lock table's index `index` finds for `value`.
async fn found_by(index: &str, key: &str, value: &str) -> Vec<String> {
    moto()
        .dynamodb()
        .query()
        .table_name(LOCK_TABLE)
        .index_name(index)
        .key_condition_expression("#k = :v")
        .expression_attribute_names("#k", key)
        .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|i| text(i, "lockKey"))
        .collect()
}

#[tokio::test]
async fn a_wait_and_a_stage_write_the_keys_the_wake_machine_queries() {
    // statemachine/wake.asl.json finds a lock by `wakeKey` (byWakeKey): the waited resource
    // while a wait names one, else the deployment. The writers must keep it so.
    let table = table().await;
    let store = bluegreen::waits::TokenStore::new(moto().dynamodb(), LOCK_TABLE);
    let key = unique("acct/us-east-1/wakekeys");
    let now = SystemTime::now();
    write(&table, &key, "arn:exec:w", "create", Mode::Hold, now)
        .await
        .unwrap();
    let deployment = unique("bgd-wakekeys");
    // A stage written with the deployment, as the steps write them.
    let stage = |name: &'static str| {
        let (table, key, deployment) = (&table, &key, &deployment);
        async move {
            table
                .write(
                    &claim(key, "arn:exec:w"),
                    &Stage {
                        name,
                        deployment: Some(deployment),
                    },
                    &request(),
                    Mode::Refresh,
                    now,
                )
                .await
                .unwrap();
        }
    };
    stage("green-creating").await;
    assert_eq!(
        found_by("byWakeKey", "wakeKey", &deployment).await,
        [key.as_str()]
    );

    let (a, b) = (
        unique("arn:aws:rds:us-east-1:1:db:a"),
        unique("arn:aws:rds:us-east-1:1:db:b"),
    );
    let mut wait = wait_request(&key, "arn:exec:w", "2026-12-07T05:00:00Z");
    wait.purpose = bluegreen::waits::Purpose::Deletion;
    wait.resources = vec![a.clone(), b.clone(), a.clone(), String::new()];
    store.store(&wait, now).await.unwrap();
    let held = item(&key).await.unwrap();
    assert_eq!(
        text(&held, "waitResource"),
        a,
        "the first resource is the index key"
    );
    let mut listed = held["waitResources"].as_ss().unwrap().clone();
    listed.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(listed, expected, "every resource, once");
    assert_eq!(found_by("byWakeKey", "wakeKey", &a).await, [key.as_str()]);
    // A stage written meanwhile keeps the waited resource as the key.
    stage("cleanup-started").await;
    assert_eq!(found_by("byWakeKey", "wakeKey", &a).await, [key.as_str()]);

    // A wait for nothing leaves no resource behind: the next event about `a` finds no lock,
    // and the deployment's events find it again.
    wait.resources = vec![];
    store.store(&wait, now).await.unwrap();
    let held = item(&key).await.unwrap();
    assert!(!held.contains_key("waitResource") && !held.contains_key("waitResources"));
    assert!(found_by("byWakeKey", "wakeKey", &a).await.is_empty());
    assert_eq!(
        found_by("byWakeKey", "wakeKey", &deployment).await,
        [key.as_str()]
    );
}
