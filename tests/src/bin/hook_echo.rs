//! The test hook that answers what it received (`e2e::hook_echo`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    e2e::hook_echo::serve().await
}
