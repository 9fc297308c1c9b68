//! Every guard of delete-old that moto can set up: each shows the refusal (`UnsafeToDelete`
//! naming the reason) and that nothing was deleted. Abandon removes green only.
//! (Guards moto cannot set up are unit tests in shared/src/steps/delete_old.rs.)

use bluegreen::aws::{database, deployment};
use bluegreen::steps::{create, delete_old, switchover};
use e2e::faults::Fault;
use e2e::moto::{moto, unique};
use e2e::seed;
use serde_json::{json, Value};

fn request(identifier: &str, extra: Value) -> Value {
    let mut options =
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "gracePeriodSeconds": 0});
    options
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    json!({"target": {"region": e2e::moto::REGION, "identifier": identifier, "engine": "aurora-mysql"}, "options": options})
}

/// What exists for a database: clusters, instances and deployments whose names start with it.
async fn inventory(id: &str) -> (Vec<String>, Vec<String>, usize) {
    let rds = moto().rds();
    let mut clusters: Vec<String> = rds
        .describe_db_clusters()
        .send()
        .await
        .unwrap()
        .db_clusters()
        .iter()
        .filter_map(|c| c.db_cluster_identifier())
        .filter(|n| n.starts_with(id))
        .map(str::to_owned)
        .collect();
    let mut instances: Vec<String> = rds
        .describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
        .iter()
        .filter_map(|i| i.db_instance_identifier())
        .filter(|n| n.starts_with(id))
        .map(str::to_owned)
        .collect();
    clusters.sort();
    instances.sort();
    let deployments = deployment::list(&rds)
        .await
        .unwrap()
        .iter()
        .filter(|d| d.source_name().starts_with(id))
        .count();
    (clusters, instances, deployments)
}

/// A cluster with a deployment; switched over when `switch` is set.
async fn deployed(prefix: &str, switch: bool) -> (String, Value) {
    let id = unique(prefix);
    seed::aurora_mysql(moto(), &id, 1).await;
    let req = request(&id, json!({}));
    create::handle(json!({"request": req}), &moto().factory())
        .await
        .unwrap();
    if switch {
        let a = serde_json::to_value(
            switchover::handle(
                json!({"operation": "switchover", "request": req}),
                &moto().factory(),
            )
            .await
            .unwrap(),
        )
        .unwrap();
        assert_eq!(a["action"], "switchover-requested");
    }
    (id, req)
}

async fn cleanup(req: &Value) -> Result<Value, bluegreen::Error> {
    delete_old::handle(
        json!({"operation": "cleanup", "request": req}),
        &moto().factory(),
    )
    .await
    .map(|a| serde_json::to_value(a).unwrap())
}

#[tokio::test]
async fn cleanup_before_switchover_is_refused() {
    let (id, req) = deployed("guardpre", false).await;
    let before = inventory(&id).await;
    let err = cleanup(&req).await.unwrap_err();
    assert_eq!(err.name(), "UnsafeToDelete");
    assert!(
        err.to_string().contains("not SWITCHOVER_COMPLETED"),
        "{err}"
    );
    assert_eq!(inventory(&id).await, before, "nothing deleted");
}

#[tokio::test]
async fn cleanup_for_another_database_is_refused() {
    let (a, a_req) = deployed("guarda", true).await;
    let b = unique("guardb");
    seed::aurora_mysql(moto(), &b, 0).await;
    // B's execution names A's deployment: A's old blue must not be deleted on B's behalf.
    let a_name = deployment::list(&moto().rds())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.target_name() == a)
        .unwrap()
        .name;
    let before = inventory(&a).await;
    let err = cleanup(&request(&b, json!({"deploymentName": a_name})))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "UnsafeToDelete");
    assert!(err.to_string().contains(&format!("not {b}")), "{err}");
    assert_eq!(inventory(&a).await, before, "nothing of A deleted");
    assert!(database::describe_cluster(&moto().rds(), &b)
        .await
        .unwrap()
        .is_some());
    drop(a_req);
}

