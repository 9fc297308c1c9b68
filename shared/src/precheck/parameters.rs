//! Parameter groups: green's named groups exist and fit the target version, blue replicates
//! (binlog for MySQL, logical replication for PostgreSQL) with room for it, green will not run
//! events twice, and every member runs the parameters its groups say (no pending reboot).
//!
//! Aurora keeps the replication settings in the DB cluster parameter group, RDS in the DB
//! parameter group; [`primary_kind`] picks the one that matters for the engine.

use std::sync::Arc;

use super::context::{GroupKind, ParameterGroup};
use super::rule::{Rule, CREATING_PAGE, LIMITATIONS_PAGE};
use super::{Context, Severity};
use crate::aws::database::Database;
use crate::error::Error;
use crate::input::{Engine, Kind};

pub const TARGET_GROUP_EXISTS: Rule = Rule {
    id: "target-parameter-group-exists",
    severity: Severity::Block,
    checks: "options.targetDbParameterGroupName / targetDbClusterParameterGroupName name groups that exist",
    fix: "create the parameter group for the target version's family, or correct the option",
    source: "seed 000 troubleshooting (the parameter group must exist and fit the new version); AWS error DBParameterGroupNotFound",
};

pub const TARGET_GROUP_FAMILY: Rule = Rule {
    id: "target-parameter-group-family",
    severity: Severity::Block,
    checks: "each named target group's family equals the target version's DBParameterGroupFamily (blue's family when the version does not change)",
    fix: "name a group of the target version's family (create one with that family and copy your settings)",
    source: "seed 002 step 1.3 (DBParameterGroupFamily); seed 000 troubleshooting",
};

pub const TARGET_GROUP_DEFAULT: Rule = Rule {
    id: "target-parameter-group-default",
    severity: Severity::Warn,
    checks: "a major upgrade that names no target parameter group (green gets the default group and loses blue's settings); blocks for MySQL when blue sets lower_case_table_names",
    fix: "create a parameter group of the target family with blue's settings (lower_case_table_names included) and name it in options.targetDbParameterGroupName / targetDbClusterParameterGroupName",
    source: "terraform-provider-aws #49132 (SourceDatabaseNotSupportedFault on lower_case_table_names)",
};

pub const BINLOG_FORMAT: Rule = Rule {
    id: "binlog-format",
    severity: Severity::Block,
    checks: "MySQL family: binlog_format is set and not OFF in blue's group (cluster group for Aurora MySQL, DB parameter group for RDS) and in a named target group",
    fix: "set binlog_format to ROW (or MIXED) in a custom parameter group attached to the database, then reboot the writer",
    source: "seed 003 steps 1 and 3 ('requires cluster parameter group has binlog enabled'); seed 001 step 1",
};

pub const LOGICAL_REPLICATION: Rule = Rule {
    id: "logical-replication",
    severity: Severity::Block,
    checks: "PostgreSQL with logical replication (Aurora always, RDS on a major upgrade): rds.logical_replication = 1 in blue's group",
    fix: "set rds.logical_replication to 1 in a custom parameter group attached to the database, then reboot every instance",
    source: "seed 002 step 2; AWS: Creating a blue/green deployment (preparing the source)",
};

pub const PG_REPLICATION_LIMITS: Rule = Rule {
    id: "pg-replication-limits",
    severity: Severity::Block,
    checks: "PostgreSQL with logical replication: max_replication_slots, max_wal_senders, max_logical_replication_workers, max_worker_processes not 0, and max_worker_processes > max_logical_replication_workers",
    fix: "raise the parameter in blue's parameter group (at least the number of databases, plus reserve) and reboot",
    source: "AWS re:Post 'incompatible parameter(s): [max_logical_replication_workers]'; PostgreSQL docs: Logical replication configuration settings",
};

pub const SYNCHRONOUS_COMMIT: Rule = Rule {
    id: "synchronous-commit",
    severity: Severity::Block,
    checks: "Aurora PostgreSQL: synchronous_commit is on (or left to its default)",
    fix: "set synchronous_commit to on in blue's parameter group",
    source: CREATING_PAGE,
};

