//! The end-to-end tier: the real state machine definition executed by moto's Step Functions
//! engine, its Lambda tasks served by the real function binaries under `cargo lambda watch`.
//!
//! One test binary, so the stack (`e2e::stack::stack`: the functions' build, moto, `cargo
//! lambda watch` and the notification topic) starts once for every module, and the product's
//! state machine is created once (`e2e_support::state_machine`). A new end-to-end test file is
//! a module here (`mod my_case;` below) that uses `crate::e2e_support`.
//!
//! Run one module with `cargo test --workspace --test end_to_end -- e2e_lock::`.

mod e2e_support;

mod e2e_actions;
mod e2e_approvals;
mod e2e_emulator_truth;
mod e2e_failures;
mod e2e_fleet;
mod e2e_hooks;
mod e2e_lock;
mod e2e_metrics;
mod e2e_slack;
mod e2e_template_stack;
mod e2e_upgrade;
mod e2e_waits;
mod e2e_wake_lookup;
mod harness_stepfunctions;
