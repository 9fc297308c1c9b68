//! Support dates: when a major engine version's standard support ends and whether RDS
//! Extended Support (charged per vCPU-hour) applies or will apply before a date the operator
//! gives, read from `DescribeDBMajorEngineVersions` (`SupportedEngineLifecycles`:
//! `open-source-rds-standard-support`, `open-source-rds-extended-support`;
//! https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBMajorEngineVersions.html).

use std::collections::BTreeMap;

use aws_sdk_rds::types::LifecycleSupportName;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::error::Error;
use crate::input::Engine;

/// A major version's support periods (days, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Support {
    pub standard_end: Option<Date>,
    pub extended_start: Option<Date>,
    pub extended_end: Option<Date>,
}

/// What the report says about one database's support.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportFacts {
    /// `YYYY-MM-DD`, when standard support of its major version ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_support_end: Option<String>,
    /// `applies` (standard support has ended), `from YYYY-MM-DD` (before the deadline), `no`
    /// (not before the deadline), `unknown` (RDS published no date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_support: Option<String>,
}

/// `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let mut next = || {
        parts
            .next()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
    };
    let year: i32 = next().filter(|y| y.len() == 4)?.parse().ok()?;
    let month: u8 = next().filter(|m| m.len() == 2)?.parse().ok()?;
    let day: u8 = next().filter(|d| d.len() == 2)?.parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

fn show(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The major version RDS's lifecycle API names: `8.0` for MySQL, MariaDB and Aurora MySQL
/// (`8.0.mysql_aurora.3.05.2`), `10.11` for MariaDB, `14` for PostgreSQL 10 and later.
pub fn major_version(engine: Engine, version: &str) -> String {
    let mut parts = version.split('.');
    let first = parts.next().unwrap_or_default();
    match engine {
        Engine::Postgres | Engine::AuroraPostgresql if first.parse::<u32>().unwrap_or(0) >= 10 => {
            first.to_owned()
        }
        _ => match parts.next() {
            Some(second) => format!("{first}.{second}"),
            None => first.to_owned(),
        },
    }
}

/// The support facts of a version against `deadline` (today when none).
pub fn facts(support: Option<&Support>, deadline: Option<Date>, today: Date) -> SupportFacts {
    let Some(s) = support else {
        return SupportFacts {
            standard_support_end: None,
            extended_support: Some("unknown".into()),
        };
    };
    let by = deadline.unwrap_or(today).max(today);
    let extended = match s.standard_end {
        None => "unknown".to_owned(),
        Some(end) if end <= today => "applies".to_owned(),
        Some(end) if end <= by => format!("from {}", show(end)),
        Some(_) => "no".to_owned(),
    };
    SupportFacts {
        standard_support_end: s.standard_end.map(show),
        extended_support: Some(extended),
    }
}

/// Today (UTC).
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The support periods of `engine`'s major versions in `versions`, one call per version.
pub async fn read(
    rds: &aws_sdk_rds::Client,
    engine: Engine,
    majors: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, Support>, Error> {
    let mut out = BTreeMap::new();
    for major in majors {
        let answer = rds
            .describe_db_major_engine_versions()
            .engine(engine.api_name())
            .major_engine_version(&major)
            .send()
            .await
            .map_err(|e| Error::from_sdk("DescribeDBMajorEngineVersions", e))?;
        let mut support = Support::default();
        for v in answer.db_major_engine_versions() {
            for l in v.supported_engine_lifecycles() {
                let day = |d: Option<&aws_smithy_types::DateTime>| {
                    d.and_then(|d| OffsetDateTime::from_unix_timestamp(d.secs()).ok())
                        .map(|d| d.date())
                };
                match l.lifecycle_support_name() {
                    Some(LifecycleSupportName::OpenSourceRdsStandardSupport) => {
                        support.standard_end = day(l.lifecycle_support_end_date());
                    }
                    Some(LifecycleSupportName::OpenSourceRdsExtendedSupport) => {
                        support.extended_start = day(l.lifecycle_support_start_date());
                        support.extended_end = day(l.lifecycle_support_end_date());
                    }
                    _ => {}
                }
            }
        }
        out.insert(major, support);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions_are_what_the_lifecycle_api_names() {
        assert_eq!(major_version(Engine::Mysql, "8.0.35"), "8.0");
        assert_eq!(
            major_version(Engine::AuroraMysql, "8.0.mysql_aurora.3.05.2"),
            "8.0"
        );
        assert_eq!(major_version(Engine::Postgres, "14.9"), "14");
        assert_eq!(major_version(Engine::AuroraPostgresql, "16.4"), "16");
        assert_eq!(major_version(Engine::Mariadb, "10.11.8"), "10.11");
    }

    #[test]
    fn extended_support_is_judged_against_the_deadline() {
        let d = |t: &str| parse_date(t).unwrap();
        let s = Support {
            standard_end: Some(d("2026-07-31")),
            ..Support::default()
        };
        let today = d("2026-01-10");
        assert_eq!(
            facts(Some(&s), Some(d("2026-12-31")), today),
            SupportFacts {
                standard_support_end: Some("2026-07-31".into()),
                extended_support: Some("from 2026-07-31".into())
            }
        );
        assert_eq!(
            facts(Some(&s), Some(d("2026-03-01")), today)
                .extended_support
                .as_deref(),
            Some("no")
        );
        assert_eq!(
            facts(Some(&s), None, d("2026-12-07"))
                .extended_support
                .as_deref(),
            Some("applies")
        );
        assert_eq!(
            facts(None, None, today).extended_support.as_deref(),
            Some("unknown")
        );
        assert!(parse_date("2026-02-30").is_none());
    }
}
