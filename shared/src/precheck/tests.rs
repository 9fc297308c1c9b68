//! The rules moto cannot express, with SDK mocks: ValidUpgradeTarget and families
//! (moto has no DescribeDBEngineVersions), parameter apply status (moto always says in-sync),
//! pending maintenance (not in moto), orderable classes (moto lists Aurora PostgreSQL only),
//! cross-Region replicas and global secondaries. Every mocked operation is a `Describe*`,
//! and an unmocked call panics, so these tests also prove the precheck only reads.

use std::sync::Arc;

use aws_sdk_rds::error::ErrorMetadata;
use aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsOutput;
use aws_sdk_rds::operation::describe_db_cluster_parameter_groups::{
    DescribeDBClusterParameterGroupsError, DescribeDbClusterParameterGroupsOutput,
};
use aws_sdk_rds::operation::describe_db_cluster_parameters::DescribeDbClusterParametersOutput;
use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_rds::operation::describe_db_engine_versions::DescribeDbEngineVersionsOutput;
use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::operation::describe_db_parameter_groups::{
    DescribeDBParameterGroupsError, DescribeDbParameterGroupsOutput,
};
use aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput;
use aws_sdk_rds::operation::describe_db_proxies::DescribeDbProxiesOutput;
use aws_sdk_rds::operation::describe_db_proxy_targets::DescribeDbProxyTargetsOutput;
use aws_sdk_rds::operation::describe_event_subscriptions::DescribeEventSubscriptionsOutput;
use aws_sdk_rds::operation::describe_global_clusters::DescribeGlobalClustersOutput;
use aws_sdk_rds::operation::describe_integrations::DescribeIntegrationsOutput;
use aws_sdk_rds::operation::describe_orderable_db_instance_options::DescribeOrderableDbInstanceOptionsOutput;
use aws_sdk_rds::operation::describe_pending_maintenance_actions::{
    DescribePendingMaintenanceActionsError, DescribePendingMaintenanceActionsOutput,
};
use aws_sdk_rds::types::error::DbParameterGroupNotFoundFault;
use aws_sdk_rds::types::{
    DbCluster, DbClusterMember, DbClusterParameterGroup, DbEngineVersion, DbInstance,
    DbParameterGroup, DbParameterGroupStatus, GlobalCluster, GlobalClusterMember,
    OptionGroupMembership, OrderableDbInstanceOption, Parameter, PendingMaintenanceAction,
    ResourcePendingMaintenanceActions, UpgradeTarget,
};
use aws_sdk_rds::types::{DbProxy, DbProxyTarget, EventSubscription, Integration};
use aws_sdk_rds::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use serde_json::json;

use super::{run, Report, Severity};
use crate::input::Request;

const ACCOUNT: &str = "123456789012";

/// A parameter group in the mocked account.
#[derive(Clone)]
struct Group {
    name: &'static str,
    family: &'static str,
    params: Vec<(&'static str, &'static str)>,
}

fn group(
    name: &'static str,
    family: &'static str,
    params: &[(&'static str, &'static str)],
) -> Group {
    Group {
        name,
        family,
        params: params.to_vec(),
    }
}

/// What the mocked account holds. Each field becomes one `Describe*` rule.
#[derive(Clone, Default)]
struct World {
    cluster: Option<DbCluster>,
    instances: Vec<DbInstance>,
    cluster_groups: Vec<Group>,
    instance_groups: Vec<Group>,
    versions: Vec<DbEngineVersion>,
    orderable: Vec<&'static str>,
    pending: Vec<ResourcePendingMaintenanceActions>,
    pending_fails: bool,
    global: Option<GlobalCluster>,
    /// Each proxy with its targets.
    proxies: Vec<(DbProxy, Vec<DbProxyTarget>)>,
    integrations: Vec<Integration>,
    subscriptions: Vec<EventSubscription>,
}

/// The mocked rules, kept to count calls.
struct Mocks {
    clusters: Rule,
    instances: Rule,
    cluster_groups: Rule,
    cluster_params: Rule,
    instance_groups: Rule,
    instance_params: Rule,
    versions: Rule,
    deployments: Rule,
    orderable: Rule,
    pending: Rule,
    global: Rule,
    proxies: Rule,
    proxy_targets: Rule,
    integrations: Rule,
    subscriptions: Rule,
}

