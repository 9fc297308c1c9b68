//! What a fleet execution carries: which databases (a list, a manifest in S3, or a selection
//! by the enrolment tag), the options common to them, and how the waves run.
//!
//! ```json
//! { "fleet": "pg16-december", "action": "upgrade",
//!   "targets": [ { "accountId": "111111111111", "region": "eu-west-1", "identifier": "orders",
//!                  "engine": "postgres", "wave": 1 } ],
//!   "options": { "targetEngineVersion": "16.4" },
//!   "waves": { "maxConcurrency": 4, "perAccountRegion": 2, "toleratedFailures": 0 } }
//! ```
//!
//! Unknown fields are refused, as for one database; every field is checked before anything is
//! started ([`FleetRequest::validate`]), and each database's own request is checked by the plan.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::input::{Engine, Notifications};

/// One fleet execution's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetRequest {
    /// The fleet's name: 1-16 letters, digits and hyphens. It starts every child execution's
    /// name, so the same fleet started again finds its children instead of starting new ones.
    pub fleet: String,
    /// `upgrade` (default) or `dry-run` (prechecks of every database, one report).
    #[serde(default)]
    pub action: FleetAction,
    /// What makes this run of the fleet another run (a schedule sends
    /// `<aws.scheduler.scheduled-time>`): part of every child's name, so next week's start of
    /// the same fleet starts new children while a repeated start of this one finds its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_key: Option<String>,
    /// The databases, listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<FleetTarget>>,
    /// The databases, as a CSV file in S3 (header row; see [`super::manifest`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// Every enrolled database of these accounts and Regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Vec<Selection>>,
    /// The role name of member-account.yaml's roles (without `-read`/`-create`/`-switchover`/`-delete`):
    /// a database in another account without its own `roleArn` gets
    /// `arn:aws:iam::<accountId>:role/<memberRoleName>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_role_name: Option<String>,
    /// Options for every database (a database's own `options` win).
    #[serde(default)]
    pub options: serde_json::Map<String, Value>,
    /// Options per engine, between the common ones and a database's own (target versions and
    /// parameter groups differ by engine).
    #[serde(default)]
    pub engine_options: BTreeMap<Engine, serde_json::Map<String, Value>>,
    /// How the waves run.
    #[serde(default)]
    pub waves: WavePolicy,
    /// The per-database messages: `failures` (default for a fleet: the fleet reports the rest)
    /// or `all`.
    #[serde(default = "failures_only")]
    pub database_notifications: Notifications,
    /// A date (`YYYY-MM-DD`): the report says, per database, whether Extended Support applies
    /// or will apply before it, and each wave runs the databases whose standard support ends
    /// first, first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
}

fn failures_only() -> Notifications {
    Notifications::Failures
}

/// What a fleet does to each database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FleetAction {
    #[default]
    Upgrade,
    DryRun,
}

impl FleetAction {
    /// The per-database action.
    pub fn name(self) -> &'static str {
        match self {
            FleetAction::Upgrade => "upgrade",
            FleetAction::DryRun => "dry-run",
        }
    }
}

/// One database of a listed fleet: the per-database target, its wave and its own options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub region: String,
    pub identifier: String,
    pub engine: Engine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The wave (1 when omitted); waves run in ascending order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<u32>,
    /// This database's options, over the engine's and the common ones.
    #[serde(default)]
    pub options: serde_json::Map<String, Value>,
}

/// Where the manifest is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub bucket: String,
    pub key: String,
    /// Columns to skip (e.g. `secret_name` of an older toolkit's `accounts.csv`); any other
    /// column that is not a field or an option is refused.
    #[serde(default)]
    pub ignore_columns: Vec<String>,
    /// Read exactly this version of the object (S3 `GetObject` `VersionId`; the bucket is
    /// versioned), so a later upload cannot change what this fleet runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Read the object only if its ETag is this one (S3 `GetObject` `IfMatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// Every enrolled database of one account and Region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Only these engines (all five when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<Engine>,
    /// The wave of a database without its own `rds-bluegreen:wave` tag (1 when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<u32>,
}

