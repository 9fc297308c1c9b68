//! The precheck step against moto: clean databases of every engine pass, each rule moto can
//! express fires with its id and severity, and nothing is ever created.
//! Rules moto cannot express (ValidUpgradeTarget, parameter apply status, pending
//! maintenance, orderable classes of non-Aurora engines) are tested with SDK mocks in
//! `shared/src/precheck/tests.rs`.

use bluegreen::precheck::{Report, Severity};
use bluegreen::steps::precheck;
use e2e::moto::{moto, unique, Moto, REGION};
use e2e::seed;
use e2e::seed_precheck::{self as shapes, AURORA_MYSQL, AURORA_POSTGRES, MYSQL, POSTGRES};
use serde_json::{json, Value};

fn request(id: &str, engine: &str, action: &str, options: Value) -> Value {
    json!({"action": action, "target": {"region": REGION, "identifier": id, "engine": engine}, "options": options})
}

/// A dry run: the report whatever it finds.
async fn dry_run(id: &str, engine: &str, options: Value) -> Report {
    let event = json!({ "request": request(id, engine, "dry-run", options) });
    precheck::handle(event, &moto().factory())
        .await
        .expect("a dry run answers a report")
}

fn severity_of(report: &Report, id: &str) -> Option<Severity> {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.severity)
}

/// The finding is there with that severity, names the database, and the report agrees.
fn assert_finding(report: &Report, id: &str, severity: Severity, database: &str) {
    let finding = report
        .findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no `{id}` finding in:\n{}", report.report));
    assert_eq!(finding.severity, severity, "{}", report.report);
    assert!(
        finding.message.contains(database),
        "message names the database: {}",
        finding.message
    );
    assert!(!finding.fix.is_empty() && !finding.source.is_empty());
    assert!(report.report.contains(id), "the text report lists {id}");
    assert_eq!(report.passed, report.blocking == 0);
}

/// No Blue/Green deployment uses the database: the precheck only read.
async fn assert_nothing_created(moto: &Moto, arn_suffix: &str) {
    // Every page: the server holds every emulator test's deployments.
    let all = bluegreen::aws::deployment::list(&moto.rds())
        .await
        .expect("describe deployments");
    let ours: Vec<_> = all
        .iter()
        .filter(|d| d.source_arn.ends_with(arn_suffix))
        .collect();
    assert!(ours.is_empty(), "the precheck created {ours:?}");
}

fn assert_clean(report: &Report, id: &str) {
    assert!(report.passed, "{id} should pass:\n{}", report.report);
    assert_eq!(report.blocking, 0);
    let db = report.database.as_ref().expect("database summary");
    assert_eq!(db.identifier, id);
    assert!(
        report
            .not_checked
            .iter()
            .any(|n| n.id == "tables-without-primary-keys"),
        "SQL-only rules are listed"
    );
}

