//! The logic of the RDS / Aurora Blue/Green automation.
//!
//! The Lambda binaries in `functions/` are thin: each parses its event, builds clients once and
//! calls one of [`steps`]. Everything here is plain async Rust over the AWS SDK, with no
//! dependency on the Lambda runtime, so it is tested directly against an emulator or mocks.

pub mod aws;
pub mod board;
pub mod error;
pub mod fleet;
pub mod hooks;
pub mod input;
pub mod lock;
pub mod metrics;
pub mod naming;
pub mod notify;
pub mod parity;
pub mod precheck;
pub mod readiness;
pub mod resume;
pub mod steps;
pub mod telemetry;
pub mod waits;
pub mod window;

pub use error::Error;
