//! Waits that listen (issue 20): the green, switchover and deletion waits hold a task token in
//! the lock item; RDS's events reach EventBridge (tests/tools/moto_patches/rds_events.py), the
//! hub rule starts statemachine/wake.asl.json, which answers the token; the execution then
//! re-reads the world. Without the event the fallback timer (10 minutes) reads again, and the
//! upgrade ends the same.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::e2e_support::{request, run, state_machine, Run};
use e2e::faults::Fault;
use e2e::moto::unique;
use e2e::seed;
use e2e::stack::Stack;
use e2e::stepfunctions::statemachine_definition;
use serde_json::{json, Value};

/// Green's emulated build in the tests below: 60 minutes.
const BUILD_SECONDS: u32 = 3600;
/// The waits' fallback timer (the wait states' TimeoutSeconds).
const FALLBACK_SECONDS: u32 = 600;

/// The wake machine's ARN, once [`wake_rule`] created it.
static WAKE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The wake machine (statemachine/wake.asl.json) and template.yaml's `RdsEvents` rule (its
/// detail-types) on moto's default bus, once per stack (whoever asks first: the product's
/// machine or the fleet's hub): every RDS event of the emulator starts it once, as on AWS.
pub async fn wake_rule(stack: &Stack) {
    WAKE.get_or_init(|| async {
        let machine = stack
            .sfn()
            .create_state_machine(
                &unique("wake"),
                &statemachine_definition("wake.asl.json", &BTreeMap::new()),
            )
            .await;
        e2e::events::rule(
            &stack.moto,
            &stack.moto.sdk_config(e2e::moto::REGION),
            &unique("rds-events"),
            rds_event_pattern(),
            &machine,
        )
        .await;
        machine
    })
    .await;
}

/// The pattern of the wake machine's `RdsEvents` event in template.yaml.
fn rds_event_pattern() -> Value {
    let template = std::fs::read_to_string(e2e::moto::root().join("template.yaml")).unwrap();
    let block = template
        .split("\n        RdsEvents:\n")
        .nth(1)
        .expect("RdsEvents in template.yaml");
    let types: Vec<&str> = block
        .lines()
        .skip_while(|l| l.trim() != "detail-type:")
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- "))
        .collect();
    assert!(
        block.contains("source: [aws.rds]"),
        "the rule matches RDS's events"
    );
    assert!(
        types.contains(&"RDS Blue Green Deployment Event"),
        "{types:?}"
    );
    json!({"source": ["aws.rds"], "detail-type": types})
}

/// An upgrade of a new Aurora MySQL cluster whose green takes 60 minutes, with `faults`.
async fn upgrade_with_a_long_build(prefix: &str, faults: Vec<Fault>) -> (String, Run) {
    let (stack, _) = state_machine().await;
    let id = unique(prefix);
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    stack
        .moto
        .inject(
            &id,
            Fault::BuildSeconds {
                seconds: BUILD_SECONDS,
            },
        )
        .await;
    for fault in faults {
        stack.moto.inject(&id, fault).await;
    }
    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}),
    ))
    .await;
    (id, run)
}

/// The answers the green wait received (TaskSucceeded: who woke it) and how many times it
/// ended on its fallback timer (States.Timeout) or refused to begin (WokenEarly).
pub(crate) fn wait_ends(run: &Run, state: &str) -> (Vec<Value>, usize, usize) {
    history_wait_ends(&run.execution.events, state)
}

/// [`wait_ends`] read from an execution's history events.
pub(crate) fn history_wait_ends(events: &[Value], state: &str) -> (Vec<Value>, usize, usize) {
    let mut woken = Vec::new();
    let (mut timeouts, mut early) = (0, 0);
    let mut inside = false;
    for e in events {
        if e["type"] == "TaskStateEntered" {
            inside = e["stateEnteredEventDetails"]["name"] == state;
        }
        if !inside {
            continue;
        }
        match e["type"].as_str().unwrap_or_default() {
            "TaskSucceeded" => woken.push(
                serde_json::from_str(e["taskSucceededEventDetails"]["output"].as_str().unwrap())
                    .unwrap(),
            ),
            "TaskTimedOut" => timeouts += 1,
            "TaskFailed" if e["taskFailedEventDetails"]["error"] == "WokenEarly" => early += 1,
            "TaskFailed" if e["taskFailedEventDetails"]["error"] == "States.Timeout" => {
                timeouts += 1
            }
            _ => {}
        }
    }
    (woken, timeouts, early)
}

