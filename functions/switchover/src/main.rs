//! Lambda function `switchover`: snapshots blue and switches over once green is really ready.
//! The logic is `bluegreen::steps::switchover`; this file only wires it to the Lambda runtime.

use bluegreen::{aws::clients::ClientFactory, steps::switchover};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    bluegreen::telemetry::init();
    let clients = ClientFactory::from_env().await;
    let handler = |event: LambdaEvent<Value>| async {
        switchover::handle(event.payload, &clients)
            .await
            .map_err(|e| {
                let (error_type, error_message) = e.into_report();
                Diagnostic {
                    error_type: error_type.to_owned(),
                    error_message,
                }
            })
    };
    lambda_runtime::run(service_fn(handler)).await
}
