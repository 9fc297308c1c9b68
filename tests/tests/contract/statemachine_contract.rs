//! The state machine's contract with the functions, read from `statemachine/bluegreen.asl.json`
//! (and the execution inputs in `examples/`): the error names it matches, its retries,
//! timeouts and catches, the values its Choices test, and that every loop is bounded.
//! statelint and asl-validator (scripts/validate.sh) check the language; this checks the product.

use std::collections::{BTreeMap, BTreeSet};

use crate::approval_contract::{approval_call_events, is_approval_call};
use crate::hook_contract::hook_call_events;
use bluegreen::input::{
    Action, Engine, Options, Request, SwitchoverMode, DEFAULT_GRACE_PERIOD_SECONDS,
    DEFAULT_SWITCHOVER_TIMEOUT_SECONDS, MAX_POLLS,
};
use bluegreen::notify::event::Stage;
use bluegreen::steps::Progress;
use bluegreen::Error;
use e2e::moto::root;
use e2e::stepfunctions::{history_events_of, EVENTS_PER_RETRY, EXECUTION_EVENTS};
use serde_json::{json, Map, Value};
use serde_json_path::JsonPath;

/// Where an `approve`/`reject` that changed nothing is told, as information, not a failure.
const QUIET_ANSWER: &str = "Notify answer not taken";

/// The Lambda errors the standard retry block covers (AWS's recommendation for `lambda:invoke`).
const LAMBDA_TRANSIENT: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// A stage name the notify function knows (`bluegreen::notify::event::Stage`; an unknown
/// one would still be sent, but as a generic message).
fn is_stage(name: &str) -> bool {
    !matches!(Stage::parse(name), Stage::Other(_))
}

/// Substitution name → function, and the operations each function accepts.
const FUNCTIONS: [(&str, &str, &[&str]); 6] = [
    // `""`: the step's own event, without an operation.
    (
        "PrecheckFunctionArn",
        "precheck",
        &["", "identify", "status"],
    ),
    ("CreateFunctionArn", "create", &[]),
    (
        "PollStatusFunctionArn",
        "poll-status",
        &["status", "verify", "hook-payload"],
    ),
    (
        "SwitchoverFunctionArn",
        "switchover",
        &[
            "check-window",
            "snapshot-blue",
            "switchover",
            "restore-roles",
        ],
    ),
    (
        "DeleteOldFunctionArn",
        "delete-old",
        &["cleanup", "abandon"],
    ),
    ("NotifyFunctionArn", "notify", &[]),
];

pub(crate) fn definition() -> Value {
    let path = root().join("statemachine/bluegreen.asl.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the definition is JSON")
}

pub(crate) fn states(def: &Value) -> &Map<String, Value> {
    def["States"].as_object().expect("States")
}

fn of_type<'a>(def: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    states(def)
        .iter()
        .filter(|(_, s)| s["Type"] == kind)
        .map(|(n, s)| (n.as_str(), s))
        .collect()
}

/// The Tasks that invoke one of the six functions (the others hold the lock, in DynamoDB, or
/// invoke the user's hooks: JSONata states, `hook_contract.rs`).
fn lambda_tasks(def: &Value) -> Vec<(&str, &Value)> {
    of_type(def, "Task")
        .into_iter()
        .filter(|(_, t)| t["Resource"] == "arn:aws:states:::lambda:invoke" && !is_jsonata(t))
        .collect()
}

/// A state written in JSONata (its Catch has `Output` and `Assign`, not `ResultPath`).
pub(crate) fn is_jsonata(state: &Value) -> bool {
    state["QueryLanguage"] == "JSONata"
}

/// The Tasks of the lock (Step Functions' own DynamoDB integration).
fn lock_tasks(def: &Value) -> Vec<(&str, &Value)> {
    of_type(def, "Task")
        .into_iter()
        .filter(|(_, t)| {
            t["Resource"]
                .as_str()
                .is_some_and(|r| r.starts_with("arn:aws:states:::dynamodb:"))
        })
        .collect()
}

/// The end state a state reaches through its `End: <name>` Pass and the lock's release.
fn end_of<'a>(all: &'a Map<String, Value>, name: &'a str) -> &'a str {
    let end = &all[name];
    assert_eq!(end["Type"], "Pass", "{name}");
    assert_eq!(end["ResultPath"], "$.ending", "{name}");
    assert_eq!(
        end["Next"], "Holding the lock?",
        "{name} releases the lock first"
    );
    let terminal = end["Result"].as_str().expect("the end's name");
    let how = &all["How it ends"];
    let routed = how["Choices"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["StringEquals"] == terminal)
        .map(|c| c["Next"].as_str().unwrap())
        .unwrap_or_else(|| how["Default"].as_str().unwrap());
    assert_eq!(routed, terminal, "How it ends routes {terminal}");
    routed
}