/// How the waves run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WavePolicy {
    /// Databases in flight at once, over the whole fleet (1-40, Step Functions' inline Map).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// Databases in flight at once in one account and Region (the RDS API's limits are per
    /// account and Region).
    #[serde(default = "default_per_account_region")]
    pub per_account_region: u32,
    /// Failed databases a wave may have (a count, or a percentage of the wave's databases as
    /// `"10%"`); one more stops the fleet before the next wave.
    #[serde(default)]
    pub tolerated_failures: Tolerance,
    /// Seconds to wait between one wave's end and the next wave's start.
    #[serde(default)]
    pub soak_seconds: u32,
    /// End the fleet after each wave that started a database (status `paused`, the wave's
    /// report and the input to go on in the message); the same input started again goes on
    /// with the next wave.
    #[serde(default)]
    pub pause_after_wave: bool,
    /// Ask a person between waves instead (after each wave that started a database, not the
    /// last): the fleet waits in the same execution for an `approve` or `reject` execution of
    /// the fleet state machine (`{"action": "approve", "fleet": "<name>"}`), at most
    /// `approvalTimeoutSeconds`; a reject or the deadline starts no later wave.
    #[serde(default)]
    pub approve_between_waves: bool,
    /// How long a between-waves approval waits (the bounds of `options.approvalTimeoutSeconds`).
    #[serde(default = "default_approval_timeout")]
    pub approval_timeout_seconds: u32,
    /// Where a database's wave comes from when it names none: `tag` (the selection's or 1) or
    /// `upgradeRolloutOrder` (RDS's own order: first, second, last are waves 1, 2, 3). The
    /// `rds-bluegreen:wave` tag, or a listed wave, always wins.
    #[serde(default)]
    pub from: WaveSource,
}

/// Where waves come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WaveSource {
    #[default]
    Tag,
    UpgradeRolloutOrder,
}

/// Failures a wave tolerates: a count (`2`) or a percentage of its databases (`"10%"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum Tolerance {
    Count(u32),
    Percent(u32),
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::Count(0)
    }
}

impl Tolerance {
    /// Failures allowed in a wave of `databases` (a percentage rounds down).
    pub fn allowed(self, databases: usize) -> usize {
        match self {
            Tolerance::Count(n) => n as usize,
            Tolerance::Percent(p) => databases * p as usize / 100,
        }
    }

    /// `2` or `10%`.
    pub fn describe(self) -> String {
        match self {
            Tolerance::Count(n) => n.to_string(),
            Tolerance::Percent(p) => format!("{p}%"),
        }
    }
}

impl TryFrom<Value> for Tolerance {
    type Error = String;
    fn try_from(value: Value) -> Result<Self, String> {
        let bad = || format!("{value} is neither a count (2) nor a percentage (\"10%\")");
        match &value {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Tolerance::Count)
                .ok_or_else(bad),
            Value::String(s) => s
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<u32>().ok())
                .filter(|p| *p <= 100)
                .map(Tolerance::Percent)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

impl From<Tolerance> for Value {
    fn from(t: Tolerance) -> Value {
        match t {
            Tolerance::Count(n) => Value::from(n),
            Tolerance::Percent(p) => Value::from(format!("{p}%")),
        }
    }
}

fn default_max_concurrency() -> u32 {
    4
}
fn default_per_account_region() -> u32 {
    2
}
fn default_approval_timeout() -> u32 {
    crate::input::DEFAULT_APPROVAL_TIMEOUT_SECONDS
}

impl Default for WavePolicy {
    fn default() -> Self {
        serde_json::from_str("{}").expect("every wave option has a default")
    }
}

/// Databases in flight at once. A Distributed Map runs up to 10,000 child workflows at once
/// (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); this keeps
/// StartExecution of the per-database machine well inside its default rate.
pub const MAX_CONCURRENCY: u32 = 1_000;
/// The longest soak between waves: a week.
pub const MAX_SOAK_SECONDS: u32 = 7 * 24 * 60 * 60;
/// The fleet name's limit: child names must fit a CloudTrail session name whole.
pub const MAX_FLEET_NAME: usize = 16;

impl FleetRequest {
    /// Parses and validates a fleet request.
    pub fn from_value(value: Value) -> Result<FleetRequest, Error> {
        let request: FleetRequest = crate::input::deserialize(
            value,
            "compare the fleet input with examples/fleet-*.json and the README's fleet section",
        )?;
        request.validate()?;
        Ok(request)
    }

