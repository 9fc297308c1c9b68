//! Slack's side of an approval, for the local stack: the app's signing secret in moto's
//! Secrets Manager, a button click as Slack sends it, and the HTTP request Lambda makes of it
//! for notify's Function URL.
//!
//! Everything here is built from Slack's and AWS's pages, independently of the product's
//! code (`shared/src/notify/interaction/`), so a test proves the product reads what Slack and
//! Lambda really send:
//! - the click: an HTTP POST whose body is `application/x-www-form-urlencoded` with one field,
//!   `payload`, the JSON of a `block_actions` interaction ("Handling user interaction in your
//!   Slack apps", <https://api.slack.com/interactivity/handling>; "block_actions payloads",
//!   <https://api.slack.com/reference/interaction-payloads/block-actions>);
//! - its signature: `X-Slack-Request-Timestamp` (epoch seconds) and `X-Slack-Signature` =
//!   `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` keyed by the signing secret
//!   ("Verifying requests from Slack",
//!   <https://api.slack.com/authentication/verifying-requests-from-slack>);
//! - the Function URL's event: payload format version 2.0, header names in lower case, the body
//!   as a string, `isBase64Encoded` saying whether Lambda base64-encoded it; the function's
//!   answer `{"statusCode", "headers", "body"}` is the HTTP response ("Invoking Lambda function
//!   URLs", request and response payloads,
//!   <https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads>).

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};

use crate::moto::{Moto, ACCOUNT, REGION};

/// The test Slack app's signing secret (stored in moto's Secrets Manager, never in the env).
pub const SIGNING_SECRET: &str = "e2e0stack0signing0secret0a1b2c3d";
/// The Slack user allowed to answer (`SlackApprovers`).
pub const APPROVER: &str = "U0E2EJANE";
/// The name Slack gives the approver.
pub const APPROVER_NAME: &str = "jane.doe";
/// The name of the product's state machine on the stack: notify's
/// `APPROVAL_STATE_MACHINE_ARN` names it, as the template names `<stack>-bluegreen`.
pub const PRODUCT_STATE_MACHINE: &str = "bluegreen-product";
/// The name of the fleet state machine on the stack: notify's `FLEET_STATE_MACHINE_ARN`
/// names it, as the template names `<stack>-fleet`.
pub const FLEET_STATE_MACHINE: &str = "bluegreen-fleet";

/// What notify needs to answer Slack's clicks on the stack.
#[derive(Debug, Clone)]
pub struct SlackApprovals {
    /// `SLACK_SIGNING_SECRET_ARN`.
    pub signing_secret_arn: String,
    /// `SLACK_APPROVERS`.
    pub approvers: String,
    /// `APPROVAL_STATE_MACHINE_ARN`.
    pub state_machine_arn: String,
    /// `FLEET_STATE_MACHINE_ARN`.
    pub fleet_state_machine_arn: String,
}

impl SlackApprovals {
    /// Stores [`SIGNING_SECRET`] in moto as the runbook says (`{"signingSecret": ...}`), with
    /// [`APPROVER`] allowed and [`PRODUCT_STATE_MACHINE`] and [`FLEET_STATE_MACHINE`] the
    /// machines a click starts.
    pub async fn create(moto: &Moto) -> SlackApprovals {
        let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config(REGION));
        let out = secrets
            .create_secret()
            .name("rds-bluegreen/slack-signing")
            .secret_string(json!({"signingSecret": SIGNING_SECRET}).to_string())
            .send()
            .await
            .expect("create the Slack signing secret");
        SlackApprovals {
            signing_secret_arn: out.arn.expect("the secret's ARN"),
            approvers: APPROVER.to_owned(),
            state_machine_arn: format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{PRODUCT_STATE_MACHINE}"
            ),
            fleet_state_machine_arn: format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{FLEET_STATE_MACHINE}"
            ),
        }
    }

    /// The function environment variables.
    pub fn vars(&self) -> Vec<(String, String)> {
        [
            ("SLACK_SIGNING_SECRET_ARN", &self.signing_secret_arn),
            ("SLACK_APPROVERS", &self.approvers),
            ("APPROVAL_STATE_MACHINE_ARN", &self.state_machine_arn),
            ("FLEET_STATE_MACHINE_ARN", &self.fleet_state_machine_arn),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
    }
}

