//! The product's state machine with the real functions against the emulator where it is as
//! unkind as AWS (tests/tools/moto_patches/, docs/emulator.md): a switchover RDS rolls back,
//! and CreateBlueGreenDeployment refusing the source. Each ends as a product error that says what happened, what is left and what to
//! do, and deletes nothing.

use crate::e2e_support::{clusters, deployments, ids, instances, request, run, state_machine, Run};
use bluegreen::aws::deployment::DeploymentStatus;
use e2e::faults::Fault;
use e2e::seed;
use serde_json::json;

const AURORA_TARGET: &str = "8.0.mysql_aurora.3.08.0";
const AURORA_SOURCE: &str = "8.0.mysql_aurora.3.05.2";

/// The execution failed with `error` at `stage`, whose failure notification (the only one)
/// and the cause both contain every one of `words`.
fn assert_failed_with(run: &Run, error: &str, stage: &str, words: &[&str]) {
    run.assert_failed_at(error, stage);
    let cause = run.execution.cause.as_deref().unwrap_or_default();
    let body = run.body_of(stage);
    for word in words {
        assert!(cause.contains(word), "cause lacks `{word}`: {cause}");
        assert!(body.contains(word), "notification lacks `{word}`: {body}");
    }
}

/// API_SwitchoverBlueGreenDeployment: past SwitchoverTimeout RDS rolls everything back; the
/// deployment is AVAILABLE again and RDS-EVENT-0249 is recorded. The product says so
/// (SwitchoverRolledBack) instead of waiting for a switchover that will not come.
#[tokio::test]
async fn a_rolled_back_switchover_is_reported_with_production_unchanged_and_green_kept() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2erollback");
    seed::aurora_mysql(&stack.moto, &id, 1).await;
    stack
        .moto
        .inject(
            &id,
            Fault::SwitchoverRolledBack {
                details: Some("replica lag".into()),
            },
        )
        .await;

    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        // RDS rolls back when the timeout passes: 900 s, 9 s scaled, so the execution polls
        // "in progress" at least once even on a loaded machine (60 s, 0.6 s scaled, did not).
        json!({"targetEngineVersion": AURORA_TARGET, "switchoverTimeoutSeconds": 900}),
    ))
    .await;

    assert_failed_with(
        &run,
        "SwitchoverRolledBack",
        "switchover-completed",
        &[
            "rolled back",
            "RDS-EVENT-0249",
            &format!("production {id} is unchanged"),
            "is kept",
            "start an execution with the same input",
            "abandon",
        ],
    );
    run.assert_path(&[
        "Switch over",
        "Notify switchover started",
        "Wait for switchover",
        "Poll switchover",
    ]);
    run.assert_never(&["Verify", "Delete old blue", "Notify switchover completed"]);
    assert!(
        run.task_errors().iter().all(|e| e != "WaitTimedOut"),
        "{:?}",
        run.task_errors()
    );
    // Production is blue, unrenamed, at its version; green is still there, ready to retry.
    let found = clusters(stack, &id).await;
    assert!(
        found.contains(&(id.clone(), AURORA_SOURCE.to_owned())),
        "{found:?}"
    );
    assert!(
        ids(&found)
            .iter()
            .chain(ids(&instances(stack, &id).await).iter())
            .all(|n| !n.contains("-old")),
        "{found:?}"
    );
    let kept = deployments(stack, &id).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, DeploymentStatus::Available);
    assert!(
        found.contains(&(kept[0].target_name().to_owned(), AURORA_TARGET.to_owned())),
        "green kept: {found:?}"
    );
}

/// CreateBlueGreenDeployment's documented refusals (API_CreateBlueGreenDeployment, Errors)
/// end the run at green-creating with AWS's code, AWS's message and the product's fix, and
/// nothing is created.
async fn refused(run: &Run, id: &str, code: &str, words: &[&str]) {
    let (stack, _) = state_machine().await;
    let mut all = vec!["AwsCallFailed", "CreateBlueGreenDeployment", code, "Fix: "];
    all.extend_from_slice(words);
    assert_failed_with(run, "AwsCallFailed", "green-creating", &all);
    run.assert_never(&["Notify green creating", "Poll green"]);
    assert!(deployments(stack, id).await.is_empty(), "nothing created");
}

#[tokio::test]
async fn a_source_rds_does_not_support_is_refused_at_create() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2enotsupp");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    stack
        .moto
        .inject(
            &id,
            Fault::CreateRefused {
                reason: "source-not-supported".into(),
            },
        )
        .await;
    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    refused(
        &run,
        &id,
        "SourceClusterNotSupportedFault",
        &["isn't supported for a blue/green deployment", "dry-run"],
    )
    .await;
}

