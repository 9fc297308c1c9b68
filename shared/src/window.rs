//! The switchover window of `switchoverMode: window`: when a switchover may happen, and
//! nowhere else.
//!
//! `options.switchoverAt` opens it and `options.switchoverNotAfter` (an hour later when
//! omitted) closes it. Both are real RFC 3339 instants in UTC, parsed by the `time` crate (so
//! `2026-02-30T25:61:61Z` is refused), written with an uppercase `T` and `Z` as Step
//! Functions' `TimestampPath` requires.
//!
//! What depends on the clock takes `now` as an argument, so every rule is a pure function:
//! [`Window::check_start`] (when an execution starts: not in the past, not too far ahead)
//! and [`Window::position`] (right before a snapshot or a switchover: early, open or missed).

use std::time::{Duration, SystemTime};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::Error;
use crate::notify::format::rfc3339;

/// How far in the past `switchoverAt` may be when an execution starts (clock skew, the time
/// it takes to paste an input).
pub const START_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// How far ahead `switchoverAt` may be when an execution starts: 30 days keeps the wait, the
/// window, green's creation and the longest grace period well inside Step Functions'
/// one-year limit on a standard execution.
pub const MAX_LEAD: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The window's length when `switchoverNotAfter` is omitted.
pub const DEFAULT_LENGTH: Duration = Duration::from_secs(60 * 60);
/// The longest window accepted.
pub const MAX_LENGTH: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Step Functions ends a standard execution after a year; the window's end plus the grace
/// period must stay a week below it (room for green's creation and the polls).
const EXECUTION_BUDGET: Duration = Duration::from_secs(358 * 24 * 60 * 60);

/// The instants between which a switchover may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub opens: SystemTime,
    pub closes: SystemTime,
}

/// Where `now` stands relative to a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Not yet open: wait this long.
    Early(Duration),
    Open,
    /// Closed: never switch over now.
    Missed,
}

impl Window {
    /// The window of `switchoverAt` and the optional `switchoverNotAfter`, checked for form
    /// and order (the end after the start, at most [`MAX_LENGTH`] later).
    pub fn parse(at: &str, not_after: Option<&str>) -> Result<Window, Error> {
        let opens = parse_instant("options.switchoverAt", at)?;
        let closes = match not_after {
            Some(text) => parse_instant("options.switchoverNotAfter", text)?,
            None => opens + DEFAULT_LENGTH,
        };
        if closes <= opens {
            return Err(Error::invalid(
                "options.switchoverNotAfter",
                format!("`{}` is not after switchoverAt `{at}`", rfc3339(closes)),
                "give the end of the window, after switchoverAt (or omit it for a one-hour window)",
            ));
        }
        if closes.duration_since(opens).unwrap_or_default() > MAX_LENGTH {
            return Err(Error::invalid(
                "options.switchoverNotAfter",
                format!("makes a window longer than {} days", MAX_LENGTH.as_secs() / 86_400),
                "give a window of at most 7 days; a longer wait is a manual approval (switchoverMode `manual`)",
            ));
        }
        Ok(Window { opens, closes })
    }

    /// The rules that hold when an execution starts: the window opens no earlier than
    /// [`START_TOLERANCE`] ago and no later than [`MAX_LEAD`] ahead, it is not already closed,
    /// and its end plus the grace period stay inside Step Functions' one-year limit.
    pub fn check_start(&self, now: SystemTime, grace_period: Duration) -> Result<(), Error> {
        let fix_time =
            "give a time from now to 30 days ahead, RFC 3339 UTC such as `2026-12-01T02:00:00Z`";
        if self.opens + START_TOLERANCE < now {
            return Err(Error::invalid(
                "options.switchoverAt",
                format!(
                    "`{}` is more than 5 minutes in the past (now is {})",
                    rfc3339(self.opens),
                    rfc3339(now)
                ),
                fix_time,
            ));
        }
        if self.opens > now + MAX_LEAD {
            return Err(Error::invalid(
                "options.switchoverAt",
                format!(
                    "`{}` is more than 30 days ahead (now is {})",
                    rfc3339(self.opens),
                    rfc3339(now)
                ),
                format!("{fix_time}; for a later date, start the execution later (an EventBridge Scheduler schedule can)"),
            ));
        }
        if self.closes <= now {
            return Err(Error::invalid(
                "options.switchoverNotAfter",
                format!(
                    "`{}` has already passed (now is {})",
                    rfc3339(self.closes),
                    rfc3339(now)
                ),
                "give a window that ends in the future",
            ));
        }
        let until_end = self.closes.duration_since(now).unwrap_or_default();
        if until_end + grace_period > EXECUTION_BUDGET {
            return Err(Error::invalid(
                "options.gracePeriodSeconds",
                "with the switchover window, would keep the execution running close to Step Functions' one-year limit",
                "shorten the grace period (or set deleteOldBlue to false and run the cleanup action later)",
            ));
        }
        Ok(())
    }

    /// Whether a switchover may start at `now`.
    pub fn position(&self, now: SystemTime) -> Position {
        match self.opens.duration_since(now) {
            Ok(early) if !early.is_zero() => Position::Early(early),
            _ if now <= self.closes => Position::Open,
            _ => Position::Missed,
        }
    }

