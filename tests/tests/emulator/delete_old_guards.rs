//! The adversarial suite of delete-old (cleanup and abandon) against moto over HTTP.
//!
//! Each case sets up the world a person could leave behind (renames, newcomers under old
//! names, members or replicas added by hand, deployments deleted by hand, stale or foreign
//! references, wrong engines, proxies, global databases, racing runs), runs the real step,
//! and asserts its answer and the full inventory (clusters, instances, snapshots,
//! deployments and their `bluegreen:` tags) before and after. Invariants checked on every
//! answer of every loop: no success answer while any of old blue's ids still exists, and
//! nothing that is not old blue (or green, for abandon) is ever deleted.
//! docs/safety.md maps each guard to the case that proves it.

use std::collections::BTreeSet;

use bluegreen::aws::deployment;
use bluegreen::steps::{create, delete_old, switchover};
use e2e::faults::Fault;
use e2e::moto::{moto, unique, REGION};
use e2e::seed;
use serde_json::{json, Value};

// ---- the world ---------------------------------------------------------------------------

/// Everything a test's database touches: rows are `kind name id detail`, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inventory(BTreeSet<String>);

impl Inventory {
    fn has(&self, row_start: &str) -> bool {
        self.0.iter().any(|r| r.starts_with(row_start))
    }

    fn count(&self, kind: &str) -> usize {
        self.0.iter().filter(|r| r.starts_with(kind)).count()
    }

    /// Deployments not (yet) being deleted.
    fn live_deployments(&self) -> usize {
        self.0
            .iter()
            .filter(|r| r.starts_with("deployment ") && !r.contains(" DELETING "))
            .count()
    }

    /// The rows of `self` that `after` no longer has.
    fn removed_in(&self, after: &Inventory) -> BTreeSet<String> {
        self.0.difference(&after.0).cloned().collect()
    }
}

/// Drains a paginated listing (the tests share one server, which holds hundreds of each).
macro_rules! all {
    ($call:expr) => {
        $call
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap()
    };
}

/// Reads every cluster, instance, snapshot and deployment whose name starts with `id`, in
/// `region`, with resource ids, and each deployment's `bluegreen:` tags, every listing to
/// its last page.
async fn inventory_in(id: &str, region: &str) -> Inventory {
    let rds = aws_sdk_rds::Client::new(&moto().sdk_config(region));
    let mut rows = BTreeSet::new();
    for c in all!(rds.describe_db_clusters()) {
        let name = c.db_cluster_identifier().unwrap_or_default();
        if name.starts_with(id) {
            rows.insert(format!(
                "cluster {name} {} protected={}",
                c.db_cluster_resource_id().unwrap_or_default(),
                c.deletion_protection().unwrap_or(false)
            ));
        }
    }
    for i in all!(rds.describe_db_instances()) {
        let name = i.db_instance_identifier().unwrap_or_default();
        if name.starts_with(id) {
            rows.insert(format!(
                "instance {name} {} in={}",
                i.dbi_resource_id().unwrap_or_default(),
                i.db_cluster_identifier()
                    .or(i.read_replica_source_db_instance_identifier())
                    .unwrap_or("-")
            ));
        }
    }
    for s in all!(rds.describe_db_cluster_snapshots()) {
        let name = s.db_cluster_snapshot_identifier().unwrap_or_default();
        if name.starts_with(id) && s.snapshot_type() == Some("manual") {
            rows.insert(format!(
                "snapshot {name} of={}",
                s.db_cluster_resource_id().unwrap_or_default()
            ));
        }
    }
    for s in all!(rds.describe_db_snapshots()) {
        let name = s.db_snapshot_identifier().unwrap_or_default();
        if name.starts_with(id) && s.snapshot_type() == Some("manual") {
            rows.insert(format!(
                "snapshot {name} of={}",
                s.dbi_resource_id().unwrap_or_default()
            ));
        }
    }
    for d in all!(rds.describe_blue_green_deployments()) {
        let (source, target) = (
            d.source().unwrap_or_default(),
            d.target().unwrap_or_default(),
        );
        let name_of = |arn: &str| arn.rsplit(':').next().unwrap_or_default().to_owned();
        if !(name_of(source).starts_with(id) || name_of(target).starts_with(id)) {
            continue;
        }
        let did = d.blue_green_deployment_identifier().unwrap_or_default();
        rows.insert(format!(
            "deployment {did} {} {}->{}",
            d.status().unwrap_or_default(),
            name_of(source),
            name_of(target)
        ));
        for t in d.tag_list() {
            let key = t.key().unwrap_or_default();
            if key.starts_with("bluegreen:") {
                // The time a cleanup started is a fact, not a value to compare.
                let value = if key == "bluegreen:cleanup-started" {
                    "(set)"
                } else {
                    t.value().unwrap_or_default()
                };
                rows.insert(format!("tag {did} {key}={value}"));
            }
        }
    }
    Inventory(rows)
}

async fn inventory(id: &str) -> Inventory {
    inventory_in(id, REGION).await
}

// ---- requests and runs ---------------------------------------------------------------------

fn aurora(identifier: &str, extra: Value) -> Value {
    request(
        identifier,
        "aurora-mysql",
        json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}),
        extra,
    )
}

fn mysql(identifier: &str, extra: Value) -> Value {
    request(identifier, "mysql", json!({}), extra)
}

fn request(identifier: &str, engine: &str, base: Value, extra: Value) -> Value {
    let mut options = base;
    options["gracePeriodSeconds"] = json!(0);
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        options[k] = v;
    }
    json!({"target": {"region": REGION, "identifier": identifier, "engine": engine}, "options": options})
}

