//! Step `poll-status`: where the deployment stands (`status`), or, after switchover, whether
//! production is what the upgrade asked for (`verify`). Only reads.
//!
//! While the state machine waits for a switchover it sends `switchoverRequestedAfter` (the
//! execution's start): a deployment AVAILABLE again whose last switchover event since then is
//! RDS-EVENT-0249 "Switchover canceled" was rolled back by RDS, which is reported as
//! `SwitchoverRolledBack` (nothing changed), not waited for until the poll budget runs out.
//!
//! `status` also reads the deployment's RDS events (`readiness::event_verdict`): a creation
//! that failed (RDS-EVENT-0245) is `DeploymentFailed` with AWS's reason, green's storage
//! initialization (0405 until 0406) is waited for, and a sequence sync is named while a
//! switchover takes longer.

use serde::{Deserialize, Serialize};

use crate::aws::clients::ClientFactory;
use crate::aws::database::{Database, DatabaseSummary};
use crate::aws::deployment::{self, Deployment, DeploymentRef, DeploymentStatus, Member, Task};
use crate::aws::{arn, events};
use crate::error::Error;
use crate::input::Request;
use crate::readiness::{self, InstanceHealth, Phase};
use crate::steps::{parse_event, parse_request, DeploymentEvent, Poll, Tick};

/// What the state machine asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    #[default]
    Status,
    Verify,
    /// What to invoke for `hookStage` and with what ([`crate::hooks::payload`]).
    HookPayload,
    /// Store the waiting task's token in the lock item ([`crate::waits`]): the state that
    /// would have slept listens instead; its wake-up is followed by `status` again.
    Wait,
}

/// The event (absent `operation` means `status` for poll-status).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(flatten)]
    pub base: DeploymentEvent<Option<Operation>>,
    /// Set while waiting for a switchover this execution requested (RFC 3339): events from
    /// then on tell a rolled-back switchover.
    #[serde(default)]
    pub switchover_requested_after: Option<String>,
    /// `verify`: the precheck's answer (`$.precheck`, null when the execution ran none), whose
    /// `baseline` is what blue had before anything was created.
    #[serde(default)]
    pub precheck: Option<PrecheckKept>,
    /// `hook-payload`: the stage whose hook is asked for, and the execution's name (when the
    /// runtime did not take it out: [`ClientFactory::execution`]).
    #[serde(default)]
    pub hook_stage: Option<crate::hooks::HookStage>,
    #[serde(default)]
    pub execution: Option<String>,
    /// `wait`: the token, its purpose and timeout, and the lock.
    #[serde(default)]
    pub wait: Option<crate::waits::WaitRequest>,
}

/// The part of the precheck's answer verify reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PrecheckKept {
    #[serde(default)]
    pub baseline: Option<crate::parity::Baseline>,
}

/// The answer of `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub phase: Phase,
    pub deployment: DeploymentRef,
    pub status: DeploymentStatus,
    #[serde(default)]
    pub status_details: Option<String>,
    pub tasks: Vec<Task>,
    pub members: Vec<Member>,
    pub waiting_for: Vec<String>,
    /// Once green is ready: seconds from RDS's CreateTime of the deployment to this poll (the
    /// GreenBuildTime metric, and the upgrade's figures at its end); null before.
    #[serde(default)]
    pub green_build_seconds: Option<f64>,
    #[serde(flatten)]
    pub tick: Tick,
}

/// The answer of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub verified: bool,
    pub production: DatabaseSummary,
    pub old_blue: DatabaseSummary,
    /// Null when RDS recorded no switchover events.
    #[serde(default)]
    pub switchover: Option<events::SwitchoverTiming>,
    /// Production against what blue had: the differences that did not fail verify.
    /// (Absent only from answers made before parity existed.)
    #[serde(default)]
    pub parity: Option<crate::parity::Parity>,
    /// The global database production writes for, when it is one's primary.
    #[serde(default)]
    pub global: Option<crate::aws::global::GlobalCluster>,
}

/// Either answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Status(Box<Status>),
    Verified(Box<Verified>),
    Hook(Box<crate::hooks::payload::HookCall>),
    Waiting(crate::waits::Waiting),
}

