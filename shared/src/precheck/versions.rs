//! Versions and classes: the target version is a valid upgrade target of the source, the
//! PostgreSQL source is recent enough for logical replication, and green's instance classes
//! are offered for the version green will run.

use super::rule::{Rule, CREATING_PAGE};
use super::{Context, Severity};
use crate::aws::database::Database;
use crate::error::Error;
use crate::input::Kind;

pub const TARGET_VERSION_VALID: Rule = Rule {
    id: "target-version-valid",
    severity: Severity::Block,
    checks: "options.targetEngineVersion is in the source version's ValidUpgradeTarget (DescribeDBEngineVersions)",
    fix: "choose a version from the valid upgrade targets listed, or upgrade in two steps",
    source: "seed 002 step 1.3 (describe-db-engine-versions); seed 000 troubleshooting (InvalidParameterCombination)",
};

pub const PG_MIN_VERSION: Rule = Rule {
    id: "pg-min-version",
    severity: Severity::Block,
    checks: "a PostgreSQL source that replicates logically runs at least 11.21, 12.16, 13.12, 14.9, 15.4, 16.1 or 17.4",
    fix: "upgrade blue in place to the minimum minor version of its major version first, then run again",
    source: CREATING_PAGE,
};

pub const INSTANCE_CLASS_ORDERABLE: Rule = Rule {
    id: "instance-class-orderable",
    severity: Severity::Block,
    checks: "green's instance classes are offered for the version green runs (DescribeOrderableDBInstanceOptions), when the version or class changes",
    fix: "choose an instance class offered for the target version (options.targetDbInstanceClass for RDS; modify blue's instances for Aurora), or another version",
    source: "seed 000 troubleshooting (InvalidParameterCombination); AWS API: DescribeOrderableDBInstanceOptions",
};

/// The minimum minor version per PostgreSQL major version for Blue/Green logical replication.
const PG_MINIMUMS: [(u32, u32); 7] = [
    (11, 21),
    (12, 16),
    (13, 12),
    (14, 9),
    (15, 4),
    (16, 1),
    (17, 4),
];

pub async fn check(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    if let Some(to) = ctx.target_version() {
        check_upgrade_target(ctx, db, to).await?;
    }
    if ctx.uses_logical_replication() {
        if let Some(minimum) = pg_minimum_missed(&db.engine_version) {
            ctx.flag(
                &PG_MIN_VERSION,
                format!(
                    "{} runs PostgreSQL {}, below {minimum} needed for logical replication",
                    db.identifier, db.engine_version
                ),
            );
        }
    }
    check_orderable(ctx, db).await
}

async fn check_upgrade_target(ctx: &mut Context<'_>, db: &Database, to: &str) -> Result<(), Error> {
    let Some(current) = ctx.engine_version(&db.engine_version).await? else {
        ctx.not_checked(
            TARGET_VERSION_VALID.id,
            format!(
                "DescribeDBEngineVersions does not list {} {}",
                db.engine, db.engine_version
            ),
        );
        return Ok(());
    };
    let valid: Vec<&str> = current
        .valid_upgrade_target()
        .iter()
        .filter_map(|t| t.engine_version())
        .collect();
    if !valid.contains(&to) {
        let listed = if valid.is_empty() {
            "none".to_owned()
        } else {
            valid.join(", ")
        };
        let message = format!(
            "{} cannot be upgraded from {} to {to}; valid targets: {listed}",
            db.identifier, db.engine_version
        );
        ctx.flag(&TARGET_VERSION_VALID, message);
    }
    Ok(())
}

/// The minimum the version misses (`"15.4"`), or `None` when it is recent enough.
fn pg_minimum_missed(version: &str) -> Option<String> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next().flatten()?;
    let minor = parts.next().flatten().unwrap_or(0);
    let (first, first_minor) = PG_MINIMUMS[0];
    if major < first {
        return Some(format!("{first}.{first_minor}"));
    }
    let (_, needed) = PG_MINIMUMS.iter().find(|(m, _)| *m == major)?;
    (minor < *needed).then(|| format!("{major}.{needed}"))
}

async fn check_orderable(ctx: &mut Context<'_>, db: &Database) -> Result<(), Error> {
    let wanted_class = ctx.request.options.target_db_instance_class.clone();
    let Some(version) = ctx
        .target_version()
        .map(str::to_owned)
        .or_else(|| wanted_class.as_ref().map(|_| db.engine_version.clone()))
    else {
        return Ok(()); // same version, same classes: what runs blue is offered
    };
    let mut classes: Vec<String> = match (db.kind, wanted_class) {
        (Kind::Instance, Some(class)) => vec![class],
        _ => db
            .instances
            .iter()
            .filter_map(|i| i.db_instance_class().map(str::to_owned))
            .collect(),
    };
    classes.sort();
    classes.dedup();
    let mut missing = Vec::new();
    for class in classes {
        if !orderable(ctx, &version, Some(&class)).await? {
            missing.push(class);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    // No options at all means the API lists nothing for this version (checked by
    // target-version-valid), not that these classes are refused.
    if !orderable(ctx, &version, None).await? {
        let reason = format!(
            "DescribeOrderableDBInstanceOptions lists no instance classes for {} {version}",
            db.engine
        );
        ctx.not_checked(INSTANCE_CLASS_ORDERABLE.id, reason);
        return Ok(());
    }
    let message = format!(
        "{}: instance class {} is not offered for {} {version}",
        db.identifier,
        missing.join(", "),
        db.engine
    );
    ctx.flag(&INSTANCE_CLASS_ORDERABLE, message);
    Ok(())
}

/// Whether the API offers the class (or, with `None`, any class) for the engine version.
async fn orderable(ctx: &Context<'_>, version: &str, class: Option<&str>) -> Result<bool, Error> {
    let out = ctx
        .rds
        .describe_orderable_db_instance_options()
        .engine(ctx.engine().api_name())
        .engine_version(version)
        .set_db_instance_class(class.map(str::to_owned))
        .max_records(20)
        .send()
        .await
        .map_err(|e| Error::from_sdk("DescribeOrderableDBInstanceOptions", e))?;
    let options = out.orderable_db_instance_options();
    // Compare the class again: the filter is AWS's, and an emulator may ignore it.
    Ok(match class {
        Some(class) => options.iter().any(|o| o.db_instance_class() == Some(class)),
        None => !options.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_minimums() {
        assert_eq!(pg_minimum_missed("15.3").as_deref(), Some("15.4"));
        assert_eq!(pg_minimum_missed("15.4"), None);
        assert_eq!(pg_minimum_missed("11.20").as_deref(), Some("11.21"));
        assert_eq!(pg_minimum_missed("17.2").as_deref(), Some("17.4"));
        assert_eq!(pg_minimum_missed("10.23").as_deref(), Some("11.21"));
        assert_eq!(pg_minimum_missed("18.1"), None);
        assert_eq!(pg_minimum_missed("16.1"), None);
    }
}
