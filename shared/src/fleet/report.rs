//! The fleet's full report, as JSON and CSV: one line per database (done, failed, blocked,
//! never started) with its engine version and support dates, and the databases a selection
//! passed over. The notify function writes both to the report bucket; the summary message
//! says where they are. A dry run's lines are sorted by the end of standard support, soonest
//! first: what to upgrade before Extended Support is charged.

use serde::Serialize;
use serde_json::Value;

use super::outcome::{counts, Outcome, Status};
use super::plan::{ManifestRead, Roster, Skipped, Summary};

/// Every database of the roster with its outcome and facts; a database with none never
/// started (`skipped` when the fleet stopped, `waiting` when it paused).
pub fn complete(
    summary: &Summary,
    roster: &Roster,
    outcomes: &[Outcome],
    paused: bool,
) -> Vec<Outcome> {
    let mut all: Vec<Outcome> = Vec::with_capacity(roster.databases.len());
    let by_database: std::collections::BTreeMap<&str, &Outcome> =
        outcomes.iter().map(|o| (o.database.as_str(), o)).collect();
    for entry in &roster.databases {
        let mut o = match by_database.get(entry.database.as_str()) {
            Some(o) => (*o).clone(),
            None => {
                let mut o = super::outcome::read(&serde_json::json!({
                    "database": entry.database, "wave": entry.wave, "name": entry.name,
                }));
                (o.status, o.cause) = if paused {
                    (Status::Waiting, Some("not started yet: the fleet paused after an earlier wave; start it again with the same input to go on".into()))
                } else {
                    (
                        Status::Skipped,
                        Some("not started: the fleet stopped before its wave".into()),
                    )
                };
                o
            }
        };
        o.engine_version = entry.engine_version.clone();
        o.support = entry.support.clone();
        all.push(o);
    }
    if summary.action == "dry-run" {
        let end = |o: &Outcome| {
            o.support
                .standard_support_end
                .clone()
                .unwrap_or_else(|| "9999".into())
        };
        all.sort_by(|a, b| end(a).cmp(&end(b)).then(a.database.cmp(&b.database)));
    } else {
        all.sort_by(|a, b| a.wave.cmp(&b.wave).then(a.database.cmp(&b.database)));
    }
    all
}

/// The report's JSON document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    fleet: &'a str,
    action: &'a str,
    execution: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<&'a ManifestRead>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<&'a str>,
    counts: serde_json::Map<String, Value>,
    /// The databases' figures summed (what each upgrade measured; docs/metrics.md).
    figures: crate::metrics::Figures,
    /// Each figure's median over the databases that measured it: a typical upgrade.
    median_figures: crate::metrics::Figures,
    databases: &'a [Outcome],
    passed_over: &'a [Skipped],
}

