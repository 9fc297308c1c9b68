//! Lambda function `create`: creates the Blue/Green deployment (green) for one database.
//! The logic is `bluegreen::steps::create`; `bluegreen-runtime` wires it to the Lambda runtime.

use bluegreen::{aws::clients::RoleKind, steps::create};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Create).await?;
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Hold("create"),
        |event, clients| async move { create::handle(event, &clients).await },
    )
    .await
}
