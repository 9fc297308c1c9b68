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
