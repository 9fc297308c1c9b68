//! What became of each database of a fleet, read from what the wave's Map collected: the
//! child execution's end (`startExecution.sync:2`), its failure as Step Functions caught it,
//! or the earlier run of the same name (a fleet started again).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lifecycle::SupportFacts;
use crate::notify::format::truncate;

/// How a database ended in this fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Its execution succeeded (upgrade done, or stopped ready for a manual switchover).
    Succeeded,
    /// Dry run: no blocker.
    Passed,
    /// Dry run: at least one blocker (a finding, not a failure of the fleet).
    Blocked,
    /// Its execution failed, timed out or was stopped.
    Failed,
    /// This fleet, started before, already upgraded it (same child name, succeeded).
    SucceededEarlier,
    /// This fleet, started before, failed on it; a new fleet name retries it.
    FailedEarlier,
    /// A child of the same name runs with another input (the fleet's input changed).
    Conflict,
    /// Its execution could not be started.
    NotStarted,
    /// Its wave never started: the fleet stopped before it.
    Skipped,
    /// Its wave waits: the fleet paused after an earlier wave (`pauseAfterWave`).
    Waiting,
}

impl Status {
    /// Whether this fleet execution started it (not found from an earlier start).
    pub fn started_now(self) -> bool {
        matches!(
            self,
            Status::Succeeded | Status::Passed | Status::Blocked | Status::Failed
        )
    }

    /// Whether it counts against the wave's tolerance.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::Failed | Status::FailedEarlier | Status::Conflict | Status::NotStarted
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Passed => "passed",
            Status::Blocked => "blocked",
            Status::Failed => "failed",
            Status::SucceededEarlier => "succeeded-earlier",
            Status::FailedEarlier => "failed-earlier",
            Status::Conflict => "conflict",
            Status::NotStarted => "not-started",
            Status::Skipped => "skipped",
            Status::Waiting => "waiting",
        }
    }
}

/// One database's line in the fleet's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// `account/Region/identifier`.
    pub database: String,
    pub wave: u32,
    /// The child execution's name.
    pub name: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    /// How the child ended (`Done`, `Ready for switchover`), when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<String>,
    /// The error name, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What went wrong or what blocks it, short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Dry run: the blocking findings (`id: message`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
    /// Epoch milliseconds, from Step Functions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<i64>,
    /// What the plan read: the engine version and its support dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    #[serde(flatten)]
    pub support: SupportFacts,
    /// The upgrade's figures, from its execution's output (`figures`, notify's answer at its
    /// end) or, for a failed execution (no output), from its cause as the workflow marked it
    /// ([`crate::notify::told::Told`]); absent when it failed without telling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<crate::metrics::Figures>,
}

/// A cause kept in the state and the report: long enough to act on.
const CAUSE_CHARS: usize = 400;

