//! Issue 21 against moto: a database's world around the upgrade. An RDS for PostgreSQL
//! instance behind an RDS Proxy, with an IAM role associated, upgraded (the proxy checked
//! before, the role associated with production after switchover, the proxy verified after);
//! a parity difference failing verify; a zero-ETL integration blocking; a global Aurora MySQL
//! cluster upgraded from its writer Region, blocked first by a secondary Region that lacks
//! green's parameter group.

use bluegreen::precheck::{Report, Severity};
use bluegreen::steps::{create, poll_status, precheck, switchover};
use e2e::moto::{moto, unique, ACCOUNT, REGION};
use e2e::seed;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/s3-import";
const SECONDARY: &str = "eu-west-1";

fn request(id: &str, engine: &str, version: &str, action: &str, extra: Value) -> Value {
    let mut options = json!({"targetEngineVersion": version, "gracePeriodSeconds": 0});
    options
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    json!({"action": action, "target": {"accountId": ACCOUNT, "region": REGION, "identifier": id, "engine": engine}, "options": options})
}

async fn dry_run(req: &Value) -> Report {
    let mut req = req.clone();
    req["action"] = json!("dry-run");
    precheck::handle(json!({ "request": req }), &moto().factory())
        .await
        .expect("a dry run answers a report")
}

fn finding<'r>(report: &'r Report, id: &str) -> &'r bluegreen::precheck::Finding {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no `{id}` in:\n{}", report.report))
}

/// The default VPC's subnets of moto's EC2 (a proxy needs two), read over its query API.
async fn subnets() -> Vec<String> {
    let body = reqwest::Client::new()
        .post(&moto().endpoint)
        .header("Authorization", format!("AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0"))
        // Only the default VPC's: other tests make VPCs too, and a proxy's subnets share one.
        .form(&[
            ("Action", "DescribeSubnets"),
            ("Version", "2016-11-15"),
            ("Filter.1.Name", "default-for-az"),
            ("Filter.1.Value.1", "true"),
        ])
        .send()
        .await
        .expect("DescribeSubnets")
        .text()
        .await
        .unwrap();
    let ids: Vec<String> = body
        .split("<subnetId>")
        .skip(1)
        .filter_map(|s| s.split("</subnetId>").next().map(str::to_owned))
        .collect();
    assert!(ids.len() >= 2, "moto's default VPC has subnets: {body}");
    ids
}

/// An RDS Proxy of `family` with `instance` registered as its target.
async fn proxy_in_front_of(name: &str, family: aws_sdk_rds::types::EngineFamily, instance: &str) {
    use aws_sdk_rds::types::{AuthScheme, UserAuthConfig};
    let rds = moto().rds();
    let mut create = rds
        .create_db_proxy()
        .db_proxy_name(name)
        .engine_family(family)
        .role_arn("arn:aws:iam::123456789012:role/proxy")
        .auth(
            UserAuthConfig::builder()
                .auth_scheme(AuthScheme::Secrets)
                .secret_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:db")
                .build(),
        );
    for s in subnets().await.into_iter().take(2) {
        create = create.vpc_subnet_ids(s);
    }
    create.send().await.expect("create proxy");
    rds.register_db_proxy_targets()
        .db_proxy_name(name)
        .db_instance_identifiers(instance)
        .send()
        .await
        .expect("register blue");
}

async fn answer<T: serde::Serialize>(r: Result<T, bluegreen::Error>) -> Value {
    serde_json::to_value(r.expect("the step answers")).unwrap()
}

/// create, snapshot, switchover, as the state machine runs them; answers the deployment ref.
async fn create_and_switch(req: &Value) -> Value {
    let factory = moto().factory();
    let created = answer(create::handle(json!({"request": req}), &factory).await).await;
    let deployment = json!({"id": created["id"], "name": created["name"], "sourceArn": created["sourceArn"], "identity": created["identity"]});
    let switched = answer(
        switchover::handle(
            json!({"operation": "switchover", "request": req, "deployment": deployment}),
            &factory,
        )
        .await,
    )
    .await;
    assert_eq!(switched["action"], "switchover-requested", "{switched:#}");
    deployment
}

