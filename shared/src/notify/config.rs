//! The notify function's configuration, from its environment, read once at cold start.
//! It names the SNS topic and the secret that holds the Slack webhook URL, never the URL.

use crate::error::Error;

/// `TOPIC_ARN`: the SNS topic to publish to (required).
pub const TOPIC_ARN: &str = "TOPIC_ARN";
/// `SLACK_WEBHOOK_SECRET_ARN`: the Secrets Manager secret with the webhook URL, or `none`.
pub const SLACK_WEBHOOK_SECRET_ARN: &str = "SLACK_WEBHOOK_SECRET_ARN";

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub topic_arn: String,
    /// The secret's ARN; `None` when Slack is disabled.
    pub slack_secret: Option<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub(crate) fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let topic_arn = get(TOPIC_ARN)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if !(topic_arn.starts_with("arn:") && topic_arn.split(':').nth(2) == Some("sns")) {
            return Err(Error::Configuration(format!("{TOPIC_ARN} must be the ARN of the SNS topic to notify (arn:aws:sns:REGION:ACCOUNT:NAME)")));
        }
        let secret = get(SLACK_WEBHOOK_SECRET_ARN)
            .map(|v| v.trim().to_owned())
            .ok_or_else(|| Error::Configuration(format!("{SLACK_WEBHOOK_SECRET_ARN} is not set: give the ARN of the Secrets Manager secret that holds the Slack webhook URL, or `none` to disable Slack")))?;
        let slack_secret = match secret.as_str() {
            s if s.eq_ignore_ascii_case("none") => None,
            // Never echo the value: it may be the very URL that must not be in the environment.
            s if s.contains("://") => {
                return Err(Error::Configuration(format!(
                    "{SLACK_WEBHOOK_SECRET_ARN} holds a URL: put the webhook URL in a Secrets Manager secret and give the secret's ARN here"
                )))
            }
            "" => return Err(Error::Configuration(format!("{SLACK_WEBHOOK_SECRET_ARN} is empty: give the secret's ARN, or `none`"))),
            s => Some(s.to_owned()),
        };
        Ok(Config {
            topic_arn,
            slack_secret,
        })
    }
}

/// The Region in an ARN (`arn:aws:sns:eu-west-1:...` → `eu-west-1`), so clients call the
/// Region the resource lives in.
pub(crate) fn region_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?
        .split(':')
        .nth(2)
        .filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    const TOPIC: (&str, &str) = (TOPIC_ARN, "arn:aws:sns:eu-west-1:111122223333:bluegreen");

    #[test]
    fn reads_topic_and_secret() {
        let c = config(&[
            TOPIC,
            (
                SLACK_WEBHOOK_SECRET_ARN,
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack-AbCdEf",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.slack_secret.as_deref(),
            Some("arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack-AbCdEf")
        );
        assert_eq!(region_of(&c.topic_arn), Some("eu-west-1"));
        assert_eq!(
            config(&[TOPIC, (SLACK_WEBHOOK_SECRET_ARN, "none")])
                .unwrap()
                .slack_secret,
            None
        );
    }

    #[test]
    fn missing_or_wrong_settings_fail_the_cold_start() {
        for vars in [
            vec![TOPIC],
            vec![(SLACK_WEBHOOK_SECRET_ARN, "none")],
            vec![(TOPIC_ARN, "bluegreen"), (SLACK_WEBHOOK_SECRET_ARN, "none")],
            vec![TOPIC, (SLACK_WEBHOOK_SECRET_ARN, " ")],
        ] {
            assert_eq!(config(&vars).unwrap_err().name(), "ConfigurationError");
        }
    }

    #[test]
    fn a_url_in_the_environment_is_refused_without_echoing_it() {
        let err = config(&[
            TOPIC,
            (
                SLACK_WEBHOOK_SECRET_ARN,
                "https://hooks.slack.com/services/T/B/TOKEN",
            ),
        ])
        .unwrap_err();
        assert!(!err.to_string().contains("TOKEN"), "{err}");
        assert!(err.to_string().contains("Secrets Manager"), "{err}");
    }
}