/// The function a Task invokes (by its binary name).
fn function_of(task: &Value) -> &'static str {
    let arn = task["Parameters"]["FunctionName"]
        .as_str()
        .expect("FunctionName");
    FUNCTIONS
        .iter()
        .find(|(sub, _, _)| arn == format!("${{{sub}}}"))
        .map(|(_, name, _)| *name)
        .unwrap_or_else(|| panic!("FunctionName {arn} is not one of the six substitutions"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn retriers(task: &Value) -> &[Value] {
    task["Retry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Every state a state can go to next.
pub(crate) fn successors(state: &Value) -> Vec<&str> {
    let mut next: Vec<&str> = ["Next", "Default"]
        .iter()
        .filter_map(|k| state[*k].as_str())
        .collect();
    for key in ["Choices", "Catch"] {
        for rule in state[key].as_array().into_iter().flatten().filter(|rule| {
            !is_counted_retry(rule) && !is_hook_call(rule) && !is_approval_call(rule)
        }) {
            next.extend(rule["Next"].as_str());
        }
    }
    next
}

/// A JSONata Choice rule that counts its own tries (it assigns a counter its condition
/// bounds): a bounded retry (the lock's, a few tries), folded away by the graph checks; the
/// lock's test checks its bound.
pub(crate) fn is_counted_retry(rule: &Value) -> bool {
    let condition = rule["Condition"].as_str().unwrap_or_default();
    rule["Assign"].as_object().is_some_and(|assign| {
        assign
            .keys()
            .any(|counter| condition.contains(&format!("${counter} < ")))
    })
}

/// A Choice rule that calls the hook block for a stage (it assigns `hookStage`): the block
/// returns to the rule's own state's Default (`hook_contract.rs` proves it), so graph checks
/// fold the call into that edge, as they fold a counted retry; the block's history events are
/// added to the calling state ([`hook_call_events`]).
pub(crate) fn is_hook_call(rule: &Value) -> bool {
    rule["Assign"]
        .get("hookStage")
        .is_some_and(Value::is_string)
}

/// Every comparison of a Choice rule, through And / Or / Not.
fn comparisons(rule: &Value) -> Vec<&Map<String, Value>> {
    let object = rule.as_object().expect("rule object");
    if let Some(inner) = object.get("Not") {
        return comparisons(inner);
    }
    if let Some(list) = object.get("And").or_else(|| object.get("Or")) {
        return list
            .as_array()
            .expect("And/Or list")
            .iter()
            .flat_map(comparisons)
            .collect();
    }
    vec![object]
}

/// Values as the JSON the definition compares them with (`"dry-run"`, `true`).
fn names<T: serde::Serialize>(values: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    values
        .into_iter()
        .map(|v| serde_json::to_string(&v).expect("serializes"))
        .collect()
}

#[test]
fn every_example_is_a_valid_request_and_all_cases_are_shown() {
    let dir = root().join("examples");
    let mut actions = BTreeSet::new();
    let mut upgrade_engines = BTreeSet::new();
    let mut modes = BTreeSet::new();
    let mut count = 0;
    let mut fleets = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read example");
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Example service control policies are IAM documents, proven by tests/iam.
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("scp-"))
        {
            continue;
        }
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("fleet-"))
        {
            bluegreen::fleet::request::FleetRequest::from_value(value)
                .unwrap_or_else(|e| panic!("{} is not a valid fleet request: {e}", path.display()));
            fleets += 1;
            continue;
        }
        let request = Request::from_value(value)
            .unwrap_or_else(|e| panic!("{} is not a valid request: {e}", path.display()));
        if request.action == Action::Upgrade {
            upgrade_engines.insert(request.target.engine.api_name());
        }
        actions.extend(names([request.action]));
        modes.extend(names([request.options.switchover_mode]));
        count += 1;
    }
    assert_eq!(
        upgrade_engines,
        Engine::ALL.iter().map(|e| e.api_name()).collect(),
        "an upgrade example per engine"
    );
    assert_eq!(
        actions,
        names([
            Action::Upgrade,
            Action::DryRun,
            Action::Switchover,
            Action::Cleanup,
            Action::Abandon,
            Action::Approve,
            Action::Reject
        ]),
        "an example per action"
    );
    assert_eq!(
        modes,
        names([
            SwitchoverMode::Auto,
            SwitchoverMode::Window,
            SwitchoverMode::Manual,
            SwitchoverMode::Approval
        ]),
        "an example per switchover mode"
    );
    assert!(count >= 11, "{count} examples");
    assert!(
        fleets >= 4,
        "{fleets} fleet examples (inline, manifest, selection, dry run)"
    );
    let csv =
        std::fs::read_to_string(dir.join("fleet-manifest.csv")).expect("the example manifest");
    let rows = bluegreen::fleet::manifest::parse(&csv, &[]).expect("the example manifest parses");
    assert_eq!((rows.targets.len(), rows.selections.len()), (4, 1));
}

#[test]
fn every_matched_error_name_is_the_products_or_aws_own() {
    let def = definition();
    let mut matched = 0;
    for (name, state) in states(&def) {
        for key in ["Retry", "Catch"] {
            for rule in state[key].as_array().into_iter().flatten() {
                for error in strings(&rule["ErrorEquals"]) {
                    let dynamodb = state["Resource"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("arn:aws:states:::dynamodb:"));
                    let sfn = state["Resource"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("arn:aws:states:::aws-sdk:sfn:"));
                    let known = Error::ALL_NAMES.contains(&error)
                        || error.starts_with("States.")
                        || (sfn && error.starts_with("Sfn."))
                        || (!dynamodb && error.starts_with("Lambda."))
                        || (dynamodb && error.starts_with("DynamoDB."));
                    assert!(known, "{name} matches `{error}`, which no function raises (not in Error::ALL_NAMES)");
                    matched += 1;
                }
            }
        }
    }
    assert!(matched > 0);
}

#[test]
fn every_task_has_a_timeout_the_lambda_retries_and_a_catch_that_keeps_the_input() {
    let def = definition();
    let tasks = lambda_tasks(&def);
    assert!(tasks.len() >= 20, "{} tasks", tasks.len());
    for (name, task) in tasks {
        assert_eq!(task["Resource"], "arn:aws:states:::lambda:invoke", "{name}");
        let timeout = task["TimeoutSeconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} has no TimeoutSeconds"));
        assert!(
            (1..=900).contains(&timeout),
            "{name}: TimeoutSeconds {timeout}"
        );
        let lambda = retriers(task).iter().find(|r| {
            LAMBDA_TRANSIENT
                .iter()
                .all(|e| strings(&r["ErrorEquals"]).contains(e))
        });
        assert!(
            lambda.is_some(),
            "{name} does not retry {LAMBDA_TRANSIENT:?}"
        );
        for retrier in retriers(task) {
            let attempts = retrier["MaxAttempts"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: a Retry without MaxAttempts"));
            assert!(
                (1..=10).contains(&attempts),
                "{name}: MaxAttempts {attempts}"
            );
            assert!(
                retrier["IntervalSeconds"].as_u64().is_some_and(|s| s >= 1),
                "{name}: IntervalSeconds"
            );
            assert!(
                retrier["BackoffRate"].as_f64().is_some_and(|b| b >= 1.0),
                "{name}: BackoffRate"
            );
            assert!(
                retrier["MaxDelaySeconds"].as_u64().is_some(),
                "{name}: MaxDelaySeconds caps the backoff"
            );
            assert_eq!(retrier["JitterStrategy"], "FULL", "{name}");
        }
        let catch = task["Catch"]
            .as_array()
            .and_then(|c| c.first())
            .unwrap_or_else(|| panic!("{name} has no Catch"));
        assert_eq!(strings(&catch["ErrorEquals"]), ["States.ALL"], "{name}");
        let result_path = catch["ResultPath"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: a Catch without ResultPath replaces the input"));
        assert!(
            result_path.starts_with("$.") && !result_path.starts_with("$.request"),
            "{name}: Catch ResultPath {result_path}"
        );
        // The answer is taken out of the lambda:invoke envelope, or discarded.
        match task.get("ResultSelector") {
            Some(selector) => {
                for (key, path) in selector.as_object().expect("ResultSelector object") {
                    assert!(
                        key.ends_with(".$")
                            && path.as_str().is_some_and(|p| p.starts_with("$.Payload.")),
                        "{name}: ResultSelector {key}"
                    );
                }
            }
            None => assert!(
                task["ResultPath"].is_null(),
                "{name}: keeps the whole lambda:invoke envelope"
            ),
        }
    }
}

#[test]
fn retryable_names_are_retried_with_a_bounded_backoff_on_every_step() {
    let def = definition();
    let mut steps = 0;
    for (name, task) in lambda_tasks(&def) {
        // Every step may meet a transient AWS fault or a member still settling; notify never
        // fails on delivery (its answer reports it).
        if function_of(task) == "notify" {
            continue;
        }
        steps += 1;
        for retryable in Error::RETRYABLE_NAMES {
            let retrier = retriers(task)
                .iter()
                .find(|r| strings(&r["ErrorEquals"]).contains(retryable));
            let retrier = retrier.unwrap_or_else(|| panic!("{name} does not retry {retryable}"));
            assert!(
                retrier["IntervalSeconds"].as_u64().is_some_and(|s| s >= 10),
                "{name}: {retryable} is retried at AWS's pace, not in a tight loop"
            );
            assert!(
                retrier["MaxDelaySeconds"]
                    .as_u64()
                    .is_some_and(|s| s <= 900),
                "{name}: MaxDelaySeconds"
            );
        }
    }
    assert!(steps >= 9, "{steps} step tasks");
}

#[test]
fn every_failure_notifies_then_fails_with_the_original_error() {
    let def = definition();
    let all = states(&def);
    let notify_failure = &all["Notify failure"];
    assert_eq!(function_of(notify_failure), "notify");
    let payload = &notify_failure["Parameters"]["Payload"];
    assert_eq!(payload["outcome"], "failure");
    assert_eq!(payload["error.$"], "$.error");
    assert_eq!(payload["stage.$"], "$.failedStage");
    // Its own failure must not overwrite the error it reports, and still ends in Fail.
    let catch = &notify_failure["Catch"][0];
    assert_ne!(catch["ResultPath"], "$.error");
    for next in successors(notify_failure) {
        let end = end_of(all, next);
        assert_eq!(all[end]["Type"], "Fail", "Notify failure goes on to {end}");
        let error = all[end]["ErrorPath"]
            .as_str()
            .or(all[end]["Error"].as_str())
            .unwrap_or_default();
        assert!(
            error == "$.error.Error" || error == "{% $states.input.error.Error %}",
            "{end} fails with the original error, not {error}"
        );
    }
    // Told once: the end reached after the message was sent carries the told mark in its
    // cause (the status rule drops its copy); the one reached when it could not be sent
    // does not (the rule tells it).
    let told = end_of(all, notify_failure["Next"].as_str().unwrap());
    let cause = all[told]["Cause"].as_str().unwrap_or_default();
    assert!(cause.contains("'notified': true"), "{told}: {cause}");
    let untold = end_of(all, notify_failure["Catch"][0]["Next"].as_str().unwrap());
    assert_eq!(all[untold]["CausePath"], "$.error.Cause", "{untold}");
    // Every Catch of every other Task reaches Notify failure through Pass states naming a stage.
    let mut stages = BTreeSet::new();
    let lock: Vec<&str> = lock_tasks(&def).into_iter().map(|(n, _)| n).collect();
    // (The hook block's JSONata Catches: hook_contract.rs.)
    for (name, state) in all
        .iter()
        .filter(|(n, s)| *n != "Notify failure" && !lock.contains(&n.as_str()) && !is_jsonata(s))
    {
        for catch in state["Catch"].as_array().into_iter().flatten() {
            // A listening wait's own ends (its fallback timer, a hint newer than the read)
            // are no failure: they go back to the read the wait follows (shared/src/waits).
            if catch["ResultPath"] == "$.wake" {
                let wake = ["States.Timeout", "WokenEarly"];
                assert!(
                    catch["ErrorEquals"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|e| wake.contains(&e.as_str().unwrap())),
                    "{name}: only a timeout or a hint wakes a wait"
                );
                assert_eq!(
                    catch["Next"], state["Next"],
                    "{name} reads again after a wake-up"
                );
                continue;
            }
            assert_eq!(catch["ResultPath"], "$.error", "{name}");
            let mut at = catch["Next"].as_str().expect("Catch Next");
            let mut hops = 0;
            while at != "Notify failure" {
                if at == QUIET_ANSWER {
                    // An answer's wait that ended meanwhile is no failure (docs/runbook.md,
                    // "Approving"): told once as information; anything else still fails.
                    assert!(catch["ErrorEquals"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|e| e.as_str().is_some_and(|e| e.starts_with("Sfn.Task"))));
                    break;
                }
                let pass = &all[at];
                if pass["Type"] == "Choice" {
                    // The approval block's failures pick their stage by purpose: every way
                    // out is a stage's Pass straight to Notify failure.
                    for next in successors(pass) {
                        assert_eq!(
                            all[next]["Next"], "Notify failure",
                            "{name}: {at} -> {next}"
                        );
                        stages.insert(all[next]["Result"].as_str().expect("a stage").to_owned());
                    }
                    break;
                }
                assert_eq!(
                    pass["Type"], "Pass",
                    "{name} fails into {at}, not a Pass on the way to Notify failure"
                );
                if pass["ResultPath"] == "$.failedStage" {
                    stages.insert(pass["Result"].as_str().expect("a stage name").to_owned());
                }
                at = pass["Next"].as_str().expect("Next");
                hops += 1;
                assert!(hops < 5, "{name}: no way to Notify failure");
            }
        }
    }
    for stage in &stages {
        assert!(
            is_stage(stage),
            "failed stage `{stage}` is not a contract stage"
        );
    }
    // Choice defaults (an answer the functions never give) fail through the same path.
    for (name, pass) in of_type(&def, "Pass")
        .into_iter()
        .filter(|(_, p)| p["ResultPath"] == "$.error")
    {
        let error = pass["Parameters"]["Error"].as_str().expect("an error name");
        assert!(
            Error::ALL_NAMES.contains(&error) || Error::STATE_MACHINE_NAMES.contains(&error),
            "{name} raises `{error}`"
        );
        assert_eq!(
            all[pass["Next"].as_str().unwrap()]["Next"],
            "Notify failure",
            "{name}"
        );
    }
}

#[test]
fn choices_only_test_values_the_functions_and_the_input_can_have() {
    let def = definition();
    let booleans = names([true, false]);
    let progress = names([Progress::InProgress, Progress::Done]);
    let allowed: BTreeMap<&str, BTreeSet<String>> = BTreeMap::from([
        (
            "$.request.action",
            names([
                Action::Upgrade,
                Action::DryRun,
                Action::Switchover,
                Action::Cleanup,
                Action::Abandon,
                Action::Approve,
                Action::Reject,
            ])
            .into_iter()
            // The board's own action (shared/src/board.rs parses its request).
            .chain(["\"status\"".to_owned()])
            .collect(),
        ),
        (
            "$.request.options.switchoverMode",
            names([
                SwitchoverMode::Auto,
                SwitchoverMode::Window,
                SwitchoverMode::Manual,
                SwitchoverMode::Approval,
            ]),
        ),
        (
            "$.approval.decision",
            names([
                bluegreen::waits::Decision::Approve,
                bluegreen::waits::Decision::Reject,
            ]),
        ),
        (
            "$.request.options.snapshotBeforeSwitchover",
            booleans.clone(),
        ),
        ("$.request.options.deleteOldBlue", booleans.clone()),
        ("$.request.options.gracePeriodSeconds", BTreeSet::new()),
        ("$.deployment", BTreeSet::new()),
        ("$.precheck.passed", booleans.clone()),
        (
            "$.greenPoll.phase",
            names(crate::contract_support::phases()),
        ),
        (
            "$.switchPoll.phase",
            names(crate::contract_support::phases()),
        ),
        ("$.snapshot.state", progress.clone()),
        ("$.switchover.state", progress.clone()),
        ("$.cleanup.state", progress.clone()),
        ("$.abandon.state", progress),
        // The state machine's own: whether it holds the lock, and how it ends.
        ("$.lock.take", booleans),
        ("$.claim", BTreeSet::new()),
        (
            "$.ending",
            names([
                "Done",
                "Abandoned",
                "Ready for switchover",
                "Rejected",
                "Answered",
                "Answer not taken",
                "Nothing to do",
                "Failed",
            ]),
        ),
    ]);
    let mut tested: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, choice) in of_type(&def, "Choice") {
        assert!(choice["Default"].is_string(), "{name} has no Default: an unmatched value would fail the execution without a notification");
        if choice["QueryLanguage"] == "JSONata" {
            // The lock's own choices (conditions on the lock item): the lock's test reads them.
            continue;
        }
        for rule in choice["Choices"].as_array().expect("Choices") {
            for comparison in comparisons(rule) {
                let variable = comparison["Variable"].as_str().expect("Variable");
                let values = allowed.get(variable).unwrap_or_else(|| {
                    panic!("{name} tests {variable}, which no function answers")
                });
                for (operator, value) in comparison
                    .iter()
                    .filter(|(k, _)| *k != "Variable" && *k != "Next")
                {
                    if operator == "IsPresent" {
                        assert!(
                            variable.starts_with("$.request.") || variable == "$.lock.held",
                            "{name}: only the input (and whether the lock is held) is optional"
                        );
                        continue;
                    }
                    if operator == "IsString" {
                        assert!(
                            variable.starts_with("$.request.target."),
                            "{name}: only the input's target is checked for its type"
                        );
                        continue;
                    }
                    if operator == "IsNull" {
                        assert!(
                            variable == "$.deployment" || variable == "$.claim",
                            "{name}: only the deployment and the lock's claim start unknown (null)"
                        );
                        continue;
                    }
                    assert!(
                        matches!(operator.as_str(), "StringEquals" | "BooleanEquals"),
                        "{name}: {operator}"
                    );
                    assert!(
                        values.contains(&value.to_string()),
                        "{name}: {variable} is never {value}"
                    );
                    tested
                        .entry(variable)
                        .or_default()
                        .insert(value.to_string());
                }
            }
        }
    }
    // The routing is complete: every action but the default one is routed by name.
    let routed = &tested["$.request.action"];
    for action in names([
        Action::DryRun,
        Action::Switchover,
        Action::Cleanup,
        Action::Abandon,
    ]) {
        assert!(routed.contains(&action), "action {action} is not routed");
    }
    // The modes after green is ready are tested by a JSONata Choice (Switchover mode?),
    // the resumed switchover's by JSONPath (Resume in a window?).
    let conditions: Vec<&str> = of_type(&def, "Choice")
        .into_iter()
        .flat_map(|(_, s)| s["Choices"].as_array().into_iter().flatten())
        .filter_map(|r| r["Condition"].as_str())
        .collect();
    for mode in names([SwitchoverMode::Window, SwitchoverMode::Manual]) {
        assert!(
            tested["$.request.options.switchoverMode"].contains(&mode)
                || conditions.iter().any(|c| {
                    c.contains(&format!(
                        "options.switchoverMode = '{}'",
                        mode.trim_matches('"')
                    ))
                }),
            "mode {mode} is not handled"
        );
    }
    assert_eq!(
        tested["$.greenPoll.phase"],
        names(crate::contract_support::phases()),
        "while green is built every phase has its own branch"
    );
    assert!(
        tested["$.switchPoll.phase"].contains("\"switched\""),
        "the switchover poll ends on switched"
    );
}

/// The waits that read before waiting and loop on their own fallback (Wait for green, Wait
/// for switchover): each read counts against options.maxPolls with its loop's counter plus
/// the reads it made itself, which every way back into it adds one to.
pub(crate) fn rechecking_waits(all: &Map<String, Value>) -> Vec<&str> {
    let mut out = Vec::new();
    for (name, state) in all {
        let Some(attempt) = state["Arguments"]["Payload"]["wait"]["recheck"]["attempt"].as_str()
        else {
            continue;
        };
        let reads = attempt
            .rsplit_once("+ $")
            .map(|(_, v)| v.trim_end_matches(" %}").trim())
            .unwrap_or_else(|| panic!("{name}: `{attempt}` adds no read counter"));
        assert!(attempt.contains(".attempt + $"), "{name}: {attempt}");
        for catch in state["Catch"].as_array().into_iter().flatten() {
            if catch["Next"] == name.as_str() {
                assert_eq!(
                    catch["Assign"][reads],
                    format!("{{% ${reads} + 1 %}}"),
                    "{name} counts every read it makes"
                );
            }
        }
        out.push(name.as_str());
    }
    assert_eq!(out.len(), 2, "{out:?}");
    out
}

#[test]
fn every_loop_is_bounded_by_a_step_that_counts_its_polls() {
    let def = definition();
    let all = states(&def);
    // A counting step passes its own previous answer's attempt back, so it fails with
    // WaitTimedOut at options.maxPolls.
    let counting: BTreeSet<&str> = lambda_tasks(&def)
        .into_iter()
        .filter(|(name, task)| {
            let Some(attempt) = task["Parameters"]["Payload"]["poll"]["attempt.$"].as_str() else {
                return false;
            };
            let result = task["ResultPath"]
                .as_str()
                .expect("a polled step keeps its answer");
            assert_eq!(
                attempt,
                format!("{result}.attempt"),
                "{name} passes another loop's counter"
            );
            true
        })
        .map(|(name, _)| name)
        .chain(rechecking_waits(all))
        .collect();
    assert!(counting.len() >= 6, "{counting:?}");
    // Without the counting steps the graph has no cycle.
    fn visit<'a>(
        at: &'a str,
        all: &'a Map<String, Value>,
        cut: &BTreeSet<&str>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if cut.contains(at) || done.contains(at) {
            return;
        }
        assert!(
            !path.contains(&at),
            "a loop with no poll budget: {path:?} -> {at}"
        );
        path.push(at);
        for next in successors(&all[at]) {
            visit(next, all, cut, path, done);
        }
        path.pop();
        done.insert(at);
    }
    let mut done = BTreeSet::new();
    for name in all.keys() {
        visit(name, all, &counting, &mut Vec::new(), &mut done);
    }
    // Each Wait of a loop waits what its own step asked for, then calls that step again.
    for (name, wait) in of_type(&def, "Wait") {
        let Some(path) = wait["SecondsPath"].as_str() else {
            continue;
        };
        let next = &all[wait["Next"].as_str().unwrap()];
        if let Some(answer) = path.strip_suffix(".nextWaitSeconds") {
            assert_eq!(
                next["ResultPath"], answer,
                "{name} waits for another step's answer"
            );
        }
    }
}

