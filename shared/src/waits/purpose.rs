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
        }
    }

    /// Whether a person (not an RDS event) answers this wait.
    pub fn is_approval(self) -> bool {
        matches!(self, Purpose::ApprovalSwitchover | Purpose::ApprovalCleanup)
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
        ] {
            let wire = serde_json::to_value(p).unwrap();
            assert_eq!(wire, serde_json::json!(p.name()));
            assert_eq!(p.is_approval(), p.name().starts_with("approval-"));
        }
        assert!(serde_json::from_value::<Purpose>(serde_json::json!("other")).is_err());
    }
}
