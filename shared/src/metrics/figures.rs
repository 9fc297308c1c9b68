//! The figures of one upgrade, carried by its end message and notify's answer (so the
//! execution's output, and a fleet's report, can sum them).
//!
//! What is measured, not guessed: the green build time as poll-status measured it (RDS's
//! CreateTime to the poll that found green ready), the switchover's duration by RDS's events,
//! the cleanup's time (from when `Delete old blue` was first entered, which the state machine
//! keeps, to the end), the execution's total time by Step Functions' start time; and, counted
//! from the execution's own history when it ends ([`super::history`]), the status reads of
//! every wait loop, its state transitions (retries included, what AWS bills) and the RDS calls
//! its steps made.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::notify::event::{text_at, Event};
use crate::notify::format::{human_seconds, parse_rfc3339};
use crate::notify::message::Message;

/// The figures' names, as notify answers them and the state machine's `Notify done` keeps
/// them (its ResultSelector names each).
pub const NAMES: [&str; 7] = [
    "greenBuildSeconds",
    "switchoverSeconds",
    "cleanupSeconds",
    "totalSeconds",
    "polls",
    "stateTransitions",
    "rdsCalls",
];

/// An upgrade's figures; each is absent (in the answer: null) when this execution did not
/// measure it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_build_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switchover_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_seconds: Option<f64>,
    /// Status reads of every wait loop so far ([`super::history`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polls: Option<u64>,
    /// State transitions so far, retries included ([`super::history`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_transitions: Option<u64>,
    /// RDS API calls the execution's steps made so far ([`super::history`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rds_calls: Option<u64>,
}

impl Figures {
    /// The figures an end event gives: its detail holds the loops' last answers (`done`:
    /// `{greenPoll, snapshot, switchPoll, verify, cleanup, cleanupStart}`), the execution its
    /// start. The cleanup runs to the end (`Notify done` follows old blue's deletion at once).
    pub fn of_end(event: &Event, now: SystemTime) -> Figures {
        let d = &event.detail;
        Figures {
            green_build_seconds: seconds_at(d, &["greenPoll", "greenBuildSeconds"]),
            switchover_seconds: seconds_at(d, &["verify", "switchover", "durationSeconds"]),
            cleanup_seconds: since(
                cleanup_began(text_at(d, &["cleanupStart"]), event).as_deref(),
                now,
            ),
            total_seconds: since(event.execution.start_time.as_deref(), now),
            polls: None,
            state_transitions: None,
            rds_calls: None,
        }
    }

    /// Adds what the execution's history counts (read when it ends) and the RDS calls of the
    /// invocation that reads it, which the history does not hold yet.
    pub fn with_history(self, tally: &super::history::Tally, own_rds_calls: u64) -> Figures {
        Figures {
            polls: tally.all_polls(),
            state_transitions: Some(tally.state_transitions),
            rds_calls: Some(tally.rds_calls + own_rds_calls),
            ..self
        }
    }

    /// The figures as notify answers them: every name of [`NAMES`], null when unmeasured, so
    /// the state machine can keep each (a path that selects nothing fails the execution).
    pub fn answer(&self) -> Value {
        let mut all = serde_json::Map::new();
        for name in NAMES {
            all.insert(name.to_owned(), Value::Null);
        }
        if let Value::Object(measured) = serde_json::json!(self) {
            all.extend(measured);
        }
        Value::Object(all)
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
        add("Cleanup", self.cleanup_seconds.map(human_seconds));
        add("Total time", self.total_seconds.map(human_seconds));
        add("Polls", self.polls.map(|p| p.to_string()));
        add(
            "State transitions",
            self.state_transitions.map(|t| t.to_string()),
        );
        add("RDS calls", self.rds_calls.map(|c| c.to_string()));
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
            cleanup_seconds: add(acc.cleanup_seconds, f.cleanup_seconds),
            total_seconds: add(acc.total_seconds, f.total_seconds),
            polls: add(acc.polls, f.polls),
            state_transitions: add(acc.state_transitions, f.state_transitions),
            rds_calls: add(acc.rds_calls, f.rds_calls),
        })
    }

    /// The median of each figure over the upgrades that measured it (a fleet's report: a
    /// typical upgrade, which one slow database does not move as it moves the sum).
    pub fn median<'a>(all: impl IntoIterator<Item = &'a Figures> + Clone) -> Figures {
        fn of(mut values: Vec<f64>) -> Option<f64> {
            values.sort_by(f64::total_cmp);
            let n = values.len();
            match n {
                0 => None,
                _ if n % 2 == 1 => Some(values[n / 2]),
                _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
            }
        }
        let each = |figure: fn(&Figures) -> Option<f64>| {
            of(all.clone().into_iter().filter_map(figure).collect())
        };
        // A count's median, rounded (the median of 3 and 6 is 5).
        let count = |figure: fn(&Figures) -> Option<u64>| {
            of(all
                .clone()
                .into_iter()
                .filter_map(figure)
                .map(|n| n as f64)
                .collect())
            .map(|m| m.round() as u64)
        };
        Figures {
            green_build_seconds: each(|f| f.green_build_seconds),
            switchover_seconds: each(|f| f.switchover_seconds),
            cleanup_seconds: each(|f| f.cleanup_seconds),
            total_seconds: each(|f| f.total_seconds),
            polls: count(|f| f.polls),
            state_transitions: count(|f| f.state_transitions),
            rds_calls: count(|f| f.rds_calls),
        }
    }
}

