//! Shared by the notify tests: a stand-in for Slack's incoming webhook on 127.0.0.1 that
//! records what it receives and answers from a script, and a notifier wired to moto.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use bluegreen::notify::{config::Config, Notifier};
use e2e::moto::{Moto, ACCOUNT, REGION};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One answer of the fake webhook.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Ok,
    Status(u16),
    TooMany { retry_after: u64 },
}

/// A request the fake webhook received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub content_type: String,
    pub body: Value,
    pub at: Instant,
}

/// A fake Slack webhook: answers `script` in order, then `then` forever.
pub struct FakeSlack {
    /// The webhook URL, with a path token like Slack's.
    pub url: String,
    /// The path part of the URL (the token a leak would show).
    pub path: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeSlack {
    pub async fn start(script: Vec<Reply>, then: Reply) -> FakeSlack {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Slack");
        let port = listener.local_addr().expect("local addr").port();
        let path = format!(
            "/services/T0NOTIFY/B0TEST{port}/{}",
            e2e::moto::unique("tokenXyZ")
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            let mut served = 0usize;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let reply = script.get(served).copied().unwrap_or(then);
                served += 1;
                serve(stream, reply, log.clone()).await;
            }
        });
        FakeSlack {
            url: format!("http://127.0.0.1:{port}{path}"),
            path,
            received,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Received>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, content_length) = loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length = header(&head, "content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0usize);
            break (end + 4, length);
        }
    };
    while buf.len() < head_len + content_length {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_len]).to_string();
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    log.lock().unwrap().push(Received {
        path,
        content_type: header(&head, "content-type").unwrap_or_default(),
        body: serde_json::from_slice(&buf[head_len..]).unwrap_or(Value::Null),
        at: Instant::now(),
    });
    let (status, extra, body) = match reply {
        Reply::Ok => ("200 OK".to_owned(), String::new(), "ok"),
        Reply::TooMany { retry_after } => (
            "429 Too Many Requests".to_owned(),
            format!("Retry-After: {retry_after}\r\n"),
            "rate_limited",
        ),
        Reply::Status(code) => (format!("{code} Status"), String::new(), "internal_error"),
    };
    let response = format!("HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}", body.len());
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// A secret in moto holding `value`; returns its ARN.
pub async fn secret(moto: &Moto, value: &str) -> String {
    let client = aws_sdk_secretsmanager::Client::new(&moto.sdk_config(REGION));
    let out = client
        .create_secret()
        .name(e2e::moto::unique("slack-webhook"))
        .secret_string(value)
        .send()
        .await
        .expect("create secret");
    out.arn.expect("secret arn")
}

/// The product's notifier, configured as the function is, against moto.
pub fn notifier(moto: &Moto, topic_arn: &str, slack_secret: Option<String>) -> Notifier {
    let config = Config {
        topic_arn: topic_arn.to_owned(),
        slack_secret,
    };
    Notifier::from_config(&config, &moto.sdk_config(REGION)).expect("notifier")
}

/// A valid request for `identifier` (Aurora MySQL in moto's account and Region).
pub fn request(identifier: &str) -> Value {
    serde_json::json!({
        "action": "upgrade",
        "target": {"accountId": ACCOUNT, "region": REGION, "identifier": identifier, "engine": "aurora-mysql"},
        "options": {"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}
    })
}

/// The execution block the state machine sends.
pub fn execution(name: &str) -> Value {
    serde_json::json!({
        "id": format!("arn:aws:states:{REGION}:{}:execution:bluegreen:{name}", ACCOUNT),
        "name": name,
        "startTime": "2026-03-01T10:00:00Z"
    })
}

/// poll-status's `verify` answer, as the state machine passes it to notify.
pub fn verified(db: &str, seconds: f64) -> Value {
    let summary = |identifier: String| bluegreen::aws::database::DatabaseSummary {
        arn: format!("arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{identifier}"),
        identifier,
        engine: "aurora-mysql".into(),
        engine_version: "8.0.mysql_aurora.3.08.0".into(),
        status: "available".into(),
        instances: vec![],
    };
    serde_json::to_value(bluegreen::steps::poll_status::Verified {
        verified: true,
        production: summary(db.to_owned()),
        old_blue: summary(format!("{db}-old1")),
        switchover: Some(bluegreen::aws::events::SwitchoverTiming {
            started_at: "2026-03-01T10:00:00Z".into(),
            completed_at: "2026-03-01T10:00:42Z".into(), // the duration is the step's own figure
            duration_seconds: seconds,
        }),
        parity: None,
        global: None,
    })
    .unwrap()
}