impl Mocks {
    fn all(&self) -> [&Rule; 15] {
        [
            &self.clusters,
            &self.instances,
            &self.cluster_groups,
            &self.cluster_params,
            &self.instance_groups,
            &self.instance_params,
            &self.versions,
            &self.deployments,
            &self.orderable,
            &self.pending,
            &self.global,
            &self.proxies,
            &self.proxy_targets,
            &self.integrations,
            &self.subscriptions,
        ]
    }
}

fn parameters(g: &Group) -> Vec<Parameter> {
    g.params
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_name(*k)
                .parameter_value(*v)
                .build()
        })
        .collect()
}

fn not_found(name: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("DBParameterGroupNotFound")
        .message(format!("{name} not found"))
        .build()
}

impl World {
    fn mocks(&self) -> Mocks {
        let w = Arc::new(self.clone());
        let (w11, w12, w13, w14) = (w.clone(), w.clone(), w.clone(), w.clone());
        let (w1, w2, w3, w4, w5, w6, w7, w8, w9, w10) = (
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
        );
        Mocks {
            clusters: mock!(Client::describe_db_clusters).then_compute_output(move |input| {
                let found = w1
                    .cluster
                    .iter()
                    .filter(|c| c.db_cluster_identifier() == input.db_cluster_identifier())
                    .cloned()
                    .collect();
                DescribeDbClustersOutput::builder()
                    .set_db_clusters(Some(found))
                    .build()
            }),
            instances: mock!(Client::describe_db_instances).then_compute_output(move |input| {
                let by_cluster = input
                    .filters()
                    .iter()
                    .find(|f| f.name() == Some("db-cluster-id"))
                    .and_then(|f| f.values().first().cloned());
                let found = w2
                    .instances
                    .iter()
                    .filter(|i| match (&by_cluster, input.db_instance_identifier()) {
                        (Some(cluster), _) => i.db_cluster_identifier() == Some(cluster.as_str()),
                        (None, Some(id)) => i.db_instance_identifier() == Some(id),
                        (None, None) => true,
                    })
                    .cloned()
                    .collect();
                DescribeDbInstancesOutput::builder()
                    .set_db_instances(Some(found))
                    .build()
            }),
            cluster_groups: mock!(Client::describe_db_cluster_parameter_groups)
                .then_compute_response(move |input| {
                    let name = input.db_cluster_parameter_group_name().unwrap_or_default();
                    match w3.cluster_groups.iter().find(|g| g.name == name) {
                        Some(g) => MockResponse::Output(
                            DescribeDbClusterParameterGroupsOutput::builder()
                                .db_cluster_parameter_groups(
                                    DbClusterParameterGroup::builder()
                                        .db_cluster_parameter_group_name(g.name)
                                        .db_parameter_group_family(g.family)
                                        .build(),
                                )
                                .build(),
                        ),
                        None => MockResponse::Error(
                            DescribeDBClusterParameterGroupsError::DbParameterGroupNotFoundFault(
                                DbParameterGroupNotFoundFault::builder()
                                    .meta(not_found(name))
                                    .build(),
                            ),
                        ),
                    }
                }),
            cluster_params: mock!(Client::describe_db_cluster_parameters).then_compute_output(
                move |input| {
                    let params = w4
                        .cluster_groups
                        .iter()
                        .find(|g| Some(g.name) == input.db_cluster_parameter_group_name())
                        .map(parameters)
                        .unwrap_or_default();
                    DescribeDbClusterParametersOutput::builder()
                        .set_parameters(Some(params))
                        .build()
                },
            ),
            instance_groups: mock!(Client::describe_db_parameter_groups).then_compute_response(
                move |input| {
                    let name = input.db_parameter_group_name().unwrap_or_default();
                    match w5.instance_groups.iter().find(|g| g.name == name) {
                        Some(g) => MockResponse::Output(
                            DescribeDbParameterGroupsOutput::builder()
                                .db_parameter_groups(
                                    DbParameterGroup::builder()
                                        .db_parameter_group_name(g.name)
                                        .db_parameter_group_family(g.family)
                                        .build(),
                                )
                                .build(),
                        ),
                        None => MockResponse::Error(
                            DescribeDBParameterGroupsError::DbParameterGroupNotFoundFault(
                                DbParameterGroupNotFoundFault::builder()
                                    .meta(not_found(name))
                                    .build(),
                            ),
                        ),
                    }
                },
            ),
            instance_params: mock!(Client::describe_db_parameters).then_compute_output(
                move |input| {
                    let params = w6
                        .instance_groups
                        .iter()
                        .find(|g| Some(g.name) == input.db_parameter_group_name())
                        .map(parameters)
                        .unwrap_or_default();
                    DescribeDbParametersOutput::builder()
                        .set_parameters(Some(params))
                        .build()
                },
            ),
            versions: mock!(Client::describe_db_engine_versions).then_compute_output(
                move |input| {
                    let found = w7
                        .versions
                        .iter()
                        .filter(|v| {
                            v.engine_version() == input.engine_version()
                                && v.engine() == input.engine()
                        })
                        .cloned()
                        .collect();
                    DescribeDbEngineVersionsOutput::builder()
                        .set_db_engine_versions(Some(found))
                        .build()
                },
            ),
            deployments: mock!(Client::describe_blue_green_deployments)
                .then_output(|| DescribeBlueGreenDeploymentsOutput::builder().build()),
            orderable: mock!(Client::describe_orderable_db_instance_options).then_compute_output(
                move |input| {
                    let options = w8
                        .orderable
                        .iter()
                        .filter(|c| input.db_instance_class().is_none_or(|wanted| wanted == **c))
                        .map(|c| {
                            OrderableDbInstanceOption::builder()
                                .engine(input.engine().unwrap_or_default())
                                .engine_version(input.engine_version().unwrap_or_default())
                                .db_instance_class(*c)
                                .build()
                        })
                        .collect();
                    DescribeOrderableDbInstanceOptionsOutput::builder()
                        .set_orderable_db_instance_options(Some(options))
                        .build()
                },
            ),
            pending: mock!(Client::describe_pending_maintenance_actions).then_compute_response(
                move |_| {
                    if w9.pending_fails {
                        let meta = ErrorMetadata::builder()
                            .code("AccessDenied")
                            .message(
                                "not authorized to perform rds:DescribePendingMaintenanceActions",
                            )
                            .build();
                        return MockResponse::Error(
                            DescribePendingMaintenanceActionsError::generic(meta),
                        );
                    }
                    MockResponse::Output(
                        DescribePendingMaintenanceActionsOutput::builder()
                            .set_pending_maintenance_actions(Some(w9.pending.clone()))
                            .build(),
                    )
                },
            ),
            global: mock!(Client::describe_global_clusters).then_compute_output(move |_| {
                DescribeGlobalClustersOutput::builder()
                    .set_global_clusters(Some(w10.global.iter().cloned().collect()))
                    .build()
            }),
            proxies: mock!(Client::describe_db_proxies).then_compute_output(move |_| {
                DescribeDbProxiesOutput::builder()
                    .set_db_proxies(Some(w11.proxies.iter().map(|(p, _)| p.clone()).collect()))
                    .build()
            }),
            proxy_targets: mock!(Client::describe_db_proxy_targets).then_compute_output(
                move |input| {
                    let targets = w12
                        .proxies
                        .iter()
                        .find(|(p, _)| p.db_proxy_name() == input.db_proxy_name())
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default();
                    DescribeDbProxyTargetsOutput::builder()
                        .set_targets(Some(targets))
                        .build()
                },
            ),
            integrations: mock!(Client::describe_integrations).then_compute_output(move |_| {
                DescribeIntegrationsOutput::builder()
                    .set_integrations(Some(w13.integrations.clone()))
                    .build()
            }),
            subscriptions: mock!(Client::describe_event_subscriptions).then_compute_output(
                move |_| {
                    DescribeEventSubscriptionsOutput::builder()
                        .set_event_subscriptions_list(Some(w14.subscriptions.clone()))
                        .build()
                },
            ),
        }
    }
}

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:rds:us-east-1:{ACCOUNT}:{kind}:{name}")
}