#[test]
fn every_step_gets_the_request_and_an_operation_it_knows() {
    let def = definition();
    let mut seen = BTreeSet::new();
    for (name, task) in lambda_tasks(&def) {
        let function = function_of(task);
        seen.insert(function);
        let payload = &task["Parameters"]["Payload"];
        assert_eq!(payload["request.$"], "$.request", "{name}");
        let operations = FUNCTIONS
            .iter()
            .find(|(_, f, _)| *f == function)
            .map(|(_, _, ops)| *ops)
            .unwrap();
        match payload["operation"].as_str() {
            Some(op) => assert!(
                operations.contains(&op),
                "{name}: {function} has no operation {op}"
            ),
            None => assert!(
                operations.is_empty() || operations.contains(&""),
                "{name}: {function} needs an operation"
            ),
        }
        if matches!(
            function,
            "poll-status" | "switchover" | "delete-old" | "notify"
        ) {
            assert_eq!(payload["deployment.$"], "$.deployment", "{name}");
        }
        if function == "notify" {
            match payload["stage"].as_str() {
                Some(stage) => assert!(is_stage(stage), "{name}: stage {stage}"),
                None => assert_eq!(payload["stage.$"], "$.failedStage", "{name}"),
            }
            let execution = &payload["execution"];
            assert_eq!(execution["id.$"], "$$.Execution.Id", "{name}");
            assert_eq!(execution["name.$"], "$$.Execution.Name", "{name}");
            assert_eq!(execution["startTime.$"], "$$.Execution.StartTime", "{name}");
        }
    }
    let all: BTreeSet<&str> = FUNCTIONS.iter().map(|(_, f, _)| *f).collect();
    assert_eq!(seen, all, "every function is used");
}

