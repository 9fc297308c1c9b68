//! The engine catalogue calls moto lacks (patched in tests/tools/moto_patches/engine_catalog.py)
//! answer as AWS does, so prechecks of upgrades run against the emulator: DescribeDBEngineVersions
//! with each version's family and the upgrade targets AWS offers from it.

use e2e::moto::moto;

#[tokio::test]
async fn engine_versions_list_valid_upgrade_targets_and_families() {
    let out = moto()
        .rds()
        .describe_db_engine_versions()
        .engine("mysql")
        .engine_version("8.0.36")
        .include_all(true)
        .send()
        .await
        .unwrap();
    let v = &out.db_engine_versions()[0];
    assert_eq!(v.db_parameter_group_family(), Some("mysql8.0"));
    let targets: Vec<(&str, bool)> = v
        .valid_upgrade_target()
        .iter()
        .map(|t| {
            (
                t.engine_version().unwrap(),
                t.is_major_version_upgrade().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [("8.0.39", false), ("8.0.40", false), ("8.4.3", true)]
    );
    let family = moto()
        .rds()
        .describe_db_engine_versions()
        .engine("postgres")
        .engine_version("16.4")
        .send()
        .await
        .unwrap();
    assert_eq!(
        family.db_engine_versions()[0].db_parameter_group_family(),
        Some("postgres16")
    );
}

/// "Major version upgrades for RDS for MySQL" (RDS User Guide): 5.7 to 8.0 and 8.0 to 8.4,
/// one major version at a time; PostgreSQL offers later majors directly.
#[tokio::test]
async fn only_the_upgrade_paths_aws_offers_are_valid_targets() {
    let targets = |engine: &'static str, version: &'static str| async move {
        moto()
            .rds()
            .describe_db_engine_versions()
            .engine(engine)
            .engine_version(version)
            .send()
            .await
            .unwrap()
            .db_engine_versions()[0]
            .valid_upgrade_target()
            .iter()
            .map(|t| t.engine_version().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let from_57 = targets("mysql", "5.7.44").await;
    assert!(from_57.iter().all(|v| v.starts_with("8.0.")), "{from_57:?}");
    assert!(!from_57.is_empty());
    assert_eq!(
        targets("postgres", "14.12").await,
        ["15.6", "15.10", "16.4"]
    );
    assert_eq!(targets("mysql", "8.4.3").await, Vec::<String>::new());
}

#[tokio::test]
async fn no_pending_maintenance_and_option_groups_list_without_a_name() {
    let pending = moto()
        .rds()
        .describe_pending_maintenance_actions()
        .send()
        .await
        .unwrap();
    assert!(pending.pending_maintenance_actions().is_empty());
    moto()
        .rds()
        .describe_option_groups()
        .send()
        .await
        .expect("listing option groups without a name works");
}
