//! Metrics in CloudWatch's Embedded Metric Format, written once here: the catalog of every
//! metric ([`catalog::ALL`], the table of docs/metrics.md), the document format ([`emf`]), and
//! what each step measures. A step emits with one call; emitting never fails a step.
//!
//! Written here rather than with a crate: `metrics_cloudwatch_embedded` (crates.io) brings the
//! `metrics` facade, a global recorder and its own Lambda layer for what is one JSON line per
//! value here.

pub mod catalog;
pub mod emf;
pub mod figures;
pub mod history;
pub mod reads;
pub mod stage;

use std::time::SystemTime;

use serde_json::{Map, Value};

pub use catalog::{MetricDef, ALL, NAMESPACE};
pub use emf::{emit, Point};
pub use figures::Figures;

use crate::notify::event::Event;

/// Emits what a notify event measures and answers the figures of an end ([`stage::observe`]),
/// with the execution's history when [`stage::reads_history`] asked for it.
pub fn observe_stage(
    raw: &Map<String, Value>,
    event: &Event,
    history: Option<&history::Tally>,
) -> Option<Figures> {
    let observed = stage::observe(raw, event, SystemTime::now(), history);
    emit(&observed.points);
    observed.figures
}

/// Emits green's build time when poll-status found green ready (`seconds` is `None` before).
pub fn green_built(target: &crate::input::Target, seconds: Option<f64>) {
    if let Some(s) = seconds {
        let engine = target.engine.api_name();
        emit(&[Point::new(&catalog::GREEN_BUILD_TIME, s, &[engine])
            .with("database", Some(&target.identifier))]);
    }
}

/// Emits the precheck's findings of `database`, one count per rule and severity.
pub fn precheck_findings(database: &str, findings: &[crate::precheck::Finding]) {
    let points: Vec<Point> = findings
        .iter()
        .map(|f| {
            let severity = serde_json::to_value(f.severity).unwrap_or_default();
            Point::new(
                &catalog::PRECHECK_FINDINGS,
                1.0,
                &[&f.id, severity.as_str().unwrap_or_default()],
            )
            .with("database", Some(database))
        })
        .collect();
    emit(&points);
}

/// Emits a step's error when the state machine retries it (`NotReady`, `Retryable`).
pub fn step_error(name: &str) {
    if matches!(name, "NotReady" | "Retryable") {
        emit(&[Point::new(&catalog::TRANSIENT_ERRORS, 1.0, &[name])]);
    }
}

/// Emits each channel that did not deliver a notification (Slack disabled is no failure).
pub fn delivery(
    sns: &crate::notify::sns::SnsReport,
    slack: &crate::notify::slack_delivery::SlackReport,
) {
    use crate::notify::slack_delivery::SlackStatus;
    let failed = [
        ("sns", !sns.delivered),
        ("slack", slack.status == SlackStatus::Failed),
    ];
    let points: Vec<Point> = failed
        .iter()
        .filter(|(_, failed)| *failed)
        .map(|(channel, _)| Point::new(&catalog::NOTIFICATION_FAILURES, 1.0, &[channel]))
        .collect();
    emit(&points);
}

/// Emits a finished fleet's databases, counted by status.
pub fn fleet_databases(all: &[crate::fleet::outcome::Outcome]) {
    let points: Vec<Point> = crate::fleet::outcome::counts(all)
        .into_iter()
        .map(|(status, n)| Point::new(&catalog::FLEET_DATABASES, n as f64, &[status.name()]))
        .collect();
    emit(&points);
}

/// Emits a lock release that failed (for whoever releases locks).
pub fn lock_release_failed(action: &str) {
    emit(&[Point::new(&catalog::LOCK_RELEASE_FAILED, 1.0, &[action])]);
}
