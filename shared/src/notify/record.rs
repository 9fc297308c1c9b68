//! What AWS recorded about the work a stage reports, read when the message depends on whether
//! this execution did it: a re-run that finds the switchover (or green) already there must say
//! so once, with AWS's time, and not announce work nobody did now.
//!
//! Read only for the stages that need it, and read-only (DescribeEvents,
//! DescribeBlueGreenDeployments, DescribeDBSnapshots / DescribeDBClusterSnapshots). When AWS cannot be read the record stays empty and the
//! steps' own answers decide alone (`stages::silence`).

use aws_smithy_types::DateTime;

use super::event::{answer, Event, Stage};
use crate::aws::clients::ClientFactory;
use crate::aws::deployment;
use crate::aws::events::{self, SwitchoverEvent};
use crate::aws::snapshot;
use crate::input::Request;
use crate::steps::{create, switchover};

/// DescribeEvents returns the events "for the past 14 days" (RDS API Reference,
/// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeEvents.html).
const EVENTS_KEPT_SECONDS: i64 = 14 * 24 * 3600;

/// Times AWS recorded (RFC 3339), each `None` when not recorded or not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Whether AWS was read for this event (false: no access, or not needed).
    pub read: bool,
    /// The deployment's last switchover start (RDS-EVENT-0247) in the events RDS keeps.
    pub switchover_started: Option<String>,
    /// The deployment's last switchover completion (RDS-EVENT-0248).
    pub switchover_completed: Option<String>,
    /// When the deployment was created (`CreateTime`).
    pub deployment_created: Option<String>,
    /// When the snapshot the stage names was taken (`SnapshotCreateTime`).
    pub snapshot_created: Option<String>,
}

/// The snapshot a `snapshot-taken` event names, when one was taken.
fn snapshot_id(event: &Event) -> Option<String> {
    answer::<switchover::Snapshot>(&event.detail)?.snapshot_id
}

/// Whether the stage's message depends on what AWS recorded.
fn needed(event: &Event) -> bool {
    match event.stage {
        Stage::SwitchoverStarted | Stage::SwitchoverCompleted => true,
        Stage::GreenCreating => {
            answer::<create::Created>(&event.deployment).is_some_and(|c| c.adopted)
        }
        Stage::SnapshotTaken => snapshot_id(event).is_some(),
        _ => false,
    }
}

/// Reads the record for `event`; empty when not needed or when AWS cannot be read (logged).
pub async fn read(clients: Option<&ClientFactory>, event: &Event) -> Record {
    if !needed(event) || event.outcome == super::event::Outcome::Failure {
        return Record::default();
    }
    match try_read(clients, event).await {
        Ok(record) => record,
        Err(why) => {
            tracing::warn!(stage = event.stage.name(), %why, "could not read what AWS recorded; the step's answer decides alone");
            Record::default()
        }
    }
}

async fn try_read(clients: Option<&ClientFactory>, event: &Event) -> Result<Record, String> {
    let clients = clients.ok_or("no AWS access configured")?;
    let request = Request::from_value(event.request.clone()).map_err(|e| e.to_string())?;
    let rds = clients.rds(&request.target).map_err(|e| e.to_string())?;
    let mut record = Record {
        read: true,
        ..Record::default()
    };
    if let Some(id) = snapshot_id(event) {
        let kind = request.target.engine.kind();
        let facts = snapshot::describe(&rds, kind, &id)
            .await
            .map_err(|e| e.to_string())?;
        record.snapshot_created = facts
            .and_then(|f| f.created)
            .map(|t| events::format_time(&t));
        return Ok(record);
    }
    let id = event
        .deployment_id()
        .ok_or("no deployment id in the event")?;
    if event.stage == Stage::GreenCreating {
        let d = deployment::describe(&rds, &id)
            .await
            .map_err(|e| e.to_string())?;
        record.deployment_created = d
            .and_then(|d| d.create_time)
            .map(|t| events::format_time(&t));
        return Ok(record);
    }
    let since = DateTime::from_secs(
        DateTime::from(std::time::SystemTime::now()).secs() - EVENTS_KEPT_SECONDS,
    );
    let found = events::lifecycle(&rds, &id, Some(since))
        .await
        .map_err(|e| e.to_string())?;
    let last = |kind: SwitchoverEvent| {
        found
            .iter()
            .rev()
            .find(|(k, _)| *k == kind)
            .map(|(_, at)| events::format_time(at))
    };
    record.switchover_started = last(SwitchoverEvent::Started);
    record.switchover_completed = last(SwitchoverEvent::Completed);
    Ok(record)
}

/// Whether `at` (RFC 3339) is before the execution started; `None` when either is unknown.
pub fn before_execution(at: Option<&str>, event: &Event) -> Option<bool> {
    let at = parse(at?)?;
    let start = parse(event.execution.start_time.as_deref()?)?;
    Some(at < start)
}

/// RFC 3339 with `Z` or an offset (Step Functions' `$$.Execution.StartTime`, RDS's times).
fn parse(text: &str) -> Option<std::time::SystemTime> {
    use aws_smithy_types::date_time::Format::{DateTime as Plain, DateTimeWithOffset};
    let t = text.trim();
    let parsed = DateTime::from_str(t, Plain)
        .or_else(|_| DateTime::from_str(t, DateTimeWithOffset))
        .or_else(|_| DateTime::from_str(&format!("{t}Z"), Plain))
        .ok()?;
    std::time::SystemTime::try_from(parsed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(start: &str) -> Event {
        Event::from_map(
            json!({"stage": "switchover-completed", "execution": {"startTime": start}})
                .as_object()
                .unwrap(),
        )
    }

    #[test]
    fn times_compare_with_the_execution_start_in_any_offset() {
        let e = event("2026-12-07T02:00:00.500Z");
        assert_eq!(
            before_execution(Some("2026-12-07T01:59:59Z"), &e),
            Some(true)
        );
        assert_eq!(
            before_execution(Some("2026-12-07T02:00:01Z"), &e),
            Some(false)
        );
        assert_eq!(
            before_execution(Some("2026-12-07T03:00:01+01:00"), &e),
            Some(false)
        );
        assert_eq!(
            before_execution(Some("2026-12-07T02:59:59+01:00"), &e),
            Some(true)
        );
        assert_eq!(before_execution(None, &e), None);
        assert_eq!(
            before_execution(Some("2026-12-07T01:00:00Z"), &event("")),
            None
        );
    }
}
