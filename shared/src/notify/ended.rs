//! The safety net for every end: EventBridge's "Step Functions Execution Status Change" of an
//! execution that ended FAILED, TIMED_OUT or ABORTED becomes a message with the stage, the
//! database, the cause and what the workflow left running, read from the world then.
//!
//! It arrives even when the state machine could not report the end itself: `States.Runtime`
//! (which no Catch catches), StopExecution, the execution's timeout, the history limit.
//! The event shape is AWS's ("Automating Step Functions event delivery with EventBridge"):
//! `detail.executionArn`, `stateMachineArn`, `name`, `status`, `startDate`/`stopDate`
//! (epoch milliseconds), `input` (the execution input as a JSON string), `error`, `cause`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::event::{answer, Event};
use super::format::{rfc3339, truncate};
use super::message::{Details, Message};
use crate::aws::arn;
use crate::aws::clients::ClientFactory;
use crate::aws::deployment::{self, Deployment, DeploymentStatus};
use crate::input::Request;

/// The `detail-type` of the event.
pub const DETAIL_TYPE: &str = "Step Functions Execution Status Change";

/// The event's `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusChange {
    pub execution_arn: String,
    #[serde(default)]
    pub state_machine_arn: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub status: String,
    #[serde(default)]
    pub start_date: Option<u64>,
    #[serde(default)]
    pub stop_date: Option<u64>,
    /// The execution input, as the JSON text it was started with.
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
}

/// What the message says about the end: the notify event's `detail` for stage `execution-ended`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ended {
    pub status: String,
    pub stopped_at: Option<String>,
    /// The Blue/Green deployments of the database (or of its `-oldN`) that still exist;
    /// `None` when they could not be read.
    pub left_running: Option<Vec<Deployment>>,
    /// Why they could not be read.
    pub unread: Option<String>,
}

fn at(epoch_millis: Option<u64>) -> Option<String> {
    epoch_millis.map(|ms| rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)))
}

impl StatusChange {
    /// The status change an EventBridge event carries; `None` for any other event.
    pub(crate) fn from_event(event: &Map<String, Value>) -> Option<StatusChange> {
        if event.get("detail-type").and_then(Value::as_str) != Some(DETAIL_TYPE) {
            return None;
        }
        answer(event.get("detail")?)
    }

    /// The execution input; `Null` when absent or not JSON.
    pub fn request(&self) -> Value {
        self.input
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Value::Null)
    }

    /// The notify event for this end, as the state machine's own events look.
    pub(crate) fn notify_event(&self, left: Result<Vec<Deployment>, String>) -> Event {
        let (left_running, unread) = match left {
            Ok(found) => (Some(found), None),
            Err(why) => (None, Some(why)),
        };
        let ended = Ended {
            status: self.status.clone(),
            stopped_at: at(self.stop_date),
            left_running,
            unread,
        };
        let error = self
            .error
            .clone()
            // Absent or empty (StopExecution without an error) mean the same.
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| match self.status.as_str() {
                "TIMED_OUT" => "States.Timeout".to_owned(),
                "ABORTED" => "ExecutionAborted".to_owned(),
                other => other.to_owned(),
            });
        let cause = self
            .cause
            .clone()
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| match self.status.as_str() {
                "TIMED_OUT" => "the execution ran past its timeout".to_owned(),
                "ABORTED" => {
                    "the execution was stopped (StopExecution) before it finished".to_owned()
                }
                _ => "no cause was given".to_owned(),
            });
        // The rule asks for the failed ends only; any other status is told as it is.
        let failed = matches!(self.status.as_str(), "FAILED" | "TIMED_OUT" | "ABORTED");
        let event = json!({
            "stage": "execution-ended",
            "outcome": if failed { "failure" } else { "info" },
            "request": self.request(),
            "deployment": null,
            "detail": ended,
            "error": if failed { json!({"Error": error, "Cause": cause}) } else { Value::Null },
            "execution": {"id": self.execution_arn, "name": self.name, "startTime": at(self.start_date)},
        });
        Event::from_map(event.as_object().expect("an object"))
    }
}

/// The deployments of the request's database that still exist, read with
/// DescribeBlueGreenDeployments only; the reason when they cannot be read.
pub(crate) async fn left_running(
    clients: Option<&ClientFactory>,
    request: &Value,
) -> Result<Vec<Deployment>, String> {
    let clients = clients.ok_or("this notify function has no AWS access configured")?;
    let request = Request::from_value(request.clone())
        .map_err(|e| format!("the execution input does not name a database ({e})"))?;
    let rds = clients.rds(&request.target).map_err(|e| e.to_string())?;
    let production = &request.target.identifier;
    let all = deployment::list(&rds).await.map_err(|e| e.to_string())?;
    Ok(all
        .into_iter()
        .filter(|d| {
            [d.source_name(), d.target_name()]
                .iter()
                .any(|n| n == production || arn::is_old_name_of(n, production))
        })
        .collect())
}

