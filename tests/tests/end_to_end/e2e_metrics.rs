//! Metrics and the board on the local stack: an upgrade and a failed one write the expected
//! CloudWatch EMF lines in the functions' logs (`cargo lambda watch`'s output, where Lambda
//! would send them to CloudWatch Logs), the end message carries the upgrade's figures, and
//! the precheck function's `status` lists the upgrades in flight and the stale locks.

use std::time::{Duration, UNIX_EPOCH};

use e2e::faults::Fault;
use e2e::moto::{unique, REGION};
use e2e::seed;
use e2e::stack::Stack;
use serde_json::{json, Value};

use crate::e2e_support::{request, run, state_machine};

const AURORA_TARGET: &str = "8.0.mysql_aurora.3.08.0";

/// The EMF documents the functions wrote about `database` (their context member; ids are
/// unique to a test), by metric; waits up to 10 s for each of `wanted`.
async fn metric_lines(stack: &Stack, database: &str, wanted: &[&str]) -> Vec<(String, Value)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&stack.lambda.log).unwrap_or_default();
        let found: Vec<(String, Value)> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|doc| doc.get("_aws").is_some() && doc["database"] == database)
            .map(|doc| {
                let name = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                (name, doc)
            })
            .collect();
        let complete = wanted.iter().all(|w| found.iter().any(|(n, _)| n == w));
        if complete || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn execution_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap()
}

/// The one document of `metric` whose `dimension` is `value`.
fn the<'a>(found: &'a [(String, Value)], metric: &str, dimension: &str, value: &str) -> &'a Value {
    let matching: Vec<&Value> = found
        .iter()
        .filter(|(n, d)| n == metric && d[dimension] == value)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one {metric} with {dimension}={value}: {found:#?}"
    );
    matching[0]
}

#[tokio::test]
async fn an_upgrade_writes_its_metrics_and_ends_with_its_figures() {
    let (stack, _) = state_machine().await;
    let id = unique("e2emetrics");
    seed::aurora_mysql(&stack.moto, &id, 1).await;

    let began = std::time::Instant::now();
    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    run.assert_succeeded();

    let expected = [
        "GreenBuildTime",
        "TimeToReady",
        "SwitchoverDuration",
        "CleanupTime",
        "UpgradeTime",
        "Outcomes",
        "Polls",
    ];
    let found = metric_lines(stack, &id, &expected).await;
    for metric in expected {
        assert!(
            found.iter().any(|(n, _)| n == metric),
            "{metric} written: {found:#?}"
        );
    }
    for (name, doc) in &found {
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "RdsBlueGreen"
        );
        assert_eq!(
            doc["database"],
            id.as_str(),
            "{name}: the database is context"
        );
        if let Some(execution) = doc.get("execution") {
            assert_eq!(execution, execution_name(&run.execution.arn), "{name}");
        }
        let dims = &doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0];
        assert!(
            !dims.to_string().contains("database"),
            "{name}: never a dimension"
        );
    }
    assert_eq!(
        the(&found, "GreenBuildTime", "Engine", "aurora-mysql")["_aws"]["CloudWatchMetrics"][0]
            ["Metrics"][0]["Unit"],
        "Seconds"
    );
    assert!(
        the(&found, "SwitchoverDuration", "Engine", "aurora-mysql")["SwitchoverDuration"]
            .as_f64()
            .unwrap()
            >= 0.0
    );
    assert_eq!(
        the(&found, "Outcomes", "Outcome", "success")["Action"],
        "upgrade"
    );
    assert_eq!(
        the(&found, "UpgradeTime", "Action", "upgrade")["Engine"],
        "aurora-mysql"
    );
    // Each loop's Polls are its every status read: each entry of its step, and each entry of
    // its listening wait (which reads before it waits), counted here by the states entered.
    let mut all_reads = 0;
    for (stage, states) in loop_states() {
        let reads: usize = states.iter().map(|s| run.entered(s)).sum();
        assert_eq!(
            the(&found, "Polls", "Stage", stage)["Polls"].as_f64(),
            Some(reads as f64),
            "{stage}: every read of {states:?}: {:?}",
            run.states()
        );
        all_reads += reads as u64;
    }
    let green_polls = the(&found, "Polls", "Stage", "green-creating")["Polls"]
        .as_f64()
        .unwrap();
    assert!(
        green_polls >= 2.0,
        "the wait's read before waiting and the poll that found green ready"
    );
    assert!(!found.iter().any(|(n, _)| n == "Failures"), "no failure");

    // The end message and the execution's output carry the figures people and a fleet's
    // report sum, the same ones, with plausible values.
    let done = run.body_of("done");
    for fact in [
        "Green build",
        "Cleanup",
        "Total time",
        "Polls",
        "Switchover took",
    ] {
        assert!(done.contains(fact), "the done message says {fact}: {done}");
    }
    let output = run
        .execution
        .output
        .clone()
        .expect("the execution's output");
    let f: bluegreen::metrics::Figures =
        serde_json::from_value(output["figures"].clone()).expect("figures in the output");
    let total = f.total_seconds.expect("total time");
    let wall = began.elapsed().as_secs_f64();
    assert!(
        total > 0.0 && total <= wall + 1.0,
        "total {total} s within the execution's {wall} s"
    );
    let green = f.green_build_seconds.expect("green build time");
    assert_eq!(
        Some(green),
        the(&found, "GreenBuildTime", "Engine", "aurora-mysql")["GreenBuildTime"].as_f64(),
        "the figure is the metric poll-status wrote"
    );
    let switchover = f.switchover_seconds.expect("switchover time");
    assert_eq!(
        Some(switchover),
        the(&found, "SwitchoverDuration", "Engine", "aurora-mysql")["SwitchoverDuration"].as_f64()
    );
    let cleanup = f.cleanup_seconds.expect("cleanup time");
    for part in [green, switchover, cleanup] {
        assert!(
            (0.0..total).contains(&part),
            "{part} s within {total} s: {f:?}"
        );
    }
    assert_eq!(f.polls, Some(all_reads), "the figure is every loop's reads");
    for (name, value) in [
        ("totalSeconds", total),
        ("greenBuildSeconds", green),
        ("cleanupSeconds", cleanup),
    ] {
        assert_eq!(output["figures"][name].as_f64(), Some(value), "{name}");
    }
}

