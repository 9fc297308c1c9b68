//! The notify event, read leniently.
//!
//! A notification must reach a person even when the execution failed because its input was
//! wrong, so nothing here is required: the request is read field by field (never validated),
//! unknown stages and outcomes are kept as they are, and missing facts fall back to what the
//! deployment or the execution ARN tells.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::aws::arn;
use crate::input::{Engine, Kind};

/// A stage of the workflow the state machine reports. Unknown names are kept, not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Started,
    PrecheckReport,
    GreenCreating,
    GreenReady,
    AwaitingApproval,
    SnapshotTaken,
    SwitchoverStarted,
    SwitchoverCompleted,
    Verified,
    CleanupScheduled,
    OldBlueDeleted,
    Done,
    DryRunReport,
    Abandoned,
    Failed,
    /// The execution ended FAILED, TIMED_OUT or ABORTED (EventBridge's "Step Functions
    /// Execution Status Change"), whether or not its own failure path ran.
    ExecutionEnded,
    /// The database's lock is held by an execution doing what this one asked: nothing to do.
    AlreadyInProgress,
    /// The reaper released a lock whose holder ended without releasing it (its end was not
    /// told through the status rule).
    LockReleased,
    /// An `approve`/`reject` answer that changed nothing (nothing waited, another answer came
    /// first, the wait had ended): information for the person who answered, not a failure.
    AnswerNotTaken,
    Other(String),
}

impl Stage {
    /// Every named stage, for tests and documentation.
    pub const KNOWN: [Stage; 19] = [
        Stage::Started,
        Stage::PrecheckReport,
        Stage::GreenCreating,
        Stage::GreenReady,
        Stage::AwaitingApproval,
        Stage::SnapshotTaken,
        Stage::SwitchoverStarted,
        Stage::SwitchoverCompleted,
        Stage::Verified,
        Stage::CleanupScheduled,
        Stage::OldBlueDeleted,
        Stage::Done,
        Stage::DryRunReport,
        Stage::Abandoned,
        Stage::Failed,
        Stage::ExecutionEnded,
        Stage::AlreadyInProgress,
        Stage::LockReleased,
        Stage::AnswerNotTaken,
    ];

    /// Parses the event's `stage`.
    pub fn parse(name: &str) -> Stage {
        Stage::KNOWN
            .into_iter()
            .find(|s| s.name() == name)
            .unwrap_or_else(|| Stage::Other(name.to_owned()))
    }

    /// The name the state machine uses.
    pub fn name(&self) -> &str {
        match self {
            Stage::Started => "started",
            Stage::PrecheckReport => "precheck-report",
            Stage::GreenCreating => "green-creating",
            Stage::GreenReady => "green-ready",
            Stage::AwaitingApproval => "awaiting-approval",
            Stage::SnapshotTaken => "snapshot-taken",
            Stage::SwitchoverStarted => "switchover-started",
            Stage::SwitchoverCompleted => "switchover-completed",
            Stage::Verified => "verified",
            Stage::CleanupScheduled => "cleanup-scheduled",
            Stage::OldBlueDeleted => "old-blue-deleted",
            Stage::Done => "done",
            Stage::DryRunReport => "dry-run-report",
            Stage::Abandoned => "abandoned",
            Stage::Failed => "failed",
            Stage::ExecutionEnded => "execution-ended",
            Stage::AlreadyInProgress => "already-in-progress",
            Stage::LockReleased => "lock-released",
            Stage::AnswerNotTaken => "answer-not-taken",
            Stage::Other(name) => name,
        }
    }

    /// The outcome when the event gives none (or an unknown one).
    pub fn default_outcome(&self) -> Outcome {
        match self {
            Stage::AwaitingApproval => Outcome::ActionNeeded,
            Stage::SwitchoverCompleted
            | Stage::Verified
            | Stage::OldBlueDeleted
            | Stage::Done
            | Stage::Abandoned => Outcome::Success,
            Stage::Failed | Stage::ExecutionEnded | Stage::LockReleased => Outcome::Failure,
            _ => Outcome::Info,
        }
    }
}