/// Runs the step for one Lambda event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Answer, Error> {
    let event: Event = parse_event(event)?;
    let baseline = event.precheck.clone().unwrap_or_default().baseline;
    // The runtime takes `execution` out of a function's event and gives it to the clients; a
    // step called directly (tests) may still carry it in the event.
    let execution = event
        .execution
        .clone()
        .or_else(|| clients.execution().map(str::to_owned));
    let hook_stage = event.hook_stage;
    let waiting = event.wait.clone();
    let since = event
        .switchover_requested_after
        .as_deref()
        .map(parse_time)
        .transpose()?;
    let event = event.base;
    let request = parse_request(&event.request)?;
    let rds = clients.rds(&request.target)?;
    match event.operation.unwrap_or_default() {
        Operation::Status => {
            let given = event.deployment.as_ref();
            let answer = match since {
                Some(since) => members_settled(
                    switchover_status(&rds, &request, given, event.poll, since).await?,
                )?,
                None => status(&rds, &request, given, event.poll).await?,
            };
            // The green loop's poll that found green ready measures its build, once.
            if since.is_none() {
                crate::metrics::green_built(&request.target, answer.green_build_seconds);
            }
            Ok(Answer::Status(Box::new(answer)))
        }
        Operation::Verify => Ok(Answer::Verified(Box::new(
            verify_with(&rds, &request, event.deployment.as_ref(), baseline.as_ref()).await?,
        ))),
        Operation::Wait => {
            if let Some(w) = waiting.as_ref() {
                if let Some(poll) = w.recheck {
                    let given = event.deployment.as_ref();
                    let read = match since {
                        Some(since) => {
                            switchover_status(&rds, &request, given, poll, since).await?
                        }
                        None => status(&rds, &request, given, poll).await?,
                    };
                    still_waiting(w, read.phase, &read.status)?;
                }
            }
            Ok(Answer::Waiting(wait(waiting.as_ref(), clients).await?))
        }
        Operation::HookPayload => Ok(Answer::Hook(Box::new(
            crate::hooks::payload::call(
                &rds,
                &request,
                event.deployment.as_ref(),
                hook_stage,
                execution,
            )
            .await?,
        ))),
    }
}

/// A rechecking wait begins only while its purpose is still in progress and an RDS event is
/// still to come: green being built, or the deployment still switching over (`ready` can
/// still be read right after the switchover call). A deployment that reads
/// SWITCHOVER_COMPLETED has sent its last event (RDS-EVENT-0248), even while its members still
/// settle: nothing would wake the wait but its 10-minute fallback. Otherwise `WaitOver`, and
/// the state machine goes on to the read that decides.
fn still_waiting(
    wait: &crate::waits::WaitRequest,
    phase: Phase,
    status: &DeploymentStatus,
) -> Result<(), Error> {
    use crate::waits::Purpose;
    let waiting = match wait.purpose {
        Purpose::Green => phase == Phase::Provisioning,
        Purpose::Switchover => {
            matches!(phase, Phase::Switching | Phase::Ready)
                && *status != DeploymentStatus::SwitchoverCompleted
        }
        other => {
            return Err(Error::invalid(
                "wait.recheck",
                format!(
                    "is set for the {} wait, which no status read ends",
                    other.name()
                ),
                "remove it: only the green and switchover waits read before waiting",
            ))
        }
    };
    if waiting {
        return Ok(());
    }
    Err(Error::WaitOver {
        key: wait
            .lock
            .as_ref()
            .map_or_else(String::new, |c| c.key.clone()),
        purpose: wait.purpose.name().to_owned(),
        phase: phase_name(phase).to_owned(),
    })
}

/// The switchover's read (`Poll switchover`): a deployment that reads SWITCHOVER_COMPLETED while
/// a member still reads SWITCHOVER_IN_PROGRESS (member statuses lag the deployment's,
/// API_SwitchoverDetail) has sent its last event, so no wait would end on one: `NotReady`, which
/// the state's Retry reads again shortly (at most its attempts: then the failure is told).
fn members_settled(read: Status) -> Result<Status, Error> {
    if read.phase == Phase::Switching && read.status == DeploymentStatus::SwitchoverCompleted {
        return Err(Error::NotReady {
            reason: format!(
                "deployment {} reads {} but its members are still settling: {}",
                read.deployment.id,
                read.status,
                read.waiting_for.join("; ")
            ),
        });
    }
    Ok(read)
}