/// One line per deployment: what runs, and whether it is production.
fn describe_deployment(d: &Deployment) -> String {
    match &d.status {
        DeploymentStatus::SwitchoverCompleted => format!(
            "old blue {} is kept (read-only; production {} runs on green), deployment {}",
            d.source_name(),
            d.target_name(),
            d.id
        ),
        DeploymentStatus::Deleting => format!("deployment {} is being deleted", d.id),
        // RDS renames during the switchover ("Switchover actions"): blue may already be
        // `-oldN` and green may already carry the production name, so neither is named as
        // production here.
        DeploymentStatus::SwitchoverInProgress => format!(
            "deployment {} is switching over (SWITCHOVER_IN_PROGRESS): RDS is renaming {} and {}; production is on neither for certain until it reads SWITCHOVER_COMPLETED (green) or AVAILABLE again (rolled back, blue)",
            d.id,
            d.source_name(),
            d.target_name()
        ),
        status => format!(
            "green {} is running next to blue {}, which still serves production (deployment {}, {status})",
            if d.target_name().is_empty() { "(not named yet)" } else { d.target_name() },
            d.source_name(),
            d.id
        ),
    }
}

const SWITCHOVER: &str = "start a new execution with the same input and \"action\": \"switchover\"";
const ABANDON: &str = "the same input with \"action\": \"abandon\"";
const CLEANUP: &str = "start a new execution with the same input and \"action\": \"cleanup\"";

