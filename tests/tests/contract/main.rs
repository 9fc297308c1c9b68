//! The pure tier of the integration tests: no emulator, no network, seconds to run.
//!
//! - `statemachine_contract`: the state machine definition against the functions' answers,
//!   errors and input (with `contract_support`, every answer variant of every step);
//! - `notify_messages`: the message of every notification stage, from the steps' answers.
//! - `refusal_fields`: every refusal's fix names the field its check read.
//!
//! Run it with `cargo test --workspace --test contract`.

mod contract_support;

mod approval_contract;
mod dashboard;
mod hook_contract;
mod notify_messages;
mod refusal_fields;
mod statemachine_contract;
