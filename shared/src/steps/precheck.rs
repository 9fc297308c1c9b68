//! Step `precheck`: every Blue/Green prerequisite readable from the RDS API, in one report.
//!
//! Event `{"request": R}`; answer [`Report`]. With a blocking finding the step fails with
//! `PrecheckFailed` carrying the whole report as JSON, except for the `dry-run` action, whose
//! purpose is the report itself. It only reads (`Describe*`); it changes nothing, so it is
//! safe to run any number of times. As the first step of an upgrade or a dry run, it also
//! checks what depends on the start time (the switchover window) before any AWS call.

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

/// Runs the precheck function's event: a fleet plan (`{"fleet": ...}`, [`super::fleet::plan`]),
/// the board (`{"operation": "status", ...}`, [`status`]) or one database's precheck.
pub async fn handle_any(
    event: serde_json::Value,
    clients: &ClientFactory,
) -> Result<serde_json::Value, Error> {
    let answer = if event.get("operation").and_then(|o| o.as_str()) == Some("status") {
        serde_json::to_value(status(event, clients).await?)
    } else if event.get("operation").and_then(|o| o.as_str()) == Some("fleet-answer") {
        // A person's answer to a fleet waiting between waves: checked, nothing read or written.
        let name = event
            .get("executionName")
            .and_then(|n| n.as_str())
            .unwrap_or("unknown")
            .to_owned();
        let input = event.get("answer").cloned().unwrap_or_default();
        serde_json::to_value(crate::fleet::answer::FleetAnswer::from_value(
            input,
            &name,
            std::time::SystemTime::now(),
        )?)
    } else if super::fleet::is_plan(&event) {
        serde_json::to_value(super::fleet::plan(event, clients).await?)
    } else if event.get("operation").and_then(|o| o.as_str()) == Some("identify") {
        let request = event.get("request").cloned().unwrap_or_default();
        let caller = || caller_account(clients);
        // The runtime takes `execution` out of the event and gives it to the clients.
        let execution = clients.execution().unwrap_or_default();
        serde_json::to_value(
            crate::lock::identify::identify(
                &request,
                execution,
                std::time::SystemTime::now(),
                caller,
            )
            .await?,
        )
    } else {
        serde_json::to_value(handle(event, clients).await?)
    };
    answer.map_err(|e| Error::Configuration(format!("cannot serialize the answer: {e}")))
}

/// The account of the functions' own credentials (STS GetCallerIdentity needs no permission:
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>).
async fn caller_account(clients: &ClientFactory) -> Result<String, Error> {
    let out = aws_sdk_sts::Client::new(clients.base())
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| Error::from_sdk("sts:GetCallerIdentity", e))?;
    out.account()
        .map(str::to_owned)
        .ok_or_else(|| Error::Configuration("sts:GetCallerIdentity answered no account".into()))
}

/// The board's event: `{"operation": "status", "request": {"action": "status", "filter",
/// "staleAfterSeconds"}}` (the request is optional).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusEvent {
    #[allow(dead_code)]
    operation: String,
    #[serde(default)]
    request: Option<serde_json::Value>,
}

/// Every upgrade in flight and every stale lock, from the lock table `LOCK_TABLE_NAME`
/// ([`crate::board`]); only reads.
pub async fn status(
    event: serde_json::Value,
    clients: &ClientFactory,
) -> Result<crate::board::Board, Error> {
    let event: StatusEvent = super::parse_event(event)?;
    let request = event.request.unwrap_or_else(|| serde_json::json!({}));
    crate::board::StatusRequest::parse(request.clone())?;
    let table = std::env::var("LOCK_TABLE_NAME")
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::Configuration(
                "LOCK_TABLE_NAME is not set: the precheck function reads the lock table for `status` (template.yaml sets it)".into(),
            )
        })?;
    let ddb = aws_sdk_dynamodb::Client::new(clients.base());
    crate::board::status(&ddb, &table, request).await
}

/// Runs the step for one event. A dry run's report also holds the permissions preflight
/// (`precheck::permissions`): whether the roles the workflow will use may make its calls.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Report, Error> {
    let request = event.get("request").cloned();
    let regional = |target: &Target| clients.rds(target);
    let report = handle_in(
        event,
        |target| async move { clients.rds(&target) },
        Some(&regional),
    )
    .await?;
    // handle_in validated the request: a dry run is recognised from it again here.
    match request.and_then(|r| super::parse_request(&r).ok()) {
        Some(request) if request.action == Action::DryRun => {
            let hub_roles = std::env::var("HUB_ROLE_ARNS").ok();
            precheck::permissions::preflight(clients, &request, hub_roles.as_deref(), report).await
        }
        _ => Ok(report),
    }
}

/// The step with the RDS client made by `rds_for` once the request is valid, so a bad
/// request never reaches AWS (tests pass a mock client here).
pub async fn handle_with<F, Fut>(event: serde_json::Value, rds_for: F) -> Result<Report, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: Future<Output = Result<aws_sdk_rds::Client, Error>>,
{
    handle_in(event, rds_for, None).await
}

