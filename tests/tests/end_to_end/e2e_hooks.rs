//! The user's hooks (`options.hooks`, issue 21 item 5) run by the product's state machine on the
//! local stack: a Lambda function (served by the local Lambda: `e2e::lambda::HOOK_FUNCTIONS`), a
//! state machine (moto's Step Functions, run to its end by `startExecution.sync:2`) and an SSM
//! Automation runbook (moto, `moto_patches/ssm_automation.py`), each at its stage with the
//! payload it received; a hook that fails before switchover stops the upgrade with green kept,
//! one after it keeps old blue; each failure told once as `HookFailed`.
//!
//! The hub's permission to invoke only tagged hooks is IAM's: moto's Step Functions engine does
//! not enforce IAM, so the tag and name-prefix conditions are proved by the evaluator rows of
//! `tests/iam/hooks.test.cjs`.

use crate::e2e_support::{deployments, instances, request, run, state_machine, Run};
use e2e::faults::Fault;
use e2e::lambda::{function_arn, HOOK_FUNCTIONS};
use e2e::moto::{unique, ACCOUNT, REGION};
use e2e::seed;
use e2e::stack::Stack;
use serde_json::{json, Value};

/// A hook state machine that ends with its input as output (a smoke test that passed).
const PASSING_MACHINE: &str =
    r#"{"StartAt": "Smoke test", "States": {"Smoke test": {"Type": "Pass", "End": true}}}"#;

/// An RDS for PostgreSQL instance (15.10) with green's parameter group for 16.4.
async fn postgres(stack: &Stack, prefix: &str) -> String {
    let id = unique(prefix);
    seed::rds_instance(&stack.moto, &id, "postgres", "15.10").await;
    seed::parameter_group(
        &stack.moto,
        &format!("{id}-pg16"),
        "postgres16",
        &[("rds.logical_replication", "1")],
    )
    .await;
    id
}

/// The upgrade input of `id` to 16.4 with `hooks`.
fn upgrade(id: &str, hooks: Value) -> Value {
    request(
        "upgrade",
        id,
        "postgres",
        json!({"targetEngineVersion": "16.4", "targetDbParameterGroupName": format!("{id}-pg16"), "hooks": hooks}),
    )
}

/// Creates an SSM Automation runbook (schemaVersion 0.3) named `name`, tagged as a hook, that
/// declares the one parameter the product passes (`Payload`) and sleeps 30 s; returns the ARN
/// a hook names it by.
async fn automation_runbook(stack: &Stack, name: &str) -> String {
    let content = json!({
        "schemaVersion": "0.3",
        "description": "rds-bluegreen hook (tests): what a CDC restart would do, here a pause",
        "parameters": {"Payload": {"type": "String", "description": "the hook payload (JSON)"}},
        "mainSteps": [{"name": "pause", "action": "aws:sleep", "inputs": {"Duration": "PT30S"}}],
    });
    let response = reqwest::Client::new()
        .post(&stack.moto.endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "AmazonSSM.CreateDocument")
        .header("Authorization", format!("AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/ssm/aws4_request, SignedHeaders=host, Signature=0"))
        .json(&json!({
            "Name": name,
            "DocumentType": "Automation",
            "DocumentFormat": "JSON",
            "Content": content.to_string(),
            "Tags": [{"Key": bluegreen::hooks::HOOK_TAG, "Value": "true"}],
        }))
        .send()
        .await
        .expect("CreateDocument");
    let status = response.status();
    assert!(
        status.is_success(),
        "CreateDocument: {status} {}",
        response.text().await.unwrap_or_default()
    );
    format!("arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/{name}")
}

/// The parsed outputs of the run's succeeded tasks, in order.
fn task_outputs(run: &Run) -> Vec<Value> {
    run.execution
        .events_of("TaskSucceeded")
        .iter()
        .filter_map(|e| e["taskSucceededEventDetails"]["output"].as_str())
        .filter_map(|o| serde_json::from_str(o).ok())
        .collect()
}