/// The wait loops by the stage that ends them (the `Polls` metric's `Stage`), and the states
/// of statemachine/bluegreen.asl.json that read for each: its step, and its wait when that
/// reads before waiting.
fn loop_states() -> [(&'static str, &'static [&'static str]); 4] {
    [
        ("green-creating", &["Poll green", "Wait for green"]),
        ("snapshot-taken", &["Snapshot blue"]),
        (
            "switchover-completed",
            &["Poll switchover", "Wait for switchover"],
        ),
        ("old-blue-deleted", &["Delete old blue"]),
    ]
}

/// moto's RDS meter counts by account and Region: this Region holds only the next test's
/// database, so the meter's count there is that upgrade's RDS calls and nothing else.
const COUNTED_REGION: &str = "eu-central-1";

/// An upgrade's own figures (its output and end message) say how many state transitions and
/// RDS calls it took: the same numbers the test counts from the execution's history (states
/// entered plus retries, the figure read at the end message so without the states after it)
/// and from moto's per-operation RDS meter (every call the functions made, whoever made it).
#[tokio::test]
async fn an_upgrades_transitions_and_rds_calls_are_what_its_history_and_rds_counted() {
    let (stack, _) = state_machine().await;
    let id = unique("e2ecount");
    let rds = aws_sdk_rds::Client::new(&stack.moto.sdk_config(COUNTED_REGION));
    seed::aurora_mysql_with(&rds, &id, 1).await;
    let before = rds_meter(stack, Some(COUNTED_REGION)).await;
    let mut input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    );
    input["target"]["region"] = json!(COUNTED_REGION);
    let run = run(&input).await;
    run.assert_succeeded();
    let after = rds_meter(stack, Some(COUNTED_REGION)).await;

    let output = run.output();
    let figures: bluegreen::metrics::Figures =
        serde_json::from_value(output["figures"].clone()).expect("figures in the output");
    let transitions = figures.state_transitions.expect("state transitions");
    let rds_calls = figures.rds_calls.expect("RDS calls");

    // The history: every state entered plus each retried task attempt (a task scheduled
    // again within one entry of its state; a wait's fallback caught into itself is a new
    // entry), minus the states entered after `Notify done`, which read the history.
    let entered = run.states();
    let done_at = entered
        .iter()
        .rposition(|s| *s == "Notify done")
        .expect("Notify done");
    let after_done = entered.len() - done_at - 1;
    let retries = retries(&run);
    assert_eq!(
        transitions as usize,
        run.execution.transitions + retries - after_done,
        "{entered:?}: {retries} retries, {after_done} states after the end message"
    );
    assert!(
        after_done <= 5,
        "only the lock's release and the end follow: {entered:?}"
    );

    // The steps' own answers in the history, and what RDS received.
    let answered: u64 = run
        .execution
        .events
        .iter()
        .filter_map(|e| {
            e["taskSucceededEventDetails"]["output"]
                .as_str()
                .or(e["taskSubmittedEventDetails"]["output"].as_str())
        })
        .filter_map(|o| serde_json::from_str::<Value>(o).ok())
        .filter_map(|o| o["Payload"]["rdsCalls"].as_u64())
        .sum();
    let received: u64 = after
        .iter()
        .map(|(action, n)| n - before.get(action).copied().unwrap_or(0))
        .sum();
    // Every call RDS received is in the figures: the answers' and those of the invocations that
    // answered an error (a wait that found nothing left to wait for, WaitOver), whose count
    // ends their message.
    let errors = run.execution.events_of("TaskFailed").len();
    assert_eq!(
        rds_calls, received,
        "RDS received {received} calls, the answers reported {answered} ({errors} errors): {before:?} -> {after:?}"
    );
    assert!(answered <= received);
    assert!(
        received > 10,
        "an upgrade reads RDS at every step: {received}"
    );

    let done = run.body_of("done");
    for (label, value) in [("State transitions", transitions), ("RDS calls", rds_calls)] {
        assert_eq!(
            fact(done, label),
            Some(value.to_string()),
            "the done message says {label}: {done}"
        );
    }
}

/// The retried task attempts of `run`: each task scheduled again within one entry of its
/// state (a task error caught into another state, `WaitOver`, or a wait's fallback caught into
/// itself, is a new entry, not a retry).
fn retries(run: &crate::e2e_support::Run) -> usize {
    run.execution.events_of("TaskScheduled").len()
        - run.execution.events_of("TaskStateEntered").len()
}

/// The value of a message's fact (the SNS message is the message's JSON, its `facts` an object).
fn fact(body: &str, label: &str) -> Option<String> {
    let message: Value = serde_json::from_str(body).ok()?;
    message["facts"][label].as_str().map(str::to_owned)
}

/// A Region holding only the next test's database, so moto's meter there counts that failed
/// upgrade's RDS calls and nothing else.
const FAILED_REGION: &str = "ap-northeast-1";

/// A failed upgrade counts its error name, and its figures count every RDS call it made: those
/// of the read that answered the error too (the error's message carries them, and people read
/// the message without them).
#[tokio::test]
async fn a_failed_upgrade_counts_its_error_name() {
    let (stack, _) = state_machine().await;
    let id = unique("e2emetricfail");
    let rds = aws_sdk_rds::Client::new(&stack.moto.sdk_config(FAILED_REGION));
    seed::aurora_mysql_with(&rds, &id, 0).await;
    let before = rds_meter(stack, Some(FAILED_REGION)).await;
    stack
        .moto
        .inject(
            &id,
            Fault::InvalidConfiguration {
                details: "green promoted by hand".into(),
            },
        )
        .await;
    let mut input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    );
    input["target"]["region"] = json!(FAILED_REGION);
    let run = run(&input).await;
    stack.moto.clear_faults(&id).await;
    run.assert_failed_at("DeploymentFailed", "green-creating");
    let after = rds_meter(stack, Some(FAILED_REGION)).await;

    let received: u64 = after
        .iter()
        .map(|(action, n)| n - before.get(action).copied().unwrap_or(0))
        .sum();
    let figures = run.figures();
    assert_eq!(
        figures.rds_calls,
        Some(received),
        "the failed execution's figures count what RDS received: {before:?} -> {after:?}"
    );
    let failed_read = run
        .execution
        .events_of("TaskFailed")
        .iter()
        .filter_map(|e| e["taskFailedEventDetails"]["cause"].as_str())
        .filter_map(|c| serde_json::from_str::<Value>(c).ok())
        .filter_map(|c| c["errorMessage"].as_str().map(str::to_owned))
        .map(|m| bluegreen::aws::meter::split_error(&m).1)
        .sum::<u64>();
    assert!(
        failed_read > 0,
        "the read that found green failed made RDS calls: {:?}",
        run.execution.events_of("TaskFailed")
    );
    let green_reads = run.entered("Poll green") + run.entered("Wait for green");
    assert_eq!(
        figures.polls,
        Some(green_reads as u64),
        "{:?}",
        run.states()
    );
    let told = run.body_of("green-creating");
    assert!(
        !told.contains("[rdsCalls") && told.contains("RDS calls"),
        "people read the cause without its count, and the figures as a fact: {told}"
    );

    let found = metric_lines(stack, &id, &["Outcomes", "Failures"]).await;
    assert_eq!(
        the(&found, "Failures", "Error", "DeploymentFailed")["Failures"],
        1.0
    );
    assert_eq!(
        the(&found, "Outcomes", "Outcome", "failure")["Action"],
        "upgrade"
    );
    for absent in [
        "GreenBuildTime",
        "TimeToReady",
        "UpgradeTime",
        "SwitchoverDuration",
    ] {
        assert!(
            !found.iter().any(|(n, _)| n == absent),
            "{absent} of a failed build: {found:#?}"
        );
    }
}

