//! Production against the baseline, difference by difference. A difference that matters
//! (verify fails, cleanup waits) is one that leaves production less protected or less
//! reachable than blue was; the others are reported in verify's answer.

use serde::{Deserialize, Serialize};

use super::Baseline;
use crate::aws::database::Database;
use crate::aws::{enrolment, proxy, roles};
use crate::error::Error;
use crate::input::{Kind, Request};
use crate::precheck::{Context, GroupKind};

/// One way production differs from what blue had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// What differs (`deletion protection`, `tag team`, `RDS Proxy orders-proxy`, ...).
    pub what: String,
    pub blue: String,
    pub production: String,
    /// True: verify fails with this difference (`VerificationFailed`) and cleanup waits.
    pub matters: bool,
    pub fix: String,
}

impl Difference {
    fn new(
        what: impl Into<String>,
        blue: impl Into<String>,
        production: impl Into<String>,
        matters: bool,
        fix: impl Into<String>,
    ) -> Self {
        Difference {
            what: what.into(),
            blue: blue.into(),
            production: production.into(),
            matters,
            fix: fix.into(),
        }
    }

    /// One line for messages.
    pub fn line(&self) -> String {
        format!(
            "{}: blue had {}, production has {}. Fix: {}",
            self.what, self.blue, self.production, self.fix
        )
    }
}

/// Every difference between production and the baseline. Reads the proxies (a target still
/// registering is `NotReady`: retried) and, for the MySQL family, production's parameter
/// groups (`read_only`).
pub async fn compare(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    production: &Database,
    old_blue: &Database,
    baseline: &Baseline,
) -> Result<Vec<Difference>, Error> {
    let mut found = settings(request, production, baseline);
    found.extend(proxies(rds, production, old_blue, baseline).await?);
    found.extend(parameter_groups(request, production));
    if request.target.engine.is_mysql_family() {
        found.extend(read_only(rds, request, production).await?);
    }
    Ok(found)
}

fn modify_command(production: &Database) -> &'static str {
    match production.kind {
        Kind::Cluster => "aws rds modify-db-cluster --db-cluster-identifier",
        Kind::Instance => "aws rds modify-db-instance --db-instance-identifier",
    }
}