/// A database with a deployment made by `create` (its answer is returned: what the state
/// machine keeps as `$.deployment`), switched over when `switch` is set.
async fn deploy(id: &str, req: &Value, switch: bool) -> Value {
    let created = serde_json::to_value(
        create::handle(json!({"request": req}), &moto().factory())
            .await
            .unwrap(),
    )
    .unwrap();
    if switch {
        let a = serde_json::to_value(
            switchover::handle(
                json!({"operation": "switchover", "request": req}),
                &moto().factory(),
            )
            .await
            .unwrap(),
        )
        .unwrap();
        assert_eq!(a["action"], "switchover-requested", "{id}: {a}");
    }
    created
}

/// An Aurora cluster with one reader and a deployment; switched over when `switch` is set.
async fn aurora_deployed(prefix: &str, switch: bool) -> (String, Value, Value) {
    let id = unique(prefix);
    seed::aurora_mysql(moto(), &id, 1).await;
    let req = aurora(&id, json!({}));
    let created = deploy(&id, &req, switch).await;
    (id, req, created)
}

/// An RDS MySQL instance with `replicas` read replicas and a deployment, switched over.
async fn mysql_deployed(prefix: &str, replicas: usize) -> (String, Value, Value) {
    let id = unique(prefix);
    seed::rds_instance(moto(), &id, "mysql", "8.0.35").await;
    for n in 0..replicas {
        moto()
            .rds()
            .create_db_instance_read_replica()
            .db_instance_identifier(format!("{id}-r{n}"))
            .source_db_instance_identifier(&id)
            .send()
            .await
            .unwrap();
    }
    let req = mysql(&id, json!({}));
    let created = deploy(&id, &req, true).await;
    (id, req, created)
}

async fn step(
    op: &str,
    req: &Value,
    deployment: &Value,
    attempt: &Value,
) -> Result<Value, bluegreen::Error> {
    delete_old::handle(
        json!({"operation": op, "request": req, "deployment": deployment, "poll": {"attempt": attempt}}),
        &moto().factory(),
    )
    .await
    .map(|a| serde_json::to_value(a).unwrap())
}

/// One call with no state (an execution started from the console).
async fn fresh(op: &str, req: &Value) -> Result<Value, bluegreen::Error> {
    step(op, req, &Value::Null, &json!(0)).await
}

/// What an execution does: call, keep the first answer's deployment when it had none (as the
/// state machine's "Remember ..." state does), call again, until `done` or an error. Asserts on every answer
/// that `done` comes only once none of `must_be_gone` (resource ids) exists.
async fn drive(
    op: &str,
    req: &Value,
    start: Value,
    id: &str,
    must_be_gone: &[String],
) -> (Vec<Value>, Result<Value, bluegreen::Error>) {
    let (mut deployment, mut attempt, mut answers) = (start, json!(0), Vec::new());
    for _ in 0..25 {
        match step(op, req, &deployment, &attempt).await {
            Ok(a) => {
                println!(
                    "{id}: {} {} deleted={}",
                    a["state"], a["step"], a["deleted"]
                );
                answers.push(a.clone());
                if a["state"] == "done" {
                    let now = inventory(id).await;
                    for gone in must_be_gone {
                        assert!(
                            !now.0.iter().any(|r| r.contains(gone.as_str())
                                && !r.starts_with("snapshot")
                                && !r.starts_with("tag")),
                            "success answered while {gone} exists: {now:#?}"
                        );
                    }
                    return (answers, Ok(a));
                }
                if deployment.is_null() {
                    // "Remember the deployment ...": only when the execution had none.
                    deployment = a["deployment"].clone();
                }
                attempt = a["attempt"].clone();
            }
            Err(e) => {
                println!("{id}: refused {}: {e}", e.name());
                return (answers, Err(e));
            }
        }
    }
    panic!("{op} of {id} did not finish in 25 calls: {answers:#?}");
}

/// Old blue's ids as `create` recorded them.
fn blue_ids(created: &Value) -> Vec<String> {
    side_ids(created, "blue")
}

