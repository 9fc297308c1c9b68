//! Step `switchover`: snapshot blue (`snapshot-blue`), then switch over once green is really
//! ready (`switchover`); `check-window` checks a resumed execution's window when it starts.
//!
//! The readiness gate re-reads everything right before the call: the deployment AVAILABLE,
//! every task COMPLETED, every green instance available and in sync with its parameter
//! groups. A green member pending a reboot is rebooted (as the runbooks do) and waited for.
//! A deployment already switching or switched gets no second call: the same answer.
//! In `window` mode both operations re-check the window against the clock right before they
//! act: too early waits, too late fails with `WindowMissed` (nothing switched, green kept).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::aws::clients::ClientFactory;
use crate::aws::deployment::{self, Deployment, DeploymentRef, DeploymentStatus};
use crate::aws::snapshot::{self, SnapshotState};
use crate::error::Error;
use crate::input::Request;
use crate::naming;
use crate::readiness::{self, GreenInstance, Phase};
use crate::steps::{parse_event, parse_request, DeploymentEvent, Poll, Progress, Tick};
use crate::window::{Position, Window};

/// What the state machine asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// The start rules of the window (not past, not too far ahead); no AWS call.
    CheckWindow,
    SnapshotBlue,
    Switchover,
    /// After switchover: blue's IAM roles associated with production ([`super::restore_roles`]).
    RestoreRoles,
}

/// The event.
pub type Event = DeploymentEvent<Operation>;

/// The answer of `check-window`: the window the execution waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowCheck {
    pub state: Progress,
    /// When the window opens and closes (RFC 3339); null without a window.
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
}

/// The answer of `snapshot-blue`. Every field is always present (null when there is none):
/// the state machine reads them whatever the answer.
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
    /// What an in-progress answer waits for (the snapshot, or the window to open).
    #[serde(default)]
    pub waiting_for: Option<String>,
    /// The ARN of the snapshot being created, whose RDS event (RDS-EVENT-0042 / 0075) ends
    /// the wait; empty while waiting for the window (its timer ends that wait).
    #[serde(default)]
    pub awaits: Vec<String>,
    #[serde(flatten)]
    pub tick: Tick,
}

/// `skipped` of a snapshot not taken because the deployment has already switched over: the
/// switchover's own message says so (notify sends nothing for this skip).
pub const SKIPPED_ALREADY_SWITCHED: &str = "the deployment has already switched over";

/// What the `switchover` operation did. Only `SwitchoverRequested` and `RebootingGreen` act
/// in this call; `AlreadySwitching` and `AlreadySwitched` say another execution (or a person)
/// did the work, and notify tells them apart from a switchover made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchoverAction {
    RebootingGreen,
    WaitingForGreen,
    WaitingForWindow,
    SwitchoverRequested,
    AlreadySwitching,
    AlreadySwitched,
}

/// The answer of `switchover`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Switchover {
    pub state: Progress,
    pub action: SwitchoverAction,
    pub deployment: DeploymentRef,
    pub detail: String,
    #[serde(flatten)]
    pub tick: Tick,
}

/// Any answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Window(WindowCheck),
    Snapshot(Snapshot),
    Switchover(Switchover),
    Roles(super::restore_roles::RolesRestored),
}

/// Runs the step for one Lambda event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Answer, Error> {
    let event: Event = parse_event(event)?;
    let request = parse_request(&event.request)?;
    let now = SystemTime::now();
    let (given, poll) = (event.deployment.as_ref(), event.poll);
    match event.operation {
        // No client: the window's rules need the clock only.
        Operation::CheckWindow => Ok(Answer::Window(check_window(&request, now)?)),
        Operation::SnapshotBlue => {
            let rds = clients.rds(&request.target)?;
            let answer = snapshot_blue(&rds, &request, given, poll, now).await?;
            Ok(Answer::Snapshot(answer))
        }
        Operation::Switchover => {
            let rds = clients.rds(&request.target)?;
            let answer = switchover(&rds, &request, given, poll, now).await?;
            Ok(Answer::Switchover(answer))
        }
        Operation::RestoreRoles => {
            let rds = clients.rds(&request.target)?;
            Ok(Answer::Roles(
                super::restore_roles::restore(&rds, &request, given).await?,
            ))
        }
    }
}

