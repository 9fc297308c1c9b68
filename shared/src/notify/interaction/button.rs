//! What the Approve and Reject buttons of a question carry, and how a click names its decision.
//!
//! The button's `value` (at most 2000 characters, Slack's button element:
//! <https://docs.slack.dev/reference/block-kit/block-elements/button-element>) is compact
//! JSON naming the question exactly: a database's wait (`target` as the upgrade's input names
//! it, and `for`: `switchover` or `cleanup`) or a fleet's wait between waves (`fleet`, `for`:
//! `wave`), and the execution that asked. The answer a click starts carries the same `for`,
//! and the waiting side takes only a wait of that purpose, so a switchover's button never
//! deletes old blue and a fleet's never answers a database. A value is not trusted for being
//! ours: it arrives in a signed request, but it is read as strictly as an input (unknown
//! fields and mixed questions refused) and the answering execution validates it again.

use serde::{Deserialize, Serialize};

use crate::fleet::request::FleetRequest;
use crate::input::{Engine, Target};
use crate::notify::event::TargetFacts;
use crate::waits::ApprovalFor;

/// Block Kit's limit on a button's `value`.
pub const VALUE_MAX_CHARS: usize = 2000;

/// A person's answer to a waiting approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub const ALL: [Decision; 2] = [Decision::Approve, Decision::Reject];

    /// The execution's `action` (`approve`, `reject`).
    pub fn action(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    /// The button's `action_id`: what a click says it asks.
    pub fn action_id(self) -> &'static str {
        match self {
            Decision::Approve => "bluegreen-approve",
            Decision::Reject => "bluegreen-reject",
        }
    }

    /// The decision an `action_id` names; `None` for any other.
    pub fn from_action_id(id: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.action_id() == id)
    }
}

/// The wait a button answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// A database's switchover or cleanup approval: answered on the per-database state machine.
    Database { target: Target, for_: ApprovalFor },
    /// A fleet's approval of its next wave: answered on the fleet state machine.
    Wave { fleet: String },
}

/// Which state machine answers a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Database,
    Fleet,
}

impl Question {
    pub fn machine(&self) -> Machine {
        match self {
            Question::Database { .. } => Machine::Database,
            Question::Wave { .. } => Machine::Fleet,
        }
    }

    /// The purpose of the wait it answers.
    pub fn for_(&self) -> ApprovalFor {
        match self {
            Question::Database { for_, .. } => *for_,
            Question::Wave { .. } => ApprovalFor::Wave,
        }
    }

    /// What it is about, for people: the database, or `fleet <name>`.
    pub fn subject(&self) -> String {
        match self {
            Question::Database { target, .. } => target.identifier.clone(),
            Question::Wave { fleet } => format!("fleet {fleet}"),
        }
    }

    /// What is approved, in Slack's mrkdwn: `the switchover of *orders*`.
    pub fn described(&self) -> String {
        let name = |n: &str| crate::notify::slack_blocks::escape(n);
        match self {
            Question::Database {
                target,
                for_: ApprovalFor::Cleanup,
            } => format!("deleting old blue of *{}*", name(&target.identifier)),
            Question::Database { target, .. } => {
                format!("the switchover of *{}*", name(&target.identifier))
            }
            Question::Wave { fleet } => format!("the next wave of fleet *{}*", name(fleet)),
        }
    }
}

/// A button's `value`: the question and the execution that asked it.
#[derive(Debug, Clone, PartialEq)]
pub struct ButtonValue {
    pub question: Question,
    /// The ARN of the execution that waits (the one whose message carries the buttons).
    pub execution: String,
}

/// The value on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fleet: Option<String>,
    /// Absent on the buttons sent before cleanup and wave buttons existed: a switchover's.
    #[serde(rename = "for", default)]
    for_: ApprovalFor,
    execution: String,
}

impl ButtonValue {
    /// The value for a database's question about `target` asked by `execution`; `None` when
    /// the message does not name the database fully (no buttons then: the text says how).
    pub fn for_database(
        target: &TargetFacts,
        for_: ApprovalFor,
        execution: Option<&str>,
    ) -> Option<ButtonValue> {
        let target = Target {
            account_id: target.account_id.clone(),
            region: target.region.clone()?,
            identifier: target.identifier.clone()?,
            engine: target.engine.as_deref().and_then(Engine::from_api_name)?,
            role_arn: target.role_arn.clone(),
        };
        (for_ != ApprovalFor::Wave)
            .then(|| ButtonValue::fits(Question::Database { target, for_ }, execution))
            .flatten()
    }