/// Settings read from the database itself: deletion protection, tags, roles, logs,
/// backups, monitoring.
fn settings(request: &Request, production: &Database, baseline: &Baseline) -> Vec<Difference> {
    let now = Baseline::of(production, None);
    let modify = modify_command(production);
    let id = &production.identifier;
    let mut found = Vec::new();
    if baseline.deletion_protection && !now.deletion_protection {
        found.push(Difference::new(
            "deletion protection",
            "on",
            "off",
            true,
            format!("{modify} {id} --deletion-protection --apply-immediately"),
        ));
    }
    for (key, value) in &baseline.tags {
        let have = now.tags.get(key);
        if have != Some(value) {
            // Without the enrolment tag the product's IAM conditions refuse every later step.
            let matters = key == enrolment::KEY;
            found.push(Difference::new(
                format!("tag {key}"),
                format!("`{value}`"),
                have.map_or("none".to_owned(), |v| format!("`{v}`")),
                matters,
                format!("aws rds add-tags-to-resource --resource-name {} --tags Key={key},Value={value}", production.arn),
            ));
        }
    }
    let restoring = request.options.restore_associated_roles;
    let wanted: Vec<_> = baseline
        .associated_roles
        .iter()
        .filter(|r| r.status != "INVALID")
        .cloned()
        .collect();
    for role in roles::missing(production, &wanted) {
        let command = match production.kind {
            Kind::Cluster => "add-role-to-db-cluster --db-cluster-identifier",
            Kind::Instance => "add-role-to-db-instance --db-instance-identifier",
        };
        let feature = role
            .feature_name
            .as_deref()
            .map(|f| format!(" --feature-name {f}"))
            .unwrap_or_default();
        found.push(Difference::new(
            format!("associated IAM role {}", role.describe()),
            "it associated",
            "it missing",
            restoring,
            format!("aws rds {command} {id} --role-arn {}{feature}{}", role.role_arn, if restoring { " (options.restoreAssociatedRoles is on: the switchover function's restore-roles operation does this; run it again)" } else { " (options.restoreAssociatedRoles is false)" }),
        ));
    }
    if baseline.log_exports != now.log_exports {
        found.push(Difference::new("CloudWatch Logs exports", list(&baseline.log_exports), list(&now.log_exports), false, format!("{modify} {id} --cloudwatch-logs-export-configuration '{{\"EnableLogTypes\":[...]}}' if the difference is not intended")));
    }
    if baseline.backup_retention_days != now.backup_retention_days {
        let lost = baseline.backup_retention_days > 0 && now.backup_retention_days == 0;
        found.push(Difference::new(
            "backup retention",
            format!("{} days", baseline.backup_retention_days),
            format!("{} days", now.backup_retention_days),
            lost,
            format!(
                "{modify} {id} --backup-retention-period {} --apply-immediately",
                baseline.backup_retention_days
            ),
        ));
    }
    if baseline.monitoring_interval != now.monitoring_interval {
        found.push(Difference::new(
            "Enhanced Monitoring interval",
            format!("{} s", baseline.monitoring_interval),
            format!("{} s", now.monitoring_interval),
            false,
            format!(
                "{modify} {id} --monitoring-interval {} (with --monitoring-role-arn)",
                baseline.monitoring_interval
            ),
        ));
    }
    if baseline.performance_insights != now.performance_insights {
        found.push(Difference::new(
            "Performance Insights",
            on_off(baseline.performance_insights),
            on_off(now.performance_insights),
            false,
            format!("{modify} {id} --enable-performance-insights if it is still wanted"),
        ));
    }
    found
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// Every proxy that targeted blue targets production, healthy; none targets old blue.
/// AWS ("Using RDS Proxy with Blue/Green Deployments"): after switchover the proxy routes to
/// green and DescribeDBProxyTargets shows it once the switchover has fully completed.
async fn proxies(
    rds: &aws_sdk_rds::Client,
    production: &Database,
    old_blue: &Database,
    baseline: &Baseline,
) -> Result<Vec<Difference>, Error> {
    let production_names = proxy::names_of(production);
    let old_names = proxy::names_of(old_blue);
    let mut names = production_names.clone();
    names.extend(old_names.iter().cloned());
    let now = proxy::targeting(rds, &names).await?;
    let mut found = Vec::new();
    for name in proxy::proxy_names(&baseline.proxy_targets) {
        let to_production: Vec<_> = now
            .iter()
            .filter(|t| t.proxy == name && t.names_any(&production_names))
            .collect();
        if to_production.is_empty() {
            found.push(Difference::new(format!("RDS Proxy {name}"), format!("a target {}", baseline.identifier), "no target on production", true, format!("register production with the proxy (aws rds register-db-proxy-targets --db-proxy-name {name} --db-{} {}) and check it is AVAILABLE", target_flag(production), production.identifier)));
            continue;
        }
        if let Some(t) = to_production.iter().find(|t| t.health == "REGISTERING") {
            return Err(Error::NotReady {
                reason: format!(
                    "RDS Proxy {name}'s target {} on production is still REGISTERING",
                    t.target
                ),
            });
        }
        for t in to_production.iter().filter(|t| t.health != "AVAILABLE") {
            found.push(Difference::new(format!("RDS Proxy {name}"), "a healthy target", format!("target {} {}", t.target, t.health_text()), true, format!("look at the proxy's target health (aws rds describe-db-proxy-targets --db-proxy-name {name}) and its CloudWatch logs; the proxy must reach production")));
        }
    }
    for t in now.iter().filter(|t| t.names_any(&old_names)) {
        found.push(Difference::new(format!("RDS Proxy {}", t.proxy), "blue as its target", format!("old blue {} still as its target", t.target), true, format!("deregister old blue (aws rds deregister-db-proxy-targets --db-proxy-name {} --db-{} {}) and register production", t.proxy, target_flag(old_blue), t.target)));
    }
    Ok(found)
}

fn target_flag(db: &Database) -> &'static str {
    match db.kind {
        Kind::Cluster => "cluster-identifiers",
        Kind::Instance => "instance-identifiers",
    }
}

/// The parameter groups the request asked green to use are production's.
fn parameter_groups(request: &Request, production: &Database) -> Vec<Difference> {
    let mut found = Vec::new();
    if let (Some(wanted), Some(cluster)) = (
        &request.options.target_db_cluster_parameter_group_name,
        &production.cluster,
    ) {
        let have = cluster.db_cluster_parameter_group().unwrap_or_default();
        if have != wanted {
            found.push(Difference::new("DB cluster parameter group", format!("`{wanted}` asked for"), format!("`{have}`"), true, format!("aws rds modify-db-cluster --db-cluster-identifier {} --db-cluster-parameter-group-name {wanted}, then reboot the writer", production.identifier)));
        }
    }
    if let Some(wanted) = &request.options.target_db_parameter_group_name {
        for i in &production.instances {
            let names: Vec<&str> = i
                .db_parameter_groups()
                .iter()
                .filter_map(|g| g.db_parameter_group_name())
                .collect();
            if !names.contains(&wanted.as_str()) {
                let id = i.db_instance_identifier().unwrap_or_default();
                found.push(Difference::new(format!("DB parameter group of {id}"), format!("`{wanted}` asked for"), format!("`{}`", names.join(", ")), true, format!("aws rds modify-db-instance --db-instance-identifier {id} --db-parameter-group-name {wanted}, then reboot it")));
            }
        }
    }
    found
}