#[tokio::test]
async fn status_lists_two_upgrades_in_flight_and_one_stale_lock() {
    // Its seeded locks have holders that never ran: the reaper would release them.
    let _turn = crate::e2e_support::LEFT_LOCKS.read().await;
    let (stack, _) = state_machine().await;
    // An account of its own, so the locks of the other tests of this binary stay out.
    let account = "210987654321";
    let hour = Duration::from_secs(3600);
    let key = |id: &str| format!("{account}/{REGION}/{id}");
    seed::lock_item(
        &stack.moto,
        e2e::stepfunctions::LOCK_TABLE,
        &key("orders"),
        "green-creating",
        hour,
    )
    .await;
    seed::lock_item(
        &stack.moto,
        e2e::stepfunctions::LOCK_TABLE,
        &key("billing"),
        "switchover-started",
        2 * hour,
    )
    .await;
    seed::lock_item(
        &stack.moto,
        e2e::stepfunctions::LOCK_TABLE,
        &key("forgotten"),
        "cleanup-scheduled",
        50 * hour,
    )
    .await;

    let (status, board) = stack
        .lambda
        .invoke(
            "precheck",
            &json!({"operation": "status", "request": {"action": "status", "filter": {"accountId": account, "region": REGION}, "staleAfterSeconds": 86_400}}),
        )
        .await;
    assert_eq!(status, 200, "{board}");
    let listed: Vec<(&str, &str)> = board["inFlight"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["identifier"].as_str().unwrap(),
                l["stage"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("forgotten", "cleanup-scheduled"),
            ("billing", "switchover-started"),
            ("orders", "green-creating"),
        ]
    );
    assert_eq!(board["stale"], json!([key("forgotten")]));
    assert!(
        (7190..=7300).contains(&board["inFlight"][1]["ageSeconds"].as_u64().unwrap()),
        "{board}"
    );

    let (status, refused) = stack
        .lambda
        .invoke(
            "precheck",
            &json!({"operation": "status", "request": {"staleAfterSeconds": -1}}),
        )
        .await;
    assert_eq!(status, 500);
    assert_eq!(refused["errorType"], "InvalidInput");
    assert!(
        refused["errorMessage"]
            .as_str()
            .unwrap()
            .contains("staleAfterSeconds"),
        "{refused}"
    );
}

