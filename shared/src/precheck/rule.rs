//! A rule's fixed parts: its id, usual severity, what it checks, the fix and its source.
//! Each rule module declares its rules as constants; [`CATALOGUE`] lists them all so the
//! documentation table can be checked against the code.

use super::Severity;

/// One precheck rule. The message (naming the database and the value found) is made when
/// the rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// The usual severity; a few rules raise or lower it from what they find.
    pub severity: Severity,
    /// What the rule checks, for the documentation.
    pub checks: &'static str,
    /// What to do when it fires.
    pub fix: &'static str,
    /// Where the rule comes from: an AWS page, a seed, an issue thread.
    pub source: &'static str,
}

/// The AWS page most rules come from.
pub(super) const LIMITATIONS_PAGE: &str =
    "AWS: Limitations and considerations for Amazon RDS / Aurora blue/green deployments";
/// The AWS page on preparing the source for a deployment.
pub(super) const CREATING_PAGE: &str =
    "AWS: Creating a blue/green deployment (preparing the source)";

/// Every rule the precheck can report, in report order.
pub const CATALOGUE: &[&Rule] = &[
    &super::source::SOURCE_EXISTS,
    &super::source::ENGINE_SUPPORTED,
    &super::source::ENGINE_MATCHES,
    &super::source::ENROLLED,
    &super::source::SOURCE_AVAILABLE,
    &super::source::AUTOMATED_BACKUPS,
    &super::source::DELETION_PROTECTION,
    &super::unsupported::MANAGED_MASTER_PASSWORD,
    &super::unsupported::SERVERLESS_V1,
    &super::unsupported::MULTI_AZ_DB_CLUSTER,
    &super::unsupported::BACKTRACK,
    &super::unsupported::GLOBAL_DATABASE,
    &super::unsupported::GLOBAL_DATABASE_SECONDARY,
    &super::global::GLOBAL_FAILOVER_IN_FLIGHT,
    &super::global::GLOBAL_PARAMETER_GROUPS,
    &super::unsupported::OPTION_GROUP_MAJOR_UPGRADE,
    &super::replication::SOURCE_IS_REPLICA,
    &super::replication::CROSS_REGION_REPLICA,
    &super::replication::CASCADING_REPLICA,
    &super::replication::EXISTING_DEPLOYMENT,
    &super::replication::RESUMED_DEPLOYMENT,
    &super::versions::TARGET_VERSION_VALID,
    &super::versions::PG_MIN_VERSION,
    &super::versions::INSTANCE_CLASS_ORDERABLE,
    &super::parameters::TARGET_GROUP_EXISTS,
    &super::parameters::TARGET_GROUP_FAMILY,
    &super::parameters::TARGET_GROUP_DEFAULT,
    &super::parameters::BINLOG_FORMAT,
    &super::parameters::LOGICAL_REPLICATION,
    &super::parameters::PG_REPLICATION_LIMITS,
    &super::parameters::SYNCHRONOUS_COMMIT,
    &super::parameters::EVENT_SCHEDULER,
    &super::parameters::PARAMETERS_IN_SYNC,
    &super::storage::STORAGE_CONFIG,
    &super::maintenance::PENDING_MAINTENANCE,
    &super::permissions::PERMISSIONS,
    &super::proxy::PROXY_TARGET,
    &super::proxy::PROXY_NOT_READY,
    &super::proxy::PROXY_ENGINE_FAMILY,
    &super::proxy::PROXY_GLOBAL_DATABASE,
    &super::not_copied::ASSOCIATED_ROLES,
    &super::not_copied::ZERO_ETL,
    &super::not_copied::EVENT_SUBSCRIPTIONS,
    &super::not_copied::PG_STATISTICS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_complete() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in CATALOGUE {
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
            assert!(
                rule.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.id
            );
            assert!(
                !rule.fix.is_empty() && !rule.source.is_empty() && !rule.checks.is_empty(),
                "{}",
                rule.id
            );
        }
    }

    /// The documentation table names every rule and every SQL-only prerequisite.
    #[test]
    fn docs_list_every_rule() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/prechecks.md"))
                .expect("docs/prechecks.md");
        for rule in CATALOGUE {
            assert!(
                doc.contains(&format!("`{}`", rule.id)),
                "docs/prechecks.md lacks `{}`",
                rule.id
            );
        }
        for (id, _, _) in super::super::sql_only::SQL_ONLY {
            assert!(
                doc.contains(&format!("`{id}`")),
                "docs/prechecks.md lacks `{id}`"
            );
        }
    }
}
