//! The test harness: local AWS (moto) and seed data. The test files in `tests/tests/` use it.

pub mod faults;
pub mod lambda;
pub mod moto;
pub mod seed;
pub mod seed_precheck;
pub mod stack;
pub mod stepfunctions;