#[tokio::test]
async fn deletion_protection_on_old_blue_is_never_turned_off() {
    let (id, req) = deployed("guardprot", true).await;
    let old = format!("{id}-old1");
    moto()
        .rds()
        .modify_db_cluster()
        .db_cluster_identifier(&old)
        .deletion_protection(true)
        .send()
        .await
        .unwrap();
    let before = inventory(&id).await;
    let err = cleanup(&req).await.unwrap_err();
    assert_eq!(err.name(), "UnsafeToDelete");
    assert!(err.to_string().contains("deletion protection"), "{err}");
    assert_eq!(inventory(&id).await, before, "nothing deleted");
    let cluster = database::describe_cluster(&moto().rds(), &old)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        cluster.deletion_protection(),
        Some(true),
        "protection left on"
    );
}

#[tokio::test]
async fn abandon_after_switchover_is_refused() {
    let (id, req) = deployed("guardab", true).await;
    let before = inventory(&id).await;
    let err = delete_old::handle(
        json!({"operation": "abandon", "request": req}),
        &moto().factory(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "UnsafeToDelete");
    assert!(err.to_string().contains("SWITCHOVER_COMPLETED"), "{err}");
    assert_eq!(
        inventory(&id).await,
        before,
        "production and old blue intact"
    );
}

#[tokio::test]
async fn abandon_before_switchover_removes_green_only() {
    let (id, req) = deployed("abandon", false).await;
    let (clusters, instances, deployments) = inventory(&id).await;
    assert_eq!(
        (clusters.len(), instances.len(), deployments),
        (2, 4, 1),
        "blue and green exist"
    );
    let first = serde_json::to_value(
        delete_old::handle(
            json!({"operation": "abandon", "request": req}),
            &moto().factory(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(first["state"], "in-progress");
    let deployment = first["deployment"].clone();
    let second = serde_json::to_value(
        delete_old::handle(
            json!({"operation": "abandon", "request": req, "deployment": deployment}),
            &moto().factory(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(second["state"], "done");
    assert_eq!(
        inventory(&id).await,
        (
            vec![id.clone()],
            vec![format!("{id}-0"), format!("{id}-1")],
            0
        ),
        "blue untouched, green and the deployment gone"
    );
}

#[tokio::test]
async fn a_transient_delete_failure_is_retryable_and_the_rerun_finishes() {
    let (id, req) = deployed("guardretry", true).await;
    moto()
        .inject(
            &id,
            Fault::fail("DeleteDBCluster", "InvalidDBClusterStateFault", 1),
        )
        .await;
    let mut poll = json!({"attempt": 0});
    let mut failures = 0;
    for _ in 0..10 {
        match delete_old::handle(
            json!({"operation": "cleanup", "request": req, "poll": poll}),
            &moto().factory(),
        )
        .await
        {
            Ok(a) => {
                let a = serde_json::to_value(a).unwrap();
                if a["state"] == "done" {
                    break;
                }
                poll = json!({"attempt": a["attempt"]});
            }
            Err(e) => {
                assert_eq!(e.name(), "Retryable", "{e}");
                failures += 1;
            }
        }
    }
    assert_eq!(failures, 1);
    assert_eq!(
        inventory(&id).await,
        (
            vec![id.clone()],
            vec![format!("{id}-0"), format!("{id}-1")],
            0
        )
    );
}

#[tokio::test]
async fn switchover_waits_for_a_green_member_in_storage_optimization() {
    let (id, req) = deployed("gate", false).await;
    moto()
        .inject(&id, Fault::green_status("storage-optimization", 1))
        .await;
    let first = serde_json::to_value(
        switchover::handle(
            json!({"operation": "switchover", "request": req}),
            &moto().factory(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(first["action"], "waiting-for-green", "{first:#}");
    assert!(first["detail"]
        .as_str()
        .unwrap()
        .contains("storage-optimization"));
    assert!(
        database::describe_cluster(&moto().rds(), &format!("{id}-old1"))
            .await
            .unwrap()
            .is_none(),
        "not switched yet"
    );
    let second = serde_json::to_value(switchover::handle(json!({"operation": "switchover", "request": req, "poll": {"attempt": first["attempt"]}}), &moto().factory()).await.unwrap()).unwrap();
    assert_eq!(second["action"], "switchover-requested");
}