/// The ids of one side (`blue`, `green`) as `create` recorded them.
fn side_ids(created: &Value, side: &str) -> Vec<String> {
    let ids = &created["identity"][side];
    std::iter::once(ids["resourceId"].as_str().unwrap().to_owned())
        .chain(
            ids["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned()),
        )
        .collect()
}

/// Asserts a refusal: its stable name, words of its reason, and nothing changed.
async fn assert_refused(
    result: Result<Value, bluegreen::Error>,
    name: &str,
    words: &[&str],
    id: &str,
    before: &Inventory,
) {
    let err = result.expect_err("a refusal");
    assert_eq!(err.name(), name, "{err}");
    for w in words {
        assert!(err.to_string().contains(w), "`{w}` missing from: {err}");
    }
    assert_eq!(&inventory(id).await, before, "nothing changed");
}

/// Runs `action` once on a fresh execution and asserts the refusal (its name and words)
/// and that the inventory of `id` did not change.
async fn refused_unchanged(action: &str, req: &Value, name: &str, words: &[&str], id: &str) {
    let before = inventory(id).await;
    let result = fresh(action, req).await;
    assert_refused(result, name, words, id, &before).await;
}

fn deployment_id(created: &Value) -> String {
    created["id"].as_str().unwrap().to_owned()
}

// ---- cleanup: the paths that delete ------------------------------------------------------

#[tokio::test]
async fn aurora_old_blue_is_deleted_by_id_members_first_then_the_deployment() {
    let (id, req, created) = aurora_deployed("okaur", true).await;
    let before = inventory(&id).await;
    let blue = blue_ids(&created);
    assert!(before.has(&format!("cluster {id}-old1 {}", blue[0])));
    let (answers, end) = drive("cleanup", &req, Value::Null, &id, &blue).await;
    let end = end.unwrap();
    assert_eq!(end["step"], "complete");
    let steps: Vec<&str> = answers
        .iter()
        .map(|a| a["step"].as_str().unwrap())
        .collect();
    let first = |s: &str| steps.iter().position(|x| *x == s).unwrap();
    assert!(first("delete-instances") < first("delete-cluster"));
    assert!(first("delete-cluster") < first("complete"));
    assert_eq!(
        end["deleted"],
        json!([deployment_id(&created)]),
        "the deployment object goes last, once old blue is gone by id"
    );
    let after = inventory(&id).await;
    let removed = before.removed_in(&after);
    // Exactly old blue (cluster + 2 instances), the deployment and its tags went.
    assert!(
        removed
            .iter()
            .all(|r| r.contains("-old1") || r.starts_with("deployment") || r.starts_with("tag")),
        "{removed:#?}"
    );
    assert_eq!(
        removed
            .iter()
            .filter(|r| r.starts_with("cluster") || r.starts_with("instance"))
            .count(),
        3
    );
    assert_eq!(after.count("cluster "), 1);
    assert_eq!(after.count("instance "), 2, "production's instances intact");
    assert!(
        after.has(&format!("snapshot {id}-old1-final-")),
        "{after:#?}"
    );
    assert!(
        after
            .0
            .iter()
            .any(|r| r.starts_with("snapshot") && r.ends_with(&blue[0])),
        "the final snapshot is of old blue's id"
    );
}

#[tokio::test]
async fn rds_instance_old_blue_with_a_read_replica_goes_replica_first() {
    let (id, req, created) = mysql_deployed("okrepl", 1).await;
    let blue = blue_ids(&created);
    assert_eq!(
        blue.len(),
        2,
        "the replica is part of the deployment: {created}"
    );
    let before = inventory(&id).await;
    assert!(
        before.has(&format!("instance {id}-r0-old1 {} in={id}-old1", blue[1])),
        "{before:#?}"
    );
    let (answers, end) = drive("cleanup", &req, Value::Null, &id, &blue).await;
    assert_eq!(end.unwrap()["state"], "done");
    let deleted: Vec<String> = answers
        .iter()
        .flat_map(|a| {
            a["deleted"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_owned())
        })
        .collect();
    let at = |n: &str| deleted.iter().position(|d| d == n).unwrap();
    assert!(
        at(&format!("{id}-r0-old1")) < at(&format!("{id}-old1")),
        "replica before its source: {deleted:?}"
    );
    let after = inventory(&id).await;
    assert!(
        after.has(&format!("instance {id} ")) && after.has(&format!("instance {id}-r0 ")),
        "production and its replica intact: {after:#?}"
    );
    assert!(
        !after.has(&format!("instance {id}-old1")) && !after.has(&format!("instance {id}-r0-old1"))
    );
    assert!(after.has(&format!("snapshot {id}-old1-final-")));
}

#[tokio::test]
async fn final_snapshot_false_needs_the_acknowledgement() {
    let (id, _, _) = aurora_deployed("nosnap", true).await;
    let before = inventory(&id).await;
    let unacknowledged = aurora(&id, json!({"finalSnapshot": false}));
    let result = fresh("cleanup", &unacknowledged).await;
    assert_refused(
        result,
        "InvalidInput",
        &["options.finalSnapshot", "skipFinalSnapshotAcknowledged"],
        &id,
        &before,
    )
    .await;
}

#[tokio::test]
async fn final_snapshot_false_with_the_acknowledgement_deletes_without_a_snapshot() {
    let (id, _, created) = aurora_deployed("nosnapok", true).await;
    let req = aurora(
        &id,
        json!({"finalSnapshot": false, "skipFinalSnapshotAcknowledged": true}),
    );
    let (answers, end) = drive("cleanup", &req, Value::Null, &id, &blue_ids(&created)).await;
    assert_eq!(end.unwrap()["state"], "done");
    assert!(answers.iter().all(|a| a["step"] != "final-snapshot"));
    let after = inventory(&id).await;
    assert_eq!(after.count("snapshot "), 0, "{after:#?}");
    assert_eq!(after.count("cluster "), 1);
}

// ---- cleanup: identity ---------------------------------------------------------------------

#[tokio::test]
async fn renamed_old_blue_and_a_newcomer_at_old1_are_both_left_alone() {
    let (id, req, created) = aurora_deployed("newcomer", true).await;
    let old = format!("{id}-old1");
    let rds = moto().rds();
    rds.modify_db_cluster()
        .db_cluster_identifier(&old)
        .new_db_cluster_identifier(format!("{id}-kept"))
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    // An unrelated cluster takes the name.
    rds.create_db_cluster()
        .db_cluster_identifier(&old)
        .engine("aurora-mysql")
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .unwrap();
    let before = inventory(&id).await;
    let blue = blue_ids(&created);
    assert!(
        before.has(&format!("cluster {id}-kept {}", blue[0])),
        "old blue keeps its id across a rename: {before:#?}"
    );
    let newcomer = before
        .0
        .iter()
        .find(|r| r.starts_with(&format!("cluster {old} ")))
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap()
        .to_owned();
    assert_ne!(
        newcomer, blue[0],
        "a new database under an old name gets a new id"
    );
    let result = fresh("cleanup", &req).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &[&newcomer, &blue[0], "took old blue's name"],
        &id,
        &before,
    )
    .await;
}

#[tokio::test]
async fn old_blue_renamed_by_hand_is_refused_not_reported_deleted() {
    let (id, req, created) = aurora_deployed("renamed", true).await;
    moto()
        .rds()
        .modify_db_cluster()
        .db_cluster_identifier(format!("{id}-old1"))
        .new_db_cluster_identifier(format!("{id}-keep"))
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &[
            &blue_ids(&created)[0],
            &format!("{id}-keep"),
            "renamed by hand",
        ],
        &id,
    )
    .await;
}

