//! Deletions take time, as on AWS (tests/tools/moto_patches/deletions.py): DeleteDBInstance and
//! DeleteDBCluster answer with the resource `deleting` (API_DeleteDBInstance,
//! API_DeleteDBCluster; `deleting`, "The DB instance is being deleted", RDS User Guide "Viewing
//! Amazon RDS DB instance status"), a second deletion meanwhile is refused
//! (InvalidDBInstanceState / InvalidDBClusterStateFault), a cluster goes only once its instances
//! are being deleted and after them (Aurora User Guide "Deleting Aurora DB clusters and DB
//! instances"), and RDS-EVENT-0003 / 0171 come when the resource is gone
//! (USER_Events.Messages). The `hold-deletion` fault keeps a deletion under way until the
//! test clears it, so nothing here races the clock.

use crate::harness_support::*;
use aws_sdk_rds::operation::delete_db_instance::builders::DeleteDBInstanceFluentBuilder;
use aws_sdk_rds::types::SourceType;
use e2e::faults::Fault;
use e2e::moto::{moto, unique};
use e2e::seed;

/// The messages of the RDS events about `name` of `source_type`, oldest first, with the ARN
/// each names.
async fn events(source_type: SourceType, name: &str) -> Vec<(String, String)> {
    let out = moto()
        .rds()
        .describe_events()
        .source_type(source_type)
        .source_identifier(name)
        .duration(60)
        .send()
        .await
        .expect("describe events");
    out.events()
        .iter()
        .map(|e| {
            (
                e.message().unwrap_or_default().to_owned(),
                e.source_arn().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// DeleteDBInstance of `name`, without a final snapshot.
fn delete_instance(name: &str) -> DeleteDBInstanceFluentBuilder {
    moto()
        .rds()
        .delete_db_instance()
        .db_instance_identifier(name)
        .skip_final_snapshot(true)
}

fn said(events: &[(String, String)], message: &str) -> bool {
    events.iter().any(|(m, _)| m == message)
}

#[tokio::test]
async fn a_deleted_instance_reads_deleting_refuses_a_second_delete_then_is_gone_with_rds_event_0003(
) {
    let (m, rds) = (moto(), moto().rds());
    let id = unique("delinst");
    seed::rds_instance(m, &id, "mysql", "8.0.35").await;
    let replica = format!("{id}-r0");
    rds.create_db_instance_read_replica()
        .db_instance_identifier(&replica)
        .source_db_instance_identifier(&id)
        .send()
        .await
        .unwrap();
    m.inject(&id, Fault::HoldDeletion).await;

    let answer = delete_instance(&replica).send().await.unwrap();
    let answered = answer.db_instance().expect("the instance in the answer");
    assert_eq!(answered.db_instance_status(), Some("deleting"));
    let arn = answered.db_instance_arn().unwrap().to_owned();
    // DescribeDBInstances keeps answering it, `deleting`, and its source still lists it.
    for _ in 0..2 {
        let read = instance(m, &replica)
            .await
            .expect("still there while deleting");
        assert_eq!(read.db_instance_status(), Some("deleting"));
    }
    let source = instance(m, &id).await.unwrap();
    assert!(
        source
            .read_replica_db_instance_identifiers()
            .contains(&replica),
        "{:?}",
        source.read_replica_db_instance_identifiers()
    );
    let again = delete_instance(&replica).send().await.unwrap_err();
    let refused = again.as_service_error().expect("a service error");
    assert!(refused.is_invalid_db_instance_state_fault(), "{refused:?}");
    assert_eq!(code(refused), "InvalidDBInstanceState");
    assert!(
        refused
            .meta()
            .message()
            .unwrap_or_default()
            .contains("is already being deleted"),
        "{refused:?}"
    );
    assert!(
        !said(
            &events(SourceType::DbInstance, &replica).await,
            "DB instance deleted."
        ),
        "no RDS-EVENT-0003 before it is gone"
    );

    m.clear_faults(&id).await;
    assert!(
        instance(m, &replica).await.is_none(),
        "gone once its time is over"
    );
    let source = instance(m, &id).await.unwrap();
    assert!(!source
        .read_replica_db_instance_identifiers()
        .contains(&replica));
    let deleted = events(SourceType::DbInstance, &replica).await;
    assert!(
        deleted
            .iter()
            .any(|(msg, source_arn)| msg == "DB instance deleted." && *source_arn == arn),
        "RDS-EVENT-0003 naming the instance's ARN: {deleted:?}"
    );
}

#[tokio::test]
async fn a_cluster_is_refused_while_an_instance_is_not_deleting_and_goes_after_its_instances() {
    let (m, rds) = (moto(), moto().rds());
    let id = unique("delclu");
    let members = seed::aurora_mysql(m, &id, 1).await;
    assert_eq!(members.len(), 2, "a writer and a reader: {members:?}");
    m.inject(&id, Fault::HoldDeletion).await;
    let delete_cluster = || {
        rds.delete_db_cluster()
            .db_cluster_identifier(&id)
            .skip_final_snapshot(true)
            .send()
    };

    // Every instance is first deleted (one still available is enough to refuse).
    for member in &members {
        let err = delete_cluster().await.unwrap_err();
        let refused = err.as_service_error().unwrap();
        assert!(refused.is_invalid_db_cluster_state_fault(), "{refused:?}");
        assert!(
            refused
                .meta()
                .message()
                .unwrap_or_default()
                .contains("non-deleting"),
            "{refused:?}"
        );
        rds.delete_db_instance()
            .db_instance_identifier(member)
            .send()
            .await
            .unwrap();
    }
    let answer = delete_cluster().await.unwrap();
    assert_eq!(answer.db_cluster().unwrap().status(), Some("deleting"));
    let again = delete_cluster().await.unwrap_err();
    assert!(
        again
            .as_service_error()
            .unwrap()
            .is_invalid_db_cluster_state_fault(),
        "{again:?}"
    );
    let read = cluster(m, &id).await.expect("still there while deleting");
    assert_eq!(read.status(), Some("deleting"));
    let listed: Vec<&str> = read
        .db_cluster_members()
        .iter()
        .filter_map(|member| member.db_instance_identifier())
        .collect();
    assert_eq!(
        listed.len(),
        2,
        "its deleting instances are still members: {listed:?}"
    );
    assert_eq!(cluster_instance_ids(m, &id).await.len(), 2);

    m.clear_faults(&id).await;
    assert!(cluster(m, &id).await.is_none());
    assert!(cluster_instance_ids(m, &id).await.is_empty());
    for member in &members {
        assert!(said(
            &events(SourceType::DbInstance, member).await,
            "DB instance deleted."
        ));
    }
    assert!(said(
        &events(SourceType::DbCluster, &id).await,
        "DB cluster deleted."
    ));
}

#[tokio::test]
async fn without_a_hold_a_deletion_is_over_at_the_next_request_of_a_plain_server() {
    // The plain server keeps moto's pace (no clock): a step-level test sees the deletion
    // answered `deleting`, then the resource gone at its next call.
    let m = moto();
    let id = unique("delnow");
    seed::rds_instance(m, &id, "mysql", "8.0.35").await;
    let answer = delete_instance(&id).send().await.unwrap();
    assert_eq!(
        answer.db_instance().unwrap().db_instance_status(),
        Some("deleting")
    );
    assert!(instance(m, &id).await.is_none());
    assert!(said(
        &events(SourceType::DbInstance, &id).await,
        "DB instance deleted."
    ));
}
