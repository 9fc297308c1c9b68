//! The Slack webhook URL: a credential (anyone holding it can post to the channel), so it
//! lives only in AWS Secrets Manager and in this process's memory. It is read once per
//! container, on first use, and cached; a failed read is not cached, so the next
//! notification tries again. Slack's signing secret is read the same way ([`SecretSource`]). Nothing here implements `Display` or `Serialize`, `Debug` is
//! redacted, and no error message quotes the secret's value.

use std::fmt;
use std::sync::{Arc, Mutex};

use reqwest::Url;
use serde_json::Value;

/// A validated incoming-webhook URL.
pub struct WebhookUrl(Url);

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookUrl(<redacted>)")
    }
}

impl WebhookUrl {
    /// Reads a secret's value: the URL itself, or a JSON object with `webhookUrl` (or `url`).
    /// It must be `https://hooks.slack.com/...` (a secret pointing anywhere else would send
    /// the workflow's messages there); plain HTTP is accepted only on the loopback interface
    /// (local tests).
    pub fn parse(secret: &str) -> Result<WebhookUrl, String> {
        let secret = secret.trim();
        let text = if secret.starts_with('{') {
            let object: Value = serde_json::from_str(secret)
                .map_err(|_| "the secret is JSON but does not parse".to_owned())?;
            ["webhookUrl", "url"]
                .iter()
                .find_map(|k| object.get(k).and_then(Value::as_str).map(str::to_owned))
                .ok_or_else(|| "the secret's JSON has no `webhookUrl` string".to_owned())?
        } else {
            secret.to_owned()
        };
        let url = Url::parse(&text).map_err(|_| "the secret's value is not a URL".to_owned())?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match url.scheme() {
            "https" if url.host_str() == Some("hooks.slack.com") => Ok(WebhookUrl(url)),
            "http" if loopback => Ok(WebhookUrl(url)),
            _ => Err("the webhook URL must be an https://hooks.slack.com/ URL".to_owned()),
        }
    }

    /// The URL, for the one HTTP request that needs it.
    pub(crate) fn url(&self) -> &Url {
        &self.0
    }

    /// Replaces the URL and its path (the token) wherever they appear in `text`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let path = self.0.path();
        let text = text.replace(self.0.as_str(), "<webhook>");
        if path.len() > 1 {
            text.replace(path, "<webhook path>")
        } else {
            text
        }
    }
}

/// A secret's value read from Secrets Manager on first use and kept: the webhook URL, the
/// signing secret of Slack's requests ([`super::interaction::signature::SigningSecret`]).
pub struct SecretSource<T> {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    /// What the secret holds, for messages (`Slack webhook`).
    what: &'static str,
    parse: fn(&str) -> Result<T, String>,
    cached: Mutex<Option<Arc<T>>>,
}

/// Where the webhook URL comes from.
pub type WebhookSource = SecretSource<WebhookUrl>;

impl WebhookSource {
    /// `secret_id` is the secret's ARN (or name).
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self::with_parser(client, secret_id, "Slack webhook", WebhookUrl::parse)
    }

    /// The URL, from the cache or (once) from Secrets Manager.
    pub async fn url(&self) -> Result<Arc<WebhookUrl>, String> {
        self.value().await
    }
}

impl<T> SecretSource<T> {
    /// `parse` turns the secret string into the value; its errors never quote the value.
    pub fn with_parser(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        what: &'static str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Self {
        Self {
            client,
            secret_id: secret_id.into(),
            what,
            parse,
            cached: Mutex::new(None),
        }
    }

    /// The value, from the cache or (once) from Secrets Manager; a failed read is not cached.
    pub async fn value(&self) -> Result<Arc<T>, String> {
        let poisoned = || format!("{} cache poisoned", self.what);
        if let Some(value) = self.cached.lock().map_err(|_| poisoned())?.clone() {
            return Ok(value);
        }
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading the {} secret {} failed: {}",
                    self.what,
                    self.secret_id,
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                )
            })?;
        let text = out.secret_string().ok_or_else(|| {
            format!(
                "secret {} has no string value: store the {} as a secret string",
                self.secret_id, self.what
            )
        })?;
        let value =
            Arc::new((self.parse)(text).map_err(|e| format!("secret {}: {e}", self.secret_id))?);
        tracing::info!(secret = %self.secret_id, "{} loaded from Secrets Manager", self.what);
        *self.cached.lock().map_err(|_| poisoned())? = Some(value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN";

    #[test]
    fn accepts_a_url_or_json() {
        assert_eq!(WebhookUrl::parse(URL).unwrap().url().as_str(), URL);
        assert_eq!(
            WebhookUrl::parse(&format!("{{\"webhookUrl\": \"{URL}\"}}"))
                .unwrap()
                .url()
                .as_str(),
            URL
        );
        assert_eq!(
            WebhookUrl::parse(&format!(" {{\"url\": \"{URL}\"}}\n"))
                .unwrap()
                .url()
                .as_str(),
            URL
        );
        assert!(WebhookUrl::parse("http://127.0.0.1:9/hook").is_ok());
    }

    #[test]
    fn refusals_never_quote_the_value() {
        for bad in [
            "http://hooks.slack.com/services/T/B/SECRETTOKEN",
            "https://hooks.slack.com.attacker.example/services/T/B/SECRETTOKEN",
            "https://example.com/services/T/B/SECRETTOKEN",
            "SECRETTOKEN",
            "{\"hook\": \"SECRETTOKEN\"}",
            "{SECRETTOKEN",
        ] {
            let err = WebhookUrl::parse(bad).unwrap_err();
            assert!(!err.contains("SECRETTOKEN"), "{err}");
        }
    }

    #[test]
    fn debug_and_redaction_hide_the_token() {
        let url = WebhookUrl::parse(URL).unwrap();
        assert_eq!(format!("{url:?}"), "WebhookUrl(<redacted>)");
        let redacted = url.redact(&format!(
            "failed for {URL} and /services/T000/B000/SECRETTOKEN"
        ));
        assert!(!redacted.contains("SECRETTOKEN"), "{redacted}");
    }
}