    /// The value for fleet `fleet`'s question between waves, asked by `execution`.
    pub fn for_fleet(fleet: &str, execution: Option<&str>) -> Option<ButtonValue> {
        let question = Question::Wave {
            fleet: fleet.to_owned(),
        };
        ButtonValue::fits(question, execution)
    }

    fn fits(question: Question, execution: Option<&str>) -> Option<ButtonValue> {
        let value = ButtonValue {
            question,
            execution: execution?.to_owned(),
        };
        (value.encode().chars().count() <= VALUE_MAX_CHARS).then_some(value)
    }

    /// The compact JSON the button carries.
    pub fn encode(&self) -> String {
        let (target, fleet) = match &self.question {
            Question::Database { target, .. } => (Some(target.clone()), None),
            Question::Wave { fleet } => (None, Some(fleet.clone())),
        };
        let wire = Wire {
            target,
            fleet,
            for_: self.question.for_(),
            execution: self.execution.clone(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Reads a button's value; the error names what is wrong, never echoes the value.
    pub fn decode(value: &str) -> Result<ButtonValue, String> {
        let wire: Wire = serde_json::from_str(value).map_err(|e| {
            format!(
                "the button's value is not a question and an execution ({})",
                e.classify_name()
            )
        })?;
        let question = match (wire.target, wire.fleet, wire.for_) {
            (Some(target), None, for_ @ (ApprovalFor::Switchover | ApprovalFor::Cleanup)) => {
                Question::Database { target, for_ }
            }
            (None, Some(fleet), ApprovalFor::Wave) if FleetRequest::check_name(&fleet).is_ok() => {
                Question::Wave { fleet }
            }
            _ => return Err("the button's value names neither a database's switchover or cleanup nor a fleet's wave".into()),
        };
        // The answer it starts is bound to this execution (`approval.execution`): refused
        // here rather than failing that answer.
        if !crate::input::is_execution_arn(&wire.execution) {
            return Err("the button's value names no execution ARN".into());
        }
        Ok(ButtonValue {
            question,
            execution: wire.execution,
        })
    }

    /// The execution's name (the last part of its ARN), for people.
    pub fn execution_name(&self) -> &str {
        self.execution.rsplit(':').next().unwrap_or(&self.execution)
    }
}

/// serde_json's error category, without the input's text.
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "unexpected fields or types",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXECUTION: &str =
        "arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-run-1";

    fn facts() -> TargetFacts {
        TargetFacts {
            identifier: Some("orders".into()),
            engine: Some("aurora-mysql".into()),
            account_id: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            role_arn: Some("arn:aws:iam::111122223333:role/rds-bluegreen".into()),
            kind: None,
        }
    }

    fn wire(value: &ButtonValue) -> serde_json::Value {
        serde_json::from_str(&value.encode()).unwrap()
    }

    #[test]
    fn a_value_round_trips_and_names_the_target_the_purpose_and_execution() {
        let target = json!({"accountId": "111122223333", "region": "eu-west-1", "identifier": "orders",
                            "engine": "aurora-mysql", "roleArn": "arn:aws:iam::111122223333:role/rds-bluegreen"});
        for (for_, name) in [
            (ApprovalFor::Switchover, "switchover"),
            (ApprovalFor::Cleanup, "cleanup"),
        ] {
            let value = ButtonValue::for_database(&facts(), for_, Some(EXECUTION)).unwrap();
            assert_eq!(
                wire(&value),
                json!({"target": target, "for": name, "execution": EXECUTION})
            );
            assert_eq!(ButtonValue::decode(&value.encode()).unwrap(), value);
            assert_eq!(value.question.machine(), Machine::Database);
            assert_eq!(value.question.for_(), for_);
            assert_eq!(value.question.subject(), "orders");
            assert_eq!(value.execution_name(), "orders-run-1");
        }
        let fleet = ButtonValue::for_fleet("pg16-dec", Some(EXECUTION)).unwrap();
        assert_eq!(
            wire(&fleet),
            json!({"fleet": "pg16-dec", "for": "wave", "execution": EXECUTION})
        );
        assert_eq!(ButtonValue::decode(&fleet.encode()).unwrap(), fleet);
        assert_eq!(fleet.question.machine(), Machine::Fleet);
        assert_eq!(fleet.question.subject(), "fleet pg16-dec");
        assert_eq!(
            fleet.question.described(),
            "the next wave of fleet *pg16-dec*"
        );
    }

    #[test]
    fn a_value_without_for_is_a_switchover_s() {
        // The buttons sent before cleanup and wave buttons existed.
        let old = format!(
            r#"{{"target":{{"region":"eu-west-1","identifier":"orders","engine":"mysql"}},"execution":"{EXECUTION}"}}"#
        );
        let value = ButtonValue::decode(&old).unwrap();
        assert_eq!(value.question.for_(), ApprovalFor::Switchover);
        assert_eq!(value.question.described(), "the switchover of *orders*");
    }

    #[test]
    fn a_value_binds_one_question_and_mixed_ones_are_refused() {
        let target = r#"{"region":"eu-west-1","identifier":"orders","engine":"mysql"}"#;
        for mixed in [
            // A database's button claiming the fleet's purpose, and the reverse.
            format!(r#"{{"target":{target},"for":"wave","execution":"x"}}"#),
            r#"{"fleet":"pg16","for":"cleanup","execution":"x"}"#.to_owned(),
            r#"{"fleet":"pg16","execution":"x"}"#.to_owned(),
            // Both, or neither.
            format!(r#"{{"target":{target},"fleet":"pg16","for":"wave","execution":"x"}}"#),
            r#"{"for":"wave","execution":"x"}"#.to_owned(),
            // Not a fleet name.
            r#"{"fleet":"no such fleet","for":"wave","execution":"x"}"#.to_owned(),
        ] {
            let err = ButtonValue::decode(&mixed).unwrap_err();
            assert!(err.contains("names neither"), "{mixed}: {err}");
        }
        assert!(ButtonValue::for_database(&facts(), ApprovalFor::Wave, Some(EXECUTION)).is_none());
        // A whole question, but no execution to bind the answer to.
        let unbound = r#"{"fleet":"pg16","for":"wave","execution":"pg16-run-1"}"#;
        let err = ButtonValue::decode(unbound).unwrap_err();
        assert!(err.contains("no execution ARN"), "{err}");
    }

    #[test]
    fn no_value_without_the_whole_question_or_the_execution() {
        let value = |f: &TargetFacts, e| ButtonValue::for_database(f, ApprovalFor::Switchover, e);
        assert!(value(&facts(), None).is_none());
        assert!(ButtonValue::for_fleet("pg16", None).is_none());
        for strip in [
            |f: &mut TargetFacts| f.identifier = None,
            |f: &mut TargetFacts| f.region = None,
            |f: &mut TargetFacts| f.engine = Some("oracle-ee".into()),
        ] {
            let mut f = facts();
            strip(&mut f);
            assert!(value(&f, Some(EXECUTION)).is_none());
        }
        let mut long = facts();
        long.role_arn = Some(format!(
            "arn:aws:iam::111122223333:role/{}",
            "r".repeat(2000)
        ));
        assert!(value(&long, Some(EXECUTION)).is_none());
    }

    #[test]
    fn foreign_values_are_refused_without_being_echoed() {
        for bad in [
            "approve-orders-SECRET",
            r#"{"target": {"region": "eu-west-1", "identifier": "orders", "engine": "mysql"}, "execution": "x", "extra": "SECRET"}"#,
            r#"{"target": {"region": "eu-west-1", "identifier": "orders"}, "execution": "SECRET"}"#,
            r#"{"fleet": "SECRET SECRET", "for": "wave", "execution": "x"}"#,
            r#"{"fleet": "pg16", "for": "wave", "execution": "SECRET"}"#,
        ] {
            let err = ButtonValue::decode(bad).unwrap_err();
            assert!(!err.contains("SECRET"), "{err}");
        }
    }

    #[test]
    fn action_ids_name_their_decision_and_nothing_else() {
        for d in Decision::ALL {
            assert_eq!(Decision::from_action_id(d.action_id()), Some(d));
        }
        assert_eq!(Decision::from_action_id("approve"), None);
        assert_eq!(Decision::Reject.action(), "reject");
    }
}
