//! What a failure means for the person on call: where it stopped, what is left behind and
//! what to do next. What is left depends on how far the workflow got, so the failed stage
//! is placed in a phase first.

use super::event::{text_at, Event};
use super::findings;
use super::message::{Details, Message};

/// How far the workflow got when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePhase {
    NothingChanged,
    BeforeSwitchover,
    Switchover,
    AfterSwitchover,
    Cleanup,
    Abandon,
    /// Everything was done; only the last notification failed.
    Finished,
    Unknown,
}

/// Places a failure: the error name first (validation fails before any change), then the
/// failed stage's name (the state machine's stage names, or a step's), then the action.
pub fn phase_of(error: &str, stage: &str, action: &str) -> FailurePhase {
    let stage = stage.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| stage.contains(w));
    if matches!(error, "InvalidInput" | "PrecheckFailed")
        || has(&["precheck", "validat", "dry-run"])
    {
        FailurePhase::NothingChanged
    } else if let Some(hook) = stage.strip_prefix("hook-") {
        // A hook's stage (statemachine "Hook failed"): after switchover old blue is kept.
        if hook.starts_with("after-switchover") || hook.starts_with("before-cleanup") {
            FailurePhase::AfterSwitchover
        } else {
            FailurePhase::BeforeSwitchover
        }
    } else if has(&["abandon"]) {
        FailurePhase::Abandon
    } else if has(&["cleanup", "delete", "old-blue", "grace", "final"]) {
        FailurePhase::Cleanup
    } else if has(&["verif"]) {
        FailurePhase::AfterSwitchover
    } else if has(&["switchover"]) {
        FailurePhase::Switchover
    } else if has(&[
        "create", "green", "wait", "approval", "window", "snapshot", "ready",
    ]) {
        FailurePhase::BeforeSwitchover
    } else if stage == "started" && action == "upgrade" {
        // Only the first notification ran: an upgrade has created nothing yet.
        FailurePhase::NothingChanged
    } else if stage == "done" {
        FailurePhase::Finished
    } else {
        match action {
            "cleanup" => FailurePhase::Cleanup,
            "abandon" => FailurePhase::Abandon,
            "switchover" => FailurePhase::BeforeSwitchover,
            "dry-run" => FailurePhase::NothingChanged,
            _ => FailurePhase::Unknown,
        }
    }
}

const SWITCHOVER_AGAIN: &str =
    "start a new execution with the same input and \"action\": \"switchover\"";
const CLEANUP_AGAIN: &str = "start a new execution with the same input and \"action\": \"cleanup\"";
const ABANDON: &str = "start a new execution with the same input and \"action\": \"abandon\"";

/// What is left behind in a phase.
pub fn left_behind(phase: FailurePhase, deployment: &str) -> String {
    match phase {
        FailurePhase::NothingChanged => "Nothing was changed: the workflow stopped before creating anything.".to_owned(),
        FailurePhase::BeforeSwitchover => format!("Blue is untouched and still serves production. Green ({deployment}) may exist and costs money while it runs."),
        FailurePhase::Switchover => "RDS rolls back a switchover that fails or exceeds its timeout, so blue should still be production; if the deployment's status is SWITCHOVER_COMPLETED, green is production. Nothing was deleted.".to_owned(),
        FailurePhase::AfterSwitchover => "Switchover happened: production runs on green under the original names and endpoints. Old blue is kept; nothing was deleted.".to_owned(),
        FailurePhase::Cleanup => "Production runs on green. Old blue was not deleted, or only partly (a refusal, UnsafeToDelete, deleted nothing).".to_owned(),
        FailurePhase::Abandon => "Blue is untouched and still serves production. Green may be partly deleted.".to_owned(),
        FailurePhase::Finished => "The workflow's work was complete; only its final step failed.".to_owned(),
        FailurePhase::Unknown => "Unknown: the execution's event history shows which steps ran.".to_owned(),
    }
}

