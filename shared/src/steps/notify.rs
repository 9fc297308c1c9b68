//! Step: notify. Tells people what the workflow did, at every stage, on SNS and Slack.
//!
//! The event (see docs/step-contracts.md) is read leniently, because a failure caused by a
//! bad input must still reach someone. The answer reports each channel; delivery problems
//! are reported there, never raised, so a notification never fails the workflow.
//!
//! The same function is the target of the EventBridge rule on every end of an execution
//! (FAILED, TIMED_OUT, ABORTED): that event becomes an `execution-ended` message saying what
//! is left running ([`crate::notify::ended`]).

use std::time::SystemTime;

use serde_json::Value;

use crate::error::Error;
use crate::input::Notifications;
use crate::metrics::Figures;
use crate::notify::event::{Event, Outcome, Stage};
use crate::notify::{ended::StatusChange, stages, told::Told, Notifier};

/// Runs the step. The only error is an event that is not a JSON object at all.
pub async fn handle(event: Value, notifier: &Notifier) -> Result<Value, Error> {
    let Value::Object(map) = event else {
        return Err(Error::invalid(
            "event",
            format!("is {}, not a JSON object", kind_of(&event)),
            "send {\"stage\", \"outcome\", \"request\": $.request, ...} as docs/step-contracts.md describes for notify",
        ));
    };
    if super::fleet::is_fleet_event(&Value::Object(map.clone())) {
        return super::fleet::notify(Value::Object(map), notifier).await;
    }
    let event = match StatusChange::from_event(&map) {
        // The workflow told this end itself (its failure path sent the message): one message
        // per end, so the rule's copy is dropped here.
        Some(change) if Told::in_cause(change.cause.as_deref()).is_some() => {
            tracing::info!(
                execution = %change.execution_arn,
                "end already told by the workflow: the status rule's copy is dropped"
            );
            return Ok(serde_json::json!({
                "skipped": "the workflow told this end itself (its cause is marked notified)"
            }));
        }
        // A fleet that ended badly from outside (stopped, timed out): its children report
        // themselves; this says the fleet itself ended and what to look at.
        Some(change) if change.request().get("fleet").is_some() => {
            let fleet = change.request()["fleet"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned();
            let cause = format!(
                "The fleet execution ended {}{}. Each database execution it started reports its own end (look for them by the fleet name in the Step Functions console); databases of later waves were not started.",
                change.status,
                change.cause.as_deref().filter(|c| !c.is_empty()).map(|c| format!(": {c}")).unwrap_or_default()
            );
            let error = change
                .error
                .clone()
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| change.status.clone());
            let message =
                crate::notify::fleet::ended(&fleet, &error, &cause, Some(&change.execution_arn));
            return Ok(serde_json::json!(notifier.deliver(&message).await));
        }
        Some(change) => {
            if change.error.as_deref() == Some("LockReleaseFailed") {
                let request = change.request();
                let action = request["action"].as_str().unwrap_or("upgrade");
                crate::metrics::lock_release_failed(action);
            }
            let left = notifier.left_running(&change.request()).await;
            change.notify_event(left)
        }
        None => {
            let mut event = Event::from_map(&map);
            event.record = notifier.record(&event).await;
            event
        }
    };
    if let Some(why) = stages::silence(&event) {
        tracing::info!(stage = event.stage.name(), %why, "no message: nothing of this stage happened in this execution");
        return Ok(serde_json::json!({ "skipped": why }));
    }
    let figures = figures_of_end(&map, &event, notifier).await;
    let mut message = stages::compose(&event, SystemTime::now());
    if let Some(f) = &figures {
        f.add_facts(&mut message);
    }
    let mut answer = if wanted(&event.request, &message) {
        serde_json::json!(notifier.deliver(&message).await)
    } else {
        serde_json::json!({
            "skipped": "options.notifications is `failures` and this is not a failure"
        })
    };
    // The upgrade's figures, for the execution's output and a fleet's report.
    if let Some(f) = figures {
        answer["figures"] = f.answer();
    }
    Ok(answer)
}

/// What the event measures (emitted here) and, at an end, the figures so far. The execution's
/// history is read when the event ends a wait loop (its Polls) or the execution (the figures
/// it counts). Every failure the workflow reports answers figures (the state machine keeps
/// them for the execution's failed end: a path that selects nothing would fail it,
/// docs/metrics.md).
async fn figures_of_end(
    map: &serde_json::Map<String, Value>,
    event: &Event,
    notifier: &Notifier,
) -> Option<Figures> {
    let failure = event.outcome == Outcome::Failure && event.stage != Stage::ExecutionEnded;
    let history = match failure || crate::metrics::stage::reads_history(event) {
        true => notifier.execution_tally(event).await,
        false => None,
    };
    let figures = crate::metrics::observe_stage(map, event, history.as_ref())
        .or_else(|| failure.then(|| Figures::of_end(event, SystemTime::now())))?;
    Some(match &history {
        Some(tally) => figures.with_history(tally, crate::aws::meter::rds_calls_so_far()),
        None => figures,
    })
}

