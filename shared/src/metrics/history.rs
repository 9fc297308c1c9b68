//! An execution's state transitions, RDS calls and wait-loop reads, counted from its own
//! history (`GetExecutionHistory`, every page): the figures no single step sees.
//!
//! **State transitions** are what AWS bills a standard workflow for: "Step Functions counts a
//! state transition each time a step of your workflow is executed ... If you include retry
//! error handling in any steps of your workflow, each retry will be charged as an additional
//! state transition" (<https://aws.amazon.com/step-functions/pricing/>). Counted here: every
//! `…StateEntered` event (a state executed, of any type), plus every retry: each `TaskScheduled`
//! of a Task state after its first (a retried attempt schedules the task again).
//!
//! **RDS calls** are the ones the functions made: each invocation says its count (the
//! functions' runtime adds it, [`crate::aws::meter`]): an answer as `rdsCalls`, which the
//! history keeps in the `TaskSucceeded` event's output (`Payload.rdsCalls` for `lambda:invoke`)
//! and for a task-token wait in its `TaskSubmitted` event's output (the waits read the status
//! before they store their token); an error at the end of its message, which the history keeps
//! in the `TaskFailed` event's cause (a step that failed, a wait that found nothing left to wait
//! for).
//!
//! **Polls** are the status reads of each wait loop, told apart by what each task was asked
//! (the `TaskScheduled` event's parameters, [`super::reads`]).
//!
//! "So far": read by notify at the end message, the history holds every state up to notify's
//! own Task (entered and scheduled); the few states after it (the lock's release, the end
//! state) are not in the figure (docs/metrics.md).

use std::collections::BTreeMap;

use aws_sdk_sfn::types::HistoryEventType;
use serde_json::Value;

use crate::aws::meter::{split_error, ANSWER_FIELD};

/// What an execution's history adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub state_transitions: u64,
    pub rds_calls: u64,
    /// The status reads of each wait loop so far, by the stage that ends the loop.
    pub polls: BTreeMap<String, u64>,
    /// A Task state was entered and its task not scheduled yet (the next schedule is its
    /// first attempt, not a retry).
    awaiting_first_attempt: bool,
}

impl Tally {
    /// Adds one history event: its type as AWS names it (`TaskStateEntered`...) and its text
    /// that counts (the JSON the history keeps): a `TaskScheduled`'s parameters, a
    /// `TaskSucceeded`'s or `TaskSubmitted`'s output, a `TaskFailed`'s cause.
    pub fn add(&mut self, kind: &str, text: Option<&str>) {
        if kind.ends_with("StateEntered") {
            self.state_transitions += 1;
            self.awaiting_first_attempt = kind == "TaskStateEntered";
        } else if kind == "TaskScheduled" {
            if !std::mem::take(&mut self.awaiting_first_attempt) {
                self.state_transitions += 1; // a retry
            }
            if let Some(stage) = text.and_then(super::reads::loop_of) {
                *self.polls.entry(stage.name().to_owned()).or_default() += 1;
            }
        } else if kind == "TaskSucceeded" || kind == "TaskSubmitted" {
            self.rds_calls += text.map(rds_calls_of).unwrap_or(0);
        } else if kind == "TaskFailed" {
            self.rds_calls += text.map(rds_calls_of_error).unwrap_or(0);
        }
    }

    /// The status reads of every wait loop so far; `None` when no loop ran.
    pub fn all_polls(&self) -> Option<u64> {
        (!self.polls.is_empty()).then(|| self.polls.values().sum())
    }

    /// Reads every page of the execution's history (oldest first, at most 1,000 events a
    /// page: "GetExecutionHistory", <https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html>).
    pub async fn of_execution(
        sfn: &aws_sdk_sfn::Client,
        execution_arn: &str,
    ) -> Result<Tally, crate::Error> {
        let mut tally = Tally::default();
        let mut pages = sfn
            .get_execution_history()
            .execution_arn(execution_arn)
            .include_execution_data(true)
            .max_results(1000)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| crate::Error::from_sdk("GetExecutionHistory", e))?;
            for event in page.events() {
                let text = match event.r#type() {
                    HistoryEventType::TaskScheduled => {
                        event.task_scheduled_event_details().map(|d| d.parameters())
                    }
                    HistoryEventType::TaskSucceeded => event
                        .task_succeeded_event_details()
                        .and_then(|d| d.output()),
                    HistoryEventType::TaskSubmitted => event
                        .task_submitted_event_details()
                        .and_then(|d| d.output()),
                    HistoryEventType::TaskFailed => {
                        event.task_failed_event_details().and_then(|d| d.cause())
                    }
                    _ => None,
                };
                tally.add(event.r#type().as_str(), text);
            }
        }
        Ok(tally)
    }
}