/// `wait`: the token goes to the lock item; the read that follows the wake-up is `status`.
async fn wait(
    wait: Option<&crate::waits::WaitRequest>,
    clients: &ClientFactory,
) -> Result<crate::waits::Waiting, Error> {
    let wait = wait.ok_or_else(|| {
        Error::invalid(
            "wait",
            "is missing for operation `wait`",
            "pass the token, purpose, timeoutSeconds, polledAt and lock",
        )
    })?;
    crate::waits::TokenStore::from_env(clients.base())?
        .store(wait, std::time::SystemTime::now())
        .await
}

/// Step Functions' `$$.Execution.StartTime` (ISO 8601, `Z` or an offset; UTC when it has none).
pub fn parse_time(text: &str) -> Result<aws_smithy_types::DateTime, Error> {
    use aws_smithy_types::date_time::Format::DateTimeWithOffset;
    aws_smithy_types::DateTime::from_str(text, DateTimeWithOffset)
        .or_else(|e| {
            aws_smithy_types::DateTime::from_str(&format!("{text}Z"), DateTimeWithOffset)
                .map_err(|_| e)
        })
        .map_err(|e| {
            Error::invalid(
                "switchoverRequestedAfter",
                format!("`{text}` is not an RFC 3339 time: {e}"),
                "check the state machine's Parameters for this step ($$.Execution.StartTime)",
            )
        })
}

/// `status` while waiting for a switchover requested after `since`: a deployment back at
/// AVAILABLE whose last switchover event since then is "Switchover canceled" (RDS-EVENT-0249)
/// was rolled back by RDS: `SwitchoverRolledBack`.
pub async fn switchover_status(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
    since: aws_smithy_types::DateTime,
) -> Result<Status, Error> {
    let d = deployment::locate(rds, request, given).await?;
    if d.status == DeploymentStatus::Available {
        if let Some((events::SwitchoverEvent::Canceled, at)) =
            events::last_switchover_event(rds, &d.id, Some(since)).await?
        {
            return Err(rolled_back(&d, &at));
        }
    }
    assess_status(rds, request, d, poll).await
}

fn rolled_back(d: &Deployment, at: &aws_smithy_types::DateTime) -> Error {
    Error::SwitchoverRolledBack {
        deployment: d.id.clone(),
        production: d.source_name().to_owned(),
        green: d.target_name().to_owned(),
        at: events::format_time(at),
    }
}

/// Reads the deployment and green, and answers the phase. While provisioning or switching,
/// it counts the poll against `options.maxPolls`.
pub async fn status(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
) -> Result<Status, Error> {
    let d = deployment::locate(rds, request, given).await?;
    assess_status(rds, request, d, poll).await
}

/// Reads green when it matters and answers the deployment's phase.
async fn assess_status(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    d: Deployment,
    poll: Poll,
) -> Result<Status, Error> {
    // Read before the statuses: RDS-EVENT-0245 carries why green could not be created, which
    // says more than INVALID_CONFIGURATION alone. Nothing is waited for after switchover.
    let recorded = match d.status {
        DeploymentStatus::SwitchoverCompleted | DeploymentStatus::Deleting => Vec::new(),
        _ => events::recorded(rds, &d.id, d.create_time).await?,
    };
    let also_waiting = readiness::event_verdict(&d, &recorded)?;
    let green = if d.status == DeploymentStatus::Available {
        readiness::green_instances(rds, &d).await?
    } else {
        Vec::new()
    };
    let mut assessment = readiness::assess(&d, &green)?;
    if assessment.phase == Phase::Ready && !also_waiting.is_empty() {
        assessment.phase = Phase::Provisioning;
    }
    assessment.waiting_for.extend(also_waiting);
    let tick = match assessment.phase {
        Phase::Provisioning | Phase::Switching => poll.tick(
            &format!("{} of {}", phase_name(assessment.phase), d.id),
            request.options.max_polls,
        )?,
        Phase::Ready | Phase::Switched => poll.settled(),
    };
    tracing::info!(deployment = %d.id, status = %d.status, phase = ?assessment.phase, waiting_for = ?assessment.waiting_for, "polled");
    let green_build_seconds = (assessment.phase == Phase::Ready)
        .then(|| seconds_since(d.create_time.as_ref()?))
        .flatten();
    Ok(Status {
        green_build_seconds,
        phase: assessment.phase,
        deployment: d.reference(),
        status: d.status,
        status_details: d.status_details,
        tasks: d.tasks,
        members: d.members,
        waiting_for: assessment.waiting_for,
        tick,
    })
}

