//! What an execution carries: the database to act on, the action and its options.
//!
//! This is the JSON a person pastes into the Step Functions console or an EventBridge
//! schedule sends. Unknown fields are rejected (a misspelt option must not be silently
//! ignored on a production database), and [`Request::validate`] names the field and the fix
//! before any AWS call that changes anything.
//!
//! ```json
//! {
//!   "action": "upgrade",
//!   "target": { "accountId": "123456789012", "region": "eu-west-1",
//!               "identifier": "orders", "engine": "aurora-mysql" },
//!   "options": { "targetEngineVersion": "8.0.mysql_aurora.3.08.0",
//!                "targetDbClusterParameterGroupName": "orders-80" }
//! }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::window::Window;

/// One execution's request. Every function receives it (as `request`) from the state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    /// What to do; the full upgrade when omitted.
    #[serde(default)]
    pub action: Action,
    /// The one database this execution acts on.
    pub target: Target,
    /// Everything else, each with a safe default.
    #[serde(default)]
    pub options: Options,
    /// With `approve` or `reject`: who answers, how and why ([`crate::input::Approval`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

/// Who answers an approval wait, from where and why. Who started the execution is also in
/// CloudTrail and the execution itself; `by` defaults to the execution's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// The person, e.g. `slack:U012 (jane)` or an IAM principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Where the answer came from: `slack`, `console`, `cli`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Free text shown in the next message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Which wait this answers: `switchover` (the default) or `cleanup`. An answer takes only
    /// a wait of its own purpose, so an approve meant for a switchover can never delete old
    /// blue ([`crate::waits::ApprovalFor`]).
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<crate::waits::ApprovalFor>,
    /// The ARN of the execution whose question this answers (Slack's buttons carry it). Given,
    /// the answer takes the wait only while that execution holds it, so an old message's
    /// answer never reaches a newer question about the same database or fleet (it is told
    /// `NotThisQuestion`, nothing changed). Without it, whichever execution waits is answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
}

/// The longest `approval.by`/`via`/`reason` accepted (they go into messages and state).
const MAX_APPROVAL_TEXT: usize = 500;

impl Approval {
    /// Each text short enough for a message, and the asking execution (when given) an
    /// execution's ARN: a database's answer or a fleet's.
    pub fn check(&self) -> Result<(), Error> {
        self.check_texts()?;
        match &self.execution {
            Some(arn) if !is_execution_arn(arn) => Err(Error::invalid(
                "approval.execution",
                "is not a Step Functions execution ARN",
                "give the ARN of the execution that asked (arn:aws:states:<region>:<account>:execution:<state machine>:<name>, as its approval message names it), or leave approval.execution out to answer whichever execution waits",
            )),
            _ => Ok(()),
        }
    }

    /// Each text short enough for a message.
    fn check_texts(&self) -> Result<(), Error> {
        for (field, value) in [
            ("approval.by", &self.by),
            ("approval.via", &self.via),
            ("approval.reason", &self.reason),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > MAX_APPROVAL_TEXT)
            {
                return Err(Error::invalid(
                    field,
                    format!("is longer than {MAX_APPROVAL_TEXT} characters"),
                    "shorten it",
                ));
            }
        }
        Ok(())
    }
}

/// `arn:<partition>:states:<region>:<12 digits>:execution:<state machine>:<name>`, names of
/// 1-80 letters, digits, `-` or `_` (Step Functions' names, StartExecution).
pub(crate) fn is_execution_arn(arn: &str) -> bool {
    let name = |s: &str| {
        (1..=80).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let parts: Vec<&str> = arn.split(':').collect();
    let [arn_, partition, service, region, account, kind, machine, execution] = parts[..] else {
        return false;
    };
    arn_ == "arn"
        && partition
            .strip_prefix("aws")
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        && service == "states"
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && kind == "execution"
        && name(machine)
        && name(execution)
}

/// The workflows the state machine offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Precheck, create green, switch over, clean up.
    #[default]
    Upgrade,
    /// Prechecks only: a report, nothing changed.
    DryRun,
    /// Resume an existing deployment at switchover (after a `manual` stop).
    Switchover,
    /// Delete old blue now (after switchover).
    Cleanup,
    /// Remove green before switchover; blue is untouched.
    Abandon,
    /// Answer a waiting approval (`switchoverMode: approval`) with yes: the upgrade goes on.
    Approve,
    /// Answer a waiting approval with no: the upgrade ends, green is kept.
    Reject,
}

impl Action {
    /// The name the input uses (`upgrade`, `dry-run`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Action::Upgrade => "upgrade",
            Action::DryRun => "dry-run",
            Action::Switchover => "switchover",
            Action::Cleanup => "cleanup",
            Action::Abandon => "abandon",
            Action::Approve => "approve",
            Action::Reject => "reject",
        }
    }

    /// `approve` and `reject` answer another execution's wait: they neither take the lock
    /// nor change the database.
    pub fn answers_approval(self) -> bool {
        matches!(self, Action::Approve | Action::Reject)
    }
}

/// The database, named with its own account, Region and (for another account) role, so the
/// same input works for one database or a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// The 12-digit account that owns the database; checked against the database's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The Region of the database, e.g. `eu-west-1`.
    pub region: String,
    /// The DB cluster identifier (Aurora) or DB instance identifier (RDS).
    pub identifier: String,
    /// The engine the database is expected to run; a mismatch stops the workflow.
    pub engine: Engine,
    /// The member account's roles without their kind (`arn:aws:iam::ACCOUNT:role/rds-bluegreen`,
    /// member-account.yaml): each function assumes `<roleArn>-read`, `-create`, `-switchover` or `-delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// The engines Blue/Green supports and this product automates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    AuroraMysql,
    AuroraPostgresql,
    Mysql,
    Postgres,
    Mariadb,
}

impl Engine {
    /// Every engine, for error messages and tests.
    pub const ALL: [Engine; 5] = [
        Engine::AuroraMysql,
        Engine::AuroraPostgresql,
        Engine::Mysql,
        Engine::Postgres,
        Engine::Mariadb,
    ];

