//! The approval block (statemachine/bluegreen.asl.json, issue 20 item 3): one block of states
//! shared by the switchover's and the cleanup's approval, entered from a Choice rule that
//! assigns `$approvalFor` and `$approvalPurpose` and, on an approve, left through "After the
//! approval" back to the calling state's Default, or to the calling state itself, whose call
//! then stands aside (it tests the answer's `for`) and whose other rules decide as without an
//! approval. Proved here: each entry calls the block with a purpose its answer can name and
//! gets back where it would have gone without an approval (so the other graph checks fold the
//! call), an answer takes only a wait of its own purpose, and only an approve of the wait's own
//! purpose goes on.

use bluegreen::waits::ApprovalFor;
use serde_json::{Map, Value};

use crate::statemachine_contract::{definition, events_per_run, states};

const BLOCK: &str = "Ask for approval";
const RETURN: &str = "After the approval";

/// A Choice rule that calls the approval block (it assigns `approvalFor`): the block returns
/// to the rule's own state's Default, so graph checks fold the call into that edge; its
/// history events are added to the calling state ([`approval_call_events`]).
pub(crate) fn is_approval_call(rule: &Value) -> bool {
    rule["Assign"].get("approvalFor").is_some()
}

/// History events the approval block adds to one calling state, at worst: the question, the
/// wait, the answer's choice, the approved message and the return.
pub(crate) fn approval_call_events(all: &Map<String, Value>, at: &str) -> u64 {
    let calls_block = all[at]["Choices"]
        .as_array()
        .into_iter()
        .flatten()
        .any(is_approval_call);
    if !calls_block {
        return 0;
    }
    [
        BLOCK,
        "Wait for approval",
        "Approved?",
        "Notify approved",
        RETURN,
    ]
    .iter()
    .map(|s| events_per_run(&all[*s]))
    .sum()
}

/// Where "After the approval" goes for `purpose`: the rule testing it, else its Default.
fn returns_for<'a>(back: &'a Value, purpose: &str) -> &'a str {
    back["Choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["Condition"]
                .as_str()
                .is_some_and(|c| c.contains(&format!("$approvalFor = '{purpose}'")))
        })
        .unwrap_or(back)
        .get("Next")
        .or_else(|| back.get("Default"))
        .and_then(Value::as_str)
        .unwrap()
}

#[test]
fn each_purpose_calls_the_block_and_returns_where_it_would_go_without_an_approval() {
    let def = definition();
    let all = states(&def);
    let mut calls = Vec::new();
    for (name, state) in all {
        for rule in state["Choices"].as_array().into_iter().flatten() {
            if is_approval_call(rule) {
                assert_eq!(rule["Next"], BLOCK, "{name} calls the block");
                let purpose = rule["Assign"]["approvalFor"].as_str().unwrap();
                // The stored purpose is the one an answer's `for` names (the take's condition).
                let stored = rule["Assign"]["approvalPurpose"].as_str().unwrap();
                let answer: ApprovalFor = serde_json::from_value(purpose.into()).unwrap();
                assert_eq!(stored, answer.purpose().name(), "{name}");
                let default = state["Default"].as_str().expect("a Default");
                let back = returns_for(&all[RETURN], purpose);
                if back == name {
                    // Back into the caller, asked once: the answer's `for` sets the call aside.
                    let condition = rule["Condition"].as_str().unwrap_or_default();
                    assert!(
                        condition
                            .contains(&format!("$not($states.input.approval.for = '{purpose}')")),
                        "{name} asks for the {purpose} once: {condition}"
                    );
                } else {
                    assert_eq!(back, default, "{purpose} returns where {name} goes on");
                }
                calls.push((name.as_str(), purpose, default));
            }
        }
    }
    assert_eq!(
        calls,
        [
            (
                "Ask for the switchover's approval",
                "switchover",
                "Snapshot blue first?"
            ),
            ("Hook before cleanup?", "cleanup", "Delete old blue"),
        ]
    );
    // The cleanup's approval sits after the grace period, before the hook and anything
    // deleted: the first rule of the cleanup's entry.
    assert_eq!(all["Wait grace period"]["Next"], "Hook before cleanup?");
    assert!(is_approval_call(&all["Hook before cleanup?"]["Choices"][0]));
    assert_eq!(
        all["Wait for approval"]["Parameters"]["Payload"]["wait"]["purpose.$"],
        "$approvalPurpose"
    );
}