fn in_sync(name: &str) -> DbParameterGroupStatus {
    DbParameterGroupStatus::builder()
        .db_parameter_group_name(name)
        .parameter_apply_status("in-sync")
        .build()
}

/// A healthy RDS MySQL 8.0 instance with binlog on.
fn rds_mysql() -> World {
    let instance = DbInstance::builder()
        .db_instance_identifier("orders")
        .db_instance_arn(arn("db", "orders"))
        .tag_list(crate::aws::enrolment::tag())
        .engine("mysql")
        .engine_version("8.0.35")
        .db_instance_status("available")
        .db_instance_class("db.m6g.large")
        .backup_retention_period(7)
        .storage_type("gp3")
        .allocated_storage(100)
        .db_parameter_groups(in_sync("orders-80"))
        .option_group_memberships(
            OptionGroupMembership::builder()
                .option_group_name("default:mysql-8-0")
                .status("in-sync")
                .build(),
        )
        .build();
    World {
        instances: vec![instance],
        instance_groups: vec![
            group("orders-80", "mysql8.0", &[("binlog_format", "ROW")]),
            group("orders-84", "mysql8.4", &[("binlog_format", "ROW")]),
        ],
        versions: vec![
            version(
                "mysql",
                "8.0.35",
                "mysql8.0",
                &[("8.0.39", false), ("8.4.3", true)],
            ),
            version("mysql", "8.4.3", "mysql8.4", &[]),
            version("mysql", "8.0.39", "mysql8.0", &[]),
        ],
        orderable: vec!["db.m6g.large", "db.r6g.large"],
        ..World::default()
    }
}

