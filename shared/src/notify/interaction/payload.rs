//! The interaction payload of a button click, as Slack sends it: an
//! `application/x-www-form-urlencoded` body whose `payload` field is JSON of type
//! `block_actions` ("Handling user interaction in your Slack apps",
//! <https://api.slack.com/interactivity/handling>). Only what the approval needs is read:
//! who clicked, which button, its value, when (`action_ts`, the click's own timestamp) and
//! where to answer (`response_url`).

use serde_json::Value;

use super::button::{ButtonValue, Decision};

/// One click on an Approve or Reject button.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    /// The Slack user id (`U…` or `W…`): what the allow-list names.
    pub user_id: String,
    /// The user's handle, for people reading the history.
    pub user_name: String,
    pub team_id: Option<String>,
    pub decision: Decision,
    pub value: ButtonValue,
    /// The click's timestamp in Slack: the same in every retry of this request.
    pub action_ts: String,
    /// Where Slack takes the answer to this click (valid 30 minutes).
    pub response_url: Option<String>,
}

/// Why a body is not a click we answer (safe to log and to answer: no value is quoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// No `payload` field, or it is not JSON.
    NotAnInteraction(&'static str),
    /// Another kind of interaction (a shortcut, a modal).
    NotBlockActions(String),
    /// A field the click needs is missing.
    Missing(&'static str),
    /// A button that is not ours.
    UnknownAction(String),
    BadValue(String),
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::NotAnInteraction(why) => write!(f, "not a Slack interaction: {why}"),
            PayloadError::NotBlockActions(kind) => write!(
                f,
                "interactions of type `{kind}` are not handled (only button clicks)"
            ),
            PayloadError::Missing(field) => write!(f, "the interaction has no `{field}`"),
            PayloadError::UnknownAction(id) => write!(
                f,
                "unknown action `{id}`: only bluegreen-approve and bluegreen-reject are answered"
            ),
            PayloadError::BadValue(why) => f.write_str(why),
        }
    }
}

impl Click {
    /// Reads the form body (already verified as Slack's).
    pub fn from_form(body: &[u8]) -> Result<Click, PayloadError> {
        let payload = form_urlencoded::parse(body)
            .find(|(k, _)| k == "payload")
            .map(|(_, v)| v.into_owned())
            .ok_or(PayloadError::NotAnInteraction(
                "no `payload` field in the form",
            ))?;
        let payload: Value = serde_json::from_str(&payload)
            .map_err(|_| PayloadError::NotAnInteraction("`payload` is not JSON"))?;
        Click::from_payload(&payload)
    }

    fn from_payload(payload: &Value) -> Result<Click, PayloadError> {
        let text = |path: &str| {
            payload
                .pointer(path)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let kind = text("/type").ok_or(PayloadError::Missing("type"))?;
        if kind != "block_actions" {
            return Err(PayloadError::NotBlockActions(short(&kind)));
        }
        let action = payload
            .pointer("/actions/0")
            .ok_or(PayloadError::Missing("actions"))?;
        let action_id = action
            .get("action_id")
            .and_then(Value::as_str)
            .ok_or(PayloadError::Missing("actions[0].action_id"))?;
        let decision = Decision::from_action_id(action_id)
            .ok_or_else(|| PayloadError::UnknownAction(short(action_id)))?;
        let value = action
            .get("value")
            .and_then(Value::as_str)
            .ok_or(PayloadError::Missing("actions[0].value"))?;
        let value = ButtonValue::decode(value).map_err(PayloadError::BadValue)?;
        let action_ts = action
            .get("action_ts")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(PayloadError::Missing("actions[0].action_ts"))?;
        let user_id = text("/user/id").ok_or(PayloadError::Missing("user.id"))?;
        Ok(Click {
            user_name: text("/user/username")
                .or_else(|| text("/user/name"))
                .unwrap_or_else(|| user_id.clone()),
            user_id,
            team_id: text("/team/id").or_else(|| text("/user/team_id")),
            decision,
            value,
            action_ts,
            response_url: text("/response_url"),
        })
    }
}

/// A name from the request, cut short for messages and logs.
fn short(text: &str) -> String {
    crate::notify::format::truncate(&crate::notify::format::one_line(text), 60)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) const VALUE: &str = r#"{"target":{"accountId":"111122223333","region":"eu-west-1","identifier":"orders","engine":"aurora-mysql"},"execution":"arn:aws:states:eu-west-1:111122223333:execution:hub-bluegreen:orders-1"}"#;