/// Memory of each function as template.yaml sets it (MB): the function's own `MemorySize`,
/// else the template's `Globals.Function.MemorySize`. `poll-status` is `PollStatusFunction`.
fn memory_mb(function: &str) -> f64 {
    let text = std::fs::read_to_string(e2e::moto::root().join("template.yaml")).expect("template");
    let template: serde_norway::Value = serde_norway::from_str(&text).expect("template.yaml");
    let logical: String = function
        .split('-')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect::<String>()
        + "Function";
    let resource = &template["Resources"][logical.as_str()];
    assert!(resource.is_mapping(), "{logical} in template.yaml");
    resource["Properties"]["MemorySize"]
        .as_f64()
        .or_else(|| template["Globals"]["Function"]["MemorySize"].as_f64())
        .expect("a memory size")
}

/// The RDS calls moto's meter counted so far, by action (tests/tools/moto_patches/call_counts.py),
/// in one Region or all.
async fn rds_meter(stack: &Stack, region: Option<&str>) -> std::collections::BTreeMap<String, u64> {
    let rows: Vec<Value> = reqwest::get(format!("{}/moto-api/rds-calls", stack.moto.endpoint))
        .await
        .expect("reach the meter")
        .json()
        .await
        .expect("meter JSON");
    let mut by_action = std::collections::BTreeMap::new();
    for r in rows
        .into_iter()
        .filter(|r| region.is_none_or(|region| r["region"] == region))
    {
        *by_action
            .entry(r["action"].as_str().unwrap().to_owned())
            .or_insert(0) += r["calls"].as_u64().unwrap();
    }
    by_action
}

