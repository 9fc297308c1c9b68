//! Adapters over the AWS APIs: clients per target and the reads every step shares.

pub mod arn;
pub mod clients;
pub mod database;
pub mod deployment;
pub mod enrolment;
pub mod events;
pub mod global;
pub mod http;
pub mod identity;
pub mod integrations;
pub mod meter;
pub mod proxy;
pub mod roles;
pub mod snapshot;