/// The RDS calls a task's output reports: `Payload.rdsCalls` (a `lambda:invoke` task's
/// output is Lambda's answer, the function's in `Payload`) or `rdsCalls` at the top.
fn rds_calls_of(output: &str) -> u64 {
    let Ok(v) = serde_json::from_str::<Value>(output) else {
        return 0;
    };
    v.get("Payload")
        .and_then(|p| p.get(ANSWER_FIELD))
        .or_else(|| v.get(ANSWER_FIELD))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// The RDS calls a failed task's cause reports: the end of its Lambda error's message
/// ([`crate::aws::meter::tag_error`]); 0 for any other cause (`States.*`, a service's error).
fn rds_calls_of_error(cause: &str) -> u64 {
    let message = serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned));
    message.map_or(0, |m| split_error(&m).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(events: &[(&str, Option<&str>)]) -> Tally {
        let mut t = Tally::default();
        for (kind, output) in events {
            t.add(kind, *output);
        }
        t
    }

    #[test]
    fn states_entered_and_retries_are_transitions() {
        let t = tally(&[
            ("ExecutionStarted", None),
            ("PassStateEntered", None),
            ("PassStateExited", None),
            ("TaskStateEntered", None),
            ("TaskScheduled", None),
            ("TaskStarted", None),
            ("TaskFailed", None),
            ("TaskScheduled", None), // the retry
            ("TaskStarted", None),
            (
                "TaskSucceeded",
                Some(r#"{"Payload": {"phase": "ready", "rdsCalls": 3}, "StatusCode": 200}"#),
            ),
            ("TaskStateExited", None),
            ("ChoiceStateEntered", None),
            ("ChoiceStateExited", None),
            ("WaitStateEntered", None),
            ("WaitStateExited", None),
            ("TaskStateEntered", None),
            ("TaskScheduled", None),
            ("TaskSucceeded", Some(r#"{"Item": {}}"#)), // DynamoDB: no RDS call
            ("TaskStateExited", None),
            ("TaskStateEntered", None), // a task-token wait that read before it waited
            ("TaskScheduled", None),
            ("TaskStarted", None),
            (
                "TaskSubmitted",
                Some(r#"{"Payload": {"purpose": "green", "rdsCalls": 2}, "StatusCode": 200}"#),
            ),
            ("TaskTimedOut", None),
            ("TaskStateExited", None),
            ("FailStateEntered", None),
            ("ExecutionFailed", None),
        ]);
        assert_eq!(t.state_transitions, 8, "7 states entered and 1 retry");
        assert_eq!(t.rds_calls, 5, "a success's 3 and a wait's 2");
    }

    /// The events of one entry of a Task state asked `payload`, then how its task ended.
    fn call(
        payload: Value,
        ends: &[(&'static str, Option<String>)],
    ) -> Vec<(&'static str, Option<String>)> {
        let parameters = serde_json::json!({"FunctionName": "poll-status", "Payload": payload});
        let mut events = vec![
            ("TaskStateEntered", None),
            ("TaskScheduled", Some(parameters.to_string())),
            ("TaskStarted", None),
        ];
        events.extend_from_slice(ends);
        events.push(("TaskStateExited", None));
        events
    }

    fn lambda_error(name: &str, message: &str, calls: u64) -> Option<String> {
        let message = crate::aws::meter::tag_error(message.to_owned(), calls);
        Some(serde_json::json!({"errorType": name, "errorMessage": message}).to_string())
    }

    /// Every status read of the green loop counts, whatever path it takes: the wait's own read
    /// before it waits (then woken by an event, or ended by the fallback timer, or over at
    /// once with WaitOver, or refused with WokenEarly), and each poll after it. The RDS calls
    /// of the reads that answered an error count too.
    #[test]
    fn every_read_of_a_wait_loop_counts_whatever_the_path() {
        use serde_json::json;
        let poll = |attempt: u32| json!({"operation": "status", "poll": {"attempt": attempt}});
        let wait = |attempt: u32| json!({"operation": "wait", "wait": {"purpose": "green", "token": "t", "recheck": {"attempt": attempt}}});
        let read = |calls: u64| {
            let answer = json!({"Payload": {"phase": "provisioning", "rdsCalls": calls}});
            Some(answer.to_string())
        };
        let woken = (
            "TaskSucceeded",
            Some(r#"{"woken": "RDS-EVENT-0244"}"#.to_owned()),
        );
        let events: Vec<(&str, Option<String>)> = [
            // reads first (provisioning), waits, and an RDS event wakes it: a poll decides
            call(wait(0), &[("TaskSubmitted", read(2)), woken]),
            call(poll(0), &[("TaskSucceeded", read(3))]),
            // reads, waits, and the fallback timer ends the wait: it reads again itself
            call(
                wait(1),
                &[("TaskSubmitted", read(2)), ("TaskTimedOut", None)],
            ),
            // a wake-up came between that read and the token's storing: read again at once
            call(
                wait(2),
                &[("TaskFailed", lambda_error("WokenEarly", "woken", 2))],
            ),
            call(poll(1), &[("TaskSucceeded", read(3))]),
            // green is ready at the wait's read: WaitOver, and the poll that decides
            call(
                wait(2),
                &[("TaskFailed", lambda_error("WaitOver", "over", 4))],
            ),
            call(poll(2), &[("TaskSucceeded", read(4))]),
        ]
        .concat();
        let mut t = Tally::default();
        for (kind, text) in &events {
            t.add(kind, text.as_deref());
        }
        assert_eq!(
            t.polls,
            BTreeMap::from([("green-creating".to_owned(), 7)]),
            "4 reads of the wait, 3 polls"
        );
        assert_eq!(t.all_polls(), Some(7));
        assert_eq!(
            t.rds_calls,
            2 + 3 + 2 + 2 + 3 + 4 + 4,
            "the errors' calls included"
        );
        assert_eq!(t.state_transitions, 7);
        assert_eq!(Tally::default().all_polls(), None, "no loop ran");
    }

    #[test]
    fn an_errors_rds_calls_are_read_from_its_message_only() {
        let cause = |message: &str| {
            serde_json::json!({"errorType": "DeploymentFailed", "errorMessage": message})
                .to_string()
        };
        assert_eq!(rds_calls_of_error(&cause("green failed [rdsCalls: 5]")), 5);
        assert_eq!(rds_calls_of_error(&cause("green failed")), 0);
        for other in [
            "green failed [rdsCalls: 5]",
            "An error occurred while executing the state 'Poll green'",
            r#"{"errorMessage": 7}"#,
        ] {
            assert_eq!(rds_calls_of_error(other), 0, "{other}");
        }
    }

    #[test]
    fn rds_calls_are_read_from_either_shape_and_nothing_else() {
        assert_eq!(rds_calls_of(r#"{"Payload": {"rdsCalls": 5}}"#), 5);
        assert_eq!(rds_calls_of(r#"{"rdsCalls": 2}"#), 2);
        for none in [
            r#"{"Payload": {}}"#,
            "not json",
            r#"{"rdsCalls": "3"}"#,
            "null",
        ] {
            assert_eq!(rds_calls_of(none), 0, "{none}");
        }
    }

    /// Every page is read (the SDK's paginator follows nextToken), each event counted once.
    #[tokio::test]
    async fn every_page_of_the_history_is_counted() {
        use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
        use aws_sdk_sfn::types::{
            HistoryEvent, TaskFailedEventDetails, TaskScheduledEventDetails,
            TaskSucceededEventDetails,
        };
        use aws_smithy_mocks::{mock, mock_client, RuleMode};
        let event = |id: i64, kind: HistoryEventType| {
            HistoryEvent::builder()
                .id(id)
                .timestamp(aws_smithy_types::DateTime::from_secs(0))
                .r#type(kind)
        };
        let first = mock!(aws_sdk_sfn::Client::get_execution_history)
            .match_requests(|r| {
                r.next_token().is_none() && r.include_execution_data() == Some(true)
            })
            .then_output(move || {
                GetExecutionHistoryOutput::builder()
                    .events(
                        event(1, HistoryEventType::TaskStateEntered)
                            .build()
                            .unwrap(),
                    )
                    .events(
                        event(2, HistoryEventType::TaskScheduled)
                            .task_scheduled_event_details(
                                TaskScheduledEventDetails::builder()
                                    .resource("invoke")
                                    .resource_type("lambda")
                                    .region("eu-west-1")
                                    .parameters(r#"{"Payload": {"operation": "status", "poll": {"attempt": 0}}}"#)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .events(
                        event(3, HistoryEventType::TaskFailed)
                            .task_failed_event_details(
                                TaskFailedEventDetails::builder()
                                    .resource("invoke")
                                    .resource_type("lambda")
                                    .error("NotReady")
                                    .cause(r#"{"errorType": "NotReady", "errorMessage": "not yet [rdsCalls: 2]"}"#)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .next_token("page-2")
                    .build()
                    .unwrap()
            });
        let second = mock!(aws_sdk_sfn::Client::get_execution_history)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(move || {
                GetExecutionHistoryOutput::builder()
                    .events(
                        event(3, HistoryEventType::TaskSucceeded)
                            .task_succeeded_event_details(
                                TaskSucceededEventDetails::builder()
                                    .resource("invoke")
                                    .resource_type("lambda")
                                    .output(r#"{"Payload": {"rdsCalls": 4}}"#)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .events(
                        event(4, HistoryEventType::SucceedStateEntered)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap()
            });
        let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&first, &second]);
        let t = Tally::of_execution(&sfn, "arn:aws:states:eu-west-1:1:execution:m:e")
            .await
            .unwrap();
        assert_eq!(
            (t.state_transitions, t.rds_calls),
            (2, 6),
            "a success's 4, an error's 2"
        );
        assert_eq!(
            t.polls.get("green-creating"),
            Some(&1),
            "the scheduled poll"
        );
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }
}