/// A click on one of the message's buttons.
#[derive(Debug, Clone)]
pub struct Click<'a> {
    /// `bluegreen-approve` or `bluegreen-reject`.
    pub action_id: &'a str,
    pub user: &'a str,
    /// The button's `value` as the message carried it.
    pub value: &'a Value,
    /// The click's time in Slack (`actions[0].action_ts`): another click, another time.
    pub action_ts: &'a str,
    /// Where Slack takes the answer to the click.
    pub response_url: &'a str,
}

impl Click<'_> {
    /// The request body Slack posts: the form with the `block_actions` payload.
    pub fn body(&self) -> String {
        let payload = json!({
            "type": "block_actions",
            "team": {"id": "T0E2ETEAM", "domain": "e2e"},
            "user": {"id": self.user, "username": APPROVER_NAME, "name": APPROVER_NAME, "team_id": "T0E2ETEAM"},
            "api_app_id": "A0E2EAPP",
            "container": {"type": "message", "message_ts": "1767000000.000100", "channel_id": "C0E2E"},
            "trigger_id": "1.2.e2e",
            "channel": {"id": "C0E2E", "name": "db-upgrades"},
            "response_url": self.response_url,
            "actions": [{
                "action_id": self.action_id, "block_id": "bluegreen-approval", "type": "button",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": self.value.to_string(), "action_ts": self.action_ts,
            }],
        });
        form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
    }
}

/// `X-Slack-Signature` of `body` sent at `timestamp`, signed with `secret`.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// The headers of a click signed with `secret` at `timestamp`.
pub fn signed_headers(secret: &str, timestamp: u64, body: &str) -> Vec<(String, String)> {
    let ts = timestamp.to_string();
    vec![
        ("X-Slack-Request-Timestamp".into(), ts.clone()),
        ("X-Slack-Signature".into(), signature(secret, &ts, body)),
    ]
}

/// The event Lambda gives the function for Slack's POST to its Function URL: `headers` (plus
/// what Slack always sends) in lower case, the body as sent, base64-encoded or not.
pub fn function_url_event(headers: &[(String, String)], body: &str, base64: bool) -> Value {
    let mut all = serde_json::Map::new();
    for (k, v) in [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
        ("Host", "e2e0url0id.lambda-url.us-east-1.on.aws"),
        ("X-Forwarded-Proto", "https"),
    ] {
        all.insert(k.to_ascii_lowercase(), json!(v));
    }
    for (k, v) in headers {
        all.insert(k.to_ascii_lowercase(), json!(v));
    }
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": all,
        "requestContext": {
            "accountId": "anonymous", "apiId": "e2e0url0id",
            "domainName": "e2e0url0id.lambda-url.us-east-1.on.aws", "domainPrefix": "e2e0url0id",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "Slackbot 1.0 (+https://api.slack.com/robots)"},
            "requestId": "e2e-request", "routeKey": "$default", "stage": "$default",
            "time": "07/Dec/2026:08:00:00 +0000", "timeEpoch": now_ms,
        },
        "body": if base64 { base64::engine::general_purpose::STANDARD.encode(body) } else { body.to_owned() },
        "isBase64Encoded": base64,
    })
}

/// The HTTP response Lambda makes of the function's answer.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u64,
    pub content_type: String,
    pub body: String,
}

impl HttpAnswer {
    /// Reads the function's answer object (`statusCode`, `headers`, `body`).
    pub fn from_function(answer: &Value) -> HttpAnswer {
        HttpAnswer {
            status: answer["statusCode"].as_u64().unwrap_or_default(),
            content_type: answer["headers"]["content-type"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            body: answer["body"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// The body as JSON (Slack's reply to the person), or null.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}
