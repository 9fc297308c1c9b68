//! Step `switchover`: snapshot blue (`snapshot-blue`), then switch over once green is really
//! ready (`switchover`).
//!
//! The readiness gate re-reads everything right before the call: the deployment AVAILABLE,
//! every task COMPLETED, every green instance available and in sync with its parameter
//! groups. A green member pending a reboot is rebooted (as the runbooks do) and waited for.
//! A deployment already switching or switched gets no second call: the same answer.

use serde::{Deserialize, Serialize};

use crate::aws::clients::ClientFactory;
use crate::aws::deployment::{self, Deployment, DeploymentRef};
use crate::aws::snapshot::{self, SnapshotState};
use crate::error::Error;
use crate::input::Request;
use crate::naming;
use crate::readiness::{self, GreenInstance, Phase};
use crate::steps::{parse_event, parse_request, DeploymentEvent, Poll, Progress, Tick};

/// What the state machine asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    SnapshotBlue,
    Switchover,
}

/// The event.
pub type Event = DeploymentEvent<Operation>;

/// The answer of `snapshot-blue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub state: Progress,
    pub deployment: DeploymentRef,
    /// Null when no snapshot was taken (see `skipped`).
    #[serde(default)]
    pub snapshot_id: Option<String>,
    #[serde(default)]
    pub snapshot_status: Option<String>,
    /// Why no snapshot was taken, when none was.
    #[serde(default)]
    pub skipped: Option<String>,
    #[serde(flatten)]
    pub tick: Tick,
}

/// What the `switchover` operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    RebootingGreen,
    WaitingForGreen,
    SwitchoverRequested,
    AlreadySwitching,
    AlreadySwitched,
}

/// The answer of `switchover`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Switchover {
    pub state: Progress,
    pub action: Action,
    pub deployment: DeploymentRef,
    pub detail: String,
    #[serde(flatten)]
    pub tick: Tick,
}

/// Either answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Snapshot(Snapshot),
    Switchover(Switchover),
}

/// Runs the step for one Lambda event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Answer, Error> {
    let event: Event = parse_event(event)?;
    let request = parse_request(&event.request)?;
    let rds = clients.rds(&request.target).await;
    match event.operation {
        Operation::SnapshotBlue => Ok(Answer::Snapshot(
            snapshot_blue(&rds, &request, event.deployment.as_ref(), event.poll).await?,
        )),
        Operation::Switchover => Ok(Answer::Switchover(
            switchover(&rds, &request, event.deployment.as_ref(), event.poll).await?,
        )),
    }
}

/// The deployment, checked to belong to the request's database.
async fn own_deployment(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
) -> Result<Deployment, Error> {
    let d = deployment::locate(rds, request, given).await?;
    let production = &request.target.identifier;
    let ours = d.source_name() == production
        || (d.status == "SWITCHOVER_COMPLETED" && d.target_name() == production);
    if !ours {
        return Err(Error::invalid(
            "deployment.id",
            format!(
                "names {} whose source is {}, not {production}",
                d.id, d.source_arn
            ),
            "start the execution for the deployment's own database, or fix options.deploymentName",
        ));
    }
    Ok(d)
}

/// Takes a manual snapshot of blue right before switchover and waits until it is available.
pub async fn snapshot_blue(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
) -> Result<Snapshot, Error> {
    let d = own_deployment(rds, request, given).await?;
    let done = |skipped: &str| Snapshot {
        state: Progress::Done,
        deployment: d.reference(),
        snapshot_id: None,
        snapshot_status: None,
        skipped: Some(skipped.to_owned()),
        tick: Tick {
            attempt: poll.attempt,
            next_wait_seconds: 0,
        },
    };
    if matches!(
        d.status.as_str(),
        "SWITCHOVER_IN_PROGRESS" | "SWITCHOVER_COMPLETED"
    ) {
        return Ok(done("the deployment has already switched over"));
    }
    if !request.options.snapshot_before_switchover {
        return Ok(done("options.snapshotBeforeSwitchover is false"));
    }
    let id = naming::pre_switchover_snapshot(&request.target.identifier, &d.id);
    let state = snapshot::ensure(
        rds,
        request.target.engine.kind(),
        &request.target.identifier,
        &id,
    )
    .await?;
    let (progress, status, tick) = match state {
        SnapshotState::Available => (
            Progress::Done,
            "available".to_owned(),
            Tick {
                attempt: poll.attempt,
                next_wait_seconds: 0,
            },
        ),
        SnapshotState::Creating(status) => (
            Progress::InProgress,
            status,
            poll.tick(&format!("snapshot {id}"), request.options.max_polls)?,
        ),
    };
    tracing::info!(snapshot = %id, %status, "snapshot of blue");
    Ok(Snapshot {
        state: progress,
        deployment: d.reference(),
        snapshot_id: Some(id),
        snapshot_status: Some(status),
        skipped: None,
        tick,
    })
}