/// `verify` with the precheck's answer, retried on `NotReady` as the state machine does.
async fn verify(
    req: &Value,
    deployment: &Value,
    precheck: &Report,
) -> Result<Value, bluegreen::Error> {
    let event = json!({"operation": "verify", "request": req, "deployment": deployment, "precheck": precheck});
    for _ in 0..5 {
        match poll_status::handle(event.clone(), &moto().factory()).await {
            Ok(a) => return Ok(serde_json::to_value(a).unwrap()),
            Err(e) if e.name() == "NotReady" => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            Err(e) => return Err(e),
        }
    }
    panic!("production never settled");
}

fn roles_of(instance: &aws_sdk_rds::types::DbInstance) -> Vec<String> {
    instance
        .associated_roles()
        .iter()
        .filter_map(|r| r.role_arn().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_postgres_instance_behind_a_proxy_is_upgraded_with_its_role_restored() {
    let rds = moto().rds();
    let id = unique("prxpg");
    let proxy = unique("prx");
    seed::rds_instance(moto(), &id, "postgres", "15.6").await;
    rds.add_role_to_db_instance()
        .db_instance_identifier(&id)
        .role_arn(ROLE)
        .feature_name("s3Import")
        .send()
        .await
        .expect("associate a role with blue");
    proxy_in_front_of(&proxy, aws_sdk_rds::types::EngineFamily::Postgresql, &id).await;
    let req = request(&id, "postgres", "16.4", "upgrade", json!({}));

    // Registered and AVAILABLE (moto completes a registration at once; an unready target
    // blocks, proved with SDK mocks in shared/src/precheck/tests.rs).
    let early = dry_run(&req).await;
    assert!(early.passed, "{}", early.report);
    // Registered: a warning naming the proxy, and the baseline keeps it with blue's role.
    let report = precheck::handle(json!({ "request": req }), &moto().factory())
        .await
        .expect("passes");
    let f = finding(&report, "rds-proxy-target");
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.message.contains(&proxy) && f.message.contains("AVAILABLE"),
        "{}",
        f.message
    );
    assert!(finding(&report, "associated-iam-roles")
        .message
        .contains("s3-import (s3Import)"));
    assert!(finding(&report, "pg-optimizer-statistics")
        .message
        .contains("16.4"));
    let baseline = report.baseline.clone().expect("baseline");
    assert_eq!(baseline.proxy_targets.len(), 1, "{baseline:?}");
    assert_eq!(baseline.associated_roles.len(), 1);

    let deployment = create_and_switch(&req).await;
    // Before the roles are restored, verify names the missing role and fails: cleanup waits.
    let err = verify(&req, &deployment, &report).await.unwrap_err();
    assert_eq!(err.name(), "VerificationFailed", "{err}");
    assert!(
        err.to_string().contains(ROLE) && err.to_string().contains("add-role-to-db-instance"),
        "{err}"
    );

    // restore-roles (switchover function, change role), twice: the second adds nothing.
    let factory = moto().factory();
    let restore = json!({"operation": "restore-roles", "request": req, "deployment": deployment});
    let first = answer(switchover::handle(restore.clone(), &factory).await).await;
    assert_eq!(
        first["added"],
        json!([format!("{ROLE} (s3Import)")]),
        "{first:#}"
    );
    let second = answer(switchover::handle(restore, &factory).await).await;
    assert_eq!(second["added"], json!([]), "idempotent: {second:#}");
    assert_eq!(second["roles"], json!([format!("{ROLE} (s3Import)")]));
    let production = bluegreen::aws::database::describe_instance(&rds, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(roles_of(&production), [ROLE], "production has blue's role");

    // Verify: the proxy's target is production and healthy, parity holds.
    let verified = verify(&req, &deployment, &report).await.expect("verified");
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["parity"]["comparedWith"], "precheck");
    let mattering: Vec<&Value> = verified["parity"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["matters"] == true)
        .collect();
    assert!(mattering.is_empty(), "{verified:#}");
    let targets = bluegreen::aws::proxy::targeting(&rds, std::slice::from_ref(&id))
        .await
        .unwrap();
    assert_eq!(
        (targets[0].proxy.as_str(), targets[0].health.as_str()),
        (proxy.as_str(), "AVAILABLE")
    );
}

#[tokio::test]
async fn a_parity_difference_fails_verify_and_a_proxy_left_on_old_blue_is_named() {
    let rds = moto().rds();
    let id = unique("parity");
    seed::rds_instance(moto(), &id, "mysql", "8.0.35").await;
    rds.modify_db_instance()
        .db_instance_identifier(&id)
        .deletion_protection(true)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let req = request(&id, "mysql", "8.0.39", "upgrade", json!({}));
    let report = precheck::handle(json!({ "request": req }), &moto().factory())
        .await
        .expect("passes");
    assert!(report.baseline.as_ref().unwrap().deletion_protection);
    let deployment = create_and_switch(&req).await;
    assert!(
        verify(&req, &deployment, &report).await.is_ok(),
        "green copied deletion protection"
    );

    // Someone turns deletion protection off on production, and a proxy still targets old blue.
    rds.modify_db_instance()
        .db_instance_identifier(&id)
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let proxy = unique("stale");
    proxy_in_front_of(
        &proxy,
        aws_sdk_rds::types::EngineFamily::Mysql,
        &format!("{id}-old1"),
    )
    .await;
    let err = verify(&req, &deployment, &report).await.unwrap_err();
    assert_eq!(err.name(), "VerificationFailed", "{err}");
    let text = err.to_string();
    assert!(
        text.contains("deletion protection: blue had on, production has off")
            && text.contains("--deletion-protection"),
        "{text}"
    );
    assert!(
        text.contains(&proxy) && text.contains("deregister-db-proxy-targets"),
        "{text}"
    );
    // Without the precheck's answer (a resumed execution), old blue stands for blue.
    let event =
        json!({"operation": "verify", "request": req, "deployment": deployment, "precheck": null});
    let err = poll_status::handle(event, &moto().factory())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "VerificationFailed");
    assert!(err.to_string().contains("compared with old-blue"), "{err}");
}