    /// The engine name the RDS API uses.
    pub fn api_name(self) -> &'static str {
        match self {
            Engine::AuroraMysql => "aurora-mysql",
            Engine::AuroraPostgresql => "aurora-postgresql",
            Engine::Mysql => "mysql",
            Engine::Postgres => "postgres",
            Engine::Mariadb => "mariadb",
        }
    }

    /// Parses the RDS API's engine name.
    pub fn from_api_name(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.api_name() == name)
    }

    /// Aurora engines are DB clusters; the others DB instances.
    pub fn kind(self) -> Kind {
        match self {
            Engine::AuroraMysql | Engine::AuroraPostgresql => Kind::Cluster,
            _ => Kind::Instance,
        }
    }

    /// MySQL-compatible engines (binlog replication).
    pub fn is_mysql_family(self) -> bool {
        matches!(self, Engine::AuroraMysql | Engine::Mysql | Engine::Mariadb)
    }

    /// PostgreSQL engines (logical replication).
    pub fn is_postgres_family(self) -> bool {
        matches!(self, Engine::AuroraPostgresql | Engine::Postgres)
    }
}

/// Whether the database is an Aurora DB cluster or an RDS DB instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Cluster,
    Instance,
}

/// How the workflow reaches switchover once green is ready.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchoverMode {
    /// Switch over as soon as green is ready.
    #[default]
    Auto,
    /// Switch over inside the window `options.switchoverAt` .. `options.switchoverNotAfter`,
    /// never outside it.
    Window,
    /// Stop "ready for switchover"; a new execution with action `switchover` continues.
    Manual,
    /// Wait, in the same execution, for a person's `approve` or `reject` (at most
    /// `options.approvalTimeoutSeconds`), then switch over as `auto` (or inside the window).
    Approval,
}

/// What happens once the grace period after the switchover has passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CleanupMode {
    /// Delete old blue (after its final snapshot).
    #[default]
    Auto,
    /// Ask first: wait, in the same execution, for an `approve` or `reject` with
    /// `"approval": {"for": "cleanup"}` (at most `options.approvalTimeoutSeconds`). Reject or
    /// no answer keeps old blue; the `cleanup` action deletes it later.
    Approval,
}

/// The options of a request. Storage and instance-class options apply to RDS instances only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// The deployment's name; derived from the target and version when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_name: Option<String>,
    /// The engine version green runs; must be a valid upgrade target of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_engine_version: Option<String>,
    /// The DB parameter group of green's instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_db_parameter_group_name: Option<String>,
    /// The DB cluster parameter group of green (Aurora only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_db_cluster_parameter_group_name: Option<String>,
    /// RDS only: green's instance class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_db_instance_class: Option<String>,
    /// RDS only: green's allocated storage in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_allocated_storage: Option<i32>,
    /// RDS only: green's provisioned IOPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_iops: Option<i32>,
    /// RDS only: gp2, gp3, io1 or io2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_storage_type: Option<String>,
    /// RDS only (gp3): green's storage throughput in MiB/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_storage_throughput: Option<i32>,
    /// RDS only: move green off the old 32-bit file system (slower creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_target_storage_config: Option<bool>,
    /// Tags for the deployment (RDS copies blue's own tags to green).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Seconds RDS may take to switch over before it rolls back (30-3600).
    #[serde(default = "default_switchover_timeout")]
    pub switchover_timeout_seconds: i32,
    /// auto, window, manual or approval.
    #[serde(default)]
    pub switchover_mode: SwitchoverMode,
    /// How long each approval wait (`switchoverMode: approval`, `cleanupMode: approval`)
    /// waits for an answer before it ends `ApprovalExpired` (nothing switched or deleted; the
    /// `switchover` or `cleanup` action resumes). [`Options::approval_timeout`] gives it with
    /// its default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_timeout_seconds: Option<u32>,
    /// With `window`: when the window opens, RFC 3339 in UTC (`2026-12-01T02:00:00Z`); from
    /// 5 minutes ago to 30 days ahead when the execution starts (see [`crate::window`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switchover_at: Option<String>,
    /// With `window`: when the window closes (an hour after `switchoverAt` when omitted, at
    /// most 7 days after it). Green ready later stops the execution as "window missed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switchover_not_after: Option<String>,
    /// Snapshot blue right before switchover.
    #[serde(default = "yes")]
    pub snapshot_before_switchover: bool,
    /// Reboot green members whose parameters are pending a reboot before switchover.
    #[serde(default = "yes")]
    pub reboot_pending_green: bool,
    /// Seconds to keep old blue after switchover before deleting it (0 deletes at once).
    #[serde(default = "default_grace_period")]
    pub grace_period_seconds: u32,
    /// Take a final snapshot of old blue before deleting it.
    #[serde(default = "yes")]
    pub final_snapshot: bool,
    /// Required (true) with `finalSnapshot: false`: the person confirms that old blue is
    /// deleted with no final snapshot (its automated backups are kept).
    #[serde(default)]
    pub skip_final_snapshot_acknowledged: bool,
    /// Delete old blue after the grace period; `false` leaves it for a later `cleanup`.
    #[serde(default = "yes")]
    pub delete_old_blue: bool,
    /// `auto` deletes old blue after the grace period; `approval` asks a person first.
    #[serde(default)]
    pub cleanup_mode: CleanupMode,
    /// After switchover, associate blue's IAM roles with production again (AWS does not copy
    /// them to green); `false` leaves that to a person, and verify reports the missing roles.
    #[serde(default = "yes")]
    pub restore_associated_roles: bool,
    /// The user's own hooks per stage ([`crate::hooks`]); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<crate::hooks::Hooks>,
    /// How many times a wait loop polls before giving up (`WaitTimedOut`).
    #[serde(default = "default_max_polls")]
    pub max_polls: u32,
    /// Which of this execution's messages are sent: `all` (every stage), or `failures` (what
    /// fails; a fleet reports the rest in its own summary).
    #[serde(default)]
    pub notifications: Notifications,
}