#[tokio::test]
async fn an_inaccessible_kms_key_is_refused_at_create() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2ekms");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    stack
        .moto
        .inject(
            &id,
            Fault::CreateRefused {
                reason: "kms-key-not-accessible".into(),
            },
        )
        .await;
    let run = run(&request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    ))
    .await;
    refused(&run, &id, "KMSKeyNotAccessibleFault", &["KMS key"]).await;
}

/// terraform-provider-aws #49132: without a target parameter group green gets the default
/// one, and RDS refuses a MySQL source whose lower_case_table_names it would change.
#[tokio::test]
async fn a_lower_case_table_names_change_is_refused_at_create() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2elctn");
    seed::rds_instance(&stack.moto, &id, "mysql", "8.0.36").await;
    stack
        .moto
        .rds()
        .modify_db_parameter_group()
        .db_parameter_group_name(format!("{id}-pg"))
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("lower_case_table_names")
                .parameter_value("1")
                .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .expect("set lower_case_table_names on blue's group");
    let run = run(&request(
        "upgrade",
        &id,
        "mysql",
        json!({"targetEngineVersion": "8.0.40"}),
    ))
    .await;
    refused(
        &run,
        &id,
        "SourceDatabaseNotSupportedFault",
        &["lower_case_table_names", "targetDbParameterGroupName"],
    )
    .await;
}

/// Lambda stops a function at its template `Timeout` and reports `Sandbox.Timedout` ("Troubleshoot
/// invocation issues in Lambda"), even right after the function changed something: here create
/// times out just after CreateBlueGreenDeployment returned. The run fails at green-creating
/// with that error, the deployment it made stays, and the same input started again resumes it
/// (create adopts it: RDS has no client token, a second create would fail on the name) and
/// finishes with one deployment, not two.
#[tokio::test]
async fn a_timeout_right_after_create_is_resumed_without_a_second_deployment() {
    let (stack, _) = state_machine().await;
    let id = e2e::moto::unique("e2etimeout");
    seed::aurora_mysql(&stack.moto, &id, 0).await;
    stack
        .moto
        .inject(
            &id,
            Fault::LambdaTimeout {
                function: "create".into(),
                times: 1,
            },
        )
        .await;
    let input = request(
        "upgrade",
        &id,
        "aurora-mysql",
        json!({"targetEngineVersion": AURORA_TARGET}),
    );

    let first = run(&input).await;
    first.assert_failed_at("Sandbox.Timedout", "green-creating");
    assert!(
        first
            .body_of("green-creating")
            .contains("Task timed out after 60.00 seconds"),
        "the template's Timeout of create: {}",
        first.body_of("green-creating")
    );
    let made = deployments(stack, &id).await;
    assert_eq!(made.len(), 1, "the timed-out call did create green");

    let second = run(&input).await;
    second.assert_succeeded();
    let created: Vec<serde_json::Value> = second
        .execution
        .events
        .iter()
        .filter(|e| e["stateExitedEventDetails"]["name"] == "Create green")
        .filter_map(|e| serde_json::from_str(e["stateExitedEventDetails"]["output"].as_str()?).ok())
        .collect();
    assert_eq!(created.len(), 1, "{:?}", second.states());
    assert_eq!(created[0]["deployment"]["adopted"], true, "{}", created[0]);
    assert_eq!(created[0]["deployment"]["id"], made[0].id.as_str());
}

/// A member account whose roles trust another hub (another external id): STS refuses the
/// AssumeRole (moto_patches/sts_trust.py; IAM User Guide "Access to AWS accounts owned by
/// third parties"). The Rust SDK reports that as a dispatch failure of the first RDS call; the
/// product classifies it by its source: the run fails at once at the precheck with
/// `AwsCallFailed` `AccessDenied` and the member-account fix, with no retry.
#[tokio::test]
async fn a_member_account_that_does_not_trust_the_hub_fails_at_once_with_the_fix() {
    let (stack, _) = state_machine().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let account = format!("32{nanos:010}");
    e2e::member_accounts::deploy(&stack.moto, "another-hubs-external-id", &[&account], &[]);
    let id = e2e::moto::unique("e2euntrusted");
    let admin = stack
        .moto
        .sdk_config_in(&account, e2e::moto::REGION, "OrganizationAccountAccessRole")
        .await;
    seed::rds_instance_with(&aws_sdk_rds::Client::new(&admin), &id, "mysql", "8.0.36", 7).await;
    let mut input = request(
        "upgrade",
        &id,
        "mysql",
        json!({"targetEngineVersion": "8.0.40"}),
    );
    input["target"]["accountId"] = json!(account);
    input["target"]["roleArn"] = json!(format!("arn:aws:iam::{account}:role/rds-bluegreen"));

    let run = run(&input).await;

    assert_failed_with(
        &run,
        "AwsCallFailed",
        "precheck-report",
        &[
            "AccessDenied",
            "rds-bluegreen-read",
            "member-account.yaml",
            "external id",
        ],
    );
    assert_eq!(
        run.task_errors(),
        ["AwsCallFailed"],
        "refused once, not retried"
    );
}
