//! The fleet end to end: statemachine/fleet.asl.json and the per-database state machine on
//! moto's Step Functions engine with the real functions, over member accounts that each have
//! member-account.yaml deployed (CloudFormation in moto; its roles are what the functions
//! assume) and two Regions. Each test uses its own databases (and the dry run its own account),
//! so they run side by side.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::e2e_support::{await_dropped_by_the_rule, end_rule_for, notifications_about};
use e2e::faults::Fault;
use e2e::moto::{python, root, unique, Moto, ACCOUNT, REGION};
use e2e::seed::{self, Received};
use e2e::stack::{stack, Stack};
use e2e::stepfunctions::{product_definition, statemachine_definition, Execution};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The upgrade fleet's accounts; the dry run has its own (its selection finds every enrolled
/// database of an account and Region).
const MEMBERS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
pub(crate) const DRY_RUN_ACCOUNT: &str = "444444444444";
const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];
const ROLE: &str = "rds-bluegreen";
const AURORA_TARGET: &str = "8.0.mysql_aurora.3.08.0";
const MYSQL_TARGET: &str = "8.4.3";
pub(crate) const FLEET_TIMEOUT: Duration = Duration::from_secs(900);

/// The hub: both state machines and the report bucket, on the shared stack, with the member
/// accounts deployed. The fleet machine has the name notify's `FLEET_STATE_MACHINE_ARN` gives
/// (Slack's wave clicks start it).
pub(crate) struct Hub {
    pub(crate) stack: &'static Stack,
    database_machine: String,
    pub(crate) fleet_machine: String,
    bucket: String,
}

pub(crate) async fn hub() -> &'static Hub {
    static HUB: OnceCell<Hub> = OnceCell::const_new();
    HUB.get_or_init(|| async {
        let stack = stack().await;
        crate::e2e_waits::wake_rule(stack).await;
        let mut accounts: Vec<&str> = MEMBERS.to_vec();
        accounts.push(DRY_RUN_ACCOUNT);
        deploy_member_accounts(&stack.moto, &accounts);
        let bucket = unique("fleet-reports");
        s3(&stack.moto, &["mkbucket", &bucket], None);
        let sfn = stack.sfn();
        let database_name = unique("bluegreen");
        let database_machine = sfn
            .create_state_machine(&database_name, &product_definition(&BTreeMap::new()))
            .await;
        let values = BTreeMap::from([
            (
                "BlueGreenStateMachineArn".to_owned(),
                database_machine.clone(),
            ),
            (
                "ChildExecutionArnPrefix".to_owned(),
                format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:{database_name}:"),
            ),
            ("ReportBucket".to_owned(), bucket.clone()),
        ]);
        let fleet_machine = sfn
            .create_state_machine(
                e2e::slack::FLEET_STATE_MACHINE,
                &statemachine_definition("fleet.asl.json", &values),
            )
            .await;
        Hub {
            stack,
            database_machine,
            fleet_machine,
            bucket,
        }
    })
    .await
}

/// member-account.yaml in each account, as StackSets would deploy it (tests/tools/member_accounts.py).
fn deploy_member_accounts(moto: &Moto, accounts: &[&str]) {
    let text =
        e2e::member_accounts::deploy(moto, e2e::lambda::TARGET_EXTERNAL_ID, accounts, &REGIONS);
    for account in accounts {
        let line = text
            .lines()
            .find(|l| l.starts_with(account))
            .unwrap_or_default();
        assert_eq!(
            line,
            format!("{account} CREATE_COMPLETE {ROLE}-create,{ROLE}-delete,{ROLE}-read,{ROLE}-switchover"),
            "{text}"
        );
        // Its other Region: the same template, no role (RolesRegion), the forwarding rule only.
        for region in REGIONS.iter().filter(|r| **r != REGION) {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{account}@{region} ")))
                .unwrap_or_default();
            assert!(
                line.starts_with(&format!(
                    "{account}@{region} CREATE_COMPLETE rds-bluegreen-member-RdsEventForwardRule-"
                )),
                "{text}"
            );
        }
    }
}

/// S3 through tests/tools/s3_objects.py; the body of a `get`.
fn s3(moto: &Moto, args: &[&str], body: Option<&str>) -> String {
    let mut child = Command::new(python())
        .arg(root().join("tests/tools/s3_objects.py"))
        .arg(&moto.endpoint)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run s3_objects.py");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(body.unwrap_or("").as_bytes())
            .expect("write body");
    }
    let out = child.wait_with_output().expect("s3_objects.py ends");
    assert!(
        out.status.success(),
        "s3 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// An RDS client acting in `account` and `region` as the account's administrator (the role
/// tests/tools/member_accounts.py deploys with, as StackSets does): the member roles trust
/// only the hub with its external id (moto_patches/sts_trust.py).
async fn rds_in(moto: &Moto, account: &str, region: &str) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(
        &moto
            .sdk_config_in(account, region, "OrganizationAccountAccessRole")
            .await,
    )
}

/// One database of a fleet test.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) account: &'static str,
    pub(crate) region: &'static str,
    pub(crate) id: String,
    pub(crate) engine: &'static str,
    pub(crate) wave: u32,
}

