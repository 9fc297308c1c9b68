//! What the state machine hands a step about the lock it holds, and how long a holder may go
//! without touching its item.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::input::{CleanupMode, Request, SwitchoverMode};

/// The lock an execution holds: the item's key and the execution's ARN (`$$.Execution.Id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub key: String,
    pub holder: String,
}

/// The longest any one stretch between two touches of the item can last: a wait loop at its
/// poll budget (a listening wait reads at least every 10 minutes, [`crate::waits`]; the
/// others are capped at 5 minutes), the grace period, the switchover window, the approval
/// wait, and a
/// day for retries. Generous on purpose: the expiry is the backstop for a holder that vanished
/// unseen (the status rule and the reaper release the others within minutes), and a holder
/// still working past it loses its lock at its next change rather than acting beside another.
pub fn bound(request: &Request, now: SystemTime) -> Duration {
    let polls = Duration::from_secs(u64::from(request.options.max_polls) * 600);
    let grace = Duration::from_secs(request.options.grace_period_seconds.into());
    let window = request
        .window()
        .ok()
        .flatten()
        .and_then(|w| w.closes.duration_since(now).ok())
        .unwrap_or_default();
    // Each approval wait (before the switchover, before the cleanup) lasts at most the timeout.
    let waits = u32::from(request.options.switchover_mode == SwitchoverMode::Approval)
        + u32::from(request.options.cleanup_mode == CleanupMode::Approval);
    let approval =
        Duration::from_secs(u64::from(request.options.approval_timeout()) * u64::from(waits));
    polls + grace + window + approval + Duration::from_secs(86_400)
}

/// Seconds since the epoch (DynamoDB's TTL attribute is a Number of epoch seconds:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html>).
pub fn epoch_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// What this request will do, as tokens a second execution compares with its own (`covers`):
/// an upgrade that will switch over and clean up covers a `switchover` or `cleanup` asked
/// meanwhile; two identical requests cover each other. Options that change what is done are
/// part of the upgrade's and switchover's tokens (a digest of them), so a different target
/// version is never "the same work".
pub fn covers(request: &Request) -> Vec<String> {
    use crate::input::Action;
    let digest = options_digest(request);
    let cleans_up = request.options.delete_old_blue;
    let switches = request.options.switchover_mode != SwitchoverMode::Manual;
    let mut tokens = Vec::new();
    match request.action {
        Action::Upgrade => {
            tokens.push(format!("upgrade:{digest}"));
            if switches {
                tokens.push("switchover".to_owned());
                if cleans_up {
                    tokens.push("cleanup".to_owned());
                }
            }
        }
        Action::Switchover => {
            tokens.push("switchover".to_owned());
            if cleans_up {
                tokens.push("cleanup".to_owned());
            }
        }
        Action::Cleanup => tokens.push("cleanup".to_owned()),
        Action::Abandon => tokens.push("abandon".to_owned()),
        Action::DryRun | Action::Approve | Action::Reject => {}
    }
    tokens
}

/// The token a request asks for, compared with the holder's [`covers`].
pub fn asks(request: &Request) -> String {
    covers(request).into_iter().next().unwrap_or_default()
}

/// FNV-1a of the options' canonical JSON: stable across releases and processes (unlike
/// `std`'s hasher), short enough for a token.
fn options_digest(request: &Request) -> String {
    let text = serde_json::to_string(&request.options).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: serde_json::Value) -> Request {
        crate::steps::parse_request(&v).unwrap()
    }

    fn upgrade(options: serde_json::Value) -> serde_json::Value {
        json!({"action": "upgrade", "target": {"region": "eu-west-1", "identifier": "orders", "engine": "aurora-mysql"}, "options": options})
    }

    #[test]
    fn an_upgrade_covers_the_cleanup_it_will_do_and_only_its_own_options() {
        let up = request(upgrade(
            json!({"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}),
        ));
        let tokens = covers(&up);
        let mut cleanup = upgrade(json!({}));
        cleanup["action"] = json!("cleanup");
        assert!(tokens.contains(&asks(&request(cleanup))), "{tokens:?}");
        assert!(
            tokens.contains(&asks(&up)),
            "the same upgrade is the same work"
        );
        let other = request(upgrade(
            json!({"targetEngineVersion": "8.0.mysql_aurora.3.09.0"}),
        ));
        assert!(
            !tokens.contains(&asks(&other)),
            "another version is other work"
        );
        let keep = request(upgrade(json!({"deleteOldBlue": false})));
        assert!(!covers(&keep).contains(&"cleanup".to_owned()));
        let manual = request(upgrade(json!({"switchoverMode": "manual"})));
        assert_eq!(
            covers(&manual).len(),
            1,
            "a manual upgrade stops before switchover"
        );
    }

    #[test]
    fn the_bound_covers_the_poll_budget_the_grace_period_and_a_day() {
        let r = request(upgrade(json!({"gracePeriodSeconds": 3600, "maxPolls": 10})));
        assert_eq!(
            bound(&r, SystemTime::now()),
            Duration::from_secs(6000 + 3600 + 86_400)
        );
    }
}