#[tokio::test]
async fn old_blue_not_found_by_id_is_never_a_success_and_the_deployment_is_kept() {
    let (id, req, created) = aurora_deployed("vanished", true).await;
    let rds = moto().rds();
    for n in 0..2 {
        rds.delete_db_instance()
            .db_instance_identifier(format!("{id}-{n}-old1"))
            .send()
            .await
            .unwrap();
    }
    rds.delete_db_cluster()
        .db_cluster_identifier(format!("{id}-old1"))
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    let before = inventory(&id).await;
    assert_eq!(before.count("deployment "), 1);
    let result = fresh("cleanup", &req).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &[
            "action needed",
            &blue_ids(&created)[0],
            "not found",
            "nothing deleted",
            "kept",
        ],
        &id,
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_deployment_without_recorded_identity_is_refused() {
    let (id, req, created) = aurora_deployed("notags", true).await;
    strip_identity_tags(&created).await;
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &["records no resource ids"],
        &id,
    )
    .await;
}

#[tokio::test]
async fn a_final_snapshot_name_taken_by_another_database_is_refused() {
    let (id, req, created) = aurora_deployed("snapof", true).await;
    // The deterministic final-snapshot name, taken by a snapshot of production.
    let name = bluegreen::naming::final_snapshot(&format!("{id}-old1"), &deployment_id(&created));
    moto()
        .rds()
        .create_db_cluster_snapshot()
        .db_cluster_identifier(&id)
        .db_cluster_snapshot_identifier(&name)
        .send()
        .await
        .unwrap();
    let before = inventory(&id).await;
    let err = fresh("cleanup", &req).await.unwrap_err();
    assert_eq!(err.name(), "UnsafeToDelete");
    assert!(err.to_string().contains("not of old blue"), "{err}");
    let after = inventory(&id).await;
    let mut expected = before.clone();
    expected.0.insert(format!(
        "tag {} bluegreen:cleanup-started=(set)",
        deployment_id(&created)
    ));
    assert_eq!(
        after, expected,
        "nothing deleted (only the cleanup-started mark added)"
    );
}

// ---- cleanup: input, references, Regions ------------------------------------------------

#[tokio::test]
async fn an_aurora_cluster_given_with_an_rds_instance_engine_is_refused() {
    let (id, _, _) = aurora_deployed("kind", true).await;
    let before = inventory(&id).await;
    let wrong = request(&id, "mysql", json!({}), json!({}));
    let result = fresh("cleanup", &wrong).await;
    assert_refused(
        result,
        "InvalidInput",
        &["target.engine", "Aurora DB cluster"],
        &id,
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_stale_deployment_reference_is_never_done() {
    let (id, req, created) = aurora_deployed("stale", true).await;
    let before = inventory(&id).await;
    let mut stale = created.clone();
    stale["id"] = json!("bgd-doesnotexist0000");
    stale.as_object_mut().unwrap().remove("identity");
    let result = step("cleanup", &req, &stale, &json!(3)).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &["action needed", "bgd-doesnotexist0000", "nothing deleted"],
        &id,
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_reference_from_another_region_is_refused() {
    let id = unique("region");
    let west = aws_sdk_rds::Client::new(&moto().sdk_config("eu-west-1"));
    // Binary logging on, as CreateBlueGreenDeployment requires of Aurora MySQL.
    seed::aurora_mysql_with(&west, &id, 0).await;
    let mut west_req = aurora(&id, json!({}));
    west_req["target"]["region"] = json!("eu-west-1");
    let west_request = bluegreen::input::Request::from_value(west_req).unwrap();
    let created =
        serde_json::to_value(create::create(&west, &west_request).await.unwrap()).unwrap();
    // The same name exists in us-east-1 too; the execution names the eu-west-1 deployment.
    seed::aurora_mysql(moto(), &id, 0).await;
    let (east_before, west_before) = (inventory(&id).await, inventory_in(&id, "eu-west-1").await);
    let req = aurora(&id, json!({}));
    let result = step("cleanup", &req, &created, &json!(0)).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &["eu-west-1", "another Region"],
        &id,
        &east_before,
    )
    .await;
    assert_eq!(inventory_in(&id, "eu-west-1").await, west_before);
    let result = step("abandon", &req, &created, &json!(0)).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &["another Region"],
        &id,
        &east_before,
    )
    .await;
}

#[tokio::test]
async fn cleanup_before_switchover_is_refused() {
    let (id, req, _) = aurora_deployed("guardpre", false).await;
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &["not SWITCHOVER_COMPLETED"],
        &id,
    )
    .await;
}

#[tokio::test]
async fn cleanup_for_another_database_is_refused() {
    let (a, _, created) = aurora_deployed("guarda", true).await;
    let b = unique("guardb");
    seed::aurora_mysql(moto(), &b, 0).await;
    // B's execution names A's deployment: A's old blue must not be deleted on B's behalf.
    let before = inventory(&a).await;
    let result = fresh(
        "cleanup",
        &aurora(&b, json!({"deploymentName": created["name"]})),
    )
    .await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &[&format!("not {b}")],
        &a,
        &before,
    )
    .await;
    assert_eq!(inventory(&b).await.count("cluster "), 1, "B untouched");
}

// ---- cleanup: topology --------------------------------------------------------------------

#[tokio::test]
async fn a_member_added_by_hand_to_old_blue_is_refused_and_named() {
    let (id, req, _) = aurora_deployed("member", true).await;
    let extra = format!("{id}-old1-extra");
    moto()
        .rds()
        .create_db_instance()
        .db_instance_identifier(&extra)
        .db_cluster_identifier(format!("{id}-old1"))
        .engine("aurora-mysql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &[&extra, "not part of the deployment"],
        &id,
    )
    .await;
}

#[tokio::test]
async fn a_replica_of_old_blue_outside_the_deployment_is_refused_and_named() {
    let (id, req, _) = mysql_deployed("replx", 0).await;
    let replica = format!("{id}-old1-late");
    moto()
        .rds()
        .create_db_instance_read_replica()
        .db_instance_identifier(&replica)
        .source_db_instance_identifier(format!("{id}-old1"))
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &[&replica, "read replica", "promote"],
        &id,
    )
    .await;
}