/// A healthy Aurora PostgreSQL 15.6 cluster with a writer and a reader.
fn aurora_postgres() -> World {
    let member = |id: &str, writer: bool| {
        DbClusterMember::builder()
            .db_instance_identifier(id)
            .is_cluster_writer(writer)
            .db_cluster_parameter_group_status("in-sync")
            .build()
    };
    let cluster = DbCluster::builder()
        .db_cluster_identifier("ledger")
        .db_cluster_arn(arn("cluster", "ledger"))
        .tag_list(crate::aws::enrolment::tag())
        .engine("aurora-postgresql")
        .engine_version("15.6")
        .status("available")
        .backup_retention_period(7)
        .db_cluster_parameter_group("ledger-cpg")
        .db_cluster_members(member("ledger-0", true))
        .db_cluster_members(member("ledger-1", false))
        .build();
    let instance = |id: &str| {
        DbInstance::builder()
            .db_instance_identifier(id)
            .db_instance_arn(arn("db", id))
            .tag_list(crate::aws::enrolment::tag())
            .db_cluster_identifier("ledger")
            .engine("aurora-postgresql")
            .engine_version("15.6")
            .db_instance_status("available")
            .db_instance_class("db.r6g.large")
            .db_parameter_groups(in_sync("ledger-pg"))
            .build()
    };
    World {
        cluster: Some(cluster),
        instances: vec![instance("ledger-0"), instance("ledger-1")],
        cluster_groups: vec![
            group(
                "ledger-cpg",
                "aurora-postgresql15",
                &[("rds.logical_replication", "1")],
            ),
            group(
                "ledger-16-cpg",
                "aurora-postgresql16",
                &[("rds.logical_replication", "1")],
            ),
        ],
        instance_groups: vec![group("ledger-pg", "aurora-postgresql15", &[])],
        versions: vec![
            version(
                "aurora-postgresql",
                "15.6",
                "aurora-postgresql15",
                &[("15.10", false), ("16.4", true)],
            ),
            version("aurora-postgresql", "16.4", "aurora-postgresql16", &[]),
        ],
        orderable: vec!["db.r6g.large"],
        ..World::default()
    }
}

fn version(engine: &str, v: &str, family: &str, targets: &[(&str, bool)]) -> DbEngineVersion {
    let mut b = DbEngineVersion::builder()
        .engine(engine)
        .engine_version(v)
        .db_parameter_group_family(family);
    for (t, major) in targets {
        b = b.valid_upgrade_target(
            UpgradeTarget::builder()
                .engine(engine)
                .engine_version(*t)
                .is_major_version_upgrade(*major)
                .build(),
        );
    }
    b.build()
}

fn request(engine: &str, identifier: &str, options: serde_json::Value) -> Request {
    Request::from_value(json!({"action": "dry-run", "target": {"region": "us-east-1", "identifier": identifier, "engine": engine}, "options": options})).expect("valid request")
}

/// Runs the precheck against the world and returns the report with the mocks for counting.
async fn check(world: &World, req: Request) -> (Report, Mocks) {
    let mocks = world.mocks();
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, mocks.all());
    let report = run(&rds, &req).await.expect("precheck runs");
    (report, mocks)
}

fn finding<'r>(report: &'r Report, id: &str) -> &'r super::Finding {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no `{id}` in:\n{}", report.report))
}

#[tokio::test]
async fn clean_worlds_pass() {
    let (report, _) = check(&rds_mysql(), request("mysql", "orders", json!({}))).await;
    assert!(
        report.passed && report.findings.is_empty(),
        "{}",
        report.report
    );
    let (report, _) = check(&aurora_postgres(), request("aurora-postgresql", "ledger", json!({"targetEngineVersion": "16.4", "targetDbClusterParameterGroupName": "ledger-16-cpg"}))).await;
    assert!(report.passed, "{}", report.report);
    assert!(
        report.findings.iter().all(|f| f.severity == Severity::Warn),
        "{}",
        report.report
    );
}

