//! The key of a database's lock: its canonical identity, the same for every spelling.
//!
//! RDS compares identifiers without case and stores them in lowercase ("DB instance
//! identifiers are case insensitive, but are stored as all lowercase", CreateDBInstance and
//! CreateDBCluster API references:
//! <https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html>), so
//! `Orders` and `orders` are one database. The account is the one whose credentials reach the
//! database: the role's account when `target.roleArn` names one, else the account the
//! functions run in, whatever `target.accountId` says or omits (a different value is refused).
//!
//! The key names the production name, not a resource id: a switchover moves the production
//! name to green's resource id, and the lock must keep protecting what people call the database.

use std::fmt;

use crate::error::Error;
use crate::input::Target;

/// One database, as the lock knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseKey {
    pub account: String,
    pub region: String,
    /// The identifier as RDS compares it (lowercase).
    pub identifier: String,
}

impl DatabaseKey {
    /// The key of a validated target. `caller_account` is the account of the functions' own
    /// credentials (STS GetCallerIdentity), used when the target names no role.
    pub fn of(target: &Target, caller_account: &str) -> Result<DatabaseKey, Error> {
        let account = match &target.role_arn {
            Some(role) => role_account(role)?.to_owned(),
            None => caller_account.to_owned(),
        };
        if let Some(given) = &target.account_id {
            if *given != account {
                let fix = match &target.role_arn {
                    Some(_) => format!("set target.accountId to `{account}` (the account of target.roleArn), or give target.roleArn of a role in account {given}"),
                    None => format!("set target.accountId to `{account}`, or omit it; for a database in account {given}, give target.roleArn of that account's roles (member-account.yaml)"),
                };
                let reach = match &target.role_arn {
                    Some(_) => "target.roleArn reaches account",
                    None => "the functions run in account",
                };
                return Err(Error::invalid(
                    "target.accountId",
                    format!("is {given}, but {reach} {account}"),
                    fix,
                ));
            }
        }
        Ok(DatabaseKey {
            account,
            region: target.region.to_ascii_lowercase(),
            identifier: target.identifier.to_ascii_lowercase(),
        })
    }
}

/// The 12-digit account of an IAM role ARN (`arn:aws:iam::123456789012:role/name`).
fn role_account(role: &str) -> Result<&str, Error> {
    role.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            Error::invalid(
                "target.roleArn",
                format!("`{role}` names no 12-digit account"),
                "name the member account's roles, e.g. `arn:aws:iam::123456789012:role/rds-bluegreen`",
            )
        })
}

impl fmt::Display for DatabaseKey {
    /// `<account>/<region>/<identifier>`: the item's `lockKey`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.account, self.region, self.identifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Engine;

    fn target(account: Option<&str>, identifier: &str, role: Option<&str>) -> Target {
        Target {
            account_id: account.map(str::to_owned),
            region: "eu-west-1".into(),
            identifier: identifier.into(),
            engine: Engine::AuroraMysql,
            role_arn: role.map(str::to_owned),
        }
    }

    const HUB: &str = "111111111111";
    const MEMBER: &str = "222222222222";
    const ROLE: &str = "arn:aws:iam::222222222222:role/rds-bluegreen";

    #[test]
    fn every_spelling_of_one_database_is_one_key() {
        let keys: Vec<String> = [
            target(None, "orders", None),
            target(Some(HUB), "orders", None),
            target(None, "Orders", None),
            target(Some(HUB), "ORDERS", None),
        ]
        .iter()
        .map(|t| DatabaseKey::of(t, HUB).unwrap().to_string())
        .collect();
        assert!(
            keys.iter().all(|k| k == "111111111111/eu-west-1/orders"),
            "{keys:?}"
        );
        let member: Vec<String> = [
            target(None, "orders", Some(ROLE)),
            target(Some(MEMBER), "Orders", Some(ROLE)),
        ]
        .iter()
        .map(|t| DatabaseKey::of(t, HUB).unwrap().to_string())
        .collect();
        assert!(
            member.iter().all(|k| k == "222222222222/eu-west-1/orders"),
            "{member:?}"
        );
    }

    #[test]
    fn an_account_that_is_not_the_one_reached_is_refused_naming_target_account_id() {
        let e = DatabaseKey::of(&target(Some(MEMBER), "orders", None), HUB).unwrap_err();
        assert_eq!(e.field(), Some("target.accountId"));
        let text = e.to_string();
        assert!(
            text.contains(HUB) && text.contains("target.roleArn"),
            "{text}"
        );
    }
}
