//! Lambda function `notify`: tells people what the Blue/Green workflow did (SNS and Slack),
//! and answers Slack's Approve/Reject buttons through its Function URL.
//! The logic is `bluegreen::steps::notify` and `bluegreen::notify::interaction`;
//! `bluegreen-runtime` wires them to the Lambda runtime. A wrong configuration (`TOPIC_ARN`,
//! `SLACK_WEBHOOK_SECRET_ARN`, `SLACK_SIGNING_SECRET_ARN`, ...) fails the cold start.

use std::time::SystemTime;

use bluegreen::aws::clients::RoleKind;
use bluegreen::notify::interaction::{self, config::InteractionConfig, Interactions};
use bluegreen::notify::{config::Config, Notifier};
use bluegreen::steps::notify;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Read).await?;
    let interactions = InteractionConfig::from_env()
        .and_then(|config| {
            config
                .map(|c| Interactions::from_config(&c, clients.base()))
                .transpose()
        })
        .map_err(bluegreen_runtime::init_error)?;
    let notifier = Config::from_env()
        .and_then(|config| Notifier::from_config(&config, clients.base()))
        // What an ended execution left running is read with this function's own (read) access.
        .map(|notifier| notifier.with_world(clients.clone()))
        // The buttons only where a click is answered.
        .map(|notifier| {
            notifier.with_approval_buttons(interactions.is_some() && interaction::APPROVALS_WAIT)
        })
        .map_err(bluegreen_runtime::init_error)?;
    let (notifier, interactions) = (&notifier, &interactions);
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Refresh,
        |event, _| async move {
            // A Function URL request (Slack's click) or a workflow event (Step Functions,
            // EventBridge): told apart by the event's shape.
            if interaction::is_function_url_event(&event) {
                let now = SystemTime::now();
                Ok(interaction::answer(interactions.as_ref(), &event, now).await)
            } else {
                notify::handle(event, notifier).await
            }
        },
    )
    .await
}
