//! The test harness: local AWS (moto), the local stack, the stack deployed from template.yaml,
//! and seed data. The test files in `tests/tests/` use it.

pub mod events;
pub mod faults;
pub mod hook_echo;
pub mod lambda;
pub mod member_accounts;
pub mod moto;
pub mod seed;
pub mod seed_precheck;
pub mod slack;
pub mod stack;
pub mod stepfunctions;
pub mod template_stack;
