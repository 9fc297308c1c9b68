//! The stack as template.yaml deploys it (`e2e::template_stack`): every rule, target,
//! permission, role and schedule of the template exists once deployed, SAM's generated
//! `Events` rules included, and an execution stopped from outside has its lock released
//! through the rule SAM generates from the release-lock machine's `Events` block (no event
//! built by the test, no machine started by hand).

use std::time::{Duration, Instant};

use crate::e2e_support::request;
use aws_sdk_dynamodb::types::AttributeValue;
use e2e::faults::Fault;
use e2e::moto::unique;
use e2e::seed;
use e2e::template_stack::{template_stack, TemplateStack};
use serde_json::{json, Value};

/// The resources of the translated template, by type, as the stack listed them.
fn deployed_of_type<'a>(stack: &'a TemplateStack, kind: &str) -> Vec<&'a Value> {
    stack.deployed["resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|r| r["type"] == kind)
        .collect()
}

#[tokio::test]
async fn every_resource_of_the_template_is_deployed_with_its_rules_schedules_and_permissions() {
    let stack = template_stack().await;
    assert_eq!(
        stack.deployed["missing"],
        json!([]),
        "resources of the translated template the stack did not create"
    );
    // What moto's CloudFormation cannot create, pinned by name (their policies are evaluated
    // by tests/iam instead: the queue policy, notify's on-failure destination).
    assert_eq!(
        stack.deployed["notModelled"],
        json!([
            "AsyncFailureQueuePolicy (AWS::SQS::QueuePolicy)",
            "NotifyFunctionEventInvokeConfig (AWS::Lambda::EventInvokeConfig)"
        ])
    );

    // Every EventBridge rule (the template's own and those SAM generates from `Events`), with
    // its targets, each target that needs a role given one.
    let rules = stack.deployed["rules"].as_object().expect("rules");
    assert_eq!(
        rules.len(),
        deployed_of_type(stack, "AWS::Events::Rule").len()
    );
    for (name, rule) in rules {
        let targets = rule["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "rule {name} has no target");
        for target in targets {
            let arn = target["Arn"].as_str().unwrap_or_default();
            if arn.starts_with("arn:aws:states:") {
                assert!(
                    target["RoleArn"].as_str().is_some(),
                    "rule {name} starts {arn} with no role"
                );
            }
        }
    }
    // The release-lock machine's generated rule: Step Functions' end events of the product's
    // machine, to the release-lock machine.
    let release_lock = stack.state_machine("ReleaseLockStateMachine");
    let product = stack.state_machine("StateMachine");
    let generated = rules
        .values()
        .find(|r| r["targets"][0]["Arn"] == release_lock)
        .expect("a rule targets the release-lock machine");
    let pattern: Value =
        serde_json::from_str(generated["pattern"].as_str().expect("pattern")).unwrap();
    assert_eq!(pattern["source"], json!(["aws.states"]));
    assert_eq!(pattern["detail"]["stateMachineArn"], json!([product]));

    // Every schedule SAM generates from a ScheduleV2 event, on its state machine with a role,
    // in the state the parameters give (DISABLED by default).
    let schedules = stack.deployed["schedules"].as_object().expect("schedules");
    assert_eq!(
        schedules.len(),
        deployed_of_type(stack, "AWS::Scheduler::Schedule").len()
    );
    assert!(!schedules.is_empty());
    for (name, schedule) in schedules {
        let target = &schedule["target"];
        // The board's schedule reads the lock table for the dashboard (on with the alarms);
        // the state machines' schedules start nothing until a person turns them on.
        let (state, kind) = if name.contains("Board") {
            ("ENABLED", "arn:aws:lambda:")
        } else {
            ("DISABLED", "arn:aws:states:")
        };
        assert_eq!(schedule["state"], state, "{name}");
        assert!(
            target["Arn"].as_str().is_some_and(|a| a.starts_with(kind)),
            "{name}: {target}"
        );
        assert!(target["RoleArn"].as_str().is_some(), "{name}: {target}");
    }

    // Every Lambda permission: EventBridge may invoke notify (the template's own rule).
    assert!(!deployed_of_type(stack, "AWS::Lambda::Permission").is_empty());
    let lambda = aws_sdk_lambda_policy(
        stack,
        &stack.deployed["functions"]["NotifyFunction"]["name"],
    )
    .await;
    assert!(
        lambda.contains("events.amazonaws.com"),
        "notify's resource policy: {lambda}"
    );
}

/// The resource policy of the deployed function `name` (GetPolicy).
async fn aws_sdk_lambda_policy(stack: &TemplateStack, name: &Value) -> String {
    let name = name.as_str().expect("function name");
    let url = format!("{}/2015-03-31/functions/{name}/policy", stack.moto.endpoint);
    let answer: Value = reqwest::Client::new()
        .get(url)
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
        .send()
        .await
        .expect("GetPolicy")
        .json()
        .await
        .expect("GetPolicy JSON");
    answer["Policy"].as_str().unwrap_or_default().to_owned()
}

/// The items of the deployed lock table.
async fn locks(stack: &TemplateStack) -> Vec<String> {
    let out = stack
        .moto
        .dynamodb()
        .scan()
        .table_name(stack.output("LockTableName"))
        .consistent_read(true)
        .send()
        .await
        .expect("scan the lock table");
    out.items()
        .iter()
        .map(|item| {
            let mut attrs: Vec<String> = item
                .iter()
                .map(|(k, v)| match v {
                    AttributeValue::S(s) => format!("{k}={s}"),
                    other => format!("{k}={other:?}"),
                })
                .collect();
            attrs.sort();
            attrs.join(" ")
        })
        .collect()
}

/// An SQS queue subscribed (raw delivery) to the deployed topic; its URL.
async fn subscribe_a_queue(stack: &TemplateStack) -> String {
    let config = stack.moto.sdk_config(e2e::moto::REGION);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name(unique("template-topic"))
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|mut a| a.remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("queue arn");
    aws_sdk_sns::Client::new(&config)
        .subscribe()
        .topic_arn(stack.output("TopicArn"))
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("subscribe");
    queue_url
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done().await {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_execution_stopped_from_outside_is_released_through_the_rule_sam_generates() {
    let stack = template_stack().await;
    let id = unique("e2etplstop");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    // Green reads PROVISIONING until the test lets it go: the execution holds the lock while
    // it waits.
    stack
        .moto
        .inject(
            &id,
            Fault::Provisioning {
                describes: u32::MAX,
            },
        )
        .await;
    let input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "targetDbClusterParameterGroupName": format!("{id}-cpg")}),
    );
    let queue_url = subscribe_a_queue(stack).await;
    let sfn = stack.sfn();
    let execution = sfn
        .start(stack.state_machine("StateMachine"), &unique(&id), &input)
        .await;
    wait_for(
        "the execution takes the lock",
        Duration::from_secs(120),
        async || locks(stack).await.iter().any(|l| l.contains(&execution)),
    )
    .await;

    sfn.call(
        "StopExecution",
        json!({"executionArn": execution, "error": "Operator", "cause": "stopped from outside"}),
    )
    .await;
    let stopped = sfn.wait(&execution, Duration::from_secs(60)).await;
    assert_eq!(stopped.status, "ABORTED");
    stack.moto.clear_faults(&id).await;
    assert!(
        !stopped.states.iter().any(|s| s.starts_with("Release")),
        "no state of the stopped execution released the lock: {:?}",
        stopped.states
    );

    // Step Functions' ABORTED event -> the rule SAM generated -> the release-lock machine.
    wait_for(
        "the generated rule's release-lock execution frees the lock",
        Duration::from_secs(60),
        async || !locks(stack).await.iter().any(|l| l.contains(&execution)),
    )
    .await;

    // The same event -> the template's own ExecutionEndedRule -> notify (allowed by the
    // template's permission) -> the template's topic: a human is told.
    let mut told = Vec::new();
    wait_for(
        "notify, through the template's rule, tells a human",
        Duration::from_secs(60),
        async || {
            told.extend(seed::drain_queue(&stack.moto, &queue_url).await);
            told.iter().any(|m| m.body.contains(&id))
        },
    )
    .await;

    // The release-lock machine is started by its two generated rules only: the execution-ended
    // pattern (this machine's failed or stopped ends) and the reaper's schedule, which matches
    // no event (PutRule: a rule with a ScheduleExpression self-triggers on its schedule).
    let release = stack.state_machine("ReleaseLockStateMachine");
    let started = sfn
        .call("ListExecutions", json!({"stateMachineArn": release}))
        .await;
    let runs = started["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!runs.is_empty(), "the release-lock machine ran");
    for run in runs {
        let arn = run["executionArn"].as_str().expect("an execution ARN");
        let described = sfn
            .call("DescribeExecution", json!({"executionArn": arn}))
            .await;
        let input: Value =
            serde_json::from_str(described["input"].as_str().unwrap_or("{}")).expect("JSON input");
        let reaper = input == json!({"reap": true});
        let ended_here = input["source"] == "aws.states"
            && input["detail"]["stateMachineArn"] == stack.state_machine("StateMachine")
            && ["FAILED", "TIMED_OUT", "ABORTED"]
                .contains(&input["detail"]["status"].as_str().unwrap_or_default());
        assert!(
            reaper || ended_here,
            "a release-lock execution started by another event: {input}"
        );
    }
}