/// Seconds from an AWS timestamp to now; `None` for a time in the future.
fn seconds_since(at: &aws_smithy_types::DateTime) -> Option<f64> {
    let at = std::time::SystemTime::try_from(*at).ok()?;
    let elapsed = std::time::SystemTime::now().duration_since(at).ok()?;
    Some((elapsed.as_secs_f64() * 1000.0).round() / 1000.0)
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Provisioning => "green provisioning",
        Phase::Switching => "switchover",
        Phase::Ready => "ready",
        Phase::Switched => "switched",
    }
}

/// After switchover: production (the original name) is the deployment's target, runs the
/// requested version with every member available, and old blue is there under `-oldN`.
pub async fn verify(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
) -> Result<Verified, Error> {
    verify_with(rds, request, given, None).await
}

/// [`verify`], with production compared with `baseline` (what blue had before create; old
/// blue when none was kept) and, for a global database, the global cluster re-read.
pub async fn verify_with(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    baseline: Option<&crate::parity::Baseline>,
) -> Result<Verified, Error> {
    let d = deployment::locate(rds, request, given).await?;
    let fail = |reason: String| Error::VerificationFailed {
        database: request.target.identifier.clone(),
        reason,
    };
    match &d.status {
        DeploymentStatus::SwitchoverCompleted => {}
        DeploymentStatus::SwitchoverInProgress => {
            return Err(Error::NotReady {
                reason: format!("switchover of {} is still in progress", d.id),
            })
        }
        other => {
            return Err(fail(format!(
                "deployment {} is {other}, not {}",
                d.id,
                DeploymentStatus::SwitchoverCompleted
            )))
        }
    }
    // Every member, not only the deployment: a failed member is a partial switchover.
    let members = readiness::assess(&d, &[])?;
    if members.phase != Phase::Switched {
        return Err(Error::NotReady {
            reason: format!(
                "switchover of {} is still settling: {}",
                d.id,
                members.waiting_for.join("; ")
            ),
        });
    }
    let production = Database::load(rds, &request.target).await?;
    if production.arn != d.target_arn {
        return Err(fail(format!(
            "{} is not the deployment's target ({})",
            production.arn, d.target_arn
        )));
    }
    if let Some(version) = &request.options.target_engine_version {
        if &production.engine_version != version {
            return Err(fail(format!(
                "production runs {}, not the requested {version}",
                production.engine_version
            )));
        }
    }
    check_settled(&production)?;
    let old_name = d.source_name();
    if arn::old_suffix(old_name).is_none() || old_name == production.identifier {
        return Err(fail(format!(
            "the deployment's source `{old_name}` is not an -oldN name"
        )));
    }
    let old_blue = Database::find(rds, production.kind, old_name)
        .await?
        .ok_or_else(|| fail(format!("old blue `{old_name}` was not found")))?;
    if old_blue.resource_id == production.resource_id {
        return Err(fail(format!(
            "old blue and production share the resource id {}",
            production.resource_id
        )));
    }
    let parity = crate::parity::check(rds, request, &production, &old_blue, baseline).await?;
    let global = crate::parity::check_global(rds, request, &production).await?;
    let switchover = events::switchover_timing(rds, &d.id).await?;
    tracing::info!(production = %production.identifier, version = %production.engine_version, old_blue = %old_blue.identifier, ?switchover, "verified");
    Ok(Verified {
        verified: true,
        production: production.summary(),
        old_blue: old_blue.summary(),
        switchover,
        parity: Some(parity),
        global,
    })
}