pub const EVENT_SCHEDULER: Rule = Rule {
    id: "event-scheduler-green",
    severity: Severity::Block,
    checks: "MySQL family: event_scheduler is not ON in the group green will use (the named target group, else blue's)",
    fix: "name a target parameter group with event_scheduler OFF; turn it on again after switchover",
    source: LIMITATIONS_PAGE,
};

pub const PARAMETERS_IN_SYNC: Rule = Rule {
    id: "parameters-in-sync",
    severity: Severity::Block,
    checks: "every member runs its parameter groups' values (DBClusterParameterGroupStatus and ParameterApplyStatus are in-sync)",
    fix: "reboot",
    source: "seed 002 step 2 (reboot after enabling logical replication); seed 003 step 4-2 (pending reboot)",
};

/// Which group holds the replication settings: the cluster group for Aurora.
fn primary_kind(engine: Engine) -> GroupKind {
    match engine.kind() {
        Kind::Cluster => GroupKind::Cluster,
        Kind::Instance => GroupKind::Instance,
    }
}

pub async fn check(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    check_target_groups(ctx, db).await?;
    let engine = ctx.engine();
    if engine.is_mysql_family() {
        check_binlog(ctx, db).await?;
        check_event_scheduler(ctx, db).await?;
    }
    if ctx.uses_logical_replication() {
        check_logical_replication(ctx, db).await?;
    }
    if engine == Engine::AuroraPostgresql {
        if let Some(value) = blue_value(ctx, db, "synchronous_commit").await? {
            if !value.eq_ignore_ascii_case("on") {
                ctx.flag(
                    &SYNCHRONOUS_COMMIT,
                    format!("{} has synchronous_commit = {value}", db.identifier),
                );
            }
        }
    }
    check_in_sync(ctx, db);
    Ok(())
}

/// The name of blue's group of this kind (the writer's DB parameter group for Aurora).
fn blue_group_name(db: &Database, kind: GroupKind) -> Option<String> {
    match kind {
        GroupKind::Cluster => db
            .cluster
            .as_ref()?
            .db_cluster_parameter_group()
            .map(str::to_owned),
        GroupKind::Instance => {
            let writer = db
                .cluster
                .as_ref()
                .and_then(|c| {
                    c.db_cluster_members()
                        .iter()
                        .find(|m| m.is_cluster_writer() == Some(true))
                })
                .and_then(|m| m.db_instance_identifier());
            let instance = db
                .instances
                .iter()
                .find(|i| writer.is_none() || i.db_instance_identifier() == writer)?;
            instance
                .db_parameter_groups()
                .first()?
                .db_parameter_group_name()
                .map(str::to_owned)
        }
    }
}

async fn blue_group(
    ctx: &mut Context<'_>,
    db: &Database,
    kind: GroupKind,
) -> Result<Option<Arc<ParameterGroup>>, Error> {
    match blue_group_name(db, kind) {
        Some(name) => ctx.group(kind, &name).await,
        None => Ok(None),
    }
}

