//! Step Functions on the local moto server: create the product's state machine, run an
//! execution to its end, and read what happened (states entered, transitions, error).
//!
//! moto's engine really executes the definition (see `tests/tools/moto_launcher.py`); its
//! Lambda tasks reach the real binaries under `cargo lambda watch` (see [`crate::lambda`]).
//! The calls are plain Step Functions JSON requests (the product itself never calls Step
//! Functions, so no SDK crate is added for the tests).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::lambda::{function_arn, FUNCTIONS};
use crate::moto::{ACCOUNT, REGION};

/// A Step Functions client for one moto server.
#[derive(Debug, Clone)]
pub struct StepFunctions {
    endpoint: String,
    http: reqwest::Client,
}

/// An execution that has ended (or was still running when the wait ran out).
#[derive(Debug, Clone)]
pub struct Execution {
    pub arn: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The states entered, in order (a state entered twice appears twice).
    pub states: Vec<String>,
    /// State transitions (states entered), what AWS bills a standard workflow for.
    pub transitions: usize,
    /// The full history, for assertions on task failures and retries.
    pub events: Vec<Value>,
}

impl Execution {
    /// The events of one type (e.g. `TaskFailed`, `LambdaFunctionFailed`).
    pub fn events_of(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["type"] == kind).collect()
    }
}

/// History events a state of type `kind` adds each time it runs (AWS's `HistoryEvent` types):
/// a Lambda task `TaskStateEntered`, `TaskScheduled`, `TaskStarted`, `TaskSucceeded` (or
/// `TaskFailed`), `TaskStateExited`; Choice, Wait, Pass and Succeed their `…StateEntered` and
/// `…StateExited`; Fail its `FailStateEntered`. An execution adds `ExecutionStarted` and its end
/// ([`EXECUTION_EVENTS`]); each retried attempt `TaskFailed`, `TaskScheduled`, `TaskStarted`
/// ([`EVENTS_PER_RETRY`]).
pub fn history_events_per_run(kind: &str) -> u64 {
    match kind {
        "Task" => 5,
        "Choice" | "Wait" | "Pass" | "Succeed" => 2,
        "Fail" => 1,
        other => panic!("no history event count for a {other} state"),
    }
}

/// History events one run of `state` adds: [`history_events_per_run`] of its type, and one more
/// (`TaskSubmitted`) for a task that waits for its token (`.waitForTaskToken`: "Wait for a
/// Callback with Task Token", Step Functions Developer Guide).
pub fn history_events_of(state: &Value) -> u64 {
    let callback = state["Resource"]
        .as_str()
        .is_some_and(|r| r.ends_with(".waitForTaskToken"));
    history_events_per_run(state["Type"].as_str().unwrap_or_default()) + u64::from(callback)
}

/// `ExecutionStarted` and the execution's end event.
pub const EXECUTION_EVENTS: u64 = 2;
/// What one retried attempt of a task adds.
pub const EVENTS_PER_RETRY: u64 = 3;

/// The name of the state an event enters, if it is a `...StateEntered` event.
pub fn entered_state(event: &Value) -> Option<&str> {
    let kind = event["type"].as_str()?;
    kind.ends_with("StateEntered")
        .then(|| event["stateEnteredEventDetails"]["name"].as_str())
        .flatten()
}

impl StepFunctions {
    pub fn new(endpoint: &str) -> StepFunctions {
        StepFunctions {
            endpoint: endpoint.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// One Step Functions API call (JSON 1.0 protocol); panics with AWS's error otherwise.
    pub async fn call(&self, action: &str, body: Value) -> Value {
        let response = self
            .http
            .post(&self.endpoint)
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("X-Amz-Target", format!("AWSStepFunctions.{action}"))
            // moto routes by the credential scope of the signature; it does not verify it.
            .header("Authorization", format!("AWS4-HMAC-SHA256 Credential=testing/20240101/{REGION}/states/aws4_request, SignedHeaders=host, Signature=0"))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("Step Functions {action}: {e}"));
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "Step Functions {action} failed ({status}): {answer}"
        );
        answer
    }

    /// Creates a state machine; returns its ARN.
    pub async fn create_state_machine(&self, name: &str, definition: &str) -> String {
        let role = format!("arn:aws:iam::{ACCOUNT}:role/e2e-state-machine");
        let answer = self
            .call(
                "CreateStateMachine",
                json!({"name": name, "definition": definition, "roleArn": role}),
            )
            .await;
        answer["stateMachineArn"]
            .as_str()
            .expect("stateMachineArn")
            .to_owned()
    }

    /// Starts a named execution (names make StartExecution idempotent, as on AWS).
    pub async fn start(&self, state_machine_arn: &str, name: &str, input: &Value) -> String {
        let answer = self
            .call("StartExecution", json!({"stateMachineArn": state_machine_arn, "name": name, "input": input.to_string()}))
            .await;
        answer["executionArn"]
            .as_str()
            .expect("executionArn")
            .to_owned()
    }