/// Every production member available; a member still settling is `NotReady` (retried), a
/// broken one a verification failure.
fn check_settled(production: &Database) -> Result<(), Error> {
    let mut statuses: Vec<(String, String)> = production
        .instances
        .iter()
        .map(|i| {
            (
                i.db_instance_identifier().unwrap_or_default().to_owned(),
                i.db_instance_status().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    if production.cluster.is_some() {
        statuses.push((production.identifier.clone(), production.status.clone()));
    }
    for (id, status) in statuses {
        match readiness::instance_health(&status) {
            Some(InstanceHealth::Available) => {}
            Some(InstanceHealth::Settling) => {
                return Err(Error::NotReady {
                    reason: format!("production member {id} is {status}"),
                })
            }
            Some(InstanceHealth::Broken) | None => {
                return Err(Error::VerificationFailed {
                    database: production.identifier.clone(),
                    reason: format!("production member {id} is {status}"),
                })
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsOutput;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::{
        BlueGreenDeployment, BlueGreenDeploymentTask, DbInstance, DbParameterGroupStatus,
        SwitchoverDetail,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use serde_json::json;

    const SOURCE: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";
    const TARGET: &str = "arn:aws:rds:us-east-1:123456789012:db:orders-green-abc";

    fn request() -> Request {
        Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "postgres"}, "options": {"maxPolls": 5}})).unwrap()
    }

    fn given() -> DeploymentRef {
        DeploymentRef {
            id: "bgd-1".into(),
            name: "n".into(),
            source_arn: SOURCE.into(),
            target_arn: None,
        }
    }

    fn bgd(status: DeploymentStatus, task: &str) -> DescribeBlueGreenDeploymentsOutput {
        DescribeBlueGreenDeploymentsOutput::builder()
            .blue_green_deployments(
                BlueGreenDeployment::builder()
                    .blue_green_deployment_identifier("bgd-1")
                    .blue_green_deployment_name("n")
                    .source(SOURCE)
                    .target(TARGET)
                    .status(status.as_str())
                    .status_details("replication stopped: green was written to")
                    .tasks(
                        BlueGreenDeploymentTask::builder()
                            .name("CREATING_READ_REPLICA_OF_SOURCE")
                            .status(task)
                            .build(),
                    )
                    .switchover_details(
                        SwitchoverDetail::builder()
                            .source_member(SOURCE)
                            .target_member(TARGET)
                            .status(if status == DeploymentStatus::Provisioning {
                                "PROVISIONING"
                            } else {
                                "AVAILABLE"
                            })
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn green(status: &'static str) -> DescribeDbInstancesOutput {
        DescribeDbInstancesOutput::builder()
            .db_instances(
                DbInstance::builder()
                    .db_instance_identifier("orders-green-abc")
                    .db_instance_status(status)
                    .db_parameter_groups(
                        DbParameterGroupStatus::builder()
                            .db_parameter_group_name("pg")
                            .parameter_apply_status("in-sync")
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn provisioning_over_several_polls_then_ready() {
        let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
            .sequence()
            .output(|| bgd(DeploymentStatus::Provisioning, "IN_PROGRESS"))
            .times(2)
            .output(|| bgd(DeploymentStatus::Available, "COMPLETED"))
            .times(2)
            .build();
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| green("storage-optimization"))
            .output(|| green("available"))
            .build();
        let events = no_events();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &events]
        );
        let mut poll = Poll::default();
        let mut phases = Vec::new();
        for _ in 0..4 {
            let s = status(&rds, &request(), Some(&given()), poll)
                .await
                .unwrap();
            phases.push((s.phase, s.waiting_for.first().cloned().unwrap_or_default()));
            poll = Poll {
                attempt: s.tick.attempt,
            };
        }
        assert_eq!(phases[0].0, Phase::Provisioning);
        assert_eq!(phases[1].0, Phase::Provisioning);
        assert_eq!(
            phases[2].0,
            Phase::Provisioning,
            "a green member in storage-optimization is not ready"
        );
        assert!(phases[2].1.contains("storage-optimization"));
        assert_eq!(phases[3].0, Phase::Ready);
    }

    #[tokio::test]
    async fn throttling_then_success() {
        let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
            .sequence()
            .http_status(400, Some(r#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"#.into()))
            .output(|| bgd(DeploymentStatus::SwitchoverInProgress, "COMPLETED"))
            .build();
        let events = no_events();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &events],
            |c| c.retry_config(
                aws_sdk_rds::config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(std::time::Duration::from_millis(1))
            )
        );
        let s = status(&rds, &request(), Some(&given()), Poll::default())
            .await
            .unwrap();
        assert_eq!(s.phase, Phase::Switching);
        assert_eq!(
            deployments.num_calls(),
            2,
            "the SDK retried the throttled call itself"
        );
    }

    #[tokio::test]
    async fn failures_and_unknown_statuses_stop() {
        for (status_value, task, expected) in [
            ("INVALID_CONFIGURATION", "COMPLETED", "DeploymentFailed"),
            ("SWITCHOVER_FAILED", "COMPLETED", "DeploymentFailed"),
            ("AVAILABLE", "FAILED", "DeploymentFailed"),
            ("WARMING_UP", "COMPLETED", "UnknownStatus"),
        ] {
            // AWS's strings, parsed as the API's answer is: `WARMING_UP` is unknown.
            let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
                .then_output(move || bgd(DeploymentStatus::parse(status_value), task));
            let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
                .then_output(|| green("available"));
            let events = no_events();
            let rds = mock_client!(
                aws_sdk_rds,
                RuleMode::MatchAny,
                [&deployments, &instances, &events]
            );
            let err = status(&rds, &request(), Some(&given()), Poll::default())
                .await
                .unwrap_err();
            assert_eq!(err.name(), expected, "{status_value}/{task}: {err}");
            if status_value == "INVALID_CONFIGURATION" {
                assert!(
                    err.to_string().contains("green was written to"),
                    "AWS's StatusDetails reach the cause: {err}"
                );
            }
        }
    }

    /// A deployment on which RDS recorded nothing the product reads.
    fn no_events() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_rds::Client::describe_events).then_output(|| {
            aws_sdk_rds::operation::describe_events::DescribeEventsOutput::builder().build()
        })
    }

    /// RDS-EVENT-0245 after create returned: the poll says green could not be created, with
    /// AWS's reason, whatever the status still reads.
    #[tokio::test]
    async fn a_creation_failure_event_stops_the_wait_with_aws_reason() {
        use aws_sdk_rds::types::Event as RdsEvent;
        let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
            .then_output(|| bgd(DeploymentStatus::Provisioning, "IN_PROGRESS"));
        let events = mock!(aws_sdk_rds::Client::describe_events).then_output(|| {
            aws_sdk_rds::operation::describe_events::DescribeEventsOutput::builder()
                .events(RdsEvent::builder().message("Creation of blue/green deployment failed due to incompatible parameter(s): [max_logical_replication_workers] .See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-creating.html#blue-green-deployments-creating-preparing-postgres to help resolve the issues, then delete and recreate the blue/green deployment.").date(aws_smithy_types::DateTime::from_secs(1000)).build())
                .build()
        });
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&deployments, &events]);
        let err = status(&rds, &request(), Some(&given()), Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "DeploymentFailed");
        assert!(
            err.to_string().contains("max_logical_replication_workers"),
            "{err}"
        );
    }

    fn switchover_events() -> aws_sdk_rds::operation::describe_events::DescribeEventsOutput {
        use aws_sdk_rds::types::Event as RdsEvent;
        use aws_smithy_types::DateTime;
        aws_sdk_rds::operation::describe_events::DescribeEventsOutput::builder()
            .events(RdsEvent::builder().message("Switchover from orders to orders-green-abc started.").date(DateTime::from_secs(1000)).build())
            .events(RdsEvent::builder().message("Switchover from primary/read replica orders to orders-green-abc was canceled due to replica lag.").date(DateTime::from_secs(1300)).build())
            .events(RdsEvent::builder().message("Switchover canceled on blue/green deployment.").date(DateTime::from_secs(1300)).build())
            .build()
    }

    #[tokio::test]
    async fn available_again_after_a_canceled_switchover_is_a_rollback() {
        use aws_smithy_types::DateTime;
        let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
            .then_output(|| bgd(DeploymentStatus::Available, "COMPLETED"));
        let instances =
            mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| green("available"));
        let events = mock!(aws_sdk_rds::Client::describe_events).then_output(switchover_events);
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &events]
        );
        let err = switchover_status(
            &rds,
            &request(),
            Some(&given()),
            Poll::default(),
            DateTime::from_secs(900),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "SwitchoverRolledBack", "{err}");
        let text = err.to_string();
        assert!(
            text.contains("orders is unchanged") && text.contains("orders-green-abc is kept"),
            "{text}"
        );

        // Without a switchover of this execution (events before it), AVAILABLE is just ready.
        let s = status(&rds, &request(), Some(&given()), Poll::default())
            .await
            .unwrap();
        assert_eq!(s.phase, Phase::Ready);
    }

    #[tokio::test]
    async fn a_switchover_not_yet_visible_is_waited_for() {
        use aws_smithy_types::DateTime;
        let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
            .then_output(|| bgd(DeploymentStatus::Available, "COMPLETED"));
        let instances =
            mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| green("available"));
        let events = mock!(aws_sdk_rds::Client::describe_events).then_output(|| {
            aws_sdk_rds::operation::describe_events::DescribeEventsOutput::builder().build()
        });
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &events]
        );
        let s = switchover_status(
            &rds,
            &request(),
            Some(&given()),
            Poll::default(),
            DateTime::from_secs(2000),
        )
        .await
        .unwrap();
        assert_eq!(
            s.phase,
            Phase::Ready,
            "the state machine waits (bounded by maxPolls)"
        );
    }

    #[test]
    fn the_request_time_must_be_rfc3339() {
        assert_eq!(parse_time("yesterday").unwrap_err().name(), "InvalidInput");
        assert_eq!(
            parse_time("2026-12-02T09:00:00.123Z").unwrap().secs(),
            1_796_202_000
        );
    }

    #[tokio::test]
    async fn the_poll_budget_ends_the_wait() {
        let deployments = mock!(aws_sdk_rds::Client::describe_blue_green_deployments)
            .then_output(|| bgd(DeploymentStatus::Provisioning, "IN_PROGRESS"));
        let events = no_events();
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&deployments, &events]);
        let err = status(&rds, &request(), Some(&given()), Poll { attempt: 5 })
            .await
            .unwrap_err();
        assert_eq!(err.name(), "WaitTimedOut");
    }

    /// A switchover read: `phase` with the deployment's own `status`.
    fn switch_read(phase: Phase, status: DeploymentStatus) -> Status {
        Status {
            phase,
            deployment: given(),
            status,
            status_details: None,
            tasks: Vec::new(),
            members: Vec::new(),
            waiting_for: vec!["member db:orders is SWITCHOVER_IN_PROGRESS".into()],
            green_build_seconds: None,
            tick: Poll::default().settled(),
        }
    }

    #[test]
    fn members_settling_after_the_last_event_are_read_again_not_waited_for() {
        use DeploymentStatus::{SwitchoverCompleted, SwitchoverInProgress};
        let wait: crate::waits::WaitRequest = serde_json::from_value(json!({"purpose": "switchover", "token": "t", "timeoutSeconds": 600, "polledAt": "2026-12-07T05:00:00Z", "lock": {"key": "1/r/orders", "holder": "arn:me"}})).unwrap();
        // The deployment still switching: RDS-EVENT-0248 is to come, the wait listens for it.
        assert!(still_waiting(&wait, Phase::Switching, &SwitchoverInProgress).is_ok());
        assert!(members_settled(switch_read(Phase::Switching, SwitchoverInProgress)).is_ok());
        // Completed with members still settling: no event follows, so the wait does not begin
        // and the read that decides answers NotReady (its state's Retry reads again).
        let over = still_waiting(&wait, Phase::Switching, &SwitchoverCompleted).unwrap_err();
        assert_eq!(over.name(), "WaitOver");
        let settling = members_settled(switch_read(Phase::Switching, SwitchoverCompleted));
        let err = settling.unwrap_err();
        assert_eq!(err.name(), "NotReady");
        assert!(err.to_string().contains("still settling"), "{err}");
        // Every member done: switched, which the state machine goes on from.
        let done = members_settled(switch_read(Phase::Switched, SwitchoverCompleted)).unwrap();
        assert_eq!(done.phase, Phase::Switched);
    }
}