/// The JSON report.
pub fn json(
    summary: &Summary,
    execution: &str,
    all: &[Outcome],
    passed_over: &[Skipped],
) -> String {
    let measured = all.iter().filter_map(|o| o.figures.as_ref());
    let doc = Document {
        fleet: &summary.fleet,
        action: &summary.action,
        execution,
        manifest: summary.manifest.as_ref(),
        deadline: summary.deadline.as_deref(),
        counts: counts(all)
            .into_iter()
            .map(|(s, n)| (s.name().to_owned(), Value::from(n)))
            .collect(),
        figures: crate::metrics::Figures::sum(measured.clone()),
        median_figures: crate::metrics::Figures::median(measured),
        databases: all,
        passed_over,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The CSV report (RFC 4180, a header row).
pub fn csv(all: &[Outcome]) -> String {
    let mut out = String::from(
        "database,wave,status,ending,error,cause,blockers,executionArn,startDate,stopDate,engineVersion,standardSupportEnd,extendedSupport,greenBuildSeconds,switchoverSeconds,cleanupSeconds,totalSeconds,polls,stateTransitions,rdsCalls\r\n",
    );
    for o in all {
        let f = o.figures.clone().unwrap_or_default();
        let figure = |v: Option<f64>| v.map(|s| s.to_string()).unwrap_or_default();
        let count = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        let fields = [
            o.database.clone(),
            o.wave.to_string(),
            o.status.name().to_owned(),
            o.ending.clone().unwrap_or_default(),
            o.error.clone().unwrap_or_default(),
            o.cause.clone().unwrap_or_default(),
            o.blockers.join("; "),
            o.execution_arn.clone().unwrap_or_default(),
            o.start_date.map(|d| d.to_string()).unwrap_or_default(),
            o.stop_date.map(|d| d.to_string()).unwrap_or_default(),
            o.engine_version.clone().unwrap_or_default(),
            o.support.standard_support_end.clone().unwrap_or_default(),
            o.support.extended_support.clone().unwrap_or_default(),
            figure(f.green_build_seconds),
            figure(f.switchover_seconds),
            figure(f.cleanup_seconds),
            figure(f.total_seconds),
            count(f.polls),
            count(f.state_transitions),
            count(f.rds_calls),
        ];
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV field, quoted when it must be.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::lifecycle::SupportFacts;
    use crate::fleet::plan::Entry;

    fn outcome(database: &str, wave: u32, status: Status) -> Outcome {
        let mut o = super::super::outcome::read(
            &serde_json::json!({"database": database, "wave": wave, "name": format!("n-{database}")}),
        );
        o.status = status;
        o.cause = Some("a, \"quoted\" cause".into());
        o.blockers = vec!["x: y".into()];
        o.start_date = Some(1);
        o
    }

    fn entry(database: &str, wave: u32, end: Option<&str>) -> Entry {
        Entry {
            database: database.into(),
            wave,
            name: format!("n{database}"),
            engine_version: Some("8.0.35".into()),
            support: SupportFacts {
                standard_support_end: end.map(str::to_owned),
                extended_support: Some("no".into()),
            },
        }
    }

    fn summary(action: &str) -> Summary {
        let r = crate::fleet::request::FleetRequest::from_value(serde_json::json!({"fleet": "f", "action": action, "targets": [{"region": "us-east-1", "identifier": "a", "engine": "mysql"}]})).unwrap();
        let t = crate::fleet::plan::Sourced::new(r.targets.clone().unwrap()[0].clone(), "t".into());
        crate::fleet::plan::build(&r, vec![t], vec![], "b", "p")
            .unwrap()
            .summary
    }

    #[test]
    fn the_roster_fills_in_what_never_started_and_the_facts() {
        let roster = Roster {
            databases: vec![entry("a", 1, None), entry("b", 2, None)],
            passed_over: vec![],
        };
        let s = summary("upgrade");
        let all = complete(&s, &roster, &[outcome("a", 1, Status::Failed)], false);
        assert_eq!(
            all.iter().map(|o| o.status).collect::<Vec<_>>(),
            vec![Status::Failed, Status::Skipped]
        );
        assert_eq!(all[0].engine_version.as_deref(), Some("8.0.35"));
        let paused = complete(&s, &roster, &[outcome("a", 1, Status::Succeeded)], true);
        assert_eq!(paused[1].status, Status::Waiting);
    }

    #[test]
    fn a_dry_run_is_sorted_by_the_end_of_standard_support() {
        let roster = Roster {
            databases: vec![
                entry("a", 1, Some("2028-02-29")),
                entry("b", 1, None),
                entry("c", 2, Some("2026-07-31")),
            ],
            passed_over: vec![],
        };
        let all = complete(&summary("dry-run"), &roster, &[], false);
        let order: Vec<&str> = all.iter().map(|o| o.database.as_str()).collect();
        assert_eq!(order, vec!["c", "a", "b"]);
        let text = csv(&all);
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .ends_with(",8.0.35,2026-07-31,no,,,,,,,"),
            "{text}"
        );
    }

    #[test]
    fn the_report_carries_and_sums_each_upgrades_figures() {
        let figures = |total: f64, polls: u64| crate::metrics::Figures {
            total_seconds: Some(total),
            polls: Some(polls),
            state_transitions: Some(polls * 10),
            rds_calls: Some(polls * 3),
            ..Default::default()
        };
        let mut a = outcome("a", 1, Status::Succeeded);
        a.figures = Some(figures(100.0, 4));
        let mut b = outcome("b", 1, Status::Succeeded);
        b.figures = Some(figures(50.5, 2));
        let all = [a, b, outcome("c", 1, Status::Failed)];
        let text = csv(&all);
        assert!(text
            .lines()
            .next()
            .unwrap()
            .ends_with(",greenBuildSeconds,switchoverSeconds,cleanupSeconds,totalSeconds,polls,stateTransitions,rdsCalls"));
        assert!(
            text.lines().nth(1).unwrap().ends_with(",,,,100,4,40,12"),
            "{text}"
        );
        let doc: Value =
            serde_json::from_str(&json(&summary("upgrade"), "run", &all, &[])).unwrap();
        assert_eq!(
            doc["figures"],
            serde_json::json!({"totalSeconds": 150.5, "polls": 6, "stateTransitions": 60, "rdsCalls": 18})
        );
        assert_eq!(
            doc["medianFigures"],
            serde_json::json!({"totalSeconds": 75.25, "polls": 3, "stateTransitions": 30, "rdsCalls": 9}),
            "the failed database measured nothing"
        );
    }

    #[test]
    fn csv_quotes_what_it_must() {
        let text = csv(&[outcome("a", 1, Status::Failed)]);
        let line = text.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "a,1,failed,,,\"a, \"\"quoted\"\" cause\",x: y,,1,,,,,,,,,,,"
        );
    }
}