/// Reads one iteration's result: `{name, database, wave, run, failure, earlier}`.
pub fn read(result: &Value) -> Outcome {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let millis = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64);
    let mut outcome = Outcome {
        database: text(result, "database").unwrap_or_else(|| "unknown".into()),
        wave: result.get("wave").and_then(Value::as_u64).unwrap_or(0) as u32,
        name: text(result, "name").unwrap_or_default(),
        status: Status::NotStarted,
        execution_arn: None,
        ending: None,
        error: None,
        cause: None,
        blockers: Vec::new(),
        start_date: None,
        stop_date: None,
        engine_version: None,
        support: SupportFacts::default(),
        figures: None,
    };
    let present = |key: &str| result.get(key).filter(|v| !v.is_null());
    if let Some(run) = present("run") {
        outcome.execution_arn = text(run, "executionArn");
        outcome.start_date = millis(run, "startDate");
        outcome.stop_date = millis(run, "stopDate");
        outcome.ending = text(run, "ending");
        outcome.figures = run
            .get("figures")
            .and_then(|f| serde_json::from_value(f.clone()).ok());
        let precheck = run.get("precheck").filter(|v| !v.is_null());
        // Every end of an upgrade names itself (`ending`); a dry run ends with its report only.
        let dry_run = outcome.ending.is_none();
        match precheck {
            Some(p) if dry_run => {
                outcome.blockers = blockers(p);
                outcome.status = if outcome.blockers.is_empty() {
                    Status::Passed
                } else {
                    Status::Blocked
                };
            }
            _ => outcome.status = Status::Succeeded,
        }
        return outcome;
    }
    if let Some(earlier) = present("earlier") {
        outcome.execution_arn = text(earlier, "executionArn");
        outcome.start_date = millis(earlier, "startDate");
        outcome.stop_date = millis(earlier, "stopDate");
        outcome.status = match text(earlier, "status").as_deref() {
            Some("SUCCEEDED") => Status::SucceededEarlier,
            Some("RUNNING") => Status::Conflict,
            _ => Status::FailedEarlier,
        };
        outcome.cause = Some(match outcome.status {
            Status::Conflict => "a child execution of this name runs with another input: the fleet's input changed while it ran".into(),
            Status::FailedEarlier => "this fleet failed on it before; start the fleet under a new name to try again".into(),
            _ => "done by an earlier start of this fleet".into(),
        });
        return outcome;
    }
    if let Some(failure) = present("failure") {
        let error = text(failure, "Error").unwrap_or_else(|| "unknown".into());
        let cause = text(failure, "Cause").unwrap_or_default();
        match serde_json::from_str::<Value>(&cause) {
            // The child ran and ended badly: Step Functions gives its DescribeExecution.
            Ok(child) if child.get("ExecutionArn").is_some() => {
                outcome.status = Status::Failed;
                outcome.execution_arn = text(&child, "ExecutionArn");
                outcome.start_date = millis(&child, "StartDate");
                outcome.stop_date = millis(&child, "StopDate");
                outcome.error = text(&child, "Error")
                    .or_else(|| text(&child, "Status"))
                    .or(Some(error));
                outcome.figures =
                    crate::notify::told::Told::in_cause(child.get("Cause").and_then(Value::as_str))
                        .and_then(|told| told.figures);
                let message = text(&child, "Cause").map(|c| lambda_message(&c));
                // A precheck's failure carries its whole report: keep its blockers instead.
                match message
                    .as_deref()
                    .and_then(|m| serde_json::from_str::<Value>(m).ok())
                {
                    Some(report) if report.get("findings").is_some() => {
                        outcome.blockers = blockers(&report);
                        outcome.cause = Some(format!(
                            "{} blocking precheck findings",
                            outcome.blockers.len()
                        ));
                    }
                    _ => outcome.cause = message.map(|m| short(&m)),
                }
            }
            _ => {
                outcome.status = Status::NotStarted;
                outcome.error = Some(error);
                outcome.cause = Some(short(&cause));
            }
        }
    }
    outcome
}

/// The blocking findings of a precheck answer, `id: message`.
fn blockers(precheck: &Value) -> Vec<String> {
    precheck
        .get("findings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.get("severity").and_then(Value::as_str) == Some("block"))
        .map(|f| {
            let id = f.get("id").and_then(Value::as_str).unwrap_or("?");
            let message = f.get("message").and_then(Value::as_str).unwrap_or("");
            short(&format!("{id}: {message}"))
        })
        .collect()
}

/// A Lambda error's `errorMessage` when the cause is that JSON, else the cause; a child's
/// told end ([`crate::notify::told`]) is unwrapped first.
fn lambda_message(cause: &str) -> String {
    crate::notify::event::lambda_error_message(&crate::notify::told::Told::inner(cause))
}

fn short(text: &str) -> String {
    truncate(text.trim(), CAUSE_CHARS)
}

/// Reads a wave's Map result: one array per queue, one result per database.
pub fn read_wave(results: &Value) -> Vec<Outcome> {
    results
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|queue| match queue {
            Value::Array(items) => items.iter().map(read).collect::<Vec<_>>(),
            item => vec![read(item)],
        })
        .collect()
}