#[tokio::test]
async fn a_zero_etl_integration_blocks_with_the_fix() {
    let rds = moto().rds();
    let id = unique("zetl");
    seed::aurora_mysql(moto(), &id, 0).await;
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
    let integration = rds
        .create_integration()
        .integration_name(format!("{id}-to-redshift"))
        .source_arn(&arn)
        .target_arn("arn:aws:redshift-serverless:us-east-1:123456789012:namespace/analytics")
        .send()
        .await
        .expect("create integration");
    let req = request(
        &id,
        "aurora-mysql",
        "8.0.mysql_aurora.3.08.0",
        "upgrade",
        json!({}),
    );
    let err = precheck::handle(json!({ "request": req }), &moto().factory())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "PrecheckFailed");
    let report: Report = serde_json::from_str(&err.to_string()).unwrap();
    let f = finding(&report, "zero-etl-integration");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains(&format!("{id}-to-redshift")),
        "{}",
        f.message
    );
    assert!(
        f.fix.contains(integration.integration_arn().unwrap()),
        "{}",
        f.fix
    );
    let deployments = bluegreen::aws::deployment::list(&rds).await.unwrap();
    assert!(
        !deployments.iter().any(|d| d.source_arn == arn),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_global_aurora_mysql_cluster_is_upgraded_from_its_writer_region() {
    let moto = moto();
    let rds = moto.rds();
    let eu = aws_sdk_rds::Client::new(&moto.sdk_config(SECONDARY));
    let id = unique("glob");
    let global = format!("{id}-global");
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
    rds.create_global_cluster()
        .global_cluster_identifier(&global)
        .source_db_cluster_identifier(&arn)
        .send()
        .await
        .expect("global cluster");
    eu.create_db_cluster()
        .db_cluster_identifier(format!("{id}-eu"))
        .engine("aurora-mysql")
        .engine_version("8.0.mysql_aurora.3.05.2")
        .global_cluster_identifier(&global)
        .send()
        .await
        .expect("secondary cluster");
    let green_group = format!("{id}-green-cpg");
    seed::cluster_parameter_group(
        moto,
        &green_group,
        "aurora-mysql8.0",
        &[("binlog_format", "ROW")],
    )
    .await;
    let req = request(
        &id,
        "aurora-mysql",
        "8.0.mysql_aurora.3.08.0",
        "upgrade",
        json!({"targetDbClusterParameterGroupName": green_group}),
    );

    // The secondary Region lacks green's group (AWS would give green that Region's default):
    // blocked before anything is created.
    let err = precheck::handle(json!({ "request": req }), &moto.factory())
        .await
        .unwrap_err();
    let report: Report = serde_json::from_str(&err.to_string()).unwrap();
    let f = finding(&report, "global-secondary-parameter-groups");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains(SECONDARY) && f.message.contains(&green_group),
        "{}",
        f.message
    );
    let deployments = bluegreen::aws::deployment::list(&rds).await.unwrap();
    assert!(
        !deployments.iter().any(|d| d.source_arn == arn),
        "nothing was created"
    );

    // Also from a secondary: refused, naming the writer's Region.
    let from_eu = json!({"action": "dry-run", "target": {"accountId": ACCOUNT, "region": SECONDARY, "identifier": format!("{id}-eu"), "engine": "aurora-mysql"}});
    let eu_report = precheck::handle(json!({ "request": from_eu }), &moto.factory())
        .await
        .unwrap();
    assert!(finding(&eu_report, "global-database-secondary")
        .message
        .contains(REGION));

    // With the group in the secondary Region: the writer passes, upgrades, verifies.
    seed::cluster_parameter_group_with(
        &eu,
        &green_group,
        "aurora-mysql8.0",
        &[("binlog_format", "ROW")],
    )
    .await;
    let report = precheck::handle(json!({ "request": req }), &moto.factory())
        .await
        .expect("passes");
    assert!(finding(&report, "global-database")
        .message
        .contains(&format!("{id}-eu ({SECONDARY})")));
    let deployment = create_and_switch(&req).await;
    let verified = verify(&req, &deployment, &report).await.expect("verified");
    assert_eq!(verified["global"]["id"], global.as_str());
    assert_eq!(
        verified["global"]["engineVersion"],
        "8.0.mysql_aurora.3.08.0"
    );
    let writer = verified["global"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["isWriter"] == true)
        .unwrap()
        .clone();
    assert_eq!(
        writer["identifier"],
        id.as_str(),
        "production is the global writer: {verified:#}"
    );

    // Cleanup refuses old blue while it still names the global database (AWS documents no
    // more of `-old1` in a global database): nothing deleted, the refusal says what to do.
    let cleanup = json!({"operation": "cleanup", "request": req, "deployment": deployment, "poll": {"attempt": 0}});
    let err = bluegreen::steps::delete_old::handle(cleanup, &moto.factory())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "UnsafeToDelete", "{err}");
    assert!(
        err.to_string().contains(&global) && err.to_string().contains("remove-from-global-cluster"),
        "{err}"
    );
    let old = format!("{id}-old1");
    assert!(
        rds.describe_db_clusters()
            .db_cluster_identifier(&old)
            .send()
            .await
            .is_ok(),
        "old blue kept"
    );
}