/// Which messages an execution sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Notifications {
    /// Every stage.
    #[default]
    All,
    /// Failures only.
    Failures,
}

/// The default of `options.switchoverTimeoutSeconds` (notify repeats it when the input omits it).
pub const DEFAULT_SWITCHOVER_TIMEOUT_SECONDS: i32 = 300;
/// The default of `options.gracePeriodSeconds`, one day. The state machine repeats it (its
/// "Use the default grace period" state; the contract test holds the two equal), notify too.
pub const DEFAULT_GRACE_PERIOD_SECONDS: u32 = 24 * 60 * 60;
fn default_switchover_timeout() -> i32 {
    DEFAULT_SWITCHOVER_TIMEOUT_SECONDS
}
fn default_grace_period() -> u32 {
    DEFAULT_GRACE_PERIOD_SECONDS
}
/// The default of `options.approvalTimeoutSeconds`: a day.
pub const DEFAULT_APPROVAL_TIMEOUT_SECONDS: u32 = 86_400;
/// The bounds of `options.approvalTimeoutSeconds`: 5 minutes to 7 days (the token store's
/// longest wait, [`crate::waits::store::MAX_WAIT_SECONDS`]).
pub const APPROVAL_TIMEOUT_BOUNDS: std::ops::RangeInclusive<u32> =
    300..=crate::waits::store::MAX_WAIT_SECONDS;

/// An approval wait's timeout (`field` names it: a database's or a fleet's) within
/// [`APPROVAL_TIMEOUT_BOUNDS`].
pub fn check_approval_timeout(field: &str, seconds: u32) -> Result<(), Error> {
    if APPROVAL_TIMEOUT_BOUNDS.contains(&seconds) {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        format!(
            "is {seconds}, outside {}-{}",
            APPROVAL_TIMEOUT_BOUNDS.start(),
            APPROVAL_TIMEOUT_BOUNDS.end()
        ),
        format!(
            "give {} (5 minutes) to {} (7 days) seconds; the default is {DEFAULT_APPROVAL_TIMEOUT_SECONDS} (a day)",
            APPROVAL_TIMEOUT_BOUNDS.start(),
            APPROVAL_TIMEOUT_BOUNDS.end()
        ),
    ))
}
fn default_max_polls() -> u32 {
    200
}
/// The largest `options.maxPolls`: with every wait loop of an execution at this budget, its
/// history stays well under Step Functions' 25,000 events (the contract test computes it).
pub const MAX_POLLS: u32 = 200;
fn yes() -> bool {
    true
}

impl Default for Options {
    fn default() -> Self {
        // One source of defaults: the serde ones.
        serde_json::from_str("{}").expect("every option has a default")
    }
}

/// The longest grace period accepted: a year, Step Functions' limit on an execution.
pub const MAX_GRACE_PERIOD_SECONDS: u32 = 365 * 24 * 60 * 60;

impl Request {
    /// Parses and validates a request from the execution's JSON.
    pub fn from_value(value: serde_json::Value) -> Result<Request, Error> {
        if !value.is_object() {
            return Err(Error::invalid(
                "request",
                format!("is {}: the input must be a JSON object with action, target and options", kind_of(&value)),
                "start the execution with an input such as the examples in examples/ (the README's input reference lists every field)",
            ));
        }
        let request: Request = deserialize(
            value,
            "compare the input with the examples in examples/ and the README's input reference",
        )?;
        request.validate()?;
        Ok(request)
    }

    /// Checks what serde cannot: formats, ranges and options that do not fit the engine.
    /// Nothing here depends on the clock: a step may run it again days later.
    pub fn validate(&self) -> Result<(), Error> {
        self.target.validate()?;
        self.validate_approval()?;
        self.options.validate(self.target.engine)
    }

    /// `approval` only with `approve`/`reject`, each text short enough for a message.
    fn validate_approval(&self) -> Result<(), Error> {
        let Some(approval) = &self.approval else {
            return Ok(());
        };
        if !self.action.answers_approval() {
            return Err(Error::invalid(
                "approval",
                format!("is set with action `{}`", self.action.name()),
                "remove it, or set action to `approve` or `reject`",
            ));
        }
        if approval.for_ == Some(crate::waits::ApprovalFor::Wave) {
            return Err(Error::invalid(
                "approval.for",
                "is `wave`, and only a fleet waits between waves",
                "start the fleet state machine with {\"action\": \"approve\", \"fleet\": \"<name>\"}, or give `switchover` or `cleanup` here",
            ));
        }
        approval.check()
    }

