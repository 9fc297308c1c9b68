//! RDS events of a Blue/Green deployment: how long its switchover took, and whether RDS
//! canceled (rolled back) it.
//!
//! RDS records, on the deployment ("Blue/green deployment events", RDS User Guide,
//! USER_Events.Messages): RDS-EVENT-0247 "Switchover from <blue> to <green> started.",
//! RDS-EVENT-0248 "Switchover completed on blue/green deployment." and RDS-EVENT-0249
//! "Switchover canceled on blue/green deployment.". The event id is not a field of
//! DescribeEvents, so the messages are matched, exactly: the per-member events (0250-0252,
//! 0259-0261: "Switchover from primary/read replica ... started.", "... DB cluster ...
//! completed. Renamed ...") and the sequence-sync ones (0307/0308, 0311/0312: "Sequence sync
//! for switchover of ... has completed.") also say "switchover" and "started" or "completed".

use aws_smithy_types::DateTime;
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

/// The deployment-level switchover events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchoverEvent {
    /// RDS-EVENT-0247.
    Started,
    /// RDS-EVENT-0248.
    Completed,
    /// RDS-EVENT-0249: RDS rolled the switchover back.
    Canceled,
}

/// The deployment's switchover events, oldest first.
pub type Lifecycle = Vec<(SwitchoverEvent, DateTime)>;

/// Which deployment-level switchover event a message is, if any.
pub fn classify(message: &str) -> Option<SwitchoverEvent> {
    let m = message.trim().trim_end_matches('.').trim();
    if m.eq_ignore_ascii_case("Switchover completed on blue/green deployment") {
        return Some(SwitchoverEvent::Completed);
    }
    if m.eq_ignore_ascii_case("Switchover canceled on blue/green deployment") {
        return Some(SwitchoverEvent::Canceled);
    }
    // "Switchover from <blue> to <green> started": exactly two names (identifiers have no
    // spaces), so "from primary/read replica X to Y" and "from DB cluster X to Y" are not it.
    let middle = m
        .strip_prefix("Switchover from ")?
        .strip_suffix(" started")?;
    let words: Vec<&str> = middle.split_whitespace().collect();
    (words.len() == 3 && words[1] == "to").then_some(SwitchoverEvent::Started)
}

/// Reads the deployment's switchover events since `since` (else of the last day).
pub async fn lifecycle(
    rds: &aws_sdk_rds::Client,
    deployment_id: &str,
    since: Option<DateTime>,
) -> Result<Lifecycle, Error> {
    let call = rds
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::BlueGreenDeployment)
        .source_identifier(deployment_id);
    let call = match since {
        Some(since) => call.start_time(since),
        None => call.duration(24 * 60),
    };
    let pages = call.into_paginator().send();
    let events = collect_pages(pages, "DescribeEvents", |p| p.events().to_vec()).await?;
    let mut found: Lifecycle = events
        .iter()
        .filter_map(|e| Some((classify(e.message()?)?, *e.date()?)))
        .collect();
    found.sort_by_key(|(_, d)| (d.secs(), d.subsec_nanos()));
    Ok(found)
}

/// The last switchover's timing; `None` when it has not both started and completed.
pub async fn switchover_timing(
    rds: &aws_sdk_rds::Client,
    deployment_id: &str,
) -> Result<Option<SwitchoverTiming>, Error> {
    Ok(timing(&lifecycle(rds, deployment_id, None).await?))
}

/// The last deployment-level switchover event since `since`, with its time: `Canceled` means
/// RDS rolled the switchover back.
pub async fn last_switchover_event(
    rds: &aws_sdk_rds::Client,
    deployment_id: &str,
    since: Option<DateTime>,
) -> Result<Option<(SwitchoverEvent, DateTime)>, Error> {
    Ok(lifecycle(rds, deployment_id, since).await?.pop())
}

