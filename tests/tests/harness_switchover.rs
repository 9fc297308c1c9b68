//! moto's Blue/Green switchover and deletion, patched to behave like AWS
//! (`tests/tools/moto_patches/`): every blue member is renamed `-oldN`, green takes the
//! production names, resource ids stay with the resources, and DeleteTarget is refused once
//! green is production.

mod harness_support;

use e2e::moto::{moto, unique};
use e2e::seed;
use harness_support::*;

const TARGET_VERSION: &str = "8.0.mysql_aurora.3.08.0";

#[tokio::test]
async fn aurora_switchover_renames_every_member_and_keeps_resource_ids() {
    let moto = moto();
    let id = unique("hsw-aurora");
    seed::aurora_mysql(moto, &id, 1).await;
    seed::cluster_parameter_group(
        moto,
        &format!("{id}-cpg-new"),
        "aurora-mysql8.0",
        &[("binlog_format", "ROW")],
    )
    .await;
    seed::parameter_group(moto, &format!("{id}-pg-new"), "aurora-mysql8.0", &[]).await;
    let blue_arn = cluster_arn(moto, &id).await;
    let blue_resource_id = cluster(moto, &id)
        .await
        .unwrap()
        .db_cluster_resource_id
        .unwrap();
    let blue_writer_dbi = instance(moto, &format!("{id}-0"))
        .await
        .unwrap()
        .dbi_resource_id
        .unwrap();

    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        &blue_arn,
        Some(TARGET_VERSION),
        Some(&format!("{id}-cpg-new")),
        Some(&format!("{id}-pg-new")),
    )
    .await;
    let before = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(before.status, "AVAILABLE");
    assert_eq!(
        before.members.len(),
        3,
        "the cluster and its two instances: {:?}",
        before.members
    );
    let green = cluster(moto, before.target_name()).await.unwrap();
    assert_eq!(green.engine_version.as_deref(), Some(TARGET_VERSION));
    assert_eq!(
        green.db_cluster_parameter_group.as_deref(),
        Some(format!("{id}-cpg-new").as_str())
    );
    let green_resource_id = green.db_cluster_resource_id.clone().unwrap();
    let green_ids = cluster_instance_ids(moto, before.target_name()).await;
    assert_eq!(green_ids.len(), 2);
    let green_writer = instance(moto, &green_ids[0]).await.unwrap();
    assert_eq!(
        green_writer.db_parameter_groups()[0]
            .db_parameter_group_name
            .as_deref(),
        Some(format!("{id}-pg-new").as_str())
    );
    let green_writer_dbi = green_writer.dbi_resource_id.unwrap();
    assert_ne!(
        green_writer_dbi, blue_writer_dbi,
        "every instance has its own DbiResourceId"
    );

    moto.rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("switchover");

    let after = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(after.status, "SWITCHOVER_COMPLETED");
    assert_eq!(
        after.source_arn,
        blue_arn.replace(&format!(":{id}"), &format!(":{id}-old1"))
    );
    assert_eq!(after.target_arn, blue_arn);
    assert_eq!(after.members.len(), 3);
    assert!(
        after
            .members
            .iter()
            .all(|m| m.status == "SWITCHOVER_COMPLETED"),
        "{:?}",
        after.members
    );
    assert!(after
        .members
        .iter()
        .any(|m| m.source.ends_with(&format!(":db:{id}-1-old1"))
            && m.target.ends_with(&format!(":db:{id}-1"))));

    let production = cluster(moto, &id).await.unwrap();
    assert_eq!(production.engine_version.as_deref(), Some(TARGET_VERSION));
    assert_eq!(
        production.db_cluster_resource_id.as_deref(),
        Some(green_resource_id.as_str())
    );
    assert_eq!(
        cluster_instance_ids(moto, &id).await,
        vec![format!("{id}-0"), format!("{id}-1")]
    );
    let old = cluster(moto, &format!("{id}-old1")).await.unwrap();
    assert_eq!(
        old.db_cluster_resource_id.as_deref(),
        Some(blue_resource_id.as_str())
    );
    assert_eq!(
        old.engine_version.as_deref(),
        Some("8.0.mysql_aurora.3.05.2")
    );
    assert_eq!(
        cluster_instance_ids(moto, &format!("{id}-old1")).await,
        vec![format!("{id}-0-old1"), format!("{id}-1-old1")]
    );
    assert_eq!(
        old.db_cluster_members().len(),
        2,
        "old blue keeps its members"
    );
    assert_eq!(
        instance(moto, &format!("{id}-0"))
            .await
            .unwrap()
            .dbi_resource_id,
        Some(green_writer_dbi)
    );
    assert_eq!(
        instance(moto, &format!("{id}-0-old1"))
            .await
            .unwrap()
            .dbi_resource_id,
        Some(blue_writer_dbi)
    );
    assert!(
        instance(moto, &green_ids[0]).await.is_none(),
        "no green name is left"
    );
}

