//! What an allowed, verified click does: start the per-database state machine with
//! `{"action": "approve"|"reject", "target", "approval"}`, under a name derived from the
//! click, so Slack's retries of the same request (it retries when no answer comes within
//! 3 s) start nothing twice. StartExecution with the same name and input is idempotent while
//! the first execution runs, and refused with `ExecutionAlreadyExists` once it has ended
//! (StartExecution, <https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html>):
//! both mean the click was already taken.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::payload::Click;

/// The execution of the per-database state machine a click starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalExecution {
    /// `slack-<action>-<24 hex digits of the click's digest>`: Step Functions names allow
    /// letters, digits, `-` and `_`, at most 80 characters.
    pub name: String,
    pub input: Value,
}

impl ApprovalExecution {
    /// The execution for `click`; the same click (a retry) gives the same name and input.
    pub fn for_click(click: &Click) -> ApprovalExecution {
        let mut digest = Sha256::new();
        for part in [
            click.team_id.as_deref().unwrap_or_default(),
            click.user_id.as_str(),
            click.decision.action_id(),
            click.action_ts.as_str(),
            click.value.encode().as_str(),
        ] {
            digest.update(part.as_bytes());
            digest.update([0u8]);
        }
        let digest = hex::encode(digest.finalize());
        let name = format!("slack-{}-{}", click.decision.action(), &digest[..24]);
        let input = json!({
            "action": click.decision.action(),
            "target": click.value.target,
            "approval": {
                "by": format!("slack:{} ({})", click.user_id, click.user_name),
                "via": "slack",
                "reason": format!(
                    "{} clicked in Slack on the message of execution {}",
                    click.decision.action(),
                    click.value.execution_name()
                ),
            },
        });
        ApprovalExecution { name, input }
    }
}

/// How the start went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// Started now (or a retry of a start still running): its ARN.
    Now(String),
    /// The same name ran before and has ended: this click was already taken.
    Already,
}

/// Starts approval executions on the one state machine notify may start.
#[derive(Debug, Clone)]
pub struct Starter {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl Starter {
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Starter {
        Starter {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    /// Starts `execution`; the error is the service's message (no secret is in it).
    pub async fn start(&self, execution: &ApprovalExecution) -> Result<Started, String> {
        let out = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&execution.name)
            .input(execution.input.to_string())
            .send()
            .await;
        match out {
            Ok(out) => Ok(Started::Now(out.execution_arn().to_owned())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_execution_already_exists()) =>
            {
                Ok(Started::Already)
            }
            Err(e) => Err(format!(
                "StartExecution on {} failed: {}",
                self.state_machine_arn,
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )),
        }
    }
}

/// The message Slack shows the person who clicked (only to them: `ephemeral`), through the
/// click's `response_url` ("Handling user interaction in your Slack apps",
/// <https://api.slack.com/interactivity/handling#message_responses>).
pub fn reply(click: &Click, started: &Started) -> Value {
    let what = match click.decision {
        super::button::Decision::Approve => "approve the switchover",
        super::button::Decision::Reject => "reject the switchover",
    };
    let database = crate::notify::slack_blocks::escape(&click.value.target.identifier);
    let text = match started {
        Started::Now(arn) => format!(
            "<@{}> asked to {what} of *{database}* (execution {}). The workflow re-reads the database before it acts and reports the outcome here (if another answer came first or the wait has ended, that this one changed nothing). Approval execution: `{}`",
            click.user_id,
            crate::notify::slack_blocks::escape(click.value.execution_name()),
            arn.rsplit(':').next().unwrap_or(arn)
        ),
        Started::Already => format!(
            "This answer of <@{}> to *{database}* was already taken; nothing more was started.",
            click.user_id
        ),
    };
    json!({"response_type": "ephemeral", "replace_original": false, "text": text})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::interaction::payload::tests::{form, payload, VALUE};

    fn click(action: &str, user: &str) -> Click {
        Click::from_form(&form(&payload(action, VALUE, user))).unwrap()
    }

    #[test]
    fn the_execution_says_what_who_and_which_database() {
        let e = ApprovalExecution::for_click(&click("bluegreen-approve", "U0JANE01"));
        assert_eq!(
            e.input,
            json!({
                "action": "approve",
                "target": {"accountId": "111122223333", "region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"},
                "approval": {"by": "slack:U0JANE01 (jane)", "via": "slack",
                             "reason": "approve clicked in Slack on the message of execution orders-1"},
            })
        );
        assert!(e.name.starts_with("slack-approve-"), "{}", e.name);
        assert!(e.name.len() <= 80);
        assert!(e
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn a_retry_has_the_same_name_and_another_click_another() {
        let first = ApprovalExecution::for_click(&click("bluegreen-approve", "U0JANE01"));
        assert_eq!(
            ApprovalExecution::for_click(&click("bluegreen-approve", "U0JANE01")),
            first
        );
        let other_user = ApprovalExecution::for_click(&click("bluegreen-approve", "U0BOB001"));
        let reject = ApprovalExecution::for_click(&click("bluegreen-reject", "U0JANE01"));
        let mut later = click("bluegreen-approve", "U0JANE01");
        later.action_ts = "1767000099.000100".into();
        let later = ApprovalExecution::for_click(&later);
        for other in [other_user, reject, later] {
            assert_ne!(other.name, first.name);
        }
    }

    #[test]
    fn the_reply_names_the_person_the_decision_and_the_database() {
        let c = click("bluegreen-reject", "U0JANE01");
        let r = reply(
            &c,
            &Started::Now("arn:aws:states:eu-west-1:1:execution:m:slack-reject-ab".into()),
        );
        assert_eq!(r["response_type"], "ephemeral");
        assert_eq!(r["replace_original"], false);
        let text = r["text"].as_str().unwrap();
        for part in [
            "<@U0JANE01>",
            "reject the switchover",
            "*orders*",
            "orders-1",
            "slack-reject-ab",
        ] {
            assert!(text.contains(part), "{text}");
        }
        let again = reply(&c, &Started::Already);
        assert!(again["text"].as_str().unwrap().contains("already taken"));
    }
}
