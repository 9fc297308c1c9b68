//! The source itself: it exists, runs the engine the request names, is enrolled, is available,
//! keeps automated backups; and deletion protection, which will matter at cleanup.

use super::rule::Rule;
use super::{unsupported, Context, Severity};
use crate::aws::database::{describe_cluster, Database};
use crate::aws::enrolment;
use crate::error::Error;
use crate::input::{Engine, Kind};

pub const SOURCE_EXISTS: Rule = Rule {
    id: "source-exists",
    severity: Severity::Block,
    checks: "the DB cluster (Aurora) or DB instance named by target.identifier exists in target.region",
    fix: "check target.identifier, target.region and target.engine (Aurora engines name a DB cluster, the others a DB instance)",
    source: "seed 002 step 1.1 (describe-db-clusters before anything else)",
};

pub const ENGINE_SUPPORTED: Rule = Rule {
    id: "engine-supported",
    severity: Severity::Block,
    checks: "the database's engine is one Blue/Green supports and this product automates (aurora-mysql, aurora-postgresql, mysql, postgres, mariadb)",
    fix: "Blue/Green does not support this engine; upgrade it another way",
    source: "AWS: Supported Regions and DB engines for Amazon RDS Blue/Green Deployments",
};

pub const ENGINE_MATCHES: Rule = Rule {
    id: "engine-matches-target",
    severity: Severity::Block,
    checks: "the database's engine equals target.engine",
    fix: "set target.engine to the database's engine, or correct target.identifier",
    source: "product rule: the request must say what it acts on",
};

pub const SOURCE_AVAILABLE: Rule = Rule {
    id: "source-available",
    severity: Severity::Block,
    checks: "the cluster and every instance are `available`",
    fix: "wait until the database is available (no maintenance, backup, modification or reboot in progress), then run again",
    source: "seed 000 troubleshooting (InvalidParameterCombination / InvalidDBClusterState)",
};

pub const AUTOMATED_BACKUPS: Rule = Rule {
    id: "automated-backups",
    severity: Severity::Block,
    checks: "automated backups are on (BackupRetentionPeriod > 0)",
    fix: "set the backup retention period to at least 1 day (modify-db-cluster / modify-db-instance --backup-retention-period 7)",
    source: "seed 001 step 1 (check automated backups); AWS: Creating a blue/green deployment",
};

pub const DELETION_PROTECTION: Rule = Rule {
    id: "deletion-protection",
    severity: Severity::Warn,
    checks: "deletion protection on blue, which will block deleting old blue after switchover",
    fix: "turn deletion protection off on old blue (the -old1 database) before cleanup; the product never turns it off itself",
    source: "aws-bluegreen-facts: Deleting (deletion protection must be off)",
};

pub const ENROLLED: Rule = Rule {
    id: "enrolled",
    severity: Severity::Block,
    checks: "the database carries the enrolment tag rds-bluegreen:enrolled = true (for Aurora, the cluster and each of its instances)",
    fix: "tag the database (for Aurora, the cluster and each instance) rds-bluegreen:enrolled=true with add-tags-to-resource to let this product change it; the templates' IAM conditions refuse every change to a database without it",
    source: "product rule: opt-in by tag (docs/security.md)",
};

/// No database by that name: a Multi-AZ DB cluster named as an instance gets its own finding.
pub async fn missing(ctx: &mut Context<'_>) -> Result<(), Error> {
    let target = &ctx.request.target;
    if target.engine.kind() == Kind::Instance {
        if let Some(cluster) = describe_cluster(ctx.rds, &target.identifier).await? {
            let engine = cluster.engine().unwrap_or_default().to_owned();
            unsupported::flag_multi_az_cluster(ctx, &target.identifier, &engine);
            return Ok(());
        }
    }
    let kind = match target.engine.kind() {
        Kind::Cluster => "DB cluster",
        Kind::Instance => "DB instance",
    };
    let message = format!(
        "{kind} `{}` was not found in {}",
        target.identifier, target.region
    );
    ctx.flag(&SOURCE_EXISTS, message);
    Ok(())
}

/// Engine, status, backups, deletion protection. Returns `false` when the engine is not the
/// one requested (the other rules would read the wrong things).
pub fn check(ctx: &mut Context<'_>, db: &Database) -> bool {
    let Some(engine) = Engine::from_api_name(&db.engine) else {
        let message = format!(
            "{} runs engine `{}`, which Blue/Green does not support here",
            db.identifier, db.engine
        );
        ctx.flag(&ENGINE_SUPPORTED, message);
        return false;
    };
    if engine != ctx.engine() {
        let message = format!(
            "{} runs `{}`, but target.engine is `{}`",
            db.identifier,
            db.engine,
            ctx.engine().api_name()
        );
        ctx.flag(&ENGINE_MATCHES, message);
        return false;
    }
    let mut busy = Vec::new();
    if db.status != "available" {
        busy.push(format!("{} is `{}`", db.identifier, db.status));
    }
    if db.cluster.is_some() {
        for instance in &db.instances {
            let status = instance.db_instance_status().unwrap_or("unknown");
            if status != "available" {
                busy.push(format!(
                    "{} is `{status}`",
                    instance.db_instance_identifier().unwrap_or("?")
                ));
            }
        }
    }
    if !busy.is_empty() {
        ctx.flag(
            &SOURCE_AVAILABLE,
            format!("{} is not available: {}", db.identifier, busy.join(", ")),
        );
    }
    let days = db.backup_retention_days();
    if days <= 0 {
        ctx.flag(
            &AUTOMATED_BACKUPS,
            format!(
                "{} has automated backups off (BackupRetentionPeriod = {days})",
                db.identifier
            ),
        );
    }
    // Aurora: the cluster and each instance (IAM checks each resource's own tags, and
    // delete-old deletes old blue's instances one by one).
    let mut unenrolled: Vec<&str> = Vec::new();
    if !enrolment::is_enrolled(db.tags()) {
        unenrolled.push(&db.identifier);
    }
    if db.cluster.is_some() {
        unenrolled.extend(
            db.instances
                .iter()
                .filter(|i| !enrolment::is_enrolled(i.tag_list()))
                .filter_map(|i| i.db_instance_identifier()),
        );
    }
    if !unenrolled.is_empty() {
        ctx.flag(
            &ENROLLED,
            format!(
                "{}: {} do(es) not carry the enrolment tag {}={}",
                db.identifier,
                unenrolled.join(", "),
                enrolment::KEY,
                enrolment::VALUE
            ),
        );
    }
    if db.deletion_protection() {
        ctx.flag(
            &DELETION_PROTECTION,
            format!(
                "{} has deletion protection on (DeletionProtection = true)",
                db.identifier
            ),
        );
    }
    true
}