#[tokio::test]
async fn old_blue_in_a_global_database_is_refused_with_the_steps() {
    let (id, req, _) = aurora_deployed("global", true).await;
    let rds = moto().rds();
    let arn = rds
        .describe_db_clusters()
        .db_cluster_identifier(format!("{id}-old1"))
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .db_cluster_arn()
        .unwrap()
        .to_owned();
    rds.create_global_cluster()
        .global_cluster_identifier(format!("{id}-global"))
        .source_db_cluster_identifier(arn)
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &["Global Database", "remove-from-global-cluster"],
        &id,
    )
    .await;
}

/// A VPC subnet in moto's EC2 (an RDS Proxy needs one), over EC2's Query API.
async fn subnet() -> String {
    let call = |body: String| async move {
        reqwest::Client::new()
            .post(&moto().endpoint)
            .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let between = |xml: &str, tag: &str| {
        xml.split(&format!("<{tag}>"))
            .nth(1)
            .unwrap()
            .split(&format!("</{tag}>"))
            .next()
            .unwrap()
            .to_owned()
    };
    let vpc = between(
        &call("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0%2F16".into()).await,
        "vpcId",
    );
    between(
        &call(format!(
            "Action=CreateSubnet&Version=2016-11-15&VpcId={vpc}&CidrBlock=10.9.1.0%2F24"
        ))
        .await,
        "subnetId",
    )
}

#[tokio::test]
async fn old_blue_behind_an_rds_proxy_is_refused_naming_the_proxy() {
    let (id, req, _) = aurora_deployed("proxy", true).await;
    let rds = moto().rds();
    let proxy = format!("{id}-px");
    rds.create_db_proxy()
        .db_proxy_name(&proxy)
        .engine_family(aws_sdk_rds::types::EngineFamily::Mysql)
        .auth(
            aws_sdk_rds::types::UserAuthConfig::builder()
                .auth_scheme(aws_sdk_rds::types::AuthScheme::Secrets)
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/proxy")
        .vpc_subnet_ids(subnet().await)
        .send()
        .await
        .unwrap();
    rds.register_db_proxy_targets()
        .db_proxy_name(&proxy)
        .db_cluster_identifiers(format!("{id}-old1"))
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &[&proxy, "deregister"],
        &id,
    )
    .await;
    rds.delete_db_proxy()
        .db_proxy_name(&proxy)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn deletion_protection_on_old_blue_is_never_turned_off() {
    let (id, req, _) = aurora_deployed("guardprot", true).await;
    moto()
        .rds()
        .modify_db_cluster()
        .db_cluster_identifier(format!("{id}-old1"))
        .deletion_protection(true)
        .send()
        .await
        .unwrap();
    let before = inventory(&id).await;
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &["deletion protection"],
        &id,
    )
    .await;
    assert!(
        before.has(&format!("cluster {id}-old1 "))
            && inventory(&id)
                .await
                .0
                .iter()
                .any(|r| r.starts_with(&format!("cluster {id}-old1 "))
                    && r.ends_with("protected=true"))
    );
}

// ---- cleanup: the deployment object, re-runs and races ---------------------------------------

#[tokio::test]
async fn the_deployment_deleted_by_hand_during_the_grace_period_is_refused() {
    let (id, req, created) = aurora_deployed("byhand", true).await;
    let rds = moto().rds();
    rds.delete_blue_green_deployment()
        .blue_green_deployment_identifier(deployment_id(&created))
        .send()
        .await
        .unwrap();
    // DELETING for a while, then gone.
    while deployment::describe(&rds, &deployment_id(&created))
        .await
        .unwrap()
        .is_some()
    {}
    let before = inventory(&id).await;
    // The execution still carries the deployment "Create green" recorded, with its identity.
    let result = step("cleanup", &req, &created, &json!(0)).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &["action needed", "still exists", &blue_ids(&created)[0]],
        &id,
        &before,
    )
    .await;
    // Started again from the console: no deployment to act on, never a success.
    let result = fresh("cleanup", &req).await;
    assert_refused(result, "NotFound", &[], &id, &before).await;
}

#[tokio::test]
async fn cleanup_run_twice_never_deletes_twice_nor_claims_success_blindly() {
    let (id, req, created) = aurora_deployed("twice", true).await;
    let blue = blue_ids(&created);
    let (_, end) = drive("cleanup", &req, Value::Null, &id, &blue).await;
    assert_eq!(end.unwrap()["state"], "done");
    let before = inventory(&id).await;
    // Run again while the deployment reads DELETING: waits, re-checks old blue by id, deletes nothing.
    let (answers, again) = drive("cleanup", &req, Value::Null, &id, &blue).await;
    assert_eq!(again.unwrap()["state"], "done");
    assert!(
        answers.iter().all(|a| a["deleted"] == json!([])),
        "{answers:#?}"
    );
    let after = inventory(&id).await;
    assert!(
        before
            .removed_in(&after)
            .iter()
            .all(|r| r.starts_with("deployment") || r.starts_with("tag")),
        "only the deployment object finished going"
    );
    // And once it is gone: nothing to act on, never a success.
    let result = fresh("cleanup", &req).await;
    assert_refused(result, "NotFound", &[], &id, &after).await;
}

#[tokio::test]
async fn a_rerun_while_the_deployment_is_deleting_waits() {
    let (id, req, created) = aurora_deployed("rerun", true).await;
    let (_, end) = drive("cleanup", &req, Value::Null, &id, &blue_ids(&created)).await;
    let end = end.unwrap();
    assert_eq!(end["deleted"], json!([deployment_id(&created)]), "{end}");
    // The deployment now reads DELETING: a second execution waits instead of refusing...
    let before = inventory(&id).await;
    assert!(
        before.has(&format!("deployment {} DELETING", deployment_id(&created))),
        "{before:#?}"
    );
    let second = fresh("cleanup", &req).await.unwrap();
    assert_eq!(
        (second["state"].as_str(), second["step"].as_str()),
        (Some("in-progress"), Some("delete-deployment")),
        "{second}"
    );
    assert_eq!(second["deleted"], json!([]));
    assert_eq!(
        inventory(&id).await.removed_in(&before).len(),
        0,
        "nothing new deleted"
    );
    // ...and, called again with what it remembered, finds the deployment gone and old blue
    // gone by id: done, with nothing deleted twice.
    let end = step("cleanup", &req, &second["deployment"], &second["attempt"])
        .await
        .unwrap();
    assert_eq!(
        (end["state"].as_str(), &end["deleted"]),
        (Some("done"), &json!([])),
        "{end}"
    );
    assert_eq!(inventory(&id).await.count("deployment "), 0);
}

