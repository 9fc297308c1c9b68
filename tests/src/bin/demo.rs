//! `cargo run -p e2e --bin demo`: the whole product on this machine, no AWS account.
//!
//! Starts moto (local AWS) and `cargo lambda watch` (the six functions), seeds an Aurora
//! MySQL cluster `orders` with a notification topic and a queue, creates the state machine
//! from `statemachine/bluegreen.asl.json`, runs a full upgrade with waits scaled down,
//! prints each stage as the execution reaches it, then the notifications sent and the
//! databases left, and stops everything it started.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_rds::types::{DbCluster, DbInstance};
use e2e::moto::{ACCOUNT, REGION};
use e2e::seed;
use e2e::stack::Stack;
use e2e::stepfunctions::{entered_state, product_definition, Execution};
use serde_json::{json, Value};

const DATABASE: &str = "orders";
const FROM_VERSION: &str = "8.0.mysql_aurora.3.05.2";
const TO_VERSION: &str = "8.0.mysql_aurora.3.08.0";
const NEW_CLUSTER_GROUP: &str = "orders-aurora-mysql80";
/// Longest the upgrade may take here (the real one takes tens of minutes to hours).
const TIMEOUT: Duration = Duration::from_secs(600);

#[tokio::main]
async fn main() {
    println!("Blue/Green upgrade demo: {DATABASE} (aurora-mysql {FROM_VERSION} -> {TO_VERSION}), all local.\n");
    println!("Starting moto and cargo lambda watch (the first run compiles the functions)...");
    let stack = Stack::start("demo-notifications").await;
    println!(
        "  moto at {}, functions at {} (ready in {:.1?})",
        stack.moto.endpoint, stack.lambda.endpoint, stack.started_in
    );

    seed_database(&stack).await;
    let sfn = stack.sfn();
    let state_machine = sfn
        .create_state_machine("bluegreen-demo", &product_definition(&BTreeMap::new()))
        .await;
    let input = request();
    println!(
        "\nStarting the upgrade with:\n{}\n",
        serde_json::to_string_pretty(&input).expect("json")
    );

    let began = Instant::now();
    let arn = sfn.start(&state_machine, "demo-upgrade", &input).await;
    let execution = sfn
        .follow(&arn, TIMEOUT, |event| print_progress(began, event))
        .await;
    print_outcome(&execution, began.elapsed());
    print_notifications(&stack).await;
    print_databases(&stack).await;

    println!("\nStopping moto and cargo lambda watch.");
    let succeeded = execution.status == "SUCCEEDED";
    drop(stack);
    std::process::exit(if succeeded { 0 } else { 1 });
}

/// The production cluster (a writer and a reader) and green's cluster parameter group.
async fn seed_database(stack: &Stack) {
    let instances = seed::aurora_mysql(&stack.moto, DATABASE, 1).await;
    seed::cluster_parameter_group(
        &stack.moto,
        NEW_CLUSTER_GROUP,
        "aurora-mysql8.0",
        &[("binlog_format", "ROW")],
    )
    .await;
    println!(
        "Seeded cluster {DATABASE} ({}) and parameter group {NEW_CLUSTER_GROUP}.",
        instances.join(", ")
    );
    println!(
        "Notifications go to {} -> queue {}.",
        stack.topic_arn, stack.queue_url
    );
}

/// The execution input a user would paste in the console.
fn request() -> Value {
    json!({
        "action": "upgrade",
        "target": {"accountId": ACCOUNT, "region": REGION, "identifier": DATABASE, "engine": "aurora-mysql"},
        "options": {
            "targetEngineVersion": TO_VERSION,
            "targetDbClusterParameterGroupName": NEW_CLUSTER_GROUP,
            "snapshotBeforeSwitchover": true,
            "gracePeriodSeconds": 5,
            "finalSnapshot": true,
            "tags": {"change": "DEMO-1"}
        }
    })
}