#[test]
fn every_path_read_is_initialised_or_written_first() {
    let def = definition();
    let all = states(&def);
    let start = &all[def["StartAt"].as_str().unwrap()];
    // The first state (a JSONata Choice) keeps the input under $.request and names every
    // other path, null or a zero poll counter until written.
    let kept = start["Output"].as_str().expect("the first state's Output");
    assert!(
        kept.starts_with("{% {'request': $states.input, "),
        "the first state keeps the input under $.request: {kept}"
    );
    for rule in start["Choices"].as_array().unwrap() {
        assert_eq!(rule["Output"], start["Output"], "every way keeps it");
    }
    let mut written: BTreeSet<String> = kept
        .trim_start_matches("{% {")
        .split(", '")
        .filter_map(|field| field.trim_start_matches('\'').split_once('\''))
        .map(|(key, _)| key.to_owned())
        .collect();
    assert!(
        written.contains("request") && written.contains("claim"),
        "{written:?}"
    );
    let mut reads = Vec::new();
    for (name, state) in all {
        for rule in state["Catch"]
            .as_array()
            .into_iter()
            .flatten()
            .chain([state])
        {
            if let Some(path) = rule["ResultPath"].as_str() {
                written.insert(top(path).to_owned());
            }
        }
        // A JSONata state writes the keys it merges into its input.
        if let Some(output) = state["Output"].as_str() {
            if let Some(merged) = output.split("$merge([$states.input, {").nth(1) {
                for key in merged.split('\'').skip(1).step_by(2).take(1) {
                    written.insert(key.to_owned());
                }
            }
        }
        collect_reads(name, state, &mut reads);
    }
    assert!(reads.len() > 50);
    for (name, path) in reads {
        assert!(
            written.contains(top(&path)),
            "{name} reads {path}, which no state writes"
        );
    }
}

