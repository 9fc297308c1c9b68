//! The harness itself: moto starts, the SDK talks to it, seeds look as the product expects;
//! and every listing the product makes reads past one page, as on AWS, where each Describe*
//! listing answers at most `MaxRecords` items (default 100) and a `Marker` for the next page
//! (RDS API Reference; tests/tools/moto_patches/pagination.py).

use bluegreen::aws::deployment::DeploymentStatus;
use bluegreen::aws::{database, deployment, events};
use e2e::faults::Fault;
use e2e::moto::{moto, unique};
use e2e::seed;
use serde_json::json;

#[tokio::test]
async fn seeded_aurora_cluster_reads_back_through_the_product() {
    let moto = moto();
    let id = unique("smoke");
    let instances = seed::aurora_mysql(moto, &id, 1).await;
    let rds = moto.rds();
    let target = bluegreen::input::Target {
        account_id: Some(e2e::moto::ACCOUNT.into()),
        region: e2e::moto::REGION.into(),
        identifier: id.clone(),
        engine: bluegreen::input::Engine::AuroraMysql,
        role_arn: None,
    };
    let db = database::Database::load(&rds, &target).await.unwrap();
    assert_eq!(db.identifier, id);
    assert_eq!(db.engine, "aurora-mysql");
    assert_eq!(db.instance_ids(), instances);
    assert_eq!(db.backup_retention_days(), 7);
}

fn request(id: &str, engine: &str, action: &str) -> serde_json::Value {
    json!({"action": action, "target": {"accountId": e2e::moto::ACCOUNT, "region": e2e::moto::REGION, "identifier": id, "engine": engine}})
}

/// DescribeBlueGreenDeployments: 101 deployments (one source each: a source has at most one),
/// the product's listing finds the last, past the first page of 100.
#[tokio::test]
async fn deployments_are_listed_past_one_page() {
    let moto = moto();
    let rds = moto.rds();
    let prefix = unique("pagebg");
    let mut last = String::new();
    for n in 0..101 {
        last = format!("{prefix}-{n}");
        let arn = seed::rds_instance(moto, &last, "mysql", "8.0.36").await;
        let arn = rds
            .describe_db_instances()
            .db_instance_identifier(&arn)
            .send()
            .await
            .unwrap()
            .db_instances()[0]
            .db_instance_arn()
            .unwrap()
            .to_owned();
        rds.create_blue_green_deployment()
            .blue_green_deployment_name(format!("{last}-bg"))
            .source(arn)
            .send()
            .await
            .unwrap();
    }
    let first_page = rds.describe_blue_green_deployments().send().await.unwrap();
    assert_eq!(
        first_page.blue_green_deployments().len(),
        100,
        "AWS's default page"
    );
    assert!(first_page.marker().is_some());
    let all = deployment::list(&rds).await.unwrap();
    assert!(all.iter().filter(|d| d.name.starts_with(&prefix)).count() == 101);
    let req = bluegreen::input::Request::from_value(request(&last, "mysql", "switchover")).unwrap();
    let found = deployment::locate(&rds, &req, None).await.unwrap();
    assert_eq!(found.name, format!("{last}-bg"));
}

