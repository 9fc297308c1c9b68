//! The test hook that fails with a function error (`e2e::hook_echo`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    e2e::hook_echo::serve().await
}
