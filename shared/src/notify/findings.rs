//! The precheck answer as a table people read in a chat or a mail (dry runs, precheck
//! reports, and `PrecheckFailed`, whose message is the same answer).

use serde_json::Value;

use super::event::text_at;

/// What a precheck answer says, counted and laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecheckSummary {
    pub passed: Option<bool>,
    pub blocking: usize,
    pub warnings: usize,
    /// Fixed-width text: one row per finding (blocking first) with its fix, then what was not checked.
    pub table: String,
}

struct Finding {
    severity: String,
    id: String,
    message: String,
    fix: Option<String>,
}

/// Reads a precheck answer leniently: findings and `notChecked` when present, else its `report`.
pub fn summarize(answer: &Value) -> PrecheckSummary {
    let mut findings: Vec<Finding> = answer
        .get("findings")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(read_finding).collect())
        .unwrap_or_default();
    findings.sort_by_key(|f| f.severity != "block");
    let count = |severity: &str, field: &str| {
        let counted = findings.iter().filter(|f| f.severity == severity).count();
        match answer.get(field) {
            Some(Value::Number(n)) if findings.is_empty() => n.as_u64().unwrap_or(0) as usize,
            Some(Value::Array(items)) if findings.is_empty() => items.len(),
            _ => counted,
        }
    };
    let (blocking, warnings) = (count("block", "blocking"), count("warn", "warnings"));
    let mut table = table(&findings);
    let not_checked: Vec<String> = answer
        .get("notChecked")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|n| {
                    format!(
                        "  - {}: {}",
                        text_at(n, &["id"]).unwrap_or_else(|| "?".into()),
                        text_at(n, &["reason"]).unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !not_checked.is_empty() {
        table.push_str(&format!(
            "\nNot checked (check these yourself):\n{}\n",
            not_checked.join("\n")
        ));
    }
    if findings.is_empty() && not_checked.is_empty() {
        table = text_at(answer, &["report"]).unwrap_or_else(|| "No findings.".to_owned());
    }
    PrecheckSummary {
        passed: answer.get("passed").and_then(Value::as_bool),
        blocking,
        warnings,
        table,
    }
}

fn read_finding(value: &Value) -> Finding {
    Finding {
        severity: text_at(value, &["severity"])
            .unwrap_or_else(|| "warn".into())
            .to_lowercase(),
        id: text_at(value, &["id"]).unwrap_or_else(|| "?".into()),
        message: text_at(value, &["message"]).unwrap_or_default(),
        fix: text_at(value, &["fix"]),
    }
}

fn table(findings: &[Finding]) -> String {
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
            f.severity.to_uppercase(),
            f.id,
            f.message
        ));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("{:<8}  {:<width$}  Fix: {fix}\n", "", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocking_rows_come_first_with_their_fix() {
        let s = summarize(&json!({
            "passed": false,
            "findings": [
                {"id": "backup-retention", "severity": "warn", "message": "1 day of backups", "fix": "raise it", "source": "api"},
                {"id": "binlog-format", "severity": "block", "message": "binlog_format is MIXED", "fix": "set ROW", "source": "api"}
            ],
            "notChecked": [{"id": "long-transactions", "reason": "needs SQL"}],
            "report": "ignored"
        }));
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
    fn falls_back_to_the_report_and_counts() {
        let s =
            summarize(&json!({"passed": true, "blocking": 0, "warnings": 2, "report": "all good"}));
        assert_eq!((s.blocking, s.warnings), (0, 2));
        assert_eq!(s.table, "all good");
        assert_eq!(summarize(&Value::Null).table, "No findings.");
    }
}
