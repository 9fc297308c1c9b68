//! The fleet: one execution that upgrades (or dry-runs) many databases across accounts and
//! Regions, in waves, each database as its own execution of the per-database workflow.
//!
//! The fleet state machine (`statemachine/fleet.asl.json`) reads the manifest, asks the
//! precheck function for a [`plan`] (which validates every database's request and finds the
//! databases of a selection, before anything starts), runs each wave's queues as nested Maps
//! of `startExecution.sync:2`, and asks the notify function to judge each wave against its
//! tolerance ([`outcome`]) and to write the [`report`]. No function waits: Step Functions does.

pub mod discovery;
pub mod manifest;
pub mod outcome;
pub mod plan;
pub mod report;
pub mod request;