/// The take's condition: an open, unexpired wait of the answer's purpose, and, only when the
/// answer names the execution that asked (`approval.execution`), held by that execution; the
/// value `:execution` exists only then (DynamoDB refuses an unused value). (The two branches
/// run end to end: e2e_approvals.rs, an_answer_bound_to_another_execution_changes_nothing.)
fn assert_binds_the_asking_execution(take: &Value) {
    let asked = "$exists($states.input.request.approval.execution)";
    assert_eq!(
        take["ConditionExpression"],
        format!("{{% 'attribute_exists(waitToken) AND waitPurpose = :purpose AND waitExpiresAt > :now' & ({asked} ? ' AND holder = :execution' : '') %}}")
    );
    let values = take["ExpressionAttributeValues"].as_str().unwrap();
    assert!(
        values.ends_with(&format!(", {asked} ? {{':execution': {{'S': $states.input.request.approval.execution}}}} : {{}}]) %}}")),
        "{values}"
    );
    for used in [":purpose", ":now", ":answer"] {
        assert!(values.contains(&format!("'{used}': ")), "{used}: {values}");
    }
}

#[test]
fn both_takes_answer_only_the_execution_that_asked_when_named() {
    let fleet_path = e2e::moto::root().join("statemachine/fleet.asl.json");
    let fleet: Value = serde_json::from_str(&std::fs::read_to_string(fleet_path).unwrap()).unwrap();
    let take = &states(&fleet)["Take the fleet's wait"]["Arguments"];
    assert_binds_the_asking_execution(take);
    assert!(take["ExpressionAttributeValues"]
        .as_str()
        .unwrap()
        .contains("':purpose': {'S': 'approval-wave'}"));
    // Not taken because another execution holds the wait: told as such, in both machines.
    let bluegreen = definition();
    for (def, read) in [
        (&bluegreen, "Read what waits"),
        (&fleet, "Read the fleet's wait"),
    ] {
        let output = states(def)[read]["Output"].as_str().unwrap();
        assert!(
            output.contains("$asked := $states.input.request.approval.execution")
                && output.contains("$i.holder.S != $asked ? {'Error': 'NotThisQuestion'"),
            "{read}: {output}"
        );
    }
    assert!(bluegreen::Error::STATE_MACHINE_NAMES.contains(&"NotThisQuestion"));
}

#[test]
fn an_answer_takes_and_goes_on_only_for_its_own_purpose() {
    let def = definition();
    let all = states(&def);
    let take = &all["Take the approval wait"]["Arguments"];
    let values = take["ExpressionAttributeValues"].as_str().unwrap();
    assert!(
        values.contains("':purpose': {'S': 'approval-' & $states.input.lock.answer.for}"),
        "{values}"
    );
    assert_binds_the_asking_execution(take);
    let approved = &all["Approved?"]["Choices"][0];
    assert_eq!(approved["Next"], "Notify approved");
    assert_eq!(
        approved["Condition"],
        "{% $states.input.approval.decision = 'approve' and $states.input.approval.for = $approvalFor %}"
    );
    assert_eq!(all["Approved?"]["Default"], "Notify rejected");
    // The inputs the question offers to paste name the wait they answer.
    let detail = &all[BLOCK]["Parameters"]["Payload"]["detail"];
    for input in ["approveInput", "rejectInput"] {
        assert_eq!(
            detail[input]["approval"]["for.$"], "$approvalFor",
            "{input}"
        );
    }
}