#[tokio::test]
async fn a_global_switchover_in_flight_blocks() {
    let moto = moto();
    let rds = moto.rds();
    let eu = aws_sdk_rds::Client::new(&moto.sdk_config(SECONDARY));
    let id = unique("gfail");
    let global = format!("{id}-global");
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
    rds.create_global_cluster()
        .global_cluster_identifier(&global)
        .source_db_cluster_identifier(&arn)
        .send()
        .await
        .unwrap();
    let secondary = eu
        .create_db_cluster()
        .db_cluster_identifier(format!("{id}-eu"))
        .engine("aurora-mysql")
        .engine_version("8.0.mysql_aurora.3.05.2")
        .global_cluster_identifier(&global)
        .send()
        .await
        .unwrap();
    rds.switchover_global_cluster()
        .global_cluster_identifier(&global)
        .target_db_cluster_identifier(secondary.db_cluster().unwrap().db_cluster_arn().unwrap())
        .send()
        .await
        .expect("global switchover");
    let req = request(
        &id,
        "aurora-mysql",
        "8.0.mysql_aurora.3.08.0",
        "dry-run",
        json!({}),
    );
    let report = dry_run(&req).await;
    let f = finding(&report, "global-failover-in-flight");
    assert_eq!(f.severity, Severity::Block);
    assert!(
        f.message.contains("pending") && f.message.contains(&global),
        "{}",
        f.message
    );
}