/// Re-checks readiness and calls SwitchoverBlueGreenDeployment exactly once.
pub async fn switchover(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
) -> Result<Switchover, Error> {
    let d = own_deployment(rds, request, given).await?;
    let answer = |state, action, detail: String, tick| Switchover {
        state,
        action,
        deployment: d.reference(),
        detail,
        tick,
    };
    let settled = Tick {
        attempt: poll.attempt,
        next_wait_seconds: 0,
    };
    let green = if d.status == "AVAILABLE" {
        readiness::green_instances(rds, &d).await?
    } else {
        Vec::new()
    };
    let assessment = readiness::assess(&d, &green)?;
    match assessment.phase {
        Phase::Switching => {
            return Ok(answer(
                Progress::Done,
                Action::AlreadySwitching,
                format!("{} is already switching over", d.id),
                settled,
            ))
        }
        Phase::Switched => {
            return Ok(answer(
                Progress::Done,
                Action::AlreadySwitched,
                format!("{} has already switched over", d.id),
                settled,
            ))
        }
        Phase::Provisioning => {
            let tick = poll.tick(
                &format!("green of {} to be ready", d.id),
                request.options.max_polls,
            )?;
            return Ok(answer(
                Progress::InProgress,
                Action::WaitingForGreen,
                assessment.waiting_for.join("; "),
                tick,
            ));
        }
        Phase::Ready => {}
    }
    let pending: Vec<&GreenInstance> = green.iter().filter(|g| g.pending_reboot()).collect();
    if !pending.is_empty() {
        let names: Vec<&str> = pending.iter().map(|g| g.identifier.as_str()).collect();
        if !request.options.reboot_pending_green {
            return Err(Error::NotReady {
                reason: format!(
                    "green instances {} have parameter changes pending a reboot and options.rebootPendingGreen is false. Fix: reboot them, then start an execution with action switchover",
                    names.join(", ")
                ),
            });
        }
        for g in &pending {
            rds.reboot_db_instance()
                .db_instance_identifier(&g.identifier)
                .send()
                .await
                .map_err(|e| Error::from_sdk("RebootDBInstance", e))?;
            tracing::info!(instance = %g.identifier, "rebooted green instance to apply its parameters");
        }
        let tick = poll.tick(
            &format!("green reboot of {}", d.id),
            request.options.max_polls,
        )?;
        return Ok(answer(
            Progress::InProgress,
            Action::RebootingGreen,
            format!("rebooting {} to apply pending parameters", names.join(", ")),
            tick,
        ));
    }
    rds.switchover_blue_green_deployment()
        .blue_green_deployment_identifier(&d.id)
        .switchover_timeout(request.options.switchover_timeout_seconds)
        .send()
        .await
        .map_err(|e| Error::from_sdk("SwitchoverBlueGreenDeployment", e))?;
    tracing::info!(deployment = %d.id, timeout = request.options.switchover_timeout_seconds, "switchover requested");
    Ok(answer(
        Progress::Done,
        Action::SwitchoverRequested,
        format!(
            "switchover of {} requested with a {} s timeout",
            d.id, request.options.switchover_timeout_seconds
        ),
        settled,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsOutput;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::operation::reboot_db_instance::RebootDbInstanceOutput;
    use aws_sdk_rds::operation::switchover_blue_green_deployment::SwitchoverBlueGreenDeploymentOutput;
    use aws_sdk_rds::types::{
        BlueGreenDeployment, BlueGreenDeploymentTask, DbInstance, DbParameterGroupStatus,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use serde_json::json;

    const SOURCE: &str = "arn:aws:rds:us-east-1:123456789012:db:orders";
    const TARGET: &str = "arn:aws:rds:us-east-1:123456789012:db:orders-green-abc";

    fn request(options: serde_json::Value) -> Request {
        Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "mysql"}, "options": options})).unwrap()
    }

    fn bgd(status: &'static str) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_rds::Client::describe_blue_green_deployments).then_output(move || {
            DescribeBlueGreenDeploymentsOutput::builder()
                .blue_green_deployments(
                    BlueGreenDeployment::builder()
                        .blue_green_deployment_identifier("bgd-1")
                        .blue_green_deployment_name("n")
                        .source(SOURCE)
                        .target(TARGET)
                        .status(status)
                        .tasks(
                            BlueGreenDeploymentTask::builder()
                                .name("CONFIGURE_BACKUPS")
                                .status("COMPLETED")
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
    }

    fn green(status: &'static str, apply: &'static str) -> DescribeDbInstancesOutput {
        DescribeDbInstancesOutput::builder()
            .db_instances(
                DbInstance::builder()
                    .db_instance_identifier("orders-green-abc")
                    .db_instance_status(status)
                    .db_parameter_groups(
                        DbParameterGroupStatus::builder()
                            .db_parameter_group_name("pg")
                            .parameter_apply_status(apply)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn switch_rule() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_rds::Client::switchover_blue_green_deployment)
            .match_requests(|r| {
                r.blue_green_deployment_identifier() == Some("bgd-1")
                    && r.switchover_timeout() == Some(120)
            })
            .then_output(|| SwitchoverBlueGreenDeploymentOutput::builder().build())
    }

    #[tokio::test]
    async fn pending_reboot_green_is_rebooted_waited_for_then_switched() {
        let deployments = bgd("AVAILABLE");
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| green("available", "pending-reboot"))
            .output(|| green("rebooting", "applying"))
            .output(|| green("available", "in-sync"))
            .build();
        let reboot = mock!(aws_sdk_rds::Client::reboot_db_instance)
            .match_requests(|r| r.db_instance_identifier() == Some("orders-green-abc"))
            .then_output(|| RebootDbInstanceOutput::builder().build());
        let switch = switch_rule();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &reboot, &switch]
        );
        let r = request(json!({"switchoverTimeoutSeconds": 120}));
        let mut poll = Poll::default();
        let mut actions = Vec::new();
        for _ in 0..3 {
            let a = switchover(&rds, &r, None, poll).await.unwrap();
            actions.push((a.action, a.state));
            poll = Poll {
                attempt: a.tick.attempt,
            };
        }
        assert_eq!(
            actions,
            [
                (Action::RebootingGreen, Progress::InProgress),
                (Action::WaitingForGreen, Progress::InProgress),
                (Action::SwitchoverRequested, Progress::Done)
            ]
        );
        assert_eq!(reboot.num_calls(), 1);
        assert_eq!(switch.num_calls(), 1);
    }

    #[tokio::test]
    async fn already_switching_or_switched_makes_no_second_call() {
        for (status, action) in [
            ("SWITCHOVER_IN_PROGRESS", Action::AlreadySwitching),
            ("SWITCHOVER_COMPLETED", Action::AlreadySwitched),
        ] {
            let deployments = bgd(status);
            let switch = switch_rule();
            let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&deployments, &switch]);
            let r = request(json!({"switchoverTimeoutSeconds": 120}));
            let given = DeploymentRef {
                id: "bgd-1".into(),
                name: "n".into(),
                source_arn: SOURCE.into(),
                target_arn: None,
            };
            let a = switchover(&rds, &r, Some(&given), Poll::default())
                .await
                .unwrap();
            assert_eq!(a.action, action);
            assert_eq!(a.state, Progress::Done);
            assert_eq!(switch.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn reboot_disabled_refuses_instead_of_switching() {
        let deployments = bgd("AVAILABLE");
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
            .then_output(|| green("available", "pending-reboot"));
        let switch = switch_rule();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &switch]
        );
        let err = switchover(
            &rds,
            &request(json!({"rebootPendingGreen": false})),
            None,
            Poll::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "NotReady");
        assert!(err.to_string().contains("orders-green-abc"));
        assert_eq!(switch.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_state_fault_right_after_available_is_retryable() {
        let deployments = bgd("AVAILABLE");
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
            .then_output(|| green("available", "in-sync"));
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidBlueGreenDeploymentStateFault</Code><Message>green member not available</Message></Error></ErrorResponse>";
        let switch = mock!(aws_sdk_rds::Client::switchover_blue_green_deployment)
            .sequence()
            .http_status(400, Some(body.into()))
            .build();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &switch]
        );
        let err = switchover(&rds, &request(json!({})), None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "Retryable", "{err}");
    }

    #[tokio::test]
    async fn a_deployment_of_another_database_is_refused() {
        let deployments = bgd("AVAILABLE");
        let rds = mock_client!(aws_sdk_rds, [&deployments]);
        let r = Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "payments", "engine": "mysql"}, "options": {"deploymentName": "n"}})).unwrap();
        let err = switchover(&rds, &r, None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("deployment.id"));
    }
}
