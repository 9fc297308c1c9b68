//! Each fault the test server can inject (`e2e::faults`) has its effect, only on the database
//! it is keyed to. A fault stands for what AWS does that moto cannot derive from its own state
//! (a slow green, a failed switchover, a throttled call); the AWS behaviour each kind follows,
//! and its source, are in tests/tools/moto_patches/faults.py and docs/emulator.md.

use crate::harness_support::*;
use bluegreen::aws::deployment::DeploymentStatus;
use e2e::faults::Fault;
use e2e::moto::{moto, unique};
use e2e::seed;

/// A seeded Aurora cluster with one reader and its deployment (created after `fault`).
async fn cluster_with_deployment(prefix: &str, fault: Option<Fault>) -> (String, String) {
    let moto = moto();
    let id = unique(prefix);
    seed::aurora_mysql(moto, &id, 1).await;
    if let Some(fault) = fault {
        moto.inject(&id, fault).await;
    }
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        &cluster_arn(moto, &id).await,
        None,
        None,
        None,
    )
    .await;
    (id, bg)
}

async fn status(bg: &str) -> String {
    read_deployment(moto(), bg)
        .await
        .expect("deployment")
        .status
        .to_string()
}

#[tokio::test]
async fn provisioning_lasts_the_given_describes_and_blocks_switchover() {
    let (id, bg) =
        cluster_with_deployment("hf-prov", Some(Fault::Provisioning { describes: 2 })).await;
    let first = read_deployment(moto(), &bg).await.unwrap();
    assert_eq!(first.status, DeploymentStatus::Provisioning);
    assert!(
        first.tasks.iter().all(|t| t.status == "IN_PROGRESS"),
        "{:?}",
        first.tasks
    );
    let refused = moto()
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "InvalidBlueGreenDeploymentStateFault");
    assert_eq!(status(&bg).await, "PROVISIONING");
    let ready = read_deployment(moto(), &bg).await.unwrap();
    assert_eq!(ready.status, DeploymentStatus::Available);
    assert!(ready.tasks.iter().all(|t| t.status == "COMPLETED"));
    assert!(
        moto().faults(&id).await.is_empty(),
        "a used-up fault is removed"
    );
}

#[tokio::test]
async fn invalid_configuration_reports_the_details() {
    let (id, bg) = cluster_with_deployment("hf-invalid", None).await;
    let details = "Replication to green stopped: binlog position lost";
    moto()
        .inject(
            &id,
            Fault::InvalidConfiguration {
                details: details.into(),
            },
        )
        .await;
    for _ in 0..2 {
        let d = read_deployment(moto(), &bg).await.unwrap();
        assert_eq!(d.status, DeploymentStatus::InvalidConfiguration);
        assert_eq!(d.status_details.as_deref(), Some(details));
    }
    assert_eq!(moto().clear_faults(&id).await, 1);
}