#[tokio::test]
async fn target_version_not_in_valid_upgrade_targets_blocks() {
    let (report, mocks) = check(
        &rds_mysql(),
        request(
            "mysql",
            "orders",
            json!({"targetEngineVersion": "5.7.44", "targetDbParameterGroupName": "orders-80"}),
        ),
    )
    .await;
    let f = finding(&report, "target-version-valid");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("orders")
            && f.message.contains("5.7.44")
            && f.message.contains("8.0.39, 8.4.3"),
        "{}",
        f.message
    );
    // The source version once (ValidUpgradeTarget), the target once (its family).
    assert_eq!(mocks.versions.num_calls(), 2);
}

#[tokio::test]
async fn target_group_of_the_wrong_family_for_the_new_version_blocks() {
    let (report, mocks) = check(
        &rds_mysql(),
        request(
            "mysql",
            "orders",
            json!({"targetEngineVersion": "8.4.3", "targetDbParameterGroupName": "orders-80"}),
        ),
    )
    .await;
    let f = finding(&report, "target-parameter-group-family");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("mysql8.0") && f.message.contains("mysql8.4"),
        "{}",
        f.message
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.id != "target-version-valid"),
        "8.4.3 is a valid target"
    );
    // Each group read once although several rules use it.
    assert_eq!(
        mocks.instance_groups.num_calls(),
        1,
        "orders-80 as blue's and as the named target: one read"
    );
    assert_eq!(mocks.instance_params.num_calls(), 1);
}

#[tokio::test]
async fn major_upgrade_to_the_default_group_warns_or_blocks_on_lower_case_table_names() {
    let (report, _) = check(
        &rds_mysql(),
        request("mysql", "orders", json!({"targetEngineVersion": "8.4.3"})),
    )
    .await;
    assert_eq!(
        finding(&report, "target-parameter-group-default").severity,
        Severity::Warn
    );
    assert!(report.passed, "{}", report.report);

    let mut world = rds_mysql();
    world.instance_groups[0]
        .params
        .push(("lower_case_table_names", "1"));
    let (report, _) = check(
        &world,
        request("mysql", "orders", json!({"targetEngineVersion": "8.4.3"})),
    )
    .await;
    let f = finding(&report, "target-parameter-group-default");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("lower_case_table_names = 1"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn custom_option_group_blocks_a_major_mysql_upgrade_only() {
    let mut world = rds_mysql();
    world.instances[0].option_group_memberships = Some(vec![OptionGroupMembership::builder()
        .option_group_name("orders-options")
        .status("in-sync")
        .build()]);
    let (report, _) = check(
        &world,
        request(
            "mysql",
            "orders",
            json!({"targetEngineVersion": "8.4.3", "targetDbParameterGroupName": "orders-84"}),
        ),
    )
    .await;
    let f = finding(&report, "option-group-major-upgrade");
    assert_eq!(f.severity, Severity::Block);
    assert!(f.message.contains("orders-options"), "{}", f.message);
    let (report, _) = check(
        &world,
        request("mysql", "orders", json!({"targetEngineVersion": "8.0.39"})),
    )
    .await;
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.id != "option-group-major-upgrade"),
        "a minor upgrade keeps the group: {}",
        report.report
    );
}

#[tokio::test]
async fn instance_class_not_offered_for_the_target_version_blocks() {
    let (report, mocks) = check(
        &rds_mysql(),
        request(
            "mysql",
            "orders",
            json!({"targetDbInstanceClass": "db.t2.micro"}),
        ),
    )
    .await;
    let f = finding(&report, "instance-class-orderable");
    assert_eq!(f.severity, Severity::Block);
    assert!(f.message.contains("db.t2.micro"), "{}", f.message);
    assert_eq!(
        mocks.orderable.num_calls(),
        2,
        "the class, then whether anything is listed"
    );
    let (report, _) = check(
        &rds_mysql(),
        request(
            "mysql",
            "orders",
            json!({"targetDbInstanceClass": "db.r6g.large"}),
        ),
    )
    .await;
    assert!(
        report.passed && report.findings.is_empty(),
        "{}",
        report.report
    );
}

