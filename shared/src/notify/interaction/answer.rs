//! What an allowed, verified click does: start an `approve` or `reject` execution of the
//! state machine that answers the button's question (the per-database one with `target`,
//! the fleet one with `fleet`; `approval.for` the question's purpose, `approval.execution`
//! the execution that asked, so an old message's button never answers a newer question about
//! the same database or fleet), under a name derived from the click, so Slack's retries of the
//! same request (it retries when no answer comes within 3 s) start nothing twice.
//! StartExecution with the same name and input is idempotent while the first execution runs,
//! and refused with `ExecutionAlreadyExists` once it has ended
//! (StartExecution, <https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html>):
//! both mean the click was already taken.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::button::{Machine, Question};
use super::payload::Click;

/// The execution a click starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalExecution {
    /// Which state machine runs it.
    pub machine: Machine,
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
        let question = &click.value.question;
        let mut input = json!({
            "action": click.decision.action(),
            "approval": {
                "by": format!("slack:{} ({})", click.user_id, click.user_name),
                "via": "slack",
                "reason": format!(
                    "{} clicked in Slack on the message of execution {}",
                    click.decision.action(),
                    click.value.execution_name()
                ),
                "for": question.for_(),
                "execution": click.value.execution,
            },
        });
        match question {
            Question::Database { target, .. } => input["target"] = json!(target),
            Question::Wave { fleet } => input["fleet"] = json!(fleet),
        }
        ApprovalExecution {
            machine: question.machine(),
            name,
            input,
        }
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

/// Starts approval executions on the two state machines notify may start (the stack's own,
/// in its Region).
#[derive(Debug, Clone)]
pub struct Starter {
    client: aws_sdk_sfn::Client,
    database_machine_arn: String,
    fleet_machine_arn: String,
}

impl Starter {
    pub fn new(
        client: aws_sdk_sfn::Client,
        database_machine_arn: impl Into<String>,
        fleet_machine_arn: impl Into<String>,
    ) -> Starter {
        Starter {
            client,
            database_machine_arn: database_machine_arn.into(),
            fleet_machine_arn: fleet_machine_arn.into(),
        }
    }

    /// The ARN of the state machine that answers `machine`'s questions.
    pub fn state_machine_arn(&self, machine: Machine) -> &str {
        match machine {
            Machine::Database => &self.database_machine_arn,
            Machine::Fleet => &self.fleet_machine_arn,
        }
    }

    /// Starts `execution`; the error is the service's message (no secret is in it).
    pub async fn start(&self, execution: &ApprovalExecution) -> Result<Started, String> {
        let arn = self.state_machine_arn(execution.machine);
        let out = self
            .client
            .start_execution()
            .state_machine_arn(arn)
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
                "StartExecution on {arn} failed: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )),
        }
    }
}

