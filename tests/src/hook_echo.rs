//! A user's hook as the end-to-end tests deploy it (tests/tests/end_to_end/e2e_hooks.rs): a Lambda
//! function that answers what it received, so the test reads the payload the state machine
//! invoked it with from the execution's history. Two binaries serve it under the function
//! names of `lambda::HOOK_FUNCTIONS` (the local Lambda serves a binary under its own name);
//! the one whose name ends in `-failing` fails with a function error, as a hook whose work
//! failed (an ANALYZE that could not connect) does.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};

/// Serves invocations until the runtime stops.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    if name.ends_with("-failing") {
        return Err(Diagnostic {
            error_type: "HookWorkFailed".to_owned(),
            error_message: format!(
                "{name} could not do its work on {}",
                event.payload["green"]["identifier"]
            ),
        });
    }
    Ok(json!({"function": name, "received": event.payload}))
}
