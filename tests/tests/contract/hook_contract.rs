//! The user's hooks in the workflow (statemachine/bluegreen.asl.json, issue 21 item 5): one
//! block of states shared by the four stages, entered from one Choice per stage that assigns
//! `$hookStage` and left through "After the hook", which returns to the stage's own next state.
//! Proved here: each entry calls the block with its stage and gets back where it would have
//! gone without a hook (so the other graph checks may fold the call), every hook task keeps the
//! state and fails into "Hook failed", the Automation poll is bounded by the hook's timeout,
//! and each failure is told at the hook's own stage.

use std::collections::BTreeSet;

use bluegreen::hooks::{HookStage, MAX_TIMEOUT_SECONDS};
use serde_json::{Map, Value};

use crate::approval_contract::is_approval_call;
use crate::statemachine_contract::{
    definition, events_per_run, is_counted_retry, is_hook_call, is_jsonata, states, successors,
};

const BLOCK: &str = "Build the hook payload";
const RETURN: &str = "After the hook";
const FAILED: &str = "Hook failed";

/// The stage a Choice condition of "After the hook" tests (`$hookStage = 'x'`).
fn tested_stage(rule: &Value) -> &str {
    let condition = rule["Condition"].as_str().unwrap_or_default();
    condition
        .split('\'')
        .nth(1)
        .unwrap_or_else(|| panic!("{RETURN}: `{condition}` tests no stage"))
}

/// (entry state, stage, the state it goes on to) for every hook call.
fn calls(all: &Map<String, Value>) -> Vec<(&str, &str, &str)> {
    let mut out = Vec::new();
    for (name, state) in all {
        for rule in state["Choices"].as_array().into_iter().flatten() {
            if is_hook_call(rule) {
                assert_eq!(rule["Next"], BLOCK, "{name} calls the block");
                let stage = rule["Assign"]["hookStage"].as_str().expect("a stage name");
                let default = state["Default"].as_str().expect("a Default");
                out.push((name.as_str(), stage, default));
            }
        }
    }
    out
}

/// History events the hook block may add to one calling state, at worst: the payload step, the
/// kind, the costliest kind (an Automation polled every `Seconds` until the longest timeout,
/// then stopped), and the return.
pub(crate) fn hook_call_events(all: &Map<String, Value>, at: &str) -> u64 {
    let calls_block = all[at]["Choices"]
        .as_array()
        .into_iter()
        .flatten()
        .any(is_hook_call);
    if !calls_block {
        return 0;
    }
    let ev = |name: &str| events_per_run(&all[name]);
    let wait = all["Wait for the automation hook"]["Seconds"]
        .as_u64()
        .expect("a fixed poll interval");
    let polls = u64::from(MAX_TIMEOUT_SECONDS).div_ceil(wait) + 1;
    let automation = ev("Start the automation hook")
        + polls
            * (ev("Wait for the automation hook")
                + ev("Read the automation hook")
                + ev("Automation hook done?"))
        + ev("Stop the automation hook");
    let costliest = automation
        .max(ev("Invoke the Lambda hook"))
        .max(ev("Run the state machine hook"));
    ev(BLOCK) + ev("Which hook kind?") + costliest + ev(RETURN)
}

