//! moto's Blue/Green switchover and deletion, patched to behave like AWS
//! (`tests/tools/moto_patches/`, docs/emulator.md): every blue member is renamed `-oldN`, green
//! takes the production names, resource ids stay with the resources ("Switchover actions", RDS
//! and Aurora User Guides, "Switching a blue/green deployment"), DeleteTarget is refused once
//! green is production (API_DeleteBlueGreenDeployment), a switchover is refused while green is
//! not ready (InvalidBlueGreenDeploymentStateFault, API_SwitchoverBlueGreenDeployment); green
//! takes time to build and a switchover time to complete, and may roll back or partly fail
//! (API_SwitchoverBlueGreenDeployment, API_SwitchoverDetail); RDS records its events in the
//! words of "Blue/green deployment events" (USER_Events.Messages).

use crate::harness_support::*;
use bluegreen::aws::deployment::DeploymentStatus;
use e2e::moto::{moto, unique};
use e2e::seed;

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
    assert_eq!(before.status, DeploymentStatus::Available);
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
    assert_eq!(after.status, DeploymentStatus::SwitchoverCompleted);
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
        DeploymentStatus::SwitchoverCompleted
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
    assert_eq!(
        read_deployment(moto, &bg).await.unwrap().status,
        DeploymentStatus::Deleting
    );
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
    assert_eq!(
        read_deployment(moto, &bg).await.unwrap().status,
        DeploymentStatus::Deleting
    );
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
    // API_SwitchoverDetail: members have their own status; at the start they still read
    // AVAILABLE while the deployment reads SWITCHOVER_IN_PROGRESS (module docs of
    // moto_patches/switchover.py).
    assert!(answer
        .switchover_details()
        .iter()
        .all(|m| m.status() == Some("AVAILABLE")));
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

// ---- time and outcomes, on a server whose AWS clock runs at 1/100 -------------------------

/// A server on which AWS takes time (`moto_patches/timeline.py`): green's build (300 AWS
/// seconds) lasts 3 s, a switchover (60 s) 0.6 s.
fn timed() -> &'static e2e::moto::Moto {
    static TIMED: std::sync::OnceLock<e2e::moto::Moto> = std::sync::OnceLock::new();
    TIMED.get_or_init(|| e2e::moto::Moto::start(&[("E2E_AWS_TIME_SCALE", "0.01")]))
}

/// A server whose AWS seconds last 80 ms, for the test that samples every moment of a
/// switchover: its shortest stage (100 AWS s at 0.01 is 100 ms) must outlast one read on a
/// loaded 2-core machine, where a read took over 300 ms while the end-to-end tier ran beside.
fn slow_timed() -> &'static e2e::moto::Moto {
    static SLOW: std::sync::OnceLock<e2e::moto::Moto> = std::sync::OnceLock::new();
    SLOW.get_or_init(|| e2e::moto::Moto::start(&[("E2E_AWS_TIME_SCALE", "0.08")]))
}

/// Reads the deployment every 100 ms until `done` says so (at most `seconds`), returning
/// each distinct (status, member statuses) in order.
async fn watch(
    moto: &e2e::moto::Moto,
    bg: &str,
    seconds: u64,
    done: impl Fn(&bluegreen::aws::deployment::Deployment) -> bool,
) -> Vec<(String, Vec<String>)> {
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let d = read_deployment(moto, bg).await.expect("deployment");
        let now = (
            d.status.to_string(),
            d.members.iter().map(|m| m.status.clone()).collect(),
        );
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        if done(&d) || std::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The messages RDS recorded on the deployment, oldest first.
async fn event_messages(moto: &e2e::moto::Moto, bg: &str) -> Vec<String> {
    moto.rds()
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
        .source_identifier(bg)
        .duration(60)
        .send()
        .await
        .expect("events")
        .events()
        .iter()
        .filter_map(|e| e.message().map(str::to_owned))
        .collect()
}

/// An Aurora MySQL cluster with one reader and a built deployment on the timed server.
async fn timed_deployment(prefix: &str) -> (String, String) {
    timed_deployment_on(timed(), prefix).await
}

/// A deployment built to AVAILABLE on `moto`, a timed server.
async fn timed_deployment_on(moto: &e2e::moto::Moto, prefix: &str) -> (String, String) {
    let id = unique(prefix);
    seed::aurora_mysql(moto, &id, 1).await;
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        &cluster_arn(moto, &id).await,
        Some(TARGET_VERSION),
        None,
        None,
    )
    .await;
    watch(moto, &bg, 60, |d| d.status == DeploymentStatus::Available).await;
    (id, bg)
}

