//! An execution's state transitions and RDS calls, counted from its own history
//! (`GetExecutionHistory`, every page) when it ends: the two figures no single step sees.
//!
//! **State transitions** are what AWS bills a standard workflow for: "Step Functions counts a
//! state transition each time a step of your workflow is executed ... If you include retry
//! error handling in any steps of your workflow, each retry will be charged as an additional
//! state transition" (<https://aws.amazon.com/step-functions/pricing/>). Counted here: every
//! `…StateEntered` event (a state executed, of any type), plus every retry: each `TaskScheduled`
//! of a Task state after its first (a retried attempt schedules the task again).
//!
//! **RDS calls** are the ones the functions made: each answers `rdsCalls` (the functions'
//! runtime adds it, [`crate::aws::meter`]), which the history keeps in the `TaskSucceeded`
//! event's output (`Payload.rdsCalls` for `lambda:invoke`), and for a task-token wait in its
//! `TaskSubmitted` event's output (the invocation's answer; the waits read the status before
//! they store their token). Not in it: an invocation that answered an error (a step that
//! failed, a wait that found nothing left to wait for): its error carries no count.
//!
//! "So far": read by notify at the end message, the history holds every state up to notify's
//! own Task (entered and scheduled); the few states after it (the lock's release, the end
//! state) are not in the figure (docs/metrics.md).

use aws_sdk_sfn::types::HistoryEventType;
use serde_json::Value;

use crate::aws::meter::ANSWER_FIELD;

/// What an execution's history adds up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub state_transitions: u64,
    pub rds_calls: u64,
    /// A Task state was entered and its task not scheduled yet (the next schedule is its
    /// first attempt, not a retry).
    awaiting_first_attempt: bool,
}

impl Tally {
    /// Adds one history event: its type as AWS names it (`TaskStateEntered`...) and, for a
    /// `TaskSucceeded` or `TaskSubmitted`, the task's output (the JSON text the history keeps).
    pub fn add(&mut self, kind: &str, output: Option<&str>) {
        if kind.ends_with("StateEntered") {
            self.state_transitions += 1;
            self.awaiting_first_attempt = kind == "TaskStateEntered";
        } else if kind == "TaskScheduled" {
            if !std::mem::take(&mut self.awaiting_first_attempt) {
                self.state_transitions += 1; // a retry
            }
        } else if kind == "TaskSucceeded" || kind == "TaskSubmitted" {
            self.rds_calls += output.map(rds_calls_of).unwrap_or(0);
        }
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
                let output = match event.r#type() {
                    HistoryEventType::TaskSucceeded => event
                        .task_succeeded_event_details()
                        .and_then(|d| d.output()),
                    HistoryEventType::TaskSubmitted => event
                        .task_submitted_event_details()
                        .and_then(|d| d.output()),
                    _ => None,
                };
                tally.add(event.r#type().as_str(), output);
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
        use aws_sdk_sfn::types::{HistoryEvent, TaskSucceededEventDetails};
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
                    .events(event(2, HistoryEventType::TaskScheduled).build().unwrap())
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
        assert_eq!((t.state_transitions, t.rds_calls), (2, 4));
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }
}