    /// The error of a window that closed before the switchover could start.
    pub fn missed(&self, now: SystemTime) -> Error {
        Error::WindowMissed {
            opens: rfc3339(self.opens),
            closes: rfc3339(self.closes),
            now: rfc3339(now),
        }
    }
}

/// An RFC 3339 instant in UTC (`2026-12-01T02:00:00Z`, fractional seconds allowed).
pub fn parse_instant(field: &str, text: &str) -> Result<SystemTime, Error> {
    let fix = "write a real UTC date and time as RFC 3339 with an uppercase T and Z, e.g. `2026-12-01T02:00:00Z`";
    let upper = text.as_bytes().get(10) == Some(&b'T') && text.ends_with('Z');
    if !upper {
        return Err(Error::invalid(
            field,
            format!("`{text}` is not an RFC 3339 UTC timestamp"),
            fix,
        ));
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map(SystemTime::from)
        .map_err(|e| Error::invalid(field, format!("`{text}` is not a real instant ({e})"), fix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        parse_instant("f", text).unwrap()
    }

    fn field_of(err: Error) -> String {
        match err {
            Error::InvalidInput { field, .. } => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    const NOW: &str = "2026-12-01T02:00:00Z";
    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn real_instants_only() {
        for good in [
            "2026-12-01T02:00:00Z",
            "2028-02-29T23:59:59Z",
            "2026-12-01T02:00:00.250Z",
        ] {
            assert!(parse_instant("f", good).is_ok(), "{good}");
        }
        for bad in [
            "2026-02-30T25:61:61Z",
            "2026-02-30T02:00:00Z",
            "2027-02-29T02:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T02:60:00Z",
            "2026-13-01T02:00:00Z",
            "2026-12-01t02:00:00Z",
            "2026-12-01T02:00:00z",
            "2026-12-01T02:00:00+01:00",
            "2026-12-01 02:00:00Z",
            "2026-12-01T02:00Z",
            "tomorrow",
            "",
        ] {
            let err = parse_instant("options.switchoverAt", bad).unwrap_err();
            assert_eq!(field_of(err), "options.switchoverAt", "{bad}");
        }
        assert_eq!(
            at("2026-12-01T02:00:00.250Z")
                .duration_since(at("2026-12-01T02:00:00Z"))
                .unwrap(),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn the_end_defaults_to_an_hour_and_must_follow_the_start() {
        let w = Window::parse(NOW, None).unwrap();
        assert_eq!(w.closes, at("2026-12-01T03:00:00Z"));
        for (end, ok) in [
            ("2026-12-01T02:00:00Z", false),
            ("2026-12-01T01:00:00Z", false),
            ("2026-12-01T02:00:01Z", true),
            ("2026-12-08T02:00:00Z", true),
            ("2026-12-08T02:00:01Z", false),
            ("2026-12-01T26:00:00Z", false),
        ] {
            match Window::parse(NOW, Some(end)) {
                Ok(_) => assert!(ok, "{end} accepted"),
                Err(e) => {
                    assert!(!ok, "{end} refused: {e}");
                    assert_eq!(field_of(e), "options.switchoverNotAfter");
                }
            }
        }
    }

    #[test]
    fn bounds_when_an_execution_starts() {
        let now = at(NOW);
        let start = |opens: SystemTime| {
            Window {
                opens,
                closes: opens + DEFAULT_LENGTH,
            }
            .check_start(now, DAY)
        };
        assert!(start(now).is_ok());
        assert!(start(now - START_TOLERANCE).is_ok(), "within the tolerance");
        assert!(start(now + MAX_LEAD).is_ok(), "30 days ahead");
        for (opens, field) in [
            (
                now - START_TOLERANCE - Duration::from_secs(1),
                "options.switchoverAt",
            ),
            (now - DAY, "options.switchoverAt"),
            (
                now + MAX_LEAD + Duration::from_secs(1),
                "options.switchoverAt",
            ),
        ] {
            assert_eq!(field_of(start(opens).unwrap_err()), field);
        }
        let closed = Window {
            opens: now - Duration::from_secs(120),
            closes: now - Duration::from_secs(60),
        };
        assert_eq!(
            field_of(closed.check_start(now, DAY).unwrap_err()),
            "options.switchoverNotAfter"
        );
        let far = Window {
            opens: now + MAX_LEAD,
            closes: now + MAX_LEAD + MAX_LENGTH,
        };
        assert!(far.check_start(now, 300 * DAY).is_ok());
        assert_eq!(
            field_of(far.check_start(now, 365 * DAY).unwrap_err()),
            "options.gracePeriodSeconds"
        );
    }

    #[test]
    fn positions_around_the_window() {
        let w = Window::parse(NOW, Some("2026-12-01T03:00:00Z")).unwrap();
        assert_eq!(
            w.position(at("2026-12-01T01:59:30Z")),
            Position::Early(Duration::from_secs(30))
        );
        assert_eq!(w.position(at(NOW)), Position::Open);
        assert_eq!(w.position(at("2026-12-01T03:00:00Z")), Position::Open);
        assert_eq!(w.position(at("2026-12-01T03:00:01Z")), Position::Missed);
        let err = w.missed(at("2026-12-01T04:00:00Z"));
        assert_eq!(err.name(), "WindowMissed");
        let text = err.to_string();
        for part in ["2026-12-01T02:00:00Z", "2026-12-01T03:00:00Z", "switchover"] {
            assert!(text.contains(part), "{text}");
        }
    }
}
