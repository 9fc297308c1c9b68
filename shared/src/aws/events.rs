//! RDS events of a Blue/Green deployment: how long its switchover took.
//!
//! RDS records "switchover started" (RDS-EVENT-0247) and "switchover completed"
//! (RDS-EVENT-0248) on the deployment; the event id is not a field of DescribeEvents, so
//! the messages are matched.

use serde::{Deserialize, Serialize};

use crate::aws::database::collect_pages;
use crate::error::Error;

/// When the switchover started and completed, by RDS's own clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchoverTiming {
    pub started_at: String,
    pub completed_at: String,
    pub duration_seconds: f64,
}

/// Reads the last day of the deployment's events; `None` when either event is missing.
pub async fn switchover_timing(
    rds: &aws_sdk_rds::Client,
    deployment_id: &str,
) -> Result<Option<SwitchoverTiming>, Error> {
    let pages = rds
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
        .source_identifier(deployment_id)
        .duration(24 * 60)
        .into_paginator()
        .send();
    let events = collect_pages(pages, "DescribeEvents", |p| p.events().to_vec()).await?;
    let at = |word: &str| {
        events
            .iter()
            .filter(|e| e.message().is_some_and(|m| is_switchover_event(m, word)))
            .filter_map(|e| e.date().copied())
            .max_by_key(|d| (d.secs(), d.subsec_nanos()))
    };
    Ok(timing(at("started"), at("completed")))
}

fn is_switchover_event(message: &str, word: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("switchover") && m.contains(word) && !m.contains("cancel")
}

fn timing(
    started: Option<aws_smithy_types::DateTime>,
    completed: Option<aws_smithy_types::DateTime>,
) -> Option<SwitchoverTiming> {
    let (started, completed) = (started?, completed?);
    let seconds =
        |d: &aws_smithy_types::DateTime| d.secs() as f64 + f64::from(d.subsec_nanos()) / 1e9;
    let duration = seconds(&completed) - seconds(&started);
    (duration >= 0.0).then(|| SwitchoverTiming {
        started_at: started
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default(),
        completed_at: completed
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default(),
        duration_seconds: (duration * 1000.0).round() / 1000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::operation::describe_events::DescribeEventsOutput;
    use aws_sdk_rds::types::Event;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::DateTime;

    #[tokio::test]
    async fn duration_comes_from_the_started_and_completed_events() {
        let rule = mock!(aws_sdk_rds::Client::describe_events)
            .match_requests(|r| r.source_identifier() == Some("bgd-1"))
            .then_output(|| {
                DescribeEventsOutput::builder()
                    .events(
                        Event::builder()
                            .message("Blue/green deployment created.")
                            .date(DateTime::from_secs(900))
                            .build(),
                    )
                    .events(
                        Event::builder()
                            .message("Switchover started on blue/green deployment.")
                            .date(DateTime::from_secs(1000))
                            .build(),
                    )
                    .events(
                        Event::builder()
                            .message("Switchover completed on blue/green deployment.")
                            .date(DateTime::from_fractional_secs(1003, 0.5))
                            .build(),
                    )
                    .build()
            });
        let rds = mock_client!(aws_sdk_rds, [&rule]);
        let t = switchover_timing(&rds, "bgd-1").await.unwrap().unwrap();
        assert_eq!(t.duration_seconds, 3.5);
        assert_eq!(t.started_at, "1970-01-01T00:16:40Z");
    }

    #[test]
    fn canceled_or_missing_events_give_no_timing() {
        assert!(!is_switchover_event(
            "Switchover canceled: completed rollback",
            "completed"
        ));
        assert_eq!(timing(Some(DateTime::from_secs(1)), None), None);
    }
}