/// `$.a.b` → `a`.
fn top(path: &str) -> &str {
    path.trim_start_matches("$.")
        .split(['.', '['])
        .next()
        .unwrap_or_default()
}

/// Every `$.…` path a state reads (keys ending in `.$`, Choice variables, Wait and Fail paths,
/// InputPath and OutputPath, intrinsic arguments); `$$.` context paths and the task result
/// (`$.Payload`, read by ResultSelectors) excluded.
fn collect_reads(name: &str, value: &Value, reads: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "ResultSelector" {
                    continue;
                }
                let reads_path = key.ends_with(".$")
                    || matches!(
                        key.as_str(),
                        "Variable"
                            | "SecondsPath"
                            | "TimestampPath"
                            | "ErrorPath"
                            | "CausePath"
                            | "InputPath"
                            | "OutputPath"
                    );
                match (reads_path, inner.as_str()) {
                    (true, Some(text)) => {
                        let mut rest = text;
                        while let Some(at) = rest.find("$.") {
                            let preceded_by_dollar = at > 0 && rest.as_bytes()[at - 1] == b'$';
                            let path: String = rest[at..]
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || matches!(c, '$' | '.' | '_'))
                                .collect();
                            if !preceded_by_dollar && path.len() > 2 {
                                reads
                                    .push((name.to_owned(), path.trim_end_matches('.').to_owned()));
                            }
                            rest = &rest[at + 2..];
                        }
                    }
                    _ => collect_reads(name, inner, reads),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_reads(name, i, reads)),
        _ => {}
    }
}

#[test]
fn defaults_the_definition_applies_are_the_input_models() {
    let def = definition();
    let all = states(&def);
    let defaults = Options::default();
    // The definition repeats the grace period's default: it must be the input's constant,
    // which is also what an input without the option gets.
    assert!(
        all["Delete old blue?"]["Output"]
            .as_str()
            .is_some_and(|o| o.contains(&format!(": {DEFAULT_GRACE_PERIOD_SECONDS}}}}}"))),
        "the definition's default grace period is not input::DEFAULT_GRACE_PERIOD_SECONDS"
    );
    assert_eq!(defaults.grace_period_seconds, DEFAULT_GRACE_PERIOD_SECONDS);
    assert_eq!(
        defaults.switchover_timeout_seconds,
        DEFAULT_SWITCHOVER_TIMEOUT_SECONDS
    );
    // Options the definition treats as "true unless false": their defaults must be true.
    assert!(defaults.snapshot_before_switchover && defaults.delete_old_blue);
    assert_eq!(
        defaults.switchover_mode,
        SwitchoverMode::Auto,
        "auto is the Choice's Default"
    );
}

#[test]
fn manual_mode_stops_ready_for_switchover_saying_how_to_resume() {
    let def = definition();
    let all = states(&def);
    let notify = &all["Notify awaiting approval"];
    let detail = &notify["Parameters"]["Payload"]["detail"];
    assert_eq!(
        detail["resumeInput.$"],
        "States.JsonMerge($.request, $.resume, false)"
    );
    let message = detail["message"].as_str().unwrap();
    assert!(
        message.contains("\"action\": \"switchover\"") && message.contains("same input"),
        "{message}"
    );
    let resume = &all["Prepare resume input"];
    assert_eq!(
        resume["Result"],
        serde_json::json!({"action": "switchover"})
    );
    let resumed: Request = {
        let mut input = serde_json::from_str::<Value>(
            &std::fs::read_to_string(root().join("examples/upgrade-manual.json")).unwrap(),
        )
        .unwrap();
        input
            .as_object_mut()
            .unwrap()
            .extend(resume["Result"].as_object().unwrap().clone());
        Request::from_value(input).expect("the resume input is valid")
    };
    assert_eq!(resumed.action, Action::Switchover);
    let end = end_of(all, notify["Next"].as_str().unwrap());
    assert_eq!(end, "Ready for switchover");
    assert_eq!(all[end]["Type"], "Succeed");
}

#[test]
fn the_definition_substitutes_exactly_the_six_functions() {
    let text = std::fs::read_to_string(root().join("statemachine/bluegreen.asl.json")).unwrap();
    let mut used = BTreeSet::new();
    for piece in text.split("${").skip(1) {
        used.insert(piece.split('}').next().unwrap().to_owned());
    }
    let functions: BTreeSet<String> = FUNCTIONS
        .iter()
        .map(|(sub, _, _)| (*sub).to_owned())
        .collect();
    let mut expected = functions.clone();
    expected.insert("LockTableName".to_owned());
    assert_eq!(used, expected);
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    assert!(template.contains("LockTableName: !Ref LockTable"));
    for sub in &functions {
        assert!(
            template.contains(&format!("{sub}: !GetAtt")),
            "template.yaml does not substitute {sub}"
        );
    }
}

#[test]
fn a_deployment_located_by_a_step_is_kept_for_the_later_calls() {
    // Actions switchover, cleanup and abandon start without a deployment: the first step
    // locates it, and the state machine keeps what it answered, because a deployment being
    // deleted or switched over can no longer be located.
    let def = definition();
    let all = states(&def);
    let remembering: Vec<(&str, &Value)> = of_type(&def, "Pass")
        .into_iter()
        .filter(|(_, p)| p["ResultPath"] == "$.deployment")
        .collect();
    let mut loops = BTreeSet::new();
    for (name, pass) in &remembering {
        let input = pass["InputPath"].as_str().expect("InputPath");
        let answer = input
            .strip_suffix(".deployment")
            .expect("a step's deployment");
        let (step, task) = lambda_tasks(&def)
            .into_iter()
            .find(|(_, t)| t["ResultPath"] == answer)
            .unwrap_or_else(|| panic!("{name}: no step answers at {answer}"));
        assert_eq!(
            task["ResultSelector"]["deployment.$"], "$.Payload.deployment",
            "{step} keeps the deployment it located"
        );
        assert_eq!(
            task["Parameters"]["Payload"]["deployment.$"], "$.deployment",
            "{step}"
        );
        // Only when unknown: the Choice after the step tests $.deployment for null first.
        let choice = &all[task["Next"].as_str().unwrap()];
        let first = &choice["Choices"][0];
        assert_eq!(first["Next"], *name, "{step}");
        assert!(comparisons(first)
            .iter()
            .any(|c| c["Variable"] == "$.deployment" && c["IsNull"] == true));
        loops.insert(call_key(task));
    }
    // Or the JSONata Choice after the step keeps it itself (Old blue deleted?).
    for (step, task) in lambda_tasks(&def) {
        let Some(answer) = task["ResultPath"].as_str() else {
            continue;
        };
        let choice = &all[task["Next"].as_str().unwrap_or_default()];
        let keeps = format!(
            "'deployment': $states.input.deployment ? $states.input.deployment : $states.input.{}.deployment",
            answer.trim_start_matches("$.")
        );
        if choice["Output"]
            .as_str()
            .is_some_and(|o| o.contains(&keeps))
        {
            assert_eq!(
                task["ResultSelector"]["deployment.$"], "$.Payload.deployment",
                "{step} keeps the deployment it located"
            );
            loops.insert(call_key(task));
        }
    }
    let expected: BTreeSet<String> = [
        "switchover:snapshot-blue",
        "switchover:switchover",
        "delete-old:cleanup",
        "delete-old:abandon",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(loops, expected);
}

/// The IAM actions (`service:Action`) each resource of template.yaml grants, read line by line
/// (the workspace has no YAML parser, and the template's layout is regular).
fn granted_actions() -> BTreeMap<String, BTreeSet<String>> {
    let template = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut resource = String::new();
    let mut in_resources = false;
    for line in template.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_resources = line == "Resources:";
            continue;
        }
        let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) else {
            if in_resources {
                let item = line
                    .trim()
                    .trim_start_matches("- ")
                    .trim_start_matches("Action: ");
                if item.contains(':')
                    && !item.contains(' ')
                    && item.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                {
                    granted
                        .entry(resource.clone())
                        .or_default()
                        .insert(item.to_owned());
                }
            }
            continue;
        };
        if in_resources && !name.starts_with(' ') {
            resource = name.to_owned();
        }
    }
    granted
}

