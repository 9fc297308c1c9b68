//! The harness itself: moto starts, the SDK talks to it, seeds look as the product expects.

use e2e::{moto::moto, seed};

#[tokio::test]
async fn seeded_aurora_cluster_reads_back_through_the_product() {
    let moto = moto();
    let id = e2e::moto::unique("smoke");
    let instances = seed::aurora_mysql(moto, &id, 1).await;
    let rds = moto.rds();
    let target = bluegreen::input::Target {
        account_id: Some(e2e::moto::ACCOUNT.into()),
        region: e2e::moto::REGION.into(),
        identifier: id.clone(),
        engine: bluegreen::input::Engine::AuroraMysql,
        role_arn: None,
    };
    let db = bluegreen::aws::database::Database::load(&rds, &target)
        .await
        .unwrap();
    assert_eq!(db.identifier, id);
    assert_eq!(db.engine, "aurora-mysql");
    assert_eq!(db.instance_ids(), instances);
    assert_eq!(db.backup_retention_days(), 7);
}

/// A target in another account is reached through the member role of the function's kind
/// (`<roleArn>-delete` for delete-old), with the execution in the session name: moto keeps one
/// world per account, so the cluster seen is the member account's, not the hub's.
#[tokio::test]
async fn another_account_is_reached_through_the_role_of_the_functions_kind() {
    use bluegreen::aws::clients::{Access, ClientFactory, RoleKind};
    let moto = moto();
    let member = "222222222222";
    let id = e2e::moto::unique("member-db");
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
    // Seed the member account's database through the change role.
    factory(RoleKind::Change)
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
    let found = bluegreen::aws::database::Database::load(&delete.rds(&target).unwrap(), &target)
        .await
        .expect("the member account's cluster, through the delete role");
    assert!(
        found.arn.contains(&format!(":{member}:cluster:{id}")),
        "{}",
        found.arn
    );
    let in_hub = bluegreen::aws::database::describe_cluster(&moto.rds(), &id)
        .await
        .unwrap();
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
