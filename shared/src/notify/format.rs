//! Small text helpers for messages people read: bounded lengths, one-line text, times and
//! durations. Chat and mail limits are in characters, so every cut is on a `char` boundary.

use std::time::{SystemTime, UNIX_EPOCH};

/// `text` cut to at most `max` characters, ending with `…` when it was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` on one line: line breaks and other control characters become single spaces.
pub fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A time as RFC 3339 in UTC to the second (`2026-12-01T02:00:00Z`), as the inputs use.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// An RFC 3339 time (`2026-12-01T02:00:00.123Z`, as `$$.State.EnteredTime` gives it).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    use aws_smithy_types::date_time::Format::{DateTime, DateTimeWithOffset};
    let text = text.trim();
    // RFC 3339 allows an offset (`+00:00`) as well as `Z`.
    let parsed = aws_smithy_types::DateTime::from_str(text, DateTime)
        .or_else(|_| aws_smithy_types::DateTime::from_str(text, DateTimeWithOffset))
        .ok()?;
    SystemTime::try_from(parsed).ok()
}

/// Seconds measured to the millisecond, as people read them: `1.6 s`, `42 s`, `2 min 5 s`.
pub fn human_seconds(seconds: f64) -> String {
    if seconds < 60.0 {
        let tenths = (seconds * 10.0).round() / 10.0;
        if tenths.fract() == 0.0 {
            format!("{tenths:.0} s")
        } else {
            format!("{tenths:.1} s")
        }
    } else {
        human_duration(seconds.round() as u64)
    }
}

/// Days since 1970-01-01 to a (year, month, day) date: Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A duration as people say it: `45 s`, `12 min 5 s`, `3 h 20 min`, `2 days 4 h`.
pub(crate) fn human_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    let parts: Vec<String> = match (d, h, m) {
        (0, 0, 0) => vec![format!("{s} s")],
        (0, 0, _) => vec![format!("{m} min"), format!("{s} s")],
        (0, _, _) => vec![format!("{h} h"), format!("{m} min")],
        _ => vec![
            format!("{d} day{}", if d == 1 { "" } else { "s" }),
            format!("{h} h"),
        ],
    };
    let kept: Vec<String> = parts
        .iter()
        .enumerate()
        .filter(|(i, p)| *i == 0 || !p.starts_with("0 "))
        .map(|(_, p)| p.clone())
        .collect();
    kept.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn truncation_is_by_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ééééé", 3).chars().count(), 3);
    }

    #[test]
    fn one_line_removes_breaks_and_controls() {
        assert_eq!(one_line("a\nb\r\n\tc  d\u{7}"), "a b c d");
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_796_090_400)),
            "2026-12-01T02:00:00Z"
        );
    }

    #[test]
    fn rfc3339_parses_what_step_functions_gives() {
        let at = parse_rfc3339("2026-12-01T02:00:00.250Z").unwrap();
        assert_eq!(rfc3339(at), "2026-12-01T02:00:00Z");
        assert!(parse_rfc3339("2026-02-30T25:61:61Z").is_none());
        assert_eq!(
            parse_rfc3339("2026-12-01T03:00:00.250+01:00"),
            Some(at),
            "an offset, as RFC 3339 allows"
        );
        assert_eq!(human_seconds(1.6), "1.6 s");
        assert_eq!(human_seconds(42.0), "42 s");
        assert_eq!(human_seconds(125.4), "2 min 5 s");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(725), "12 min 5 s");
        assert_eq!(human_duration(3600), "1 h");
        assert_eq!(human_duration(12_000), "3 h 20 min");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(187_200), "2 days 4 h");
    }
}