/// Counts by status, in the order people read them.
pub fn counts(outcomes: &[Outcome]) -> Vec<(Status, usize)> {
    [
        Status::Succeeded,
        Status::SucceededEarlier,
        Status::Passed,
        Status::Blocked,
        Status::Failed,
        Status::FailedEarlier,
        Status::Conflict,
        Status::NotStarted,
        Status::Skipped,
        Status::Waiting,
    ]
    .into_iter()
    .map(|s| (s, outcomes.iter().filter(|o| o.status == s).count()))
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// `3 succeeded, 1 failed`.
pub fn counts_line(outcomes: &[Outcome]) -> String {
    let parts: Vec<String> = counts(outcomes)
        .into_iter()
        .map(|(s, n)| format!("{n} {}", s.name()))
        .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_result_is_read() {
        let ok = json!({"name": "n", "database": "a/r/x", "wave": 2, "run": {"executionArn": "arn1", "startDate": 1, "stopDate": 2, "ending": "Done", "precheck": {"findings": []}}, "failure": null, "earlier": null});
        let o = read(&ok);
        assert_eq!(
            (o.status, o.wave, o.ending.as_deref()),
            (Status::Succeeded, 2, Some("Done"))
        );
        let dry = json!({"name": "n", "database": "d", "wave": 1, "run": {"executionArn": "a", "ending": null, "precheck": {"findings": [{"id": "binlog", "severity": "block", "message": "binlog off"}, {"id": "w", "severity": "warn", "message": "m"}]}}});
        let o = read(&dry);
        assert_eq!(
            (o.status, o.blockers.clone()),
            (Status::Blocked, vec!["binlog: binlog off".to_owned()])
        );
        let child = json!({"ExecutionArn": "arn2", "Status": "FAILED", "Error": "DeploymentFailed", "Cause": "{\"errorType\":\"DeploymentFailed\",\"errorMessage\":\"green failed\"}", "StartDate": 5, "StopDate": 9});
        let failed = json!({"name": "n", "database": "d", "wave": 1, "run": null, "failure": {"Error": "States.TaskFailed", "Cause": child.to_string()}});
        let o = read(&failed);
        assert_eq!(
            (
                o.status,
                o.error.as_deref(),
                o.cause.as_deref(),
                o.stop_date
            ),
            (
                Status::Failed,
                Some("DeploymentFailed"),
                Some("green failed"),
                Some(9)
            )
        );
        assert!(o.status.is_failure());
        let throttled = json!({"name": "n", "database": "d", "wave": 1, "failure": {"Error": "StepFunctions.AccessDeniedException", "Cause": "no"}});
        assert_eq!(read(&throttled).status, Status::NotStarted);
        let earlier = json!({"name": "n", "database": "d", "wave": 1, "failure": {"Error": "StepFunctions.ExecutionAlreadyExistsException"}, "earlier": {"status": "SUCCEEDED", "executionArn": "arn3"}});
        assert_eq!(read(&earlier).status, Status::SucceededEarlier);
        let running =
            json!({"name": "n", "database": "d", "wave": 1, "earlier": {"status": "RUNNING"}});
        assert_eq!(read(&running).status, Status::Conflict);
    }

    #[test]
    fn a_run_brings_its_figures() {
        let run = json!({"name": "n", "database": "d", "wave": 1, "run": {"ending": "Done", "precheck": {}, "figures": {"totalSeconds": 90.5, "polls": 7}}});
        let f = read(&run).figures.expect("the child's figures");
        assert_eq!(
            (f.total_seconds, f.polls, f.green_build_seconds),
            (Some(90.5), Some(7), None)
        );
        let without = json!({"name": "n", "database": "d", "wave": 1, "run": {"ending": "Done", "precheck": {}, "figures": null}});
        assert_eq!(read(&without).figures, None);
        // A failed child has no output: its told cause carries the figures known so far.
        let told = json!({"notified": true, "stage": "green-creating", "error": "DeploymentFailed", "cause": "{\"errorMessage\":\"green failed\"}", "figures": {"totalSeconds": 40.0, "stateTransitions": 21, "rdsCalls": 17}});
        let child = json!({"ExecutionArn": "arn2", "Status": "FAILED", "Error": "DeploymentFailed", "Cause": told.to_string()});
        let failed = json!({"name": "n", "database": "d", "wave": 1, "failure": {"Error": "States.TaskFailed", "Cause": child.to_string()}});
        let o = read(&failed);
        let f = o.figures.expect("a failed child's figures");
        assert_eq!(
            (f.state_transitions, f.rds_calls, o.cause.as_deref()),
            (Some(21), Some(17), Some("green failed"))
        );
    }

    #[test]
    fn a_wave_is_read_queue_by_queue_and_counted() {
        let r = |s: &str| json!({"name": s, "database": s, "wave": 1, "run": {"ending": "Done", "precheck": {}}});
        let wave = json!([[r("a"), r("b")], [r("c")]]);
        let outcomes = read_wave(&wave);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(counts_line(&outcomes), "3 succeeded");
        assert_eq!(counts_line(&[]), "nothing");
    }
}