#[tokio::test]
async fn same_version_and_class_skip_engine_versions_and_orderable_options() {
    let (_, mocks) = check(
        &aurora_postgres(),
        request("aurora-postgresql", "ledger", json!({})),
    )
    .await;
    assert_eq!(mocks.versions.num_calls(), 0);
    assert_eq!(mocks.orderable.num_calls(), 0);
    assert_eq!(
        mocks.cluster_groups.num_calls(),
        1,
        "blue's cluster group read once for several rules"
    );
    assert_eq!(mocks.cluster_params.num_calls(), 1);
}

#[tokio::test]
async fn pending_reboot_blocks_with_the_fix_reboot() {
    let mut world = aurora_postgres();
    if let Some(cluster) = world.cluster.as_mut() {
        let writer = DbClusterMember::builder()
            .db_instance_identifier("ledger-0")
            .is_cluster_writer(true)
            .db_cluster_parameter_group_status("pending-reboot");
        cluster.db_cluster_members = Some(vec![writer.build()]);
    }
    world.instances[1].db_parameter_groups = Some(vec![DbParameterGroupStatus::builder()
        .db_parameter_group_name("ledger-pg")
        .parameter_apply_status("applying")
        .build()]);
    let (report, _) = check(&world, request("aurora-postgresql", "ledger", json!({}))).await;
    let out: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "parameters-in-sync")
        .collect();
    assert_eq!(out.len(), 2, "{}", report.report);
    assert!(out.iter().all(|f| f.severity == Severity::Block));
    let reboot = out.iter().find(|f| f.message.contains("ledger-0")).unwrap();
    assert!(reboot.fix.starts_with("reboot ledger-0"), "{}", reboot.fix);
    assert!(reboot.message.contains("pending-reboot"));
    let applying = out.iter().find(|f| f.message.contains("ledger-1")).unwrap();
    assert!(applying.fix.starts_with("wait"), "{}", applying.fix);
}

#[tokio::test]
async fn pending_maintenance_warns_and_an_unreadable_list_is_not_checked() {
    let mut world = rds_mysql();
    world.pending = vec![
        ResourcePendingMaintenanceActions::builder()
            .resource_identifier(arn("db", "orders"))
            .pending_maintenance_action_details(
                PendingMaintenanceAction::builder()
                    .action("system-update")
                    .description("New Operating System update is available")
                    .build(),
            )
            .build(),
        ResourcePendingMaintenanceActions::builder()
            .resource_identifier(arn("db", "someone-else"))
            .pending_maintenance_action_details(
                PendingMaintenanceAction::builder()
                    .action("db-upgrade")
                    .build(),
            )
            .build(),
    ];
    let (report, _) = check(&world, request("mysql", "orders", json!({}))).await;
    let f = finding(&report, "pending-maintenance");
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.message.contains("system-update"), "{}", f.message);
    assert_eq!(
        report.warnings, 1,
        "another database's maintenance is not ours: {}",
        report.report
    );

    let mut world = rds_mysql();
    world.pending_fails = true;
    let (report, _) = check(&world, request("mysql", "orders", json!({}))).await;
    assert!(report.passed);
    let skipped = report
        .not_checked
        .iter()
        .find(|n| n.id == "pending-maintenance")
        .expect("listed as not checked");
    assert!(
        skipped.reason.contains("AccessDenied"),
        "{}",
        skipped.reason
    );
}

#[tokio::test]
async fn cross_region_replica_blocks() {
    let mut world = rds_mysql();
    world.instances[0].read_replica_db_instance_identifiers = Some(vec![
        "arn:aws:rds:eu-west-1:123456789012:db:orders-dr".into(),
    ]);
    let (report, mocks) = check(&world, request("mysql", "orders", json!({}))).await;
    let f = finding(&report, "cross-region-replica");
    assert_eq!(f.severity, Severity::Block);
    assert!(f.message.contains("orders-dr"));
    assert_eq!(
        mocks.instances.num_calls(),
        1,
        "a remote replica is not described in this Region"
    );
}

#[tokio::test]
async fn global_secondary_blocks() {
    let mut world = aurora_postgres();
    if let Some(cluster) = world.cluster.as_mut() {
        cluster.global_cluster_identifier = Some("ledger-global".into());
    }
    world.global = Some(
        GlobalCluster::builder()
            .global_cluster_identifier("ledger-global")
            .global_cluster_members(
                GlobalClusterMember::builder()
                    .db_cluster_arn(arn("cluster", "ledger"))
                    .is_writer(false)
                    .build(),
            )
            .build(),
    );
    let (report, mocks) = check(&world, request("aurora-postgresql", "ledger", json!({}))).await;
    assert_eq!(
        finding(&report, "global-database-secondary").severity,
        Severity::Block
    );
    assert_eq!(mocks.global.num_calls(), 1);
}