/// One line per state entered, plus what each task answered or why it failed.
fn print_progress(began: Instant, event: &Value) {
    let at = began.elapsed().as_secs_f32();
    if let Some(state) = entered_state(event) {
        println!("[{at:6.1}s] {state}");
        return;
    }
    match event["type"].as_str().unwrap_or_default() {
        "TaskSucceeded" => {
            let payload = event["taskSucceededEventDetails"]["output"]
                .as_str()
                .and_then(|o| serde_json::from_str::<Value>(o).ok())
                .map(|o| o["Payload"].clone())
                .unwrap_or(Value::Null);
            let summary = summary(&payload);
            if !summary.is_empty() {
                println!("           {summary}");
            }
        }
        "TaskFailed" => {
            let details = &event["taskFailedEventDetails"];
            println!(
                "           failed: {} {}",
                details["error"].as_str().unwrap_or_default(),
                short(details["cause"].as_str().unwrap_or_default(), 200)
            );
        }
        _ => {}
    }
}

/// The fields of a step's answer that say where it is.
fn summary(answer: &Value) -> String {
    [
        "phase",
        "status",
        "state",
        "action",
        "step",
        "detail",
        "passed",
        "snapshotId",
    ]
    .iter()
    .filter_map(|k| {
        answer.get(*k).filter(|v| !v.is_null()).map(|v| {
            format!(
                "{k}={}",
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            )
        })
    })
    .collect::<Vec<_>>()
    .join("  ")
}

fn short(text: &str, max: usize) -> String {
    let one_line = text.replace('\n', " ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

fn print_outcome(execution: &Execution, took: Duration) {
    println!(
        "\nExecution {}: {} in {:.1?}, {} state transitions.",
        execution.arn, execution.status, took, execution.transitions
    );
    if let Some(error) = &execution.error {
        println!(
            "  error: {error}\n  cause: {}",
            short(execution.cause.as_deref().unwrap_or_default(), 600)
        );
    }
    if execution.status == "RUNNING" {
        println!("  still running after {TIMEOUT:?}: stopped waiting.");
    }
}

async fn print_notifications(stack: &Stack) {
    let received = seed::drain_queue(&stack.moto, &stack.queue_url).await;
    println!("\nNotifications published ({}):", received.len());
    for message in received {
        let attributes: Vec<String> = message
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        // The queue gets SNS's default message: JSON with the subject people see first.
        let subject = serde_json::from_str::<Value>(&message.body)
            .ok()
            .and_then(|b| b["subject"].as_str().map(str::to_owned));
        println!(
            "  - {}",
            subject.unwrap_or_else(|| short(&message.body, 200))
        );
        println!("    {}", attributes.join(" "));
    }
}

async fn print_databases(stack: &Stack) {
    let rds = stack.moto.rds();
    let clusters: Vec<DbCluster> = rds
        .describe_db_clusters()
        .send()
        .await
        .map(|o| o.db_clusters.unwrap_or_default())
        .unwrap_or_default();
    let instances: Vec<DbInstance> = rds
        .describe_db_instances()
        .send()
        .await
        .map(|o| o.db_instances.unwrap_or_default())
        .unwrap_or_default();
    println!("\nDatabases left:");
    for cluster in clusters {
        let id = cluster.db_cluster_identifier().unwrap_or_default();
        println!(
            "  cluster {id}  {}  {}  resource {}",
            cluster.engine_version().unwrap_or_default(),
            cluster.status().unwrap_or_default(),
            cluster.db_cluster_resource_id().unwrap_or_default()
        );
        for instance in instances
            .iter()
            .filter(|i| i.db_cluster_identifier() == Some(id))
        {
            println!(
                "    instance {}  {}",
                instance.db_instance_identifier().unwrap_or_default(),
                instance.db_instance_status().unwrap_or_default()
            );
        }
    }
    let snapshots = rds
        .describe_db_cluster_snapshots()
        .send()
        .await
        .map(|o| o.db_cluster_snapshots.unwrap_or_default())
        .unwrap_or_default();
    for snapshot in snapshots
        .iter()
        .filter(|s| s.snapshot_type() == Some("manual"))
    {
        println!(
            "  snapshot {} of {}",
            snapshot
                .db_cluster_snapshot_identifier()
                .unwrap_or_default(),
            snapshot.db_cluster_identifier().unwrap_or_default()
        );
    }
}
