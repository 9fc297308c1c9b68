//! The report as text for people: one line per finding (severity, id, message), the fix
//! under it, then what was not checked.

use super::{Report, Severity};

pub fn render(identifier: &str, report: &Report) -> String {
    let verdict = if report.passed { "PASSED" } else { "FAILED" };
    let mut out = format!(
        "Blue/Green precheck of {identifier}: {verdict} ({} blocking, {} warnings)\n",
        report.blocking, report.warnings
    );
    if !report.findings.is_empty() {
        let width = report
            .findings
            .iter()
            .map(|f| f.id.len())
            .max()
            .unwrap_or(0)
            .max(2);
        out.push_str(&format!("{:<5}  {:<width$}  MESSAGE\n", "LEVEL", "ID"));
        for f in &report.findings {
            let level = match f.severity {
                Severity::Block => "BLOCK",
                Severity::Warn => "WARN",
            };
            out.push_str(&format!("{level:<5}  {:<width$}  {}\n", f.id, f.message));
            out.push_str(&format!("{:<5}  {:<width$}  fix: {}\n", "", "", f.fix));
        }
    }
    if !report.not_checked.is_empty() {
        out.push_str("Not checked:\n");
        for n in &report.not_checked {
            out.push_str(&format!("  {}: {}\n", n.id, n.reason));
        }
    }
    out
}