/// Seconds (wall clock) from RDS-EVENT-0244 (its date in DescribeEvents) to the end of the
/// read that saw green ready (the last `Poll green` TaskSucceeded).
async fn green_seen_after_the_event(stack: &Stack, run: &Run) -> f64 {
    let deployment = run.output()["deployment"]["id"]
        .as_str()
        .expect("the deployment in the output")
        .to_owned();
    let events = stack
        .moto
        .rds()
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
        .source_identifier(&deployment)
        .duration(1440)
        .send()
        .await
        .unwrap();
    let created = events
        .events()
        .iter()
        .find(|e| {
            e.message()
                .unwrap_or_default()
                .starts_with("Blue/green deployment tasks completed")
        })
        .and_then(|e| e.date())
        .expect("RDS-EVENT-0244 in DescribeEvents");
    let created = created.secs() as f64 + f64::from(created.subsec_nanos()) / 1e9;
    let mut in_poll = false;
    let mut seen = None;
    for e in &run.execution.events {
        if e["type"] == "TaskStateEntered" {
            in_poll = e["stateEnteredEventDetails"]["name"] == "Poll green";
        }
        if in_poll && e["type"] == "TaskSucceeded" {
            seen = Some(timestamp(&e["timestamp"]));
        }
    }
    seen.expect("a read of green") - created
}

/// A history event's timestamp (epoch seconds, or RFC 3339 text).
pub(crate) fn timestamp(v: &Value) -> f64 {
    if let Some(n) = v.as_f64() {
        return n;
    }
    let text = v.as_str().expect("a timestamp");
    let t = aws_smithy_types::DateTime::from_str(
        text,
        aws_smithy_types::date_time::Format::DateTimeWithOffset,
    )
    .or_else(|_| {
        aws_smithy_types::DateTime::from_str(
            &format!("{text}Z"),
            aws_smithy_types::date_time::Format::DateTimeWithOffset,
        )
    })
    .expect("an RFC 3339 timestamp");
    t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9
}

#[tokio::test]
async fn a_sixty_minute_green_build_ends_its_wait_with_rds_event_0244() {
    let (stack, _) = state_machine().await;
    let (_, run) = upgrade_with_a_long_build("waitevt", vec![]).await;
    run.assert_succeeded();
    let (woken, timeouts, early) = wait_ends(&run, "Wait for green");
    // The event ends the wait: it answers the token, or (arriving while green was being read)
    // its hint stops the next wait from beginning. Only a fallback read that happened to fall
    // on the event's moment (the build is a multiple of the fallback) may have seen green first.
    let by_event = woken
        .iter()
        .any(|w| w["event"] == "RDS-EVENT-0244" && w["via"] == "rds-event")
        || early > 0;
    // The fallback reads the status at most once per 10 minutes of a 60-minute build.
    assert!(
        timeouts <= (BUILD_SECONDS / FALLBACK_SECONDS) as usize,
        "{timeouts} fallback reads"
    );
    // Every entry of the wait reads green first, and Poll green reads after it.
    let reads = run.entered("Poll green") + run.entered("Wait for green");
    assert!(
        reads <= 2 + (BUILD_SECONDS / FALLBACK_SECONDS) as usize + 2 * early,
        "{reads} status reads of green"
    );
    let latency = green_seen_after_the_event(stack, &run).await;
    println!(
        "60-minute green build: {} state transitions, {reads} green reads, {timeouts} fallbacks, {early} early wake-ups, woken by the event: {by_event}; green seen ready {latency:.2} s (wall clock) after RDS-EVENT-0244",
        run.execution.transitions
    );
    assert!(
        by_event || timeouts == (BUILD_SECONDS / FALLBACK_SECONDS) as usize,
        "the event ended the wait: {woken:?}"
    );
    assert!(
        latency < 5.0,
        "green seen ready {latency:.2} s after the event"
    );
    // The switchover's wait ends once whenever RDS-EVENT-0248 comes (before the wait reads,
    // between its read and its token, or after): one wait, one read that decides.
    assert_eq!(
        (
            run.entered("Wait for switchover"),
            run.entered("Poll switchover")
        ),
        (1, 1),
        "{:?}",
        run.states()
    );
    // Issue 20's goal: at most 60 state transitions for the whole upgrade (counted from the
    // history: every state entered). Measured 57: 10 to take the lock, check and create green;
    // 8 for green (6 entries of its wait: the first read and five fallbacks; the read that
    // decides, its Choice); 2 for green ready; 6 for blue's snapshot (one wait, ended by
    // RDS-EVENT-0075) and its message; 4 to request the switchover and say so; 3 for its wait
    // (the wait, the read, its Choice, whenever RDS-EVENT-0248 comes: members that still settle
    // after it are read again by the read's Retry, and no member's own event wakes the wait);
    // 4 to verify and say so; 4 to the cleanup (the cleanup's approval, hook and deletion are
    // decided in one Choice after the grace period); 11 for the deletion (final snapshot,
    // instances, cluster: three waits); 5 to end (two messages, the lock's release, the end's
    // Choice, the end).
    // 63 before the lock's claim, the end's name and the cleanup's question lost their own
    // states and the switchover's wait stopped depending on when it read.
    assert!(
        run.execution.transitions <= 60,
        "{} transitions for the whole upgrade: {:?}",
        run.execution.transitions,
        run.states()
    );
}

