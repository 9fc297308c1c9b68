//! Lambda function `notify`: tells people what the Blue/Green workflow did (SNS and Slack).
//! The logic is `bluegreen::steps::notify`; `bluegreen-runtime` wires it to the Lambda runtime.
//! A wrong configuration (`TOPIC_ARN`, `SLACK_WEBHOOK_SECRET_ARN`) fails the cold start.

use bluegreen::aws::clients::RoleKind;
use bluegreen::notify::{config::Config, Notifier};
use bluegreen::steps::notify;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Read).await?;
    let notifier = Config::from_env()
        .and_then(|config| Notifier::from_config(&config, clients.base()))
        // What an ended execution left running is read with this function's own (read) access.
        .map(|notifier| notifier.with_world(clients.clone()))
        .map_err(bluegreen_runtime::init_error)?;
    let notifier = &notifier;
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Refresh,
        |event, _| async move { notify::handle(event, notifier).await },
    )
    .await
}