/// Whether the request's `options.notifications` lets this message out: `failures` keeps only
/// failures (a fleet reports everything else in its own summary). Read leniently: a request
/// that does not parse sends everything.
fn wanted(request: &Value, message: &crate::notify::message::Message) -> bool {
    let failures_only = request
        .pointer("/options/notifications")
        .and_then(|v| serde_json::from_value::<Notifications>(v.clone()).ok())
        == Some(Notifications::Failures);
    !failures_only || message.outcome == Outcome::Failure
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
    use aws_sdk_sns::operation::publish::PublishOutput;
    use aws_smithy_mocks::{mock, mock_client};

    use crate::notify::secret::WebhookSource;
    use crate::notify::slack_delivery::{RetryPolicy, SlackSender};
    use crate::notify::sns::Publisher;
    use crate::notify::Slack;

    /// Everything the subscriber writes (the Slack approvals' tests read their logs with it).
    #[derive(Clone, Default)]
    pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

    /// One test at a time captures logs.
    static CAPTURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// While the guards live, every event of this thread (TRACE and up, as JSON) is captured.
    /// tracing caches for the whole process, per call site, whether any subscriber wants its
    /// events, decided when the site is first hit: a site another test's thread hit first,
    /// while this capture was being installed, kept "nobody" and lost the line a test asserted
    /// (the interactions' refusal log, twice in full runs). So a test runs its code once before
    /// installing the capture: its sites are registered, and the rebuild here reaches them.
    pub(crate) struct Capture {
        pub(crate) logs: Captured,
        _default: tracing::subscriber::DefaultGuard,
        _turn: tokio::sync::MutexGuard<'static, ()>,
    }

    impl Captured {
        pub(crate) async fn install() -> Capture {
            let turn = CAPTURING.lock().await;
            let logs = Captured::default();
            let sink = logs.clone();
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || sink.clone())
                .finish();
            let default = tracing::subscriber::set_default(subscriber);
            // Other tests' threads may have cached "no subscriber wants this" for our call sites.
            tracing::callsite::rebuild_interest_cache();
            Capture {
                logs,
                _default: default,
                _turn: turn,
            }
        }

        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A webhook on 127.0.0.1 that answers every request with `status`; returns its port.
    fn webhook(status: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let _ = reader.read_exact(&mut vec![0; length]);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        port
    }

    /// A port nothing listens on.
    fn closed_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn notifier(url: &str) -> Notifier {
        let secret = url.to_owned();
        let get = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_output(move || {
            GetSecretValueOutput::builder()
                .secret_string(&secret)
                .build()
        });
        let publish = mock!(aws_sdk_sns::Client::publish)
            .then_output(|| PublishOutput::builder().message_id("m-1").build());
        let policy = RetryPolicy {
            first_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        };
        Notifier::new(
            Publisher::new(
                mock_client!(aws_sdk_sns, [&publish]),
                "arn:aws:sns:us-east-1:123456789012:t",
            ),
            Some(Slack {
                source: WebhookSource::new(
                    mock_client!(aws_sdk_secretsmanager, [&get]),
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack",
                ),
                sender: SlackSender::new(policy).unwrap(),
            }),
        )
    }

    /// One notification sent through a webhook that answers 200, one that answers 500 and a
    /// closed port, each URL holding `token`; the answers.
    async fn deliveries(token: &str) -> Vec<String> {
        let event = serde_json::json!({
            "stage": "failed", "outcome": "failure",
            "request": {"target": {"identifier": "orders", "engine": "mysql", "region": "us-east-1"}},
            "error": {"Error": "AwsCallFailed", "Cause": "boom"}
        });
        let mut answers = Vec::new();
        for (port, expected) in [
            (webhook("200 OK"), "sent"),
            (webhook("500 Internal Server Error"), "failed"),
            (closed_port(), "failed"),
        ] {
            let url = format!("http://127.0.0.1:{port}/services/T0LOG/B0LOG/{token}");
            let answer = handle(event.clone(), &notifier(&url)).await.unwrap();
            assert_eq!(answer["slack"]["status"], expected, "{answer}");
            answers.push(answer.to_string());
        }
        answers
    }

    #[tokio::test]
    async fn the_webhook_url_is_never_logged_nor_answered() {
        let token = "LeakCheckToken9f3e";
        // Once before the capture, so every call site is registered by then
        // (Captured::install), then captured.
        deliveries(token).await;
        let capture = Captured::install().await;
        let answers = deliveries(token).await;

        let logs = capture.logs.text();
        for expected in [
            "Slack webhook loaded",
            "notification sent to Slack",
            "Slack delivery failed; retrying",
            "500 Internal Server Error",
            "Slack notification not delivered",
            "error sending request",
        ] {
            assert!(logs.contains(expected), "the logs say {expected:?}: {logs}");
        }
        for leak in [token, "/services/T0LOG/B0LOG"] {
            assert!(!logs.contains(leak), "{leak} logged: {logs}");
            for answer in &answers {
                assert!(!answer.contains(leak), "{leak} answered: {answer}");
            }
        }
    }

    #[tokio::test]
    async fn an_event_that_is_not_an_object_is_invalid_input() {
        let err = handle(
            serde_json::json!(["stage"]),
            &notifier("https://hooks.slack.com/services/T/B/X"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("an array"), "{err}");
    }
}