/// What each kind of hook received, read from the hub's task outputs: the Lambda function's
/// answer (it echoes its event), the child execution's input, the runbook's `Payload`.
fn received(run: &Run) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let (mut lambda, mut machine, mut automation) = (Vec::new(), Vec::new(), Vec::new());
    for out in task_outputs(run) {
        if let Some(event) = out["Payload"].get("received") {
            lambda.push(event.clone());
        } else if out.get("ExecutionArn").is_some() && out.get("Input").is_some() {
            let input = &out["Input"];
            machine.push(match input.as_str() {
                Some(text) => serde_json::from_str(text).expect("child input JSON"),
                None => input.clone(),
            });
        } else if let Some(execution) = out.get("AutomationExecution") {
            if execution["AutomationExecutionStatus"] == "Success" {
                let text = execution["Parameters"]["Payload"][0]
                    .as_str()
                    .expect("the Payload parameter");
                automation.push(serde_json::from_str(text).expect("payload JSON"));
            }
        }
    }
    (lambda, machine, automation)
}

/// The payload a hook received at `stage` names the database, the deployment, both sides
/// with their endpoints and versions, and the execution.
fn assert_payload(payload: &Value, stage: &str, id: &str, run: &Run) {
    assert_eq!(payload["stage"], stage, "{payload:#}");
    assert_eq!(payload["database"], id);
    assert_eq!(payload["engine"], "postgres");
    assert_eq!(payload["region"], REGION);
    assert!(
        payload["deployment"]["id"]
            .as_str()
            .is_some_and(|d| d.starts_with("bgd-")),
        "{payload:#}"
    );
    let execution = run.execution.arn.rsplit(':').next().unwrap();
    assert_eq!(payload["execution"], execution);
    let switched = matches!(stage, "afterSwitchover" | "beforeCleanup");
    // Before switchover blue is production under its name and green has its own; after it,
    // green is production (the production name, the target version) and blue is `-old1`.
    let (blue, green) = (&payload["blue"], &payload["green"]);
    if switched {
        assert_eq!(green["identifier"], id, "{payload:#}");
        assert_eq!(blue["identifier"], format!("{id}-old1"), "{payload:#}");
    } else {
        assert_eq!(blue["identifier"], id, "{payload:#}");
        assert_ne!(green["identifier"], id, "{payload:#}");
    }
    assert_eq!(green["engineVersion"], "16.4", "{payload:#}");
    assert_eq!(blue["engineVersion"], "15.10", "{payload:#}");
    for side in [blue, green] {
        assert!(
            side["endpoint"].as_str().is_some_and(|e| !e.is_empty()) && side["port"].is_number(),
            "{payload:#}"
        );
    }
}

/// Asserts the run failed with `HookFailed` at `stage`, told once, through "Hook failed".
fn assert_hook_failed(run: &Run, stage: &str) {
    assert_eq!(run.execution.status, "FAILED", "{:?}", run.states());
    assert_eq!(run.execution.error.as_deref(), Some("HookFailed"));
    let path = run.path();
    assert_eq!(
        path[path.len() - 3..],
        ["Hook failed", "Notify failure", "Failed"]
    );
    let failures: Vec<_> = run
        .notifications
        .iter()
        .filter(|(_, o)| o == "failure")
        .collect();
    assert_eq!(failures, [&(stage.to_owned(), "failure".to_owned())]);
    // The told mark: the execution-status rule will not tell it a second time.
    let told = bluegreen::notify::told::Told::in_cause(run.execution.cause.as_deref())
        .expect("the cause carries the told mark");
    assert_eq!(told.stage.as_deref(), Some(stage));
}

/// Production is green at 16.4 and old blue is kept under its `-old1` name, at 15.10.
async fn assert_old_blue_kept(stack: &Stack, id: &str) {
    let found = instances(stack, id).await;
    for kept in [(id.to_owned(), "16.4"), (format!("{id}-old1"), "15.10")] {
        assert!(
            found.contains(&(kept.0.clone(), kept.1.to_owned())),
            "{kept:?} not in {found:?}"
        );
    }
}