#[tokio::test]
async fn clean_aurora_mysql_passes() {
    let id = unique("pc-clean-am");
    seed::aurora_mysql(moto(), &id, 1).await;
    let event = json!({ "request": request(&id, "aurora-mysql", "upgrade", json!({})) });
    let report = precheck::handle(event, &moto().factory())
        .await
        .expect("passes");
    assert_clean(&report, &id);
    assert_eq!(report.database.as_ref().unwrap().instances.len(), 2);
    assert!(report
        .not_checked
        .iter()
        .any(|n| n.id == "binlog-retention-hours"));
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn clean_aurora_postgres_passes() {
    let id = unique("pc-clean-ap");
    seed::aurora_postgres(moto(), &id, 0).await;
    let report = dry_run(&id, "aurora-postgresql", json!({})).await;
    assert_clean(&report, &id);
    assert!(report.not_checked.iter().any(|n| n.id == "ddl-on-blue"));
    assert!(report
        .not_checked
        .iter()
        .any(|n| n.id == "postgres-sequences"));
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn clean_rds_instances_pass() {
    for (engine, version) in [
        ("mysql", "8.0.35"),
        ("postgres", "16.3"),
        ("mariadb", "10.11.6"),
    ] {
        let id = unique(&format!("pc-clean-{engine}"));
        seed::rds_instance(moto(), &id, engine, version).await;
        let event = json!({ "request": request(&id, engine, "upgrade", json!({})) });
        let report = precheck::handle(event, &moto().factory())
            .await
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        assert_clean(&report, &id);
        assert_nothing_created(moto(), &format!(":{id}")).await;
    }
}

#[tokio::test]
async fn missing_database_is_a_blocking_finding() {
    let id = unique("pc-missing");
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "source-exists", Severity::Block, &id);
    assert!(!report.passed);
    assert!(report.database.is_none());
    assert_eq!(report.findings.len(), 1, "{}", report.report);
}

#[tokio::test]
async fn missing_database_fails_an_upgrade_with_the_full_report() {
    let id = unique("pc-missing-up");
    let event = json!({ "request": request(&id, "mysql", "upgrade", json!({})) });
    let err = precheck::handle(event, &moto().factory())
        .await
        .expect_err("blocking finding");
    assert_eq!(err.name(), "PrecheckFailed");
    let report: Report =
        serde_json::from_str(&err.to_string()).expect("the message is the JSON report");
    assert!(!report.passed);
    assert_eq!(report.blocking, 1);
    assert_eq!(report.findings[0].id, "source-exists");
    assert!(report.report.contains("FAILED"));
    assert!(!report.not_checked.is_empty());
}

#[tokio::test]
async fn engine_mismatch_is_reported_alone() {
    let id = unique("pc-engine");
    seed::aurora_mysql(moto(), &id, 0).await;
    let report = dry_run(&id, "aurora-postgresql", json!({})).await;
    assert_finding(&report, "engine-matches-target", Severity::Block, &id);
    assert_eq!(report.findings.len(), 1, "{}", report.report);
}

#[tokio::test]
async fn backups_off_blocks() {
    let id = unique("pc-backups");
    shapes::instance(moto(), &id, MYSQL, &[("binlog_format", "ROW")], |c| {
        c.backup_retention_period(0)
    })
    .await;
    let report = dry_run(&id, "mysql", json!({})).await;
    assert_finding(&report, "automated-backups", Severity::Block, &id);
    assert_eq!(report.blocking, 1, "{}", report.report);
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn dry_run_reports_three_problems_in_one_run() {
    let id = unique("pc-three");
    shapes::instance(moto(), &id, MYSQL, &[("event_scheduler", "ON")], |c| {
        c.backup_retention_period(0).deletion_protection(true)
    })
    .await;
    let report = dry_run(&id, "mysql", json!({})).await;
    assert_finding(&report, "automated-backups", Severity::Block, &id);
    assert_finding(&report, "binlog-format", Severity::Block, &id);
    assert_finding(&report, "event-scheduler-green", Severity::Block, &id);
    assert_finding(&report, "deletion-protection", Severity::Warn, &id);
    assert_eq!(
        (report.blocking, report.warnings),
        (3, 1),
        "{}",
        report.report
    );
    assert!(!report.passed);
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn aurora_mysql_binlog_off_blocks() {
    let id = unique("pc-binlog-am");
    shapes::cluster(
        moto(),
        &id,
        AURORA_MYSQL,
        &[("binlog_format", "OFF")],
        |c| c,
    )
    .await;
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "binlog-format", Severity::Block, &id);
    assert!(report.findings.iter().any(|f| f.message.contains("OFF")));
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn aurora_postgres_without_logical_replication_blocks() {
    let id = unique("pc-logical");
    shapes::cluster(
        moto(),
        &id,
        AURORA_POSTGRES,
        &[("rds.logical_replication", "0")],
        |c| c,
    )
    .await;
    let report = dry_run(&id, "aurora-postgresql", json!({})).await;
    assert_finding(&report, "logical-replication", Severity::Block, &id);
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn rds_postgres_minor_change_does_not_need_logical_replication() {
    let id = unique("pc-physical");
    shapes::instance(moto(), &id, POSTGRES, &[], |c| c).await;
    let report = dry_run(&id, "postgres", json!({})).await;
    assert_eq!(
        severity_of(&report, "logical-replication"),
        None,
        "{}",
        report.report
    );
    assert!(report.passed, "{}", report.report);
}

#[tokio::test]
async fn postgres_replication_limits_block() {
    let id = unique("pc-limits");
    let params = [
        ("rds.logical_replication", "1"),
        ("max_logical_replication_workers", "8"),
        ("max_worker_processes", "8"),
        ("max_wal_senders", "0"),
    ];
    shapes::cluster(moto(), &id, AURORA_POSTGRES, &params, |c| c).await;
    let report = dry_run(&id, "aurora-postgresql", json!({})).await;
    assert_finding(&report, "pg-replication-limits", Severity::Block, &id);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.id == "pg-replication-limits")
            .count(),
        2,
        "{}",
        report.report
    );
}

#[tokio::test]
async fn aurora_postgres_synchronous_commit_off_blocks() {
    let id = unique("pc-sync");
    shapes::cluster(
        moto(),
        &id,
        AURORA_POSTGRES,
        &[
            ("rds.logical_replication", "1"),
            ("synchronous_commit", "off"),
        ],
        |c| c,
    )
    .await;
    let report = dry_run(&id, "aurora-postgresql", json!({})).await;
    assert_finding(&report, "synchronous-commit", Severity::Block, &id);
}

#[tokio::test]
async fn old_aurora_postgres_minor_blocks() {
    let id = unique("pc-minver");
    shapes::cluster(
        moto(),
        &id,
        ("aurora-postgresql", "15.3", "aurora-postgresql15"),
        &[("rds.logical_replication", "1")],
        |c| c,
    )
    .await;
    let report = dry_run(&id, "aurora-postgresql", json!({})).await;
    assert_finding(&report, "pg-min-version", Severity::Block, &id);
    assert!(report.findings.iter().any(|f| f.message.contains("15.4")));
}

#[tokio::test]
async fn missing_and_mismatched_target_groups_block() {
    let id = unique("pc-groups");
    seed::aurora_mysql(moto(), &id, 0).await;
    let other = format!("{id}-pg15");
    seed::cluster_parameter_group(moto(), &other, "aurora-postgresql15", &[]).await;
    let report = dry_run(&id, "aurora-mysql", json!({"targetDbClusterParameterGroupName": other, "targetDbParameterGroupName": format!("{id}-nope")})).await;
    assert_finding(
        &report,
        "target-parameter-group-exists",
        Severity::Block,
        &id,
    );
    assert_finding(
        &report,
        "target-parameter-group-family",
        Severity::Block,
        &id,
    );
    let family = report
        .findings
        .iter()
        .find(|f| f.id == "target-parameter-group-family")
        .unwrap();
    assert!(
        family.message.contains("aurora-mysql8.0"),
        "{}",
        family.message
    );
    // The named cluster group has no binlog_format either.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.id == "binlog-format" && f.message.contains(&other)),
        "{}",
        report.report
    );
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn existing_deployment_blocks_and_nothing_more_is_created() {
    let id = unique("pc-existing");
    seed::aurora_mysql(moto(), &id, 0).await;
    let rds = moto().rds();
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
    rds.create_blue_green_deployment()
        .blue_green_deployment_name(format!("{id}-bg"))
        .source(&arn)
        .send()
        .await
        .expect("seed a deployment");
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "existing-deployment", Severity::Block, &id);
    let all = bluegreen::aws::deployment::list(&rds).await.unwrap();
    let ours = all.iter().filter(|d| d.source_arn == arn).count();
    assert_eq!(ours, 1, "still only the seeded deployment");
}

#[tokio::test]
async fn managed_master_password_blocks() {
    let id = unique("pc-secret");
    shapes::cluster(
        moto(),
        &id,
        AURORA_MYSQL,
        &[("binlog_format", "ROW")],
        |c| {
            c.manage_master_user_password(true)
                .set_master_user_password(None)
        },
    )
    .await;
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "managed-master-password", Severity::Block, &id);
    assert_nothing_created(moto(), &format!(":{id}")).await;
}

