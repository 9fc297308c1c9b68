//! Lambda function `poll-status`: reads the deployment and answers its phase, or verifies production after switchover.
//! The logic is `bluegreen::steps::poll_status`; `bluegreen-runtime` wires it to the Lambda runtime.

use bluegreen::{aws::clients::RoleKind, steps::poll_status};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Read).await?;
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Ignore,
        |event, clients| async move { poll_status::handle(event, &clients).await },
    )
    .await
}