#[test]
fn only_delete_old_may_delete_and_the_state_machine_invokes_only_the_six_functions() {
    let granted = granted_actions();
    let destructive = [
        "rds:DeleteDBCluster",
        "rds:DeleteDBInstance",
        "rds:DeleteBlueGreenDeployment",
        "rds:DeleteDBClusterEndpoint",
    ];
    for (resource, actions) in &granted {
        assert!(
            !actions
                .iter()
                .any(|a| a.ends_with(":*") && a.starts_with("rds:")),
            "{resource} grants rds:*"
        );
        let deletes: BTreeSet<&str> = actions
            .iter()
            .map(String::as_str)
            .filter(|a| a.starts_with("rds:Delete"))
            .collect();
        if resource == "DeleteOldFunction" {
            assert_eq!(
                deletes,
                destructive.into_iter().collect(),
                "delete-old deletes exactly these"
            );
        } else {
            assert!(deletes.is_empty(), "{resource} may delete: {deletes:?}");
        }
    }
    assert!(granted["NotifyFunction"].contains("secretsmanager:GetSecretValue"));
    assert!(
        granted
            .iter()
            .filter(|(_, a)| a.contains("secretsmanager:GetSecretValue"))
            .count()
            == 1,
        "only notify reads the Slack secret"
    );
    assert_eq!(
        granted["StateMachine"]
            .iter()
            .filter(|a| a.starts_with("lambda:"))
            .collect::<Vec<_>>(),
        ["lambda:InvokeFunction"]
    );
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    for (_, binary, _) in FUNCTIONS {
        assert!(
            template.contains(&format!("        Binary: {binary}\n")),
            "no function builds {binary}"
        );
    }
    assert_eq!(
        template.matches("BuildMethod: rust-cargolambda").count(),
        FUNCTIONS.len()
    );
}

/// The one value `path` (RFC 9535 JSONPath, which agrees with the ASL's `$.a.b` paths) selects
/// in `data`; `None` when it selects nothing, as Step Functions then fails the execution
/// with `States.Runtime`.
fn select(path: &str, data: &Value) -> Option<Value> {
    let parsed = JsonPath::parse(path).unwrap_or_else(|e| panic!("`{path}` is not JSONPath: {e}"));
    parsed.query(data).exactly_one().ok().cloned()
}

/// `function:operation` of a Task, as the loops are keyed.
fn call_key(task: &Value) -> String {
    let (function, operation) = call_of(task);
    format!("{function}:{operation}")
}

/// The function a Task calls and the operation it asks for (`""` when none).
fn call_of(task: &Value) -> (&'static str, &str) {
    (
        function_of(task),
        task["Parameters"]["Payload"]["operation"]
            .as_str()
            .unwrap_or(""),
    )
}

/// What a `lambda:invoke` task gets back: the function's answer under `Payload`.
fn invoke_envelope(answer: &Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": answer,
        "SdkHttpMetadata": {"HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": "r-1"},
        "StatusCode": 200
    })
}

