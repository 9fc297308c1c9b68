//! Lambda function `switchover`: snapshots blue and switches over once green is really ready.
//! The logic is `bluegreen::steps::switchover`; `bluegreen-runtime` wires it to the Lambda runtime.

use bluegreen::{aws::clients::RoleKind, steps::switchover};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Switchover).await?;
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Hold("switchover"),
        |event, clients| async move { switchover::handle(event, &clients).await },
    )
    .await
}