/// Every deletion call cleanup or abandon could make fails while these faults stand: a step
/// that answers meanwhile made none (each fault stays registered until used).
async fn forbid_deletions(id: &str) {
    for action in [
        "DeleteDBInstance",
        "DeleteDBCluster",
        "DeleteBlueGreenDeployment",
    ] {
        moto()
            .inject(id, Fault::fail(action, "NoDeletionExpected", 1))
            .await;
    }
}

/// Whether the faults `forbid_deletions` put are all still unused.
async fn no_deletion_was_made(id: &str) -> bool {
    let left = moto().faults(id).await;
    left.iter()
        .filter(
            |f| matches!(&f.fault, Fault::FailAction { code, .. } if code == "NoDeletionExpected"),
        )
        .count()
        == 3
}

/// Calls the step (keeping the first located deployment, as the state machine does) until an
/// answer satisfies `until`; at most 8 calls.
async fn call_until(
    op: &str,
    req: &Value,
    state: &mut (Value, Value),
    until: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..8 {
        let a = step(op, req, &state.0, &state.1).await.unwrap();
        if state.0.is_null() {
            state.0 = a["deployment"].clone();
        }
        state.1 = a["attempt"].clone();
        if until(&a) {
            return a;
        }
    }
    panic!("{op}: no answer as expected in 8 calls");
}

/// DeleteDBInstance and DeleteDBCluster answer at once; the resources read `deleting` for
/// minutes (API_DeleteDBInstance, API_DeleteDBCluster; the emulator holds them with the
/// `hold-deletion` fault). Cleanup called meanwhile re-reads old blue by id, waits for the
/// RDS events of what is being deleted, calls no delete again, and says `done` only once
/// every id of old blue is gone.
#[tokio::test]
async fn a_rerun_while_old_blue_is_deleting_deletes_nothing_again_and_is_done_only_once_it_is_gone()
{
    let (id, req, created) = aurora_deployed("deleting", true).await;
    let old = format!("{id}-old1");
    moto().inject(&id, Fault::HoldDeletion).await;
    let mut state = (Value::Null, json!(0));
    let asked = call_until("cleanup", &req, &mut state, |a| {
        a["step"] == "delete-instances" && a["deleted"] != json!([])
    })
    .await;
    let members: Vec<&str> = asked["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(members.len(), 2, "{asked}");

    let rerun = |expected_step: &'static str, going: Vec<String>| {
        let (req, state) = (req.clone(), state.clone());
        let id = id.clone();
        async move {
            forbid_deletions(&id).await;
            for _ in 0..2 {
                let a = step("cleanup", &req, &state.0, &state.1)
                    .await
                    .expect("no delete call was made (it would have failed)");
                assert_eq!(
                    (a["state"].as_str(), a["step"].as_str()),
                    (Some("in-progress"), Some(expected_step)),
                    "{a}"
                );
                assert_eq!(a["deleted"], json!([]), "{a}");
                for name in &going {
                    assert!(a["detail"].as_str().unwrap().contains(name.as_str()), "{a}");
                    assert!(
                        a["awaits"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|arn| arn.as_str().unwrap().ends_with(&format!(":{name}"))),
                        "waits for the RDS event of {name}: {a}"
                    );
                }
                assert_eq!(a["nextWaitSeconds"], 600, "its fallback read only: {a}");
            }
            assert!(no_deletion_was_made(&id).await);
            moto().clear_faults(&id).await;
        }
    };
    rerun(
        "delete-instances",
        members.iter().map(|m| (*m).to_owned()).collect(),
    )
    .await;
    for member in &members {
        let read = instance_status(member).await;
        assert!(read.is_none(), "{member} gone once released: {read:?}");
    }

    // The instances are gone: the cluster is deleted, and held too (before the call: any
    // request to the shared server may end a deletion that is due).
    moto().inject(&id, Fault::HoldDeletion).await;
    let asked = step("cleanup", &req, &state.0, &state.1).await.unwrap();
    assert_eq!(
        (asked["step"].as_str(), &asked["deleted"]),
        (Some("delete-cluster"), &json!([old])),
        "{asked}"
    );
    assert_eq!(cluster_status(&old).await.as_deref(), Some("deleting"));
    rerun("delete-cluster", vec![old.clone()]).await;

    // Released: gone, and only now done (the deployment object goes last).
    let (_, end) = drive("cleanup", &req, state.0.clone(), &id, &blue_ids(&created)).await;
    let end = end.unwrap();
    assert_eq!(end["deleted"], json!([deployment_id(&created)]), "{end}");
    assert!(cluster_status(&old).await.is_none());
}