/// MySQL family: production's parameter groups do not set `read_only` on (old blue stays
/// read-only after switchover; production must take writes). Only an explicit value is
/// visible through the API; `{TrueIfReplica}` (RDS's default) is off on a primary.
async fn read_only(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    production: &Database,
) -> Result<Vec<Difference>, Error> {
    let mut groups: Vec<(GroupKind, String)> = Vec::new();
    if let Some(name) = production
        .cluster
        .as_ref()
        .and_then(|c| c.db_cluster_parameter_group())
    {
        groups.push((GroupKind::Cluster, name.to_owned()));
    }
    for i in &production.instances {
        for g in i
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
        {
            if !groups
                .iter()
                .any(|(k, n)| *k == GroupKind::Instance && n == g)
            {
                groups.push((GroupKind::Instance, g.to_owned()));
            }
        }
    }
    let mut ctx = Context::new(rds, request, Some(production));
    let mut found = Vec::new();
    for (kind, name) in groups {
        let Some(group) = ctx.group(kind, &name).await? else {
            continue;
        };
        if let Some(value) = group.value("read_only") {
            if matches!(value.to_ascii_lowercase().as_str(), "1" | "on" | "true") {
                found.push(Difference::new(format!("`read_only` in parameter group {name}"), "off", format!("`{value}`"), true, format!("set read_only to 0 (or {{TrueIfReplica}}) in {name}, or give production a group without it; production must take writes")));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::{DbInstance, DbInstanceRole, Tag};
    use serde_json::json;

    fn instance(protected: bool, backups: i32, team: &str, role: bool) -> Database {
        let mut i = DbInstance::builder()
            .db_instance_identifier("orders")
            .db_instance_arn("arn:aws:rds:us-east-1:123456789012:db:orders")
            .dbi_resource_id("db-1")
            .deletion_protection(protected)
            .backup_retention_period(backups)
            .enabled_cloudwatch_logs_exports("postgresql")
            .tag_list(enrolment::tag())
            .tag_list(Tag::builder().key("team").value(team).build());
        if role {
            i = i.associated_roles(
                DbInstanceRole::builder()
                    .role_arn("arn:aws:iam::123456789012:role/s3")
                    .feature_name("s3Import")
                    .status("ACTIVE")
                    .build(),
            );
        }
        Database {
            kind: Kind::Instance,
            identifier: "orders".into(),
            arn: "arn:aws:rds:us-east-1:123456789012:db:orders".into(),
            resource_id: "db-1".into(),
            engine: "postgres".into(),
            engine_version: "16.4".into(),
            status: "available".into(),
            cluster: None,
            instances: vec![i.build()],
        }
    }

    fn request(options: serde_json::Value) -> Request {
        Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "postgres"}, "options": options})).unwrap()
    }

    #[test]
    fn what_matters_and_what_is_only_reported() {
        let blue = Baseline::of(&instance(true, 7, "payments", true), Some(Vec::new()));
        let same = settings(
            &request(json!({})),
            &instance(true, 7, "payments", true),
            &blue,
        );
        assert!(same.is_empty(), "{same:?}");

        let found = settings(
            &request(json!({})),
            &instance(false, 0, "other", false),
            &blue,
        );
        let by = |what: &str| {
            found
                .iter()
                .find(|d| d.what.starts_with(what))
                .unwrap_or_else(|| panic!("{what}: {found:?}"))
        };
        assert!(by("deletion protection").matters);
        assert!(by("deletion protection")
            .fix
            .contains("--deletion-protection"));
        assert!(by("backup retention").matters, "backups turned off");
        assert!(!by("tag team").matters, "a tag value is cosmetic");
        let role = by("associated IAM role");
        assert!(role.matters && role.fix.contains("add-role-to-db-instance --db-instance-identifier orders --role-arn arn:aws:iam::123456789012:role/s3 --feature-name s3Import"), "{role:?}");

        // With restoreAssociatedRoles off the missing role is reported, not failed on.
        let off = settings(
            &request(json!({"restoreAssociatedRoles": false})),
            &instance(true, 7, "payments", false),
            &blue,
        );
        assert_eq!(off.len(), 1);
        assert!(!off[0].matters && off[0].fix.contains("restoreAssociatedRoles is false"));
    }
}