/// DescribeEvents: more than 100 events on one deployment (26 rolled-back switchovers record
/// 4 each), and the timing of the last switchover is found on the second page.
#[tokio::test]
async fn deployment_events_are_read_past_one_page() {
    let moto = moto();
    let rds = moto.rds();
    let id = unique("pageev");
    seed::aurora_mysql(moto, &id, 0).await;
    let arn = rds
        .describe_db_clusters()
        .db_cluster_identifier(&id)
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .db_cluster_arn()
        .unwrap()
        .to_owned();
    let bg = rds
        .create_blue_green_deployment()
        .blue_green_deployment_name(format!("{id}-bg"))
        .source(arn)
        .send()
        .await
        .unwrap()
        .blue_green_deployment
        .unwrap()
        .blue_green_deployment_identifier
        .unwrap();
    let switch = || {
        rds.switchover_blue_green_deployment()
            .blue_green_deployment_identifier(&bg)
            .send()
    };
    for _ in 0..26 {
        moto.inject(&id, Fault::SwitchoverRolledBack { details: None })
            .await;
        assert_eq!(
            deployment::describe(&rds, &bg)
                .await
                .unwrap()
                .unwrap()
                .status,
            DeploymentStatus::Available
        );
        switch().await.unwrap();
    }
    assert_eq!(
        deployment::describe(&rds, &bg)
            .await
            .unwrap()
            .unwrap()
            .status,
        DeploymentStatus::Available
    );
    switch().await.unwrap();
    assert_eq!(
        deployment::describe(&rds, &bg)
            .await
            .unwrap()
            .unwrap()
            .status,
        DeploymentStatus::SwitchoverCompleted
    );

    let first_page = rds
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
        .source_identifier(&bg)
        .duration(60)
        .send()
        .await
        .unwrap();
    assert_eq!(first_page.events().len(), 100, "AWS's default page");
    assert!(first_page.marker().is_some());
    let timing = events::switchover_timing(&rds, &bg).await.unwrap();
    assert!(
        timing.is_some(),
        "the last switchover's 0247/0248 are on page 2"
    );
}

/// DescribeDBParameters and DescribeDBClusterParameters: real parameter groups list hundreds
/// of parameters; binlog_format set after 120 others is still read by the precheck.
#[tokio::test]
async fn parameters_are_read_past_one_page() {
    let moto = moto();
    let rds = moto.rds();
    let filler = |n: usize| {
        (0..n)
            .map(|i| {
                aws_sdk_rds::types::Parameter::builder()
                    .parameter_name(format!("filler_{i:03}"))
                    .parameter_value("1")
                    .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                    .build()
            })
            .collect::<Vec<_>>()
    };
    let binlog = aws_sdk_rds::types::Parameter::builder()
        .parameter_name("binlog_format")
        .parameter_value("ROW")
        .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
        .build();

    // RDS for MySQL: the instance's group, binlog_format last.
    let mysql = unique("pageparam");
    seed::rds_instance(moto, &mysql, "mysql", "8.0.36").await;
    let group = format!("{mysql}-pg");
    let params = filler(120);
    for batch in params.chunks(20) {
        rds.modify_db_parameter_group()
            .db_parameter_group_name(&group)
            .set_parameters(Some(batch.to_vec()))
            .send()
            .await
            .unwrap();
    }
    rds.modify_db_parameter_group()
        .db_parameter_group_name(&group)
        .parameters(binlog.clone())
        .send()
        .await
        .unwrap();
    // Aurora MySQL: the cluster's group.
    let aurora = unique("pagecparam");
    let cluster_group = format!("{aurora}-cpg");
    seed::cluster_parameter_group(
        moto,
        &cluster_group,
        "aurora-mysql8.0",
        &[("filler_start", "1")],
    )
    .await;
    for batch in params.chunks(20) {
        rds.modify_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(&cluster_group)
            .set_parameters(Some(batch.to_vec()))
            .send()
            .await
            .unwrap();
    }
    rds.modify_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&cluster_group)
        .parameters(binlog)
        .send()
        .await
        .unwrap();
    rds.create_db_cluster()
        .db_cluster_identifier(&aurora)
        .engine("aurora-mysql")
        .engine_version("8.0.mysql_aurora.3.05.2")
        .master_username("admin")
        .master_user_password("password123")
        .backup_retention_period(7)
        .db_cluster_parameter_group_name(&cluster_group)
        .send()
        .await
        .unwrap();
    seed::cluster_instances(moto, &aurora, "aurora-mysql", 0).await;

    let page = rds
        .describe_db_parameters()
        .db_parameter_group_name(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(page.parameters().len(), 100, "AWS's default page");
    let page = rds
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name(&cluster_group)
        .send()
        .await
        .unwrap();
    assert_eq!(page.parameters().len(), 100, "AWS's default page");
    for (id, engine) in [(&mysql, "mysql"), (&aurora, "aurora-mysql")] {
        let report = bluegreen::steps::precheck::handle(
            json!({"request": request(id, engine, "dry-run")}),
            &moto.factory(),
        )
        .await
        .unwrap();
        assert!(
            report.findings.iter().all(|f| f.id != "binlog-format"),
            "binlog_format=ROW on page 2 was read for {id}: {}",
            report.report
        );
    }
}

