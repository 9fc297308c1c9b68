//! RDS events of a Blue/Green deployment: how long its switchover took, whether RDS canceled
//! (rolled back) it, whether green's creation failed, and what RDS is still doing that a
//! wait must wait for (storage initialization, PostgreSQL sequence sync).
//!
//! The event id is not a field of DescribeEvents, so messages are matched, exactly, in every
//! wording AWS has documented. "Blue/green deployment events" (RDS User Guide and Aurora User
//! Guide, USER_Events.Messages.html; the earlier wordings from the same page's history,
//! github.com/awsdocs/amazon-rds-user-guide, doc_source/USER_Events.Messages.md):
//!
//! | id | now | earlier |
//! |---|---|---|
//! | 0244 | "Blue/green deployment tasks completed. You can make more modifications ..." | same |
//! | 0245 | "Creation of blue/green deployment failed because <reason>." | "Creation of blue/green deployment failed." / "... failed because the (source/target) DB (instance/cluster) wasn't found." |
//! | 0246 | "Blue/green deployment deleted." | same |
//! | 0247 | "Switchover from <blue> to <green> started." | "Switchover started on blue/green deployment." |
//! | 0248 | "Switchover completed on blue/green deployment." | same |
//! | 0249 | "Switchover canceled on blue/green deployment." | same |
//! | 0307/0311 | "Sequence sync for switchover of [DB cluster ]<blue> to <green> has initiated. ..." | - |
//! | 0308/0312 | "Sequence sync for switchover of [DB cluster ]<blue> to <green> has completed." | - |
//! | 0310/0314 | "Sequence sync for switchover of [DB cluster ]<blue> to <green> was cancelled because sequences failed to sync." | - |
//! | 0405 | "Your storage volumes are being initialized." | - |
//! | 0406 | "Your storage volumes have been initialized." | - |
//!
//! RDS itself words 0245 "... failed due to <reason>" too (re:Post, "postgres rds blue green
//! deployment setup not working": "Creation of blue/green deployment failed due to incompatible
//! parameter(s): [max_logical_replication_workers] ..."): both are read. The per-member events
//! (0250-0252, 0259-0261: "Switchover from primary/read replica ...", "Switchover from DB
//! cluster ...") also say "switchover" and "started" or "completed" and are not 0247/0248.
//! The earlier wording of 0259, "Switchover from <source> to <target> started.", reads like
//! today's 0247; both mark the start of the same switchover, at the same moment.

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

/// Where a long-running RDS activity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Started,
    Completed,
    /// Only sequence sync can fail (0310/0314); RDS then cancels the switchover.
    Failed,
}

/// A deployment event the product reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// RDS-EVENT-0244: green is built.
    Created,
    /// RDS-EVENT-0245, with AWS's reason (empty in the oldest wording).
    CreationFailed(String),
    /// RDS-EVENT-0246.
    Deleted,
    Switchover(SwitchoverEvent),
    /// PostgreSQL sequence sync at switchover: 0307/0308/0310 (RDS), 0311/0312/0314 (Aurora).
    SequenceSync(Activity),
    /// Green's storage initialization (lazy loading): 0405/0406.
    StorageInitialization(Activity),
}

/// The deployment's switchover events, oldest first.
pub type Lifecycle = Vec<(SwitchoverEvent, DateTime)>;

/// What a message is, in any wording AWS documented; `None` for the others.
pub fn read(message: &str) -> Option<Recorded> {
    use Recorded::*;
    let m = message.trim().trim_end_matches('.').trim();
    let is = |text: &str| m.eq_ignore_ascii_case(text);
    if is("Blue/green deployment tasks completed. You can make more modifications to the green environment databases or switch over the deployment") {
        return Some(Created);
    }
    if is("Blue/green deployment deleted") {
        return Some(Deleted);
    }
    if let Some(rest) = m.strip_prefix("Creation of blue/green deployment failed") {
        let rest = rest.trim();
        let reason = rest
            .strip_prefix("because")
            .or_else(|| rest.strip_prefix("due to"))
            .unwrap_or(rest)
            .trim();
        return Some(CreationFailed(reason.to_owned()));
    }
    if is("Switchover started on blue/green deployment") {
        return Some(Switchover(SwitchoverEvent::Started));
    }
    if is("Switchover completed on blue/green deployment") {
        return Some(Switchover(SwitchoverEvent::Completed));
    }
    if is("Switchover canceled on blue/green deployment") {
        return Some(Switchover(SwitchoverEvent::Canceled));
    }
    if is("Your storage volumes are being initialized") {
        return Some(StorageInitialization(Activity::Started));
    }
    if is("Your storage volumes have been initialized") {
        return Some(StorageInitialization(Activity::Completed));
    }
    if let Some(rest) = m.strip_prefix("Sequence sync for switchover of ") {
        return [
            (" has initiated", Activity::Started),
            (" has completed", Activity::Completed),
            (
                " was cancelled because sequences failed to sync",
                Activity::Failed,
            ),
        ]
        .into_iter()
        .find(|(tail, _)| rest.contains(tail))
        .map(|(_, activity)| SequenceSync(activity));
    }
    // "Switchover from <blue> to <green> started": exactly two names (identifiers have no
    // spaces), so "from primary/read replica X to Y" and "from DB cluster X to Y" are not it.
    let middle = m
        .strip_prefix("Switchover from ")?
        .strip_suffix(" started")?;
    let words: Vec<&str> = middle.split_whitespace().collect();
    (words.len() == 3 && words[1] == "to").then_some(Switchover(SwitchoverEvent::Started))
}