/// When the cleanup began: as the state machine `noted` it (when `Delete old blue` was first
/// entered, after the grace period), else the start of an execution that is only a cleanup.
pub(crate) fn cleanup_began(noted: Option<String>, event: &Event) -> Option<String> {
    noted.or_else(|| {
        (event.action() == "cleanup")
            .then(|| event.execution.start_time.clone())
            .flatten()
    })
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
                "cleanup": {"attempt": 4},
                "cleanupStart": "2026-12-07T02:59:00.250Z"
            },
            "execution": {"startTime": "2026-12-07T01:00:00.250Z"}
        }));
        let f = Figures::of_end(&e, start + Duration::from_secs(7200));
        assert_eq!(
            f,
            Figures {
                green_build_seconds: Some(3600.5),
                switchover_seconds: Some(3.5),
                cleanup_seconds: Some(60.0),
                total_seconds: Some(7200.0),
                polls: None,
                state_transitions: None,
                rds_calls: None,
            }
        );
        let tally = |transitions, rds, polls: &[(&str, u64)]| {
            let mut t = crate::metrics::history::Tally::default();
            t.state_transitions = transitions;
            t.rds_calls = rds;
            t.polls = polls.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect();
            t
        };
        let read = [
            ("green-creating", 15),
            ("snapshot-taken", 2),
            ("old-blue-deleted", 5),
        ];
        let counted = f.clone().with_history(&tally(80, 40, &read), 2);
        assert_eq!(
            (counted.state_transitions, counted.rds_calls, counted.polls),
            (Some(80), Some(42), Some(22)),
            "the history's count (every loop's reads), and notify's own calls so far"
        );
        let no_loop = f.clone().with_history(&tally(9, 3, &[]), 0);
        assert_eq!(no_loop.polls, None, "no loop ran: not measured");
        let bare = Figures::of_end(&event(json!({"stage": "done"})), start);
        assert_eq!(bare, Figures::default());
        assert_eq!(serde_json::to_value(&bare).unwrap(), json!({}));
    }

    #[test]
    fn the_answer_names_every_figure_null_when_unmeasured() {
        let f = Figures {
            switchover_seconds: Some(2.5),
            polls: Some(9),
            ..Figures::default()
        };
        assert_eq!(
            f.answer(),
            json!({"greenBuildSeconds": null, "switchoverSeconds": 2.5, "cleanupSeconds": null, "totalSeconds": null, "polls": 9, "stateTransitions": null, "rdsCalls": null})
        );
        let back: Figures = serde_json::from_value(f.answer()).unwrap();
        assert_eq!(back, f, "the fleet reads the answer back");
        assert_eq!(
            Figures::default().answer().as_object().unwrap().len(),
            NAMES.len()
        );
    }

    #[test]
    fn medians_are_of_what_was_measured() {
        let f = |total: f64, polls: Option<u64>| Figures {
            total_seconds: Some(total),
            polls,
            ..Figures::default()
        };
        let all = [f(10.0, Some(3)), f(40.0, None), f(20.0, Some(6))];
        let m = Figures::median(&all);
        assert_eq!(
            (m.total_seconds, m.polls, m.switchover_seconds),
            (Some(20.0), Some(5), None),
            "polls: the median of 3 and 6, rounded"
        );
        assert_eq!(Figures::median(&all[..2]).total_seconds, Some(25.0));
        assert_eq!(Figures::median(&[]), Figures::default());
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