/// Each Lambda task's invocations and summed duration (seconds, TaskScheduled to its end, so
/// Step Functions' and the local Lambda server's overhead included: an upper bound of what
/// Lambda bills), by function name (`dynamodb` for the lock's own tasks). A task-token wait's
/// invocation only stores the token, but its task lasts the whole wait: it is counted as an
/// invocation (the third number) and lasts, here, what that function's other invocations
/// last on average.
fn invocations(events: &[Value]) -> std::collections::BTreeMap<String, (u32, f64)> {
    let mut all = std::collections::BTreeMap::new();
    for (function, (n, seconds, waits)) in task_durations(events) {
        let measured = n - waits;
        let per_call = if measured > 0 {
            seconds / measured as f64
        } else {
            0.0
        };
        all.insert(function, (n, seconds + per_call * waits as f64));
    }
    all
}

/// Per function: invocations, summed duration of those that are not token waits, token waits.
fn task_durations(events: &[Value]) -> std::collections::BTreeMap<String, (u32, f64, u32)> {
    let time = |e: &Value| {
        e["timestamp"].as_f64().or_else(|| {
            bluegreen::notify::format::parse_rfc3339(e["timestamp"].as_str()?)
                .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64())
        })
    };
    let mut all: std::collections::BTreeMap<String, (u32, f64, u32)> = Default::default();
    let mut scheduled: Option<(String, f64, bool)> = None;
    for e in events {
        match e["type"].as_str().unwrap_or_default() {
            "TaskScheduled" => {
                let params: Value = serde_json::from_str(
                    e["taskScheduledEventDetails"]["parameters"]
                        .as_str()
                        .unwrap_or("{}"),
                )
                .unwrap_or_default();
                let function = params["FunctionName"]
                    .as_str()
                    .unwrap_or("dynamodb")
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_owned();
                let token_wait = e["taskScheduledEventDetails"]["resource"]
                    .as_str()
                    .is_some_and(|r| r.ends_with(".waitForTaskToken"));
                scheduled = time(e).map(|t| (function, t, token_wait));
            }
            "TaskSucceeded" | "TaskFailed" | "TaskTimedOut" => {
                if let (Some((function, start, token_wait)), Some(end)) =
                    (scheduled.take(), time(e))
                {
                    let entry = all.entry(function).or_insert((0, 0.0, 0));
                    entry.0 += 1;
                    if token_wait {
                        entry.2 += 1;
                    } else {
                        entry.1 += end - start;
                    }
                }
            }
            _ => {}
        }
    }
    all
}

