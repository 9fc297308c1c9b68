//! What a wait waits for: the waker matches events and approvals on it.

use serde::{Deserialize, Serialize};

/// The purpose stored beside a waiting token (`waitPurpose` of the lock item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Green being built (RDS-EVENT-0244 / 0245 end it).
    Green,
    /// A switchover in progress (RDS-EVENT-0248 / 0249 and the members' events).
    Switchover,
    /// Old blue or green being deleted (the instance and cluster deletion events).
    Deletion,
    /// Blue's snapshot before the switchover being created (RDS-EVENT-0042 / 0075), or the
    /// switchover window to open (no event: its timer).
    Snapshot,
    /// A person's approval before the switchover.
    ApprovalSwitchover,
    /// A person's approval before old blue is deleted.
    ApprovalCleanup,
    /// A person's approval of a fleet's next wave (`waves.approveBetweenWaves`), stored on
    /// the fleet's item `fleet/<name>`, never a database's.
    ApprovalWave,
}

/// What a person's answer is for (`approval.for`, and `for` in the answer the waiting
/// execution receives): each names one approval purpose, and an answer takes only a wait of
/// that purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalFor {
    /// `switchoverMode: approval`'s wait (the default: answers made before cleanup approvals
    /// existed meant it, and it can never delete anything).
    #[default]
    Switchover,
    /// `cleanupMode: approval`'s wait, before old blue is deleted.
    Cleanup,
    /// A fleet's wait between waves (the fleet state machine's answers only).
    Wave,
}

impl ApprovalFor {
    /// The purpose of the wait this answer may take.
    pub fn purpose(self) -> Purpose {
        match self {
            ApprovalFor::Switchover => Purpose::ApprovalSwitchover,
            ApprovalFor::Cleanup => Purpose::ApprovalCleanup,
            ApprovalFor::Wave => Purpose::ApprovalWave,
        }
    }
}

impl Purpose {
    /// The name stored in the item.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Green => "green",
            Purpose::Switchover => "switchover",
            Purpose::Deletion => "deletion",
            Purpose::Snapshot => "snapshot",
            Purpose::ApprovalSwitchover => "approval-switchover",
            Purpose::ApprovalCleanup => "approval-cleanup",
            Purpose::ApprovalWave => "approval-wave",
        }
    }

    /// Whether a person (not an RDS event) answers this wait.
    pub fn is_approval(self) -> bool {
        matches!(
            self,
            Purpose::ApprovalSwitchover | Purpose::ApprovalCleanup | Purpose::ApprovalWave
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_wire_names() {
        for p in [
            Purpose::Green,
            Purpose::Switchover,
            Purpose::Deletion,
            Purpose::Snapshot,
            Purpose::ApprovalSwitchover,
            Purpose::ApprovalCleanup,
            Purpose::ApprovalWave,
        ] {
            let wire = serde_json::to_value(p).unwrap();
            assert_eq!(wire, serde_json::json!(p.name()));
            assert_eq!(p.is_approval(), p.name().starts_with("approval-"));
        }
        assert!(serde_json::from_value::<Purpose>(serde_json::json!("other")).is_err());
    }

    #[test]
    fn each_answer_takes_only_its_own_purpose() {
        for (answer, purpose) in [
            (ApprovalFor::Switchover, "approval-switchover"),
            (ApprovalFor::Cleanup, "approval-cleanup"),
            (ApprovalFor::Wave, "approval-wave"),
        ] {
            assert_eq!(answer.purpose().name(), purpose);
            // The wire name the state machine joins to `approval-` (the take's condition).
            let wire = serde_json::to_value(answer).unwrap();
            assert_eq!(format!("approval-{}", wire.as_str().unwrap()), purpose);
        }
        assert_eq!(ApprovalFor::default(), ApprovalFor::Switchover);
    }
}
