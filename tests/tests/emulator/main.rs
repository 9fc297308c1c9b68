//! The emulator tier: the product's steps, prechecks and notifications, and the harness's own
//! emulation of AWS, against moto's server on 127.0.0.1 (no Step Functions, no Lambda).
//!
//! One test binary, so the AWS SDK is linked once and one moto server (`e2e::moto::moto`,
//! started on first use) serves every module: tests name their resources with
//! `e2e::moto::unique` and read listings to their last page, since the server holds what
//! every module created. `harness_waits` and `harness_switchover::timed` start servers of
//! their own with other wait settings.
//!
//! Run one module with `cargo test --workspace --test emulator -- precheck_moto::`.

mod harness_support;
mod notify_support;

mod board_moto;
mod delete_old_guards;
mod engine_catalog;
mod harness_consistency;
mod harness_deletions;
mod harness_events;
mod harness_faults;
mod harness_smoke;
mod harness_switchover;
mod harness_waits;
mod lock_table;
mod member_trust;
mod notify_approvals;
mod notify_secrets;
mod notify_slack;
mod notify_sns;
mod permissions_preflight;
mod precheck_moto;
mod steps_lifecycle;
mod world_moto;
