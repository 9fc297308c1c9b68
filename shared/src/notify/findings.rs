//! The precheck report as a table people read in a chat or a mail (dry runs, the findings
//! shown when an upgrade starts, and `PrecheckFailed`, whose message is the same report).
//!
//! The report is read as [`Report`], the precheck step's own answer type: one definition of
//! that JSON, so a field the step adds or renames cannot silently vanish from messages.

use serde::Deserialize;
use serde_json::Value;

use super::event::text_at;
use crate::precheck::{Finding, Report, Severity};

/// What a precheck report says, counted and laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecheckSummary {
    /// `None` when the value is not a precheck report.
    pub passed: Option<bool>,
    pub blocking: usize,
    pub warnings: usize,
    /// Fixed-width text: one row per finding (blocking first) with its fix, then what was not checked.
    pub table: String,
}

/// Reads a precheck report; a value that is not one is shown as its `report` text, if any.
pub fn summarize(answer: &Value) -> PrecheckSummary {
    match Report::deserialize(answer) {
        Ok(report) => of_report(&report),
        Err(_) => PrecheckSummary {
            passed: None,
            blocking: 0,
            warnings: 0,
            table: text_at(answer, &["report"])
                .unwrap_or_else(|| "No precheck report was received.".to_owned()),
        },
    }
}

/// The summary of a report.
pub fn of_report(report: &Report) -> PrecheckSummary {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|f| f.severity != Severity::Block);
    let mut table = table(&findings);
    if !report.not_checked.is_empty() {
        let rows: Vec<String> = report
            .not_checked
            .iter()
            .map(|n| format!("  - {}: {}", n.id, n.reason))
            .collect();
        table.push_str(&format!(
            "\nNot checked (check these yourself):\n{}\n",
            rows.join("\n")
        ));
    }
    if table.is_empty() {
        table = "No findings.".to_owned();
    }
    PrecheckSummary {
        passed: Some(report.passed),
        blocking: report.blocking,
        warnings: report.warnings,
        table,
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Block => "BLOCK",
        Severity::Warn => "WARN",
    }
}

fn table(findings: &[&Finding]) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let width = findings
        .iter()
        .map(|f| f.id.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let mut out = format!("{:<8}  {:<width$}  FINDING\n", "SEVERITY", "CHECK");
    for f in findings {
        out.push_str(&format!(
            "{:<8}  {:<width$}  {}\n",
            severity_name(f.severity),
            f.id,
            f.message
        ));
        out.push_str(&format!("{:<8}  {:<width$}  Fix: {}\n", "", "", f.fix));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precheck::NotChecked;

    fn finding(id: &str, severity: Severity, message: &str, fix: &str) -> Finding {
        Finding {
            id: id.into(),
            severity,
            message: message.into(),
            fix: fix.into(),
            source: "api".into(),
        }
    }

    #[test]
    fn blocking_rows_come_first_with_their_fix() {
        let report = Report {
            passed: false,
            blocking: 1,
            warnings: 1,
            findings: vec![
                finding(
                    "backup-retention",
                    Severity::Warn,
                    "1 day of backups",
                    "raise it",
                ),
                finding(
                    "binlog-format",
                    Severity::Block,
                    "binlog_format is MIXED",
                    "set ROW",
                ),
            ],
            not_checked: vec![NotChecked {
                id: "long-transactions".into(),
                reason: "needs SQL".into(),
            }],
            database: None,
            report: "ignored".into(),
            baseline: None,
        };
        let s = summarize(&serde_json::to_value(&report).unwrap());
        assert_eq!((s.passed, s.blocking, s.warnings), (Some(false), 1, 1));
        let lines: Vec<&str> = s.table.lines().collect();
        assert!(lines[0].starts_with("SEVERITY  CHECK"), "{}", s.table);
        assert!(
            lines[1].starts_with("BLOCK     binlog-format     binlog_format is MIXED"),
            "{}",
            s.table
        );
        assert!(lines[2].ends_with("Fix: set ROW"), "{}", s.table);
        assert!(
            lines[3].starts_with("WARN      backup-retention"),
            "{}",
            s.table
        );
        assert!(
            s.table.contains("long-transactions: needs SQL"),
            "{}",
            s.table
        );
    }

    #[test]
    fn what_is_not_a_report_shows_its_text() {
        let s = summarize(&serde_json::json!({"passed": true, "report": "all good"}));
        assert_eq!((s.passed, s.table.as_str()), (None, "all good"));
        assert_eq!(
            summarize(&Value::Null).table,
            "No precheck report was received."
        );
    }
}