    /// The execution's history events, oldest first.
    pub async fn history(&self, execution_arn: &str) -> Vec<Value> {
        let answer = self
            .call(
                "GetExecutionHistory",
                json!({"executionArn": execution_arn}),
            )
            .await;
        answer["events"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the execution ends (at most `timeout`), calling `on_event` for each new
    /// history event as it appears (the demo prints progress with it).
    pub async fn follow(
        &self,
        execution_arn: &str,
        timeout: Duration,
        mut on_event: impl FnMut(&Value),
    ) -> Execution {
        let deadline = Instant::now() + timeout;
        let mut seen = 0;
        loop {
            let described = self
                .call("DescribeExecution", json!({"executionArn": execution_arn}))
                .await;
            let events = self.history(execution_arn).await;
            events.iter().skip(seen).for_each(&mut on_event);
            seen = seen.max(events.len());
            let status = described["status"].as_str().unwrap_or("UNKNOWN").to_owned();
            if status != "RUNNING" || Instant::now() >= deadline {
                return execution(execution_arn, status, &described, events);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the execution ends (at most `timeout`). Only DescribeExecution is polled
    /// (the history, which grows with the run and costs moto far more to build, is read once
    /// at the end): end-to-end tests run many executions at once on one moto server.
    pub async fn wait(&self, execution_arn: &str, timeout: Duration) -> Execution {
        let deadline = Instant::now() + timeout;
        loop {
            let described = self
                .call("DescribeExecution", json!({"executionArn": execution_arn}))
                .await;
            let status = described["status"].as_str().unwrap_or("UNKNOWN").to_owned();
            if status != "RUNNING" || Instant::now() >= deadline {
                let events = self.history(execution_arn).await;
                return execution(execution_arn, status, &described, events);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts a named execution and waits for its end.
    pub async fn run(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &Value,
        timeout: Duration,
    ) -> Execution {
        let arn = self.start(state_machine_arn, name, input).await;
        self.wait(&arn, timeout).await
    }
}

fn execution(arn: &str, status: String, described: &Value, events: Vec<Value>) -> Execution {
    let states: Vec<String> = events
        .iter()
        .filter_map(entered_state)
        .map(str::to_owned)
        .collect();
    let text = |field: &str| described[field].as_str().map(str::to_owned);
    Execution {
        arn: arn.to_owned(),
        status,
        output: text("output").map(|o| serde_json::from_str(&o).unwrap_or(Value::String(o))),
        error: text("error"),
        cause: text("cause"),
        transitions: states.len(),
        states,
        events,
    }
}

/// Replaces each `${Name}` of a definition (what SAM's `DefinitionSubstitutions` does, and
/// moto does not). A name not in `values` that names a function of the workspace
/// (`${PollStatusFunctionArn}`, `${DeleteOld}`, `${NotifyFunction}`) becomes that function's
/// ARN. Panics on any placeholder left, naming it.
pub fn substitute(definition: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').unwrap_or_else(|| {
            panic!(
                "unclosed `${{` in definition near {:?}",
                &after[..after.len().min(40)]
            )
        });
        let name = &after[..end];
        let value = values
            .get(name)
            .cloned()
            .or_else(|| function_for_placeholder(name).map(function_arn))
            .unwrap_or_else(|| {
                panic!("no value for `${{{name}}}` in the definition: pass it in the substitutions")
            });
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `PollStatusFunctionArn` -> `poll-status`, when that is a function of the workspace.
fn function_for_placeholder(name: &str) -> Option<&'static str> {
    let stem = ["FunctionArn", "FunctionName", "Function", "Arn"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    let mut kebab = String::new();
    for (i, c) in stem.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    FUNCTIONS.into_iter().find(|f| *f == kebab)
}

/// The product's state machine definition (`statemachine/bluegreen.asl.json`) with its
/// substitutions applied.
pub fn product_definition(values: &BTreeMap<String, String>) -> String {
    statemachine_definition("bluegreen.asl.json", values)
}

/// A definition of `statemachine/` with its substitutions applied; `${LockTableName}` is the
/// stack's lock table unless `values` says otherwise.
pub fn statemachine_definition(file: &str, values: &BTreeMap<String, String>) -> String {
    let path = crate::moto::root().join("statemachine").join(file);
    let mut values = values.clone();
    values
        .entry("LockTableName".to_owned())
        .or_insert_with(|| LOCK_TABLE.to_owned());
    definition_file(&path, &values)
}

/// The lock table of the local stack (the template's `LockTable`), made by [`crate::seed::lock_table`].
pub const LOCK_TABLE: &str = "bluegreen-locks";

/// A definition file with its substitutions applied.
pub fn definition_file(path: &Path, values: &BTreeMap<String, String>) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    substitute(&text, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_placeholders_become_function_arns() {
        let values = BTreeMap::from([("Topic".to_owned(), "arn:topic".to_owned())]);
        let out = substitute(
            r#"{"a":"${PollStatusFunctionArn}","b":"${DeleteOld}","c":"${Topic}","d":"${NotifyFunction}"}"#,
            &values,
        );
        assert_eq!(
            out,
            format!(
                r#"{{"a":"{}","b":"{}","c":"arn:topic","d":"{}"}}"#,
                function_arn("poll-status"),
                function_arn("delete-old"),
                function_arn("notify")
            )
        );
    }

    #[test]
    #[should_panic(expected = "no value for `${Unknown}`")]
    fn an_unknown_placeholder_is_named() {
        substitute("${Unknown}", &BTreeMap::new());
    }
}