#[test]
fn each_stage_calls_the_block_and_returns_where_it_would_go_without_a_hook() {
    let def = definition();
    let all = states(&def);
    let calls = calls(all);
    let stages: BTreeSet<&str> = calls.iter().map(|(_, s, _)| *s).collect();
    let every: BTreeSet<String> = [
        HookStage::AfterGreenReady,
        HookStage::BeforeSwitchover,
        HookStage::AfterSwitchover,
        HookStage::BeforeCleanup,
    ]
    .iter()
    .map(|s| {
        serde_json::to_value(s)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect();
    assert_eq!(
        stages
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        every
    );
    assert_eq!(calls.len(), 4, "one entry per stage: {calls:?}");
    let back = &all[RETURN];
    for (entry, stage, default) in &calls {
        // The hook is the entry's first rule (after an approval's call, which the approval
        // block returns from: approval_contract.rs) and reads the stage's own hook. An entry
        // folded into the Choice that decides what follows (afterGreenReady into Switchover
        // mode?, afterSwitchover into Delete old blue?) is returned to, and its hook rule then
        // stands aside (`$hookStage != stage`); any other entry has no other way.
        let rules: Vec<&Value> = all[*entry]["Choices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !is_approval_call(r))
            .collect();
        let condition = rules[0]["Condition"].as_str().unwrap_or_default();
        assert!(
            condition.contains(&format!("options.hooks.{stage})")),
            "{entry} tests options.hooks.{stage}"
        );
        let goes_on = if rules.len() == 1 {
            *default
        } else {
            assert!(
                condition.contains(&format!("$hookStage != '{stage}'")),
                "{entry} lets the rest decide once the {stage} hook ran"
            );
            *entry
        };
        let returns: Vec<&str> = back["Choices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| tested_stage(r) == *stage)
            .map(|r| r["Next"].as_str().unwrap())
            .collect();
        assert_eq!(returns, [goes_on], "{stage} returns where {entry} goes on");
    }
    assert_eq!(back["Default"], FAILED);
    // Stage by stage, the entries sit where the issue puts them.
    let before = |entry: &str| -> Vec<&str> {
        all.iter()
            .filter(|(_, s)| successors(s).contains(&entry))
            .map(|(n, _)| n.as_str())
            .collect()
    };
    assert_eq!(
        before("Switchover mode?"),
        ["Notify green ready", "After the hook"]
    );
    assert_eq!(
        before("Hook before switchover?"),
        [
            "Switchover mode?",
            "Snapshot blue first?",
            "Notify snapshot taken"
        ]
    );
    assert_eq!(
        before("Delete old blue?"),
        ["Notify verified", "After the hook"]
    );
    assert_eq!(
        before("Hook before cleanup?"),
        // The cleanup action; after the grace period; after the cleanup's approval.
        ["Which action?", "Wait grace period", "After the approval"]
    );
}

#[test]
fn every_hook_task_keeps_the_state_and_fails_into_hook_failed() {
    let def = definition();
    let all = states(&def);
    let mut tasks = 0;
    for (name, state) in all.iter().filter(|(_, s)| {
        s["Type"] == "Task"
            && is_jsonata(s)
            && !s["Resource"]
                .as_str()
                .is_some_and(|r| r.contains(":dynamodb:") || r.ends_with(".waitForTaskToken"))
    }) {
        tasks += 1;
        assert_eq!(state["Output"], "{% $states.input %}", "{name}");
        let catches = state["Catch"].as_array().expect("a Catch");
        assert_eq!(catches.len(), 1, "{name}");
        let catch = &catches[0];
        assert_eq!(
            catch["ErrorEquals"],
            serde_json::json!(["States.ALL"]),
            "{name}"
        );
        assert_eq!(catch["Output"], "{% $states.input %}", "{name}");
        assert_eq!(catch["Next"], FAILED, "{name}");
    }
    assert_eq!(
        tasks, 5,
        "Lambda, state machine, start/read/stop Automation"
    );
    for invoke in ["Invoke the Lambda hook", "Run the state machine hook"] {
        assert_eq!(
            all[invoke]["TimeoutSeconds"], "{% $states.input.hookCall.hook.timeoutSeconds %}",
            "{invoke} waits the hook's own timeout"
        );
    }
    assert_eq!(
        all["Run the state machine hook"]["Resource"],
        "arn:aws:states:::states:startExecution.sync:2",
        "runs the child to its end"
    );
    // The payload step keeps its own error; both failure states tell it at the hook's stage.
    assert_eq!(all[BLOCK]["Catch"][0]["Next"], "Hook payload failed");
    for failed in [FAILED, "Hook payload failed"] {
        assert_eq!(all[failed]["Type"], "Pass");
        assert_eq!(all[failed]["Next"], "Notify failure", "{failed}");
        assert!(
            all[failed]["Output"]
                .as_str()
                .is_some_and(|o| o.contains("'failedStage': $lookup(")),
            "{failed}"
        );
    }
    assert!(all[FAILED]["Output"]
        .as_str()
        .unwrap()
        .contains("'Error': 'HookFailed'"));
    assert!(bluegreen::Error::STATE_MACHINE_NAMES.contains(&"HookFailed"));
}

/// The stage names a hook failure is told under (their phases, before or after switchover, are
/// `bluegreen::notify::failure`'s unit test `phases_follow_the_error_then_the_stage`).
#[test]
fn a_failed_hook_is_told_at_its_own_stage() {
    let def = definition();
    let output = states(&def)[FAILED]["Output"].as_str().unwrap().to_owned();
    for (stage, failed_stage) in [
        ("afterGreenReady", "hook-after-green-ready"),
        ("beforeSwitchover", "hook-before-switchover"),
        ("afterSwitchover", "hook-after-switchover"),
        ("beforeCleanup", "hook-before-cleanup"),
    ] {
        assert!(
            output.contains(&format!("'{stage}': '{failed_stage}'")),
            "{stage} is told as {failed_stage}"
        );
    }
}

#[test]
fn the_automation_poll_is_bounded_by_the_hook_timeout() {
    let def = definition();
    let all = states(&def);
    let done = &all["Automation hook done?"];
    let counted: Vec<&Value> = done["Choices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| is_counted_retry(r))
        .collect();
    assert_eq!(counted.len(), 1, "one rule loops, counting its polls");
    assert_eq!(counted[0]["Next"], "Wait for the automation hook");
    let start = all["Start the automation hook"]["Assign"]["hookMaxPolls"]
        .as_str()
        .unwrap();
    let wait = all["Wait for the automation hook"]["Seconds"]
        .as_u64()
        .unwrap();
    assert_eq!(
        start,
        format!("{{% $ceil($states.input.hookCall.hook.timeoutSeconds / {wait}) %}}")
    );
    // Past the budget a running execution is stopped, never waited for again.
    assert_eq!(done["Choices"][2]["Next"], "Stop the automation hook");
    assert_eq!(done["Default"], FAILED);
    assert!(hook_call_events(all, "Delete old blue?") < 2000);
}
