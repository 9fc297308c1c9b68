//! The fleet's full report, as JSON and CSV: one line per database (done, failed, blocked,
//! never started) and the databases a selection passed over. Step Functions writes both to
//! the report bucket (`s3:PutObject`); the summary message says where they are.

use serde::Serialize;
use serde_json::Value;

use super::outcome::{counts, Outcome, Status};
use super::plan::{Entry, Summary};

/// Every database of the roster with its outcome; a database with none never started.
pub fn complete(roster: &[Entry], outcomes: &[Outcome]) -> Vec<Outcome> {
    let mut all: Vec<Outcome> = outcomes.to_vec();
    for entry in roster {
        if !outcomes.iter().any(|o| o.database == entry.database) {
            all.push(Outcome {
                database: entry.database.clone(),
                wave: entry.wave,
                name: entry.name.clone(),
                status: Status::Skipped,
                execution_arn: None,
                ending: None,
                error: None,
                cause: Some("not started: the fleet stopped before its wave".into()),
                blockers: Vec::new(),
                start_date: None,
                stop_date: None,
                figures: None,
            });
        }
    }
    all.sort_by(|a, b| a.wave.cmp(&b.wave).then(a.database.cmp(&b.database)));
    all
}

/// The report's JSON document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    fleet: &'a str,
    action: &'a str,
    execution: &'a str,
    counts: serde_json::Map<String, Value>,
    /// The databases' figures summed (what each upgrade measured; docs/metrics.md).
    figures: crate::metrics::Figures,
    databases: &'a [Outcome],
    passed_over: &'a [super::plan::Skipped],
}

/// The JSON report.
pub fn json(summary: &Summary, execution: &str, all: &[Outcome]) -> String {
    let doc = Document {
        fleet: &summary.fleet,
        action: &summary.action,
        execution,
        counts: counts(all)
            .into_iter()
            .map(|(s, n)| (s.name().to_owned(), Value::from(n)))
            .collect(),
        figures: crate::metrics::Figures::sum(all.iter().filter_map(|o| o.figures.as_ref())),
        databases: all,
        passed_over: &summary.skipped,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The CSV report (RFC 4180, a header row).
pub fn csv(all: &[Outcome]) -> String {
    let mut out = String::from(
        "database,wave,status,ending,error,cause,blockers,executionArn,startDate,stopDate,greenBuildSeconds,switchoverSeconds,totalSeconds,polls\r\n",
    );
    for o in all {
        let f = o.figures.clone().unwrap_or_default();
        let figure = |v: Option<f64>| v.map(|s| s.to_string()).unwrap_or_default();
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
            figure(f.green_build_seconds),
            figure(f.switchover_seconds),
            figure(f.total_seconds),
            f.polls.map(|p| p.to_string()).unwrap_or_default(),
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

    fn outcome(database: &str, wave: u32, status: Status) -> Outcome {
        Outcome {
            database: database.into(),
            wave,
            name: format!("n-{database}"),
            status,
            execution_arn: None,
            ending: None,
            error: None,
            cause: Some("a, \"quoted\" cause".into()),
            blockers: vec!["x: y".into()],
            start_date: Some(1),
            stop_date: None,
            figures: None,
        }
    }

    #[test]
    fn the_roster_fills_in_what_never_started() {
        let roster = vec![
            Entry {
                database: "a".into(),
                wave: 1,
                name: "na".into(),
            },
            Entry {
                database: "b".into(),
                wave: 2,
                name: "nb".into(),
            },
        ];
        let all = complete(&roster, &[outcome("a", 1, Status::Failed)]);
        assert_eq!(
            all.iter().map(|o| o.status).collect::<Vec<_>>(),
            vec![Status::Failed, Status::Skipped]
        );
    }

    #[test]
    fn the_report_carries_and_sums_each_upgrades_figures() {
        let figures = |total: f64, polls: u64| crate::metrics::Figures {
            total_seconds: Some(total),
            polls: Some(polls),
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
            .ends_with(",greenBuildSeconds,switchoverSeconds,totalSeconds,polls"));
        assert!(text.lines().nth(1).unwrap().ends_with(",,,100,4"), "{text}");
        let summary = Summary {
            fleet: "f".into(),
            action: "upgrade".into(),
            max_concurrency: 1,
            per_account_region: 1,
            tolerated_failures: 0,
            soak_seconds: 0,
            database_count: 3,
            wave_count: 1,
            skipped: vec![],
        };
        let doc: Value = serde_json::from_str(&json(&summary, "run", &all)).unwrap();
        assert_eq!(
            doc["figures"],
            serde_json::json!({"totalSeconds": 150.5, "polls": 6})
        );
    }

    #[test]
    fn csv_quotes_what_it_must() {
        let text = csv(&[outcome("a", 1, Status::Failed)]);
        let line = text.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "a,1,failed,,,\"a, \"\"quoted\"\" cause\",x: y,,1,,,,,"
        );
    }
}
