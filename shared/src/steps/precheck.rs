//! Step `precheck`: every Blue/Green prerequisite readable from the RDS API, in one report.
//!
//! Event `{"request": R}`; answer [`Report`]. With a blocking finding the step fails with
//! `PrecheckFailed` carrying the whole report as JSON, except for the `dry-run` action, whose
//! purpose is the report itself. It only reads (`Describe*`); it changes nothing, so it is
//! safe to run any number of times.

use std::future::Future;

use serde::Deserialize;

use crate::aws::clients::ClientFactory;
use crate::error::Error;
use crate::input::{Action, Target};
use crate::precheck::{self, Report};

/// The event the state machine sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    request: serde_json::Value,
}

/// Runs the step for one event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Report, Error> {
    handle_with(event, |target| async move { clients.rds(&target).await }).await
}

/// The step with the RDS client made by `rds_for` once the request is valid, so a bad
/// request never reaches AWS (tests pass a mock client here).
pub async fn handle_with<F, Fut>(event: serde_json::Value, rds_for: F) -> Result<Report, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: Future<Output = aws_sdk_rds::Client>,
{
    let event: Event = super::parse_event(event)?;
    let request = super::parse_request(&event.request)?;
    let rds = rds_for(request.target.clone()).await;
    // Boxed: the rules' futures nest deeply enough to exceed the compiler's layout limit.
    let report = Box::pin(precheck::run(&rds, &request)).await?;
    tracing::info!(
        database = %request.target.identifier,
        passed = report.passed,
        blocking = report.blocking,
        warnings = report.warnings,
        "precheck finished"
    );
    if !report.passed && request.action != Action::DryRun {
        return Err(Error::PrecheckFailed {
            report: report.to_json(),
        });
    }
    Ok(report)
}