/// How a notification should look: it picks the colour, the marker and the SNS attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Info,
    Success,
    Warning,
    Failure,
    ActionNeeded,
}

impl Outcome {
    /// Parses the event's `outcome`; `None` for anything else.
    pub fn parse(name: &str) -> Option<Outcome> {
        [
            Outcome::Info,
            Outcome::Success,
            Outcome::Warning,
            Outcome::Failure,
            Outcome::ActionNeeded,
        ]
        .into_iter()
        .find(|o| o.name() == name)
    }

    /// The name in the contract and in the SNS `outcome` attribute.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Info => "info",
            Outcome::Success => "success",
            Outcome::Warning => "warning",
            Outcome::Failure => "failure",
            Outcome::ActionNeeded => "action-needed",
        }
    }

    /// The emoji shortcode chat titles start with (Slack and Chatbot render it).
    pub(crate) fn emoji(self) -> &'static str {
        match self {
            Outcome::Info => ":information_source:",
            Outcome::Success => ":white_check_mark:",
            Outcome::Warning => ":warning:",
            Outcome::Failure => ":x:",
            Outcome::ActionNeeded => ":raising_hand:",
        }
    }
}

/// What is known about the database, each fact best-effort.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFacts {
    pub identifier: Option<String>,
    pub engine: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// The member account's roles (`target.roleArn`), when the request names them.
    pub role_arn: Option<String>,
    /// Cluster or instance, from the engine or the deployment's source ARN.
    pub kind: Option<Kind>,
}

impl TargetFacts {
    /// The database's name for people.
    pub(crate) fn display_name(&self) -> &str {
        self.identifier.as_deref().unwrap_or("unknown database")
    }
}

/// Step Functions' Catch output: `{"Error", "Cause"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caught {
    /// The error name (`errorType` of the function, or a `States.*` name).
    pub name: String,
    /// What people should read: the Lambda `errorMessage` when the cause is the Lambda error
    /// JSON, else the cause as given.
    pub message: String,
}

/// The execution that sent the event (`$$.Execution`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Execution {
    /// The execution ARN (`$$.Execution.Id`).
    pub arn: Option<String>,
    pub name: Option<String>,
    pub start_time: Option<String>,
}

impl Execution {
    /// The state machine's ARN, from the execution ARN
    /// (`arn:aws:states:R:A:execution:SM:NAME` → `arn:aws:states:R:A:stateMachine:SM`).
    pub fn state_machine_arn(&self) -> Option<String> {
        let parts: Vec<&str> = self.arn.as_deref()?.split(':').collect();
        (parts.len() >= 8 && parts[5] == "execution")
            .then(|| format!("{}:stateMachine:{}", parts[..5].join(":"), parts[6]))
    }

    /// The Region of the execution, from its ARN.
    pub fn region(&self) -> Option<&str> {
        self.arn
            .as_deref()?
            .split(':')
            .nth(3)
            .filter(|r| !r.is_empty())
    }

    fn account(&self) -> Option<&str> {
        self.arn
            .as_deref()?
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
    }
}

/// One notify event as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub stage: Stage,
    pub outcome: Outcome,
    pub target: TargetFacts,
    /// The execution input as given (may be invalid, or not an object at all).
    pub request: Value,
    /// The deployment reference, `Null` when absent.
    pub deployment: Value,
    /// The stage's detail (a step's answer), `Null` when absent.
    pub detail: Value,
    pub error: Option<Caught>,
    pub execution: Execution,
    /// What AWS recorded about this stage's work, read by notify when it matters
    /// ([`super::record`]); empty as read from the event.
    pub record: super::record::Record,
}

impl Event {
    /// Reads an event object; never fails.
    pub fn from_map(map: &Map<String, Value>) -> Event {
        let stage = Stage::parse(
            map.get("stage")
                .and_then(Value::as_str)
                .unwrap_or("unknown"),
        );
        let outcome = map
            .get("outcome")
            .and_then(Value::as_str)
            .and_then(Outcome::parse)
            .unwrap_or_else(|| stage.default_outcome());
        let request = map.get("request").cloned().unwrap_or(Value::Null);
        let deployment = map.get("deployment").cloned().unwrap_or(Value::Null);
        let execution = map.get("execution").map(read_execution).unwrap_or_default();
        Event {
            target: target_facts(&request, &deployment, &execution),
            error: map.get("error").and_then(read_caught),
            detail: map.get("detail").cloned().unwrap_or(Value::Null),
            stage,
            outcome,
            request,
            deployment,
            execution,
            record: super::record::Record::default(),
        }
    }

