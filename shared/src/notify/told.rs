//! One message per end: how the execution-status rule knows the workflow told an end itself.
//!
//! A workflow's own failure end (`Failed` in statemachine/bluegreen.asl.json, reached only
//! after its failure message was sent) fails the execution with the step's error name and a
//! Cause that is this JSON: `{"notified": true, "stage", "error", "cause", "figures"}` (the
//! figures known so far: a failed execution has no output, so its cause carries them). Every other
//! failed end (`States.Runtime`, which no Catch catches; a failure message that could not be
//! sent; a lock that could not be released) and every stop or timeout carries no such mark, so
//! the rule, which sees every FAILED, TIMED_OUT and ABORTED end, tells exactly those.

use serde::Deserialize;

/// A cause marked as told by the workflow.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Told {
    pub notified: bool,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// The step's own cause (for a Lambda error, its `{"errorType", "errorMessage"}` JSON).
    #[serde(default)]
    pub cause: Option<String>,
    /// The execution's figures when it failed (notify's answer to the failure message).
    #[serde(default)]
    pub figures: Option<crate::metrics::Figures>,
}

impl Told {
    /// The mark in an execution's cause, if the workflow told this end itself.
    pub fn in_cause(cause: Option<&str>) -> Option<Told> {
        serde_json::from_str::<Told>(cause?)
            .ok()
            .filter(|t| t.notified)
    }

    /// The cause as the step gave it: the marked cause's inner one, or the text itself.
    pub fn inner(cause: &str) -> String {
        match Told::in_cause(Some(cause)) {
            Some(told) => told.cause.unwrap_or_default(),
            None => cause.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_marked_cause_is_told() {
        let marked = r#"{"notified":true,"stage":"green-creating","error":"DeploymentFailed","cause":"{\"errorMessage\":\"green failed\"}","figures":{"totalSeconds":12.5,"stateTransitions":30,"rdsCalls":null}}"#;
        let told = Told::in_cause(Some(marked)).unwrap();
        assert_eq!(told.stage.as_deref(), Some("green-creating"));
        let figures = told.figures.unwrap();
        assert_eq!(
            (
                figures.total_seconds,
                figures.state_transitions,
                figures.rds_calls
            ),
            (Some(12.5), Some(30), None)
        );
        assert_eq!(Told::inner(marked), r#"{"errorMessage":"green failed"}"#);
        for untold in [
            None,
            Some("An error occurred while executing the state 'Verify'"),
            Some(r#"{"errorType":"DeploymentFailed","errorMessage":"x"}"#),
            Some(r#"{"notified":false}"#),
        ] {
            assert!(Told::in_cause(untold).is_none(), "{untold:?}");
        }
        assert_eq!(Told::inner("plain"), "plain");
    }
}
