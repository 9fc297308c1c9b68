//! The RDS calls one invocation makes, counted where every RDS client of the product is made
//! ([`rds_client`]), so each function can say in its answer how many it made and an
//! execution's figures can sum them (docs/metrics.md, "An upgrade's figures").
//!
//! What is counted: every request sent to RDS, retries included (an SDK interceptor's
//! `read_before_transmit`, which runs once per attempt just before it goes out:
//! <https://docs.rs/aws-smithy-runtime-api/latest/aws_smithy_runtime_api/client/interceptors/trait.Intercept.html>).
//! A request that never left (credentials refused, endpoint unknown) is not a call.
//!
//! An invocation that answers an error says its count too: Step Functions keeps only an
//! error's name and cause (`TaskFailed`), and a Lambda error's cause is its
//! `{"errorType", "errorMessage"}`, so the count ends the message ([`tag_error`]), where
//! [`split_error`] finds it for the history and takes it off for people.
//!
//! The count lives in a task-local cell that [`metered`] opens around one invocation: no
//! global state, so invocations (and tests running side by side) never mix their counts;
//! outside [`metered`] nothing is counted.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The member of a step's answer that says how many RDS calls it made (added by the
/// functions' runtime, read back from the execution's history by [`crate::metrics::history`]).
pub const ANSWER_FIELD: &str = "rdsCalls";

/// How an error's message ends when it carries its invocation's count: ` [rdsCalls: 3]`.
const ERROR_TAG: &str = " [rdsCalls: ";

tokio::task_local! {
    static RDS_CALLS: Arc<AtomicU64>;
}

/// Runs `work` with a fresh RDS call count; answers its result and the calls it made.
pub async fn metered<F: Future>(work: F) -> (F::Output, u64) {
    let count = Arc::new(AtomicU64::new(0));
    let out = RDS_CALLS.scope(count.clone(), work).await;
    (out, count.load(Ordering::Relaxed))
}

/// The RDS calls made so far inside the current [`metered`] work (0 outside it).
pub fn rds_calls_so_far() -> u64 {
    RDS_CALLS
        .try_with(|c| c.load(Ordering::Relaxed))
        .unwrap_or(0)
}

/// `message` ending with the RDS calls its invocation made (as it was without any).
pub fn tag_error(message: String, calls: u64) -> String {
    if calls == 0 {
        return message;
    }
    format!("{message}{ERROR_TAG}{calls}]")
}

/// An error message without its count ([`tag_error`]), and the count (0 when it has none).
pub fn split_error(message: &str) -> (&str, u64) {
    message
        .strip_suffix(']')
        .and_then(|m| m.rsplit_once(ERROR_TAG))
        .and_then(|(human, n)| Some((human, n.parse().ok()?)))
        .unwrap_or((message, 0))
}

/// An RDS client whose every request is counted.
pub fn rds_client(config: &aws_config::SdkConfig) -> aws_sdk_rds::Client {
    let config = aws_sdk_rds::config::Builder::from(config)
        .interceptor(CountRdsCalls)
        .build();
    aws_sdk_rds::Client::from_conf(config)
}

/// Adds one to the invocation's count for each request about to be sent.
#[derive(Debug)]
struct CountRdsCalls;

impl Intercept for CountRdsCalls {
    fn name(&self) -> &'static str {
        "CountRdsCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = RDS_CALLS.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    #[tokio::test]
    async fn each_request_of_a_metered_invocation_counts_once_and_nothing_outside() {
        let rule = mock!(aws_sdk_rds::Client::describe_db_clusters)
            .then_output(|| DescribeDbClustersOutput::builder().build());
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&rule], |c| c
            .interceptor(CountRdsCalls));
        let ((), calls) = metered(async {
            for _ in 0..3 {
                rds.describe_db_clusters().send().await.unwrap();
            }
            assert_eq!(rds_calls_so_far(), 3, "what the invocation made so far");
        })
        .await;
        assert_eq!(calls, 3);
        rds.describe_db_clusters().send().await.unwrap();
        assert_eq!(rds_calls_so_far(), 0, "outside a metered invocation");
        let ((), again) = metered(async {}).await;
        assert_eq!(again, 0, "each invocation starts from zero");
    }

    #[test]
    fn an_error_message_carries_its_count_and_gives_it_back() {
        let tagged = tag_error("green failed: INVALID_CONFIGURATION".into(), 3);
        assert_eq!(tagged, "green failed: INVALID_CONFIGURATION [rdsCalls: 3]");
        assert_eq!(
            split_error(&tagged),
            ("green failed: INVALID_CONFIGURATION", 3)
        );
        assert_eq!(tag_error("no call".into(), 0), "no call", "nothing to say");
        for plain in [
            "no call",
            "a list [a, b]",
            "[rdsCalls: x]",
            "text [rdsCalls: -1]",
            "",
        ] {
            assert_eq!(split_error(plain), (plain, 0), "{plain}");
        }
        assert_eq!(
            split_error("a [rdsCalls: 1] quoted [rdsCalls: 2]"),
            ("a [rdsCalls: 1] quoted", 2),
            "only the last words count"
        );
    }
}