#[tokio::test]
async fn switchover_failed_renames_nothing() {
    let (id, bg) = cluster_with_deployment("hf-swfail", None).await;
    let blue_resource = cluster(moto(), &id).await.unwrap().db_cluster_resource_id;
    let green = read_deployment(moto(), &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    moto()
        .inject(
            &id,
            Fault::SwitchoverFailed {
                details: Some("Switchover timed out".into()),
            },
        )
        .await;

    moto()
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("switchover accepted");

    let d = read_deployment(moto(), &bg).await.unwrap();
    assert_eq!(d.status, DeploymentStatus::SwitchoverFailed);
    assert_eq!(d.status_details.as_deref(), Some("Switchover timed out"));
    assert!(d.members.iter().all(|m| m.status == "SWITCHOVER_FAILED"));
    assert_eq!(d.source_name(), id);
    assert_eq!(d.target_name(), green);
    assert_eq!(
        cluster(moto(), &id).await.unwrap().db_cluster_resource_id,
        blue_resource,
        "production is still blue"
    );
    assert!(cluster(moto(), &format!("{id}-old1")).await.is_none());
    assert_eq!(cluster_instance_ids(moto(), &green).await.len(), 2);
}

#[tokio::test]
async fn a_green_instance_stays_in_storage_optimization_for_the_given_describes() {
    let (id, bg) = cluster_with_deployment("hf-storage", None).await;
    // Green's build done first: its end (on the emulated clock) sets green's instances
    // available, which on a loaded machine could land after the fault's status.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while status(&bg).await != "AVAILABLE" {
        assert!(
            std::time::Instant::now() < deadline,
            "green never got ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let green = read_deployment(moto(), &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    moto()
        .inject(
            &id,
            Fault::GreenInstanceStatus {
                status: "storage-optimization".into(),
                describes: 2,
                instance: Some(format!("{id}-1")),
            },
        )
        .await;
    let reader = cluster_instance_ids(moto(), &green)
        .await
        .into_iter()
        .find(|g| g.starts_with(&format!("{id}-1-green-")))
        .unwrap();
    let writer = cluster_instance_ids(moto(), &green)
        .await
        .into_iter()
        .find(|g| g.starts_with(&format!("{id}-0-green-")))
        .unwrap();
    // The two listings above were the two describes.
    let refused = moto()
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "InvalidBlueGreenDeploymentStateFault");
    assert!(
        refused.to_string().contains("storage-optimization")
            || format!("{refused:?}").contains("storage-optimization")
    );
    assert_eq!(
        instance(moto(), &reader)
            .await
            .unwrap()
            .db_instance_status
            .as_deref(),
        Some("available")
    );
    assert_eq!(
        instance(moto(), &writer)
            .await
            .unwrap()
            .db_instance_status
            .as_deref(),
        Some("available")
    );
    moto()
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("switchover once ready");
}

#[tokio::test]
async fn green_status_counts_each_describe_of_the_instance() {
    let (id, bg) = cluster_with_deployment("hf-storage2", None).await;
    let writer = green_writer(&bg).await;
    moto()
        .inject(&id, Fault::green_status("storage-optimization", 2))
        .await;
    let seen: Vec<Option<String>> = statuses(&writer, 3).await;
    assert_eq!(
        seen,
        vec![
            Some("storage-optimization".into()),
            Some("storage-optimization".into()),
            Some("available".into())
        ]
    );
}

#[tokio::test]
async fn unfiltered_listings_see_a_fault_but_do_not_use_it_up() {
    let (id, bg) =
        cluster_with_deployment("hf-list", Some(Fault::Provisioning { describes: 2 })).await;
    // Reading green's name is the first of the two describes.
    let writer = green_writer(&bg).await;
    moto()
        .inject(&id, Fault::green_status("storage-optimization", 1))
        .await;
    for _ in 0..3 {
        assert_eq!(
            listed(&writer, &bg).await,
            ("storage-optimization".into(), "PROVISIONING".into())
        );
    }
    // Each fault's last describe, by name: used up, not yet ended.
    assert_eq!(
        statuses(&writer, 1).await,
        vec![Some("storage-optimization".into())]
    );
    assert_eq!(status(&bg).await, "PROVISIONING");
    // A listing now neither ends them (it raced a test's switchover into success, CI) ...
    assert_eq!(
        listed(&writer, &bg).await,
        ("storage-optimization".into(), "PROVISIONING".into())
    );
    // ... and the next describe by name does.
    assert_eq!(statuses(&writer, 1).await, vec![Some("available".into())]);
    assert_eq!(status(&bg).await, "AVAILABLE");
}

/// What another test's inventory on the shared server sees: the status of `instance` and of
/// deployment `bg` in unfiltered listings.
async fn listed(instance: &str, bg: &str) -> (String, String) {
    let rds = moto().rds();
    let all = rds.describe_db_instances().send().await.unwrap();
    let instance = all
        .db_instances()
        .iter()
        .find(|i| i.db_instance_identifier() == Some(instance))
        .expect("instance listed")
        .db_instance_status()
        .unwrap_or_default()
        .to_owned();
    let deployments = rds.describe_blue_green_deployments().send().await.unwrap();
    let deployment = deployments
        .blue_green_deployments()
        .iter()
        .find(|d| d.blue_green_deployment_identifier() == Some(bg))
        .expect("deployment listed")
        .status()
        .unwrap_or_default()
        .to_owned();
    (instance, deployment)
}

/// The first instance of the deployment's green cluster (reading it is one describe).
async fn green_writer(bg: &str) -> String {
    let green = read_deployment(moto(), bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    cluster_instance_ids(moto(), &green).await.remove(0)
}

async fn statuses(instance_id: &str, n: usize) -> Vec<Option<String>> {
    let mut seen = Vec::new();
    for _ in 0..n {
        seen.push(
            instance(moto(), instance_id)
                .await
                .unwrap()
                .db_instance_status,
        );
    }
    seen
}

#[tokio::test]
async fn fail_action_fails_the_next_calls_naming_the_database_only() {
    let moto = moto();
    let id = unique("hf-fail");
    let other = unique("hf-fail-other");
    seed::aurora_mysql(moto, &id, 0).await;
    seed::aurora_mysql(moto, &other, 0).await;
    moto.inject(
        &id,
        Fault::fail("StopDBCluster", "InvalidDBClusterStateFault", 2),
    )
    .await;

    for _ in 0..2 {
        let err = moto
            .rds()
            .stop_db_cluster()
            .db_cluster_identifier(&id)
            .send()
            .await
            .unwrap_err();
        assert!(
            err.as_service_error()
                .is_some_and(|e| e.is_invalid_db_cluster_state_fault()),
            "a typed SDK error: {err:?}"
        );
    }
    moto.rds()
        .stop_db_cluster()
        .db_cluster_identifier(&other)
        .send()
        .await
        .expect("another database is not affected");
    moto.rds()
        .stop_db_cluster()
        .db_cluster_identifier(&id)
        .send()
        .await
        .expect("the third call succeeds");
    assert!(moto.faults(&id).await.is_empty());
}

#[tokio::test]
async fn fail_action_matches_a_deployment_id_to_its_database() {
    let (id, bg) = cluster_with_deployment("hf-fail-bg", None).await;
    moto()
        .inject(
            &id,
            Fault::FailAction {
                action: "SwitchoverBlueGreenDeployment".into(),
                code: "InvalidBlueGreenDeploymentStateFault".into(),
                message: Some("green is rebooting".into()),
                times: 1,
            },
        )
        .await;
    let err = moto()
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .unwrap_err();
    // Not a throttling code: the SDK would retry that by itself and hide a single failure.
    assert_eq!(code(&err), "InvalidBlueGreenDeploymentStateFault");
    assert_eq!(
        aws_sdk_rds::error::ProvideErrorMetadata::message(&err),
        Some("green is rebooting")
    );
    assert_eq!(status(&bg).await, "AVAILABLE", "nothing happened");
    moto()
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(status(&bg).await, "SWITCHOVER_COMPLETED");
}

#[tokio::test]
async fn an_unknown_fault_kind_is_refused_by_the_server() {
    let response = reqwest::Client::new()
        .post(format!("{}/moto-api/faults", moto().endpoint))
        .json(&serde_json::json!({"kind": "slow-everything", "key": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("unknown fault kind"));
}

/// `create-refused` refuses the next CreateBlueGreenDeployment of its database only, once,
/// with the fault AWS documents for the reason (API_CreateBlueGreenDeployment, Errors; the
/// source's type picks SourceClusterNotSupportedFault for a cluster).
#[tokio::test]
async fn create_refused_refuses_the_next_create_of_its_database_once() {
    let moto = moto();
    let (refused, other) = (unique("hf-refused"), unique("hf-other"));
    seed::aurora_mysql(moto, &refused, 0).await;
    seed::aurora_mysql(moto, &other, 0).await;
    for (reason, code) in [
        ("source-not-supported", "SourceClusterNotSupportedFault"),
        ("kms-key-not-accessible", "KMSKeyNotAccessibleFault"),
    ] {
        moto.inject(
            &refused,
            Fault::CreateRefused {
                reason: reason.into(),
            },
        )
        .await;
        let other_bg = create_named(&other, reason)
            .await
            .expect("another database is not refused");
        let err = create_named(&refused, reason).await.unwrap_err();
        assert_eq!(code_of(&err), code);
        assert!(moto.faults(&refused).await.is_empty(), "used up");
        let id = other_bg
            .blue_green_deployment
            .unwrap()
            .blue_green_deployment_identifier
            .unwrap();
        moto.rds()
            .delete_blue_green_deployment()
            .blue_green_deployment_identifier(id)
            .delete_target(true)
            .send()
            .await
            .unwrap();
    }
    let arn = cluster_arn(moto, &refused).await;
    moto.rds()
        .create_blue_green_deployment()
        .blue_green_deployment_name(format!("{refused}-after"))
        .source(arn)
        .send()
        .await
        .expect("the next create goes through");
}

async fn create_named(
    id: &str,
    suffix: &str,
) -> Result<
    aws_sdk_rds::operation::create_blue_green_deployment::CreateBlueGreenDeploymentOutput,
    aws_sdk_rds::error::SdkError<
        aws_sdk_rds::operation::create_blue_green_deployment::CreateBlueGreenDeploymentError,
        aws_sdk_rds::config::http::HttpResponse,
    >,
> {
    let arn = cluster_arn(moto(), id).await;
    moto()
        .rds()
        .create_blue_green_deployment()
        .blue_green_deployment_name(format!("{id}-{suffix}"))
        .source(arn)
        .send()
        .await
}

fn code_of<E: aws_sdk_rds::error::ProvideErrorMetadata>(
    err: &aws_sdk_rds::error::SdkError<E, aws_sdk_rds::config::http::HttpResponse>,
) -> String {
    err.as_service_error().map(code).unwrap_or_default()
}