impl Db {
    pub(crate) fn label(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.id)
    }

    fn target(&self) -> Value {
        json!({"accountId": self.account, "region": self.region, "identifier": self.id, "engine": self.engine, "wave": self.wave})
    }

    /// Seeds it enrolled: an Aurora MySQL cluster with one instance, or a MySQL instance with
    /// `backup_days` of backups (0 is a precheck blocker).
    pub(crate) async fn seed(&self, moto: &Moto, backup_days: i32) {
        let rds = rds_in(moto, self.account, self.region).await;
        match self.engine {
            "aurora-mysql" => {
                seed::aurora_mysql_with(&rds, &self.id, 0).await;
            }
            _ => {
                seed::rds_instance_with(&rds, &self.id, "mysql", "8.0.35", backup_days).await;
            }
        }
    }

    /// (engine version, live Blue/Green deployments of it, identifiers starting with it) in its account.
    async fn inventory(&self, moto: &Moto) -> (String, usize, Vec<String>) {
        let rds = rds_in(moto, self.account, self.region).await;
        // (identifier, engine version) of every database of its kind in the account and Region.
        let all: Vec<(String, String)> = if self.engine == "aurora-mysql" {
            let out = rds.describe_db_clusters().send().await.expect("clusters");
            out.db_clusters()
                .iter()
                .map(|c| (c.db_cluster_identifier(), c.engine_version()))
                .map(|(i, v)| {
                    (
                        i.unwrap_or_default().to_owned(),
                        v.unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        } else {
            let out = rds.describe_db_instances().send().await.expect("instances");
            out.db_instances()
                .iter()
                .map(|i| (i.db_instance_identifier(), i.engine_version()))
                .map(|(i, v)| {
                    (
                        i.unwrap_or_default().to_owned(),
                        v.unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        };
        let version = all
            .iter()
            .find(|(i, _)| *i == self.id)
            .map_or("gone".to_owned(), |(_, v)| v.clone());
        let mut names: Vec<String> = all
            .into_iter()
            .map(|(i, _)| i)
            .filter(|i| i.starts_with(&self.id))
            .collect();
        names.sort();
        let deployments = rds
            .describe_blue_green_deployments()
            .send()
            .await
            .expect("deployments");
        // A deployment being deleted (DELETING) is on its way out (moto_patches/delete_target.py).
        let mine = deployments
            .blue_green_deployments()
            .iter()
            .filter(|d| d.status() != Some("DELETING"))
            .filter(|d| {
                [d.source(), d.target()].iter().any(|arn| {
                    arn.unwrap_or_default()
                        .rsplit(':')
                        .next()
                        .is_some_and(|n| n == self.id || n.starts_with(&format!("{}-", self.id)))
                })
            })
            .count();
        (version, mine, names)
    }
}

/// The MySQL 8.4 parameter group of this fleet (`<fleet>-my84`), in every account and Region
/// of `dbs` that has a MySQL database.
async fn mysql_groups(moto: &Moto, fleet: &str, dbs: &[Db]) {
    let places: BTreeSet<(&str, &str)> = dbs
        .iter()
        .filter(|d| d.engine == "mysql")
        .map(|d| (d.account, d.region))
        .collect();
    for (account, region) in places {
        let rds = rds_in(moto, account, region).await;
        seed::parameter_group_with(
            &rds,
            &format!("{fleet}-my84"),
            "mysql8.4",
            &[("binlog_format", "ROW")],
        )
        .await;
    }
}

/// Fleet options: upgrade targets per engine, no grace period (a day would take minutes even scaled).
/// A dry-run fleet of Aurora MySQL databases `dbs`, with `waves`.
pub(crate) fn dry_run_input(fleet: &str, dbs: &[Db], waves: Value) -> Value {
    json!({
        "fleet": fleet, "action": "dry-run", "memberRoleName": ROLE,
        "targets": dbs.iter().map(Db::target).collect::<Vec<_>>(),
        "engineOptions": {"aurora-mysql": {"targetEngineVersion": AURORA_TARGET}},
        "waves": waves,
    })
}

fn upgrade_input(fleet: &str, dbs: &[Db], waves: Value) -> Value {
    json!({
        "fleet": fleet,
        "action": "upgrade",
        "targets": dbs.iter().map(Db::target).collect::<Vec<_>>(),
        "memberRoleName": ROLE,
        "options": {"gracePeriodSeconds": 0},
        "engineOptions": {
            "aurora-mysql": {"targetEngineVersion": AURORA_TARGET},
            "mysql": {"targetEngineVersion": MYSQL_TARGET, "targetDbParameterGroupName": format!("{fleet}-my84")}
        },
        "waves": waves,
    })
}

/// One child execution of a fleet, as Step Functions describes it.
#[derive(Debug)]
pub(crate) struct Child {
    name: String,
    arn: String,
    status: String,
    start: f64,
    stop: f64,
}

/// The per-database executions whose name starts with `fleet-`.
pub(crate) async fn children(hub: &Hub, fleet: &str) -> Vec<Child> {
    let sfn = hub.stack.sfn();
    let listed = sfn
        .call(
            "ListExecutions",
            json!({"stateMachineArn": hub.database_machine, "maxResults": 1000}),
        )
        .await;
    let mut out = Vec::new();
    for e in listed["executions"].as_array().cloned().unwrap_or_default() {
        let name = e["name"].as_str().unwrap_or_default().to_owned();
        if !name.starts_with(&format!("{fleet}-")) {
            continue;
        }
        let d = sfn
            .call(
                "DescribeExecution",
                json!({"executionArn": e["executionArn"]}),
            )
            .await;
        out.push(Child {
            name,
            arn: e["executionArn"].as_str().unwrap_or_default().to_owned(),
            status: d["status"].as_str().unwrap_or_default().to_owned(),
            start: d["startDate"].as_f64().unwrap_or_default(),
            stop: d["stopDate"].as_f64().unwrap_or(f64::MAX),
        });
    }
    out
}

/// The most children running at once among `children`.
fn most_at_once<'a>(children: impl Iterator<Item = &'a Child>) -> usize {
    let mut edges: Vec<(f64, i32)> = children
        .flat_map(|c| [(c.start, 1), (c.stop, -1)])
        .collect();
    // An end at the same instant as a start frees its place first.
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0, 0);
    for (_, delta) in edges {
        now += delta;
        most = most.max(now);
    }
    most as usize
}

/// RDS calls so far into `lanes` (account, Region), from moto's meter (moto_patches/call_counts.py).
async fn rds_calls(moto: &Moto, lanes: &BTreeSet<(&str, &str)>) -> BTreeMap<String, u64> {
    let rows: Vec<Value> = reqwest::get(format!("{}/moto-api/rds-calls", moto.endpoint))
        .await
        .expect("reach the meter")
        .json()
        .await
        .expect("meter JSON");
    let mut by_action = BTreeMap::new();
    for r in rows.iter().filter(|r| {
        lanes.contains(&(
            r["account"].as_str().unwrap_or(""),
            r["region"].as_str().unwrap_or(""),
        ))
    }) {
        *by_action
            .entry(r["action"].as_str().unwrap_or_default().to_owned())
            .or_insert(0) += r["calls"].as_u64().unwrap_or(0);
    }
    by_action
}

/// The RDS calls made between two readings of [`rds_calls`]: their total and, per database,
/// by action (most first), for the figures the fleet tests print.
fn calls_between(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
    databases: usize,
) -> (u64, String) {
    let mut made: Vec<(String, u64)> = after
        .iter()
        .map(|(action, n)| (action.clone(), n - before.get(action).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    made.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let per_database = made
        .iter()
        .map(|(action, n)| format!("{action} {:.1}", *n as f64 / databases.max(1) as f64))
        .collect::<Vec<_>>()
        .join(", ");
    (made.iter().map(|(_, n)| n).sum(), per_database)
}

/// States entered by an execution, from its history.
async fn transitions(hub: &Hub, execution_arn: &str) -> usize {
    hub.stack
        .sfn()
        .history(execution_arn)
        .await
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .count()
}

/// template.yaml's execution-status rule for the fleet machine, narrowed to the execution `name`.
async fn fleet_end_rule(hub: &Hub, name: &str) -> Value {
    end_rule_for(
        hub.stack,
        &[("FleetStateMachine", hub.fleet_machine.as_str())],
        name,
    )
    .await
}

/// The report's status of each of `dbs`, in order.
pub(crate) fn statuses_of(
    hub: &Hub,
    fleet: &str,
    execution: &Execution,
    dbs: &[Db],
) -> Vec<String> {
    let (report, _) = report(hub, fleet, execution);
    let status = statuses(&report);
    dbs.iter()
        .map(|d| {
            status
                .get(&d.label())
                .cloned()
                .unwrap_or_else(|| format!("absent from {report}"))
        })
        .collect()
}

/// Runs the fleet to its end.
async fn run_fleet(hub: &Hub, input: &Value) -> Execution {
    let name = unique(input["fleet"].as_str().unwrap_or("fleet"));
    let execution = hub
        .stack
        .sfn()
        .run(&hub.fleet_machine, &name, input, FLEET_TIMEOUT)
        .await;
    assert_ne!(
        execution.status, "RUNNING",
        "the fleet did not end: {:?}",
        execution.states
    );
    execution
}

/// The fleet report this execution wrote (JSON).
pub(crate) fn report(hub: &Hub, fleet: &str, execution: &Execution) -> (Value, String) {
    let name = execution.arn.rsplit(':').next().unwrap_or_default();
    let key = |ext: &str| format!("fleet/{fleet}/{name}/report.{ext}");
    let json: Value = serde_json::from_str(&s3(
        &hub.stack.moto,
        &["get", &hub.bucket, &key("json")],
        None,
    ))
    .expect("report JSON");
    (
        json,
        s3(&hub.stack.moto, &["get", &hub.bucket, &key("csv")], None),
    )
}

/// The report's status of each database, by `account/Region/identifier`.
pub(crate) fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["databases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["database"].as_str().unwrap_or_default().to_owned(),
                d["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Each upgraded database carries its execution's figures (notify's answer at `Notify done`,
/// the child's output), plausible ones; a failed database those known when it failed (its told
/// cause); the report's `figures` is their sum and `medianFigures` their medians.
async fn assert_report_sums_the_figures(hub: &Hub, report: &Value, blocked: &Db, failing: &Db) {
    use bluegreen::metrics::Figures;
    let mut measured = Vec::new();
    for d in report["databases"].as_array().expect("databases") {
        let label = d["database"].as_str().unwrap_or_default();
        let failed = [blocked.label(), failing.label()].contains(&label.to_owned());
        if failed {
            let f: Figures = serde_json::from_value(d["figures"].clone())
                .unwrap_or_else(|e| panic!("{label}: a failed child's figures ({e}): {d}"));
            assert!(
                f.state_transitions.is_some() && f.rds_calls.is_some() && f.total_seconds.is_some(),
                "{label}: the figures known when it failed: {d}"
            );
            measured.push(f);
            continue;
        }
        let f: Figures = serde_json::from_value(d["figures"].clone())
            .unwrap_or_else(|e| panic!("{label} carries its figures ({e}): {d}"));
        let total = f.total_seconds.expect("total time");
        for (name, part) in [
            ("green build", f.green_build_seconds),
            ("switchover", f.switchover_seconds),
            ("cleanup", f.cleanup_seconds),
        ] {
            let part = part.unwrap_or_else(|| panic!("{label}: {name} measured: {d}"));
            assert!(
                (0.0..=total).contains(&part),
                "{label}: {name} {part} of {total}"
            );
        }
        assert!(
            f.polls.is_some_and(|p| p >= 3),
            "{label}: every loop polled: {d}"
        );
        measured.push(f);
    }
    assert_eq!(measured.len(), 12, "10 upgraded, 2 failed");
    // Sums of floats in another order differ in the last bits: compare to the microsecond.
    let close = |shown: &Value, expected: Figures| {
        let expected = expected.answer();
        for name in bluegreen::metrics::figures::NAMES {
            let (a, b) = (shown[name].as_f64(), expected[name].as_f64());
            assert!(
                matches!((a, b), (Some(a), Some(b)) if (a - b).abs() < 1e-6),
                "{name}: {shown} against {expected}"
            );
        }
    };
    close(&report["figures"], Figures::sum(&measured));
    close(&report["medianFigures"], Figures::median(&measured));
    // The report's figures are the child's own output.
    let first = &report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["figures"].is_object())
        .expect("an upgraded database");
    let child = hub
        .stack
        .sfn()
        .call(
            "DescribeExecution",
            json!({"executionArn": first["executionArn"]}),
        )
        .await;
    let output: Value =
        serde_json::from_str(child["output"].as_str().expect("the child's output")).unwrap();
    assert_eq!(
        serde_json::from_value::<Figures>(output["figures"].clone()).unwrap(),
        serde_json::from_value::<Figures>(first["figures"].clone()).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_upgrades_waves_in_order_within_its_limits_across_accounts_and_regions() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("waves");
    // 12 databases over 3 accounts and 2 Regions; waves of 2, 4 and 6.
    let dbs: Vec<Db> = (0..12)
        .map(|i| Db {
            account: MEMBERS[i % 3],
            region: REGIONS[(i / 3) % 2],
            id: format!("{fleet}-db{i}"),
            engine: if i % 2 == 0 { "aurora-mysql" } else { "mysql" },
            wave: match i {
                0..=1 => 1,
                2..=5 => 2,
                _ => 3,
            },
        })
        .collect();
    // At most 4 at once: wave 2 runs whole (its 4 databases are in 4 lanes), wave 3 in two rounds.
    const MOST: usize = 4;
    let blocked = dbs[3].clone(); // wave 2, MySQL with backups off: the precheck blocks it
    let failing = dbs[8].clone(); // wave 3, Aurora: green breaks while it is built
    mysql_groups(moto, &fleet, &dbs).await;
    for db in &dbs {
        db.seed(moto, if db.id == blocked.id { 0 } else { 7 }).await;
    }
    moto.inject(
        &failing.id,
        Fault::InvalidConfiguration {
            details: "Replication is broken: the green DB cluster was promoted manually.".into(),
        },
    )
    .await;

    let input = upgrade_input(
        &fleet,
        &dbs,
        json!({"maxConcurrency": MOST, "perAccountRegion": 1, "toleratedFailures": 1, "soakSeconds": 100}),
    );
    let lanes: BTreeSet<(&str, &str)> = dbs.iter().map(|d| (d.account, d.region)).collect();
    let green_events = e2e::events::queue_for(
        moto,
        &moto.sdk_config(REGION),
        &unique("fleet-0244"),
        json!({"source": ["aws.rds"], "account": MEMBERS, "detail": {"EventID": ["RDS-EVENT-0244"]}}),
    )
    .await;
    let calls_before = rds_calls(moto, &lanes).await;
    let began = std::time::Instant::now();
    let execution = run_fleet(hub, &input).await;
    let wall = began.elapsed();
    let (calls, calls_by_action) =
        calls_between(&calls_before, &rds_calls(moto, &lanes).await, dbs.len());
    moto.clear_faults(&failing.id).await;

    // Two databases failed, each within its wave's tolerance: every wave ran, the fleet ends incomplete.
    assert_eq!(execution.status, "FAILED", "{:?}", execution.states);
    let (report, csv) = report(hub, &fleet, &execution);
    assert_eq!(
        execution.error.as_deref(),
        Some("FleetIncomplete"),
        "{report}"
    );
    assert_eq!(
        execution
            .states
            .iter()
            .filter(|s| *s == "Judge the batch")
            .count(),
        3
    );
    // A soak of 100 s (1 s scaled) before waves 2 and 3.
    let soaks = execution.states.iter().filter(|s| *s == "Soak").count();
    assert_eq!(soaks, 2);

    // One child per database, in wave order, never more than 2 at once nor 2 in one account and Region.
    let kids = children(hub, &fleet).await;
    assert_eq!(kids.len(), 12, "{kids:?}");
    assert!(
        kids.iter()
            .all(|c| c.status == "SUCCEEDED" || c.status == "FAILED"),
        "{kids:?}"
    );
    let by_name: BTreeMap<String, (u32, String)> = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                (
                    d["wave"].as_u64().unwrap() as u32,
                    d["database"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    for wave in 1..3 {
        let last_stop = kids
            .iter()
            .filter(|c| by_name[&c.name].0 == wave)
            .map(|c| c.stop)
            .fold(0.0, f64::max);
        let next_start = kids
            .iter()
            .filter(|c| by_name[&c.name].0 == wave + 1)
            .map(|c| c.start)
            .fold(f64::MAX, f64::min);
        assert!(
            last_stop + 0.9 <= next_start,
            "wave {} started before wave {wave} ended and soaked",
            wave + 1
        );
    }
    assert!(
        most_at_once(kids.iter()) <= MOST,
        "more than maxConcurrency at once: {kids:?}"
    );
    // Member accounts forward their RDS events to the hub from both Regions (member-account.yaml,
    // RdsEventForwardRule): each upgraded database's green build (RDS-EVENT-0244) reached the
    // hub's bus from its own account and Region ...
    let upgraded: Vec<&Db> = dbs
        .iter()
        .filter(|d| d.id != blocked.id && d.id != failing.id)
        .collect();
    let arrived = e2e::events::received(
        &moto.sdk_config(REGION),
        &green_events,
        Duration::from_secs(10),
        None,
        |events| events.len() >= upgraded.len(),
    )
    .await;
    for db in &upgraded {
        let from_lane = arrived
            .iter()
            .filter(|e| e["account"] == db.account && e["region"] == db.region)
            .filter(|e| {
                e["detail"]["SourceArn"].as_str().is_some_and(|a| {
                    a.starts_with(&format!(
                        "arn:aws:rds:{}:{}:deployment:",
                        db.region, db.account
                    ))
                })
            })
            .count();
        let upgraded_in_lane = upgraded
            .iter()
            .filter(|d| d.account == db.account && d.region == db.region)
            .count();
        assert!(
            from_lane >= upgraded_in_lane,
            "{}: {from_lane} green builds reached the hub from its lane: {arrived:?}",
            db.label()
        );
    }
    // ... and woke the waits: green waits ended on a forwarded event (or on the hint it left
    // when it came before the wait began), not all on their fallback read.
    let mut by_event = 0;
    for kid in kids.iter().filter(|c| c.status == "SUCCEEDED") {
        let history = hub.stack.sfn().history(&kid.arn).await;
        let (woken, fallbacks, _) = crate::e2e_waits::history_wait_ends(&history, "Wait for green");
        by_event += usize::from(fallbacks == 0 && woken.iter().all(|w| w["via"] == "rds-event"));
    }
    assert!(
        by_event > 0,
        "no green wait of the fleet ended on its event"
    );
    let mut most_in_lane = 0;
    for lane in dbs
        .iter()
        .map(|d| (d.account, d.region))
        .collect::<BTreeSet<_>>()
    {
        let in_lane = kids.iter().filter(|c| {
            by_name[&c.name]
                .1
                .starts_with(&format!("{}/{}/", lane.0, lane.1))
        });
        let n = most_at_once(in_lane);
        assert!(n <= 1, "more than perAccountRegion in {lane:?}");
        most_in_lane = most_in_lane.max(n);
    }

    // The report: 10 succeeded, the blocked and the failing one failed with their own errors.
    let status = statuses(&report);
    for db in &dbs {
        let expected = if db.id == blocked.id || db.id == failing.id {
            "failed"
        } else {
            "succeeded"
        };
        assert_eq!(status[&db.label()], expected, "{}", db.label());
    }
    let error_of = |db: &Db| {
        report["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["database"] == db.label())
            .and_then(|d| d["error"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(error_of(&blocked), "PrecheckFailed");
    assert_eq!(error_of(&failing), "DeploymentFailed");
    assert_report_sums_the_figures(hub, &report, &blocked, &failing).await;
    assert_eq!(csv.lines().count(), 13, "{csv}");
    assert!(csv.starts_with(
        "database,wave,status,ending,error,cause,blockers,executionArn,startDate,stopDate"
    ));

    // The world: upgraded databases run the target with old blue and the deployment gone;
    // the blocked and the failing one still run their version (the failing one's green stays for a human).
    for db in &dbs {
        let (version, deployments, names) = db.inventory(moto).await;
        if db.id == blocked.id {
            assert_eq!((version.as_str(), deployments), ("8.0.35", 0), "{}", db.id);
        } else if db.id == failing.id {
            assert_eq!(version, "8.0.mysql_aurora.3.05.2", "{}", db.id);
        } else {
            let target = if db.engine == "mysql" {
                MYSQL_TARGET
            } else {
                AURORA_TARGET
            };
            assert_eq!((version.as_str(), deployments), (target, 0), "{}", db.id);
            assert_eq!(names, vec![db.id.clone()], "old blue of {} is gone", db.id);
        }
    }

    // People heard of the fleet at its start, after each wave and at its end; of the
    // databases, only the two failures (the fleet sends per-database failures only).
    let fleet_messages = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
    // An SQS queue does not keep the publish order: compare the stages as a set with counts.
    let mut stages: Vec<&str> = fleet_messages
        .iter()
        .map(|m| m.attributes["stage"].as_str())
        .collect();
    stages.sort_unstable();
    assert_eq!(
        stages,
        vec![
            "fleet-finished",
            "fleet-started",
            "fleet-wave",
            "fleet-wave",
            "fleet-wave"
        ]
    );
    let last = &fleet_messages
        .iter()
        .find(|m| m.attributes["stage"] == "fleet-finished")
        .expect("the summary")
        .body;
    assert!(last.contains("10 succeeded, 2 failed"), "{last}");
    assert!(
        last.contains(&format!("s3://{}/fleet/{fleet}/", hub.bucket)),
        "{last}"
    );
    for db in &dbs {
        let stages: Vec<String> = notifications_about(hub.stack, &db.id)
            .await
            .iter()
            .map(|m| m.attributes["outcome"].clone())
            .collect();
        let expected: Vec<&str> = if db.id == blocked.id || db.id == failing.id {
            vec!["failure"]
        } else {
            vec![]
        };
        assert_eq!(stages, expected, "{}", db.id);
    }

    // The figures of this fleet (the closing note quotes them; `--nocapture` prints them).
    let mut per_database = Vec::new();
    for kid in &kids {
        let arn = format!(
            "{}:{}",
            hub.database_machine
                .replace(":stateMachine:", ":execution:"),
            kid.name
        );
        per_database.push(transitions(hub, &arn).await);
    }
    let fleet_transitions = transitions(hub, &execution.arn).await;
    let succeeded: Vec<usize> = kids
        .iter()
        .zip(&per_database)
        .filter(|(k, _)| k.status == "SUCCEEDED")
        .map(|(_, n)| *n)
        .collect();
    eprintln!(
        "fleet figures: {} databases, wall {:.1} s (waits scaled x{}), most at once {} (cap {MOST}), most in one lane {most_in_lane} (cap 1), transitions: fleet {fleet_transitions}, per upgraded database {}-{} (mean {:.0}), all {}; RDS calls {calls} ({:.0} per database: {calls_by_action})",
        dbs.len(),
        wall.as_secs_f64(),
        e2e::stack::WAIT_SCALE,
        most_at_once(kids.iter()),
        succeeded.iter().min().unwrap_or(&0),
        succeeded.iter().max().unwrap_or(&0),
        succeeded.iter().sum::<usize>() as f64 / succeeded.len().max(1) as f64,
        fleet_transitions + per_database.iter().sum::<usize>(),
        calls as f64 / dbs.len() as f64,
    );
    assert!(calls > 0, "the meter counted the fleet's RDS calls");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wave_over_its_tolerance_stops_the_fleet_and_starting_it_again_starts_nothing_twice() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("stop");
    // A lane of its own (the dry run's account, a Region its selection does not cover), so the
    // upgrade fleet's RDS call counts stay its own.
    let db = |i: usize, engine: &'static str, wave: u32| Db {
        account: DRY_RUN_ACCOUNT,
        region: "eu-west-1",
        id: format!("{fleet}-db{i}"),
        engine,
        wave,
    };
    let dbs = vec![
        db(0, "mysql", 1),
        db(1, "aurora-mysql", 2),
        db(2, "aurora-mysql", 2),
    ];
    mysql_groups(moto, &fleet, &dbs).await;
    dbs[0].seed(moto, 0).await; // blocked
    dbs[1].seed(moto, 7).await;
    dbs[2].seed(moto, 7).await;
    let input = upgrade_input(
        &fleet,
        &dbs,
        json!({"maxConcurrency": 2, "perAccountRegion": 2, "toleratedFailures": 0}),
    );

    // The template's execution-status rule, narrowed to this fleet's execution: the fleet
    // told its end itself (the wave message and the report's end), so the rule adds nothing.
    let name = unique(&fleet);
    fleet_end_rule(hub, &name).await;
    let first = hub
        .stack
        .sfn()
        .run(&hub.fleet_machine, &name, &input, FLEET_TIMEOUT)
        .await;
    assert_eq!(
        first.error.as_deref(),
        Some("FleetStopped"),
        "{:?}",
        first.cause
    );
    assert!(
        bluegreen::notify::told::Told::in_cause(first.cause.as_deref()).is_some(),
        "the fleet's own end carries the told mark"
    );
    await_dropped_by_the_rule(hub.stack, &first.arn).await;
    assert_eq!(
        first
            .states
            .iter()
            .filter(|s| *s == "Run the batch")
            .count(),
        1,
        "wave 2 never ran"
    );
    let (first_report, _) = report(hub, &fleet, &first);
    let status = statuses(&first_report);
    assert_eq!(status[&dbs[0].label()], "failed");
    assert_eq!(status[&dbs[1].label()], "skipped");
    assert_eq!(status[&dbs[2].label()], "skipped");
    for later in &dbs[1..] {
        assert_eq!(
            later.inventory(moto).await.0,
            "8.0.mysql_aurora.3.05.2",
            "{} untouched",
            later.id
        );
        assert_eq!(
            later.inventory(moto).await.1,
            0,
            "{} has no deployment",
            later.id
        );
    }
    let messages = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
    assert!(
        !messages
            .iter()
            .any(|m| m.attributes["stage"] == "fleet-failed"),
        "one message per end: no second `fleet-failed` from the rule"
    );
    let wave = messages
        .iter()
        .find(|m| m.attributes["stage"] == "fleet-wave")
        .expect("wave message");
    assert!(wave.body.contains("the fleet stops"), "{}", wave.body);
    assert_eq!(wave.attributes["outcome"], "failure");

    // The same fleet again: the failed child is found, not started a second time.
    let again = run_fleet(hub, &input).await;
    assert_eq!(again.error.as_deref(), Some("FleetStopped"));
    assert_eq!(
        children(hub, &fleet).await.len(),
        1,
        "one child, however often the fleet starts"
    );
    let (again_report, _) = report(hub, &fleet, &again);
    assert_eq!(statuses(&again_report)[&dbs[0].label()], "failed-earlier");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_dry_run_from_an_accounts_file_reports_every_database_it_finds() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("dry");
    let db = |name: &str, region: &'static str, engine: &'static str| Db {
        account: DRY_RUN_ACCOUNT,
        region,
        id: format!("{fleet}-{name}"),
        engine,
        wave: 1,
    };
    let ok_east = db("ok", REGIONS[0], "aurora-mysql");
    let blocked = db("nobackup", REGIONS[0], "mysql");
    let ok_west = db("west", REGIONS[1], "mysql");
    ok_east.seed(moto, 7).await;
    blocked.seed(moto, 0).await;
    ok_west.seed(moto, 7).await;
    // Not enrolled: found, passed over, never touched.
    let stranger = format!("{fleet}-stranger");
    rds_in(moto, DRY_RUN_ACCOUNT, REGIONS[0])
        .await
        .create_db_instance()
        .db_instance_identifier(&stranger)
        .engine("mysql")
        .engine_version("8.0.35")
        .db_instance_class("db.m6g.large")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect("create");
    // An older toolkit's accounts.csv: account, secret, Region.
    let manifest = format!("account_id,secret_name,region\n{DRY_RUN_ACCOUNT},db-secret,{}\n{DRY_RUN_ACCOUNT},db-secret,{}\n", REGIONS[0], REGIONS[1]);
    let key = format!("manifests/{fleet}.csv");
    let put: Value = serde_json::from_str(&s3(moto, &["put", &hub.bucket, &key], Some(&manifest)))
        .expect("put answers its version");
    // A later upload under the same key (what anyone with PutObject could do) is not what runs:
    // the input pins the version it was checked with.
    s3(
        moto,
        &["put", &hub.bucket, &key],
        Some("account_id,region\n999999999999,us-east-1\n"),
    );
    let input = json!({
        "fleet": fleet, "action": "dry-run", "deadline": "2027-01-31",
        "manifest": {"bucket": hub.bucket, "key": key, "ignoreColumns": ["secret_name"], "versionId": put["VersionId"]},
        "memberRoleName": ROLE,
        "engineOptions": {"aurora-mysql": {"targetEngineVersion": AURORA_TARGET}, "mysql": {"targetEngineVersion": MYSQL_TARGET}},
        "waves": {"maxConcurrency": 4, "perAccountRegion": 2}
    });

    let execution = run_fleet(hub, &input).await;
    assert_eq!(
        execution.status, "SUCCEEDED",
        "{:?} {:?}",
        execution.error, execution.cause
    );
    let (report, csv) = report(hub, &fleet, &execution);
    let status = statuses(&report);
    assert_eq!(status.len(), 3, "{report}");
    assert_eq!(status[&ok_east.label()], "passed");
    assert_eq!(status[&ok_west.label()], "passed");
    assert_eq!(status[&blocked.label()], "blocked");
    let blockers = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["database"] == blocked.label())
        .unwrap()["blockers"]
        .clone();
    assert!(
        blockers.as_array().is_some_and(|b| !b.is_empty()),
        "{blockers}"
    );
    let passed_over = &report["passedOver"];
    assert!(
        passed_over.as_array().unwrap().iter().any(|p| p["database"]
            == format!("{DRY_RUN_ACCOUNT}/{}/{stranger}", REGIONS[0])
            && p["reason"].as_str().unwrap().contains("not enrolled")),
        "{passed_over}"
    );
    assert!(csv.contains(",blocked,"), "{csv}");
    assert_eq!(
        report["manifest"]["versionId"], put["VersionId"],
        "the report names the version read"
    );
    // Support dates (DescribeDBMajorEngineVersions): RDS for MySQL 8.0's standard support ended
    // on 2026-07-31, so Extended Support applies to both MySQL databases, listed first; RDS
    // published no date the emulator knows for Aurora MySQL 8.0 (unknown, last).
    let order: Vec<String> = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {}",
                d["database"].as_str().unwrap_or_default(),
                d["standardSupportEnd"].as_str().unwrap_or("-"),
                d["extendedSupport"].as_str().unwrap_or("-")
            )
        })
        .collect();
    let today_past_mysql_80 = "2026-08-01" <= time_today().as_str();
    let mysql_extended = if today_past_mysql_80 {
        "applies"
    } else {
        "from 2026-07-31"
    };
    assert_eq!(
        order,
        vec![
            format!("{} 2026-07-31 {mysql_extended}", blocked.label()),
            format!("{} 2026-07-31 {mysql_extended}", ok_west.label()),
            format!("{} - unknown", ok_east.label()),
        ]
    );
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains(",engineVersion,standardSupportEnd,extendedSupport,"),
        "{csv}"
    );
    assert!(csv.contains(",8.0.35,2026-07-31,"), "{csv}");
    let messages = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
    let last = messages
        .iter()
        .find(|m| m.attributes["stage"] == "fleet-finished")
        .expect("a summary");
    assert_eq!(last.attributes["outcome"], "action-needed");
    assert!(last.body.contains(&blocked.label()), "{}", last.body);
    assert!(last.body.contains("2 passed, 1 blocked"), "{}", last.body);
    // A dry run changes nothing.
    for d in [&ok_east, &blocked, &ok_west] {
        assert_eq!(d.inventory(moto).await.1, 0, "{} has no deployment", d.id);
    }

    // A manifest pinned to an ETag it no longer has is refused (S3 IfMatch), nothing started.
    let mut stale = input.clone();
    stale["fleet"] = json!(format!("{fleet}x"));
    stale["manifest"]["versionId"] = Value::Null;
    stale["manifest"]["etag"] = put["ETag"].clone();
    let refused = run_fleet(hub, &stale).await;
    assert_eq!(refused.error.as_deref(), Some("FleetFailed"));
    let told = notifications_about(hub.stack, &format!("fleet {fleet}x")).await;
    assert!(
        told.iter().any(|m| m.body.contains("PreconditionFailed")),
        "{told:?}"
    );
    assert!(children(hub, &format!("{fleet}x")).await.is_empty());
}

/// Today (UTC) as `YYYY-MM-DD`, as the plan judges Extended Support.
fn time_today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Registers what an AWS Organizations upgrade rollout policy would give a database
/// (moto_patches/rds_lifecycle.py: every other database reads `second`).
async fn rollout_order(moto: &Moto, identifier: &str, order: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{}/moto-api/faults", moto.endpoint))
        .json(&json!({"kind": "rollout-order", "key": identifier, "order": order}))
        .send()
        .await
        .expect("reach moto's fault route");
    assert!(answer.status().is_success(), "{:?}", answer.text().await);
}

/// The earliest start and the latest stop of the children of each wave, by the report's waves.
fn wave_spans(report: &Value, kids: &[Child]) -> BTreeMap<u32, (f64, f64)> {
    let wave_of: BTreeMap<&str, u32> = report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["wave"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    let mut spans: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    for k in kids {
        let span = spans
            .entry(wave_of[k.name.as_str()])
            .or_insert((f64::MAX, 0.0));
        span.0 = span.0.min(k.start);
        span.1 = span.1.max(k.stop);
    }
    spans
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_ordered_by_rds_rollout_order_runs_first_second_last_and_a_listed_wave_wins() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("order");
    let db = |name: &str| Db {
        account: DRY_RUN_ACCOUNT,
        region: "ap-south-1",
        id: format!("{fleet}-{name}"),
        engine: "aurora-mysql",
        wave: 0,
    };
    let (first, second, last, pinned) = (db("a"), db("b"), db("c"), db("d"));
    for d in [&first, &second, &last, &pinned] {
        d.seed(moto, 7).await;
    }
    rollout_order(moto, &first.id, "first").await;
    rollout_order(moto, &last.id, "last").await;
    rollout_order(moto, &pinned.id, "last").await;
    // `second` has no policy: RDS gives it `second`. `pinned` names its own wave 1.
    let target = |d: &Db, wave: Option<u32>| {
        let mut t = json!({"accountId": d.account, "region": d.region, "identifier": d.id, "engine": d.engine});
        if let Some(w) = wave {
            t["wave"] = json!(w);
        }
        t
    };
    let input = json!({
        "fleet": fleet, "action": "dry-run", "memberRoleName": ROLE,
        "targets": [target(&first, None), target(&second, None), target(&last, None), target(&pinned, Some(1))],
        "engineOptions": {"aurora-mysql": {"targetEngineVersion": AURORA_TARGET}},
        "waves": {"from": "upgradeRolloutOrder", "maxConcurrency": 4, "perAccountRegion": 4}
    });
    let execution = run_fleet(hub, &input).await;
    assert_eq!(execution.status, "SUCCEEDED", "{:?}", execution.cause);
    let (report, _) = report(hub, &fleet, &execution);
    let wave_of = |d: &Db| {
        report["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["database"] == d.label())
            .unwrap()["wave"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        [
            wave_of(&first),
            wave_of(&second),
            wave_of(&last),
            wave_of(&pinned)
        ],
        [1, 2, 3, 1]
    );
    let kids = children(hub, &fleet).await;
    assert_eq!(kids.len(), 4);
    let spans = wave_spans(&report, &kids);
    assert!(
        spans[&1].1 <= spans[&2].0 && spans[&2].1 <= spans[&3].0,
        "{spans:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_pauses_after_a_wave_and_the_same_input_goes_on_then_finds_everything_done() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("pause");
    let db = |i: usize, wave: u32| Db {
        account: DRY_RUN_ACCOUNT,
        region: "ca-central-1",
        id: format!("{fleet}-db{i}"),
        engine: "aurora-mysql",
        wave,
    };
    let dbs = vec![db(0, 1), db(1, 1), db(2, 2)];
    for d in &dbs {
        d.seed(moto, 7).await;
    }
    let input = dry_run_input(
        &fleet,
        &dbs,
        json!({"pauseAfterWave": true, "toleratedFailures": "50%"}),
    );

    // First start: wave 1 runs, the fleet ends `paused` with the input to go on.
    let paused = run_fleet(hub, &input).await;
    assert_eq!(paused.status, "SUCCEEDED", "{:?}", paused.cause);
    let output = paused.output.clone().expect("output");
    assert_eq!(output["status"], "paused", "{output}");
    assert_eq!(output["resumeInput"], input);
    let (first_report, _) = report(hub, &fleet, &paused);
    let status = statuses(&first_report);
    assert_eq!(
        [
            &status[&dbs[0].label()],
            &status[&dbs[1].label()],
            &status[&dbs[2].label()]
        ],
        ["passed", "passed", "waiting"]
    );
    assert_eq!(children(hub, &fleet).await.len(), 2, "wave 2 waits");
    let told = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
    let pause = told
        .iter()
        .find(|m| m.attributes["stage"] == "fleet-paused")
        .expect("a pause message");
    assert!(pause.body.contains("wave 1"), "{}", pause.body);
    assert!(pause.body.contains(&dbs[0].label()), "{}", pause.body);
    assert!(pause.body.contains("pauseAfterWave"), "{}", pause.body);

    // The same input again: wave 1 is found done (nothing started twice), wave 2 runs, the end.
    let resumed = run_fleet(hub, &input).await;
    assert_eq!(resumed.status, "SUCCEEDED", "{:?}", resumed.cause);
    assert_ne!(resumed.output.as_ref().unwrap()["status"], "paused");
    let (second_report, _) = report(hub, &fleet, &resumed);
    let status = statuses(&second_report);
    assert_eq!(
        [
            &status[&dbs[0].label()],
            &status[&dbs[1].label()],
            &status[&dbs[2].label()]
        ],
        ["succeeded-earlier", "succeeded-earlier", "passed"]
    );
    let kids = children(hub, &fleet).await;
    assert_eq!(kids.len(), 3);

    // A finished fleet started again starts nothing.
    let again = run_fleet(hub, &input).await;
    assert_eq!(again.status, "SUCCEEDED", "{:?}", again.cause);
    let (third_report, _) = report(hub, &fleet, &again);
    assert!(statuses(&third_report)
        .values()
        .all(|s| s == "succeeded-earlier"));
    let after = children(hub, &fleet).await;
    assert_eq!(after.len(), 3, "nothing started twice");
    assert_eq!(
        after.iter().map(|c| c.start).collect::<Vec<_>>(),
        kids.iter().map(|c| c.start).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fleet_definition_refuses_a_child_action_other_than_upgrade_or_dry_run() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("forged");
    // The Distributed Map state of the fleet definition, alone, run over a forged batch file:
    // whatever the plan (or anyone who writes the bucket) says, the definition starts only
    // upgrades and dry runs.
    let values = BTreeMap::from([
        (
            "BlueGreenStateMachineArn".to_owned(),
            hub.database_machine.clone(),
        ),
        (
            "ChildExecutionArnPrefix".to_owned(),
            format!(
                "{}:",
                hub.database_machine
                    .replace(":stateMachine:", ":execution:")
            ),
        ),
        ("ReportBucket".to_owned(), hub.bucket.clone()),
    ]);
    let full: Value = serde_json::from_str(&statemachine_definition("fleet.asl.json", &values))
        .expect("definition JSON");
    let mut map = full["States"]["Run the batch"].clone();
    map.as_object_mut().unwrap().remove("Catch");
    map.as_object_mut().unwrap().remove("Next");
    map["End"] = json!(true);
    let definition = json!({"StartAt": "Run the batch", "States": {"Run the batch": map}});
    let machine = hub
        .stack
        .sfn()
        .create_state_machine(&unique("forged-map"), &definition.to_string())
        .await;
    let name = format!("{fleet}-victim-00000000");
    let queue = json!([{"lane": "l", "items": [{
        "name": name, "database": format!("{DRY_RUN_ACCOUNT}/us-east-1/victim"), "wave": 1,
        "input": {"action": "cleanup", "target": {"accountId": DRY_RUN_ACCOUNT, "region": "us-east-1", "identifier": "victim", "engine": "mysql"}}
    }]}]);
    let key = format!("fleet/{fleet}/forged/plan/wave-1-batch-0.json");
    s3(moto, &["put", &hub.bucket, &key], Some(&queue.to_string()));
    let input =
        json!({"plan": {"summary": {"maxConcurrency": 2}}, "current": {"batch": {"key": key}}});
    let run = hub
        .stack
        .sfn()
        .run(&machine, &unique("forged"), &input, FLEET_TIMEOUT)
        .await;
    assert_eq!(run.status, "SUCCEEDED", "{:?}", run.cause);
    let manifest_key = run.output.as_ref().unwrap()["current"]["written"]["ResultWriterDetails"]
        ["Key"]
        .as_str()
        .expect("the results' manifest")
        .to_owned();
    let manifest: Value =
        serde_json::from_str(&s3(moto, &["get", &hub.bucket, &manifest_key], None)).unwrap();
    let file = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .unwrap()
        .to_owned();
    let entries: Value =
        serde_json::from_str(&s3(moto, &["get", &hub.bucket, &file], None)).unwrap();
    let output: Value = serde_json::from_str(entries[0]["Output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output[0]["failure"]["Error"], "ChildActionRefused",
        "{output}"
    );
    assert_eq!(output[0]["run"], Value::Null);
    assert!(children(hub, &fleet).await.is_empty(), "nothing started");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_fleet_input_is_refused_and_notified_before_anything_starts() {
    let hub = hub().await;
    let fleet = unique("bad");
    let input = json!({"fleet": fleet, "targets": [
        {"accountId": MEMBERS[0], "region": REGIONS[0], "identifier": "fine", "engine": "mysql"},
        {"accountId": MEMBERS[0], "region": REGIONS[0], "identifier": "bad", "engine": "mysql", "options": {"targetIops": -1}}
    ]});
    let execution = run_fleet(hub, &input).await;
    assert_eq!(execution.error.as_deref(), Some("FleetFailed"));
    assert!(children(hub, &fleet).await.is_empty(), "nothing started");
    let messages = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].attributes["stage"], "fleet-failed");
    assert!(
        messages[0].body.contains("targets[1]"),
        "{}",
        messages[0].body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_stopped_from_outside_is_told_through_the_end_rule() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let fleet = unique("halt");
    // Two waves of one dry run each, with a soak between them long enough to stop the fleet in.
    let db = |i: usize, wave: u32| Db {
        account: DRY_RUN_ACCOUNT,
        region: "eu-west-2",
        id: format!("{fleet}-db{i}"),
        engine: "aurora-mysql",
        wave,
    };
    let dbs = vec![db(0, 1), db(1, 2)];
    for d in &dbs {
        d.seed(moto, 7).await;
    }
    let input = dry_run_input(&fleet, &dbs, json!({"soakSeconds": 600000}));
    let name = unique(&fleet);
    let pattern = end_rule_for(
        hub.stack,
        &[("FleetStateMachine", hub.fleet_machine.as_str())],
        &name,
    )
    .await;
    assert_eq!(
        pattern["detail"]["stateMachineArn"][1],
        json!(hub.fleet_machine),
        "the rule covers the fleet machine"
    );
    let sfn = hub.stack.sfn();
    let arn = sfn.start(&hub.fleet_machine, &name, &input).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while !sfn
        .history(&arn)
        .await
        .iter()
        .any(|e| e["stateEnteredEventDetails"]["name"] == "Soak")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the fleet never reached its soak"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sfn.call("StopExecution", json!({"executionArn": arn, "error": "OperatorStopped", "cause": "maintenance window closed"})).await;
    assert_eq!(
        sfn.wait(&arn, Duration::from_secs(60)).await.status,
        "ABORTED"
    );

    // Step Functions -> EventBridge -> the rule -> notify -> SNS: the fleet's own failure message.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut mine = Vec::new();
    while !mine
        .iter()
        .any(|m: &Received| m.attributes["stage"] == "fleet-failed")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no fleet-failed message: {mine:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        mine.extend(notifications_about(hub.stack, &format!("fleet {fleet}")).await);
    }
    let failed = mine
        .iter()
        .find(|m| m.attributes["stage"] == "fleet-failed")
        .unwrap();
    assert_eq!(failed.attributes["outcome"], "failure");
    assert!(
        failed.body.contains("The fleet execution ended ABORTED"),
        "{}",
        failed.body
    );
    assert!(
        failed
            .body
            .contains("databases of later waves were not started"),
        "{}",
        failed.body
    );
    assert!(
        failed
            .body
            .contains("Start the fleet again with the same input"),
        "{}",
        failed.body
    );
    assert_eq!(children(hub, &fleet).await.len(), 1, "wave 2 never started");
}

/// The pace and cost of a large fleet (scripts/fleet-bench.sh runs it; too heavy for the CI
/// tier): `FLEET_BENCH_DATABASES` (default 200) RDS MySQL upgrades over 4 accounts and 2
/// Regions through the Distributed Map, the caps asserted from the children's start and stop
/// times, the figures printed for docs/fleet.md.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/fleet-bench.sh"]
async fn a_large_fleet_keeps_its_caps_and_measures_its_pace() {
    let hub = hub().await;
    let moto = &hub.stack.moto;
    let count: usize = std::env::var("FLEET_BENCH_DATABASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let (max_concurrency, per_lane) = (16usize, 2usize);
    let fleet = unique("bench");
    let accounts = [MEMBERS[0], MEMBERS[1], MEMBERS[2], DRY_RUN_ACCOUNT];
    let dbs: Vec<Db> = (0..count)
        .map(|i| Db {
            account: accounts[i % 4],
            region: REGIONS[(i / 4) % 2],
            id: format!("{fleet}-db{i:03}"),
            engine: "mysql",
            wave: 1 + (i * 2 / count) as u32,
        })
        .collect();
    mysql_groups(moto, &fleet, &dbs).await;
    let seeding = std::time::Instant::now();
    for db in &dbs {
        db.seed(moto, 7).await;
    }
    let seeded = seeding.elapsed();
    let input = upgrade_input(
        &fleet,
        &dbs,
        json!({"maxConcurrency": max_concurrency, "perAccountRegion": per_lane, "toleratedFailures": "5%"}),
    );
    let lanes: BTreeSet<(&str, &str)> = dbs.iter().map(|d| (d.account, d.region)).collect();
    let calls_before = rds_calls(moto, &lanes).await;
    let began = std::time::Instant::now();
    let execution = run_fleet(hub, &input).await;
    let wall = began.elapsed();
    let (calls, calls_by_action) =
        calls_between(&calls_before, &rds_calls(moto, &lanes).await, count);
    assert_eq!(
        execution.status, "SUCCEEDED",
        "{:?} {:?}",
        execution.error, execution.cause
    );
    let kids = children(hub, &fleet).await;
    assert_eq!(kids.len(), count);
    let most = most_at_once(kids.iter());
    assert!(most <= max_concurrency, "{most} at once");
    let mut most_in_lane = 0;
    for (account, region) in &lanes {
        let prefix = format!("{fleet}-");
        let in_lane: Vec<&Child> = kids
            .iter()
            .filter(|c| c.name.starts_with(&prefix))
            .filter(|c| {
                dbs.iter().any(|d| {
                    d.account == *account
                        && d.region == *region
                        && c.name.contains(&format!("{}-", d.id))
                })
            })
            .collect();
        let n = most_at_once(in_lane.into_iter());
        assert!(n <= per_lane, "{n} at once in {account}/{region}");
        most_in_lane = most_in_lane.max(n);
    }
    let mut per_database = Vec::new();
    for kid in &kids {
        let arn = format!(
            "{}:{}",
            hub.database_machine
                .replace(":stateMachine:", ":execution:"),
            kid.name
        );
        per_database.push(transitions(hub, &arn).await);
    }
    let fleet_transitions = transitions(hub, &execution.arn).await;
    eprintln!(
        "fleet bench: {count} databases over {} lanes, seeded in {:.0} s; wall {:.1} s (waits scaled x{}); most at once {most} (cap {max_concurrency}), most in one lane {most_in_lane} (cap {per_lane}); transitions: fleet machine {fleet_transitions}, per database mean {:.1}; RDS calls {calls} ({:.1} per database, {:.1} per lane; per database: {calls_by_action})",
        lanes.len(),
        seeded.as_secs_f64(),
        wall.as_secs_f64(),
        e2e::stack::WAIT_SCALE,
        per_database.iter().sum::<usize>() as f64 / count as f64,
        calls as f64 / count as f64,
        calls as f64 / lanes.len() as f64,
    );
}

/// Until the fleet's item `fleet/<fleet>` holds its between-waves wait; fails at once, with
/// what the fleet did, when it ended instead.
pub(crate) async fn until_the_fleet_waits(hub: &Hub, fleet: &str, execution: &str) {
    let deadline = std::time::Instant::now() + FLEET_TIMEOUT;
    let key = format!("fleet/{fleet}");
    while seed::lock_text(&hub.stack.moto, &key, "waitPurpose")
        .await
        .as_deref()
        != Some("approval-wave")
    {
        let described = hub
            .stack
            .sfn()
            .call("DescribeExecution", json!({"executionArn": execution}))
            .await;
        if described["status"] != "RUNNING" || std::time::Instant::now() > deadline {
            let ended = hub.stack.sfn().wait(execution, Duration::ZERO).await;
            panic!(
                "{fleet} stored no wave approval: {} {:?} {:?} {:?}",
                ended.status, ended.error, ended.cause, ended.states
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The longest approval deadline: token timeouts are scaled like every wait (300 s would be
/// 3 s here, shorter than a loaded machine takes to answer).
pub(crate) const LONGEST_APPROVAL: u32 = 604_800;

/// Starts (as execution `name`) the smallest fleet that asks between waves: a dry run of two
/// new Aurora MySQL databases, one per wave, with the approval deadline `timeout`. Returns the
/// databases and the execution's ARN.
pub(crate) async fn start_asking_between_two_waves(
    hub: &Hub,
    fleet: &str,
    name: &str,
    timeout: u32,
) -> (Vec<Db>, String) {
    let dbs: Vec<Db> = (1..=2)
        .map(|wave| Db {
            account: DRY_RUN_ACCOUNT,
            region: "ca-central-1",
            id: format!("{fleet}-db{wave}"),
            engine: "aurora-mysql",
            wave,
        })
        .collect();
    for d in &dbs {
        d.seed(&hub.stack.moto, 7).await;
    }
    let input = dry_run_input(
        fleet,
        &dbs,
        json!({"approveBetweenWaves": true, "approvalTimeoutSeconds": timeout}),
    );
    let execution = hub
        .stack
        .sfn()
        .start(&hub.fleet_machine, name, &input)
        .await;
    (dbs, execution)
}

/// An approve or reject execution of the fleet machine, run to its end.
pub(crate) async fn answer_fleet(hub: &Hub, action: &str, fleet: &str, by: &str) -> Execution {
    answer_fleet_with(
        hub,
        action,
        fleet,
        json!({"by": by, "reason": "checked wave 1"}),
    )
    .await
}

/// The same with the answer's `approval` given whole.
async fn answer_fleet_with(hub: &Hub, action: &str, fleet: &str, approval: Value) -> Execution {
    let input = json!({"action": action, "fleet": fleet, "approval": approval});
    let run = hub
        .stack
        .sfn()
        .run(
            &hub.fleet_machine,
            &unique(&format!("{fleet}-{action}")),
            &input,
            FLEET_TIMEOUT,
        )
        .await;
    assert_eq!(run.status, "SUCCEEDED", "{action} {fleet}: {:?}", run.cause);
    assert!(
        !run.states.iter().any(|s| s == "Plan the fleet"),
        "an answer plans nothing"
    );
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_waits_for_approval_between_waves_an_approve_runs_the_next_and_a_reject_stops_it() {
    let hub = hub().await;
    let sfn = hub.stack.sfn();
    // Two fleets side by side, each two waves of one database (dry runs: fast).
    let fleets = [unique("fa-ok"), unique("fa-no")];
    let mut all_dbs = Vec::new();
    let mut executions = Vec::new();
    for fleet in &fleets {
        let (dbs, execution) =
            start_asking_between_two_waves(hub, fleet, &unique(fleet), LONGEST_APPROVAL).await;
        executions.push(execution);
        all_dbs.push(dbs);
    }
    // An answer with no fleet waiting changes nothing and ends quietly.
    let nobody = answer_fleet(hub, "approve", &unique("fa-none"), "jane").await;
    let out = nobody.output.clone().expect("output");
    assert_eq!(out["status"], "not taken", "{out}");
    assert_eq!(out["notTaken"]["Error"], "NothingToApprove", "{out}");
    assert!(!nobody.states.iter().any(|s| s == "Answer the fleet"));

    for (fleet, execution) in fleets.iter().zip(&executions) {
        until_the_fleet_waits(hub, fleet, execution).await;
        assert_eq!(children(hub, fleet).await.len(), 1, "wave 2 waits");
        let told = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
        let ask = told
            .iter()
            .find(|m| m.attributes["stage"] == "fleet-approval")
            .unwrap_or_else(|| panic!("an approval message for {fleet}"));
        let text = serde_json::from_str::<Value>(&ask.body).expect("a JSON message")["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for said in [
            format!(r#"{{"action": "approve", "fleet": "{fleet}""#),
            format!(r#"{{"action": "reject", "fleet": "{fleet}""#),
            format!(r#""execution": "{execution}""#),
            "Approve until".to_owned(),
            "no later wave starts".to_owned(),
        ] {
            assert!(text.contains(&said), "{said} in {text}");
        }
    }

    // An approve bound to another execution of the first fleet's name (an old message's, say
    // from before a FleetApprovalExpired) changes nothing: told NotThisQuestion, still waiting.
    let (machine, _) = executions[0].rsplit_once(':').unwrap();
    let older = format!("{machine}:an-older-fleet-run");
    let stale = answer_fleet_with(
        hub,
        "approve",
        &fleets[0],
        json!({"by": "old-button", "execution": older}),
    )
    .await;
    let out = stale.output.clone().expect("output");
    assert_eq!(out["status"], "not taken", "{out}");
    assert_eq!(out["notTaken"]["Error"], "NotThisQuestion", "{out}");
    let cause = out["notTaken"]["Cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains(&older) && cause.contains(&executions[0]),
        "names both executions: {cause}"
    );
    assert!(!stale.states.iter().any(|s| s == "Answer the fleet"));
    assert_eq!(
        children(hub, &fleets[0]).await.len(),
        1,
        "wave 2 still waits"
    );

    // Approve the first, reject the second, at once.
    let (approved, rejected) = tokio::join!(
        answer_fleet(hub, "approve", &fleets[0], "jane"),
        answer_fleet(hub, "reject", &fleets[1], "omar"),
    );
    for (run, fleet, execution) in [
        (&approved, &fleets[0], &executions[0]),
        (&rejected, &fleets[1], &executions[1]),
    ] {
        let out = run.output.clone().expect("output");
        assert_eq!(out["status"], "answered", "{out}");
        assert_eq!(out["key"], format!("fleet/{fleet}"));
        assert_eq!(&out["execution"], execution, "the fleet's own wait");
    }

    let ok = sfn.wait(&executions[0], FLEET_TIMEOUT).await;
    assert_eq!(ok.status, "SUCCEEDED", "{:?}", ok.cause);
    assert_eq!(
        statuses_of(hub, &fleets[0], &ok, &all_dbs[0]),
        ["passed", "passed"],
        "wave 2 ran after the approve"
    );
    assert_eq!(children(hub, &fleets[0]).await.len(), 2);

    let no = sfn.wait(&executions[1], FLEET_TIMEOUT).await;
    assert_eq!(
        no.status, "SUCCEEDED",
        "a reject is a decision: {:?}",
        no.cause
    );
    let out = no.output.clone().expect("output");
    assert_eq!(out["status"], "rejected", "{out}");
    assert_eq!(out["approval"]["by"], "omar");
    assert_eq!(out["halted"]["Error"], "FleetRejected");
    assert_eq!(
        children(hub, &fleets[1]).await.len(),
        1,
        "wave 2 never started"
    );
    let (no_report, _) = report(hub, &fleets[1], &no);
    let skipped = no_report["databases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["database"] == all_dbs[1][1].label())
        .cloned()
        .expect("wave 2's database in the report");
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    let cause = skipped["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("rejected by omar") && cause.contains("checked wave 1"),
        "{cause}"
    );
    let told = notifications_about(hub.stack, &format!("fleet {}", fleets[1])).await;
    let ends: Vec<_> = told
        .iter()
        .filter(|m| m.attributes["stage"] == "fleet-finished")
        .collect();
    assert_eq!(ends.len(), 1, "told once: {told:?}");
    assert!(
        ends[0].body.contains("rejected by omar"),
        "{}",
        ends[0].body
    );

    // A second answer finds the wait answered: nothing changes.
    let late = answer_fleet(hub, "approve", &fleets[1], "jane").await;
    let out = late.output.clone().expect("output");
    assert_eq!(out["notTaken"]["Error"], "AlreadyAnswered", "{out}");
    assert_eq!(children(hub, &fleets[1]).await.len(), 1);
}

/// The shortest deadline allowed (300 s: 3 s on the stack) passes with nobody answering: no
/// later wave starts, FleetApprovalExpired is told once (one message naming the fleet, the
/// stage and the cause; the end rule finds the execution's end already told), the fleet's wait
/// is withdrawn from its item, and a late approve changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_whose_approval_deadline_passes_starts_no_later_wave_and_says_so_once() {
    let hub = hub().await;
    let fleet = unique("fa-late");
    let name = unique(&fleet);
    fleet_end_rule(hub, &name).await;
    let (dbs, execution) = start_asking_between_two_waves(hub, &fleet, &name, 300).await;
    let ended = hub.stack.sfn().wait(&execution, FLEET_TIMEOUT).await;
    assert_eq!(ended.status, "FAILED", "{:?}", ended.states);
    assert_eq!(ended.error.as_deref(), Some("FleetApprovalExpired"));
    for state in [
        "Ask the fleet's approval",
        "Withdraw the fleet's wait",
        "Nobody approved the next wave",
        "Build the report",
    ] {
        assert!(
            ended.states.iter().any(|s| s == state),
            "{state}: {:?}",
            ended.states
        );
    }
    assert_eq!(children(hub, &fleet).await.len(), 1, "wave 2 never started");
    assert_eq!(
        statuses_of(hub, &fleet, &ended, &dbs),
        ["passed", "skipped"]
    );

    // Told once: the report's message; the execution's end reaches notify through the rule
    // and is dropped as already told.
    await_dropped_by_the_rule(hub.stack, &execution).await;
    let told = notifications_about(hub.stack, &format!("fleet {fleet}")).await;
    let expired: Vec<Value> = told
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.body).expect("a JSON message"))
        .filter(|m| m["error"] == "FleetApprovalExpired" || m["outcome"] == "failure")
        .collect();
    assert_eq!(expired.len(), 1, "told once: {told:?}");
    let end = &expired[0];
    assert_eq!(end["stage"], "fleet-finished");
    assert_eq!(end["error"], "FleetApprovalExpired");
    assert_eq!(end["database"], format!("fleet {fleet}"));
    let text = end["text"].as_str().unwrap_or_default();
    for said in [
        "stopped between waves",
        "Nobody approved or rejected wave 2 within 300 s",
        "Later waves were not started",
    ] {
        assert!(text.contains(said), "{said} in {text}");
    }
    assert_eq!(
        seed::lock_text(&hub.stack.moto, &format!("fleet/{fleet}"), "waitToken").await,
        None,
        "the expired wait is withdrawn"
    );

    // Too late: nothing waits, nothing starts, nobody else is told.
    let late = answer_fleet(hub, "approve", &fleet, "jane").await;
    let out = late.output.clone().expect("output");
    assert_eq!(out["notTaken"]["Error"], "NothingToApprove", "{out}");
    assert_eq!(children(hub, &fleet).await.len(), 1);
    assert!(notifications_about(hub.stack, &format!("fleet {fleet}"))
        .await
        .is_empty());
}