/// Abandon deletes green with its deployment (DeleteTarget); the deployment can be gone while
/// green still reads `deleting`: abandon then waits (on its polling ladder: its wait does not
/// listen) and says `done` only once green is gone by its ids.
#[tokio::test]
async fn abandon_waits_while_green_is_being_deleted_after_the_deployment_is_gone() {
    let (id, req, created) = aurora_deployed("abandonhold", false).await;
    moto().inject(&id, Fault::HoldDeletion).await;
    let mut state = (Value::Null, json!(0));
    let waiting = call_until("abandon", &req, &mut state, |a| {
        a["detail"].as_str().unwrap().starts_with("being deleted:")
    })
    .await;
    assert_eq!(
        (waiting["state"].as_str(), waiting["step"].as_str()),
        (Some("in-progress"), Some("delete-green")),
        "{waiting}"
    );
    assert_eq!(waiting["awaits"], json!([]), "{waiting}");
    assert!(
        waiting["nextWaitSeconds"].as_u64().unwrap() < 600,
        "the ladder's wait: {waiting}"
    );
    assert_eq!(
        inventory(&id).await.count("deployment "),
        0,
        "the deployment is gone"
    );
    let again = step("abandon", &req, &state.0, &state.1).await.unwrap();
    assert_eq!(again["state"], "in-progress", "{again}");
    assert_eq!(again["deleted"], json!([]));

    moto().clear_faults(&id).await;
    let green_ids = side_ids(&created, "green");
    let (_, end) = drive("abandon", &req, state.0.clone(), &id, &green_ids).await;
    assert_eq!(end.unwrap()["state"], "done");
    let after = inventory(&id).await;
    assert_eq!(
        (after.count("cluster "), after.count("instance ")),
        (1, 2),
        "blue untouched, green gone"
    );
}

async fn instance_status(name: &str) -> Option<String> {
    bluegreen::aws::database::describe_instance(&moto().rds(), name)
        .await
        .unwrap()
        .and_then(|i| i.db_instance_status)
}

async fn cluster_status(name: &str) -> Option<String> {
    bluegreen::aws::database::describe_cluster(&moto().rds(), name)
        .await
        .unwrap()
        .and_then(|c| c.status)
}

#[tokio::test]
async fn two_cleanups_racing_delete_each_resource_once() {
    let (id, req, created) = aurora_deployed("race", true).await;
    let before = inventory(&id).await;
    let blue = blue_ids(&created);
    let (a, b) = tokio::join!(
        drive("cleanup", &req, Value::Null, &id, &blue),
        drive("cleanup", &req, Value::Null, &id, &blue)
    );
    let deleted: Vec<String> =
        a.0.iter()
            .chain(b.0.iter())
            .flat_map(|x| {
                x["deleted"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap().to_owned())
            })
            .collect();
    let unique_deleted: BTreeSet<&String> = deleted.iter().collect();
    assert!(
        unique_deleted.len() == deleted.len()
            || deleted.iter().filter(|d| d.starts_with("bgd-")).count() == 2,
        "each database deleted once: {deleted:?}"
    );
    for r in [&a.1, &b.1] {
        if let Err(e) = r {
            assert!(
                ["NotFound", "Retryable"].contains(&e.name()),
                "a racing run fails only harmlessly: {e}"
            );
        }
    }
    assert!(a.1.is_ok() || b.1.is_ok(), "one run finished");
    let after = inventory(&id).await;
    let removed = before.removed_in(&after);
    assert!(
        removed
            .iter()
            .all(|r| r.contains("-old1") || r.starts_with("deployment") || r.starts_with("tag")),
        "{removed:#?}"
    );
    assert_eq!(after.count("instance "), 2, "production intact");
    assert_eq!(after.count("snapshot "), 1, "one final snapshot");
}

#[tokio::test]
async fn a_transient_delete_failure_is_retryable_and_the_rerun_finishes() {
    let (id, req, _) = aurora_deployed("guardretry", true).await;
    moto()
        .inject(
            &id,
            Fault::fail("DeleteDBCluster", "InvalidDBClusterStateFault", 1),
        )
        .await;
    let (mut deployment, mut attempt, mut failures) = (Value::Null, json!(0), 0);
    for _ in 0..15 {
        match step("cleanup", &req, &deployment, &attempt).await {
            Ok(a) if a["state"] == "done" => break,
            Ok(a) => {
                deployment = a["deployment"].clone();
                attempt = a["attempt"].clone();
            }
            Err(e) => {
                assert_eq!(e.name(), "Retryable", "{e}");
                failures += 1;
            }
        }
    }
    assert_eq!(failures, 1);
    let after = inventory(&id).await;
    assert_eq!(
        (
            after.count("cluster "),
            after.count("instance "),
            after.live_deployments()
        ),
        (1, 2, 0)
    );
}

// ---- abandon ------------------------------------------------------------------------------

#[tokio::test]
async fn abandon_before_switchover_removes_green_only() {
    let (id, req, created) = aurora_deployed("abandon", false).await;
    let before = inventory(&id).await;
    assert_eq!(
        (
            before.count("cluster "),
            before.count("instance "),
            before.count("deployment ")
        ),
        (2, 4, 1)
    );
    let green_ids = side_ids(&created, "green");
    let (_, end) = drive("abandon", &req, Value::Null, &id, &green_ids).await;
    assert_eq!(end.unwrap()["state"], "done");
    let after = inventory(&id).await;
    assert!(
        before
            .removed_in(&after)
            .iter()
            .all(|r| r.contains("-green-") || r.starts_with("deployment") || r.starts_with("tag")),
        "only green went"
    );
    assert_eq!(
        (
            after.count("cluster "),
            after.count("instance "),
            after.live_deployments()
        ),
        (1, 2, 0),
        "blue untouched"
    );
}

#[tokio::test]
async fn abandon_after_switchover_is_refused() {
    let (id, req, _) = aurora_deployed("guardab", true).await;
    refused_unchanged(
        "abandon",
        &req,
        "UnsafeToDelete",
        &["SWITCHOVER_COMPLETED", "certainly not production"],
        &id,
    )
    .await;
}