/// A parameter's value on blue: the cluster group first (Aurora), then the writer's group.
async fn blue_value(
    ctx: &mut Context<'_>,
    db: &Database,
    name: &str,
) -> Result<Option<String>, Error> {
    let kinds: &[GroupKind] = match db.kind {
        Kind::Cluster => &[GroupKind::Cluster, GroupKind::Instance],
        Kind::Instance => &[GroupKind::Instance],
    };
    for kind in kinds {
        if let Some(value) = blue_group(ctx, db, *kind)
            .await?
            .and_then(|g| g.value(name).map(str::to_owned))
        {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// The named target group of a kind, from the request.
fn named_target(ctx: &Context<'_>, kind: GroupKind) -> Option<String> {
    let options = &ctx.request.options;
    match kind {
        GroupKind::Cluster => options.target_db_cluster_parameter_group_name.clone(),
        GroupKind::Instance => options.target_db_parameter_group_name.clone(),
    }
}

/// The group green will use: the named one, else blue's when the family stays, else the
/// default group of the new family (`None`: its values are AWS's defaults).
async fn green_group(
    ctx: &mut Context<'_>,
    db: &Database,
    kind: GroupKind,
) -> Result<Option<Arc<ParameterGroup>>, Error> {
    match named_target(ctx, kind) {
        Some(name) => ctx.group(kind, &name).await,
        None if !ctx.is_major_upgrade() => blue_group(ctx, db, kind).await,
        None => Ok(None),
    }
}

async fn check_target_groups(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let kinds: &[GroupKind] = match db.kind {
        Kind::Cluster => &[GroupKind::Cluster, GroupKind::Instance],
        Kind::Instance => &[GroupKind::Instance],
    };
    let mut unnamed = Vec::new();
    for &kind in kinds {
        let Some(name) = named_target(ctx, kind) else {
            unnamed.push(kind);
            continue;
        };
        let label = group_label(kind);
        let Some(group) = ctx.group(kind, &name).await? else {
            ctx.flag(
                &TARGET_GROUP_EXISTS,
                format!(
                    "the target {label} `{name}` for {} does not exist",
                    db.identifier
                ),
            );
            continue;
        };
        match expected_family(ctx, db, kind).await? {
            Some(expected) if expected != group.family => {
                let version = ctx
                    .target_version()
                    .unwrap_or(&db.engine_version)
                    .to_owned();
                let message = format!(
                    "the target {label} `{name}` has family {}, but {} {version} needs {expected}",
                    group.family, db.engine
                );
                ctx.flag(&TARGET_GROUP_FAMILY, message);
            }
            Some(_) => {}
            None => ctx.not_checked(
                TARGET_GROUP_FAMILY.id,
                format!(
                    "the family {} {} needs is unknown",
                    db.engine,
                    ctx.target_version().unwrap_or(&db.engine_version)
                ),
            ),
        }
    }
    if ctx.is_major_upgrade() && !unnamed.is_empty() {
        flag_default_groups(ctx, db, &unnamed).await?;
    }
    Ok(())
}

/// The family green's groups must have: the target version's, or blue's when it stays.
async fn expected_family(
    ctx: &mut Context<'_>,
    db: &Database,
    kind: GroupKind,
) -> Result<Option<String>, Error> {
    match ctx.target_version() {
        Some(to) => Ok(ctx
            .engine_version(to)
            .await?
            .and_then(|v| v.db_parameter_group_family().map(str::to_owned))),
        None => Ok(blue_group(ctx, db, kind).await?.map(|g| g.family.clone())),
    }
}

async fn flag_default_groups(
    ctx: &mut Context<'_>,
    db: &Database,
    unnamed: &[GroupKind],
) -> Result<(), Error> {
    let fields: Vec<&str> = unnamed
        .iter()
        .map(|k| match k {
            GroupKind::Cluster => "options.targetDbClusterParameterGroupName",
            GroupKind::Instance => "options.targetDbParameterGroupName",
        })
        .collect();
    let to = ctx.target_version().unwrap_or_default().to_owned();
    let mut message = format!(
        "{} is upgraded to {to} with no {}: green gets the default group and loses blue's settings",
        db.identifier,
        fields.join(" nor ")
    );
    let mut severity = Severity::Warn;
    let primary = primary_kind(ctx.engine());
    if ctx.engine().is_mysql_family() && unnamed.contains(&primary) {
        if let Some(value) = blue_group(ctx, db, primary)
            .await?
            .and_then(|g| g.value("lower_case_table_names").map(str::to_owned))
        {
            if value != "0" {
                severity = Severity::Block;
                message = format!("{message}; blue sets lower_case_table_names = {value}, which the default group does not, so creation fails");
            }
        }
    }
    ctx.flag_with(
        &TARGET_GROUP_DEFAULT,
        severity,
        message,
        TARGET_GROUP_DEFAULT.fix,
    );
    Ok(())
}

async fn check_binlog(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let kind = primary_kind(ctx.engine());
    let blue_name = blue_group_name(db, kind).unwrap_or_else(|| "(none)".to_owned());
    let blue = blue_group(ctx, db, kind).await?;
    check_binlog_in(ctx, db, &blue_name, blue.as_deref(), "blue's");
    if let Some(name) = named_target(ctx, kind) {
        // A missing target group is already reported by target-parameter-group-exists.
        if let Some(group) = ctx.group(kind, &name).await? {
            check_binlog_in(ctx, db, &name, Some(&group), "the target");
        }
    }
    Ok(())
}

fn check_binlog_in(
    ctx: &mut Context<'_>,
    db: &Database,
    name: &str,
    group: Option<&ParameterGroup>,
    whose: &str,
) {
    let value = group.and_then(|g| g.value("binlog_format"));
    if value.is_none_or(|v| v.eq_ignore_ascii_case("off")) {
        let found = value.unwrap_or("not set");
        let label = group_label(primary_kind(ctx.engine()));
        ctx.flag(
            &BINLOG_FORMAT,
            format!(
                "{}: binlog_format is {found} in {whose} {label} `{name}`",
                db.identifier
            ),
        );
    }
}

async fn check_event_scheduler(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let kind = primary_kind(ctx.engine());
    if let Some(group) = green_group(ctx, db, kind).await? {
        if let Some(value) = group
            .value("event_scheduler")
            .filter(|v| v.eq_ignore_ascii_case("on"))
        {
            let message = format!(
                "{}: green would use `{}` where event_scheduler = {value}",
                db.identifier, group.name
            );
            ctx.flag(&EVENT_SCHEDULER, message);
        }
    }
    Ok(())
}

async fn check_logical_replication(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let kind = primary_kind(ctx.engine());
    let group = blue_group(ctx, db, kind).await?;
    let value = group
        .as_deref()
        .and_then(|g| g.value("rds.logical_replication"));
    if value != Some("1") {
        let name = group
            .as_deref()
            .map(|g| g.name.clone())
            .or_else(|| blue_group_name(db, kind))
            .unwrap_or_else(|| "(none)".to_owned());
        let message = format!(
            "{}: rds.logical_replication is {} in `{name}`",
            db.identifier,
            value.unwrap_or("not set")
        );
        ctx.flag(&LOGICAL_REPLICATION, message);
    }
    let mut values = Vec::new();
    for name in [
        "max_replication_slots",
        "max_wal_senders",
        "max_logical_replication_workers",
        "max_worker_processes",
    ] {
        let value = blue_value(ctx, db, name).await?;
        // Formulas ({DBInstanceClassMemory/...}) and unset values are AWS's: not judged here.
        values.push((name, value.as_deref().and_then(|v| v.parse::<i64>().ok())));
    }
    for (name, value) in &values {
        if *value == Some(0) {
            ctx.flag(
                &PG_REPLICATION_LIMITS,
                format!("{}: {name} is 0", db.identifier),
            );
        }
    }
    if let (Some(workers), Some(processes)) = (values[2].1, values[3].1) {
        if processes <= workers {
            let message = format!("{}: max_worker_processes ({processes}) is not above max_logical_replication_workers ({workers})", db.identifier);
            ctx.flag(&PG_REPLICATION_LIMITS, message);
        }
    }
    Ok(())
}

fn check_in_sync(ctx: &mut Context<'_>, db: &Database) {
    let mut out_of_sync = Vec::new();
    if let Some(cluster) = &db.cluster {
        for member in cluster.db_cluster_members() {
            let status = member
                .db_cluster_parameter_group_status()
                .unwrap_or("in-sync");
            if status != "in-sync" {
                out_of_sync.push((
                    member.db_instance_identifier().unwrap_or("?").to_owned(),
                    "cluster parameter group",
                    status.to_owned(),
                ));
            }
        }
    }
    for instance in &db.instances {
        for group in instance.db_parameter_groups() {
            let status = group.parameter_apply_status().unwrap_or("in-sync");
            if status != "in-sync" {
                out_of_sync.push((
                    instance.db_instance_identifier().unwrap_or("?").to_owned(),
                    "parameter group",
                    status.to_owned(),
                ));
            }
        }
    }
    for (instance, what, status) in out_of_sync {
        let fix = if status == "pending-reboot" {
            format!("reboot {instance} (reboot-db-instance), wait until it is available, then run again")
        } else {
            format!("wait until {instance}'s {what} is in-sync, then run again")
        };
        ctx.flag_with(
            &PARAMETERS_IN_SYNC,
            Severity::Block,
            format!("{} member {instance}: {what} is {status}", db.identifier),
            fix,
        );
    }
}

fn group_label(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Cluster => "DB cluster parameter group",
        GroupKind::Instance => "DB parameter group",
    }
}