/// Every variant of every step's answer (done, in progress, skipped, already done, refused...,
/// built from the steps' own types), through each ResultSelector that reads it and then every
/// path a state reads from where it is kept: each must select a value in every variant. A
/// ResultSelector also keeps every field of the answer, so each fact reaches notify.
#[test]
fn every_path_read_from_an_answer_exists_in_every_answer_of_that_step() {
    let def = definition();
    let all = states(&def);
    let mut reads = Vec::new();
    for (name, state) in all {
        collect_reads(name, state, &mut reads);
    }
    let waits: BTreeMap<&str, &str> = of_type(&def, "Wait")
        .into_iter()
        .filter_map(|(name, w)| Some((w["SecondsPath"].as_str()?, name)))
        .collect();
    let (mut checked, mut variants) = (0, 0);
    let mut problems = Vec::new();
    for (task_name, task) in lambda_tasks(&def) {
        let Some(selector) = task["ResultSelector"].as_object() else {
            continue;
        };
        let kept_at = task["ResultPath"].as_str().expect("ResultPath");
        assert_eq!(
            top(kept_at),
            kept_at.trim_start_matches("$."),
            "{task_name}: answers are kept at a top-level path"
        );
        let (function, operation) = call_of(task);
        for answer in crate::contract_support::answers(function, operation) {
            variants += 1;
            // notify's delivery report stays in its log; the state keeps its figures.
            let kept = match function {
                "notify" => &answer.json["figures"],
                _ => &answer.json,
            };
            let fields: BTreeSet<&str> = kept
                .as_object()
                .expect("an answer is an object")
                .keys()
                .map(String::as_str)
                .collect();
            let selected: BTreeSet<&str> =
                selector.keys().map(|k| k.trim_end_matches(".$")).collect();
            if selected != fields {
                problems.push(format!(
                    "{task_name} keeps {selected:?}, not the fields of {function}'s answer `{}`: {fields:?}",
                    answer.variant
                ));
            }
            let envelope = invoke_envelope(&answer.json);
            let mut result = Map::new();
            for (key, path) in selector {
                let path = path.as_str().expect("a path");
                match select(path, &envelope) {
                    Some(value) => {
                        result.insert(key.trim_end_matches(".$").to_owned(), value);
                    }
                    None => problems.push(format!(
                        "{task_name}: ResultSelector `{path}` selects nothing in {function}'s answer `{}`",
                        answer.variant
                    )),
                }
            }
            let data = json!({ top(kept_at): result });
            for (reader, path) in reads.iter().filter(|(_, p)| top(p) == top(kept_at)) {
                checked += 1;
                match select(path, &data) {
                    None => problems.push(format!(
                        "{reader} reads `{path}`, which {function}'s answer `{}` lacks",
                        answer.variant
                    )),
                    Some(value) => {
                        if let Some(wait) = waits.get(path.as_str()) {
                            if value.as_u64().is_none() {
                                problems.push(format!(
                                    "{wait} waits `{path}` = {value}, not a number of seconds ({})",
                                    answer.variant
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(variants >= 55, "{variants} answer variants");
    assert!(checked >= 300, "{checked} paths checked");
}

/// History events a state adds each time it runs.
pub(crate) fn events_per_run(state: &Value) -> u64 {
    history_events_of(state)
}

/// Standard workflows fail at 25,000 history events.
const HISTORY_LIMIT: u64 = 25_000;

/// The worst case of one execution's history: every wait loop (a step counting its polls)
/// runs its whole budget of `options.maxPolls` at the largest value the input accepts, along
/// the path through the definition that holds the most loops and states. Each poll answers at
/// its first attempt; what is left under the limit is what Retry may add, shown as a number
/// of retried calls.
#[test]
fn the_largest_max_polls_keeps_every_execution_well_under_the_history_limit() {
    let def = definition();
    let all = states(&def);
    let counting: BTreeSet<&str> = lambda_tasks(&def)
        .into_iter()
        .filter(|(_, t)| t["Parameters"]["Payload"]["poll"]["attempt.$"].is_string())
        .map(|(n, _)| n)
        .collect();
    // The costliest way from `from` back to `to` without another counting step (loops do not nest).
    fn back_to(
        at: &str,
        to: &str,
        all: &Map<String, Value>,
        counting: &BTreeSet<&str>,
        seen: &mut Vec<String>,
    ) -> Option<u64> {
        if at == to {
            return Some(0);
        }
        if counting.contains(at) || seen.iter().any(|s| s == at) {
            return None;
        }
        seen.push(at.to_owned());
        let best = successors(&all[at])
            .into_iter()
            .filter_map(|next| back_to(next, to, all, counting, seen))
            .max()
            .map(|rest| rest + events_per_run(&all[at]));
        seen.pop();
        best
    }
    let mut loops = BTreeMap::new();
    for task in &counting {
        let cycle = successors(&all[*task])
            .into_iter()
            .filter_map(|next| back_to(next, task, all, &counting, &mut Vec::new()))
            .max()
            .unwrap_or_else(|| panic!("{task} counts its polls but is not in a loop"));
        loops.insert(*task, cycle + events_per_run(&all[*task]));
    }
    // The longest path once each loop is folded into its step: the step runs once more
    // after its last in-progress answer (done, or WaitTimedOut).
    fn longest(
        at: &str,
        all: &Map<String, Value>,
        loops: &BTreeMap<&str, u64>,
        memo: &mut BTreeMap<String, u64>,
        path: &mut Vec<String>,
    ) -> u64 {
        if let Some(known) = memo.get(at) {
            return *known;
        }
        assert!(
            !path.iter().any(|p| p == at),
            "an unbounded loop through {at}"
        );
        path.push(at.to_owned());
        let own = events_per_run(&all[at])
            + loops
                .get(at)
                .map_or(0, |cycle| u64::from(MAX_POLLS) * cycle)
            + hook_call_events(all, at)
            + approval_call_events(all, at);
        // Leaving a loop's cycle: its way back into the step is already counted. A rechecking
        // wait's way back into itself is inside its step's budget: it begins only while the
        // step's counter plus its own reads stay under options.maxPolls, so its entries and
        // the step's calls together are at most one loop of the step's.
        let nexts: Vec<&str> = successors(&all[at])
            .into_iter()
            .filter(|next| !(loops.contains_key(next) && path.iter().any(|p| p == next)))
            .filter(|next| {
                !(rechecking_waits(all).contains(next) && path.iter().any(|p| p == next))
            })
            .collect();
        let rest = nexts
            .into_iter()
            .map(|next| longest(next, all, loops, memo, path))
            .max()
            .unwrap_or(0);
        path.pop();
        memo.insert(at.to_owned(), own + rest);
        own + rest
    }
    let start = def["StartAt"].as_str().unwrap();
    let worst =
        EXECUTION_EVENTS + longest(start, all, &loops, &mut BTreeMap::new(), &mut Vec::new());
    let retries = (HISTORY_LIMIT - worst.min(HISTORY_LIMIT)) / EVENTS_PER_RETRY;
    println!(
        "worst-case history of one execution at maxPolls {MAX_POLLS}: {worst} events \
         ({}% of {HISTORY_LIMIT}); loops (events per poll): {loops:?}; room left for {retries} retried calls",
        worst * 100 / HISTORY_LIMIT
    );
    assert!(loops.len() >= 6, "{loops:?}");
    assert!(
        worst * 100 <= HISTORY_LIMIT * 60,
        "at maxPolls {MAX_POLLS} an execution may write {worst} history events, over 60% of {HISTORY_LIMIT}: lower input::MAX_POLLS"
    );
    assert!(retries >= 1000, "room for only {retries} retried calls");
    // The input refuses more, the default is within the bound, and the bound still covers
    // hours of waiting.
    let with_polls = |polls: u32| {
        Request::from_value(json!({
            "target": {"region": "us-east-1", "identifier": "orders", "engine": "postgres"},
            "options": {"maxPolls": polls}
        }))
    };
    assert!(with_polls(MAX_POLLS).is_ok());
    let refused = with_polls(MAX_POLLS + 1).unwrap_err();
    assert_eq!(refused.name(), "InvalidInput");
    assert!(
        refused.to_string().contains("options.maxPolls"),
        "{refused}"
    );
    assert!(Options::default().max_polls <= MAX_POLLS);
    let waited: u64 = (0..MAX_POLLS)
        .map(|attempt| u64::from(bluegreen::steps::Poll { attempt }.next_wait_seconds()))
        .sum();
    assert!(
        waited >= 12 * 3600,
        "{MAX_POLLS} polls wait only {waited} s"
    );
}

/// The safety net: the rule on this state machine's FAILED, TIMED_OUT and ABORTED ends targets
/// notify, which only the rule's own ARN may invoke for EventBridge and which only reads RDS.
#[test]
fn every_end_of_an_execution_reaches_notify_through_the_rule() {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let rule = template
        .split("\n  ExecutionEndedRule:\n")
        .nth(1)
        .expect("the ExecutionEndedRule resource")
        .split("\n\n")
        .next()
        .unwrap();
    for line in [
        "Type: AWS::Events::Rule",
        "State: ENABLED",
        "- aws.states",
        "- Step Functions Execution Status Change",
        "- FAILED",
        "- TIMED_OUT",
        "- ABORTED",
        "- !Ref StateMachine",
        "Arn: !GetAtt NotifyFunction.Arn",
    ] {
        assert!(rule.contains(line), "the rule lacks `{line}`:\n{rule}");
    }
    assert_eq!(
        bluegreen::notify::ended::DETAIL_TYPE,
        "Step Functions Execution Status Change"
    );
    let permission = template
        .split("\n  ExecutionEndedRuleInvokesNotify:\n")
        .nth(1)
        .expect("the rule's Lambda permission")
        .split("\n\n")
        .next()
        .unwrap();
    for line in [
        "Type: AWS::Lambda::Permission",
        "Action: lambda:InvokeFunction",
        "FunctionName: !GetAtt NotifyFunction.Arn",
        "Principal: events.amazonaws.com",
        "SourceArn: !GetAtt ExecutionEndedRule.Arn",
    ] {
        assert!(
            permission.contains(line),
            "the permission lacks `{line}`:\n{permission}"
        );
    }
    let granted = granted_actions();
    let mut rds: Vec<&String> = granted["NotifyFunction"]
        .iter()
        .filter(|a| a.starts_with("rds:"))
        .collect();
    rds.sort();
    assert_eq!(
        rds,
        [
            "rds:DescribeBlueGreenDeployments",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeDBSnapshots",
            "rds:DescribeEvents"
        ],
        "notify only reads: what is left running, and when work found done was done (issue 19)"
    );
}

#[test]
fn every_action_but_a_dry_run_holds_the_lock_and_every_end_releases_it() {
    let def = definition();
    let all = states(&def);
    // The key is resolved by a read-only step (the whole input validated first), then taken.
    assert_eq!(all["Keep the request"]["Default"], "Identify the database");
    let identify = &all["Identify the database"];
    assert_eq!(function_of(identify), "precheck");
    assert_eq!(identify["Parameters"]["Payload"]["operation"], "identify");
    assert_eq!(identify["Next"], "Take the lock?");
    let take = &all["Take the lock?"];
    assert_eq!(take["Choices"][0]["Variable"], "$.lock.take");
    assert_eq!(take["Choices"][0]["Next"], "Take the lock");
    assert_eq!(take["Default"], "Which action?", "a dry run takes no lock");
    let lock = &all["Take the lock"];
    assert_eq!(lock["Resource"], "arn:aws:states:::dynamodb:putItem");
    assert!(is_jsonata(lock));
    assert_eq!(
        lock["Arguments"]["ConditionExpression"],
        "attribute_not_exists(lockKey) OR holder = :me OR expiresAt < :now",
        "free, expired, or already ours (a redrive)"
    );
    assert_eq!(
        lock["Arguments"]["Item"]["lockKey"]["S"],
        "{% $states.input.lock.key %}"
    );
    assert_eq!(
        lock["Arguments"]["Item"]["expiresAt"]["N"],
        "{% $states.input.lock.expiresAt %}"
    );
    assert_eq!(lock["Next"], "Which action?");
    // What the PutItem writes is what the steps' UpdateItem keeps (shared/src/lock/table.rs).
    let written: BTreeSet<&str> = lock["Arguments"]["Item"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for attribute in [
        "lockKey",
        "holder",
        "stage",
        "stageSince",
        "expiresAt",
        "startedAt",
        "action",
    ] {
        assert!(written.contains(attribute), "the item lacks {attribute}");
    }
    // Held by another: read the holder (JSONata: a vanished item is no runtime error), then
    // try again (bounded), nothing to do (its work covers ours), or Locked.
    let held = &lock["Catch"][0];
    assert_eq!(
        strings(&held["ErrorEquals"]),
        ["DynamoDB.ConditionalCheckFailedException"]
    );
    assert_eq!(held["Next"], "Who holds the lock");
    assert_eq!(all["Who holds the lock"]["QueryLanguage"], "JSONata");
    let who = &all["Who is it?"];
    let retry = &who["Choices"][0];
    assert!(is_counted_retry(retry), "the retry counts its tries");
    assert_eq!(retry["Next"], "Take the lock");
    assert!(retry["Condition"]
        .as_str()
        .unwrap()
        .contains("$lockTries < 3"));
    assert_eq!(all["Keep the request"]["Assign"]["lockTries"], 0);
    assert_eq!(who["Choices"][1]["Next"], "Already being done");
    assert_eq!(who["Default"], "Locked");
    assert!(all["Locked"]["Output"]
        .as_str()
        .unwrap()
        .contains("'Error': 'Locked'"));
    assert_eq!(
        all[all["Locked"]["Next"].as_str().unwrap()]["Next"],
        "Notify failure"
    );
    // The claim: written by the PutItem's Output once the lock is held (no state of its
    // own), passed to every change and every message; every failure keeps the state data.
    assert_eq!(
        lock["Output"],
        "{% $merge([$states.input, {'claim': {'key': $states.input.lock.key, 'holder': $states.context.Execution.Id}}]) %}"
    );
    for catch in lock["Catch"].as_array().unwrap() {
        assert!(
            catch["Output"]
                .as_str()
                .unwrap()
                .starts_with("{% $merge([$states.input, {"),
            "{catch}"
        );
    }
    for (name, task) in lambda_tasks(&def) {
        let function = function_of(task);
        if matches!(function, "create" | "switchover" | "delete-old")
            || (function == "notify" && name != "Already being done")
        {
            assert_eq!(
                task["Parameters"]["Payload"]["lock.$"], "$.claim",
                "{name} holds (or refreshes) the lock"
            );
        }
    }
    let release = &all["Release the lock"];
    assert_eq!(release["Parameters"]["ConditionExpression"], "holder = :me");
    assert_eq!(
        release["Parameters"]["Key"]["lockKey"]["S.$"],
        "$.claim.key"
    );
    // A release that fails is never swallowed: the execution fails LockReleaseFailed, untold,
    // so the status rule tells it and releases again.
    let failed_release = release["Catch"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| strings(&c["ErrorEquals"]) == ["States.ALL"])
        .expect("a catch-all");
    let fail = &all[failed_release["Next"].as_str().unwrap()];
    assert_eq!(fail["Type"], "Fail");
    assert_eq!(fail["Error"], "LockReleaseFailed");
    assert!(Error::STATE_MACHINE_NAMES.contains(&"LockReleaseFailed"));
    // Every lock Task has a timeout, retries DynamoDB's transient errors and a Catch.
    for (name, task) in lock_tasks(&def) {
        assert!(task["TimeoutSeconds"].as_u64().is_some(), "{name}");
        assert!(
            retriers(task)
                .iter()
                .any(|r| strings(&r["ErrorEquals"]).contains(&"DynamoDB.ThrottlingException")),
            "{name} retries throttling"
        );
        assert!(task["Catch"].is_array(), "{name}");
    }
    // Every Succeed and Fail but the dry run's is reached only through the release.
    for (name, state) in all {
        for next in successors(state) {
            let terminal = matches!(all[next]["Type"].as_str(), Some("Succeed" | "Fail"));
            if terminal && next != "Dry run finished" && next != "Board read" {
                assert!(
                    name == "How it ends" || name == "Release the lock",
                    "{name} ends at {next} without releasing the lock"
                );
            }
        }
    }
    // The release machine finds an execution's locks by holder (the template's index).
    let text = std::fs::read_to_string(root().join("statemachine/release-lock.asl.json")).unwrap();
    assert!(text.contains("\"IndexName\": \"byHolder\""));
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    assert!(template.contains("- IndexName: byHolder"));
}

#[test]
fn every_function_learns_the_execution_it_works_for() {
    // The functions name the execution in their member-account session (session name and
    // SourceIdentity), so CloudTrail ties each RDS call to it: bluegreen-runtime takes a
    // step's `execution` (the name) out of its event; notify reads its `execution` object.
    let def = definition();
    for (name, task) in lambda_tasks(&def) {
        let payload = &task["Parameters"]["Payload"];
        let named = payload["execution.$"] == "$$.Execution.Name"
            || payload["execution"]["name.$"] == "$$.Execution.Name";
        assert!(named, "{name} does not pass the execution's name");
    }
}

#[test]
fn the_diagrams_are_drawn_from_the_definitions() {
    // docs/statemachine.md carries Mermaid diagrams generated by scripts/diagram.py.
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/diagram.py"))
        .arg("--check")
        .output()
        .expect("run python3 scripts/diagram.py --check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_template_sets_every_variable_the_functions_read_at_start_up() {
    // shared/src/aws/clients.rs (Access::from_env) reads these in every function; notify's
    // Config reads its own two. A name changed on one side only would silently turn the
    // allow-list or the external id off.
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    for (variable, value) in [
        ("TARGET_EXTERNAL_ID", "!Ref TargetExternalId"),
        (
            "ALLOWED_ACCOUNT_IDS",
            "!Join [\",\", !Ref AllowedAccountIds]",
        ),
        ("TOPIC_ARN", "!Ref Topic"),
        ("SLACK_WEBHOOK_SECRET_ARN", "!Ref SlackWebhookSecretArn"),
    ] {
        assert!(
            template.contains(&format!("{variable}: {value}")),
            "template.yaml does not set {variable}: {value}"
        );
    }
    let clients = std::fs::read_to_string(root().join("shared/src/aws/clients.rs")).unwrap();
    for variable in ["TARGET_EXTERNAL_ID", "ALLOWED_ACCOUNT_IDS"] {
        assert!(
            clients.contains(&format!("var(\"{variable}\")")),
            "clients.rs no longer reads {variable}"
        );
    }
}