    /// A block_actions payload as Slack sends it (trimmed to the fields Slack documents).
    pub(crate) fn payload(action_id: &str, value: &str, user: &str) -> Value {
        json!({
            "type": "block_actions",
            "team": {"id": "T0TEAM", "domain": "example"},
            "user": {"id": user, "username": "jane", "name": "jane", "team_id": "T0TEAM"},
            "api_app_id": "A0APP",
            "container": {"type": "message", "message_ts": "1767000000.000100", "channel_id": "C0CHAN"},
            "trigger_id": "123.456.abc",
            "channel": {"id": "C0CHAN", "name": "db-upgrades"},
            "response_url": "https://hooks.slack.com/actions/T0TEAM/1/abc",
            "actions": [{
                "action_id": action_id, "block_id": "bluegreen-approval",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": value, "type": "button", "action_ts": "1767000001.000200"
            }]
        })
    }

    pub(crate) fn form(payload: &Value) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
            .into_bytes()
    }

    #[test]
    fn a_click_is_read_from_the_form() {
        let click = Click::from_form(&form(&payload("bluegreen-reject", VALUE, "U0JANE"))).unwrap();
        assert_eq!(click.decision, Decision::Reject);
        assert_eq!(click.user_id, "U0JANE");
        assert_eq!(click.user_name, "jane");
        assert_eq!(click.team_id.as_deref(), Some("T0TEAM"));
        assert_eq!(click.action_ts, "1767000001.000200");
        assert_eq!(click.value.question.subject(), "orders");
        assert_eq!(click.value.execution_name(), "orders-1");
        assert_eq!(
            click.response_url.as_deref(),
            Some("https://hooks.slack.com/actions/T0TEAM/1/abc")
        );
    }

    #[test]
    fn other_interactions_and_foreign_buttons_are_refused() {
        assert_eq!(
            Click::from_form(b"token=x&text=hello"),
            Err(PayloadError::NotAnInteraction(
                "no `payload` field in the form"
            ))
        );
        assert_eq!(
            Click::from_form(b"payload=%7Bnot-json"),
            Err(PayloadError::NotAnInteraction("`payload` is not JSON"))
        );
        let mut shortcut = payload("bluegreen-approve", VALUE, "U0JANE");
        shortcut["type"] = json!("shortcut");
        assert_eq!(
            Click::from_form(&form(&shortcut)),
            Err(PayloadError::NotBlockActions("shortcut".into()))
        );
        assert_eq!(
            Click::from_form(&form(&payload("delete-everything", VALUE, "U0JANE"))),
            Err(PayloadError::UnknownAction("delete-everything".into()))
        );
        assert!(matches!(
            Click::from_form(&form(&payload("bluegreen-approve", "orders", "U0JANE"))),
            Err(PayloadError::BadValue(_))
        ));
        let mut nobody = payload("bluegreen-approve", VALUE, "U0JANE");
        nobody["user"] = json!({});
        assert_eq!(
            Click::from_form(&form(&nobody)),
            Err(PayloadError::Missing("user.id"))
        );
        let mut none = payload("bluegreen-approve", VALUE, "U0JANE");
        none["actions"] = json!([]);
        assert_eq!(
            Click::from_form(&form(&none)),
            Err(PayloadError::Missing("actions"))
        );
    }
}
