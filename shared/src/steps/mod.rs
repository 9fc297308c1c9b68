//! One module per Lambda function: the event it takes from the state machine, what it
//! answers, and the step itself. A function's `main` only wires a handler here to the runtime.
//!
//! Steps that wait for AWS (a snapshot, a reboot, a deletion) never sleep: they start the work
//! and answer [`Progress::InProgress`] with the wait they suggest; the state machine waits and
//! calls them again until they answer [`Progress::Done`]. Every call re-reads the world first,
//! so any step may run again after a crash, a retry or a redrive.

pub mod create;
pub mod delete_old;
pub mod fleet;
pub mod notify;
pub mod poll_status;
pub mod precheck;
pub mod restore_roles;
pub mod switchover;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::input::Request;

/// Parses a step's event; a shape the step does not accept is `InvalidInput` naming the field.
pub fn parse_event<T: DeserializeOwned>(event: serde_json::Value) -> Result<T, Error> {
    crate::input::deserialize(event, "check the state machine's Parameters for this step")
}

/// The event of the steps that act on a deployment (poll-status, switchover, delete-old).
/// `deployment` is absent when an execution starts at switchover, cleanup or abandon: the
/// step then locates it; `poll` counts the calls of a wait loop.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentEvent<Op> {
    pub operation: Op,
    pub request: serde_json::Value,
    #[serde(default)]
    pub deployment: Option<crate::aws::deployment::DeploymentRef>,
    #[serde(default)]
    pub poll: Poll,
}

/// Parses and validates the request every event carries.
pub fn parse_request(request: &serde_json::Value) -> Result<Request, Error> {
    Request::from_value(request.clone())
}

/// The poll counter the state machine carries through a wait loop (`$.poll` and friends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    /// How many times this loop has polled so far.
    #[serde(default)]
    pub attempt: u32,
}

impl Poll {
    /// The next poll, or `WaitTimedOut` when the request's budget is used up.
    pub fn next(self, stage: &str, max_polls: u32) -> Result<Poll, Error> {
        if self.attempt >= max_polls {
            return Err(Error::WaitTimedOut {
                stage: stage.to_owned(),
                attempts: self.attempt,
            });
        }
        Ok(Poll {
            attempt: self.attempt + 1,
        })
    }

    /// The wait before the next poll: short while things usually change quickly, longer as
    /// the wait grows, so hours of green creation cost few state transitions.
    pub fn next_wait_seconds(self) -> u32 {
        match self.attempt {
            0..=3 => 30,
            4..=9 => 60,
            10..=19 => 120,
            _ => 300,
        }
    }
}

/// What an "in progress" answer carries for the state machine's next wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tick {
    /// The `poll.attempt` to send with the next call.
    pub attempt: u32,
    /// How long the state machine waits before that call.
    pub next_wait_seconds: u32,
}

impl Poll {
    /// The answer of a loop that is over: the same attempt, no wait (the state machine goes
    /// on without reading the wait).
    pub fn settled(self) -> Tick {
        Tick {
            attempt: self.attempt,
            next_wait_seconds: 0,
        }
    }

    /// Counts one more poll of `stage` (failing with `WaitTimedOut` past the budget) and says
    /// how long to wait before the next.
    pub fn tick(self, stage: &str, max_polls: u32) -> Result<Tick, Error> {
        let next = self.next(stage, max_polls)?;
        Ok(Tick {
            attempt: next.attempt,
            next_wait_seconds: self.next_wait_seconds(),
        })
    }
}

/// The answer of a step that waits for AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Progress {
    /// Work was started or is still running: wait `nextWaitSeconds` and call again.
    InProgress,
    /// Nothing left to do.
    Done,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_budget_is_enforced() {
        let p = Poll { attempt: 2 };
        assert_eq!(p.next("green", 3).unwrap().attempt, 3);
        let err = Poll { attempt: 3 }.next("green", 3).unwrap_err();
        assert_eq!(err.name(), "WaitTimedOut");
        assert!(err.to_string().contains("green"));
    }

    #[test]
    fn waits_grow_and_are_capped() {
        let waits: Vec<u32> = [0, 4, 10, 20, 500]
            .iter()
            .map(|&attempt| Poll { attempt }.next_wait_seconds())
            .collect();
        assert_eq!(waits, [30, 60, 120, 300, 300]);
    }

    #[test]
    fn bad_event_names_the_field() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct E {
            request: serde_json::Value,
        }
        let err = parse_event::<E>(serde_json::json!({})).unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("`request`"), "{err}");
    }
}
