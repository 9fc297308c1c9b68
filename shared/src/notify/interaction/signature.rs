//! Slack's request signature: the authentication of the interaction endpoint.
//!
//! As Slack documents it ("Verifying requests from Slack",
//! <https://api.slack.com/authentication/verifying-requests-from-slack>): the base string is
//! `v0:` + `X-Slack-Request-Timestamp` + `:` + the raw body, its HMAC-SHA256 keyed with the
//! app's signing secret, hex-encoded after `v0=`, is `X-Slack-Signature`. A timestamp more
//! than five minutes from now is refused before anything else (a replayed request), and the
//! comparison is constant-time (`hmac`'s `verify_slice`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far Slack's timestamp may be from now, either way.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The only signature version Slack uses.
const VERSION: &str = "v0";

/// The app's signing secret; `Debug` is redacted and nothing prints it.
pub struct SigningSecret(Vec<u8>);

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl SigningSecret {
    /// Reads a secret's value: the signing secret itself, or a JSON object with
    /// `signingSecret`. Errors never quote the value.
    pub fn parse(secret: &str) -> Result<SigningSecret, String> {
        let secret = secret.trim();
        let text = if secret.starts_with('{') {
            let object: serde_json::Value = serde_json::from_str(secret)
                .map_err(|_| "the secret is JSON but does not parse".to_owned())?;
            object
                .get("signingSecret")
                .and_then(serde_json::Value::as_str)
                .map(|s| s.trim().to_owned())
                .ok_or_else(|| "the secret's JSON has no `signingSecret` string".to_owned())?
        } else {
            secret.to_owned()
        };
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return Err("the signing secret is empty or holds spaces: paste it from the Slack app's Basic Information page".to_owned());
        }
        Ok(SigningSecret(text.into_bytes()))
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC accepts any key length");
        mac.update(format!("{VERSION}:{timestamp}:").as_bytes());
        mac.update(body);
        mac
    }

    /// `v0=<hex>` for `timestamp` and `body`: what Slack sends (tests sign with it).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        format!(
            "{VERSION}={}",
            hex::encode(self.mac(timestamp, body).finalize().into_bytes())
        )
    }
}

/// Why a request's signature is refused (the text is safe to log and to answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// A header is absent: not a request from Slack.
    Missing(&'static str),
    /// The timestamp is not a number of seconds.
    BadTimestamp,
    /// Outside the replay window.
    Stale { skew_seconds: u64 },
    /// Not `v0=` and 64 hex digits.
    Malformed,
    /// Well formed, but not made with our signing secret over this body and timestamp.
    Mismatch,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::Missing(header) => write!(f, "unsigned request: no {header} header"),
            SignatureError::BadTimestamp => {
                f.write_str("X-Slack-Request-Timestamp is not a number")
            }
            SignatureError::Stale { skew_seconds } => write!(
                f,
                "stale request: its timestamp is {skew_seconds} s from now (at most {} s allowed)",
                REPLAY_WINDOW.as_secs()
            ),
            SignatureError::Malformed => f.write_str("X-Slack-Signature is not v0=<64 hex digits>"),
            SignatureError::Mismatch => f.write_str("the signature does not match"),
        }
    }
}

