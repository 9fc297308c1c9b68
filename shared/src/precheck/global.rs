//! Aurora Global Database: a deployment of the primary cluster, started from the writer's
//! Region, with no global switchover or failover in flight, and green's parameter groups
//! present under the same names in every secondary Region.
//!
//! AWS, "Aurora Global Database limitations for blue/green deployments"
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-considerations.html#blue-green-deployments-limitations-agd>)
//! and "Preparing an Aurora Global Database DB cluster for a blue/green deployment"
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-creating.html#blue-green-deployments-creating-preparing-agd>).

use super::rule::Rule;
use super::unsupported::{GLOBAL_DATABASE, GLOBAL_DATABASE_SECONDARY};
use super::{Context, Severity};
use crate::aws::database::Database;
use crate::aws::global::{self, GlobalCluster};
use crate::error::Error;

const AGD_PAGE: &str = "AWS: Aurora Global Database limitations for blue/green deployments (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-considerations.html#blue-green-deployments-limitations-agd)";

pub const GLOBAL_FAILOVER_IN_FLIGHT: Rule = Rule {
    id: "global-failover-in-flight",
    severity: Severity::Block,
    checks: "no global switchover or failover in flight (DescribeGlobalClusters FailoverState): AWS says one invalidates an active blue/green deployment, which must then be deleted and recreated from the new primary Region",
    fix: "wait until the global switchover or failover has finished (FailoverState gone), then start again from the writer's Region",
    source: AGD_PAGE,
};

pub const GLOBAL_PARAMETER_GROUPS: Rule = Rule {
    id: "global-secondary-parameter-groups",
    severity: Severity::Block,
    checks: "green's DB cluster and DB parameter groups exist under the same names in every secondary Region: where one is missing AWS silently gives green that Region's default group",
    fix: "create the missing parameter groups (same names, same family and settings) in the secondary Regions named, then run again",
    source: AGD_PAGE,
};

/// The global database rules for a cluster that belongs to `global`.
pub async fn check(ctx: &mut Context<'_>, db: &Database, global_id: &str) -> Result<(), Error> {
    let Some(global) = global::describe(ctx.rds, global_id).await? else {
        ctx.flag(
            &GLOBAL_DATABASE,
            format!(
                "{} names the global database {global_id}, which this Region does not list",
                db.identifier
            ),
        );
        return Ok(());
    };
    let Some(writer) = global.writer() else {
        ctx.flag_with(
            &GLOBAL_DATABASE_SECONDARY,
            Severity::Block,
            format!("the global database {global_id} lists no writer: a topology change may be under way"),
            "wait until the global database lists its writer, then run again from the writer's Region",
        );
        return Ok(());
    };
    if writer.arn != db.arn {
        ctx.flag(
            &GLOBAL_DATABASE_SECONDARY,
            format!(
                "{} is a secondary cluster of the global database {global_id}; its writer is {} in {}: every blue/green operation must start from the writer's Region",
                db.identifier, writer.identifier, writer.region
            ),
        );
        return Ok(());
    }
    let secondaries: Vec<String> = global
        .secondaries()
        .map(|m| format!("{} ({})", m.identifier, m.region))
        .collect();
    ctx.flag(
        &GLOBAL_DATABASE,
        format!(
            "{} is the writer of the global database {global_id}; green mirrors every secondary Region: {}",
            db.identifier,
            if secondaries.is_empty() { "none".to_owned() } else { secondaries.join(", ") }
        ),
    );
    if let Some(state) = &global.failover {
        ctx.flag(
            &GLOBAL_FAILOVER_IN_FLIGHT,
            format!("the global database {global_id} of {} has a global switchover or failover in flight (FailoverState {state})", db.identifier),
        );
    }
    secondary_groups(ctx, db, &global).await
}

/// Green's parameter groups, by name: the ones the request asks for, else blue's.
fn green_groups(ctx: &Context<'_>, db: &Database) -> (Option<String>, Vec<String>) {
    let options = &ctx.request.options;
    let cluster = options
        .target_db_cluster_parameter_group_name
        .clone()
        .or_else(|| {
            db.cluster
                .as_ref()
                .and_then(|c| c.db_cluster_parameter_group())
                .map(str::to_owned)
        });
    let instance = match &options.target_db_parameter_group_name {
        Some(name) => vec![name.clone()],
        None => {
            let mut names: Vec<String> = db
                .instances
                .iter()
                .flat_map(|i| i.db_parameter_groups())
                .filter_map(|g| g.db_parameter_group_name().map(str::to_owned))
                .collect();
            names.sort();
            names.dedup();
            names
        }
    };
    // AWS's default groups exist in every Region where the engine does.
    let custom = |n: &String| !n.starts_with("default.");
    (
        cluster.filter(custom),
        instance.into_iter().filter(custom).collect(),
    )
}

async fn secondary_groups(
    ctx: &mut Context<'_>,
    db: &Database,
    global: &GlobalCluster,
) -> Result<(), Error> {
    let (cluster, instance) = green_groups(ctx, db);
    let regions: Vec<String> = global.secondaries().map(|m| m.region.clone()).collect();
    for region in regions {
        let rds = match ctx.regional(&region) {
            None => {
                ctx.not_checked(GLOBAL_PARAMETER_GROUPS.id, format!("this run cannot read {region}: check green's parameter groups exist there by hand"));
                continue;
            }
            Some(made) => made?,
        };
        let mut missing = Vec::new();
        if let Some(name) = &cluster {
            if !cluster_group_exists(&rds, name).await? {
                missing.push(format!("DB cluster parameter group {name}"));
            }
        }
        for name in &instance {
            if !instance_group_exists(&rds, name).await? {
                missing.push(format!("DB parameter group {name}"));
            }
        }
        if !missing.is_empty() {
            ctx.flag(
                &GLOBAL_PARAMETER_GROUPS,
                format!(
                    "{region}, a secondary Region of {}'s global database {}, lacks {}",
                    db.identifier,
                    global.id,
                    missing.join(" and ")
                ),
            );
        }
    }
    Ok(())
}

async fn cluster_group_exists(rds: &aws_sdk_rds::Client, name: &str) -> Result<bool, Error> {
    match rds
        .describe_db_cluster_parameter_groups()
        .db_cluster_parameter_group_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(!out.db_cluster_parameter_groups().is_empty()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_parameter_group_not_found_fault()) =>
        {
            Ok(false)
        }
        Err(e) => Err(Error::from_sdk("DescribeDBClusterParameterGroups", e)),
    }
}

async fn instance_group_exists(rds: &aws_sdk_rds::Client, name: &str) -> Result<bool, Error> {
    match rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(!out.db_parameter_groups().is_empty()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_parameter_group_not_found_fault()) =>
        {
            Ok(false)
        }
        Err(e) => Err(Error::from_sdk("DescribeDBParameterGroups", e)),
    }
}
