//! Lambda function `precheck`: checks the database against every Blue/Green prerequisite readable from the API,
//! and plans fleets (both only read).
//! The logic is `bluegreen::steps::precheck`; `bluegreen-runtime` wires it to the Lambda runtime.

use bluegreen::{aws::clients::RoleKind, steps::precheck};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Read).await?;
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Ignore,
        |event, clients| async move { precheck::handle_any(event, &clients).await },
    )
    .await
}