/// DescribeDBInstances filtered by cluster: AWS caps an Aurora cluster at 16 instances (one
/// page), but the listing is paged all the same: 101 instances are all read.
#[tokio::test]
async fn cluster_instances_are_listed_past_one_page() {
    let moto = moto();
    let id = unique("pageinst");
    seed::aurora_mysql(moto, &id, 100).await;
    let found = database::describe_cluster_instances(&moto.rds(), &id)
        .await
        .unwrap();
    assert_eq!(found.len(), 101);
}

/// A target in another account is reached through the member role of the function's kind
/// (`<roleArn>-delete` for delete-old), with the execution in the session name: moto keeps one
/// world per account, so the cluster seen is the member account's, not the hub's.
#[tokio::test]
async fn another_account_is_reached_through_the_role_of_the_functions_kind() {
    use bluegreen::aws::clients::{Access, ClientFactory, RoleKind};
    let moto = moto();
    let member = "222222222222";
    let id = unique("member-db");
    let target = bluegreen::input::Target {
        account_id: Some(member.into()),
        region: e2e::moto::REGION.into(),
        identifier: id.clone(),
        engine: bluegreen::input::Engine::AuroraMysql,
        role_arn: Some(format!("arn:aws:iam::{member}:role/rds-bluegreen")),
    };
    let factory = |kind| {
        ClientFactory::with_access(moto.sdk_config(e2e::moto::REGION), Access::local(kind))
            .for_execution(Some("upgrade-orders-42"))
    };
    // Seed the member account's database through the create role.
    factory(RoleKind::Create)
        .rds(&target)
        .unwrap()
        .create_db_cluster()
        .db_cluster_identifier(&id)
        .engine("aurora-mysql")
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect("create the member account's cluster");

    let delete = factory(RoleKind::Delete);
    let config = delete.config_for(&target).unwrap();
    let me = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(member));
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{member}:assumed-role/rds-bluegreen-delete/bluegreen-delete-upgrade-orders-42").as_str())
    );
    let found = database::Database::load(&delete.rds(&target).unwrap(), &target)
        .await
        .expect("the member account's cluster, through the delete role");
    assert!(
        found.arn.contains(&format!(":{member}:cluster:{id}")),
        "{}",
        found.arn
    );
    let in_hub = database::describe_cluster(&moto.rds(), &id).await.unwrap();
    assert!(in_hub.is_none(), "the hub account has no such cluster");
}

/// An allow-list of accounts refuses any other before a single call is made.
#[tokio::test]
async fn an_account_outside_the_allow_list_is_refused_before_any_call() {
    use bluegreen::aws::clients::{Access, ClientFactory, RoleKind};
    let access = Access {
        allowed_accounts: Some(vec!["111111111111".into()]),
        ..Access::local(RoleKind::Delete)
    };
    let factory = ClientFactory::with_access(moto().sdk_config(e2e::moto::REGION), access);
    let target = bluegreen::input::Target {
        account_id: Some(e2e::moto::ACCOUNT.into()),
        region: e2e::moto::REGION.into(),
        identifier: "orders".into(),
        engine: bluegreen::input::Engine::AuroraMysql,
        role_arn: None,
    };
    let err = factory.rds(&target).unwrap_err();
    assert_eq!(err.name(), "InvalidInput");
    assert!(err.to_string().contains("target.accountId"), "{err}");
}