    /// The switchover window: `window` mode's, or the one an `approval` may name (the
    /// switchover then waits, after the approval, until the window opens).
    pub fn window(&self) -> Result<Option<Window>, Error> {
        match (&self.options.switchover_mode, &self.options.switchover_at) {
            (SwitchoverMode::Window | SwitchoverMode::Approval, Some(at)) => {
                Window::parse(at, self.options.switchover_not_after.as_deref()).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// What only holds when an execution starts (`now`): the window is neither past nor too
    /// far ahead. The first step of an execution runs it before any AWS call.
    pub fn validate_start(&self, now: std::time::SystemTime) -> Result<(), Error> {
        match self.window()? {
            Some(window) => window.check_start(
                now,
                std::time::Duration::from_secs(self.options.grace_period_seconds.into()),
            ),
            None => Ok(()),
        }
    }
}

/// What a JSON value is, for the message about a non-object input.
fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

impl Target {
    fn validate(&self) -> Result<(), Error> {
        if let Some(account) = &self.account_id {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::invalid(
                    "target.accountId",
                    format!("`{account}` is not a 12-digit AWS account id"),
                    "give the 12 digits of the account that owns the database, or omit the field",
                ));
            }
        }
        if !is_region(&self.region) {
            return Err(Error::invalid(
                "target.region",
                format!("`{}` is not an AWS Region name", self.region),
                "set target.region to the database's Region code, e.g. `us-east-1` or `eu-west-1`",
            ));
        }
        if partition_of(&self.region).is_none() {
            return Err(Error::invalid(
                "target.region",
                format!("`{}` is in no AWS partition (no Region of aws, aws-cn, aws-us-gov or the isolated partitions is named so)", self.region),
                "set target.region to the database's Region, e.g. `us-east-1` or `eu-west-1`",
            ));
        }
        validate_rds_identifier("target.identifier", &self.identifier)?;
        if let Some(role) = &self.role_arn {
            let ok =
                role.starts_with("arn:aws") && role.contains(":iam::") && role.contains(":role/");
            if !ok {
                return Err(Error::invalid("target.roleArn", format!("`{role}` is not an IAM role ARN"), "name the member account's roles without their kind, e.g. `arn:aws:iam::123456789012:role/rds-bluegreen` (member-account.yaml), or omit the field"));
            }
            if let (Some(account), Some(role_account)) = (&self.account_id, role.split(':').nth(4))
            {
                if account != role_account {
                    return Err(Error::invalid(
                        "target.roleArn",
                        format!(
                            "belongs to account {role_account}, but target.accountId is {account}"
                        ),
                        "use a role in the database's own account",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Options {
    fn validate(&self, engine: Engine) -> Result<(), Error> {
        if let Some(name) = &self.deployment_name {
            validate_deployment_name("options.deploymentName", name)?;
        }
        if let Some(hooks) = &self.hooks {
            hooks.validate()?;
        }
        if !(30..=3600).contains(&self.switchover_timeout_seconds) {
            return Err(Error::invalid(
                "options.switchoverTimeoutSeconds",
                format!("is {}, outside 30-3600", self.switchover_timeout_seconds),
                "give a number of seconds from 30 to 3600 (AWS's default is 300)",
            ));
        }
        if self.grace_period_seconds > MAX_GRACE_PERIOD_SECONDS {
            return Err(Error::invalid("options.gracePeriodSeconds", format!("is {}, more than a year", self.grace_period_seconds), "give at most 31536000 seconds, or set deleteOldBlue to false and run the cleanup action later"));
        }
        if !self.final_snapshot && !self.skip_final_snapshot_acknowledged {
            return Err(Error::invalid(
                "options.finalSnapshot",
                "is false without options.skipFinalSnapshotAcknowledged",
                "leave finalSnapshot true, or also set skipFinalSnapshotAcknowledged to true to confirm old blue is deleted with no final snapshot (its automated backups are kept)",
            ));
        }
        if !(1..=MAX_POLLS).contains(&self.max_polls) {
            return Err(Error::invalid(
                "options.maxPolls",
                format!("is {}, outside 1-{MAX_POLLS}", self.max_polls),
                format!("give 1 to {MAX_POLLS} (the default and largest, 200, covers over 33 hours of green creation, read every 10 minutes at the latest; more would risk the execution's 25,000-event history limit)"),
            ));
        }
        self.validate_window()?;
        self.validate_approval_timeout()?;
        if let Some(version) = &self.target_engine_version {
            if version.is_empty()
                || version.len() > 64
                || !version
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
            {
                return Err(Error::invalid("options.targetEngineVersion", format!("`{version}` is not an engine version"), "give a version from `aws rds describe-db-engine-versions`, e.g. `8.0.mysql_aurora.3.08.0` or `16.4`"));
            }
        }
        for (field, value) in [
            (
                "options.targetDbParameterGroupName",
                &self.target_db_parameter_group_name,
            ),
            (
                "options.targetDbClusterParameterGroupName",
                &self.target_db_cluster_parameter_group_name,
            ),
        ] {
            if let Some(name) = value {
                validate_parameter_group_name(field, name)?;
            }
        }
        if engine.kind() == Kind::Instance && self.target_db_cluster_parameter_group_name.is_some()
        {
            return Err(Error::invalid(
                "options.targetDbClusterParameterGroupName",
                format!("applies to Aurora clusters, not to {}", engine.api_name()),
                "use options.targetDbParameterGroupName for an RDS instance",
            ));
        }
        if engine.kind() == Kind::Cluster {
            let rds_only = [
                (
                    "options.targetDbInstanceClass",
                    self.target_db_instance_class.is_some(),
                ),
                (
                    "options.targetAllocatedStorage",
                    self.target_allocated_storage.is_some(),
                ),
                ("options.targetIops", self.target_iops.is_some()),
                (
                    "options.targetStorageType",
                    self.target_storage_type.is_some(),
                ),
                (
                    "options.targetStorageThroughput",
                    self.target_storage_throughput.is_some(),
                ),
                (
                    "options.upgradeTargetStorageConfig",
                    self.upgrade_target_storage_config.is_some(),
                ),
            ];
            if let Some((field, _)) = rds_only.iter().find(|(_, set)| *set) {
                return Err(Error::invalid(
                    *field,
                    format!(
                        "applies to RDS instances only, not to {}",
                        engine.api_name()
                    ),
                    "remove it; Aurora green instances keep blue's classes and storage",
                ));
            }
        }
        self.validate_storage()?;
        for (key, value) in &self.tags {
            if key.is_empty() || key.len() > 128 || key.starts_with("aws:") || value.len() > 256 {
                return Err(Error::invalid(format!("options.tags.{key}"), "is not a valid tag (key 1-128 characters, not starting with `aws:`; value at most 256)", "shorten or rename the tag"));
            }
            // The product's own records on the deployment (identity, enrolment) are not the
            // user's to set: a look-alike could make a deployment seem to cover other databases.
            if key.starts_with("bluegreen:") || key.starts_with("rds-bluegreen:") {
                return Err(Error::invalid(format!("options.tags.{key}"), "uses a prefix this product reserves for its own tags (`bluegreen:`, `rds-bluegreen:`)", "rename the tag"));
            }
        }
        Ok(())
    }

    /// `window` mode needs `switchoverAt` (and takes `switchoverNotAfter`), both real
    /// instants in order; `approval` mode may take them (the window opens after the
    /// approval); the other modes take neither.
    fn validate_window(&self) -> Result<(), Error> {
        if self.switchover_mode == SwitchoverMode::Approval {
            if let Some(at) = &self.switchover_at {
                return Window::parse(at, self.switchover_not_after.as_deref()).map(|_| ());
            }
            if self.switchover_not_after.is_some() {
                return Err(Error::invalid(
                    "options.switchoverNotAfter",
                    "is set without options.switchoverAt",
                    "give the window's opening time too, or remove switchoverNotAfter",
                ));
            }
            return Ok(());
        }
        if self.switchover_mode != SwitchoverMode::Window {
            for (field, set) in [
                ("options.switchoverAt", self.switchover_at.is_some()),
                (
                    "options.switchoverNotAfter",
                    self.switchover_not_after.is_some(),
                ),
            ] {
                if set {
                    return Err(Error::invalid(
                        field,
                        "is set but switchoverMode is neither `window` nor `approval`",
                        "set switchoverMode to `window` (or `approval`, to switch over in the window after an approval), or remove the window's times",
                    ));
                }
            }
            return Ok(());
        }
        let Some(at) = &self.switchover_at else {
            return Err(Error::invalid(
                "options.switchoverAt",
                "is missing while switchoverMode is `window`",
                "give the switchover time as RFC 3339 UTC, e.g. `2026-12-01T02:00:00Z`",
            ));
        };
        Window::parse(at, self.switchover_not_after.as_deref()).map(|_| ())
    }

    /// How long `approval` mode waits for an answer, in seconds.
    pub fn approval_timeout(&self) -> u32 {
        self.approval_timeout_seconds
            .unwrap_or(DEFAULT_APPROVAL_TIMEOUT_SECONDS)
    }

    /// `approvalTimeoutSeconds` within its bounds, and only meaningful with an approval wait;
    /// `cleanupMode: approval` only when old blue is to be deleted.
    fn validate_approval_timeout(&self) -> Result<(), Error> {
        if self.cleanup_mode == CleanupMode::Approval && !self.delete_old_blue {
            return Err(Error::invalid(
                "options.cleanupMode",
                "is `approval` but deleteOldBlue is false: no cleanup follows to approve",
                "remove cleanupMode (old blue is kept for a later cleanup action), or remove deleteOldBlue",
            ));
        }
        let Some(seconds) = self.approval_timeout_seconds else {
            return Ok(());
        };
        if self.switchover_mode != SwitchoverMode::Approval
            && self.cleanup_mode != CleanupMode::Approval
        {
            return Err(Error::invalid(
                "options.approvalTimeoutSeconds",
                "is set but neither switchoverMode nor cleanupMode is `approval`",
                "set switchoverMode or cleanupMode to `approval`, or remove approvalTimeoutSeconds",
            ));
        }
        check_approval_timeout("options.approvalTimeoutSeconds", seconds)
    }

    fn validate_storage(&self) -> Result<(), Error> {
        if let Some(class) = &self.target_db_instance_class {
            if !class.starts_with("db.") || class.split('.').count() != 3 {
                return Err(Error::invalid(
                    "options.targetDbInstanceClass",
                    format!("`{class}` is not an instance class"),
                    "give a class such as `db.r6g.large`",
                ));
            }
        }
        if let Some(kind) = &self.target_storage_type {
            if !matches!(kind.as_str(), "gp2" | "gp3" | "io1" | "io2") {
                return Err(Error::invalid(
                    "options.targetStorageType",
                    format!("`{kind}` is not gp2, gp3, io1 or io2"),
                    "give one of gp2, gp3, io1, io2",
                ));
            }
        }
        if let Some(gib) = self.target_allocated_storage {
            if !(20..=65536).contains(&gib) {
                return Err(Error::invalid(
                    "options.targetAllocatedStorage",
                    format!("is {gib} GiB, outside 20-65536"),
                    "give the storage size in GiB",
                ));
            }
        }
        if self.target_storage_throughput.is_some()
            && self
                .target_storage_type
                .as_deref()
                .is_some_and(|t| t != "gp3")
        {
            return Err(Error::invalid(
                "options.targetStorageThroughput",
                "applies to gp3 storage only, and options.targetStorageType is not gp3",
                "set options.targetStorageType to `gp3`, or remove options.targetStorageThroughput",
            ));
        }
        if let Some(iops) = self.target_iops {
            if iops <= 0 {
                return Err(Error::invalid(
                    "options.targetIops",
                    format!("is {iops}"),
                    "give a positive number of IOPS",
                ));
            }
            if self.target_storage_type.as_deref() == Some("gp2") {
                return Err(Error::invalid(
                    "options.targetIops",
                    "cannot be set with gp2 storage",
                    "use gp3, io1 or io2, or remove targetIops",
                ));
            }
        }
        Ok(())
    }
}

/// Deserializes JSON into `T`; a failure is `InvalidInput` naming the field by its path
/// (`target.engine`, `options.switchoverTimeout`) and the accepted values serde lists.
pub fn deserialize<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    fix: &str,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // A missing field is named only in the message; the path stops at its parent.
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (missing, path.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, ".") => inner.split('`').nth(1).unwrap_or("request").to_owned(),
            (None, path) => path.to_owned(),
        };
        Error::invalid(field, format!("is not accepted: {inner}"), fix)
    })
}

/// RDS identifiers: 1-63 letters, digits and hyphens, starting with a letter, no `--`, no
/// trailing hyphen.
pub fn validate_rds_identifier(field: &str, id: &str) -> Result<(), Error> {
    let ok = (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.contains("--")
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("`{id}` is not an RDS identifier"), "use 1-63 letters, digits and single hyphens, starting with a letter and not ending with a hyphen"))
    }
}

/// Blue/Green deployment names: `[a-zA-Z](?:-?[a-zA-Z0-9]+)*`, 1-60 characters.
pub fn validate_deployment_name(field: &str, name: &str) -> Result<(), Error> {
    let ok = (1..=60).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.contains("--")
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("`{name}` is not a Blue/Green deployment name"), "use 1-60 letters, digits and single hyphens, starting with a letter and not ending with a hyphen, or omit it to get a derived name"))
    }
}

