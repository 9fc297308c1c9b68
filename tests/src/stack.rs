//! The whole local stack an end-to-end run needs: a moto server whose Step Functions engine
//! sends Lambda tasks to `cargo lambda watch`, the functions served with their environment,
//! and the notification topic with a queue to read what was published.
//!
//! notify answers Slack's Approve/Reject clicks (its Function URL's events) with the test
//! app's signing secret, for clicks on the product's state machine, which must be created
//! under [`crate::slack::PRODUCT_STATE_MACHINE`].
//!
//! Waits and Retry intervals are scaled by `E2E_WAIT_SCALE` (default 0.01 here), so a Wait
//! of 300 s takes 3 s.

use std::time::Instant;

use tokio::sync::OnceCell;

use crate::lambda::{build_functions, free_port, CargoLambda, FunctionEnv};
use crate::moto::Moto;
use crate::seed;
use crate::slack::SlackApprovals;
use crate::stepfunctions::StepFunctions;

/// The default wait scale of the stack.
pub const WAIT_SCALE: &str = "0.01";

/// moto + the functions + the notification topic.
#[derive(Debug)]
pub struct Stack {
    pub moto: Moto,
    pub lambda: CargoLambda,
    /// `TOPIC_ARN` of the notify function.
    pub topic_arn: String,
    /// The SQS queue subscribed to the topic (raw delivery): `seed::drain_queue` reads it.
    pub queue_url: String,
    /// How long the start took (build, servers, warm-up).
    pub started_in: std::time::Duration,
}

/// The shared stack of this test binary, started on first use.
pub async fn stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| Stack::start("e2e-notifications"))
        .await
}

impl Stack {
    /// Builds the functions, starts moto and `cargo lambda watch`, creates the topic
    /// `topic_name`, and starts every function once.
    pub async fn start(topic_name: &str) -> Stack {
        let began = Instant::now();
        tokio::task::spawn_blocking(build_functions)
            .await
            .expect("build the functions");
        let lambda_port = free_port();
        let lambda_endpoint = format!("http://127.0.0.1:{lambda_port}");
        let scale = std::env::var("E2E_WAIT_SCALE").unwrap_or_else(|_| WAIT_SCALE.to_owned());
        let moto = Moto::start(&[
            ("E2E_LAMBDA_ENDPOINT", lambda_endpoint.as_str()),
            ("E2E_WAIT_SCALE", scale.as_str()),
        ]);
        let (topic_arn, queue_url) = seed::topic_with_queue(&moto, topic_name).await;
        seed::lock_table(&moto).await;
        let env = FunctionEnv {
            aws_endpoint: moto.endpoint.clone(),
            topic_arn: topic_arn.clone(),
            slack_secret_arn: "none".to_owned(),
            slack_approvals: Some(SlackApprovals::create(&moto).await),
        };
        let lambda = tokio::task::spawn_blocking(move || CargoLambda::start(lambda_port, &env))
            .await
            .expect("start cargo lambda");
        lambda.warm_up().await;
        Stack {
            moto,
            lambda,
            topic_arn,
            queue_url,
            started_in: began.elapsed(),
        }
    }

    /// A Step Functions client for this stack's moto.
    pub fn sfn(&self) -> StepFunctions {
        StepFunctions::new(&self.moto.endpoint)
    }
}