/// RFC 3339 text of an event time.
pub fn format_time(at: &DateTime) -> String {
    at.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

fn timing(events: &[(SwitchoverEvent, DateTime)]) -> Option<SwitchoverTiming> {
    let completed = events
        .iter()
        .rposition(|(e, _)| *e == SwitchoverEvent::Completed)?;
    let started = events[..completed]
        .iter()
        .rposition(|(e, _)| *e == SwitchoverEvent::Started)?;
    let (started, completed) = (events[started].1, events[completed].1);
    let seconds = |d: &DateTime| d.secs() as f64 + f64::from(d.subsec_nanos()) / 1e9;
    let duration = seconds(&completed) - seconds(&started);
    (duration >= 0.0).then(|| SwitchoverTiming {
        started_at: format_time(&started),
        completed_at: format_time(&completed),
        duration_seconds: (duration * 1000.0).round() / 1000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::operation::describe_events::DescribeEventsOutput;
    use aws_sdk_rds::types::Event;
    use aws_smithy_mocks::{mock, mock_client};

    fn event(message: &str, at: DateTime) -> Event {
        Event::builder().message(message).date(at).build()
    }

    /// A switchover as RDS records it (USER_Events.Messages), with the member and
    /// sequence-sync events a loose matcher takes for 0247 / 0248.
    fn recorded() -> DescribeEventsOutput {
        DescribeEventsOutput::builder()
            .events(event("Blue/green deployment tasks completed. You can make more modifications to the green environment databases or switch over the deployment.", DateTime::from_secs(900)))
            .events(event("Switchover from orders to orders-green-abcdef started.", DateTime::from_secs(1000)))
            .events(event("Switchover from primary/read replica orders to orders-green-abcdef started.", DateTime::from_secs(1001)))
            .events(event("Sequence sync for switchover of orders to orders-green-abcdef has initiated. Switchover when using sequences may lead to extended downtime.", DateTime::from_secs(1001)))
            .events(event("Sequence sync for switchover of orders to orders-green-abcdef has completed.", DateTime::from_secs(1002)))
            .events(event("Switchover from primary/read replica orders to orders-green-abcdef completed. Renamed orders to orders-old1 and orders-green-abcdef to orders.", DateTime::from_secs(1003)))
            .events(event("Switchover completed on blue/green deployment.", DateTime::from_fractional_secs(1003, 0.5)))
            .build()
    }

    #[tokio::test]
    async fn duration_comes_from_the_deployment_events_only() {
        let rule = mock!(aws_sdk_rds::Client::describe_events)
            .match_requests(|r| r.source_identifier() == Some("bgd-1"))
            .then_output(recorded);
        let rds = mock_client!(aws_sdk_rds, [&rule]);
        let t = switchover_timing(&rds, "bgd-1").await.unwrap().unwrap();
        assert_eq!(t.duration_seconds, 3.5);
        assert_eq!(t.started_at, "1970-01-01T00:16:40Z");
    }

    #[test]
    fn messages_are_matched_exactly() {
        use SwitchoverEvent::*;
        for (message, expected) in [
            ("Switchover from orders to orders-green-abcdef started.", Some(Started)),
            ("Switchover completed on blue/green deployment.", Some(Completed)),
            ("Switchover canceled on blue/green deployment.", Some(Canceled)),
            ("Switchover from DB cluster orders to orders-green-abcdef started.", None),
            ("Switchover from primary/read replica orders-1 to orders-1-green-abcdef started.", None),
            ("Switchover from DB cluster orders to orders-green-abcdef completed. Renamed orders to orders-old1 and orders-green-abcdef to orders.", None),
            ("Switchover from DB cluster orders to orders-green-abcdef was canceled due to replica lag.", None),
            ("Sequence sync for switchover of orders to orders-green-abcdef has completed.", None),
            ("Switchover started on blue/green deployment.", None),
        ] {
            assert_eq!(classify(message), expected, "{message}");
        }
    }

    #[test]
    fn a_canceled_or_unfinished_switchover_has_no_timing() {
        use SwitchoverEvent::*;
        let at = DateTime::from_secs;
        assert_eq!(timing(&[(Started, at(1)), (Canceled, at(5))]), None);
        assert_eq!(timing(&[(Started, at(1))]), None);
        assert_eq!(timing(&[(Completed, at(1))]), None);
        let t = timing(&[
            (Started, at(1)),
            (Canceled, at(5)),
            (Started, at(10)),
            (Completed, at(12)),
        ])
        .unwrap();
        assert_eq!(
            t.duration_seconds, 2.0,
            "the last switchover, not the canceled one"
        );
    }
}
