//! Issue 20, fleets of thousands: the wake machine (statemachine/wake.asl.json) finds the wait
//! an RDS event concerns however many locks the table holds. A Scan reads at most 1 MB a page
//! ("Scan", DynamoDB API Reference: "If the total size of scanned items exceeds the maximum
//! dataset size limit of 1 MB, the scan completes and results are returned to the user"), so
//! reading one page missed a wait stored past it; the wake machine queries the lock table's
//! `byWakeKey` index instead (template.yaml `LockTable`: the waited resource while a wait
//! names one, else the deployment).
//!
//! Here the table holds more than a megabyte of other locks, the waits are stored after them
//! (past the first Scan page, which the test shows), and real executions hold the tokens: each
//! event reaches its wait, and the woken execution receives who woke it.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use e2e::lambda::{function_arn, HOOK_FUNCTIONS};
use e2e::moto::{unique, ACCOUNT, REGION};
use e2e::seed;
use e2e::stack::Stack;
use e2e::stepfunctions::statemachine_definition;
use serde_json::{json, Value};

use crate::e2e_support::state_machine;

/// Other locks in the table: 3000 of about 500 bytes, 1.5 MB (a Scan page is 1 MB).
const OTHER_LOCKS: usize = 3000;

/// Fills `table` with `OTHER_LOCKS` locks of other databases, each waiting for its own
/// deployment and resource (so the indexes hold them too), 25 per BatchWriteItem.
async fn other_locks(stack: &Stack, table: &str) {
    let padding = "x".repeat(400);
    let batches: Vec<Vec<WriteRequest>> = (0..OTHER_LOCKS)
        .collect::<Vec<_>>()
        .chunks(25)
        .map(|chunk| {
            chunk
                .iter()
                .map(|n| {
                    let s = |v: String| AttributeValue::S(v);
                    let item = HashMap::from([
                        (
                            "lockKey".to_owned(),
                            s(format!("{ACCOUNT}/{REGION}/another-{n}")),
                        ),
                        (
                            "holder".to_owned(),
                            s(format!(
                                "arn:aws:states:{REGION}:{ACCOUNT}:execution:bg:other-{n}"
                            )),
                        ),
                        ("stage".to_owned(), s("green-creating".to_owned())),
                        ("deploymentId".to_owned(), s(format!("bgd-other-{n}"))),
                        (
                            "waitResource".to_owned(),
                            s(format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:other-{n}")),
                        ),
                        (
                            "wakeKey".to_owned(),
                            s(format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:other-{n}")),
                        ),
                        ("note".to_owned(), s(padding.clone())),
                    ]);
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                        .build()
                })
                .collect()
        })
        .collect();
    // Eight writes at a time.
    let mut writes = tokio::task::JoinSet::new();
    for batch in batches {
        let (dynamodb, table) = (stack.moto.dynamodb(), table.to_owned());
        writes.spawn(async move {
            dynamodb
                .batch_write_item()
                .request_items(table, batch)
                .send()
                .await
        });
        if writes.len() >= 8 {
            written(writes.join_next().await);
        }
    }
    while let Some(done) = writes.join_next().await {
        written(Some(done));
    }
}

/// Asserts a finished BatchWriteItem wrote every item.
fn written<E: std::fmt::Debug>(
    done: Option<Result<Result<BatchWriteItemOutput, E>, tokio::task::JoinError>>,
) {
    let out = done
        .expect("a write")
        .expect("the write task")
        .expect("BatchWriteItem");
    assert!(
        out.unprocessed_items().is_none_or(|u| u.is_empty()),
        "every item written"
    );
}

/// An execution that waits for its token (`lambda:invoke.waitForTaskToken`, as the product's
/// waits do), and the token, read from its history.
async fn waiting_execution(stack: &Stack, machine: &str) -> (String, String) {
    let arn = stack
        .sfn()
        .start(machine, &unique("waiter"), &json!({}))
        .await;
    for _ in 0..100 {
        let token = stack.sfn().history(&arn).await.iter().find_map(|e| {
            let parameters = e["taskScheduledEventDetails"]["parameters"].as_str()?;
            let parameters: Value = serde_json::from_str(parameters).ok()?;
            parameters["Payload"]["token"].as_str().map(str::to_owned)
        });
        if let Some(token) = token {
            return (arn, token);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{arn} never scheduled its task");
}

/// A lock item whose execution waits for `purpose` with `token`, found by `deployment` or
/// `resource` (what the product writes: docs/lock.md).
async fn waiting_lock(
    stack: &Stack,
    table: &str,
    key: &str,
    purpose: &str,
    token: &str,
    deployment: &str,
    resource: Option<&str>,
) {
    let now = bluegreen::lock::claim::epoch_seconds(SystemTime::now());
    let mut put = stack
        .moto
        .dynamodb()
        .put_item()
        .table_name(table)
        .item("lockKey", AttributeValue::S(key.to_owned()))
        .item(
            "holder",
            AttributeValue::S(format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:execution:bg:{key}"
            )),
        )
        .item("deploymentId", AttributeValue::S(deployment.to_owned()))
        .item("waitToken", AttributeValue::S(token.to_owned()))
        .item("waitPurpose", AttributeValue::S(purpose.to_owned()))
        .item("waitExpiresAt", AttributeValue::N((now + 600).to_string()));
    // The key the writers keep (shared/src/waits/store.rs, lock/table.rs).
    put = put.item(
        "wakeKey",
        AttributeValue::S(resource.unwrap_or(deployment).to_owned()),
    );
    if let Some(resource) = resource {
        put = put
            .item("waitResource", AttributeValue::S(resource.to_owned()))
            .item(
                "waitResources",
                AttributeValue::Ss(vec![resource.to_owned()]),
            );
    }
    put.send().await.expect("put the waiting lock");
}

/// The RDS event as EventBridge delivers it to the wake machine.
fn rds_event(detail_type: &str, source_type: &str, arn: &str, id: &str, message: &str) -> Value {
    json!({
        "version": "0", "id": unique("evt"), "source": "aws.rds", "detail-type": detail_type,
        "account": ACCOUNT, "region": REGION, "time": "2026-12-07T05:00:00Z", "resources": [arn],
        "detail": {"EventCategories": ["deletion"], "SourceType": source_type, "SourceArn": arn,
                   "Date": "2026-12-07T05:00:00.000Z", "Message": message,
                   "SourceIdentifier": arn.rsplit(':').next().unwrap(), "EventID": id}
    })
}

#[tokio::test]
async fn each_event_reaches_its_wait_past_a_megabyte_of_other_locks() {
    let (stack, _) = state_machine().await;
    let table = unique("locks-fleet");
    seed::lock_table_named(&stack.moto, &table).await;
    let started = std::time::Instant::now();
    other_locks(stack, &table).await;
    let seeded = started.elapsed();

    let waiter = stack
        .sfn()
        .create_state_machine(
            &unique("waiter"),
            &json!({"StartAt": "Wait", "States": {"Wait": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": function_arn(HOOK_FUNCTIONS[0]), "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 30000, "End": true}}})
            .to_string(),
        )
        .await;
    let id = unique("fleetdb");
    let old = format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:{id}-old1-0");
    let deployment = unique("bgd-fleet");
    let (deletion_run, deletion_token) = waiting_execution(stack, &waiter).await;
    let (green_run, green_token) = waiting_execution(stack, &waiter).await;
    let deletion_key = format!("{ACCOUNT}/{REGION}/{id}");
    let green_key = format!("{ACCOUNT}/{REGION}/{id}-other");
    waiting_lock(
        stack,
        &table,
        &deletion_key,
        "deletion",
        &deletion_token,
        &unique("bgd-done"),
        Some(&old),
    )
    .await;
    waiting_lock(
        stack,
        &table,
        &green_key,
        "green",
        &green_token,
        &deployment,
        None,
    )
    .await;

    // What one Scan page reads (moto reads a table in key order; the other locks' keys come
    // first): both waits are past it.
    let page = stack
        .moto
        .dynamodb()
        .scan()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert!(
        page.last_evaluated_key().is_some(),
        "the table is more than one page"
    );
    let on_page: Vec<&str> = page
        .items()
        .iter()
        .filter_map(|i| {
            i.get("lockKey")
                .and_then(|k| k.as_s().ok())
                .map(String::as_str)
        })
        .collect();
    for key in [&deletion_key, &green_key] {
        assert!(
            !on_page.contains(&key.as_str()),
            "{key} is past the first page"
        );
    }

    let wake = stack
        .sfn()
        .create_state_machine(
            &unique("wake-fleet"),
            &statemachine_definition(
                "wake.asl.json",
                &BTreeMap::from([("LockTableName".to_owned(), table.clone())]),
            ),
        )
        .await;
    let deployment_arn = format!("arn:aws:rds:{REGION}:{ACCOUNT}:deployment:{deployment}");
    for (event, key) in [
        (
            rds_event(
                "RDS DB Instance Event",
                "DB_INSTANCE",
                &old,
                "RDS-EVENT-0003",
                "DB instance deleted.",
            ),
            &deletion_key,
        ),
        (
            rds_event(
                "RDS Blue Green Deployment Event",
                "BLUE_GREEN_DEPLOYMENT",
                &deployment_arn,
                "RDS-EVENT-0244",
                "Blue/green deployment tasks completed.",
            ),
            &green_key,
        ),
    ] {
        let woke = std::time::Instant::now();
        let ran = stack
            .sfn()
            .run(&wake, &unique("wake"), &event, Duration::from_secs(60))
            .await;
        assert_eq!(ran.status, "SUCCEEDED", "{:?} {:?}", ran.error, ran.cause);
        let answers = ran.output.clone().expect("one answer per lock found");
        assert_eq!(
            answers,
            json!([{"key": key, "purpose": if *key == deletion_key { "deletion" } else { "green" }, "woken": true}]),
            "only the lock the event concerns, woken"
        );
        println!(
            "{} other locks ({:.1} s to seed): {} woke {key} in {:.2} s",
            OTHER_LOCKS,
            seeded.as_secs_f64(),
            event["detail"]["EventID"],
            woke.elapsed().as_secs_f64()
        );
        let item = stack
            .moto
            .dynamodb()
            .get_item()
            .table_name(&table)
            .key("lockKey", AttributeValue::S(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .expect("the lock");
        assert!(item.contains_key("hintAt"), "the hint is left on the lock");
    }
    for (run, event) in [
        (&deletion_run, "RDS-EVENT-0003"),
        (&green_run, "RDS-EVENT-0244"),
    ] {
        let ended = stack.sfn().wait(run, Duration::from_secs(30)).await;
        assert_eq!(ended.status, "SUCCEEDED", "{ended:?}");
        let output = ended.output.expect("who woke it");
        assert_eq!(output["event"], event, "{output}");
        assert_eq!(output["via"], "rds-event", "{output}");
    }
}
