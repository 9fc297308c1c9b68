//! Database shapes the precheck tests need beyond `seed`: the same seeds with one setting
//! changed (a parameter, a creation option), so each test shows exactly one problem.

use aws_sdk_rds::operation::create_db_cluster::builders::CreateDBClusterFluentBuilder;
use aws_sdk_rds::operation::create_db_instance::builders::CreateDBInstanceFluentBuilder;

use crate::moto::Moto;
use crate::seed;

/// An Aurora cluster of `engine` at `version` with a writer, its cluster parameter group
/// (`<id>-cpg`, family `family`) holding `params`; `tweak` changes the creation request.
/// Returns its ARN.
pub async fn cluster(
    moto: &Moto,
    id: &str,
    (engine, version, family): (&str, &str, &str),
    params: &[(&str, &str)],
    tweak: impl FnOnce(CreateDBClusterFluentBuilder) -> CreateDBClusterFluentBuilder,
) -> String {
    let group = format!("{id}-cpg");
    seed::cluster_parameter_group(moto, &group, family, params).await;
    let create = moto
        .rds()
        .create_db_cluster()
        .db_cluster_identifier(id)
        .tags(bluegreen::aws::enrolment::tag())
        .engine(engine)
        .engine_version(version)
        .master_username("admin")
        .master_user_password("password123")
        .backup_retention_period(7)
        .db_cluster_parameter_group_name(&group);
    let cluster = tweak(create)
        .send()
        .await
        .expect("create cluster")
        .db_cluster
        .expect("cluster");
    let arn = cluster.db_cluster_arn.clone().expect("cluster arn");
    if cluster.engine_mode.as_deref() == Some("serverless") {
        return arn; // Aurora Serverless v1 has no instances
    }
    moto.rds()
        .create_db_instance()
        .db_instance_identifier(format!("{id}-0"))
        .tags(bluegreen::aws::enrolment::tag())
        .db_cluster_identifier(id)
        .engine(engine)
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("create writer");
    arn
}

/// An RDS instance of `engine` at `version` with its DB parameter group (`<id>-pg`, family
/// `family`) holding `params`; `tweak` changes the creation request. Returns its ARN.
pub async fn instance(
    moto: &Moto,
    id: &str,
    (engine, version, family): (&str, &str, &str),
    params: &[(&str, &str)],
    tweak: impl FnOnce(CreateDBInstanceFluentBuilder) -> CreateDBInstanceFluentBuilder,
) -> String {
    let group = format!("{id}-pg");
    seed::parameter_group(moto, &group, family, params).await;
    let create = moto
        .rds()
        .create_db_instance()
        .db_instance_identifier(id)
        .tags(bluegreen::aws::enrolment::tag())
        .engine(engine)
        .engine_version(version)
        .db_instance_class("db.m6g.large")
        .allocated_storage(100)
        .master_username("admin")
        .master_user_password("password123")
        .backup_retention_period(7)
        .db_parameter_group_name(&group);
    let out = tweak(create).send().await.expect("create instance");
    out.db_instance
        .and_then(|i| i.db_instance_arn)
        .expect("instance arn")
}

/// The engine, version and family of the seeds' RDS MySQL 8.0.
pub const MYSQL: (&str, &str, &str) = ("mysql", "8.0.35", "mysql8.0");
/// The engine, version and family of the seeds' RDS PostgreSQL 16.
pub const POSTGRES: (&str, &str, &str) = ("postgres", "16.3", "postgres16");
/// The engine, version and family of the seeds' Aurora MySQL 3.
pub const AURORA_MYSQL: (&str, &str, &str) =
    ("aurora-mysql", "8.0.mysql_aurora.3.05.2", "aurora-mysql8.0");
/// The engine, version and family of the seeds' Aurora PostgreSQL 15.
pub const AURORA_POSTGRES: (&str, &str, &str) =
    ("aurora-postgresql", "15.6", "aurora-postgresql15");