/// The message (its JSON text, quotes escaped) says each of `words`.
fn assert_says(body: &str, words: &[&str]) {
    for said in words {
        assert!(body.contains(said), "`{said}` not in: {body}");
    }
}

#[tokio::test]
async fn every_hook_kind_runs_at_its_stage_with_the_payload() {
    let (stack, _) = state_machine().await;
    let id = postgres(stack, "e2ehook").await;
    let machine = stack
        .sfn()
        .create_state_machine(&unique("rds-bluegreen-hook-smoke"), PASSING_MACHINE)
        .await;
    let runbook = automation_runbook(stack, &unique("rds-bluegreen-hook-cdc")).await;
    let echo = function_arn(HOOK_FUNCTIONS[0]);

    let run = run(&upgrade(
        &id,
        json!({
            "afterGreenReady": {"target": echo, "timeoutSeconds": 60},
            "beforeSwitchover": {"target": machine, "timeoutSeconds": 300},
            "afterSwitchover": {"target": runbook, "timeoutSeconds": 600},
            "beforeCleanup": {"target": echo},
        }),
    ))
    .await;

    run.assert_succeeded();
    // Each hook at its stage: after green is ready and before the snapshot; after the snapshot
    // and right before the switchover request; after verify; after the grace period and right
    // before old blue is deleted.
    run.assert_path(&[
        "Notify green ready",
        "Switchover mode?",
        "Build the hook payload",
        "Invoke the Lambda hook",
        "Switchover mode?",
        "Snapshot blue",
        "Notify snapshot taken",
        "Hook before switchover?",
        "Build the hook payload",
        "Run the state machine hook",
        "Switch over",
        "Verify",
        "Notify verified",
        "Delete old blue?",
        "Build the hook payload",
        "Start the automation hook",
        "Wait for the automation hook",
        "Read the automation hook",
        "Delete old blue?",
        "Wait grace period",
        "Hook before cleanup?",
        "Build the hook payload",
        "Invoke the Lambda hook",
        "Delete old blue",
        "Done",
    ]);
    assert_eq!(run.entered("Build the hook payload"), 4);
    assert!(
        run.entered("Read the automation hook") >= 2,
        "the runbook was read until it ended (Pending, InProgress, Success): {:?}",
        run.states()
    );

    let (lambda, machine_input, automation) = received(&run);
    assert_eq!(lambda.len(), 2, "{lambda:#?}");
    assert_payload(&lambda[0], "afterGreenReady", &id, &run);
    assert_payload(&lambda[1], "beforeCleanup", &id, &run);
    assert_eq!(machine_input.len(), 1, "{machine_input:#?}");
    assert_payload(&machine_input[0], "beforeSwitchover", &id, &run);
    assert_eq!(automation.len(), 1, "{automation:#?}");
    assert_payload(&automation[0], "afterSwitchover", &id, &run);

    // Nothing of the upgrade changed: production is green at 16.4 and old blue is gone.
    assert_eq!(
        instances(stack, &id).await,
        [(id.clone(), "16.4".to_owned())]
    );
    assert!(!run.stages().iter().any(|s| s.starts_with("hook-")));
    println!(
        "upgrade with four hooks: {} state transitions, {} history events",
        run.execution.transitions,
        run.execution.events.len()
    );
}

#[tokio::test]
async fn an_upgrade_without_hooks_passes_each_stage_in_one_transition() {
    let (stack, _) = state_machine().await;
    let id = postgres(stack, "e2enohook").await;
    let run = run(&upgrade(&id, json!({}))).await;
    run.assert_succeeded();
    // afterGreenReady and afterSwitchover are the first rules of Switchover mode? and
    // Delete old blue?, the Choices that follow them.
    for entry in [
        "Switchover mode?",
        "Hook before switchover?",
        "Delete old blue?",
        "Hook before cleanup?",
    ] {
        assert_eq!(run.entered(entry), 1, "{entry}: {:?}", run.states());
    }
    run.assert_never(&[
        "Build the hook payload",
        "Which hook kind?",
        "After the hook",
    ]);
}

