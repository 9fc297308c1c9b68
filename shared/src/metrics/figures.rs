//! The figures of one upgrade, carried by its end message and notify's answer (so the
//! execution's output, and a fleet's report, can sum them).
//!
//! What is measured, not guessed: the green build time as poll-status measured it (RDS's
//! CreateTime to the poll that found green ready), the switchover's duration by RDS's events,
//! the execution's total time by Step Functions' start time, and the polls of every wait loop.
//! Not here: state transitions (retries count too, and no step sees them; docs/benchmarks.md
//! counts them from an execution's history) and RDS calls (no step sees the others' calls;
//! docs/benchmarks.md counts them with the emulator's meter).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::notify::event::{number_at, Event};
use crate::notify::format::{human_seconds, parse_rfc3339};
use crate::notify::message::Message;

/// The loops whose polls the end figures add up, as the state data names them.
const LOOPS: [&str; 5] = ["greenPoll", "snapshot", "switchPoll", "cleanup", "abandon"];

/// An upgrade's figures; each is absent when this execution did not measure it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_build_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switchover_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polls: Option<u64>,
}

impl Figures {
    /// The figures an end event gives: its detail holds the loops' last answers (`done`:
    /// `{snapshot, verify, cleanup, greenPoll?, switchPoll?}`), the execution its start.
    pub fn of_end(event: &Event, now: SystemTime) -> Figures {
        let d = &event.detail;
        let polls: Vec<u64> = LOOPS
            .iter()
            .filter_map(|name| number_at(d, &[name, "attempt"]))
            .collect();
        Figures {
            green_build_seconds: seconds_at(d, &["greenPoll", "greenBuildSeconds"]),
            switchover_seconds: seconds_at(d, &["verify", "switchover", "durationSeconds"]),
            total_seconds: since(event.execution.start_time.as_deref(), now),
            polls: (!polls.is_empty()).then(|| polls.iter().sum()),
        }
    }

    /// Adds the figures to a message's facts (what people read at the end).
    pub fn add_facts(&self, m: &mut Message) {
        let mut add = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                if !m.facts.iter().any(|(k, _)| k == name) {
                    m.facts.push((name.to_owned(), v));
                }
            }
        };
        add("Green build", self.green_build_seconds.map(human_seconds));
        add("Total time", self.total_seconds.map(human_seconds));
        add("Polls", self.polls.map(|p| p.to_string()));
    }

    /// The sum of many upgrades' figures (a fleet's report); a figure none measured stays absent.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Figures>) -> Figures {
        fn add<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            }
        }
        all.into_iter().fold(Figures::default(), |acc, f| Figures {
            green_build_seconds: add(acc.green_build_seconds, f.green_build_seconds),
            switchover_seconds: add(acc.switchover_seconds, f.switchover_seconds),
            total_seconds: add(acc.total_seconds, f.total_seconds),
            polls: add(acc.polls, f.polls),
        })
    }
}

/// Seconds (a non-negative number) at `path`.
pub(crate) fn seconds_at(value: &Value, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))?
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

/// Seconds from an RFC 3339 instant to `now`; `None` when absent, unreadable or in the future.
pub(crate) fn since(start: Option<&str>, now: SystemTime) -> Option<f64> {
    let start = parse_rfc3339(start?)?;
    now.duration_since(start).ok().map(|d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn event(value: Value) -> Event {
        Event::from_map(value.as_object().unwrap())
    }

    #[test]
    fn an_end_gives_what_was_measured() {
        let start = parse_rfc3339("2026-12-07T01:00:00.250Z").unwrap();
        let e = event(json!({
            "stage": "done",
            "detail": {
                "greenPoll": {"attempt": 12, "greenBuildSeconds": 3600.5},
                "snapshot": {"attempt": 2},
                "switchPoll": {"attempt": 3},
                "verify": {"switchover": {"durationSeconds": 3.5}},
                "cleanup": {"attempt": 4}
            },
            "execution": {"startTime": "2026-12-07T01:00:00.250Z"}
        }));
        let f = Figures::of_end(&e, start + Duration::from_secs(7200));
        assert_eq!(
            f,
            Figures {
                green_build_seconds: Some(3600.5),
                switchover_seconds: Some(3.5),
                total_seconds: Some(7200.0),
                polls: Some(21),
            }
        );
        let bare = Figures::of_end(&event(json!({"stage": "done"})), start);
        assert_eq!(bare, Figures::default());
        assert_eq!(serde_json::to_value(&bare).unwrap(), json!({}));
    }

    #[test]
    fn sums_keep_what_is_unmeasured_absent() {
        let a = Figures {
            total_seconds: Some(10.0),
            polls: Some(3),
            ..Figures::default()
        };
        let b = Figures {
            total_seconds: Some(5.0),
            switchover_seconds: Some(2.0),
            ..Figures::default()
        };
        let s = Figures::sum([&a, &b]);
        assert_eq!(
            (
                s.total_seconds,
                s.polls,
                s.switchover_seconds,
                s.green_build_seconds
            ),
            (Some(15.0), Some(3), Some(2.0), None)
        );
    }
}