#[tokio::test]
async fn the_same_build_with_its_event_lost_ends_through_the_fallback_read() {
    let (_, run) = upgrade_with_a_long_build(
        "waitlost",
        vec![Fault::DropRdsEvent {
            event: "RDS-EVENT-0244".to_owned(),
        }],
    )
    .await;
    run.assert_succeeded();
    let (woken, timeouts, _) = wait_ends(&run, "Wait for green");
    assert!(
        woken.iter().all(|w| w["event"] != "RDS-EVENT-0244"),
        "the lost event woke nothing: {woken:?}"
    );
    let reads = run.entered("Poll green") + run.entered("Wait for green");
    let most = 2 + (BUILD_SECONDS / FALLBACK_SECONDS) as usize;
    println!(
        "60-minute green build, RDS-EVENT-0244 lost: {} state transitions, {reads} green reads, {timeouts} fallbacks",
        run.execution.transitions
    );
    assert!(
        timeouts >= 1 && reads >= 2 && reads <= most,
        "green was read {reads} times ({timeouts} fallbacks): one per 10 minutes, then ready"
    );
}

/// A lock item of a waiting execution: `token` waits for `purpose` until `expires_at`.
async fn waiting_item(stack: &Stack, key: &str, deployment: &str, token: &str, expires_at: u64) {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    stack
        .moto
        .dynamodb()
        .put_item()
        .table_name(e2e::stepfunctions::LOCK_TABLE)
        .item("lockKey", S(key.to_owned()))
        .item(
            "holder",
            S(format!(
                "arn:aws:states:us-east-1:123456789012:execution:x:{key}"
            )),
        )
        .item("deploymentId", S(deployment.to_owned()))
        // What the stages write: the wake machine's key (a wait that names no resource).
        .item("wakeKey", S(deployment.to_owned()))
        .item("waitToken", S(token.to_owned()))
        .item("waitPurpose", S("green".to_owned()))
        .item("waitExpiresAt", N(expires_at.to_string()))
        .send()
        .await
        .unwrap();
}

async fn item(
    stack: &Stack,
    key: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    seed::read_lock_item(&stack.moto, key)
        .await
        .expect("the lock item")
}

#[tokio::test]
async fn a_token_unknown_or_expired_is_answered_clearly_and_changes_nothing() {
    let (stack, _) = state_machine().await;
    let machine = WAKE.get().expect("the wake machine").clone();
    let now = bluegreen::lock::claim::epoch_seconds(std::time::SystemTime::now());
    let deployment = unique("bgd-waits");
    let (unknown, expired) = (unique("acct/r/unknown"), unique("acct/r/expired"));
    waiting_item(stack, &unknown, &deployment, "no-such-token", now + 600).await;
    waiting_item(stack, &expired, &deployment, "an-old-token", now - 1).await;
    let arn = format!("arn:aws:rds:us-east-1:123456789012:deployment:{deployment}");
    let event = json!({
        "version": "0", "id": "1", "source": "aws.rds", "detail-type": "RDS Blue Green Deployment Event",
        "account": "123456789012", "region": "us-east-1", "time": "2026-12-07T05:00:00Z", "resources": [arn],
        "detail": {"EventCategories": ["creation"], "SourceType": "BLUE_GREEN_DEPLOYMENT", "SourceArn": arn,
                   "Date": "2026-12-07T05:00:00.000Z", "Message": "Blue/green deployment tasks completed.",
                   "SourceIdentifier": deployment, "EventID": "RDS-EVENT-0244"}
    });
    let ran = stack
        .sfn()
        .run(&machine, &unique("wake"), &event, Duration::from_secs(60))
        .await;
    assert_eq!(ran.status, "SUCCEEDED", "{:?} {:?}", ran.error, ran.cause);
    let answers = ran.output.clone().expect("one answer per item");
    let why = |key: &str| {
        answers
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .unwrap_or_else(|| panic!("no answer for {key}: {answers}"))
            .clone()
    };
    assert_eq!(why(&unknown)["woken"], false);
    assert!(
        why(&unknown)["why"]
            .as_str()
            .unwrap()
            .contains("already used, expired or unknown"),
        "{answers}"
    );
    assert_eq!(why(&expired)["woken"], false);
    assert!(
        why(&expired)["why"].as_str().unwrap().contains("no wait"),
        "{answers}"
    );
    for key in [&unknown, &expired] {
        let after = item(stack, key).await;
        assert!(
            after.contains_key("hintAt"),
            "the hint is left for a wait about to begin"
        );
        assert!(after.contains_key("waitToken"), "nothing else changed");
        assert_eq!(
            after["holder"].as_s().unwrap(),
            &format!("arn:aws:states:us-east-1:123456789012:execution:x:{key}")
        );
    }
}