async fn switch_over(moto: &e2e::moto::Moto, bg: &str, timeout: i32) {
    moto.rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(bg)
        .switchover_timeout(timeout)
        .send()
        .await
        .expect("switchover");
}

/// "Creating a blue/green deployment" (RDS User Guide): green takes time to build; the
/// deployment reads PROVISIONING with its tasks IN_PROGRESS while green's instances are
/// `creating`, then `modifying`, then AVAILABLE with RDS-EVENT-0244 (USER_Events.Messages).
#[tokio::test]
async fn green_is_built_over_time_creating_then_modifying() {
    let moto = timed();
    let id = unique("hsw-build");
    seed::aurora_mysql(moto, &id, 0).await;
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        &cluster_arn(moto, &id).await,
        Some(TARGET_VERSION),
        None,
        None,
    )
    .await;
    let first = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(first.status, DeploymentStatus::Provisioning);
    assert!(
        first.tasks.iter().all(|t| t.status == "IN_PROGRESS"),
        "{:?}",
        first.tasks
    );
    assert!(first.members.iter().all(|m| m.status == "PROVISIONING"));
    let green = first.target_name().to_owned();
    let writer = cluster_instance_ids(moto, &green).await[0].clone();
    let mut statuses = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let status = instance(moto, &writer)
            .await
            .unwrap()
            .db_instance_status
            .unwrap();
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        if status == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(statuses, ["creating", "modifying", "available"]);
    let built = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(built.status, DeploymentStatus::Available);
    assert!(built.tasks.iter().all(|t| t.status == "COMPLETED"));
    assert_eq!(
        event_messages(moto, &bg).await,
        ["Blue/green deployment tasks completed. You can make more modifications to the green environment databases or switch over the deployment."]
    );
}

/// What a reader sees of a switchover at one moment: the deployment's status, its members',
/// its source and target names.
#[derive(Debug, Clone, PartialEq)]
struct Moment {
    status: String,
    members: Vec<String>,
    source: String,
    target: String,
}