/// Measurement for docs/benchmarks.md, not a check of behaviour (it asserts no duration):
/// the cost of one upgrade whose green takes an hour to build, counted on the local stack: the
/// green wait listens for RDS's events and reads at least every 10 minutes (its fallback
/// timer, `Wait for green`'s TimeoutSeconds 600, after which it reads again), so green answers
/// PROVISIONING to seven reads and is AVAILABLE at the eighth: about an hour of AWS time (on
/// `main` at dcc8948: the wait's first read and six fallback reads, the eighth ending the wait
/// with WaitOver, then `Poll green`). Run by
/// `scripts/upgrade-cost.sh` (alone, so the RDS meter counts only it), which prints its
/// `COST` lines and the JSON line `COST-JSON`.
#[tokio::test]
#[ignore = "a measurement for docs/benchmarks.md: scripts/upgrade-cost.sh"]
async fn cost_of_an_upgrade_with_a_60_minute_green_build() {
    let (stack, _) = state_machine().await;
    let id = unique("e2ecost");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    let before = rds_meter(stack, None).await;
    // Green's reads until ready: seven answer PROVISIONING (the first at once, then one every
    // 10 minutes or when an RDS event wakes the wait): ready at the eighth, an hour in.
    stack
        .moto
        .inject(&id, Fault::Provisioning { describes: 7 })
        .await;
    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    run.assert_succeeded();
    let after = rds_meter(stack, None).await;

    // AWS bills "a state transition each time a step of your workflow is executed ...
    // including retries" (https://aws.amazon.com/step-functions/pricing/).
    let entered = run.execution.transitions;
    let retries = retries(&run);
    let tasks = invocations(&run.execution.events);
    let green_polls = run.entered("Poll green");
    // Every status read of each wait loop (its step's entries and its wait's, which reads
    // before it waits): what the execution's own `polls` counts.
    let reads: std::collections::BTreeMap<&str, usize> = loop_states()
        .iter()
        .map(|(stage, states)| (*stage, states.iter().map(|s| run.entered(s)).sum()))
        .collect();
    let rds: std::collections::BTreeMap<String, u64> = after
        .iter()
        .map(|(a, n)| (a.clone(), n - before.get(a).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let rds_total: u64 = rds.values().sum();
    let lambda: Vec<(String, u32, f64, f64)> = tasks
        .iter()
        .filter(|(f, _)| *f != "dynamodb")
        .map(|(f, (n, secs))| (f.clone(), *n, *secs, secs * memory_mb(f) / 1024.0))
        .collect();
    let gb_seconds: f64 = lambda.iter().map(|l| l.3).sum();
    let figures = run.execution.output.clone().unwrap_or_default()["figures"].clone();
    // The execution's own count stops at its end message (`Notify done` reads the history):
    // the states after it are the lock's release and the end.
    let after_done = run.states().len()
        - 1
        - run
            .states()
            .iter()
            .rposition(|s| *s == "Notify done")
            .expect("Notify done");
    // A line of its own: the test harness's "test ... " line has no newline yet.
    let by_state: std::collections::BTreeMap<&str, usize> = loop_states()
        .iter()
        .flat_map(|(_, states)| states.iter())
        .map(|s| (*s, run.entered(s)))
        .collect();
    println!(
        "\nCOST status reads by loop: {reads:?}, by state: {by_state:?}; waits scaled x{}",
        e2e::stack::WAIT_SCALE
    );
    println!(
        "COST state transitions: {} ({entered} states entered + {retries} retries)",
        entered + retries
    );
    for (f, n, secs, gbs) in &lambda {
        println!(
            "COST lambda {f}: {n} invocations, {secs:.3} s, {memory} MB, {gbs:.4} GB-s",
            memory = memory_mb(f)
        );
    }
    println!(
        "COST Lambda GB-seconds (local durations, an upper bound; token waits at their function's mean): {gb_seconds:.3}"
    );
    println!("COST RDS calls: {rds_total} {rds:?}");
    println!("COST the execution's own figures: {figures}");
    println!(
        "COST the execution's own count: {} state transitions (to its end message; {after_done} states follow it), {} RDS calls",
        figures["stateTransitions"], figures["rdsCalls"]
    );
    println!(
        "COST-JSON {}",
        json!({
            "greenPolls": green_polls,
            "reads": reads,
            "readsByState": by_state,
            "transitions": entered + retries,
            "statesEntered": entered,
            "retries": retries,
            "lambda": lambda.iter().map(|(f, n, secs, gbs)| json!({"function": f, "invocations": n, "seconds": secs, "memoryMb": memory_mb(f), "gbSeconds": gbs})).collect::<Vec<_>>(),
            "gbSeconds": gb_seconds,
            "rdsCalls": rds_total,
            "rdsCallsByAction": rds,
            "figures": figures,
            "statesAfterEndMessage": after_done,
        })
    );
    assert_eq!(
        figures["stateTransitions"].as_u64(),
        Some((entered + retries - after_done) as u64),
        "the execution's own count is its history's"
    );
    assert_eq!(
        figures["rdsCalls"].as_u64(),
        Some(rds_total),
        "the execution's own count is what RDS received"
    );
    assert_eq!(
        figures["polls"].as_u64(),
        Some(reads.values().sum::<usize>() as u64),
        "the execution's own count is every loop's reads: {reads:?}"
    );
    let green_reads = reads["green-creating"];
    assert!(
        (7..=17).contains(&green_reads),
        "about an hour of green reads (the first, the woken one, a fallback read every 10 minutes): {green_reads}"
    );
    assert!(rds_total > green_polls as u64, "every poll reads RDS");
    assert!(figures["greenBuildSeconds"].is_number(), "{figures}");
}