#[tokio::test]
async fn rds_instance_switchover_takes_the_next_free_old_name() {
    let moto = moto();
    let id = unique("hsw-mysql");
    seed::rds_instance(moto, &id, "mysql", "8.0.35").await;
    // A leftover of an earlier upgrade holds `-old1`.
    seed::rds_instance(moto, &format!("{id}-old1"), "mysql", "8.0.28").await;
    let blue = instance(moto, &id).await.unwrap();
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        blue.db_instance_arn().unwrap(),
        Some("8.0.40"),
        None,
        None,
    )
    .await;
    let green_name = read_deployment(moto, &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    assert_eq!(
        instance(moto, &green_name)
            .await
            .unwrap()
            .engine_version
            .as_deref(),
        Some("8.0.40")
    );

    moto.rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("switchover");

    let after = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(after.source_name(), format!("{id}-old2"));
    assert_eq!(after.target_name(), id);
    let production = instance(moto, &id).await.unwrap();
    assert_eq!(production.engine_version.as_deref(), Some("8.0.40"));
    assert_eq!(
        instance(moto, &format!("{id}-old2"))
            .await
            .unwrap()
            .dbi_resource_id,
        blue.dbi_resource_id
    );
    assert_eq!(
        instance(moto, &format!("{id}-old1"))
            .await
            .unwrap()
            .engine_version
            .as_deref(),
        Some("8.0.28"),
        "the leftover is untouched"
    );
}

#[tokio::test]
async fn delete_target_after_switchover_is_refused_and_keeps_the_deployment() {
    let moto = moto();
    let id = unique("hsw-deltarget");
    seed::aurora_mysql(moto, &id, 0).await;
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        &cluster_arn(moto, &id).await,
        None,
        None,
        None,
    )
    .await;
    moto.rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("switchover");

    let err = moto
        .rds()
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .delete_target(true)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_invalid_blue_green_deployment_state_fault()),
        "{err:?}"
    );
    assert_eq!(
        read_deployment(moto, &bg).await.unwrap().status,
        "SWITCHOVER_COMPLETED"
    );
    assert_eq!(
        cluster_instance_ids(moto, &id).await,
        vec![format!("{id}-0")],
        "production untouched"
    );

    moto.rds()
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("delete without target");
    // Not instant, as on AWS: DELETING for a describe (moto_patches/delete_target.py), then gone.
    assert_eq!(read_deployment(moto, &bg).await.unwrap().status, "DELETING");
    assert!(read_deployment(moto, &bg).await.is_none());
    assert!(
        cluster(moto, &format!("{id}-old1")).await.is_some(),
        "deleting the deployment leaves old blue"
    );
}

#[tokio::test]
async fn delete_target_before_switchover_deletes_green_only() {
    let moto = moto();
    let id = unique("hsw-abandon");
    seed::aurora_mysql(moto, &id, 1).await;
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        &cluster_arn(moto, &id).await,
        None,
        None,
        None,
    )
    .await;
    let green = read_deployment(moto, &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    let green_ids = cluster_instance_ids(moto, &green).await;
    assert_eq!(green_ids.len(), 2);

    moto.rds()
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .delete_target(true)
        .send()
        .await
        .expect("abandon");

    // Not instant, as on AWS: DELETING for a describe (moto_patches/delete_target.py), then gone.
    assert_eq!(read_deployment(moto, &bg).await.unwrap().status, "DELETING");
    assert!(read_deployment(moto, &bg).await.is_none());
    assert!(
        cluster(moto, &green).await.is_none(),
        "green cluster deleted"
    );
    for g in &green_ids {
        assert!(
            instance(moto, g).await.is_none(),
            "green instance {g} deleted"
        );
    }
    assert_eq!(
        cluster_instance_ids(moto, &id).await,
        vec![format!("{id}-0"), format!("{id}-1")],
        "blue untouched"
    );
}

#[tokio::test]
async fn the_switchover_answer_names_resources_as_they_were() {
    let moto = moto();
    let id = unique("hsw-answer");
    seed::aurora_mysql(moto, &id, 0).await;
    let arn = cluster_arn(moto, &id).await;
    let bg = create_deployment(moto, &format!("{id}-bg"), &arn, None, None, None).await;
    let answer = moto
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .expect("switchover")
        .blue_green_deployment
        .unwrap();
    assert_eq!(answer.status(), Some("SWITCHOVER_IN_PROGRESS"));
    assert_eq!(answer.source(), Some(arn.as_str()));
    assert_eq!(
        answer.switchover_details()[0].source_member(),
        Some(arn.as_str())
    );
    assert!(answer
        .switchover_details()
        .iter()
        .all(|m| m.status() == Some("SWITCHOVER_IN_PROGRESS")));
    let again = moto
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&bg)
        .send()
        .await
        .unwrap_err();
    assert!(again
        .as_service_error()
        .is_some_and(|e| e.is_invalid_blue_green_deployment_state_fault()));
}
