//! The pure tier of the integration tests: no emulator, no network, seconds to run.
//!
//! - `statemachine_contract`: the state machine definition against the functions' answers,
//!   errors and input (with `contract_support`, every answer variant of every step);
//! - `notify_messages`: the message of every notification stage, from the steps' answers.
//! - `refusal_fields`: every refusal's fix names the field its check read.
//! - `lock_table_contract`: the lock table's indexes (template, test stack) and the wake
//!   machine's Query on them.
//!
//! Run it with `cargo test --workspace --test contract`.

mod contract_support;

mod approval_contract;
mod dashboard;
mod hook_contract;
mod lock_table_contract;
mod notify_messages;
mod refusal_fields;
mod statemachine_contract;
