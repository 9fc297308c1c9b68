//! EventBridge as a test sees it: calls in any account of a moto server, and SQS queues that
//! receive what a rule matches, to read which events reached a bus and as what.

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use serde_json::{json, Value};

use crate::moto::Moto;

/// One EventBridge call (JSON protocol) with `config`'s credentials: moto acts in their account.
pub async fn call(moto: &Moto, config: &SdkConfig, action: &str, body: Value) -> Value {
    let key = access_key(config).await;
    let region = config.region().map(|r| r.as_ref()).unwrap_or("us-east-1");
    let response = reqwest::Client::new()
        .post(&moto.endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", format!("AWSEvents.{action}"))
        .header(
            "Authorization",
            format!("AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/events/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .json(&body)
        .send()
        .await
        .expect("reach EventBridge");
    assert!(response.status().is_success(), "{action}: {response:?}");
    response.json().await.unwrap_or(Value::Null)
}

async fn access_key(config: &SdkConfig) -> String {
    use aws_credential_types::provider::ProvideCredentials;
    config
        .credentials_provider()
        .expect("credentials")
        .provide_credentials()
        .await
        .expect("credentials")
        .access_key_id()
        .to_owned()
}

/// A rule named `name` on the default bus of `config`'s account and Region sending what
/// `pattern` matches to `arn`.
pub async fn rule(moto: &Moto, config: &SdkConfig, name: &str, pattern: Value, arn: &str) {
    call(
        moto,
        config,
        "PutRule",
        json!({"Name": name, "EventPattern": pattern.to_string(), "State": "ENABLED"}),
    )
    .await;
    call(
        moto,
        config,
        "PutTargets",
        json!({"Rule": name, "Targets": [{"Id": "t", "Arn": arn}]}),
    )
    .await;
}

/// An SQS queue named `name` in `config`'s account and a rule of the same name on its default
/// bus sending the events `pattern` matches to it; the queue's URL.
pub async fn queue_for(moto: &Moto, config: &SdkConfig, name: &str, pattern: Value) -> String {
    let sqs = aws_sdk_sqs::Client::new(config);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create the queue")
        .queue_url
        .expect("a queue URL");
    let attribute = aws_sdk_sqs::types::QueueAttributeName::QueueArn;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(attribute.clone())
        .send()
        .await
        .expect("the queue's ARN")
        .attributes
        .and_then(|mut a| a.remove(&attribute))
        .expect("the queue's ARN");
    rule(moto, config, name, pattern, &arn).await;
    url
}

/// The events in `url` (each taken off the queue once read), waiting until they satisfy `done`
/// or `within` passes. `rds`, when given, is read between polls: the emulated clock (which
/// completes a snapshot, say) moves on RDS requests (moto_patches/timeline.py).
pub async fn received(
    config: &SdkConfig,
    url: &str,
    within: Duration,
    rds: Option<&aws_sdk_rds::Client>,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let deadline = Instant::now() + within;
    let mut events = Vec::new();
    loop {
        if let Some(rds) = rds {
            rds.describe_db_snapshots()
                .send()
                .await
                .expect("DescribeDBSnapshots");
        }
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        for message in out.messages() {
            events.extend(serde_json::from_str::<Value>(message.body().unwrap_or_default()).ok());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("DeleteMessage");
        }
        if done(&events) || Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
