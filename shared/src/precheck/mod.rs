//! Prechecks: every Blue/Green prerequisite that can be read through the RDS API, checked
//! before anything is created, and reported in one run (not one problem per attempt).
//!
//! [`run`] reads the database once, then each group of rules (one module each) reads what
//! else it needs through a per-run [`Context`] that caches parameter groups and engine
//! versions, so no group is described twice. Rules only call `Describe*` APIs.
//! What only SQL can tell (tables without primary keys, long transactions, ...) is listed
//! under `notChecked` so nobody mistakes "passed" for "checked everything".

mod context;
mod global;
mod maintenance;
mod not_copied;
mod parameters;
pub mod permissions;
mod proxy;
mod replication;
mod report;
mod rule;
mod source;
mod sql_only;
mod storage;
#[cfg(test)]
mod tests;
mod unsupported;
mod versions;

pub use context::{Context, GroupKind, Regions};
pub use rule::{Rule, CATALOGUE};

use serde::{Deserialize, Serialize};

use crate::aws::database::{Database, DatabaseSummary};
use crate::error::Error;
use crate::input::Request;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Creating the deployment would fail or be unsafe: the workflow stops.
    Block,
    /// Worth knowing before going on; the workflow continues.
    Warn,
}

/// One problem found, with what to do about it and where the rule comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable kebab-case rule id (see `docs/prechecks.md`).
    pub id: String,
    pub severity: Severity,
    /// Names the database and the value found.
    pub message: String,
    pub fix: String,
    /// The AWS page, seed or issue thread the rule comes from.
    pub source: String,
}

/// A prerequisite the precheck could not verify, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotChecked {
    pub id: String,
    pub reason: String,
}

/// The precheck's answer (see `docs/step-contracts.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub passed: bool,
    pub blocking: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
    pub database: Option<DatabaseSummary>,
    /// The same content as a table for people (notifications, the console).
    pub report: String,
    /// What blue had before anything was created, for verify's parity check after
    /// switchover (absent when the database was not found).
    #[serde(default)]
    pub baseline: Option<crate::parity::Baseline>,
}

impl Report {
    fn new(
        request: &Request,
        database: Option<&Database>,
        findings: Vec<Finding>,
        not_checked: Vec<NotChecked>,
    ) -> Report {
        let blocking = findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
            .count();
        let warnings = findings.len() - blocking;
        let mut report = Report {
            passed: blocking == 0,
            blocking,
            warnings,
            findings,
            not_checked,
            database: database.map(Database::summary),
            report: String::new(),
            baseline: None,
        };
        report.report = report::render(&request.target.identifier, &report);
        report
    }

    /// The report with more findings and `notChecked` entries (the dry run's permissions
    /// preflight, [`permissions`]): counts, verdict and table made again.
    pub fn with(
        mut self,
        identifier: &str,
        findings: Vec<Finding>,
        not_checked: Vec<NotChecked>,
    ) -> Report {
        self.findings.extend(findings);
        self.not_checked.extend(not_checked);
        self.blocking = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Block)
            .count();
        self.warnings = self.findings.len() - self.blocking;
        self.passed = self.blocking == 0;
        self.report = report::render(identifier, &self);
        self
    }

    /// The report as the JSON the contract names (for `PrecheckFailed`'s message).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }
}

/// Runs every rule for the request's database and returns the report; errors only when AWS
/// cannot be read (a missing database is a finding, not an error).
pub async fn run(rds: &aws_sdk_rds::Client, request: &Request) -> Result<Report, Error> {
    run_in(rds, request, None).await
}

/// [`run`], able to read the target's other Regions (a global database's secondaries).
pub async fn run_in(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    regions: Option<Regions<'_>>,
) -> Result<Report, Error> {
    let database = match Database::load(rds, &request.target).await {
        Ok(db) => Some(db),
        Err(Error::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut ctx = Context::new(rds, request, database.as_ref()).with_regions(regions);
    sql_only::list(&mut ctx);
    let Some(db) = database.as_ref() else {
        source::missing(&mut ctx).await?;
        return Ok(ctx.finish(request, None));
    };
    // A database of another engine than the request says would make every later rule read
    // the wrong parameters: report the mismatch alone.
    if !source::check(&mut ctx, db) {
        return Ok(ctx.finish(request, Some(db)));
    }
    unsupported::check(&mut ctx, db).await?;
    replication::check(&mut ctx, db).await?;
    versions::check(&mut ctx, db).await?;
    parameters::check(&mut ctx, db).await?;
    storage::check(&mut ctx, db);
    maintenance::check(&mut ctx, db).await;
    let proxies = proxy::check(&mut ctx, db).await?;
    not_copied::check(&mut ctx, db).await;
    let mut report = ctx.finish(request, Some(db));
    report.baseline = Some(crate::parity::Baseline::of(db, Some(proxies)));
    Ok(report)
}