#[tokio::test]
async fn every_call_is_a_describe() {
    // All the rules above are Describe* operations; an operation without a rule panics
    // (aws-smithy-mocks' must-match), so a full run touching every group proves the point.
    let mut world = rds_mysql();
    world.pending = Vec::new();
    let (report, mocks) = check(&world, request("mysql", "orders", json!({"targetEngineVersion": "8.4.3", "targetDbParameterGroupName": "orders-84", "targetDbInstanceClass": "db.r6g.large"}))).await;
    assert!(report.passed, "{}", report.report);
    let called: usize = mocks.all().iter().map(|r| r.num_calls()).sum();
    assert!(
        called >= 8,
        "the run read the database, groups, versions, deployments, classes, maintenance: {called}"
    );
    assert_eq!(mocks.deployments.num_calls(), 1);
}

fn proxy(name: &str, family: &str, target: &str, health: &str) -> (DbProxy, Vec<DbProxyTarget>) {
    use aws_sdk_rds::types::{DbProxyStatus, TargetHealth, TargetState, TargetType};
    (
        DbProxy::builder()
            .db_proxy_name(name)
            .engine_family(family)
            .status(DbProxyStatus::Available)
            .build(),
        vec![DbProxyTarget::builder()
            .rds_resource_id(target)
            .r#type(TargetType::RdsInstance)
            .target_health(
                TargetHealth::builder()
                    .state(TargetState::from(health))
                    .description("proxy cannot reach the database")
                    .build(),
            )
            .build()],
    )
}

#[tokio::test]
async fn proxies_targeting_blue_are_named_and_an_unready_one_blocks() {
    let mut world = rds_mysql();
    world.proxies = vec![
        proxy("orders-proxy", "MYSQL", "orders", "AVAILABLE"),
        proxy("other-proxy", "MYSQL", "payments", "AVAILABLE"),
    ];
    let (report, mocks) = check(&world, request("mysql", "orders", json!({}))).await;
    let f = finding(&report, "rds-proxy-target");
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.message.contains("orders-proxy") && !f.message.contains("other-proxy"),
        "{}",
        f.message
    );
    assert!(report.passed, "{}", report.report);
    assert_eq!(
        mocks.proxy_targets.num_calls(),
        2,
        "every proxy's targets read once"
    );
    let baseline = report.baseline.expect("baseline recorded");
    assert!(baseline.proxies_known);
    assert_eq!(baseline.proxy_targets.len(), 1);
    assert_eq!(baseline.proxy_targets[0].proxy, "orders-proxy");

    world.proxies = vec![proxy("orders-proxy", "MYSQL", "orders", "UNAVAILABLE")];
    let (report, _) = check(&world, request("mysql", "orders", json!({}))).await;
    let f = finding(&report, "rds-proxy-target-not-ready");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("orders-proxy") && f.message.contains("UNAVAILABLE (proxy cannot reach"),
        "{}",
        f.message
    );

    world.proxies = vec![proxy("orders-proxy", "POSTGRESQL", "orders", "AVAILABLE")];
    let (report, _) = check(&world, request("mysql", "orders", json!({}))).await;
    assert_eq!(
        finding(&report, "rds-proxy-engine-family").severity,
        Severity::Block
    );
}

fn global_writer(world: &mut World, failover: Option<&str>) {
    use aws_sdk_rds::types::{FailoverState, FailoverStatus};
    if let Some(cluster) = world.cluster.as_mut() {
        cluster.global_cluster_identifier = Some("ledger-global".into());
    }
    let mut global = GlobalCluster::builder()
        .global_cluster_identifier("ledger-global")
        .engine_version("15.6")
        .global_cluster_members(
            GlobalClusterMember::builder()
                .db_cluster_arn(arn("cluster", "ledger"))
                .is_writer(true)
                .build(),
        )
        .global_cluster_members(
            GlobalClusterMember::builder()
                .db_cluster_arn(format!("arn:aws:rds:eu-west-1:{ACCOUNT}:cluster:ledger-eu"))
                .is_writer(false)
                .build(),
        );
    if let Some(status) = failover {
        global = global.failover_state(
            FailoverState::builder()
                .status(FailoverStatus::from(status))
                .build(),
        );
    }
    world.global = Some(global.build());
}