/// Checks the headers' timestamp and signature against `body` as received (before any
/// decoding of the form), at `now`.
pub fn verify(
    secret: &SigningSecret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<(), SignatureError> {
    let timestamp = timestamp
        .map(str::trim)
        .ok_or(SignatureError::Missing("X-Slack-Request-Timestamp"))?;
    let signature = signature
        .map(str::trim)
        .ok_or(SignatureError::Missing("X-Slack-Signature"))?;
    let seconds: u64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let skew_seconds = now.abs_diff(seconds);
    if skew_seconds > REPLAY_WINDOW.as_secs() {
        return Err(SignatureError::Stale { skew_seconds });
    }
    let given = signature
        .strip_prefix("v0=")
        .filter(|h| h.len() == 64)
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Malformed)?;
    secret
        .mac(timestamp, body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of Slack's page "Verifying requests from Slack"
    // (https://api.slack.com/authentication/verifying-requests-from-slack).
    const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const SLACK_TIMESTAMP: &str = "1531420618";
    const SLACK_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SLACK_SIGNATURE: &str =
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn secret() -> SigningSecret {
        SigningSecret::parse(SLACK_SECRET).unwrap()
    }

    #[test]
    fn slacks_published_example_verifies() {
        assert_eq!(
            secret().sign(SLACK_TIMESTAMP, SLACK_BODY.as_bytes()),
            SLACK_SIGNATURE
        );
        let now = at(1_531_420_618 + 10);
        assert_eq!(
            verify(
                &secret(),
                Some(SLACK_TIMESTAMP),
                Some(SLACK_SIGNATURE),
                SLACK_BODY.as_bytes(),
                now
            ),
            Ok(())
        );
    }

    #[test]
    fn stale_or_future_timestamps_are_refused_before_the_signature() {
        for now in [1_531_420_618 + 301, 1_531_420_618 - 301] {
            assert!(matches!(
                verify(
                    &secret(),
                    Some(SLACK_TIMESTAMP),
                    Some(SLACK_SIGNATURE),
                    SLACK_BODY.as_bytes(),
                    at(now)
                ),
                Err(SignatureError::Stale { skew_seconds: 301 })
            ));
        }
        // The window's edge is inside it.
        let edge = at(1_531_420_618 + 300);
        assert!(verify(
            &secret(),
            Some(SLACK_TIMESTAMP),
            Some(SLACK_SIGNATURE),
            SLACK_BODY.as_bytes(),
            edge
        )
        .is_ok());
    }

    #[test]
    fn a_wrong_secret_a_tampered_body_or_timestamp_is_refused() {
        let now = at(1_531_420_618);
        let other = SigningSecret::parse("0000000000000000000000000000000").unwrap();
        let tampered = SLACK_BODY.replace("roadrunner", "wile_e");
        for (secret, ts, body) in [
            (&other, SLACK_TIMESTAMP, SLACK_BODY.to_owned()),
            (&secret(), SLACK_TIMESTAMP, tampered),
            (&secret(), "1531420619", SLACK_BODY.to_owned()),
        ] {
            assert_eq!(
                verify(
                    secret,
                    Some(ts),
                    Some(SLACK_SIGNATURE),
                    body.as_bytes(),
                    now
                ),
                Err(SignatureError::Mismatch)
            );
        }
        let flipped = SLACK_SIGNATURE.replace("a2114d", "a2114e");
        assert_eq!(
            verify(
                &secret(),
                Some(SLACK_TIMESTAMP),
                Some(&flipped),
                SLACK_BODY.as_bytes(),
                now
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn unsigned_or_malformed_headers_are_refused() {
        let now = at(1_531_420_618);
        let body = SLACK_BODY.as_bytes();
        assert_eq!(
            verify(&secret(), None, Some(SLACK_SIGNATURE), body, now),
            Err(SignatureError::Missing("X-Slack-Request-Timestamp"))
        );
        assert_eq!(
            verify(&secret(), Some(SLACK_TIMESTAMP), None, body, now),
            Err(SignatureError::Missing("X-Slack-Signature"))
        );
        assert_eq!(
            verify(
                &secret(),
                Some("yesterday"),
                Some(SLACK_SIGNATURE),
                body,
                now
            ),
            Err(SignatureError::BadTimestamp)
        );
        for bad in [
            "v1=a2114d57",
            "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            "v0=zz",
            "v0=",
        ] {
            assert_eq!(
                verify(&secret(), Some(SLACK_TIMESTAMP), Some(bad), body, now),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_secret_is_read_from_text_or_json_and_never_shown() {
        let json =
            SigningSecret::parse(&format!("{{\"signingSecret\": \"{SLACK_SECRET}\"}}")).unwrap();
        assert_eq!(json.sign("1", b"x"), secret().sign("1", b"x"));
        assert_eq!(format!("{json:?}"), "SigningSecret(<redacted>)");
        for bad in ["", "  ", "two words", "{\"secret\": \"8f74\"}", "{8f74"] {
            let err = SigningSecret::parse(bad).unwrap_err();
            assert!(!err.contains("8f74"), "{err}");
        }
    }
}
