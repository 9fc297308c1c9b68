//! Replication topology Blue/Green cannot copy (the source as a replica, cross-Region and
//! cascading read replicas) and a deployment that already uses this database.

use super::rule::{Rule, LIMITATIONS_PAGE};
use super::{Context, Severity};
use crate::aws::arn;
use crate::aws::database::{describe_instance, Database};
use crate::aws::deployment::{self, DeploymentStatus};
use crate::error::Error;
use crate::resume;

pub const SOURCE_IS_REPLICA: Rule = Rule {
    id: "source-is-replica",
    severity: Severity::Block,
    checks: "the source is not itself a read replica (ReadReplicaSourceDBInstanceIdentifier / ReplicationSourceIdentifier)",
    fix: "run the upgrade on the primary database; its replicas are copied to green with it",
    source: LIMITATIONS_PAGE,
};

pub const CROSS_REGION_REPLICA: Rule = Rule {
    id: "cross-region-replica",
    severity: Severity::Block,
    checks: "the source has no cross-Region read replica (replica ARNs in another Region)",
    fix: "delete the cross-Region replica (or promote it), switch over, then recreate it from the new production",
    source: LIMITATIONS_PAGE,
};

pub const CASCADING_REPLICA: Rule = Rule {
    id: "cascading-replica",
    severity: Severity::Block,
    checks: "no read replica of the source has replicas of its own (cascading replicas)",
    fix: "delete or promote the second-level replicas, switch over, then recreate them",
    source: LIMITATIONS_PAGE,
};

pub const EXISTING_DEPLOYMENT: Rule = Rule {
    id: "existing-deployment",
    severity: Severity::Block,
    checks: "no Blue/Green deployment (other than one being deleted, or the one this input made: see resumed-deployment) already has this database as its source or target",
    fix: "finish or delete that deployment first (switch it over, or run the abandon or cleanup action), then run again",
    source: "aws-bluegreen-facts: Unsupported (an existing deployment on the same source)",
};

pub const RESUMED_DEPLOYMENT: Rule = Rule {
    id: "resumed-deployment",
    severity: Severity::Warn,
    checks: "a deployment this product made for this input (the derived name, this database as source, or as target after switchover) exists: the run resumes it",
    fix: "nothing to do to resume; to start over instead, remove it first (the abandon action before switchover, cleanup after)",
    source: "docs/runbook.md (a re-run resumes)",
};

pub async fn check(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    match &db.cluster {
        Some(cluster) => {
            if let Some(source) = cluster
                .replication_source_identifier()
                .filter(|s| !s.is_empty())
            {
                ctx.flag(
                    &SOURCE_IS_REPLICA,
                    format!(
                        "{} replicates from {source} (ReplicationSourceIdentifier)",
                        db.identifier
                    ),
                );
            }
            let remote = cross_region(
                cluster.read_replica_identifiers(),
                &ctx.request.target.region,
            );
            if !remote.is_empty() {
                ctx.flag(
                    &CROSS_REGION_REPLICA,
                    format!(
                        "{} has cross-Region read replicas: {}",
                        db.identifier,
                        remote.join(", ")
                    ),
                );
            }
        }
        None => check_instance_replicas(ctx, db).await?,
    }
    let (ours, blocking): (Vec<_>, Vec<_>) = deployment::list(ctx.rds)
        .await?
        .into_iter()
        .filter(|d| {
            d.status != DeploymentStatus::Deleting
                && (d.source_arn == db.arn || d.target_arn == db.arn)
        })
        .partition(|d| resume::made_for(d, ctx.request, &db.arn));
    let describe = |d: &deployment::Deployment| format!("{} ({}, {})", d.id, d.name, d.status);
    let blocking: Vec<String> = blocking.iter().map(describe).collect();
    for d in &ours {
        ctx.flag(
            &RESUMED_DEPLOYMENT,
            format!(
                "{} is in the Blue/Green deployment {} this input made: the run resumes it",
                db.identifier,
                describe(d)
            ),
        );
    }
    if !blocking.is_empty() {
        ctx.flag(
            &EXISTING_DEPLOYMENT,
            format!(
                "{} is already in the Blue/Green deployment {}",
                db.identifier,
                blocking.join(", ")
            ),
        );
    }
    Ok(())
}

async fn check_instance_replicas(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let Some(instance) = db.instances.first() else {
        return Ok(());
    };
    let source = instance
        .read_replica_source_db_instance_identifier()
        .or(instance.read_replica_source_db_cluster_identifier());
    if let Some(source) = source.filter(|s| !s.is_empty()) {
        ctx.flag(
            &SOURCE_IS_REPLICA,
            format!("{} is a read replica of {source}", db.identifier),
        );
    }
    let region = ctx.request.target.region.clone();
    let replicas = instance.read_replica_db_instance_identifiers();
    let remote = cross_region(replicas, &region);
    if !remote.is_empty() {
        ctx.flag(
            &CROSS_REGION_REPLICA,
            format!(
                "{} has cross-Region read replicas: {}",
                db.identifier,
                remote.join(", ")
            ),
        );
    }
    for replica in replicas.iter().filter(|r| !remote.contains(&r.as_str())) {
        let Some(described) = describe_instance(ctx.rds, arn::name_of(replica)).await? else {
            continue;
        };
        let children = described.read_replica_db_instance_identifiers();
        if !children.is_empty() {
            let message = format!(
                "{}'s read replica {replica} has replicas of its own: {}",
                db.identifier,
                children.join(", ")
            );
            ctx.flag(&CASCADING_REPLICA, message);
        }
    }
    Ok(())
}

/// The replicas named by an ARN in another Region (same-Region replicas are listed by name).
fn cross_region<'r>(replicas: &'r [String], region: &str) -> Vec<&'r str> {
    replicas
        .iter()
        .map(String::as_str)
        .filter(|r| arn::parse(r).is_some_and(|a| a.region != region))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_arns_in_other_regions_are_cross_region() {
        let replicas = vec![
            "orders-replica".to_owned(),
            "arn:aws:rds:us-east-1:1:db:same".to_owned(),
            "arn:aws:rds:eu-west-1:1:db:far".to_owned(),
        ];
        assert_eq!(
            cross_region(&replicas, "us-east-1"),
            vec!["arn:aws:rds:eu-west-1:1:db:far"]
        );
    }
}
