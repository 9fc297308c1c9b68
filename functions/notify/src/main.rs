//! Lambda function `notify`: tells people what the Blue/Green workflow did (SNS and Slack).
//! The logic is `bluegreen::steps::notify`; this file only wires it to the Lambda runtime.
//! A wrong configuration (`TOPIC_ARN`, `SLACK_WEBHOOK_SECRET_ARN`) fails the cold start.

use bluegreen::aws::clients::ClientFactory;
use bluegreen::notify::{config::Config, Notifier};
use bluegreen::steps::notify;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    bluegreen::telemetry::init();
    let clients = ClientFactory::from_env().await;
    let notifier = Config::from_env()
        .and_then(|config| Notifier::from_config(&config, clients.base()))
        .map_err(|e| {
            let (error_type, error_message) = e.into_report();
            format!("{error_type}: {error_message}")
        })?;
    let handler = |event: LambdaEvent<Value>| async {
        notify::handle(event.payload, &notifier).await.map_err(|e| {
            let (error_type, error_message) = e.into_report();
            Diagnostic {
                error_type: error_type.to_owned(),
                error_message,
            }
        })
    };
    lambda_runtime::run(service_fn(handler)).await
}
