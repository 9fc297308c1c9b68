//! Every metric the product emits, defined once: name, unit, dimension set, who emits it.
//!
//! The template's dashboard and alarms may name only these (the contract test
//! `tests/tests/contract/metrics.rs` checks every widget and alarm against [`ALL`]), and
//! docs/metrics.md is their table. Dimensions stay few and bounded (engine, action, outcome,
//! error name, stage, rule, severity, status, channel): never a database name, so a fleet of
//! thousands costs the same number of metrics as one database.

/// The one CloudWatch namespace of the product's own metrics.
pub const NAMESPACE: &str = "RdsBlueGreen";

/// A CloudWatch unit (the EMF `Unit` member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Count,
}

impl Unit {
    /// The name CloudWatch uses.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "Seconds",
            Unit::Count => "Count",
        }
    }
}

/// A dimension a metric may carry. Each has a small, bounded set of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// `aurora-mysql`, `mysql`, ... (the request's engine).
    Engine,
    /// `upgrade`, `dry-run`, `switchover`, `cleanup`, `abandon`.
    Action,
    /// `success`, `failure`, `action-needed`, ... (the notification's outcome).
    Outcome,
    /// An error name of README's table, or a `States.*` name.
    Error,
    /// A stage of the workflow (`green-creating`, ...).
    Stage,
    /// A precheck rule id.
    Rule,
    /// `block` or `warn`.
    Severity,
    /// A fleet database's status (`succeeded`, `failed`, ...).
    Status,
    /// `sns` or `slack`.
    Channel,
    /// The lock table's name (one per stack).
    LockTable,
}

impl Dim {
    /// The dimension's name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Dim::Engine => "Engine",
            Dim::Action => "Action",
            Dim::Outcome => "Outcome",
            Dim::Error => "Error",
            Dim::Stage => "Stage",
            Dim::Rule => "Rule",
            Dim::Severity => "Severity",
            Dim::Status => "Status",
            Dim::Channel => "Channel",
            Dim::LockTable => "LockTable",
        }
    }
}

/// One metric: what it is called, measures and carries, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    pub name: &'static str,
    pub unit: Unit,
    /// The one dimension set it is published with (its order is the EMF order).
    pub dimensions: &'static [Dim],
    /// Which function emits it, and when.
    pub emitted_by: &'static str,
    /// What it measures, for docs/metrics.md.
    pub meaning: &'static str,
}

macro_rules! metrics {
    ($($id:ident = $name:literal, $unit:ident, [$($dim:ident),*], $by:literal, $meaning:literal;)*) => {
        $(
            #[doc = $meaning]
            pub const $id: MetricDef = MetricDef {
                name: $name,
                unit: Unit::$unit,
                dimensions: &[$(Dim::$dim),*],
                emitted_by: $by,
                meaning: $meaning,
            };
        )*
        /// Every metric the code emits (the dashboard and alarms may use only these).
        pub const ALL: &[MetricDef] = &[$($id),*];
    };
}

metrics! {
    GREEN_BUILD_TIME = "GreenBuildTime", Seconds, [Engine],
        "poll-status, at the green loop's poll that finds green ready",
        "From RDS's CreateTime of the deployment to the poll that found green ready (the readiness gate, not only AVAILABLE).";
    TIME_TO_READY = "TimeToReady", Seconds, [Engine],
        "notify, at green-ready",
        "From the execution's start (precheck, create) to green ready.";
    SWITCHOVER_DURATION = "SwitchoverDuration", Seconds, [Engine],
        "notify, at verified",
        "RDS's own switchover time: RDS-EVENT-0247 (started) to RDS-EVENT-0248 (completed).";
    CLEANUP_TIME = "CleanupTime", Seconds, [Engine],
        "notify, at old-blue-deleted",
        "From the start of the cleanup (the event's stageSince, or the start of a `cleanup` execution) to old blue deleted.";
    UPGRADE_TIME = "UpgradeTime", Seconds, [Engine, Action],
        "notify, at done and abandoned",
        "The whole execution, from its start to its successful end (grace period included).";
    OUTCOMES = "Outcomes", Count, [Action, Outcome],
        "notify, at every end (done, abandoned, awaiting-approval, dry-run-report, a failure)",
        "Executions by how they ended, as the state machine reported it.";
    FAILURES = "Failures", Count, [Error],
        "notify, at a failure the state machine caught",
        "Failed executions by error name (README's table).";
    POLLS = "Polls", Count, [Stage],
        "notify, at the end of each wait loop, counted from the execution's history",
        "Status reads of a wait loop until it was over: every call of its step and every read its listening wait made before waiting (metrics::reads).";
    TRANSIENT_ERRORS = "TransientErrors", Count, [Error],
        "every function, when a step answers NotReady or Retryable",
        "Errors the state machine retries (each one is a retry, or the last failure past the retry budget).";
    PRECHECK_FINDINGS = "PrecheckFindings", Count, [Rule, Severity],
        "precheck, after each run (upgrade and dry-run)",
        "Findings by rule id and severity.";
    FLEET_DATABASES = "FleetDatabases", Count, [Status],
        "notify, at a fleet's report",
        "A fleet's databases by how they ended.";
    NOTIFICATION_FAILURES = "NotificationFailures", Count, [Channel],
        "notify, when a channel did not deliver",
        "Notifications SNS or Slack did not take (after Slack's retries).";
    UPGRADES_IN_FLIGHT = "UpgradesInFlight", Count, [Stage],
        "precheck, operation status (the board)",
        "Locks held by a running upgrade, by the stage the lock item names.";
    STALE_LOCKS = "StaleLocks", Count, [LockTable],
        "precheck, operation status (the board)",
        "Locks older than the board's bound (staleAfterSeconds).";
    OLDEST_LOCK_AGE = "OldestLockAge", Seconds, [LockTable],
        "precheck, operation status (the board)",
        "Age of the oldest lock in the table (0 when none).";
    LOCK_RELEASE_FAILED = "LockReleaseFailed", Count, [Action],
        "whoever releases a lock, when the release failed",
        "Lock releases that failed (the lock stays until released again or it expires).";
}

/// The metric called `name`, if the code emits one.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    ALL.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_dimension_sets_small() {
        for (i, m) in ALL.iter().enumerate() {
            assert!(
                ALL[i + 1..].iter().all(|o| o.name != m.name),
                "{} twice",
                m.name
            );
            assert!(
                !m.dimensions.is_empty() && m.dimensions.len() <= 2,
                "{}: 1-2 dimensions",
                m.name
            );
        }
        assert_eq!(find("LockReleaseFailed"), Some(&LOCK_RELEASE_FAILED));
        assert_eq!(find("DatabaseName"), None);
    }
}