/// A client for the request's target in another Region (a global database's secondaries).
pub type RegionalClient<'a> =
    &'a (dyn Fn(&Target) -> Result<aws_sdk_rds::Client, Error> + Send + Sync);

/// [`handle_with`], able to read the target's other Regions through `regional`.
pub async fn handle_in<F, Fut>(
    event: serde_json::Value,
    rds_for: F,
    regional: Option<RegionalClient<'_>>,
) -> Result<Report, Error>
where
    F: FnOnce(Target) -> Fut,
    Fut: Future<Output = Result<aws_sdk_rds::Client, Error>>,
{
    let event: Event = super::parse_event(event)?;
    let request = super::parse_request(&event.request)?;
    request.validate_start(std::time::SystemTime::now())?;
    let rds = rds_for(request.target.clone()).await?;
    // Boxed: the rules' futures nest deeply enough to exceed the compiler's layout limit.
    let target = request.target.clone();
    let in_region = move |region: &str| match regional {
        Some(make) => make(&Target {
            region: region.to_owned(),
            ..target.clone()
        }),
        None => Err(Error::Configuration(
            "no client for other Regions".to_owned(),
        )),
    };
    let regions: Option<precheck::Regions<'_>> =
        regional.map(|_| &in_region as precheck::Regions<'_>);
    let report = Box::pin(precheck::run_in(&rds, &request, regions)).await?;
    crate::metrics::precheck_findings(&request.target.identifier, &report.findings);
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use serde_json::json;

    use super::*;

    fn event(action: &str) -> serde_json::Value {
        json!({"request": {"action": action, "target": {"region": "us-east-1", "identifier": "gone", "engine": "mysql"}}})
    }

    /// A client on which the database does not exist (no instance, no Multi-AZ cluster).
    fn empty_account() -> (aws_sdk_rds::Client, [aws_smithy_mocks::Rule; 2]) {
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
            .then_output(|| DescribeDbInstancesOutput::builder().build());
        let clusters = mock!(aws_sdk_rds::Client::describe_db_clusters)
            .then_output(|| DescribeDbClustersOutput::builder().build());
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&instances, &clusters]);
        (rds, [instances, clusters])
    }

    #[tokio::test]
    async fn invalid_input_comes_before_any_aws_call() {
        let asked = AtomicBool::new(false);
        let bad = json!({"request": {"target": {"region": "us-east-1", "identifier": "orders", "engine": "oracle-ee"}}});
        let err = handle_with(bad, |_| async {
            asked.store(true, Ordering::SeqCst);
            // No rules: any call would panic.
            Ok(mock_client!(aws_sdk_rds, RuleMode::MatchAny, &[]))
        })
        .await
        .unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("target.engine"), "{err}");
        assert!(!asked.load(Ordering::SeqCst), "no client was even made");
        let past = json!({"request": {"target": {"region": "us-east-1", "identifier": "orders", "engine": "mysql"}, "options": {"switchoverMode": "window", "switchoverAt": "2020-01-01T00:00:00Z"}}});
        let err = handle_with(past, |_| async {
            asked.store(true, Ordering::SeqCst);
            Ok(mock_client!(aws_sdk_rds, RuleMode::MatchAny, &[]))
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("options.switchoverAt"), "{err}");
        assert!(
            !asked.load(Ordering::SeqCst),
            "a past window reaches no AWS call"
        );
        let err = handle_with(json!({"request": {}, "extra": 1}), |_| async {
            Ok(mock_client!(aws_sdk_rds, RuleMode::MatchAny, &[]))
        })
        .await
        .unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
    }

    #[tokio::test]
    async fn dry_run_answers_a_failed_report() {
        let (rds, rules) = empty_account();
        let report = handle_with(event("dry-run"), |_| async { Ok(rds) })
            .await
            .expect("dry run answers");
        assert!(!report.passed);
        assert_eq!(report.findings[0].id, "source-exists");
        assert_eq!(rules[0].num_calls(), 1);
    }

    #[tokio::test]
    async fn blocking_findings_fail_with_the_full_report() {
        let (rds, _rules) = empty_account();
        let err = handle_with(event("upgrade"), |_| async { Ok(rds) })
            .await
            .unwrap_err();
        assert_eq!(err.name(), "PrecheckFailed");
        let report: Report =
            serde_json::from_str(&err.to_string()).expect("the message is the report's JSON");
        assert_eq!((report.passed, report.blocking), (false, 1));
        assert!(report.report.contains("source-exists"));
        let value: serde_json::Value = serde_json::from_str(&err.to_string()).unwrap();
        for field in [
            "passed",
            "blocking",
            "warnings",
            "findings",
            "notChecked",
            "database",
            "report",
        ] {
            assert!(value.get(field).is_some(), "contract field {field}");
        }
    }
}