#[tokio::test]
async fn serverless_v1_blocks() {
    let id = unique("pc-slv1");
    shapes::cluster(
        moto(),
        &id,
        AURORA_MYSQL,
        &[("binlog_format", "ROW")],
        |c| c.engine_mode("serverless"),
    )
    .await;
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "serverless-v1", Severity::Block, &id);
}

#[tokio::test]
async fn backtrack_warns() {
    let id = unique("pc-backtrack");
    shapes::cluster(
        moto(),
        &id,
        AURORA_MYSQL,
        &[("binlog_format", "ROW")],
        |c| c.backtrack_window(3600),
    )
    .await;
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "backtrack-enabled", Severity::Warn, &id);
    assert!(report.passed, "a warning does not fail: {}", report.report);
}

#[tokio::test]
async fn deletion_protection_warns() {
    let id = unique("pc-delprot");
    shapes::cluster(
        moto(),
        &id,
        AURORA_MYSQL,
        &[("binlog_format", "ROW")],
        |c| c.deletion_protection(true),
    )
    .await;
    let event = json!({ "request": request(&id, "aurora-mysql", "upgrade", json!({})) });
    let report = precheck::handle(event, &moto().factory())
        .await
        .expect("warnings do not fail an upgrade");
    assert_finding(&report, "deletion-protection", Severity::Warn, &id);
    assert!(report.passed);
}

#[tokio::test]
async fn global_database_member_warns() {
    let id = unique("pc-global");
    let global = format!("{id}-global");
    moto()
        .rds()
        .create_global_cluster()
        .global_cluster_identifier(&global)
        .engine("aurora-mysql")
        .engine_version(AURORA_MYSQL.1)
        .send()
        .await
        .expect("global cluster");
    shapes::cluster(
        moto(),
        &id,
        AURORA_MYSQL,
        &[("binlog_format", "ROW")],
        |c| c.global_cluster_identifier(&global),
    )
    .await;
    let report = dry_run(&id, "aurora-mysql", json!({})).await;
    assert_finding(&report, "global-database", Severity::Warn, &id);
}