    /// A fleet's name: 1-16 letters, digits and hyphens (a fleet's or an answer's `fleet`).
    pub fn check_name(fleet: &str) -> Result<(), Error> {
        let name_ok = (1..=MAX_FLEET_NAME).contains(&fleet.len())
            && fleet.starts_with(|c: char| c.is_ascii_alphanumeric())
            && fleet.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !name_ok {
            return Err(Error::invalid(
                "fleet",
                format!("`{fleet}` is not a fleet name"),
                "give 1-16 letters, digits and hyphens, e.g. `pg16-december` (it starts every child execution's name)",
            ));
        }
        Ok(())
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), Error> {
        Self::check_name(&self.fleet)?;
        let sources = [
            self.targets.is_some(),
            self.manifest.is_some(),
            self.selection.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(Error::invalid(
                "targets",
                "exactly one of targets, manifest and selection must be given",
                "list the databases in `targets`, name a CSV in `manifest`, or select enrolled databases by account and Region in `selection`",
            ));
        }
        if matches!(&self.targets, Some(t) if t.is_empty())
            || matches!(&self.selection, Some(s) if s.is_empty())
        {
            return Err(Error::invalid(
                if self.targets.is_some() {
                    "targets"
                } else {
                    "selection"
                },
                "is empty",
                "name at least one database (or one account and Region)",
            ));
        }
        if let Some(key) = &self.run_key {
            if key.is_empty() || key.len() > 64 {
                return Err(Error::invalid(
                    "runKey",
                    format!("is {} characters, not 1-64", key.len()),
                    "give a short text such as the scheduled time (`<aws.scheduler.scheduled-time>`)",
                ));
            }
        }
        if let Some(role) = &self.member_role_name {
            let ok = !role.is_empty()
                && role.len() <= 50
                && role
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !ok {
                return Err(Error::invalid(
                    "memberRoleName",
                    format!("`{role}` is not an IAM role name"),
                    "give the RolePrefix of member-account.yaml, e.g. `rds-bluegreen`",
                ));
            }
        }
        for (field, options) in std::iter::once(("options".to_owned(), &self.options)).chain(
            self.engine_options
                .iter()
                .map(|(engine, o)| (format!("engineOptions.{}", engine.api_name()), o)),
        ) {
            if options.contains_key("notifications") {
                return Err(Error::invalid(
                    format!("{field}.notifications"),
                    "is set by the fleet",
                    "use the fleet's databaseNotifications (`failures` or `all`)",
                ));
            }
        }
        if let Some(deadline) = &self.deadline {
            if crate::fleet::lifecycle::parse_date(deadline).is_none() {
                return Err(Error::invalid(
                    "deadline",
                    format!("`{deadline}` is not a date"),
                    "give a day as YYYY-MM-DD, e.g. 2027-02-28",
                ));
            }
        }
        if let Some(m) = &self.manifest {
            if m.version_id.as_deref() == Some("") || m.etag.as_deref() == Some("") {
                return Err(Error::invalid(
                    "manifest.versionId",
                    "is empty",
                    "give the object's VersionId or ETag as S3 shows it, or leave the field out",
                ));
            }
        }
        self.waves.validate()
    }
}

impl WavePolicy {
    fn validate(&self) -> Result<(), Error> {
        if !(1..=MAX_CONCURRENCY).contains(&self.max_concurrency) {
            return Err(Error::invalid(
                "waves.maxConcurrency",
                format!("is {}, outside 1-{MAX_CONCURRENCY}", self.max_concurrency),
                "give 1 to 1000 databases in flight at once",
            ));
        }
        if !(1..=self.max_concurrency).contains(&self.per_account_region) {
            return Err(Error::invalid(
                "waves.perAccountRegion",
                format!(
                    "is {}, outside 1-{} (waves.maxConcurrency)",
                    self.per_account_region, self.max_concurrency
                ),
                "give at least 1 and at most maxConcurrency",
            ));
        }
        if self.soak_seconds > MAX_SOAK_SECONDS {
            return Err(Error::invalid(
                "waves.soakSeconds",
                format!("is {}, more than a week", self.soak_seconds),
                "give at most 604800 seconds",
            ));
        }
        if self.approve_between_waves && self.pause_after_wave {
            return Err(Error::invalid(
                "waves.approveBetweenWaves",
                "and waves.pauseAfterWave are both true",
                "choose one: approveBetweenWaves waits for a person in this execution, pauseAfterWave ends it after each wave",
            ));
        }
        crate::input::check_approval_timeout(
            "waves.approvalTimeoutSeconds",
            self.approval_timeout_seconds,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<FleetRequest, Error> {
        FleetRequest::from_value(v)
    }

    fn field(e: Error) -> String {
        e.field()
            .unwrap_or_else(|| panic!("not InvalidInput: {e}"))
            .to_owned()
    }

    #[test]
    fn defaults_are_safe() {
        let r = parse(json!({"fleet": "f1", "selection": [{"region": "us-east-1"}]})).unwrap();
        assert_eq!(r.action, FleetAction::Upgrade);
        assert_eq!(r.waves.max_concurrency, 4);
        assert_eq!(r.waves.per_account_region, 2);
        assert_eq!(r.waves.tolerated_failures, Tolerance::Count(0));
        assert_eq!(r.database_notifications, Notifications::Failures);
        assert!(!r.waves.pause_after_wave);
        assert_eq!(r.waves.from, WaveSource::Tag);
    }

    #[test]
    fn approval_between_waves_is_bounded_and_not_with_a_pause() {
        let base = json!({"fleet": "f", "selection": [{"region": "us-east-1"}]});
        let r = parse(base.clone()).unwrap();
        assert!(!r.waves.approve_between_waves);
        assert_eq!(r.waves.approval_timeout_seconds, 86_400);
        let mut asked = base.clone();
        asked["waves"] = json!({"approveBetweenWaves": true, "approvalTimeoutSeconds": 300});
        let r = parse(asked).unwrap();
        assert!(r.waves.approve_between_waves);
        assert_eq!(r.waves.approval_timeout_seconds, 300);
        for (waves, named) in [
            (
                json!({"approveBetweenWaves": true, "pauseAfterWave": true}),
                "waves.approveBetweenWaves",
            ),
            (
                json!({"approveBetweenWaves": true, "approvalTimeoutSeconds": 299}),
                "waves.approvalTimeoutSeconds",
            ),
            (
                json!({"approvalTimeoutSeconds": 604_801}),
                "waves.approvalTimeoutSeconds",
            ),
        ] {
            let mut v = base.clone();
            v["waves"] = waves.clone();
            let e = parse(v).unwrap_err();
            assert_eq!(field(e), named, "{waves}");
        }
    }

    #[test]
    fn a_tolerance_is_a_count_or_a_percentage_of_the_wave() {
        let r = parse(json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "waves": {"toleratedFailures": "10%", "pauseAfterWave": true, "from": "upgradeRolloutOrder"}})).unwrap();
        assert_eq!(r.waves.tolerated_failures, Tolerance::Percent(10));
        assert_eq!(r.waves.tolerated_failures.allowed(45), 4);
        assert_eq!(Tolerance::Count(2).allowed(45), 2);
        assert_eq!(r.waves.tolerated_failures.describe(), "10%");
        assert!(r.waves.pause_after_wave);
        let back = serde_json::to_value(r.waves).unwrap();
        assert_eq!(back["toleratedFailures"], "10%");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (
                json!({"fleet": "no spaces", "targets": [{"region": "us-east-1", "identifier": "a", "engine": "mysql"}]}),
                "fleet",
            ),
            (json!({"fleet": "f"}), "targets"),
            (
                json!({"fleet": "f", "targets": [], "selection": [{"region": "us-east-1"}]}),
                "targets",
            ),
            (json!({"fleet": "f", "targets": []}), "targets"),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "waves": {"maxConcurrency": 0}}),
                "waves.maxConcurrency",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "waves": {"maxConcurrency": 2, "perAccountRegion": 3}}),
                "waves.perAccountRegion",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "waves": {"soakSeconds": 999999999}}),
                "waves.soakSeconds",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "wave": 2}),
                "wave",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "options": {"notifications": "all"}}),
                "options.notifications",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "memberRoleName": "a/b"}),
                "memberRoleName",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "waves": {"toleratedFailures": "120%"}}),
                "waves.toleratedFailures",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "waves": {"from": "rolloutOrder"}}),
                "waves.from",
            ),
            (
                json!({"fleet": "f", "selection": [{"region": "us-east-1"}], "deadline": "31/07/2026"}),
                "deadline",
            ),
            (
                json!({"fleet": "f", "manifest": {"bucket": "b", "key": "k", "versionId": ""}}),
                "manifest.versionId",
            ),
            (
                json!({"fleet": "f", "targets": [{"region": "us-east-1", "identifier": "a", "engine": "oracle"}]}),
                "targets[0].engine",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                field(parse(input.clone()).unwrap_err()),
                expected,
                "{input}"
            );
        }
    }
}