/// The start rules of a resumed execution's window, before it waits for it.
pub fn check_window(request: &Request, now: SystemTime) -> Result<WindowCheck, Error> {
    request.validate_start(now)?;
    let window = request.window()?;
    let format = crate::notify::format::rfc3339;
    Ok(WindowCheck {
        state: Progress::Done,
        opens_at: window.map(|w| format(w.opens)),
        closes_at: window.map(|w| format(w.closes)),
    })
}

/// Where `now` stands in the request's window: `Ok(None)` to go on (no window, or open),
/// `Ok(Some(tick))` to wait for it to open, `WindowMissed` once it has closed.
fn window_wait(request: &Request, poll: Poll, now: SystemTime) -> Result<Option<Tick>, Error> {
    let Some(window): Option<Window> = request.window()? else {
        return Ok(None);
    };
    match window.position(now) {
        Position::Open => Ok(None),
        Position::Missed => Err(window.missed(now)),
        Position::Early(left) => {
            let mut tick = poll.tick("the switchover window", request.options.max_polls)?;
            // Whole seconds, rounded up, so the next call finds the window open.
            let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            tick.next_wait_seconds = u32::try_from(seconds).unwrap_or(u32::MAX);
            Ok(Some(tick))
        }
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
    if !d.belongs_to_name(production) {
        return Err(Error::invalid(
            "deployment.id",
            format!(
                "names {} (found by options.deploymentName, or carried by the execution) whose source is {}, not target.identifier {production}",
                d.id, d.source_arn
            ),
            format!(
                "set target.identifier to `{}` if that database is meant; otherwise set options.deploymentName to the name of {production}'s own deployment, or remove it to use the derived name",
                d.source_name()
            ),
        ));
    }
    Ok(d)
}

/// Takes a manual snapshot of blue right before switchover (inside the window, in `window`
/// mode) and waits until it is available.
pub async fn snapshot_blue(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
    now: SystemTime,
) -> Result<Snapshot, Error> {
    let d = own_deployment(rds, request, given).await?;
    let done = |skipped: &str| Snapshot {
        state: Progress::Done,
        deployment: d.reference(),
        snapshot_id: None,
        snapshot_status: None,
        skipped: Some(skipped.to_owned()),
        waiting_for: None,
        awaits: Vec::new(),
        tick: poll.settled(),
    };
    if d.status.switchover_started() {
        return Ok(done(SKIPPED_ALREADY_SWITCHED));
    }
    if let Some(tick) = window_wait(request, poll, now)? {
        return Ok(Snapshot {
            state: Progress::InProgress,
            snapshot_id: None,
            snapshot_status: None,
            skipped: None,
            waiting_for: Some("the switchover window to open".to_owned()),
            tick,
            ..done("")
        });
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
        SnapshotState::Available => (Progress::Done, "available".to_owned(), poll.settled()),
        SnapshotState::Creating(status) => {
            let mut tick = poll.tick(&format!("snapshot {id}"), request.options.max_polls)?;
            // The snapshot's event ends the wait; the timer is only the fallback read.
            tick.next_wait_seconds = crate::waits::store::FALLBACK_SECONDS;
            (Progress::InProgress, status, tick)
        }
    };
    tracing::info!(snapshot = %id, %status, "snapshot of blue");
    let snapshot_type = match request.target.engine.kind() {
        crate::input::Kind::Cluster => "cluster-snapshot",
        crate::input::Kind::Instance => "snapshot",
    };
    Ok(Snapshot {
        state: progress,
        deployment: d.reference(),
        waiting_for: (progress == Progress::InProgress).then(|| format!("snapshot {id}")),
        awaits: (progress == Progress::InProgress)
            .then(|| crate::aws::arn::sibling(&d.source_arn, snapshot_type, &id))
            .flatten()
            .into_iter()
            .collect(),
        snapshot_id: Some(id),
        snapshot_status: Some(status),
        skipped: None,
        tick,
    })
}

/// Re-checks the window and readiness and calls SwitchoverBlueGreenDeployment exactly once.
pub async fn switchover(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
    now: SystemTime,
) -> Result<Switchover, Error> {
    let d = own_deployment(rds, request, given).await?;
    let answer = |state, action, detail: String, tick| Switchover {
        state,
        action,
        deployment: d.reference(),
        detail,
        tick,
    };
    let settled = poll.settled();
    let green = if d.status == DeploymentStatus::Available {
        readiness::green_instances(rds, &d).await?
    } else {
        Vec::new()
    };
    let assessment = readiness::assess(&d, &green)?;
    match assessment.phase {
        Phase::Switching => {
            return Ok(answer(
                Progress::Done,
                SwitchoverAction::AlreadySwitching,
                format!("{} is already switching over", d.id),
                settled,
            ))
        }
        Phase::Switched => {
            return Ok(answer(
                Progress::Done,
                SwitchoverAction::AlreadySwitched,
                format!("{} has already switched over", d.id),
                settled,
            ))
        }
        Phase::Provisioning | Phase::Ready => {}
    }
    if let Some(tick) = window_wait(request, poll, now)? {
        return Ok(answer(
            Progress::InProgress,
            SwitchoverAction::WaitingForWindow,
            "waiting for the switchover window to open".to_owned(),
            tick,
        ));
    }
    if assessment.phase == Phase::Provisioning {
        let tick = poll.tick(
            &format!("green of {} to be ready", d.id),
            request.options.max_polls,
        )?;
        return Ok(answer(
            Progress::InProgress,
            SwitchoverAction::WaitingForGreen,
            assessment.waiting_for.join("; "),
            tick,
        ));
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
            SwitchoverAction::RebootingGreen,
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
        SwitchoverAction::SwitchoverRequested,
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

    fn bgd(status: DeploymentStatus) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_rds::Client::describe_blue_green_deployments).then_output(move || {
            DescribeBlueGreenDeploymentsOutput::builder()
                .blue_green_deployments(
                    BlueGreenDeployment::builder()
                        .blue_green_deployment_identifier("bgd-1")
                        .blue_green_deployment_name("n")
                        .source(SOURCE)
                        .target(TARGET)
                        .status(status.as_str())
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
        let deployments = bgd(DeploymentStatus::Available);
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
            let a = switchover(&rds, &r, None, poll, SystemTime::now())
                .await
                .unwrap();
            actions.push((a.action, a.state));
            poll = Poll {
                attempt: a.tick.attempt,
            };
        }
        assert_eq!(
            actions,
            [
                (SwitchoverAction::RebootingGreen, Progress::InProgress),
                (SwitchoverAction::WaitingForGreen, Progress::InProgress),
                (SwitchoverAction::SwitchoverRequested, Progress::Done)
            ]
        );
        assert_eq!(reboot.num_calls(), 1);
        assert_eq!(switch.num_calls(), 1);
    }

    #[tokio::test]
    async fn already_switching_or_switched_makes_no_second_call() {
        for (status, action) in [
            (
                DeploymentStatus::SwitchoverInProgress,
                SwitchoverAction::AlreadySwitching,
            ),
            (
                DeploymentStatus::SwitchoverCompleted,
                SwitchoverAction::AlreadySwitched,
            ),
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
            let a = switchover(&rds, &r, Some(&given), Poll::default(), SystemTime::now())
                .await
                .unwrap();
            assert_eq!(a.action, action);
            assert_eq!(a.state, Progress::Done);
            assert_eq!(switch.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn reboot_disabled_refuses_instead_of_switching() {
        let deployments = bgd(DeploymentStatus::Available);
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
            SystemTime::now(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "NotReady");
        assert!(err.to_string().contains("orders-green-abc"));
        assert_eq!(switch.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_state_fault_right_after_available_is_retryable() {
        let deployments = bgd(DeploymentStatus::Available);
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
        let err = switchover(
            &rds,
            &request(json!({})),
            None,
            Poll::default(),
            SystemTime::now(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "Retryable", "{err}");
    }

    fn at(text: &str) -> SystemTime {
        crate::window::parse_instant("now", text).unwrap()
    }

    fn windowed() -> Request {
        request(
            json!({"switchoverMode": "window", "switchoverAt": "2026-12-01T02:00:00Z", "switchoverNotAfter": "2026-12-01T03:00:00Z", "switchoverTimeoutSeconds": 120}),
        )
    }

    #[tokio::test]
    async fn the_switchover_waits_for_the_window_and_never_switches_after_it() {
        let deployments = bgd(DeploymentStatus::Available);
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances)
            .then_output(|| green("available", "in-sync"));
        let switch = switch_rule();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&deployments, &instances, &switch]
        );
        let early = switchover(
            &rds,
            &windowed(),
            None,
            Poll::default(),
            at("2026-12-01T01:59:00.5Z"),
        )
        .await
        .unwrap();
        assert_eq!(
            (early.action, early.state),
            (SwitchoverAction::WaitingForWindow, Progress::InProgress)
        );
        assert_eq!(
            early.tick.next_wait_seconds, 60,
            "until it opens, rounded up"
        );
        let late = switchover(
            &rds,
            &windowed(),
            None,
            Poll::default(),
            at("2026-12-01T03:00:01Z"),
        )
        .await
        .unwrap_err();
        assert_eq!(late.name(), "WindowMissed");
        assert_eq!(switch.num_calls(), 0, "no call outside the window");
        let open = switchover(
            &rds,
            &windowed(),
            None,
            Poll::default(),
            at("2026-12-01T02:30:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(open.action, SwitchoverAction::SwitchoverRequested);
        assert_eq!(switch.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_missed_window_takes_no_snapshot_and_a_switched_deployment_is_skipped() {
        let available = bgd(DeploymentStatus::Available);
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&available]);
        let err = snapshot_blue(
            &rds,
            &windowed(),
            None,
            Poll::default(),
            at("2026-12-01T04:00:00Z"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.name(),
            "WindowMissed",
            "no snapshot call was mocked: none was made"
        );
        let early = snapshot_blue(
            &rds,
            &windowed(),
            None,
            Poll::default(),
            at("2026-12-01T01:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(early.state, Progress::InProgress);
        assert_eq!(early.tick.next_wait_seconds, 3600);
        let switched = bgd(DeploymentStatus::SwitchoverCompleted);
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&switched]);
        let given = DeploymentRef {
            id: "bgd-1".into(),
            name: "n".into(),
            source_arn: SOURCE.into(),
            target_arn: None,
        };
        let skipped = snapshot_blue(
            &rds,
            &windowed(),
            Some(&given),
            Poll::default(),
            at("2026-12-01T04:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(skipped.state, Progress::Done);
        let answer = serde_json::to_value(&skipped).unwrap();
        for field in [
            "snapshotId",
            "snapshotStatus",
            "skipped",
            "waitingFor",
            "attempt",
            "nextWaitSeconds",
        ] {
            assert!(
                answer.get(field).is_some(),
                "{field} is always answered: {answer}"
            );
        }
        assert_eq!(answer["snapshotId"], serde_json::Value::Null);
    }

    #[test]
    fn check_window_applies_the_start_rules() {
        let ok = check_window(&windowed(), at("2026-12-01T01:00:00Z")).unwrap();
        assert_eq!(ok.opens_at.as_deref(), Some("2026-12-01T02:00:00Z"));
        assert_eq!(ok.closes_at.as_deref(), Some("2026-12-01T03:00:00Z"));
        let err = check_window(&windowed(), at("2026-12-01T02:10:00Z")).unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("options.switchoverAt"), "{err}");
        let none = check_window(&request(json!({})), at("2026-12-01T02:10:00Z")).unwrap();
        assert_eq!(none.opens_at, None);
    }

    #[tokio::test]
    async fn a_deployment_of_another_database_is_refused() {
        let deployments = bgd(DeploymentStatus::Available);
        let rds = mock_client!(aws_sdk_rds, [&deployments]);
        let r = Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "payments", "engine": "mysql"}, "options": {"deploymentName": "n"}})).unwrap();
        let err = switchover(&rds, &r, None, Poll::default(), SystemTime::now())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("deployment.id"));
    }
}
