//! The fleet: one execution that upgrades (or dry-runs) many databases across accounts and
//! Regions, in waves, each database as its own execution of the per-database workflow.
//!
//! The fleet state machine (`statemachine/fleet.asl.json`) asks the precheck function for a
//! [`plan`] (which reads the manifest, validates every database's request, finds the databases
//! of a selection and their support dates, and writes the batches of queues to S3 before
//! anything starts), runs each batch as a Distributed Map (`ItemReader` over the batch's
//! queues, each queue a child workflow running `startExecution.sync:2` one database after
//! another, `ResultWriter` to S3), and asks the notify function to judge each batch against
//! the wave's tolerance ([`outcome`], [`results`]) and to write the [`report`]. No function
//! waits: Step Functions does. Files: [`store`].

pub mod answer;
pub mod discovery;
pub mod lifecycle;
pub mod manifest;
pub mod outcome;
pub mod plan;
pub mod report;
pub mod request;
pub mod results;
pub mod store;