#[tokio::test]
async fn a_failing_before_switchover_hook_means_no_switchover_and_green_kept() {
    let (stack, _) = state_machine().await;
    let id = postgres(stack, "e2ehookbs").await;
    let failing = function_arn(HOOK_FUNCTIONS[1]);

    let run = run(&upgrade(
        &id,
        json!({"beforeSwitchover": {"target": failing, "timeoutSeconds": 60}}),
    ))
    .await;

    assert_hook_failed(&run, "hook-before-switchover");
    run.assert_never(&[
        "Switch over",
        "Notify switchover started",
        "Delete old blue",
    ]);
    // Blue is still production at its version; green is kept, the deployment AVAILABLE.
    let found = instances(stack, &id).await;
    assert!(
        found.contains(&(id.clone(), "15.10".to_owned())),
        "{found:?}"
    );
    let kept = deployments(stack, &id).await;
    assert_eq!(kept.len(), 1, "green is kept");
    assert_eq!(kept[0].status.as_str(), "AVAILABLE");
    // The message names the stage, the database, the hook and the hook's own error.
    assert_says(
        run.body_of("hook-before-switchover"),
        &[
            &id,
            &failing,
            "HookFailed",
            "HookWorkFailed",
            r#"\"action\": \"switchover\""#,
        ],
    );
}

#[tokio::test]
async fn a_failing_after_switchover_runbook_keeps_old_blue() {
    let (stack, _) = state_machine().await;
    let id = postgres(stack, "e2ehookas").await;
    let runbook = automation_runbook(stack, &unique("rds-bluegreen-hook-check")).await;
    stack
        .moto
        .inject(
            &id,
            Fault::AutomationFailed {
                message: "Step fails when it is verifying rows. row count differs".to_owned(),
            },
        )
        .await;

    let run = run(&upgrade(
        &id,
        json!({"afterSwitchover": {"target": runbook, "timeoutSeconds": 120}}),
    ))
    .await;

    assert_hook_failed(&run, "hook-after-switchover");
    run.assert_path(&[
        "Switch over",
        "Verify",
        "Start the automation hook",
        "Hook failed",
    ]);
    run.assert_never(&["Delete old blue", "Wait grace period"]);
    assert_old_blue_kept(stack, &id).await;
    assert_says(
        run.body_of("hook-after-switchover"),
        &[
            "HookFailed",
            "AutomationFailed",
            "row count differs",
            r#"\"action\": \"cleanup\""#,
        ],
    );
}

#[tokio::test]
async fn a_state_machine_hook_that_fails_before_cleanup_keeps_old_blue() {
    let (stack, _) = state_machine().await;
    let id = postgres(stack, "e2ehookbc").await;
    let machine = stack
        .sfn()
        .create_state_machine(
            &unique("rds-bluegreen-hook-final"),
            r#"{"StartAt": "Refuse", "States": {"Refuse": {"Type": "Fail", "Error": "ConnectionsStillOpen", "Cause": "3 sessions still on old blue"}}}"#,
        )
        .await;

    let run = run(&upgrade(&id, json!({"beforeCleanup": {"target": machine}}))).await;

    assert_hook_failed(&run, "hook-before-cleanup");
    run.assert_path(&[
        "Verify",
        "Wait grace period",
        "Run the state machine hook",
        "Hook failed",
    ]);
    run.assert_never(&["Delete old blue"]);
    assert_old_blue_kept(stack, &id).await;
    assert_says(
        run.body_of("hook-before-cleanup"),
        &[
            "HookFailed",
            "ConnectionsStillOpen",
            r#"\"action\": \"cleanup\""#,
        ],
    );
}