/// Reads the switchover every 5 ms until every member is SWITCHOVER_COMPLETED (at most
/// `seconds`), returning each distinct moment in order. The shortest stage (green renamed after
/// blue, 10 AWS s) lasts 800 ms on the slow timed server.
async fn moments(moto: &e2e::moto::Moto, bg: &str, seconds: u64) -> Vec<Moment> {
    let mut seen: Vec<Moment> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let d = read_deployment(moto, bg).await.expect("deployment");
        let now = Moment {
            status: d.status.to_string(),
            members: d.members.iter().map(|m| m.status.clone()).collect(),
            source: d.source_name().to_owned(),
            target: d.target_name().to_owned(),
        };
        let done = now.members.iter().all(|m| m == "SWITCHOVER_COMPLETED");
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        if done || std::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// API_SwitchoverBlueGreenDeployment, "Switchover actions" (the renames happen during the
/// switchover, after writes stop and replication catches up) and API_SwitchoverDetail (each
/// member has its own status): the deployment reads SWITCHOVER_IN_PROGRESS while its members
/// still read AVAILABLE; blue is renamed `-old1` and green takes the production name while the
/// deployment is still in progress; the deployment completes before its members do. RDS
/// records 0247, the cluster's 0259, its 0260 with the renames, then 0248, in AWS's words.
#[tokio::test]
async fn a_switchover_moves_through_aws_intermediate_states_and_records_aws_events() {
    let moto = slow_timed();
    let (id, bg) = timed_deployment_on(moto, "hsw-timed").await;
    let green = read_deployment(moto, &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    switch_over(moto, &bg, 300).await;
    let seen = moments(moto, &bg, 30).await;
    let old = format!("{id}-old1");
    let stage = |m: &Moment| -> usize {
        let members = |s: &str| m.members.iter().all(|x| x == s);
        match (m.status.as_str(), m.source.as_str(), m.target.as_str()) {
            ("SWITCHOVER_IN_PROGRESS", s, t) if s == id && t == green && members("AVAILABLE") => 0,
            ("SWITCHOVER_IN_PROGRESS", s, t) if s == id && t == green => 1,
            // Blue renamed, green not yet: the production name is free for a moment.
            ("SWITCHOVER_IN_PROGRESS", s, t) if s == old && t == green => 2,
            ("SWITCHOVER_IN_PROGRESS", s, t) if s == old && t == id => 3,
            ("SWITCHOVER_COMPLETED", s, t)
                if s == old && t == id && members("SWITCHOVER_IN_PROGRESS") =>
            {
                4
            }
            ("SWITCHOVER_COMPLETED", s, t)
                if s == old && t == id && members("SWITCHOVER_COMPLETED") =>
            {
                5
            }
            _ => panic!("a moment AWS does not document: {m:?} in {seen:?}"),
        }
    };
    let stages: Vec<usize> = seen.iter().map(stage).collect();
    assert!(stages.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    assert_eq!(
        stages.first(),
        Some(&0),
        "members lag at the start: {seen:?}"
    );
    assert_eq!(stages.last(), Some(&5), "{seen:?}");
    assert!(
        stages.contains(&2) || stages.contains(&3),
        "renamed while still in progress: {seen:?}"
    );
    assert!(stages.contains(&4), "members lag at completion: {seen:?}");
    assert_eq!(
        event_messages(moto, &bg).await[1..],
        [
            format!("Switchover from {id} to {green} started."),
            format!("Switchover from DB cluster {id} to {green} started."),
            format!("Switchover from DB cluster {id} to {green} completed. Renamed {id} to {id}-old1 and {green} to {id}."),
            "Switchover completed on blue/green deployment.".to_owned(),
        ]
    );
}

/// "Switchover actions": blue's tags "are moved to the new production environment during
/// switchover. The previous production environment also retains these tags": tags stay with
/// the resource they were put on (old blue keeps them under its new name) and production
/// carries a copy; a tag put on green alone does not survive as production's.
#[tokio::test]
async fn tags_stay_with_their_resources_and_production_gets_blues() {
    let moto = moto();
    let id = unique("hsw-tags");
    seed::aurora_mysql(moto, &id, 0).await;
    let arn = cluster_arn(moto, &id).await;
    let tag = |k: &str, v: &str| aws_sdk_rds::types::Tag::builder().key(k).value(v).build();
    moto.rds()
        .add_tags_to_resource()
        .resource_name(&arn)
        .tags(tag("team", "orders"))
        .send()
        .await
        .expect("tag blue");
    let bg = create_deployment(moto, &format!("{id}-bg"), &arn, None, None, None).await;
    let green_arn = read_deployment(moto, &bg).await.unwrap().target_arn;
    moto.rds()
        .add_tags_to_resource()
        .resource_name(&green_arn)
        .tags(tag("stage", "green-only"))
        .send()
        .await
        .expect("tag green");
    switch_over(moto, &bg, 300).await;
    let after = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(after.status, DeploymentStatus::SwitchoverCompleted);
    let tags = |arn: String| async move {
        let mut found: Vec<(String, String)> = moto
            .rds()
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .expect("tags")
            .tag_list()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let team = ("team".to_owned(), "orders".to_owned());
    let old_blue = tags(after.source_arn.clone()).await;
    assert!(
        old_blue.contains(&team),
        "old blue kept its tags: {old_blue:?}"
    );
    assert_eq!(
        tags(after.target_arn.clone()).await,
        old_blue,
        "production carries blue's tags, not green's own"
    );
}

/// API_SwitchoverBlueGreenDeployment: past `SwitchoverTimeout` "any changes are rolled back,
/// and no changes are made to the environments": AVAILABLE again, names unchanged, the
/// member's "canceled due to" event and RDS-EVENT-0249 "Switchover canceled".
#[tokio::test]
async fn a_rolled_back_switchover_is_available_again_with_nothing_renamed() {
    let moto = timed();
    let (id, bg) = timed_deployment("hsw-rollback").await;
    let green = read_deployment(moto, &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    moto.inject(
        &id,
        e2e::faults::Fault::SwitchoverRolledBack {
            details: Some("replica lag".into()),
        },
    )
    .await;
    let started = std::time::Instant::now();
    switch_over(moto, &bg, 30).await;
    let seen = watch(moto, &bg, 10, |d| {
        d.status != DeploymentStatus::SwitchoverInProgress
    })
    .await;
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "in progress for the timeout (30 s at 1/100)"
    );
    assert_eq!(seen.first().unwrap().0, "SWITCHOVER_IN_PROGRESS");
    assert_eq!(
        seen.last().unwrap(),
        &("AVAILABLE".to_owned(), vec!["AVAILABLE".to_owned(); 3])
    );
    assert_eq!(
        read_deployment(moto, &bg).await.unwrap().target_name(),
        green
    );
    assert_eq!(
        cluster_instance_ids(moto, &id).await,
        [format!("{id}-0"), format!("{id}-1")]
    );
    assert!(
        cluster(moto, &format!("{id}-old1")).await.is_none(),
        "nothing renamed"
    );
    let events = event_messages(moto, &bg).await;
    assert_eq!(
        events[events.len() - 2..],
        [
            format!("Switchover from DB cluster {id} to {green} was canceled due to replica lag."),
            "Switchover canceled on blue/green deployment.".to_owned(),
        ]
    );
}

/// "Creating a blue/green deployment" (RDS User Guide): a blue RDS instance's read replicas
/// are copied to green as replicas of the green instance, and switch over with it: each one
/// is a member of SwitchoverDetails.
#[tokio::test]
async fn read_replicas_are_members_and_switch_over() {
    let moto = moto();
    let id = unique("hsw-replica");
    seed::rds_instance(moto, &id, "mysql", "8.0.36").await;
    moto.rds()
        .create_db_instance_read_replica()
        .db_instance_identifier(format!("{id}-r"))
        .source_db_instance_identifier(&id)
        .send()
        .await
        .expect("replica");
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
    let before = read_deployment(moto, &bg).await.unwrap();
    assert_eq!(before.members.len(), 2, "{:?}", before.members);
    assert!(before.members[1].source.ends_with(&format!(":db:{id}-r")));
    switch_over(moto, &bg, 300).await;
    let after = read_deployment(moto, &bg).await.unwrap();
    assert!(after
        .members
        .iter()
        .all(|m| m.status == "SWITCHOVER_COMPLETED"));
    assert!(instance(moto, &format!("{id}-r-old1")).await.is_some());
    assert_eq!(
        instance(moto, &format!("{id}-r"))
            .await
            .unwrap()
            .engine_version
            .as_deref(),
        Some("8.0.40")
    );
}

/// USER_Events.Messages: an RDS for PostgreSQL switchover also records the primary's 0250 /
/// 0251 and the sequence sync's 0307 / 0308, which say "switchover" and "started" or
/// "completed" too; the product's timing reads 0247 and 0248 only.
#[tokio::test]
async fn a_postgres_switchover_records_member_and_sequence_sync_events() {
    let moto = moto();
    let id = unique("hsw-pgevents");
    seed::rds_instance(moto, &id, "postgres", "15.10").await;
    let blue = instance(moto, &id).await.unwrap();
    let bg = create_deployment(
        moto,
        &format!("{id}-bg"),
        blue.db_instance_arn().unwrap(),
        Some("16.4"),
        None,
        None,
    )
    .await;
    let green = read_deployment(moto, &bg)
        .await
        .unwrap()
        .target_name()
        .to_owned();
    switch_over(moto, &bg, 300).await;
    assert_eq!(
        read_deployment(moto, &bg).await.unwrap().status,
        DeploymentStatus::SwitchoverCompleted
    );
    // After 0244, an RDS green records its storage initialization (0405, 0406) first.
    assert_eq!(
        event_messages(moto, &bg).await[3..],
        [
            format!("Switchover from {id} to {green} started."),
            format!("Switchover from primary/read replica {id} to {green} started."),
            format!("Sequence sync for switchover of {id} to {green} has initiated. Switchover when using sequences may lead to extended downtime."),
            format!("Sequence sync for switchover of {id} to {green} has completed."),
            format!("Switchover from primary/read replica {id} to {green} completed. Renamed {id} to {id}-old1 and {green} to {id}."),
            "Switchover completed on blue/green deployment.".to_owned(),
        ]
    );
    let timing = bluegreen::aws::events::switchover_timing(&moto.rds(), &bg)
        .await
        .unwrap()
        .expect("0247 and 0248");
    assert!(timing.duration_seconds >= 0.0);
}

/// API_SwitchoverDetail: MISSING_SOURCE "the source resource has been deleted", MISSING_TARGET
/// "the target resource has been deleted". Green deleted by hand before switchover is a failed
/// deployment; old blue deleted after it (the cleanup's own work) is not.
#[tokio::test]
async fn members_whose_resource_is_deleted_read_missing() {
    use bluegreen::readiness::{assess, Phase};
    let moto = moto();
    let rds = moto.rds();
    for switch_first in [false, true] {
        let id = unique("hsw-missing");
        seed::rds_instance(moto, &id, "mysql", "8.0.36").await;
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
        let green = read_deployment(moto, &bg)
            .await
            .unwrap()
            .target_name()
            .to_owned();
        let doomed = if switch_first {
            switch_over(moto, &bg, 300).await;
            read_deployment(moto, &bg).await.unwrap();
            format!("{id}-old1")
        } else {
            green
        };
        rds.delete_db_instance()
            .db_instance_identifier(&doomed)
            .skip_final_snapshot(true)
            .send()
            .await
            .expect("delete");
        let d = read_deployment(moto, &bg).await.unwrap();
        if switch_first {
            assert_eq!(d.members[0].status, "MISSING_SOURCE");
            assert_eq!(assess(&d, &[]).unwrap().phase, Phase::Switched);
        } else {
            assert_eq!(d.members[0].status, "MISSING_TARGET");
            assert_eq!(assess(&d, &[]).unwrap_err().name(), "DeploymentFailed");
        }
    }
}

/// API_DeleteBlueGreenDeployment: a deployment already DELETING cannot be deleted again
/// (InvalidBlueGreenDeploymentStateFault); once it is gone RDS records RDS-EVENT-0246
/// "Blue/green deployment deleted." (USER_Events.Messages).
#[tokio::test]
async fn a_second_delete_of_a_deleting_deployment_is_refused() {
    let moto = moto();
    let id = unique("hsw-delete2");
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
    let delete = || {
        moto.rds()
            .delete_blue_green_deployment()
            .blue_green_deployment_identifier(&bg)
            .send()
    };
    delete().await.expect("first delete");
    let again = delete().await.unwrap_err();
    assert_eq!(
        code(&again),
        "InvalidBlueGreenDeploymentStateFault",
        "{again:?}"
    );
    while read_deployment(moto, &bg).await.is_some() {}
    assert_eq!(
        event_messages(moto, &bg).await.last().map(String::as_str),
        Some("Blue/green deployment deleted.")
    );
}

/// Every step that reads during a switchover, read at every moment of one ("Switchover
/// actions": renames happen while the deployment reads SWITCHOVER_IN_PROGRESS; member statuses
/// lag the deployment's): poll-status finds the deployment by the database's name and answers
/// switching (never "not found", never a failure); verify answers NotReady until everything
/// settled; a cleanup re-run refuses (in progress) or waits (members lagging) and deletes
/// nothing; the execution-ended safety net finds the one deployment left running.
#[tokio::test]
async fn every_reader_is_right_at_every_moment_of_a_switchover() {
    use bluegreen::steps::{create, delete_old, poll_status};
    let moto = timed();
    let factory = moto.factory();
    let id = unique("hsw-midway");
    seed::aurora_mysql(moto, &id, 1).await;
    let req = crate::notify_support::request(&id);
    let created = create::handle(serde_json::json!({"request": req}), &factory)
        .await
        .expect("create");
    watch(moto, &created.id, 20, |d| {
        d.status == DeploymentStatus::Available
    })
    .await;
    let (topic, _) = seed::topic_with_queue(moto, &unique("midway")).await;
    let safety_net =
        crate::notify_support::notifier(moto, &topic, None).with_world(factory.clone());

    switch_over(moto, &created.id, 300).await;
    let (mut phases, mut verify_errors, mut cleanups) = (Vec::new(), Vec::new(), Vec::new());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let d = read_deployment(moto, &created.id).await.unwrap();
        let settled = d.members.iter().all(|m| m.status == "SWITCHOVER_COMPLETED");
        let status = poll_status::handle(
            serde_json::json!({"request": req, "operation": "status"}),
            &factory,
        )
        .await
        .unwrap_or_else(|e| panic!("poll-status mid-way at {d:?}: {e}"));
        phases.push(serde_json::to_value(&status).unwrap()["phase"].clone());
        if let Err(e) = poll_status::handle(
            serde_json::json!({"request": req, "operation": "verify"}),
            &factory,
        )
        .await
        {
            assert_eq!(e.name(), "NotReady", "verify mid-way at {d:?}: {e}");
            verify_errors.push(e.to_string());
        }
        if !settled {
            let cleanup = delete_old::handle(
                serde_json::json!({"request": req, "operation": "cleanup"}),
                &factory,
            )
            .await;
            match &cleanup {
                Err(e) => assert_eq!(e.name(), "UnsafeToDelete", "cleanup mid-way at {d:?}: {e}"),
                Ok(a) => {
                    assert!(a.deleted.is_empty(), "cleanup deleted mid-way: {a:?}");
                    if a.step != delete_old::DeletionStep::AwaitSwitchover {
                        // The members settled between this loop's read and the cleanup's own.
                        let now = read_deployment(moto, &created.id).await.unwrap();
                        assert!(
                            now.members
                                .iter()
                                .all(|m| m.status == "SWITCHOVER_COMPLETED"),
                            "cleanup acted before the switchover settled: {a:?} at {now:?}"
                        );
                    }
                }
            }
            cleanups.push(cleanup.map(|a| a.detail).unwrap_or_else(|e| e.to_string()));
        }
        let left = safety_net.left_running(&req).await.expect("left running");
        assert_eq!(
            left.len(),
            1,
            "the safety net finds the deployment at {d:?}: {left:?}"
        );
        if settled || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        phases.contains(&serde_json::json!("switching")),
        "{phases:?}"
    );
    assert_eq!(
        phases.last(),
        Some(&serde_json::json!("switched")),
        "{phases:?}"
    );
    assert!(!verify_errors.is_empty() && !cleanups.is_empty());
    assert!(
        cluster(moto, &format!("{id}-old1")).await.is_some(),
        "old blue is still there"
    );
}