/// What to do next, in order.
pub fn next_steps(phase: FailurePhase, error: &str) -> Vec<String> {
    let steps: Vec<String> = match (phase, error) {
        (FailurePhase::NothingChanged, "InvalidInput") => vec![
            "Fix the input as the error says (it names the field and the fix).".into(),
            "Start a new execution with the corrected input; \"action\": \"dry-run\" checks it without changing anything.".into(),
        ],
        (FailurePhase::NothingChanged, "PrecheckFailed") => vec![
            "Fix each blocking finding (its fix is under it in the table).".into(),
            "Run \"action\": \"dry-run\" to check again, then start the upgrade again.".into(),
        ],
        (FailurePhase::NothingChanged, _) => vec!["Fix the cause the error names, then start a new execution with the same input.".into()],
        (FailurePhase::BeforeSwitchover, "HookFailed") => vec![
            "Nothing was switched over: green is kept. The hook named above failed; its own error is in the message (and in the hook's logs or execution).".into(),
            format!("Fix the hook, or remove it from options.hooks, then {SWITCHOVER_AGAIN} (it runs the beforeSwitchover hook again, not afterGreenReady's; the same input with \"action\": \"upgrade\" runs both)."),
            format!("Or remove green: {ABANDON}."),
        ],
        (FailurePhase::AfterSwitchover, "HookFailed") => vec![
            "Switchover happened; old blue is kept. The hook named above failed; its own error is in the message.".into(),
            "Check production and do by hand what the hook did not, or fix the hook.".into(),
            format!("Then delete old blue: {CLEANUP_AGAIN} (it runs the beforeCleanup hook first, if one is set)."),
        ],
        (FailurePhase::BeforeSwitchover, _) => vec![
            "Open the deployment in the RDS console: its status details and the database events say why.".into(),
            format!("When the cause is fixed, continue: {SWITCHOVER_AGAIN} (it finds the existing deployment)."),
            format!("Or remove green: {ABANDON}, and start over later."),
        ],
        (FailurePhase::Switchover, _) => vec![
            "Check the deployment's status in the RDS console.".into(),
            format!("If blue is still production: fix the cause, then {SWITCHOVER_AGAIN} (it re-checks readiness first); or {ABANDON} to remove green."),
            format!("If green is production: check the applications, then {CLEANUP_AGAIN} when satisfied."),
        ],
        (FailurePhase::AfterSwitchover, _) => vec![
            "Check the production database and the applications that use it.".into(),
            format!("If production is healthy, delete old blue: {CLEANUP_AGAIN}."),
            "If it is not, old blue and the pre-switchover snapshot are your way back.".into(),
        ],
        (FailurePhase::Cleanup, "ApprovalExpired") => vec![
            "Nothing was deleted: nobody answered the cleanup's approval in time (cleanupMode approval). Old blue is kept and costs money until deleted.".into(),
            format!("To delete it: {CLEANUP_AGAIN} (it asks no approval: starting it is the decision). To keep it, do nothing."),
        ],
        (FailurePhase::Cleanup, _) => vec![
            "Fix the cause the error names.".into(),
            format!("Then {CLEANUP_AGAIN}: it resumes where it stopped and never deletes anything twice."),
        ],
        (FailurePhase::Abandon, _) => vec![format!("Fix the cause, then {ABANDON} again: it resumes where it stopped.")],
        (FailurePhase::Finished, _) => vec!["Nothing to undo: check that the database is as expected.".into()],
        (FailurePhase::Unknown, _) => vec![
            "Open the execution (link below) and find the failed state in its event history.".into(),
            "Check the database and any Blue/Green deployment in the RDS console before starting again.".into(),
        ],
    };
    steps
}

/// The failed stage a `failed` event names in its detail.
pub fn failed_stage(event: &Event) -> String {
    ["failedStage", "stage", "state"]
        .iter()
        .find_map(|k| text_at(&event.detail, &[k]))
        .unwrap_or_else(|| "an unknown step".to_owned())
}

/// The error's message, or, when it says nothing (empty, or AWS's `Code: ` with nothing after
/// it), a cause and where to look: no failure reaches a person without one.
fn with_cause(name: &str, message: String) -> String {
    let said = message.trim().trim_end_matches(':').trim();
    let empty_tail = message.trim_end().ends_with(':');
    if !said.is_empty() && !empty_tail {
        return message;
    }
    let got = if said.is_empty() {
        String::new()
    } else {
        format!("{said}: ")
    };
    format!(
        "{got}{name} came with no cause of its own (an empty error message). The failed state's input and error are in the execution's history (link below). Fix: check target.region, target.identifier and target.accountId first (an endpoint that is not the service's answers such empty errors), then start the same input again."
    )
}

