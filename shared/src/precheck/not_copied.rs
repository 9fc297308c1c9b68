//! What green does not copy from blue, listed before anything is created: associated IAM
//! roles, zero-ETL integrations (which block switchover), event subscriptions naming blue,
//! and what the RDS API cannot show (DMS tasks, logical replication slots and subscriptions).
//!
//! AWS, "Limitations and considerations for blue/green deployments"
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-considerations.html>,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-considerations.html>).

use super::rule::Rule;
use super::{Context, Severity};
use crate::aws::database::{collect_pages, Database};
use crate::aws::{integrations, roles};

pub const ASSOCIATED_ROLES: Rule = Rule {
    id: "associated-iam-roles",
    severity: Severity::Warn,
    checks: "IAM roles associated with blue (AssociatedRoles): AWS does not copy them to green; they must be associated with production after switchover",
    fix: "nothing before create: with options.restoreAssociatedRoles (default on) the workflow associates them with production after switchover and verify checks them; with it off, run aws rds add-role-to-db-cluster / add-role-to-db-instance after switchover",
    source: "AWS: Limitations and considerations for blue/green deployments (considerations: attached roles aren't automatically copied to the green environment)",
};

pub const ZERO_ETL: Rule = Rule {
    id: "zero-etl-integration",
    severity: Severity::Block,
    checks: "zero-ETL integrations with blue as their source (DescribeIntegrations): during switchover blue and green can't have zero-ETL integrations with Amazon Redshift",
    fix: "delete the integration (aws rds delete-integration --integration-identifier <arn>), run the upgrade, then recreate the integration with production as its source",
    source: "AWS: Limitations and considerations for blue/green deployments (general limitations: delete zero-ETL integrations first, switch over, then recreate them)",
};

pub const EVENT_SUBSCRIPTIONS: Rule = Rule {
    id: "event-subscriptions",
    severity: Severity::Warn,
    checks: "RDS event subscriptions that name blue's identifiers (DescribeEventSubscriptions SourceIdsList): they name resources by identifier, and after switchover those identifiers belong to green, while old blue takes an -oldN name",
    fix: "nothing to do for production's events; add the -oldN names to the subscription if old blue's events matter while it is kept",
    source: "AWS: Switching a blue/green deployment (switchover renames blue's resources -oldN and gives green the production names); DescribeEventSubscriptions",
};

pub const PG_STATISTICS: Rule = Rule {
    id: "pg-optimizer-statistics",
    severity: Severity::Warn,
    checks: "a PostgreSQL major version upgrade: optimizer statistics are not carried to the new major version",
    fix: "run ANALYZE on every database of production right after switchover (a hook, or by hand), before the load returns",
    source: "AWS: Upgrading the PostgreSQL DB engine for Amazon RDS (run ANALYZE after a major version upgrade); aws-bluegreen-facts (not carried to green)",
};

/// What the RDS API cannot show, listed under `notChecked`: (id, reason).
pub const NOT_VISIBLE: &[(&str, &str)] = &[
    (
        "dms-replication-tasks",
        "not read: this product does not call AWS DMS. AWS: after switchover DMS replication tasks can't resume (the checkpoint from blue is invalid on green); list the tasks whose endpoints name this database (aws dms describe-replication-tasks) and plan to recreate them with a new checkpoint",
    ),
    (
        "external-replication",
        "not visible through the RDS API: logical replication slots, publications and subscriptions (pg_replication_slots, pg_subscription) and binlog replicas outside RDS (SHOW REPLICAS) live inside the database. AWS: blue can't be a logical publisher or subscriber, and external replication (CDC) must be recreated on production",
    ),
];

/// Lists roles, integrations and subscriptions; a read that fails (no permission, an API the
/// Region lacks) leaves its rule under `notChecked` instead of stopping the run.
pub async fn check(ctx: &mut Context<'_>, db: &Database) {
    for (id, reason) in NOT_VISIBLE {
        ctx.not_checked(id, *reason);
    }
    let associated = roles::of(db);
    if !associated.is_empty() {
        let names: Vec<String> = associated.iter().map(|r| r.describe()).collect();
        let fix = if ctx.request.options.restore_associated_roles {
            ASSOCIATED_ROLES.fix.to_owned()
        } else {
            format!("options.restoreAssociatedRoles is false: after switchover associate {} with production yourself (aws rds add-role-to-db-{} ...)", names.join(", "), if db.cluster.is_some() { "cluster" } else { "instance" })
        };
        ctx.flag_with(
            &ASSOCIATED_ROLES,
            Severity::Warn,
            format!(
                "{} has IAM roles associated that green will not have: {}",
                db.identifier,
                names.join(", ")
            ),
            fix,
        );
    }
    match integrations::from_source(ctx.rds, &db.arn).await {
        Ok(found) => {
            for i in found {
                ctx.flag_with(
                    &ZERO_ETL,
                    Severity::Block,
                    format!("{} is the source of the zero-ETL integration {} ({}, to {})", db.identifier, i.name, i.status, i.target_arn),
                    format!("delete the integration (aws rds delete-integration --integration-identifier {}), run the upgrade, then recreate it with production as its source", i.arn),
                );
            }
        }
        Err(e) => ctx.not_checked(
            ZERO_ETL.id,
            format!("could not read zero-ETL integrations: {e}"),
        ),
    }
    subscriptions(ctx, db).await;
    if ctx.engine().is_postgres_family() && ctx.is_major_upgrade() {
        let to = ctx.target_version().unwrap_or_default();
        ctx.flag(
            &PG_STATISTICS,
            format!(
                "{} goes from {} to {to}: its optimizer statistics do not follow",
                db.identifier, db.engine_version
            ),
        );
    }
}

async fn subscriptions(ctx: &mut Context<'_>, db: &Database) {
    let pages = ctx
        .rds
        .describe_event_subscriptions()
        .into_paginator()
        .send();
    let read = collect_pages(pages, "DescribeEventSubscriptions", |p| {
        p.event_subscriptions_list().to_vec()
    })
    .await;
    let all = match read {
        Ok(all) => all,
        Err(e) => {
            ctx.not_checked(
                EVENT_SUBSCRIPTIONS.id,
                format!("could not read event subscriptions: {e}"),
            );
            return;
        }
    };
    let names = crate::aws::proxy::names_of(db);
    for s in all {
        let named: Vec<&String> = s
            .source_ids_list()
            .iter()
            .filter(|id| names.contains(id))
            .collect();
        if named.is_empty() {
            continue;
        }
        ctx.flag(
            &EVENT_SUBSCRIPTIONS,
            format!(
                "event subscription {} names {}: after switchover these names are production (green); old blue's -oldN names are not covered",
                s.cust_subscription_id().unwrap_or_default(),
                named.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            ),
        );
    }
}