fn validate_parameter_group_name(field: &str, name: &str) -> Result<(), Error> {
    let ok = (1..=255).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.contains("--")
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("`{name}` is not a parameter group name"),
            "use letters, digits and single hyphens, starting with a letter",
        ))
    }
}

/// The partition whose Region pattern `region` matches, as the SDK's endpoint rules decide it.
///
/// Source: the `regionRegex` of each partition in the partitions data the AWS SDKs ship
/// (smithy-rs embeds it in every service crate, e.g. aws-sdk-rds `src/endpoint_lib.rs`,
/// `DEFAULT_PARTITION_RESOLVER`; AWS publishes the same file with its SDKs, and
/// "Endpoints rules" in the Smithy documentation, `aws.partition`). Why patterns and not the
/// list of Regions: the list changes with every new Region and would need a release of this
/// product, while a new Region of an existing partition follows its partition's pattern, which
/// is how the SDK itself accepts Regions it does not list (the SDK exposes no Region list,
/// and aws-config has none). A name that matches no pattern is in no partition: there is no
/// endpoint for it anywhere, so it is refused before any call. A name that matches but does
/// not exist (`us-fake-9`) gets no endpoint answer; that is classified by
/// `error::endpoint_not_resolved`, not retried.
pub fn partition_of(region: &str) -> Option<&'static str> {
    // (partition, Region name prefixes): each pattern is `^(prefixes)-\w+-\d+$`.
    const PARTITIONS: [(&str, &[&str]); 8] = [
        ("aws-us-gov", &["us-gov"]),
        ("aws-iso", &["us-iso"]),
        ("aws-iso-b", &["us-isob"]),
        ("aws-iso-e", &["eu-isoe"]),
        ("aws-iso-f", &["us-isof"]),
        ("aws-eusc", &["eusc-de"]),
        ("aws-cn", &["cn"]),
        (
            "aws",
            &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
        ),
    ];
    PARTITIONS.iter().find_map(|(partition, prefixes)| {
        prefixes
            .iter()
            .any(|prefix| {
                region
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .and_then(|rest| rest.split_once('-'))
                    .is_some_and(|(middle, number)| {
                        !middle.is_empty()
                            && middle
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                            && !number.is_empty()
                            && number.chars().all(|c| c.is_ascii_digit())
                    })
            })
            .then_some(*partition)
    })
}

fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn base() -> serde_json::Value {
        json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-mysql"}})
    }

    #[test]
    fn a_region_in_no_partition_is_refused_naming_target_region() {
        for region in ["xx-fake-9", "zz-north-1", "us-east", "cn-north"] {
            let mut v = base();
            v["target"]["region"] = json!(region);
            let err = Request::from_value(v).unwrap_err();
            assert_eq!(err.field(), Some("target.region"), "{region}: {err}");
            assert!(err.to_string().contains("set target.region to"), "{err}");
        }
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("mx-central-1", "aws"),
            ("ap-southeast-7", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition_of(region), Some(partition), "{region}");
        }
    }

    fn field_of(value: serde_json::Value) -> String {
        match Request::from_value(value) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn skipping_the_final_snapshot_needs_the_acknowledgement() {
        let mut v = base();
        v["options"] = json!({"finalSnapshot": false});
        assert_eq!(field_of(v.clone()), "options.finalSnapshot");
        v["options"]["skipFinalSnapshotAcknowledged"] = json!(true);
        let request = Request::from_value(v).unwrap();
        assert!(!request.options.final_snapshot);
    }

    #[test]
    fn minimal_request_gets_safe_defaults() {
        let request = Request::from_value(base()).unwrap();
        assert_eq!(request.action, Action::Upgrade);
        assert_eq!(request.options.switchover_timeout_seconds, 300);
        assert!(request.options.final_snapshot);
        assert!(request.options.snapshot_before_switchover);
        assert_eq!(request.options.grace_period_seconds, 86_400);
        assert_eq!(request.target.engine.kind(), Kind::Cluster);
    }

    #[test]
    fn missing_target_names_the_field() {
        assert_eq!(field_of(json!({"action": "upgrade"})), "target");
        assert_eq!(
            field_of(json!({"target": {"region": "us-east-1", "engine": "mysql"}})),
            "target.identifier"
        );
    }

    #[test]
    fn unknown_engine_names_the_field() {
        let mut v = base();
        v["target"]["engine"] = json!("oracle-ee");
        assert_eq!(field_of(v.clone()), "target.engine");
        let err = Request::from_value(v).unwrap_err().to_string();
        assert!(err.contains("oracle-ee"), "{err}");
        assert!(
            err.contains("aurora-mysql"),
            "lists the accepted engines: {err}"
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut v = base();
        v["options"] = json!({"switchoverTimeout": 60});
        assert_eq!(field_of(v), "options.switchoverTimeout");
        let mut v = base();
        v["target"]["cluster"] = json!("x");
        assert_eq!(field_of(v), "target.cluster");
        let mut v = base();
        v["colour"] = json!("blue");
        assert_eq!(field_of(v), "colour");
    }

    #[test]
    fn approval_mode_takes_a_bounded_timeout() {
        let mut v = base();
        v["options"] = json!({"switchoverMode": "approval"});
        let request = Request::from_value(v.clone()).unwrap();
        assert_eq!(request.options.switchover_mode, SwitchoverMode::Approval);
        assert_eq!(request.options.approval_timeout(), 86_400);
        for (t, ok) in [(299, false), (300, true), (604_800, true), (604_801, false)] {
            v["options"]["approvalTimeoutSeconds"] = json!(t);
            match Request::from_value(v.clone()) {
                Ok(r) => {
                    assert!(ok, "{t} accepted");
                    assert_eq!(r.options.approval_timeout(), t);
                }
                Err(e) => {
                    assert!(!ok, "{t} refused: {e}");
                    assert_eq!(e.field(), Some("options.approvalTimeoutSeconds"));
                    assert!(e.to_string().contains("300"), "{e}");
                }
            }
        }
        let mut manual = base();
        manual["options"] = json!({"switchoverMode": "manual", "approvalTimeoutSeconds": 600});
        assert_eq!(field_of(manual), "options.approvalTimeoutSeconds");
    }

    #[test]
    fn cleanup_mode_approval_is_validated_with_its_timeout() {
        let mut v = base();
        v["options"] = json!({"cleanupMode": "approval", "approvalTimeoutSeconds": 600});
        let r = Request::from_value(v.clone()).unwrap();
        assert_eq!(r.options.cleanup_mode, CleanupMode::Approval);
        assert_eq!(
            r.options.approval_timeout(),
            600,
            "the timeout serves the cleanup's wait"
        );
        assert_eq!(
            Request::from_value(base()).unwrap().options.cleanup_mode,
            CleanupMode::Auto
        );
        v["options"]["approvalTimeoutSeconds"] = json!(299);
        assert_eq!(field_of(v.clone()), "options.approvalTimeoutSeconds");
        v["options"] = json!({"cleanupMode": "approval", "deleteOldBlue": false});
        let e = Request::from_value(v.clone()).unwrap_err();
        assert_eq!(e.field(), Some("options.cleanupMode"));
        assert!(e.to_string().contains("deleteOldBlue"), "{e}");
        v["options"] = json!({"cleanupMode": "sometimes"});
        assert_eq!(field_of(v), "options.cleanupMode");
    }

    #[test]
    fn an_answer_names_the_wait_it_is_for() {
        let mut v = base();
        v["action"] = json!("approve");
        v["approval"] = json!({"for": "cleanup"});
        let r = Request::from_value(v.clone()).unwrap();
        assert_eq!(
            r.approval.unwrap().for_,
            Some(crate::waits::ApprovalFor::Cleanup)
        );
        v["approval"] = json!({"for": "everything"});
        assert_eq!(field_of(v), "approval.for");
    }

    #[test]
    fn an_answer_may_name_the_execution_that_asked_and_only_by_its_arn() {
        let mut v = base();
        v["action"] = json!("approve");
        for arn in [
            "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1",
            "arn:aws-us-gov:states:us-gov-west-1:111122223333:execution:m_1:run-2",
            "arn:aws:states:us-east-1:123456789012:execution:StateMachine-0:8a6f-4c1e",
        ] {
            v["approval"] = json!({"execution": arn});
            let r = Request::from_value(v.clone()).unwrap();
            assert_eq!(r.approval.unwrap().execution.as_deref(), Some(arn));
        }
        for bad in [
            "orders-1",
            "",
            "arn:aws:states:eu-west-1:111122223333:stateMachine:hub-bluegreen",
            "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen",
            "arn:aws:states:eu-west-1:1111:execution:hub-bluegreen:orders-1",
            "arn:aws:lambda:eu-west-1:111122223333:execution:hub-bluegreen:orders-1",
            "arn:gcp:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1",
            "arn:aws:states:eu-west-1:111122223333:execution:hub bluegreen:orders-1",
            "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1:extra",
        ] {
            v["approval"] = json!({"execution": bad});
            let e = Request::from_value(v.clone()).unwrap_err();
            assert_eq!(e.field(), Some("approval.execution"), "{bad}: {e}");
            assert!(e.to_string().contains("give the ARN"), "{e}");
        }
        let too_long = format!(
            "arn:aws:states:eu-west-1:111122223333:execution:m:{}",
            "a".repeat(81)
        );
        v["approval"] = json!({"execution": too_long});
        assert_eq!(field_of(v), "approval.execution");
    }

    #[test]
    fn approve_and_reject_take_the_target_and_who_answers() {
        for action in ["approve", "reject"] {
            let mut v = base();
            v["action"] = json!(action);
            let bare = Request::from_value(v.clone()).unwrap();
            assert!(bare.action.answers_approval());
            assert_eq!(bare.action.name(), action);
            assert_eq!(bare.approval, None);
            v["approval"] =
                json!({"by": "slack:U012 (jane)", "via": "slack", "reason": "looks fine"});
            let answered = Request::from_value(v.clone()).unwrap();
            assert_eq!(answered.approval.unwrap().via.as_deref(), Some("slack"));
            v["approval"]["reason"] = json!("x".repeat(501));
            assert_eq!(field_of(v.clone()), "approval.reason");
            v["approval"] = json!({"who": "jane"});
            assert_eq!(field_of(v), "approval.who");
        }
        let mut upgrade = base();
        upgrade["approval"] = json!({"by": "jane"});
        assert_eq!(field_of(upgrade), "approval");
        assert!(!Action::Upgrade.answers_approval());
    }

    #[test]
    fn switchover_timeout_bounds() {
        for (t, ok) in [(29, false), (30, true), (3600, true), (3601, false)] {
            let mut v = base();
            v["options"] = json!({"switchoverTimeoutSeconds": t});
            if !ok {
                assert_eq!(field_of(v.clone()), "options.switchoverTimeoutSeconds");
            }
            match Request::from_value(v) {
                Ok(_) => assert!(ok, "{t} accepted"),
                Err(e) => {
                    assert!(!ok, "{t} refused: {e}");
                    assert!(e.to_string().contains("options.switchoverTimeoutSeconds"));
                }
            }
        }
    }

    #[test]
    fn deployment_name_rules() {
        for bad in ["a--b", "1abc", "abc-", "", &"a".repeat(61), "a_b"] {
            let mut v = base();
            v["options"] = json!({"deploymentName": bad});
            assert_eq!(field_of(v), "options.deploymentName", "{bad}");
        }
        let mut v = base();
        v["options"] = json!({"deploymentName": "orders-upgrade-2"});
        assert!(Request::from_value(v).is_ok());
    }

    #[test]
    fn identifiers_and_regions() {
        for (path, bad) in [
            ("identifier", "orders--x"),
            ("identifier", "-x"),
            ("region", "useast1"),
            ("accountId", "1234"),
        ] {
            let mut v = base();
            v["target"][path] = json!(bad);
            assert_eq!(field_of(v), format!("target.{path}"));
        }
    }

    #[test]
    fn role_must_be_in_the_target_account() {
        let mut v = base();
        v["target"]["accountId"] = json!("111111111111");
        v["target"]["roleArn"] = json!("arn:aws:iam::222222222222:role/x");
        assert_eq!(field_of(v), "target.roleArn");
    }

    #[test]
    fn rds_only_options_refused_for_aurora() {
        let mut v = base();
        v["options"] = json!({"targetDbInstanceClass": "db.r6g.large"});
        assert_eq!(field_of(v), "options.targetDbInstanceClass");
        let mut v = base();
        v["target"]["engine"] = json!("postgres");
        v["options"] = json!({"targetDbClusterParameterGroupName": "x"});
        assert_eq!(field_of(v), "options.targetDbClusterParameterGroupName");
    }

    #[test]
    fn window_needs_a_timestamp() {
        let mut v = base();
        v["options"] = json!({"switchoverMode": "window"});
        assert_eq!(field_of(v), "options.switchoverAt");
        let mut v = base();
        v["options"] = json!({"switchoverMode": "window", "switchoverAt": "tomorrow"});
        assert_eq!(field_of(v), "options.switchoverAt");
        let mut v = base();
        v["options"] = json!({"switchoverMode": "window", "switchoverAt": "2026-02-30T25:61:61Z"});
        assert_eq!(field_of(v), "options.switchoverAt", "an impossible date");
        let mut v = base();
        v["options"] = json!({"switchoverMode": "window", "switchoverAt": "2026-12-01T02:00:00Z", "switchoverNotAfter": "2026-12-01T01:00:00Z"});
        assert_eq!(field_of(v), "options.switchoverNotAfter");
        let mut v = base();
        v["options"] =
            json!({"switchoverMode": "manual", "switchoverNotAfter": "2026-12-01T01:00:00Z"});
        assert_eq!(field_of(v), "options.switchoverNotAfter");
        let mut v = base();
        v["options"] = json!({"switchoverMode": "window", "switchoverAt": "2026-12-01T02:00:00Z"});
        assert!(Request::from_value(v).is_ok(), "the clock is not read here");
    }

    #[test]
    fn an_approval_may_name_the_window_it_switches_over_in() {
        let mut v = base();
        v["options"] = json!({"switchoverMode": "approval", "switchoverAt": "2026-12-01T02:00:00Z", "switchoverNotAfter": "2026-12-01T04:00:00Z"});
        let request = Request::from_value(v).unwrap();
        assert!(
            request.window().unwrap().is_some(),
            "the window applies after the approval"
        );
        let late = crate::window::parse_instant("now", "2026-12-01T04:06:00Z").unwrap();
        assert_eq!(
            request.validate_start(late).unwrap_err().name(),
            "InvalidInput",
            "a window already past is refused at the start, as in window mode"
        );
        let mut v = base();
        v["options"] = json!({"switchoverMode": "approval"});
        assert!(Request::from_value(v).unwrap().window().unwrap().is_none());
        let mut v = base();
        v["options"] =
            json!({"switchoverMode": "approval", "switchoverNotAfter": "2026-12-01T04:00:00Z"});
        assert_eq!(
            field_of(v),
            "options.switchoverNotAfter",
            "no end without a start"
        );
        let mut v = base();
        v["options"] = json!({"switchoverMode": "auto", "switchoverAt": "2026-12-01T02:00:00Z"});
        assert_eq!(field_of(v), "options.switchoverAt");
    }

    #[test]
    fn a_window_is_checked_against_the_start_time() {
        let mut v = base();
        v["options"] = json!({"switchoverMode": "window", "switchoverAt": "2026-12-01T02:00:00Z", "switchoverNotAfter": "2026-12-01T04:00:00Z"});
        let request = Request::from_value(v).unwrap();
        let now = crate::window::parse_instant("now", "2026-12-01T01:00:00Z").unwrap();
        assert!(request.validate_start(now).is_ok());
        let late = crate::window::parse_instant("now", "2026-12-01T02:06:00Z").unwrap();
        let err = request.validate_start(late).unwrap_err();
        assert!(err.to_string().contains("options.switchoverAt"), "{err}");
        let early = crate::window::parse_instant("now", "2026-10-01T00:00:00Z").unwrap();
        assert_eq!(
            request.validate_start(early).unwrap_err().name(),
            "InvalidInput"
        );
        let manual = Request::from_value(base()).unwrap();
        assert!(
            manual.validate_start(late).is_ok(),
            "no window, no clock rule"
        );
    }

    #[test]
    fn the_products_own_tag_prefixes_are_refused() {
        for key in ["bluegreen:blue", "rds-bluegreen:enrolled"] {
            let mut v = base();
            v["options"] = json!({"tags": {key: "x"}});
            assert_eq!(field_of(v), format!("options.tags.{key}"));
        }
    }

    #[test]
    fn a_non_object_input_says_what_the_input_must_be() {
        for value in [json!([]), json!("x"), json!(42), json!(null), json!(true)] {
            let err = Request::from_value(value.clone()).unwrap_err();
            assert_eq!(err.name(), "InvalidInput");
            let text = err.to_string();
            assert!(
                text.contains("the input must be a JSON object with action, target and options"),
                "{value}: {text}"
            );
            assert!(!text.contains("map"), "no serde wording: {text}");
        }
    }

    #[test]
    fn storage_combinations() {
        let mut v = base();
        v["target"]["engine"] = json!("mysql");
        v["options"] = json!({"targetStorageType": "gp2", "targetIops": 3000});
        assert_eq!(field_of(v.clone()), "options.targetIops");
        v["options"] = json!({"targetStorageType": "io1", "targetStorageThroughput": 500});
        assert_eq!(field_of(v.clone()), "options.targetStorageThroughput");
        v["options"] = json!({"targetStorageType": "gp3", "targetStorageThroughput": 500, "targetIops": 12000});
        assert!(Request::from_value(v).is_ok());
    }
}