#[tokio::test]
async fn multi_az_db_cluster_blocks() {
    let id = unique("pc-maz");
    moto()
        .rds()
        .create_db_cluster()
        .db_cluster_identifier(&id)
        .engine("mysql")
        .engine_version("8.0.35")
        .db_cluster_instance_class("db.m6gd.large")
        .storage_type("io1")
        .iops(1000)
        .allocated_storage(100)
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect("multi-AZ DB cluster");
    let report = dry_run(&id, "mysql", json!({})).await;
    assert_finding(&report, "multi-az-db-cluster", Severity::Block, &id);
    assert!(report.database.is_none());
}

#[tokio::test]
async fn read_replica_as_source_and_cascading_replicas_block() {
    let id = unique("pc-replica");
    shapes::instance(moto(), &id, MYSQL, &[("binlog_format", "ROW")], |c| c).await;
    let rds = moto().rds();
    let first = format!("{id}-r1");
    rds.create_db_instance_read_replica()
        .db_instance_identifier(&first)
        .source_db_instance_identifier(&id)
        .send()
        .await
        .expect("replica");
    rds.create_db_instance_read_replica()
        .db_instance_identifier(format!("{id}-r2"))
        .source_db_instance_identifier(&first)
        .send()
        .await
        .expect("cascading replica");
    let report = dry_run(&id, "mysql", json!({})).await;
    assert_finding(&report, "cascading-replica", Severity::Block, &id);
    let report = dry_run(&first, "mysql", json!({})).await;
    assert_finding(&report, "source-is-replica", Severity::Block, &first);
}

#[tokio::test]
async fn storage_combination_blocks() {
    let id = unique("pc-storage");
    seed::rds_instance(moto(), &id, "mysql", "8.0.35").await;
    let report = dry_run(
        &id,
        "mysql",
        json!({"targetStorageType": "io1", "targetIops": 10000}),
    )
    .await;
    assert_finding(&report, "storage-config", Severity::Block, &id);
    assert!(
        report.findings.iter().any(|f| f.message.contains("100.00")),
        "{}",
        report.report
    );
    let report = dry_run(&id, "mysql", json!({"targetStorageType": "gp3", "targetAllocatedStorage": 500, "targetIops": 12000, "targetStorageThroughput": 500})).await;
    assert_eq!(
        severity_of(&report, "storage-config"),
        None,
        "{}",
        report.report
    );
}

#[tokio::test]
async fn instance_class_without_listed_options_is_not_checked() {
    // moto lists orderable options for Aurora PostgreSQL only; for MySQL it answers none,
    // which the rule reports as not checked rather than as a refused class.
    let id = unique("pc-class");
    seed::rds_instance(moto(), &id, "mysql", "8.0.35").await;
    let report = dry_run(
        &id,
        "mysql",
        json!({"targetDbInstanceClass": "db.r7g.large"}),
    )
    .await;
    assert!(report.passed, "{}", report.report);
    assert!(
        report
            .not_checked
            .iter()
            .any(|n| n.id == "instance-class-orderable"),
        "{}",
        report.report
    );
}

#[tokio::test]
async fn bad_request_is_invalid_input() {
    let event = json!({"request": {"target": {"region": REGION, "identifier": "bad--id", "engine": "mysql"}}});
    let err = precheck::handle(event, &moto().factory())
        .await
        .expect_err("invalid");
    assert_eq!(err.name(), "InvalidInput");
    assert!(err.to_string().contains("target.identifier"), "{err}");
}

#[tokio::test]
async fn a_database_without_the_enrolment_tag_blocks_with_the_fix() {
    let id = unique("pc-enrol");
    shapes::instance(moto(), &id, MYSQL, &[("binlog_format", "ROW")], |c| {
        // Tagged, but not enrolled: another key, and the key with another value.
        c.set_tags(Some(vec![
            aws_sdk_rds::types::Tag::builder()
                .key("team")
                .value("db")
                .build(),
            aws_sdk_rds::types::Tag::builder()
                .key(bluegreen::aws::enrolment::KEY)
                .value("yes")
                .build(),
        ]))
    })
    .await;
    let report = dry_run(&id, "mysql", json!({})).await;
    assert_finding(&report, "enrolled", Severity::Block, &id);
    assert_eq!(report.blocking, 1, "{}", report.report);
    assert!(
        report.report.contains("rds-bluegreen:enrolled=true"),
        "{}",
        report.report
    );
    assert_nothing_created(moto(), &format!(":{id}")).await;
}
