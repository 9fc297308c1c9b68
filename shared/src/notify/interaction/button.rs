//! What the Approve and Reject buttons of the "awaiting approval" message carry, and how a
//! click names its decision.
//!
//! The button's `value` (at most 2000 characters, Slack's button element:
//! <https://docs.slack.dev/reference/block-kit/block-elements/button-element>) is compact
//! JSON: the database as the upgrade's input names it (`target`: account, Region,
//! identifier, engine, role ARN when there is one) and the execution the message came from.
//! A value is not trusted for being ours: it arrives in a signed request, but it is read as
//! strictly as an input (unknown fields refused) and the approve execution validates it again.

use serde::{Deserialize, Serialize};

use crate::input::{Engine, Target};
use crate::notify::event::TargetFacts;

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

/// A button's `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonValue {
    /// The database: the approve or reject execution's `target`.
    pub target: Target,
    /// The ARN of the execution that waits (the one whose message carries the buttons).
    pub execution: String,
}

impl ButtonValue {
    /// The value for a message about `target` sent by `execution`; `None` when the message
    /// does not name the database fully (no buttons then: the text says how to answer).
    pub fn for_message(target: &TargetFacts, execution: Option<&str>) -> Option<ButtonValue> {
        let value = ButtonValue {
            target: Target {
                account_id: target.account_id.clone(),
                region: target.region.clone()?,
                identifier: target.identifier.clone()?,
                engine: target.engine.as_deref().and_then(Engine::from_api_name)?,
                role_arn: target.role_arn.clone(),
            },
            execution: execution?.to_owned(),
        };
        (value.encode().chars().count() <= VALUE_MAX_CHARS).then_some(value)
    }

    /// The compact JSON the button carries.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a button's value; the error names what is wrong, never echoes the value.
    pub fn decode(value: &str) -> Result<ButtonValue, String> {
        serde_json::from_str(value).map_err(|e| {
            format!(
                "the button's value is not a database target and an execution ({})",
                e.classify_name()
            )
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

    #[test]
    fn a_value_round_trips_and_names_the_target_and_execution() {
        let value = ButtonValue::for_message(&facts(), Some(EXECUTION)).unwrap();
        let text = value.encode();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!({
                "target": {"accountId": "111122223333", "region": "eu-west-1", "identifier": "orders",
                           "engine": "aurora-mysql", "roleArn": "arn:aws:iam::111122223333:role/rds-bluegreen"},
                "execution": EXECUTION,
            })
        );
        assert_eq!(ButtonValue::decode(&text).unwrap(), value);
        assert_eq!(value.execution_name(), "orders-run-1");
    }

    #[test]
    fn no_value_without_the_whole_target_or_the_execution() {
        assert!(ButtonValue::for_message(&facts(), None).is_none());
        for strip in [
            |f: &mut TargetFacts| f.identifier = None,
            |f: &mut TargetFacts| f.region = None,
            |f: &mut TargetFacts| f.engine = Some("oracle-ee".into()),
        ] {
            let mut f = facts();
            strip(&mut f);
            assert!(ButtonValue::for_message(&f, Some(EXECUTION)).is_none());
        }
        let mut long = facts();
        long.role_arn = Some(format!(
            "arn:aws:iam::111122223333:role/{}",
            "r".repeat(2000)
        ));
        assert!(ButtonValue::for_message(&long, Some(EXECUTION)).is_none());
    }

    #[test]
    fn foreign_values_are_refused_without_being_echoed() {
        for bad in [
            "approve-orders-SECRET",
            r#"{"target": {"region": "eu-west-1", "identifier": "orders", "engine": "mysql"}, "execution": "x", "extra": "SECRET"}"#,
            r#"{"target": {"region": "eu-west-1", "identifier": "orders"}, "execution": "SECRET"}"#,
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
