//! The Function URL's HTTP event (payload format 2.0) in and its response out.
//!
//! A Function URL invokes the function with `{"version": "2.0", "requestContext": {"http":
//! {"method", ...}}, "headers": {lower-case names}, "body", "isBase64Encoded"}` and reads an
//! object `{"statusCode", "headers", "body"}` as the HTTP response ("Invoking Lambda function
//! URLs", <https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html>). Step Functions
//! and EventBridge events never have that shape, which is how the one function tells them apart.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

/// Whether `event` is a Function URL request (payload format 2.0), not a workflow event.
pub fn is_function_url_event(event: &Value) -> bool {
    event.get("version").and_then(Value::as_str) == Some("2.0")
        && event.pointer("/requestContext/http/method").is_some()
}

/// The parts of an HTTP request the endpoint reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Header names in lower case (the Function URL gives them so; kept whatever comes).
    pub headers: BTreeMap<String, String>,
    /// The body exactly as sent: the signature covers these bytes.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// Reads a Function URL event; the body is decoded when `isBase64Encoded`.
    pub fn from_event(event: &Value) -> Result<HttpRequest, String> {
        let method = event
            .pointer("/requestContext/http/method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let headers = event
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let body = event
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let body = if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|_| "the body is marked base64 but does not decode".to_owned())?
        } else {
            body.as_bytes().to_vec()
        };
        Ok(HttpRequest {
            method,
            headers,
            body,
        })
    }

    /// A header's value, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// What the endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Value,
}

impl HttpResponse {
    /// A refusal or error: a short reason, as plain text.
    pub fn text(status: u16, reason: impl Into<String>) -> HttpResponse {
        HttpResponse {
            status,
            body: Value::String(reason.into()),
        }
    }

    /// The Function URL response object.
    pub fn to_event(&self) -> Value {
        let (content_type, body) = match &self.body {
            Value::String(text) => ("text/plain; charset=utf-8", text.clone()),
            other => ("application/json", other.to_string()),
        };
        json!({
            "statusCode": self.status,
            "headers": {"content-type": content_type},
            "body": body,
            "isBase64Encoded": false,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Function URL event as Lambda builds it (trimmed to the fields AWS documents).
    pub(crate) fn event(headers: Value, body: &[u8], base64: bool) -> Value {
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/",
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "anonymous", "apiId": "abc", "domainName": "abc.lambda-url.eu-west-1.on.aws",
                "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "Slackbot 1.0"},
                "requestId": "r-1", "routeKey": "$default", "stage": "$default", "time": "01/Jan/2027:00:00:00 +0000", "timeEpoch": 1798761600000u64
            },
            "body": if base64 { base64::engine::general_purpose::STANDARD.encode(body) } else { String::from_utf8(body.to_vec()).unwrap() },
            "isBase64Encoded": base64,
        })
    }

    #[test]
    fn function_url_events_are_told_from_workflow_events() {
        assert!(is_function_url_event(&event(json!({}), b"", false)));
        for workflow in [
            json!({"stage": "started", "request": {}, "execution": {"id": "arn"}}),
            json!({"version": "0", "detail-type": "Step Functions Execution Status Change", "source": "aws.states", "detail": {}}),
            json!({"fleet": "pg16", "stage": "fleet-started"}),
            json!({"version": "2.0", "requestContext": {}}),
            json!([1, 2]),
            Value::Null,
        ] {
            assert!(!is_function_url_event(&workflow), "{workflow}");
        }
    }

    #[test]
    fn the_body_is_kept_as_sent_or_decoded_from_base64() {
        let headers = json!({"X-Slack-Signature": "v0=ab", "content-type": "application/x-www-form-urlencoded"});
        for base64 in [false, true] {
            let request =
                HttpRequest::from_event(&event(headers.clone(), b"payload=%7B%7D", base64))
                    .unwrap();
            assert_eq!(request.method, "POST");
            assert_eq!(request.body, b"payload=%7B%7D");
            assert_eq!(request.header("x-slack-signature"), Some("v0=ab"));
        }
        let mut bad = event(headers, b"", true);
        bad["body"] = json!("%%%not base64");
        assert!(HttpRequest::from_event(&bad).is_err());
    }

    #[test]
    fn responses_are_function_url_objects() {
        let refused = HttpResponse::text(401, "unsigned request").to_event();
        assert_eq!(refused["statusCode"], 401);
        assert_eq!(refused["body"], "unsigned request");
        assert_eq!(
            refused["headers"]["content-type"],
            "text/plain; charset=utf-8"
        );
        let ok = HttpResponse {
            status: 200,
            body: json!({"text": "ok"}),
        }
        .to_event();
        assert_eq!(ok["headers"]["content-type"], "application/json");
        assert_eq!(
            serde_json::from_str::<Value>(ok["body"].as_str().unwrap()).unwrap(),
            json!({"text": "ok"})
        );
    }
}