/// Runs the precheck with `secondary` answering for every other Region.
async fn check_regions(world: &World, secondary: &World, req: Request) -> (Report, Mocks) {
    let mocks = world.mocks();
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, mocks.all());
    let other = secondary.mocks();
    let other_rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, other.all());
    let asked = std::sync::Mutex::new(Vec::new());
    let regions = |region: &str| {
        asked.lock().unwrap().push(region.to_owned());
        Ok(other_rds.clone())
    };
    let report = super::run_in(&rds, &req, Some(&regions))
        .await
        .expect("precheck runs");
    assert_eq!(
        *asked.lock().unwrap(),
        ["eu-west-1"],
        "the secondary's Region only"
    );
    (report, mocks)
}

#[tokio::test]
async fn a_global_writer_needs_green_groups_in_every_secondary_region() {
    let mut world = aurora_postgres();
    global_writer(&mut world, None);
    let req = || {
        request(
            "aurora-postgresql",
            "ledger",
            json!({"targetEngineVersion": "16.4", "targetDbClusterParameterGroupName": "ledger-16-cpg"}),
        )
    };
    // The secondary Region has the same groups: the writer passes with the global warning.
    let (report, _) = check_regions(&world, &world, req()).await;
    assert!(report.passed, "{}", report.report);
    assert!(finding(&report, "global-database")
        .message
        .contains("ledger-eu (eu-west-1)"));

    let mut secondary = world.clone();
    secondary
        .cluster_groups
        .retain(|g| g.name != "ledger-16-cpg");
    let (report, _) = check_regions(&world, &secondary, req()).await;
    let f = finding(&report, "global-secondary-parameter-groups");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("eu-west-1") && f.message.contains("ledger-16-cpg"),
        "{}",
        f.message
    );

    // Without a way to read other Regions the rule says so instead of passing silently.
    let (report, _) = check(&world, req()).await;
    assert!(report
        .not_checked
        .iter()
        .any(|n| n.id == "global-secondary-parameter-groups"));
}

#[tokio::test]
async fn a_global_failover_in_flight_blocks() {
    let mut world = aurora_postgres();
    global_writer(&mut world, Some("failing-over"));
    let (report, _) = check_regions(
        &world,
        &world,
        request("aurora-postgresql", "ledger", json!({})),
    )
    .await;
    let f = finding(&report, "global-failover-in-flight");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("failing-over") && f.message.contains("ledger"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn zero_etl_blocks_and_roles_and_subscriptions_warn() {
    use aws_sdk_rds::types::{DbClusterRole, IntegrationStatus};
    let mut world = aurora_postgres();
    if let Some(cluster) = world.cluster.as_mut() {
        cluster.associated_roles = Some(vec![DbClusterRole::builder()
            .role_arn("arn:aws:iam::123456789012:role/s3-import")
            .feature_name("s3Import")
            .status("ACTIVE")
            .build()]);
    }
    world.integrations = vec![Integration::builder()
        .integration_name("ledger-to-redshift")
        .integration_arn("arn:aws:rds:us-east-1:123456789012:integration:abc")
        .source_arn(arn("cluster", "ledger"))
        .target_arn("arn:aws:redshift-serverless:us-east-1:123456789012:namespace/x")
        .status(IntegrationStatus::Active)
        .build()];
    world.subscriptions = vec![EventSubscription::builder()
        .cust_subscription_id("ledger-events")
        .source_ids_list("ledger")
        .build()];
    let (report, _) = check(&world, request("aurora-postgresql", "ledger", json!({}))).await;
    let f = finding(&report, "zero-etl-integration");
    assert_eq!(f.severity, Severity::Block);
    assert!(f.message.contains("ledger-to-redshift"), "{}", f.message);
    assert!(f.fix.contains("delete-integration --integration-identifier arn:aws:rds:us-east-1:123456789012:integration:abc"), "{}", f.fix);
    assert!(finding(&report, "associated-iam-roles")
        .message
        .contains("s3-import (s3Import)"));
    assert!(finding(&report, "event-subscriptions")
        .message
        .contains("ledger-events"));
    for id in ["dms-replication-tasks", "external-replication"] {
        assert!(report.not_checked.iter().any(|n| n.id == id), "{id}");
    }
    let baseline = report.baseline.expect("baseline");
    assert_eq!(
        baseline.associated_roles[0].feature_name.as_deref(),
        Some("s3Import")
    );

    let off = request(
        "aurora-postgresql",
        "ledger",
        json!({"restoreAssociatedRoles": false}),
    );
    let (report, _) = check(&world, off).await;
    assert!(finding(&report, "associated-iam-roles")
        .fix
        .contains("restoreAssociatedRoles is false"));
}
