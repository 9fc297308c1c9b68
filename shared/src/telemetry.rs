//! Logging set-up for the functions: JSON lines (Lambda's JSON log format), level from
//! `AWS_LAMBDA_LOG_LEVEL` (the function's LoggingConfig.ApplicationLogLevel; `RUST_LOG`, when
//! set, overrides it for local runs), no ANSI colours, no timestamps (Lambda adds them).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once per container.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .unwrap_or_else(|_| "info".to_owned())
        .to_lowercase();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .init();
}
