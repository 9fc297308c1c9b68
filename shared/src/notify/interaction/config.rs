//! The endpoint's configuration, from notify's environment at cold start. It names the
//! signing secret (an ARN, never the value), the approvers and the two state machines a
//! click may start (the stack's per-database and fleet machines).

use super::allow_list::AllowList;
use crate::error::Error;

/// `SLACK_SIGNING_SECRET_ARN`: the secret with the Slack app's signing secret, or `none`
/// (absent = `none`): no Slack approvals, every HTTP request is answered 404.
pub const SLACK_SIGNING_SECRET_ARN: &str = "SLACK_SIGNING_SECRET_ARN";
/// `SLACK_APPROVERS`: Slack user ids, comma-separated; empty = nobody may answer from Slack.
pub const SLACK_APPROVERS: &str = "SLACK_APPROVERS";
/// `APPROVAL_STATE_MACHINE_ARN`: the per-database state machine approve/reject executions run on.
pub const APPROVAL_STATE_MACHINE_ARN: &str = "APPROVAL_STATE_MACHINE_ARN";
/// `FLEET_STATE_MACHINE_ARN`: the fleet state machine a wave's approve/reject runs on.
pub const FLEET_STATE_MACHINE_ARN: &str = "FLEET_STATE_MACHINE_ARN";

/// Slack approvals, when enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionConfig {
    pub signing_secret_arn: String,
    pub approvers: AllowList,
    pub state_machine_arn: String,
    pub fleet_state_machine_arn: String,
}

impl InteractionConfig {
    /// Reads the process environment; `None` when Slack approvals are off.
    pub fn from_env() -> Result<Option<InteractionConfig>, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<InteractionConfig>, Error> {
        let secret = get(SLACK_SIGNING_SECRET_ARN)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if secret.is_empty() || secret.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        if !is_arn_of(&secret, "secretsmanager") {
            // Never echo it: it may be the signing secret itself.
            return Err(Error::Configuration(format!("{SLACK_SIGNING_SECRET_ARN} is not a Secrets Manager ARN: put the Slack signing secret in a secret and give the secret's ARN here, or `none`")));
        }
        let machine = |setting: &str, which: &str| {
            let arn = get(setting)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default();
            if is_arn_of(&arn, "states") && arn.contains(":stateMachine:") {
                Ok(arn)
            } else {
                Err(Error::Configuration(format!("{setting} must be the ARN of the {which} state machine (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME) when {SLACK_SIGNING_SECRET_ARN} is set")))
            }
        };
        let state_machine_arn = machine(APPROVAL_STATE_MACHINE_ARN, "per-database")?;
        let fleet_state_machine_arn = machine(FLEET_STATE_MACHINE_ARN, "fleet")?;
        let approvers =
            AllowList::parse(&get(SLACK_APPROVERS).unwrap_or_default(), SLACK_APPROVERS)?;
        if approvers.is_empty() {
            tracing::warn!("{SLACK_APPROVERS} is empty: every Slack approval is refused");
        }
        Ok(Some(InteractionConfig {
            signing_secret_arn: secret,
            approvers,
            state_machine_arn,
            fleet_state_machine_arn,
        }))
    }
}

fn is_arn_of(text: &str, service: &str) -> bool {
    text.starts_with("arn:") && text.split(':').nth(2) == Some(service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str =
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack-signing-AbCdEf";
    const MACHINE: &str = "arn:aws:states:eu-west-1:111122223333:stateMachine:hub-bluegreen";
    const FLEET: &str = "arn:aws:states:eu-west-1:111122223333:stateMachine:hub-fleet";

    fn config(vars: &[(&str, &str)]) -> Result<Option<InteractionConfig>, Error> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        InteractionConfig::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn off_unless_a_signing_secret_is_named() {
        assert_eq!(config(&[]).unwrap(), None);
        assert_eq!(
            config(&[
                (SLACK_SIGNING_SECRET_ARN, "none"),
                (APPROVAL_STATE_MACHINE_ARN, MACHINE)
            ])
            .unwrap(),
            None
        );
    }

    #[test]
    fn reads_the_secret_the_approvers_and_the_machine() {
        let c = config(&[
            (SLACK_SIGNING_SECRET_ARN, SECRET),
            (SLACK_APPROVERS, "U012ABCDEF,U0BOB0001"),
            (APPROVAL_STATE_MACHINE_ARN, MACHINE),
            (FLEET_STATE_MACHINE_ARN, FLEET),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.signing_secret_arn, SECRET);
        assert_eq!(c.state_machine_arn, MACHINE);
        assert_eq!(c.fleet_state_machine_arn, FLEET);
        assert!(c.approvers.permits("U0BOB0001"));
        let nobody = config(&[
            (SLACK_SIGNING_SECRET_ARN, SECRET),
            (APPROVAL_STATE_MACHINE_ARN, MACHINE),
            (FLEET_STATE_MACHINE_ARN, FLEET),
        ])
        .unwrap()
        .unwrap();
        assert!(nobody.approvers.is_empty());
    }

    #[test]
    fn wrong_settings_fail_the_cold_start_without_echoing_a_secret() {
        let err = config(&[
            (SLACK_SIGNING_SECRET_ARN, "8f742231b10e8888abcd99yyyzzz85a5"),
            (APPROVAL_STATE_MACHINE_ARN, MACHINE),
        ])
        .unwrap_err();
        assert_eq!(err.name(), "ConfigurationError");
        assert!(!err.to_string().contains("8f7422"), "{err}");
        for machine in [
            "",
            "hub-bluegreen",
            "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:x",
        ] {
            for (setting, (database, fleet)) in [
                (APPROVAL_STATE_MACHINE_ARN, (machine, FLEET)),
                (FLEET_STATE_MACHINE_ARN, (MACHINE, machine)),
            ] {
                let err = config(&[
                    (SLACK_SIGNING_SECRET_ARN, SECRET),
                    (APPROVAL_STATE_MACHINE_ARN, database),
                    (FLEET_STATE_MACHINE_ARN, fleet),
                ])
                .unwrap_err();
                assert!(err.to_string().contains(setting), "{err}");
            }
        }
        assert!(config(&[
            (SLACK_SIGNING_SECRET_ARN, SECRET),
            (APPROVAL_STATE_MACHINE_ARN, MACHINE),
            (FLEET_STATE_MACHINE_ARN, FLEET),
            (SLACK_APPROVERS, "@jane")
        ])
        .is_err());
    }
}