/// The message Slack shows the person who clicked (only to them: `ephemeral`), through the
/// click's `response_url` ("Handling user interaction in your Slack apps",
/// <https://api.slack.com/interactivity/handling#message_responses>).
pub fn reply(click: &Click, started: &Started) -> Value {
    let what = click.value.question.described();
    let text = match started {
        Started::Now(arn) => format!(
            "<@{}> asked to {} {what} (execution {}). The workflow takes it only if its wait is still open for this question, re-reads what it acts on, and reports the outcome here (if another answer came first or the wait has ended, that this one changed nothing). Approval execution: `{}`",
            click.user_id,
            click.decision.action(),
            crate::notify::slack_blocks::escape(click.value.execution_name()),
            arn.rsplit(':').next().unwrap_or(arn)
        ),
        Started::Already => format!(
            "This answer of <@{}> about {what} was already taken; nothing more was started.",
            click.user_id
        ),
    };
    json!({"response_type": "ephemeral", "replace_original": false, "text": text})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::interaction::payload::tests::{form, payload, VALUE};

    const FLEET_VALUE: &str = r#"{"fleet":"pg16-dec","for":"wave","execution":"arn:aws:states:eu-west-1:111122223333:execution:hub-fleet:pg16-dec-1"}"#;
    const CLEANUP_VALUE: &str = r#"{"target":{"accountId":"111122223333","region":"eu-west-1","identifier":"orders","engine":"aurora-mysql"},"for":"cleanup","execution":"arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1"}"#;

    fn click_on(value: &str, action: &str, user: &str) -> Click {
        Click::from_form(&form(&payload(action, value, user))).unwrap()
    }

    fn click(action: &str, user: &str) -> Click {
        click_on(VALUE, action, user)
    }

    #[test]
    fn the_execution_says_what_who_and_which_database() {
        let e = ApprovalExecution::for_click(&click("bluegreen-approve", "U0JANE01"));
        assert_eq!(e.machine, Machine::Database);
        assert_eq!(
            e.input,
            json!({
                "action": "approve",
                "target": {"accountId": "111122223333", "region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"},
                "approval": {"by": "slack:U0JANE01 (jane)", "via": "slack", "for": "switchover",
                             "reason": "approve clicked in Slack on the message of execution orders-1",
                             "execution": "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1"},
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
    fn a_cleanup_click_answers_the_cleanup_and_a_wave_click_the_fleet() {
        let cleanup =
            ApprovalExecution::for_click(&click_on(CLEANUP_VALUE, "bluegreen-reject", "U0JANE01"));
        assert_eq!(cleanup.machine, Machine::Database);
        assert_eq!(cleanup.input["action"], "reject");
        assert_eq!(cleanup.input["target"]["identifier"], "orders");
        assert_eq!(cleanup.input["approval"]["for"], "cleanup");
        assert_eq!(
            cleanup.input["approval"]["execution"],
            "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1",
            "bound to the execution that asked"
        );
        // What the per-database machine's approve reads: a valid request.
        crate::input::Request::from_value(cleanup.input.clone()).unwrap();

        let wave =
            ApprovalExecution::for_click(&click_on(FLEET_VALUE, "bluegreen-approve", "U0JANE01"));
        assert_eq!(wave.machine, Machine::Fleet);
        assert_eq!(
            wave.input,
            json!({
                "action": "approve", "fleet": "pg16-dec",
                "approval": {"by": "slack:U0JANE01 (jane)", "via": "slack", "for": "wave",
                             "reason": "approve clicked in Slack on the message of execution pg16-dec-1",
                             "execution": "arn:aws:states:eu-west-1:111122223333:execution:hub-fleet:pg16-dec-1"},
            })
        );
        // What the fleet machine's check reads: its answer, for the fleet's wait.
        let answer = crate::fleet::answer::FleetAnswer::from_value(
            wave.input.clone(),
            &wave.name,
            std::time::SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(answer.key, "fleet/pg16-dec");
        assert_eq!(answer.answer.by, "slack:U0JANE01 (jane)");
        assert_eq!(answer.answer.via, "slack");
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
        let other_question =
            ApprovalExecution::for_click(&click_on(CLEANUP_VALUE, "bluegreen-approve", "U0JANE01"));
        for other in [other_user, reject, later, other_question] {
            assert_ne!(other.name, first.name);
        }
    }

    #[test]
    fn the_reply_names_the_person_the_decision_and_the_question() {
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
            "reject the switchover of *orders*",
            "orders-1",
            "slack-reject-ab",
        ] {
            assert!(text.contains(part), "{text}");
        }
        let again = reply(&c, &Started::Already);
        assert!(again["text"].as_str().unwrap().contains("already taken"));
        let wave = click_on(FLEET_VALUE, "bluegreen-approve", "U0JANE01");
        let text = reply(&wave, &Started::Now("arn:x:slack-approve-cd".into()))["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.contains("asked to approve the next wave of fleet *pg16-dec*"),
            "{text}"
        );
        let cleanup = click_on(CLEANUP_VALUE, "bluegreen-approve", "U0JANE01");
        let text = reply(&cleanup, &Started::Already)["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.contains("deleting old blue of *orders*"), "{text}");
    }
}
