//! The user's own hooks (issue 21, item 5): work that needs the database itself (ANALYZE, a
//! smoke test, stopping and restarting CDC) run by the state machine at four stages.
//!
//! `options.hooks` names, per stage, a Lambda function, a state machine (run to its end) or an
//! SSM Automation document, with a timeout. The state machine invokes it with the payload of
//! [`payload`] (built by poll-status's `hook-payload` operation, a read-only step) through
//! its own service integrations: `lambda:invoke`, `states:startExecution.sync:2`,
//! `aws-sdk:ssm:startAutomationExecution` then `getAutomationExecution` until it ends.
//! Failure semantics: a hook that fails before switchover means no switchover (green kept,
//! people told, resumable with the `switchover` action); after switchover, old blue is kept
//! and people are told. IAM: the hub may invoke only hooks that carry the tag
//! `rds-bluegreen:hook = true` (Lambda, Step Functions), or, for SSM Automation documents,
//! whose name starts with [`AUTOMATION_PREFIX`].

pub mod payload;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The tag a Lambda function or state machine carries to be invoked as a hook.
pub const HOOK_TAG: &str = "rds-bluegreen:hook";
/// The name prefix of an SSM Automation document the hub may start as a hook.
pub const AUTOMATION_PREFIX: &str = "rds-bluegreen-hook-";
/// Lambda's own limit on one invocation (AWS Lambda quotas: 900 s).
const LAMBDA_MAX_SECONDS: u32 = 900;
/// The longest a state machine or Automation hook may run (the state machine polls an
/// Automation hook at most this long, which bounds its history events).
pub const MAX_TIMEOUT_SECONDS: u32 = 3600;

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HookStage {
    AfterGreenReady,
    BeforeSwitchover,
    AfterSwitchover,
    BeforeCleanup,
}

impl HookStage {
    /// Whether production has already moved to green when the hook runs.
    pub fn after_switchover(self) -> bool {
        matches!(self, HookStage::AfterSwitchover | HookStage::BeforeCleanup)
    }
}

/// What a hook is, from its ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookKind {
    Lambda,
    StateMachine,
    Automation,
}

/// One hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hook {
    /// A Lambda function ARN, a state machine ARN, or an SSM Automation document ARN
    /// (`arn:aws:ssm:<region>:<account>:automation-definition/<name>`).
    pub target: String,
    /// How long the state machine waits for the hook (Lambda: at most 900 s).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
}

fn default_timeout() -> u32 {
    600
}

/// `options.hooks`: at most one hook per stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hooks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_green_ready: Option<Hook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_switchover: Option<Hook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_switchover: Option<Hook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_cleanup: Option<Hook>,
}

impl Hooks {
    /// The hook of a stage.
    pub fn at(&self, stage: HookStage) -> Option<&Hook> {
        match stage {
            HookStage::AfterGreenReady => self.after_green_ready.as_ref(),
            HookStage::BeforeSwitchover => self.before_switchover.as_ref(),
            HookStage::AfterSwitchover => self.after_switchover.as_ref(),
            HookStage::BeforeCleanup => self.before_cleanup.as_ref(),
        }
    }

    /// Every hook's ARN and timeout, before any AWS call.
    pub fn validate(&self) -> Result<(), Error> {
        let named = [
            ("afterGreenReady", &self.after_green_ready),
            ("beforeSwitchover", &self.before_switchover),
            ("afterSwitchover", &self.after_switchover),
            ("beforeCleanup", &self.before_cleanup),
        ];
        for (name, hook) in named {
            if let Some(hook) = hook {
                hook.validate(&format!("options.hooks.{name}"))?;
            }
        }
        Ok(())
    }
}

impl Hook {
    /// The kind of hook its ARN names; `None` for anything else.
    pub fn kind(&self) -> Option<HookKind> {
        let parts: Vec<&str> = self.target.splitn(6, ':').collect();
        let [scheme, _partition, service, _region, account, resource] = parts[..] else {
            return None;
        };
        if scheme != "arn" || account.len() != 12 {
            return None;
        }
        match service {
            "lambda" if resource.starts_with("function:") => Some(HookKind::Lambda),
            "states" if resource.starts_with("stateMachine:") => Some(HookKind::StateMachine),
            "ssm" if resource.starts_with("automation-definition/") => Some(HookKind::Automation),
            _ => None,
        }
    }

    fn validate(&self, field: &str) -> Result<(), Error> {
        let kind = self.kind().ok_or_else(|| {
            Error::invalid(
                format!("{field}.target"),
                format!("`{}` is not a Lambda function, state machine or SSM Automation document ARN", self.target),
                "give arn:aws:lambda:<region>:<account>:function:<name>, arn:aws:states:<region>:<account>:stateMachine:<name> or arn:aws:ssm:<region>:<account>:automation-definition/<name>",
            )
        })?;
        if kind == HookKind::Automation {
            let name = self
                .target
                .rsplit_once('/')
                .map(|(_, n)| n)
                .unwrap_or_default();
            if !name.starts_with(AUTOMATION_PREFIX) {
                return Err(Error::invalid(
                    format!("{field}.target"),
                    format!(
                        "the Automation document `{name}` does not start with {AUTOMATION_PREFIX}"
                    ),
                    format!(
                        "name the document {AUTOMATION_PREFIX}...: the hub may start only those"
                    ),
                ));
            }
        }
        let max = if kind == HookKind::Lambda {
            LAMBDA_MAX_SECONDS
        } else {
            MAX_TIMEOUT_SECONDS
        };
        if self.timeout_seconds == 0 || self.timeout_seconds > max {
            return Err(Error::invalid(
                format!("{field}.timeoutSeconds"),
                format!("is {}, outside 1-{max}", self.timeout_seconds),
                format!("give 1 to {max} seconds"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(target: &str, timeout_seconds: u32) -> Hook {
        Hook {
            target: target.into(),
            timeout_seconds,
        }
    }

    #[test]
    fn kinds_come_from_the_arn_and_bad_ones_name_the_field() {
        let lambda = hook(
            "arn:aws:lambda:eu-west-1:123456789012:function:analyze",
            300,
        );
        assert_eq!(lambda.kind(), Some(HookKind::Lambda));
        let sfn = hook(
            "arn:aws:states:eu-west-1:123456789012:stateMachine:smoke",
            3600,
        );
        assert_eq!(sfn.kind(), Some(HookKind::StateMachine));
        let ssm = hook(
            "arn:aws:ssm:eu-west-1:123456789012:automation-definition/rds-bluegreen-hook-cdc:1",
            600,
        );
        assert_eq!(ssm.kind(), Some(HookKind::Automation));
        let hooks = Hooks {
            after_green_ready: Some(lambda),
            before_switchover: Some(sfn),
            after_switchover: Some(ssm),
            before_cleanup: None,
        };
        hooks.validate().expect("valid hooks");

        for (bad, field) in [
            (
                hook("arn:aws:sns:eu-west-1:123456789012:topic", 60),
                "options.hooks.beforeCleanup.target",
            ),
            (
                hook("arn:aws:lambda:eu-west-1:123456789012:function:f", 901),
                "options.hooks.beforeCleanup.timeoutSeconds",
            ),
            (
                hook(
                    "arn:aws:ssm:eu-west-1:123456789012:automation-definition/other",
                    60,
                ),
                "options.hooks.beforeCleanup.target",
            ),
        ] {
            let err = Hooks {
                before_cleanup: Some(bad),
                ..Hooks::default()
            }
            .validate()
            .unwrap_err();
            assert_eq!(err.name(), "InvalidInput");
            assert!(err.to_string().contains(field), "{err}");
        }
    }
}