#[tokio::test]
async fn abandon_outside_the_allow_list_of_statuses_is_refused() {
    let (id, req, _) = aurora_deployed("abfail", false).await;
    moto()
        .inject(&id, Fault::SwitchoverFailed { details: None })
        .await;
    let a = serde_json::to_value(
        switchover::handle(
            json!({"operation": "switchover", "request": req}),
            &moto().factory(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(a["action"], "switchover-requested");
    let before = inventory(&id).await;
    assert!(
        before.0.iter().any(|r| r.contains("SWITCHOVER_FAILED")),
        "{before:#?}"
    );
    let result = fresh("abandon", &req).await;
    assert_refused(
        result,
        "UnsafeToDelete",
        &[
            "SWITCHOVER_FAILED",
            "PROVISIONING, AVAILABLE, INVALID_CONFIGURATION",
        ],
        &id,
        &before,
    )
    .await;
}

#[tokio::test]
async fn abandon_with_deletion_protection_on_green_is_refused_naming_green() {
    let (id, req, created) = aurora_deployed("abprot", false).await;
    let green = created["identity"]["green"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let green_name = inventory(&id)
        .await
        .0
        .iter()
        .find(|r| r.contains(&green))
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_owned();
    moto()
        .rds()
        .modify_db_cluster()
        .db_cluster_identifier(&green_name)
        .deletion_protection(true)
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "abandon",
        &req,
        "UnsafeToDelete",
        &[&green_name, "deletion protection", "run abandon again"],
        &id,
    )
    .await;
}

#[tokio::test]
async fn the_emulator_refuses_delete_target_on_a_protected_green_as_aws_does() {
    // AWS: "If you choose to delete the DB cluster in the green environment (--delete-target),
    // it must have deletion protection turned off" (blue-green-deployments-deleting.html).
    let (id, _, created) = aurora_deployed("emuprot", false).await;
    let green = created["targetArn"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let rds = moto().rds();
    rds.modify_db_cluster()
        .db_cluster_identifier(&green)
        .deletion_protection(true)
        .send()
        .await
        .unwrap();
    let before = inventory(&id).await;
    let err = rds
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(deployment_id(&created))
        .delete_target(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_rds::error::ProvideErrorMetadata::code(&err),
        Some("InvalidParameterCombination")
    );
    assert_eq!(inventory(&id).await, before);
}

#[tokio::test]
async fn abandon_with_an_rds_instance_engine_for_an_aurora_cluster_is_refused() {
    let (id, _, _) = aurora_deployed("abkind", false).await;
    let before = inventory(&id).await;
    let result = fresh("abandon", &request(&id, "postgres", json!({}), json!({}))).await;
    assert_refused(result, "InvalidInput", &["target.engine"], &id, &before).await;
}

// ---- not delete-old, but kept here with its set-up ------------------------------------------

#[tokio::test]
async fn switchover_waits_for_a_green_member_in_storage_optimization() {
    let (id, req, _) = aurora_deployed("gate", false).await;
    moto()
        .inject(&id, Fault::green_status("storage-optimization", 1))
        .await;
    let first = serde_json::to_value(
        switchover::handle(
            json!({"operation": "switchover", "request": req}),
            &moto().factory(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(first["action"], "waiting-for-green", "{first:#}");
    assert!(first["detail"]
        .as_str()
        .unwrap()
        .contains("storage-optimization"));
    assert!(
        !inventory(&id).await.has(&format!("cluster {id}-old1")),
        "not switched yet"
    );
    let second = serde_json::to_value(switchover::handle(json!({"operation": "switchover", "request": req, "poll": {"attempt": first["attempt"]}}), &moto().factory()).await.unwrap()).unwrap();
    assert_eq!(second["action"], "switchover-requested");
}

/// Removes the identity tags `create` recorded on the deployment (as if someone did by hand).
async fn strip_identity_tags(created: &Value) {
    let arn = format!(
        "arn:aws:rds:{REGION}:{}:deployment:{}",
        e2e::moto::ACCOUNT,
        deployment_id(created)
    );
    let rds = moto().rds();
    let keys: Vec<String> = rds
        .list_tags_for_resource()
        .resource_name(&arn)
        .send()
        .await
        .unwrap()
        .tag_list()
        .iter()
        .filter_map(|t| t.key().map(str::to_owned))
        .filter(|k| k.starts_with("bluegreen:"))
        .collect();
    assert!(
        keys.len() >= 3,
        "create recorded the identity as tags: {keys:?}"
    );
    rds.remove_tags_from_resource()
        .resource_name(&arn)
        .set_tag_keys(Some(keys))
        .send()
        .await
        .unwrap();
}

/// Abandon deletes green only when it can tell green by its recorded resource ids.
#[tokio::test]
async fn abandon_of_a_deployment_without_recorded_identity_is_refused() {
    let (id, req, created) = aurora_deployed("abnotags", false).await;
    strip_identity_tags(&created).await;
    refused_unchanged(
        "abandon",
        &req,
        "UnsafeToDelete",
        &[
            "no record of blue's and green's resource ids",
            "nothing deleted",
        ],
        &id,
    )
    .await;
}

/// The deployment's `bluegreen:blue` tag edited to point at a newcomer that took old blue's
/// name: the newcomer passes the id and name checks, but it was created after the
/// deployment, and blue cannot have been. Refused, nothing deleted.
#[tokio::test]
async fn a_newcomer_named_by_edited_tags_is_refused_by_its_creation_time() {
    let (id, req, created) = aurora_deployed("tamper", true).await;
    let old = format!("{id}-old1");
    let rds = moto().rds();
    rds.modify_db_cluster()
        .db_cluster_identifier(&old)
        .new_db_cluster_identifier(format!("{id}-kept"))
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    // Creation times have one-second resolution: the newcomer is surely later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let newcomer = rds
        .create_db_cluster()
        .db_cluster_identifier(&old)
        .engine("aurora-mysql")
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .unwrap()
        .db_cluster()
        .and_then(|c| c.db_cluster_resource_id())
        .unwrap()
        .to_owned();
    let arn = format!(
        "arn:aws:rds:{REGION}:{}:deployment:{}",
        e2e::moto::ACCOUNT,
        deployment_id(&created)
    );
    rds.add_tags_to_resource()
        .resource_name(&arn)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("bluegreen:blue")
                .value(&newcomer)
                .build(),
        )
        .send()
        .await
        .unwrap();
    refused_unchanged(
        "cleanup",
        &req,
        "UnsafeToDelete",
        &[&newcomer, "was created after deployment", "nothing deleted"],
        &id,
    )
    .await;
}