/// poll-status's `hook-payload`: what the state machine invokes at a stage, with both sides'
/// endpoints as they are at that moment (issue 21, item 5: the invocation itself is the state
/// machine's own service integration).
#[tokio::test]
async fn a_hook_payload_names_both_sides_before_and_after_switchover() {
    let id = unique("hook");
    seed::rds_instance(moto(), &id, "postgres", "15.6").await;
    let analyze = "arn:aws:lambda:us-east-1:123456789012:function:rds-bluegreen-analyze";
    let req = request(
        &id,
        "postgres",
        "16.4",
        "upgrade",
        json!({"hooks": {"afterSwitchover": {"target": analyze, "timeoutSeconds": 300}}}),
    );
    let factory = moto().factory();
    let created = answer(create::handle(json!({"request": req}), &factory).await).await;
    let deployment =
        json!({"id": created["id"], "name": created["name"], "sourceArn": created["sourceArn"]});
    let ask = |stage: &str| json!({"operation": "hook-payload", "request": req, "deployment": deployment, "hookStage": stage, "execution": "exec-1"});

    let none = answer(poll_status::handle(ask("beforeSwitchover"), &factory).await).await;
    assert_eq!(
        none,
        json!({"hook": null, "kind": null, "payload": null}),
        "no hook at that stage"
    );

    let switched = answer(
        switchover::handle(
            json!({"operation": "switchover", "request": req, "deployment": deployment}),
            &factory,
        )
        .await,
    )
    .await;
    assert_eq!(switched["action"], "switchover-requested");
    let mut call = Value::Null;
    for _ in 0..5 {
        call = answer(poll_status::handle(ask("afterSwitchover"), &factory).await).await;
        if call["payload"]["green"]["identifier"] == id.as_str() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(call["kind"], "lambda", "{call:#}");
    assert_eq!(call["hook"]["timeoutSeconds"], 300);
    let payload = &call["payload"];
    assert_eq!(payload["stage"], "afterSwitchover");
    assert_eq!(payload["execution"], "exec-1");
    assert_eq!(
        payload["green"]["identifier"],
        id.as_str(),
        "green is production: {payload:#}"
    );
    assert_eq!(payload["green"]["engineVersion"], "16.4");
    assert_eq!(payload["blue"]["identifier"], format!("{id}-old1"));
    assert!(
        payload["green"]["endpoint"]
            .as_str()
            .is_some_and(|e| e.contains(&id)),
        "{payload:#}"
    );
}

#[test]
fn a_hook_that_is_not_a_lambda_state_machine_or_automation_arn_is_invalid_input() {
    let req = request(
        "orders",
        "postgres",
        "16.4",
        "upgrade",
        json!({"hooks": {"beforeSwitchover": {"target": "arn:aws:sns:us-east-1:123456789012:topic"}}}),
    );
    let err = bluegreen::input::Request::from_value(req).unwrap_err();
    assert_eq!(err.name(), "InvalidInput");
    assert!(
        err.to_string()
            .contains("options.hooks.beforeSwitchover.target"),
        "{err}"
    );
}
