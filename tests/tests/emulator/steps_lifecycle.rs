//! The create, poll-status, switchover and delete-old handlers, called as Lambda calls them,
//! against moto over HTTP: the whole life of a deployment for an Aurora cluster and an RDS
//! instance, and what a second run of each step does (nothing twice).

use bluegreen::aws::deployment::DeploymentStatus;
use bluegreen::steps::{create, delete_old, poll_status, switchover};
use e2e::moto::{moto, unique};
use e2e::seed;
use serde_json::{json, Value};

fn request(identifier: &str, engine: &str, version: &str, extra: Value) -> Value {
    let mut options = json!({"targetEngineVersion": version, "gracePeriodSeconds": 0});
    options
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    json!({"target": {"accountId": e2e::moto::ACCOUNT, "region": e2e::moto::REGION, "identifier": identifier, "engine": engine}, "options": options})
}

/// Calls a waiting step until it answers done (bounded), returning every answer.
async fn until_done<F, Fut>(mut call: F) -> Vec<Value>
where
    F: FnMut(Value) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let mut answers = Vec::new();
    let mut poll = json!({"attempt": 0});
    for _ in 0..20 {
        let answer = call(poll.clone()).await;
        poll = json!({"attempt": answer["attempt"]});
        let done = answer["state"] == "done";
        answers.push(answer);
        if done {
            return answers;
        }
    }
    panic!("never done: {answers:#?}");
}

/// `verify`, retried on `NotReady` as the state machine does (moto reports a renamed cluster
/// as `creating` on its first read).
async fn verify(req: &Value, deployment: Option<&Value>) -> Value {
    let mut event = json!({"operation": "verify", "request": req});
    if let Some(d) = deployment {
        event["deployment"] = d.clone();
    }
    for _ in 0..3 {
        match poll_status::handle(event.clone(), &moto().factory()).await {
            Ok(answer) => return serde_json::to_value(answer).unwrap(),
            Err(e) if e.name() == "NotReady" => continue,
            Err(e) => panic!("verify failed: {e}"),
        }
    }
    panic!("production never settled");
}