/// Which deployment-level switchover event a message is, if any.
pub fn classify(message: &str) -> Option<SwitchoverEvent> {
    match read(message)? {
        Recorded::Switchover(event) => Some(event),
        _ => None,
    }
}

/// Every event of the deployment the product reads, since `since` (else of the last day),
/// oldest first.
pub async fn recorded(
    rds: &aws_sdk_rds::Client,
    deployment_id: &str,
    since: Option<DateTime>,
) -> Result<Vec<(Recorded, DateTime)>, Error> {
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
    let mut found: Vec<(Recorded, DateTime)> = events
        .iter()
        .filter_map(|e| Some((read(e.message()?)?, *e.date()?)))
        .collect();
    found.sort_by_key(|(_, d)| (d.secs(), d.subsec_nanos()));
    Ok(found)
}

/// Reads the deployment's switchover events since `since` (else of the last day).
pub async fn lifecycle(
    rds: &aws_sdk_rds::Client,
    deployment_id: &str,
    since: Option<DateTime>,
) -> Result<Lifecycle, Error> {
    Ok(recorded(rds, deployment_id, since)
        .await?
        .into_iter()
        .filter_map(|(event, at)| match event {
            Recorded::Switchover(e) => Some((e, at)),
            _ => None,
        })
        .collect())
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
            // The earlier documented wording of 0247.
            ("Switchover started on blue/green deployment.", Some(Started)),
            ("Blue/green deployment deleted.", None),
        ] {
            assert_eq!(classify(message), expected, "{message}");
        }
    }

    /// Every wording of USER_Events.Messages, now and earlier (module docs), and RDS's own
    /// "due to" wording of 0245.
    #[test]
    fn every_documented_wording_is_read() {
        use Activity::*;
        use Recorded::*;
        let failed = |r: &str| Some(CreationFailed(r.to_owned()));
        for (message, expected) in [
            ("Blue/green deployment tasks completed. You can make more modifications to the green environment databases or switch over the deployment.", Some(Created)),
            ("Creation of blue/green deployment failed because the source DB instance wasn't found.", failed("the source DB instance wasn't found")),
            ("Creation of blue/green deployment failed.", failed("")),
            ("Creation of blue/green deployment failed due to incompatible parameter(s): [max_logical_replication_workers] .See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-creating.html to help resolve the issues, then delete and recreate the blue/green deployment.", failed("incompatible parameter(s): [max_logical_replication_workers] .See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-creating.html to help resolve the issues, then delete and recreate the blue/green deployment")),
            ("Blue/green deployment deleted.", Some(Deleted)),
            ("Switchover from orders to orders-green-abcdef started.", Some(Switchover(SwitchoverEvent::Started))),
            ("Switchover started on blue/green deployment.", Some(Switchover(SwitchoverEvent::Started))),
            ("Switchover completed on blue/green deployment.", Some(Switchover(SwitchoverEvent::Completed))),
            ("Switchover canceled on blue/green deployment.", Some(Switchover(SwitchoverEvent::Canceled))),
            ("Sequence sync for switchover of orders to orders-green-abcdef has initiated. Switchover when using sequences may lead to extended downtime.", Some(SequenceSync(Started))),
            ("Sequence sync for switchover of orders to orders-green-abcdef has completed.", Some(SequenceSync(Completed))),
            ("Sequence sync for switchover of orders to orders-green-abcdef was cancelled because sequences failed to sync.", Some(SequenceSync(Failed))),
            ("Sequence sync for switchover of DB cluster orders to orders-green-abcdef has initiated. Switchover when using sequences may lead to extended downtime.", Some(SequenceSync(Started))),
            ("Sequence sync for switchover of DB cluster orders to orders-green-abcdef has completed.", Some(SequenceSync(Completed))),
            ("Sequence sync for switchover of DB cluster orders to orders-green-abcdef was cancelled because sequences failed to sync.", Some(SequenceSync(Failed))),
            ("Your storage volumes are being initialized.", Some(StorageInitialization(Started))),
            ("Your storage volumes have been initialized.", Some(StorageInitialization(Completed))),
            ("Switchover from primary source to target started.", None),
            ("Switchover from primary/read replica orders to orders-green-abcdef started.", None),
        ] {
            assert_eq!(read(message), expected, "{message}");
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
