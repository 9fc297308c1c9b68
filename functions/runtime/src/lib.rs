//! The Lambda glue the six functions share, so each `main.rs` is a few lines: logging, the
//! clients of the function's kind of work (built once; a wrong environment fails the cold
//! start), the execution each event comes from, and errors sent to Step Functions with their
//! stable names (`errorType`), never Rust type names. `bluegreen` knows nothing of Lambda.

use std::future::Future;
use std::time::SystemTime;

use bluegreen::aws::clients::{ClientFactory, RoleKind};
use bluegreen::aws::meter::{self, metered};
use bluegreen::lock::guard;
use bluegreen::lock::LockTable;
pub use bluegreen::lock::LockUse;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

/// Sets up logging and the clients of a function of this kind.
pub async fn start(kind: RoleKind) -> Result<ClientFactory, lambda_runtime::Error> {
    bluegreen::telemetry::init();
    ClientFactory::from_env(kind).await.map_err(init_error)
}

/// A configuration error of the cold start, with its stable name.
pub fn init_error(e: bluegreen::Error) -> lambda_runtime::Error {
    let (error_type, error_message) = e.into_report();
    format!("{error_type}: {error_message}").into()
}

/// Serves events until the runtime stops. The state machine adds `execution`
/// (`$$.Execution.Name`) and `lock` (the claim of the lock it holds) to the events: both are
/// taken out here, the execution given to the clients (session name, SourceIdentity) and the
/// claim used as `lock_use` says (held before a change, refreshed by notify), so the steps see
/// the events they declare. A function that uses the lock needs `LOCK_TABLE_NAME` at start.
pub async fn serve<F, Fut, R>(
    clients: ClientFactory,
    lock_use: LockUse,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value, ClientFactory) -> Fut,
    Fut: Future<Output = Result<R, bluegreen::Error>>,
    R: Serialize,
{
    let table = match lock_use {
        LockUse::Ignore => None,
        _ => Some(LockTable::from_env(clients.base()).map_err(init_error)?),
    };
    let handler = &handler;
    let clients = &clients;
    let table = &table;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let (mut payload, execution) = split_execution(event.payload);
        let claim = guard::take_claim(&mut payload);
        if let (Some(table), Some(claim)) = (table, &claim) {
            guard::apply(table, lock_use, claim, &payload, SystemTime::now())
                .await
                .map_err(diagnostic)?;
        }
        let for_execution = execution.is_some();
        let clients = clients.for_execution(execution.as_deref());
        // Boxed: a step's future nests deeper than the compiler's layout limit allows inline.
        let (answer, rds_calls) = metered(Box::pin(handler(payload, clients))).await;
        let answer =
            answer.map_err(|e| error_with_rds_calls(diagnostic(e), for_execution, rds_calls))?;
        // What lambda_runtime would do with the answer, done here to add to it.
        let answer = serde_json::to_value(answer).map_err(|e| Diagnostic {
            error_type: "AnswerNotSerializable".to_owned(),
            error_message: e.to_string(),
        })?;
        Ok::<Value, Diagnostic>(with_rds_calls(answer, for_execution, rds_calls))
    }))
    .await
}

/// An answer to a Step Functions execution says how many RDS calls the step made
/// (`rdsCalls`), whatever the step: the execution's figures sum them from its history
/// (docs/metrics.md). Answers to anything else (EventBridge, a Function URL) stay as they are.
fn with_rds_calls(mut answer: Value, for_execution: bool, rds_calls: u64) -> Value {
    if let (true, Some(fields)) = (for_execution, answer.as_object_mut()) {
        fields.insert(meter::ANSWER_FIELD.to_owned(), rds_calls.into());
    }
    answer
}

/// An error answered to a Step Functions execution says the RDS calls its step made too, at
/// the end of its message ([`meter::tag_error`]: the history keeps only an error's name and
/// cause); notify takes it off again before people read the message.
fn error_with_rds_calls(mut d: Diagnostic, for_execution: bool, rds_calls: u64) -> Diagnostic {
    if for_execution {
        d.error_message = meter::tag_error(d.error_message, rds_calls);
    }
    d
}

/// The error Step Functions sees: `errorType` is the stable name its Retry and Catch match.
fn diagnostic(e: bluegreen::Error) -> Diagnostic {
    let (error_type, error_message) = e.into_report();
    bluegreen::metrics::step_error(error_type);
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message,
    }
}

/// The execution an event comes from. The steps' events carry `execution` as the name (taken
/// out here, so each step sees the event it declares); notify's carries an object with `name`,
/// which it reads itself (left in place).
fn split_execution(mut payload: Value) -> (Value, Option<String>) {
    let Some(event) = payload.as_object_mut() else {
        return (payload, None);
    };
    let execution = match event.get("execution") {
        Some(Value::String(_)) => event
            .remove("execution")
            .and_then(|v| v.as_str().map(str::to_owned)),
        Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    (payload, execution)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_execution_is_taken_out_of_the_event() {
        let (payload, execution) = split_execution(json!({"request": {}, "execution": "run-1"}));
        assert_eq!(payload, json!({"request": {}}));
        assert_eq!(execution.as_deref(), Some("run-1"));
        let notify = json!({"stage": "done", "execution": {"name": "run-2", "id": "arn"}});
        let (payload, execution) = split_execution(notify.clone());
        assert_eq!((payload, execution.as_deref()), (notify, Some("run-2")));
        let (payload, execution) = split_execution(json!([1]));
        assert_eq!((payload, execution), (json!([1]), None));
    }

    #[test]
    fn answers_to_an_execution_say_their_rds_calls() {
        let step = with_rds_calls(json!({"phase": "ready"}), true, 4);
        assert_eq!(step, json!({"phase": "ready", "rdsCalls": 4}));
        let url = json!({"statusCode": 200, "body": ""});
        assert_eq!(
            with_rds_calls(url.clone(), false, 2),
            url,
            "a Function URL's answer"
        );
        assert_eq!(with_rds_calls(json!([1]), true, 1), json!([1]));
    }

    #[test]
    fn errors_to_an_execution_say_their_rds_calls() {
        let failed = || diagnostic(bluegreen::Error::Configuration("x".into()));
        let told = error_with_rds_calls(failed(), true, 3);
        assert_eq!(told.error_type, "ConfigurationError", "the name stays");
        assert_eq!(
            meter::split_error(&told.error_message),
            (failed().error_message.as_str(), 3)
        );
        assert_eq!(
            error_with_rds_calls(failed(), false, 3).error_message,
            failed().error_message,
            "a Function URL's error"
        );
        assert_eq!(
            error_with_rds_calls(failed(), true, 0).error_message,
            failed().error_message,
            "no call, nothing added"
        );
    }

    #[test]
    fn errors_keep_their_stable_name() {
        let d = diagnostic(bluegreen::Error::Configuration("x".into()));
        assert_eq!(d.error_type, "ConfigurationError");
        assert!(d.error_message.contains('x'));
    }
}