/// Fills a message for a failure at `stage`.
pub fn describe(event: &Event, stage: &str, m: &mut Message) {
    let (name, message) = match &event.error {
        Some(caught) => (caught.name.clone(), caught.message.clone()),
        None => (
            "UnknownError".to_owned(),
            text_at(&event.detail, &["cause"]).unwrap_or_else(|| "no cause was given".to_owned()),
        ),
    };
    let message = with_cause(&name, message);
    let phase = phase_of(&name, stage, &event.action());
    let deployment = event
        .deployment_id()
        .unwrap_or_else(|| "the deployment".to_owned());
    m.headline = format!("failed at {stage}: {name}");
    m.error = Some(name.clone());
    m.facts.push(("Failed stage".into(), stage.to_owned()));
    m.facts.push(("Error".into(), name.clone()));
    let report = (name == "PrecheckFailed")
        .then(|| serde_json::from_str::<serde_json::Value>(&message).ok())
        .flatten();
    let what = match &report {
        Some(answer) => {
            let summary = findings::summarize(answer);
            m.details = Some(Details {
                title: "Precheck findings".into(),
                body: summary.table,
            });
            format!(
                "Prechecks found {} blocking problem(s) and {} warning(s).",
                summary.blocking, summary.warnings
            )
        }
        None if message.chars().count() > 600 => {
            m.details = Some(Details {
                title: "Error message".into(),
                body: message.clone(),
            });
            super::format::truncate(&message, 600)
        }
        None => message,
    };
    m.summary = format!("{what}\n\nLeft behind: {}", left_behind(phase, &deployment));
    m.next_steps = next_steps(phase, &name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_cause_never_reaches_a_person_without_a_cause_and_a_fix() {
        for empty in ["", "  ", "AWS call DescribeDBClusters failed: Unknown: "] {
            let told = with_cause("AwsCallFailed", empty.to_owned());
            assert!(told.contains("came with no cause of its own"), "{told}");
            assert!(told.contains("Fix: check target.region"), "{told}");
        }
        assert_eq!(with_cause("X", "a cause".into()), "a cause");
    }

    #[test]
    fn phases_follow_the_error_then_the_stage() {
        let cases = [
            (
                "InvalidInput",
                "switchover",
                "upgrade",
                FailurePhase::NothingChanged,
            ),
            (
                "AwsCallFailed",
                "precheck",
                "upgrade",
                FailurePhase::NothingChanged,
            ),
            (
                "DeploymentFailed",
                "green-creating",
                "upgrade",
                FailurePhase::BeforeSwitchover,
            ),
            (
                "Retryable",
                "snapshot-blue",
                "upgrade",
                FailurePhase::BeforeSwitchover,
            ),
            (
                "NotReady",
                "Switchover",
                "upgrade",
                FailurePhase::Switchover,
            ),
            (
                "VerificationFailed",
                "verify",
                "upgrade",
                FailurePhase::AfterSwitchover,
            ),
            (
                "UnsafeToDelete",
                "delete-old",
                "upgrade",
                FailurePhase::Cleanup,
            ),
            (
                "AwsCallFailed",
                "final-snapshot",
                "upgrade",
                FailurePhase::Cleanup,
            ),
            ("AwsCallFailed", "abandon", "abandon", FailurePhase::Abandon),
            (
                "States.Timeout",
                "mystery",
                "cleanup",
                FailurePhase::Cleanup,
            ),
            (
                "States.Timeout",
                "mystery",
                "upgrade",
                FailurePhase::Unknown,
            ),
            // The stage names the state machine reports failures under.
            (
                "HookFailed",
                "hook-after-green-ready",
                "upgrade",
                FailurePhase::BeforeSwitchover,
            ),
            (
                "HookFailed",
                "hook-before-switchover",
                "switchover",
                FailurePhase::BeforeSwitchover,
            ),
            (
                "HookFailed",
                "hook-after-switchover",
                "upgrade",
                FailurePhase::AfterSwitchover,
            ),
            (
                "Retryable",
                "hook-before-cleanup",
                "cleanup",
                FailurePhase::AfterSwitchover,
            ),
            (
                "AwsCallFailed",
                "started",
                "upgrade",
                FailurePhase::NothingChanged,
            ),
            (
                "AwsCallFailed",
                "started",
                "switchover",
                FailurePhase::BeforeSwitchover,
            ),
            (
                "DeploymentFailed",
                "awaiting-approval",
                "upgrade",
                FailurePhase::BeforeSwitchover,
            ),
            (
                "UnknownStatus",
                "switchover-completed",
                "upgrade",
                FailurePhase::Switchover,
            ),
            (
                "VerificationFailed",
                "verified",
                "upgrade",
                FailurePhase::AfterSwitchover,
            ),
            (
                "AwsCallFailed",
                "cleanup-scheduled",
                "upgrade",
                FailurePhase::Cleanup,
            ),
            (
                "UnsafeToDelete",
                "old-blue-deleted",
                "upgrade",
                FailurePhase::Cleanup,
            ),
            (
                "AwsCallFailed",
                "abandoned",
                "abandon",
                FailurePhase::Abandon,
            ),
            ("States.Timeout", "done", "upgrade", FailurePhase::Finished),
        ];
        for (error, stage, action, phase) in cases {
            assert_eq!(
                phase_of(error, stage, action),
                phase,
                "{error} at {stage} ({action})"
            );
        }
    }

    #[test]
    fn every_phase_says_what_is_left_and_what_to_do() {
        for phase in [
            FailurePhase::NothingChanged,
            FailurePhase::BeforeSwitchover,
            FailurePhase::Switchover,
            FailurePhase::AfterSwitchover,
            FailurePhase::Cleanup,
            FailurePhase::Abandon,
            FailurePhase::Finished,
            FailurePhase::Unknown,
        ] {
            assert!(!left_behind(phase, "bgd-1").is_empty());
            assert!(!next_steps(phase, "X").is_empty());
        }
        assert!(left_behind(FailurePhase::BeforeSwitchover, "bgd-1").contains("bgd-1"));
    }
}
