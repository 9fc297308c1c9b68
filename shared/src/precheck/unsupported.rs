//! Configurations Blue/Green does not support, or supports with a catch, as AWS documents
//! them: Secrets Manager-managed master passwords, Aurora Serverless v1, RDS Multi-AZ DB
//! clusters, backtrack, global databases, custom option groups on a major MySQL upgrade.

use super::rule::{Rule, LIMITATIONS_PAGE};
use super::{Context, Severity};
use crate::aws::database::Database;
use crate::error::Error;
use crate::input::Engine;

pub const MANAGED_MASTER_PASSWORD: Rule = Rule {
    id: "managed-master-password",
    severity: Severity::Block,
    checks: "the master password is not managed by Secrets Manager (MasterUserSecret absent)",
    fix: "turn off Secrets Manager management of the master password (modify with --no-manage-master-user-password and a password), create the deployment, and turn it back on after switchover",
    source: LIMITATIONS_PAGE,
};

pub const SERVERLESS_V1: Rule = Rule {
    id: "serverless-v1",
    severity: Severity::Block,
    checks: "the Aurora cluster is not Aurora Serverless v1 (EngineMode `serverless`)",
    fix: "move the cluster to provisioned or Serverless v2 instances first; Blue/Green does not support Serverless v1",
    source: LIMITATIONS_PAGE,
};

pub const MULTI_AZ_DB_CLUSTER: Rule = Rule {
    id: "multi-az-db-cluster",
    severity: Severity::Block,
    checks: "the source is not an RDS Multi-AZ DB cluster (a non-Aurora DB cluster) nor one of its instances",
    fix: "Blue/Green does not support RDS Multi-AZ DB clusters; upgrade the cluster in place, or move to a Multi-AZ DB instance first",
    source: LIMITATIONS_PAGE,
};

pub const BACKTRACK: Rule = Rule {
    id: "backtrack-enabled",
    severity: Severity::Warn,
    checks: "backtrack on the Aurora MySQL cluster (BacktrackWindow > 0): green is created without it, and forcing a backtrack on blue breaks the deployment",
    fix: "do not backtrack blue while the deployment exists; expect green (the new production) to have no backtrack",
    source: LIMITATIONS_PAGE,
};

pub const GLOBAL_DATABASE: Rule = Rule {
    id: "global-database",
    severity: Severity::Warn,
    checks: "membership of an Aurora global database: supported from the primary cluster, with its own limitations (green mirrors every secondary Region)",
    fix: "read AWS's 'Using Blue/Green Deployments for Amazon Aurora Global Database' page before going on; switchover moves every Region",
    source: "AWS: Using Blue/Green Deployments for Amazon Aurora Global Database; Aurora Global Database limitations for blue/green deployments",
};

pub const GLOBAL_DATABASE_SECONDARY: Rule = Rule {
    id: "global-database-secondary",
    severity: Severity::Block,
    checks: "the cluster is not a secondary (read-only) cluster of an Aurora global database",
    fix: "create the deployment from the global database's primary cluster",
    source: "AWS: Using Blue/Green Deployments for Amazon Aurora Global Database",
};

pub const OPTION_GROUP_MAJOR_UPGRADE: Rule = Rule {
    id: "option-group-major-upgrade",
    severity: Severity::Block,
    checks: "an RDS MySQL major upgrade from an instance with a custom option group",
    fix: "create an option group for the target major version with the same options and set it on green after creation, or move blue to the default option group before creating",
    source: "aws-bluegreen-facts: Prerequisites per engine (RDS MySQL custom option group); seed 001 step 5 (mysql80-option-group)",
};

/// Records that the identifier names an RDS Multi-AZ DB cluster.
pub fn flag_multi_az_cluster(ctx: &mut Context<'_>, identifier: &str, engine: &str) {
    ctx.flag(
        &MULTI_AZ_DB_CLUSTER,
        format!(
            "{identifier} is an RDS Multi-AZ DB cluster (engine `{engine}`), not a DB instance"
        ),
    );
}

pub async fn check(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let secret = match &db.cluster {
        Some(c) => c.master_user_secret().is_some(),
        None => db
            .instances
            .iter()
            .any(|i| i.master_user_secret().is_some()),
    };
    if secret {
        ctx.flag(
            &MANAGED_MASTER_PASSWORD,
            format!(
                "{} has its master password managed by Secrets Manager (MasterUserSecret is set)",
                db.identifier
            ),
        );
    }
    if let Some(cluster) = &db.cluster {
        if cluster.engine_mode() == Some("serverless") {
            ctx.flag(
                &SERVERLESS_V1,
                format!(
                    "{} is Aurora Serverless v1 (EngineMode = serverless)",
                    db.identifier
                ),
            );
        }
        if let Some(window) = cluster.backtrack_window().filter(|w| *w > 0) {
            ctx.flag(
                &BACKTRACK,
                format!(
                    "{} has backtrack on (BacktrackWindow = {window} s)",
                    db.identifier
                ),
            );
        }
        if let Some(global) = cluster
            .global_cluster_identifier()
            .filter(|g| !g.is_empty())
        {
            super::global::check(ctx, db, global).await?;
        }
    } else if let Some(cluster) = db.instances.first().and_then(|i| i.db_cluster_identifier()) {
        // An RDS instance that belongs to a DB cluster is a member of a Multi-AZ DB cluster.
        ctx.flag(
            &MULTI_AZ_DB_CLUSTER,
            format!(
                "{} is a member of the RDS Multi-AZ DB cluster {cluster}",
                db.identifier
            ),
        );
    }
    if ctx.engine() == Engine::Mysql && ctx.is_major_upgrade() {
        let custom: Vec<&str> = db
            .instances
            .iter()
            .flat_map(|i| i.option_group_memberships())
            .filter_map(|m| m.option_group_name())
            .filter(|name| !name.starts_with("default:"))
            .collect();
        if !custom.is_empty() {
            let to = ctx.target_version().unwrap_or_default();
            let message = format!(
                "{} uses the custom option group {} and the request upgrades {} to {to}",
                db.identifier,
                custom.join(", "),
                db.engine_version
            );
            ctx.flag(&OPTION_GROUP_MAJOR_UPGRADE, message);
        }
    }
    Ok(())
}