async fn instance_names(prefix: &str) -> Vec<String> {
    // Every page: the server holds every emulator test's instances.
    let all: Vec<_> = moto()
        .rds()
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    let mut names: Vec<String> = all
        .iter()
        .filter_map(|i| i.db_instance_identifier())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn aurora_mysql_cluster_from_create_to_cleanup() {
    let moto = moto();
    let factory = moto.factory();
    let id = unique("lifeaur");
    seed::aurora_mysql(moto, &id, 1).await;
    let req = request(&id, "aurora-mysql", "8.0.mysql_aurora.3.08.0", json!({}));

    // create, then a retry of create: the same deployment, adopted, not a second one.
    let created = serde_json::to_value(
        create::handle(json!({"request": req}), &factory)
            .await
            .unwrap(),
    )
    .unwrap();
    let again = serde_json::to_value(
        create::handle(json!({"request": req}), &factory)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(again["id"], created["id"]);
    assert_eq!(again["adopted"], true);
    // With the resource ids create recorded, as "Create green" keeps them in the state.
    let deployment = json!({"id": created["id"], "name": created["name"], "sourceArn": created["sourceArn"], "identity": created["identity"]});

    let status = serde_json::to_value(
        poll_status::handle(json!({"request": req, "deployment": deployment}), &factory)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(status["phase"], "ready", "{status:#}");

    let snaps = until_done(|poll| {
        let f = factory.clone();
        let e = json!({"operation": "snapshot-blue", "request": req, "deployment": deployment, "poll": poll});
        async move { serde_json::to_value(switchover::handle(e, &f).await.unwrap()).unwrap() }
    })
    .await;
    let snapshot_id = snaps.last().unwrap()["snapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let snap = moto
        .rds()
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(&snapshot_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        snap.db_cluster_snapshots()[0].db_cluster_identifier(),
        Some(id.as_str()),
        "the snapshot is of blue"
    );

    let switched = serde_json::to_value(
        switchover::handle(
            json!({"operation": "switchover", "request": req, "deployment": deployment}),
            &factory,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(switched["action"], "switchover-requested");
    // A retry after the call: no second switchover.
    let again = serde_json::to_value(
        switchover::handle(
            json!({"operation": "switchover", "request": req, "deployment": deployment}),
            &factory,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(again["action"], "already-switched");

    let verified = verify(&req, Some(&deployment)).await;
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["production"]["identifier"], id.as_str());
    assert_eq!(
        verified["production"]["engineVersion"],
        "8.0.mysql_aurora.3.08.0"
    );
    assert_eq!(verified["oldBlue"]["identifier"], format!("{id}-old1"));
    let timing = &verified["switchover"];
    assert!(
        timing["durationSeconds"].as_f64().unwrap() >= 0.0,
        "duration from the RDS events: {verified:#}"
    );
    assert!(timing["startedAt"].as_str().unwrap() <= timing["completedAt"].as_str().unwrap());
    assert_eq!(
        instance_names(&id).await,
        [
            format!("{id}-0"),
            format!("{id}-0-old1"),
            format!("{id}-1"),
            format!("{id}-1-old1")
        ],
        "green's instances took the production names and old blue's carry -old1"
    );

    let steps = until_done(|poll| {
        let f = factory.clone();
        let e =
            json!({"operation": "cleanup", "request": req, "deployment": deployment, "poll": poll});
        async move { serde_json::to_value(delete_old::handle(e, &f).await.unwrap()).unwrap() }
    })
    .await;
    let order: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    // The final snapshot takes time (moto_patches/snapshots.py): cleanup waits for it first.
    assert_eq!(
        order[..2],
        ["final-snapshot", "delete-instances"],
        "{order:?}"
    );
    assert!(order.contains(&"delete-cluster"));
    assert_eq!(order.last(), Some(&"complete"));
    assert_eq!(
        steps.last().unwrap()["finalSnapshotId"],
        steps[0]["finalSnapshotId"],
        "the last answer names the final snapshot too"
    );
    let final_snapshot = steps[0]["finalSnapshotId"].as_str().unwrap().to_owned();
    assert!(
        moto.rds()
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(&final_snapshot)
            .send()
            .await
            .is_ok(),
        "final snapshot kept"
    );

    // Old blue is gone; production is intact; the deployment object is gone.
    assert!(
        bluegreen::aws::database::describe_cluster(&moto.rds(), &format!("{id}-old1"))
            .await
            .unwrap()
            .is_none()
    );
    let production = bluegreen::aws::database::describe_cluster(&moto.rds(), &id)
        .await
        .unwrap()
        .expect("production remains");
    assert_eq!(production.engine_version(), Some("8.0.mysql_aurora.3.08.0"));
    assert_eq!(
        instance_names(&id).await,
        [format!("{id}-0"), format!("{id}-1")],
        "production's two instances remain"
    );
    // Deletion is not instant (moto_patches/delete_target.py): DELETING, then gone.
    assert!(
        bluegreen::aws::deployment::describe(&moto.rds(), created["id"].as_str().unwrap())
            .await
            .unwrap()
            .is_none_or(|d| d.status == DeploymentStatus::Deleting)
    );

    // Cleanup again (a redrive): nothing to do, nothing deleted.
    let again = serde_json::to_value(
        delete_old::handle(
            json!({"operation": "cleanup", "request": req, "deployment": deployment}),
            &factory,
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(again["state"], "done");
    assert_eq!(again["deleted"], json!([]));
}

#[tokio::test]
async fn rds_postgres_instance_from_create_to_cleanup_without_naming_the_deployment() {
    let moto = moto();
    let factory = moto.factory();
    let id = unique("lifepg");
    seed::rds_instance(moto, &id, "postgres", "15.6").await;
    let req = request(
        &id,
        "postgres",
        "16.4",
        json!({"targetDbInstanceClass": "db.m7g.large", "targetStorageType": "gp3"}),
    );

    create::handle(json!({"request": req}), &factory)
        .await
        .unwrap();
    // The later steps find the deployment from the database alone (the resume actions).
    let status = serde_json::to_value(
        poll_status::handle(json!({"request": req}), &factory)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(status["phase"], "ready");
    let green = moto
        .rds()
        .describe_db_instances()
        .db_instance_identifier(bluegreen::aws::arn::name_of(
            status["deployment"]["targetArn"].as_str().unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        green.db_instances()[0].db_instance_class(),
        Some("db.m7g.large"),
        "instance options reach green"
    );

    let switched = serde_json::to_value(
        switchover::handle(json!({"operation": "switchover", "request": req}), &factory)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(switched["action"], "switchover-requested");
    let verified = verify(&req, None).await;
    assert_eq!(verified["production"]["engineVersion"], "16.4");

    let steps = until_done(|poll| {
        let f = factory.clone();
        let e = json!({"operation": "cleanup", "request": req, "poll": poll});
        async move { serde_json::to_value(delete_old::handle(e, &f).await.unwrap()).unwrap() }
    })
    .await;
    let order: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        ["final-snapshot", "delete-instance", "complete"],
        "{steps:#?}"
    );
    let final_snapshot = steps[0]["finalSnapshotId"].as_str().unwrap();
    assert!(moto
        .rds()
        .describe_db_snapshots()
        .db_snapshot_identifier(final_snapshot)
        .send()
        .await
        .is_ok());
    assert_eq!(
        instance_names(&id).await,
        std::slice::from_ref(&id),
        "only production remains"
    );
}

#[tokio::test]
async fn a_deployment_name_taken_by_another_database_is_a_conflict() {
    let moto = moto();
    let factory = moto.factory();
    let (a, b) = (unique("confa"), unique("confb"));
    seed::rds_instance(moto, &a, "mysql", "8.0.36").await;
    seed::rds_instance(moto, &b, "mysql", "8.0.36").await;
    let name = unique("shared-name");
    create::handle(
        json!({"request": request(&a, "mysql", "8.0.40", json!({"deploymentName": name}))}),
        &factory,
    )
    .await
    .unwrap();
    let err = create::handle(
        json!({"request": request(&b, "mysql", "8.0.40", json!({"deploymentName": name}))}),
        &factory,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "DeploymentConflict", "{err}");
    let deployments = bluegreen::aws::deployment::list(&moto.rds()).await.unwrap();
    assert_eq!(deployments.iter().filter(|d| d.name == name).count(), 1);
}

#[tokio::test]
async fn a_missing_database_is_not_found_and_nothing_is_created() {
    let moto = moto();
    let id = unique("ghost");
    let err = create::handle(
        json!({"request": request(&id, "aurora-postgresql", "16.4", json!({}))}),
        &moto.factory(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "NotFound");
    assert!(err.to_string().contains(&id));
}

/// What AWS refuses at CreateBlueGreenDeployment (tests/tools/moto_patches/create_refusals.py:
/// API_CreateBlueGreenDeployment's source-not-supported faults) is a product error with AWS's
/// code, AWS's message and a fix, and nothing is created. The precheck blocks the first two
/// before create (rules existing-deployment and binlog-format); these are the step's own
/// answers when something changed between precheck and create.
#[tokio::test]
async fn create_refusals_are_product_errors_with_aws_code_and_a_fix() {
    let moto = moto();
    let factory = moto.factory();
    let rds = moto.rds();
    let deployments_of = |id: String| async move {
        bluegreen::aws::deployment::list(&moto.rds())
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.source_name() == id)
            .count()
    };

    // A source that already has a deployment (made by someone else, under another name).
    let taken = unique("refdup");
    seed::aurora_mysql(moto, &taken, 0).await;
    let arn = rds
        .describe_db_clusters()
        .db_cluster_identifier(&taken)
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .db_cluster_arn()
        .unwrap()
        .to_owned();
    rds.create_blue_green_deployment()
        .blue_green_deployment_name(format!("{taken}-theirs"))
        .source(&arn)
        .send()
        .await
        .unwrap();

    // Aurora MySQL with binary logging turned off in its cluster parameter group.
    let binlog_off = unique("refbinlog");
    seed::aurora_mysql(moto, &binlog_off, 0).await;
    rds.modify_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(format!("{binlog_off}-cpg"))
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("binlog_format")
                .parameter_value("OFF")
                .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();

    for (id, code, words, before) in [
        (
            &taken,
            "SourceClusterNotSupportedFault",
            // AWS publishes no text for this refusal: the code and the product's fix only.
            [
                "another Blue/Green deployment already uses the source",
                "SourceClusterNotSupportedFault",
            ],
            1,
        ),
        (
            &binlog_off,
            "SourceClusterNotSupportedFault",
            [
                "requires cluster parameter group has binlog enabled",
                "set binlog_format to ROW",
            ],
            0,
        ),
    ] {
        let err = create::handle(
            json!({"request": request(id, "aurora-mysql", "8.0.mysql_aurora.3.08.0", json!({}))}),
            &factory,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "AwsCallFailed", "{err}");
        let text = err.to_string();
        for word in [code, "Fix: "].iter().chain(words.iter()) {
            assert!(text.contains(word), "`{word}` missing: {text}");
        }
        assert_eq!(
            deployments_of(id.clone()).await,
            before,
            "nothing created for {id}"
        );
    }
}

/// PostgreSQL refusals AWS documents ("PostgreSQL replication methods for blue/green
/// deployments"; AWS Knowledge Center "rds-postgresql-blue-green-deployment-error"): logical
/// replication off where Blue/Green replicates logically, and a major upgrade from a source too
/// old for logical replication. A minor upgrade (physical replication) needs neither.
#[tokio::test]
async fn postgres_refusals_are_product_errors_with_aws_text_and_a_fix() {
    let moto = moto();
    let factory = moto.factory();
    let logical_off = unique("reflogical");
    seed::rds_instance(moto, &logical_off, "postgres", "15.10").await;
    moto.rds()
        .modify_db_parameter_group()
        .db_parameter_group_name(format!("{logical_off}-pg"))
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("rds.logical_replication")
                .parameter_value("0")
                .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let too_old = unique("refoldpg");
    seed::rds_instance(moto, &too_old, "postgres", "14.8").await;
    for (id, words) in [
        (
            &logical_off,
            [
                "Blue/Green Deployments require a DB instance with logical replication enabled",
                "set rds.logical_replication to 1",
            ],
        ),
        (
            &too_old,
            ["14.8 and lower", "upgrade its minor version first"],
        ),
    ] {
        let err = create::handle(
            json!({"request": request(id, "postgres", "16.4", json!({}))}),
            &factory,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "AwsCallFailed", "{err}");
        let text = err.to_string();
        for word in ["SourceDatabaseNotSupportedFault", "Fix: "]
            .iter()
            .chain(words.iter())
        {
            assert!(text.contains(word), "`{word}` missing: {text}");
        }
    }
    create::handle(
        json!({"request": request(&logical_off, "postgres", "15.12", json!({}))}),
        &factory,
    )
    .await
    .expect("a minor upgrade replicates physically: no logical replication needed");
}

/// Green's creation failing after create returned (RDS-EVENT-0245, the deployment
/// INVALID_CONFIGURATION, USER_Events.Messages and API_BlueGreenDeployment): poll-status says
/// so with AWS's reason and the fix, whatever the status alone would say.
#[tokio::test]
async fn a_creation_that_fails_after_create_returned_is_told_with_aws_reason() {
    let moto = moto();
    let id = unique("creafail");
    seed::rds_instance(moto, &id, "postgres", "15.10").await;
    let reason =
        "incompatible parameter(s): max_replication_slots, and max_logical_replication_workers";
    moto.inject(
        &id,
        e2e::faults::Fault::CreationFailed {
            reason: reason.into(),
        },
    )
    .await;
    let req = request(&id, "postgres", "15.12", json!({}));
    let created = serde_json::to_value(
        create::handle(json!({"request": req}), &moto.factory())
            .await
            .unwrap(),
    )
    .unwrap();
    let err = poll_status::handle(
        json!({"request": req, "deployment": created, "operation": "status"}),
        &moto.factory(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "DeploymentFailed", "{err}");
    let text = err.to_string();
    for word in [reason, "RDS-EVENT-0245", "INVALID_CONFIGURATION", "abandon"] {
        assert!(text.contains(word), "`{word}` missing: {text}");
    }
}

/// "Lazy loading and storage initialization" (RDS User Guide): an RDS green initializes its
/// storage after it is built (RDS-EVENT-0405, then 0406); poll-status waits for it: green is
/// not ready while the volumes initialize. On the plain server both events are due at once,
/// so the last answer is ready and the events are there, in order.
#[tokio::test]
async fn storage_initialization_events_are_recorded_for_an_rds_green() {
    let moto = moto();
    let id = unique("storinit");
    seed::rds_instance(moto, &id, "mysql", "8.0.36").await;
    let req = request(&id, "mysql", "8.0.40", json!({}));
    let created = serde_json::to_value(
        create::handle(json!({"request": req}), &moto.factory())
            .await
            .unwrap(),
    )
    .unwrap();
    let answers = until_done(|poll| {
        let event = json!({"request": req, "deployment": created, "operation": "status", "poll": poll});
        async move {
            let a = serde_json::to_value(poll_status::handle(event, &moto.factory()).await.unwrap())
                .unwrap();
            let ready = a["phase"] == "ready";
            json!({"state": if ready { "done" } else { "in-progress" }, "attempt": a["attempt"], "answer": a})
        }
    })
    .await;
    assert_eq!(answers.last().unwrap()["answer"]["phase"], "ready");
    let bg = created["id"].as_str().unwrap();
    let messages: Vec<String> = moto
        .rds()
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
        .source_identifier(bg)
        .duration(60)
        .send()
        .await
        .unwrap()
        .events()
        .iter()
        .filter_map(|e| e.message().map(str::to_owned))
        .collect();
    let at = |m: &str| messages.iter().position(|x| x == m);
    let (started, done) = (
        at("Your storage volumes are being initialized."),
        at("Your storage volumes have been initialized."),
    );
    assert!(started.is_some() && started < done, "{messages:?}");
}
