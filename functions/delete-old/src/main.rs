//! Lambda function `delete-old`: deletes old blue after switchover, or green before it (abandon), behind guards.
//! The logic is `bluegreen::steps::delete_old`; `bluegreen-runtime` wires it to the Lambda runtime.

use bluegreen::{aws::clients::RoleKind, steps::delete_old};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let clients = bluegreen_runtime::start(RoleKind::Delete).await?;
    bluegreen_runtime::serve(
        clients,
        bluegreen_runtime::LockUse::Hold("delete"),
        |event, clients| async move { delete_old::handle(event, &clients).await },
    )
    .await
}
