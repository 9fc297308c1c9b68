//! One notification, independent of where it goes: what SNS, Chatbot and Slack render.

use serde_json::{json, Map, Value};

use super::event::{Outcome, TargetFacts};
use super::format::{one_line, truncate};
use super::interaction::button::ButtonValue;
use super::links::Link;

/// SNS subjects must be fewer than 100 characters, on one line.
pub const SUBJECT_MAX_CHARS: usize = 99;

/// A message, built once per event by [`super::stages::compose`].
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The stage as the event named it.
    pub stage: String,
    pub outcome: Outcome,
    pub target: TargetFacts,
    /// One line: what happened (`switchover completed in 42 s`).
    pub headline: String,
    /// A paragraph or two saying what happened and what it means.
    pub summary: String,
    /// Label and value pairs (database, engine, stage, ...).
    pub facts: Vec<(String, String)>,
    /// Preformatted text: a findings table, an input to paste, an error message.
    pub details: Option<Details>,
    /// What a person should do now, in order.
    pub next_steps: Vec<String>,
    pub links: Vec<Link>,
    /// The error name when this reports a failure.
    pub error: Option<String>,
    /// The execution ARN, to thread one execution's messages together.
    pub execution_arn: Option<String>,
    /// The question an execution waits in place for (a switchover's or a cleanup's approval,
    /// a fleet's between waves): Slack's Approve and Reject buttons carry it and answer it.
    /// `None` for every other message; manual mode's "ready for switchover" waits for nothing.
    pub buttons: Option<ButtonValue>,
}

/// A titled block of preformatted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub title: String,
    pub body: String,
}

impl Message {
    /// The database's name for people.
    pub fn database(&self) -> &str {
        self.target.display_name()
    }

    /// `<database>: <headline>`.
    pub(crate) fn title(&self) -> String {
        one_line(&format!("{}: {}", self.database(), self.headline))
    }

    /// The mail subject: marked for failures and actions, one line, under 100 characters.
    pub fn subject(&self) -> String {
        let marker = match self.outcome {
            Outcome::Failure => "FAILED ",
            Outcome::ActionNeeded => "ACTION NEEDED ",
            Outcome::Warning => "WARNING ",
            Outcome::Info | Outcome::Success => "",
        };
        truncate(
            &one_line(&format!("{marker}[Blue/Green] {}", self.title())),
            SUBJECT_MAX_CHARS,
        )
    }

    /// The readable text: title, summary, facts, details, next steps, links.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n{}\n", self.title(), self.summary);
        if !self.facts.is_empty() {
            out.push('\n');
            let width = self
                .facts
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0);
            for (label, value) in &self.facts {
                out.push_str(&format!("{label:<width$}  {value}\n"));
            }
        }
        if let Some(details) = &self.details {
            out.push_str(&format!(
                "\n{}:\n{}\n",
                details.title,
                details.body.trim_end()
            ));
        }
        if !self.next_steps.is_empty() {
            out.push_str("\nWhat to do next:\n");
            for (n, step) in self.next_steps.iter().enumerate() {
                out.push_str(&format!("{}. {step}\n", n + 1));
            }
        }
        if !self.links.is_empty() {
            out.push('\n');
            for link in &self.links {
                out.push_str(&format!("{}: {}\n", link.label, link.url));
            }
        }
        out
    }

    /// The SNS message attributes subscribers filter on; every value is a non-empty string.
    pub fn attributes(&self) -> [(&'static str, String); 4] {
        [
            ("stage", self.stage.clone()),
            ("outcome", self.outcome.name().to_owned()),
            ("database", self.database().to_owned()),
            (
                "account",
                self.target
                    .account_id
                    .clone()
                    .unwrap_or_else(|| "unknown".to_owned()),
            ),
        ]
    }

    /// The structured fields, for programs that read the notification.
    pub fn fields(&self) -> Value {
        let facts: Map<String, Value> = self
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let links: Map<String, Value> = self
            .links
            .iter()
            .map(|l| (l.label.clone(), Value::String(l.url.clone())))
            .collect();
        json!({
            "subject": self.subject(),
            "title": self.title(),
            "stage": self.stage,
            "outcome": self.outcome.name(),
            "database": self.target.identifier,
            "engine": self.target.engine,
            "accountId": self.target.account_id,
            "region": self.target.region,
            "error": self.error,
            "summary": self.summary,
            "facts": facts,
            "nextSteps": self.next_steps,
            "links": links,
            "execution": self.execution_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(identifier: &str, outcome: Outcome, headline: &str) -> Message {
        Message {
            stage: "failed".into(),
            outcome,
            target: TargetFacts {
                identifier: Some(identifier.into()),
                ..Default::default()
            },
            headline: headline.into(),
            summary: "s".into(),
            facts: vec![("Database".into(), identifier.into())],
            details: None,
            next_steps: vec!["do this".into()],
            links: vec![],
            error: None,
            execution_arn: None,
            buttons: None,
        }
    }

    #[test]
    fn subject_is_one_short_line() {
        let m = message(
            &"o".repeat(63),
            Outcome::Failure,
            "failed at\nswitchover: a very long reason that goes on and on and on",
        );
        let subject = m.subject();
        assert!(subject.chars().count() <= SUBJECT_MAX_CHARS, "{subject}");
        assert!(!subject.contains('\n'));
        assert!(subject.starts_with("FAILED [Blue/Green] ooo"), "{subject}");
    }

    #[test]
    fn text_lists_facts_and_numbered_steps() {
        let text = message("orders", Outcome::Success, "done").text();
        assert!(text.starts_with("orders: done\n\ns\n"), "{text}");
        assert!(text.contains("Database  orders\n"), "{text}");
        assert!(text.contains("What to do next:\n1. do this\n"), "{text}");
    }

    #[test]
    fn attributes_are_never_empty() {
        let mut m = message("orders", Outcome::Info, "x");
        m.target = TargetFacts::default();
        let attributes = m.attributes();
        assert_eq!(attributes[2], ("database", "unknown database".to_owned()));
        assert_eq!(attributes[3], ("account", "unknown".to_owned()));
    }
}