    /// A string (or number, or boolean, as text) at `path` in the request.
    pub(crate) fn request_text(&self, path: &[&str]) -> Option<String> {
        text_at(&self.request, path)
    }

    /// The request's action, `upgrade` when absent.
    pub fn action(&self) -> String {
        self.request_text(&["action"])
            .unwrap_or_else(|| "upgrade".to_owned())
    }

    /// The deployment id, from the event's deployment or the detail.
    pub fn deployment_id(&self) -> Option<String> {
        text_at(&self.deployment, &["id"]).or_else(|| text_at(&self.detail, &["deployment", "id"]))
    }
}

/// `value` read as a step's own answer type (`steps::*`, `precheck::Report`); `None` when it
/// is not one (a failure's event still becomes a message).
pub fn answer<T: DeserializeOwned>(value: &Value) -> Option<T> {
    T::deserialize(value).ok()
}

/// A string, number or boolean at `path`, as text; `None` when absent, empty or another type.
pub(crate) fn text_at(value: &Value, path: &[&str]) -> Option<String> {
    let found = path.iter().try_fold(value, |v, key| v.get(key))?;
    let text = match found {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A non-negative whole number at `path` (a JSON number or a numeric string).
pub(crate) fn number_at(value: &Value, path: &[&str]) -> Option<u64> {
    let text = text_at(value, path)?;
    text.parse::<u64>().ok().or_else(|| {
        text.parse::<f64>()
            .ok()
            .filter(|f| *f >= 0.0)
            .map(|f| f.round() as u64)
    })
}

fn target_facts(request: &Value, deployment: &Value, execution: &Execution) -> TargetFacts {
    let from_request = |field: &str| text_at(request, &["target", field]);
    let source = text_at(deployment, &["sourceArn"]);
    let source = source.as_deref().and_then(arn::parse);
    let engine = from_request("engine");
    let kind = engine
        .as_deref()
        .and_then(Engine::from_api_name)
        .map(Engine::kind)
        .or_else(|| match source.as_ref()?.resource_type {
            "cluster" => Some(Kind::Cluster),
            "db" => Some(Kind::Instance),
            _ => None,
        });
    TargetFacts {
        identifier: from_request("identifier")
            .or_else(|| source.as_ref().map(|a| a.name.to_owned())),
        account_id: from_request("accountId")
            .or_else(|| source.as_ref().map(|a| a.account.to_owned()))
            .or_else(|| execution.account().map(str::to_owned)),
        region: from_request("region")
            .or_else(|| source.as_ref().map(|a| a.region.to_owned()))
            .or_else(|| execution.region().map(str::to_owned)),
        role_arn: from_request("roleArn"),
        engine,
        kind,
    }
}

fn read_execution(value: &Value) -> Execution {
    Execution {
        arn: text_at(value, &["id"]),
        name: text_at(value, &["name"]),
        start_time: text_at(value, &["startTime"]),
    }
}

fn read_caught(value: &Value) -> Option<Caught> {
    let name = text_at(value, &["Error"]);
    let cause = text_at(value, &["Cause"]);
    if name.is_none() && cause.is_none() {
        return None;
    }
    Some(Caught {
        name: name.unwrap_or_else(|| "UnknownError".to_owned()),
        message: cause.map(|c| lambda_error_message(&c)).unwrap_or_default(),
    })
}

/// What people read of a cause: the `errorMessage` of a Lambda error JSON
/// (`{"errorMessage", "errorType"}`), or the cause; without the RDS calls the functions'
/// runtime ends a message with for the execution's figures ([`crate::aws::meter::tag_error`]).
pub fn lambda_error_message(cause: &str) -> String {
    let message = serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| text_at(&v, &["errorMessage"]))
        .unwrap_or_else(|| cause.to_owned());
    crate::aws::meter::split_error(&message).0.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: Value) -> Event {
        Event::from_map(value.as_object().unwrap())
    }

    #[test]
    fn stages_round_trip_and_unknown_ones_are_kept() {
        for stage in Stage::KNOWN {
            assert_eq!(Stage::parse(stage.name()), stage);
        }
        assert_eq!(
            Stage::parse("rollback-started"),
            Stage::Other("rollback-started".into())
        );
    }

    #[test]
    fn invalid_request_still_gives_what_it_can() {
        let e = event(json!({
            "stage": "failed",
            "request": {"target": {"identifier": "orders", "engine": "oracle-ee", "region": 5}},
            "error": {"Error": "InvalidInput", "Cause": "{\"errorType\":\"InvalidInput\",\"errorMessage\":\"invalid input: `target.engine` ...\"}"}
        }));
        assert_eq!(e.target.identifier.as_deref(), Some("orders"));
        assert_eq!(e.target.engine.as_deref(), Some("oracle-ee"));
        assert_eq!(e.target.region.as_deref(), Some("5"));
        assert_eq!(e.target.kind, None);
        assert_eq!(e.outcome, Outcome::Failure);
        let caught = e.error.unwrap();
        assert_eq!(caught.name, "InvalidInput");
        assert_eq!(caught.message, "invalid input: `target.engine` ...");
    }

    #[test]
    fn facts_fall_back_to_the_deployment_and_execution() {
        let e = event(json!({
            "stage": "done",
            "outcome": "nonsense",
            "request": "not even an object",
            "deployment": {"id": "bgd-1", "sourceArn": "arn:aws:rds:eu-west-1:111122223333:cluster:orders"},
            "execution": {"id": "arn:aws:states:eu-west-1:111122223333:execution:bg:run-1", "name": "run-1"}
        }));
        assert_eq!(e.target.identifier.as_deref(), Some("orders"));
        assert_eq!(e.target.account_id.as_deref(), Some("111122223333"));
        assert_eq!(e.target.kind, Some(Kind::Cluster));
        assert_eq!(
            e.outcome,
            Outcome::Success,
            "unknown outcome falls back to the stage's"
        );
        assert_eq!(e.deployment_id().as_deref(), Some("bgd-1"));
        assert_eq!(
            e.execution.state_machine_arn().as_deref(),
            Some("arn:aws:states:eu-west-1:111122223333:stateMachine:bg")
        );
        let bare = event(
            json!({"execution": {"id": "arn:aws:states:us-east-1:123456789012:execution:sm:x"}}),
        );
        assert_eq!(bare.target.region.as_deref(), Some("us-east-1"));
        assert_eq!(bare.stage, Stage::Other("unknown".into()));
    }

    /// The RDS calls a failed step made end its message for the execution's figures; people
    /// read the message without them, once.
    #[test]
    fn a_causes_rds_calls_are_not_for_people() {
        let cause = json!({"errorType": "DeploymentFailed", "errorMessage": crate::aws::meter::tag_error("green failed".into(), 4)});
        let e = event(json!({"error": {"Error": "DeploymentFailed", "Cause": cause.to_string()}}));
        assert_eq!(e.error.unwrap().message, "green failed");
        assert_eq!(lambda_error_message("plain [rdsCalls: 2]"), "plain");
    }

    #[test]
    fn plain_causes_are_kept() {
        let e = event(json!({"error": {"Error": "States.Timeout", "Cause": "Task timed out"}}));
        assert_eq!(e.error.unwrap().message, "Task timed out");
        assert!(event(json!({"error": {}})).error.is_none());
    }

    #[test]
    fn numbers_read_from_numbers_and_strings() {
        let v = json!({"a": 42, "b": "17", "c": 3.6, "d": -1, "e": "x"});
        assert_eq!(number_at(&v, &["a"]), Some(42));
        assert_eq!(number_at(&v, &["b"]), Some(17));
        assert_eq!(number_at(&v, &["c"]), Some(4));
        assert_eq!(number_at(&v, &["d"]), None);
        assert_eq!(number_at(&v, &["e"]), None);
    }
}