/// Fills the message of an `execution-ended` event.
pub fn describe(event: &Event, m: &mut Message) {
    let ended: Option<Ended> = answer(&event.detail);
    let status = ended
        .as_ref()
        .map(|e| e.status.clone())
        .unwrap_or_else(|| "FAILED".to_owned());
    let name = event
        .error
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let why = event
        .error
        .as_ref()
        .map(|c| format!(": {}: {}", c.name, truncate(&c.message, 600)))
        .unwrap_or_else(|| ".".to_owned());
    let execution = event
        .execution
        .name
        .clone()
        .unwrap_or_else(|| "?".to_owned());
    m.headline = match status.as_str() {
        "ABORTED" => "execution stopped (ABORTED)".to_owned(),
        "TIMED_OUT" => "execution timed out".to_owned(),
        "FAILED" => format!("execution failed: {name}"),
        other => format!("execution {}", other.to_lowercase()),
    };
    m.error = event.error.as_ref().map(|c| c.name.clone());
    let (left, lines, next) = match ended.as_ref().map(|e| (&e.left_running, &e.unread)) {
        Some((Some(found), _)) if found.is_empty() => (
            format!("nothing: no Blue/Green deployment of {} exists.", m.database()),
            vec![],
            vec!["Find the cause in the execution's history (link below); fix it, then start the same input again.".to_owned()],
        ),
        Some((Some(found), _)) => {
            let any = |status: DeploymentStatus| found.iter().any(|d| d.status == status);
            let next = if any(DeploymentStatus::SwitchoverInProgress) {
                vec![
                    "A switchover is running: wait until the deployment reads SWITCHOVER_COMPLETED or AVAILABLE (RDS rolls back past its timeout) before starting anything.".to_owned(),
                    format!("Then, if it completed, check production and {CLEANUP}; if it rolled back, {SWITCHOVER} or {ABANDON}."),
                ]
            } else if any(DeploymentStatus::SwitchoverCompleted) {
                vec![
                    "Production runs on green: check it and the applications that use it.".to_owned(),
                    format!("When satisfied, delete old blue: {CLEANUP}."),
                ]
            } else {
                vec![
                    "Blue still serves production; green costs money while it runs.".to_owned(),
                    format!("To go on, {SWITCHOVER} (it re-checks green first); to give up, {ABANDON} removes green."),
                ]
            };
            let lines: Vec<String> = found.iter().map(describe_deployment).collect();
            (format!("{}.", lines.join("; ")), lines, next)
        }
        Some((None, Some(why))) => (
            format!("unknown: {why}."),
            vec![],
            vec![format!("Check the RDS console for a Blue/Green deployment of {} before starting again.", m.database())],
        ),
        _ => (
            "unknown.".to_owned(),
            vec![],
            vec!["Check the RDS console for a Blue/Green deployment of this database before starting again.".to_owned()],
        ),
    };
    m.summary = format!(
        "Execution {execution} for {} ended {status}{why}\n\nThis comes from the rule on every end of an execution, so it arrives even when the workflow could not report the end itself (States.Runtime, StopExecution, timeout, history limit); if a failure message for this execution came first, this adds what is left now.\n\nLeft running: {left}",
        m.database(),
    );
    m.facts.push(("Execution status".into(), status));
    if let Some(caught) = &event.error {
        m.facts.push(("Error".into(), caught.name.clone()));
    }
    if let Some(stopped) = ended.as_ref().and_then(|e| e.stopped_at.clone()) {
        m.facts.push(("Ended at".into(), stopped));
    }
    if !lines.is_empty() {
        m.details = Some(Details {
            title: "Left running".into(),
            body: lines.iter().map(|l| format!("- {l}\n")).collect(),
        });
    }
    m.next_steps = next;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::stages::compose;

    fn change(status: &str, error: Option<&str>) -> Map<String, Value> {
        let input = json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-mysql"}});
        json!({
            "version": "0", "id": "e-1", "detail-type": DETAIL_TYPE, "source": "aws.states",
            "account": "123456789012", "time": "2026-12-01T02:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:states:us-east-1:123456789012:execution:bluegreen:run-1"],
            "detail": {
                "executionArn": "arn:aws:states:us-east-1:123456789012:execution:bluegreen:run-1",
                "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen",
                "name": "run-1", "status": status, "startDate": 1_796_090_400_000u64, "stopDate": 1_796_090_460_000u64,
                "input": input.to_string(), "inputDetails": {"included": true}, "output": null, "outputDetails": null,
                "error": error, "cause": error.map(|_| "An error occurred while executing the state 'Snapshot blue'")
            }
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn deployment(status: DeploymentStatus, source: &str, target: &str) -> Deployment {
        Deployment {
            id: "bgd-1".into(),
            name: "bg-orders".into(),
            source_arn: format!("arn:aws:rds:us-east-1:123456789012:cluster:{source}"),
            target_arn: format!("arn:aws:rds:us-east-1:123456789012:cluster:{target}"),
            status,
            status_details: None,
            create_time: None,
            tasks: vec![],
            members: vec![],
        }
    }

    #[test]
    fn a_switchover_in_motion_names_no_side_as_production() {
        let d = Deployment {
            id: "bgd-1".into(),
            name: "n".into(),
            source_arn: "arn:aws:rds:us-east-1:1:cluster:orders-old1".into(),
            target_arn: "arn:aws:rds:us-east-1:1:cluster:orders-green-x1".into(),
            status: DeploymentStatus::SwitchoverInProgress,
            status_details: None,
            tasks: Vec::new(),
            members: Vec::new(),
            create_time: None,
        };
        let line = describe_deployment(&d);
        assert!(
            line.contains("switching over") && line.contains("orders-old1"),
            "{line}"
        );
        assert!(!line.contains("serves production"), "{line}");
    }

    #[test]
    fn a_runtime_failure_names_the_database_the_cause_and_green_left_running() {
        let change = StatusChange::from_event(&change("FAILED", Some("States.Runtime"))).unwrap();
        let left = vec![deployment(
            DeploymentStatus::Available,
            "orders",
            "orders-green-x1",
        )];
        let m = compose(&change.notify_event(Ok(left)), std::time::SystemTime::now());
        let text = m.text();
        assert_eq!(m.stage, "execution-ended");
        assert_eq!(
            m.subject(),
            "FAILED [Blue/Green] orders: execution failed: States.Runtime"
        );
        for expected in [
            "ended FAILED: States.Runtime: An error occurred while executing the state 'Snapshot blue'",
            "green orders-green-x1 is running next to blue orders, which still serves production (deployment bgd-1, AVAILABLE)",
            "Ended at          2026-12-01T02:01:00Z",
            "\"action\": \"abandon\"",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
    }

    #[test]
    fn a_stopped_execution_after_switchover_names_old_blue() {
        let change = StatusChange::from_event(&change("ABORTED", None)).unwrap();
        let left = vec![deployment(
            DeploymentStatus::SwitchoverCompleted,
            "orders-old1",
            "orders",
        )];
        let m = compose(&change.notify_event(Ok(left)), std::time::SystemTime::now());
        let text = m.text();
        assert_eq!(m.headline, "execution stopped (ABORTED)");
        assert!(text.contains("old blue orders-old1 is kept"), "{text}");
        assert!(text.contains("was stopped (StopExecution)"), "{text}");
        assert!(text.contains("\"action\": \"cleanup\""), "{text}");
    }

    #[test]
    fn nothing_left_and_unreadable_worlds_are_said_plainly() {
        let change = StatusChange::from_event(&change("TIMED_OUT", None)).unwrap();
        let m = compose(
            &change.notify_event(Ok(vec![])),
            std::time::SystemTime::now(),
        );
        assert!(
            m.text()
                .contains("Left running: nothing: no Blue/Green deployment of orders exists."),
            "{}",
            m.text()
        );
        let m = compose(
            &change.notify_event(Err("AccessDenied".into())),
            std::time::SystemTime::now(),
        );
        assert!(
            m.text().contains("Left running: unknown: AccessDenied."),
            "{}",
            m.text()
        );
    }

    #[test]
    fn an_end_that_is_no_failure_is_told_as_it_is() {
        let change = StatusChange::from_event(&change("SUCCEEDED", None)).unwrap();
        let m = compose(
            &change.notify_event(Ok(vec![])),
            std::time::SystemTime::now(),
        );
        assert_eq!(m.headline, "execution succeeded");
        assert_eq!(m.outcome.name(), "info");
        assert!(m.error.is_none());
    }

    #[test]
    fn other_events_are_not_status_changes() {
        let mut other = change("FAILED", None);
        other.insert("detail-type".into(), json!("Something else"));
        assert!(StatusChange::from_event(&other).is_none());
        assert!(StatusChange::from_event(&Map::new()).is_none());
    }
}
