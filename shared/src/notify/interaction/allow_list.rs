//! Who may answer an approval from Slack: the Slack user ids of the `SlackApprovers`
//! parameter. Empty means nobody: a Slack app installed in a workspace does not by itself
//! let its members approve production changes. Ids, not names: a display name can be
//! changed by its owner, a user id cannot.

use std::collections::BTreeSet;

use crate::error::Error;

/// The Slack user ids allowed to approve or reject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(BTreeSet<String>);

impl AllowList {
    /// Reads a comma-separated list (`U012ABCDEF,W0123456`); spaces and empty entries are
    /// ignored, anything that is not a Slack user id fails the cold start, naming it.
    pub fn parse(list: &str, setting: &str) -> Result<AllowList, Error> {
        let mut ids = BTreeSet::new();
        for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !is_user_id(id) {
                return Err(Error::Configuration(format!(
                    "{setting}: `{}` is not a Slack user id (U or W and capital letters or digits, e.g. U012ABCDEF: the profile's \"Copy member ID\")",
                    crate::notify::format::truncate(id, 40)
                )));
            }
            ids.insert(id.to_owned());
        }
        Ok(AllowList(ids))
    }

    /// Whether `user_id` may answer.
    pub fn permits(&self, user_id: &str) -> bool {
        self.0.contains(user_id)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// `U…` or `W…` (Enterprise Grid), then capital letters and digits.
fn is_user_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('U' | 'W'))
        && (8..=20).contains(&id.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_on_the_list_are_permitted_and_no_one_else() {
        let list = AllowList::parse(" U012ABCDEF, W0123456789 ,,", "SLACK_APPROVERS").unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.permits("U012ABCDEF"));
        assert!(list.permits("W0123456789"));
        for other in ["U0OTHER01", "u012abcdef", "U012ABCDEF ", "", "jane"] {
            assert!(!list.permits(other), "{other}");
        }
    }

    #[test]
    fn an_empty_list_permits_nobody() {
        for empty in ["", " ", ",,"] {
            let list = AllowList::parse(empty, "SLACK_APPROVERS").unwrap();
            assert!(list.is_empty());
            assert!(!list.permits("U012ABCDEF"));
        }
    }

    #[test]
    fn names_instead_of_ids_fail_the_cold_start() {
        for bad in ["@jane", "jane.doe", "U01 2", "C012ABCDEF", "U1"] {
            let err =
                AllowList::parse(&format!("U012ABCDEF,{bad}"), "SLACK_APPROVERS").unwrap_err();
            assert_eq!(err.name(), "ConfigurationError");
            assert!(err.to_string().contains("SLACK_APPROVERS"), "{err}");
        }
    }
}
