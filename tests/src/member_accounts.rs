//! member-account.yaml deployed into accounts of a moto server, as StackSets would
//! (tests/tools/member_accounts.py): the roles the hub's functions assume are the template's.

use std::process::Command;

use crate::moto::{python, root, Moto, ACCOUNT, REGION};

/// Deploys the member stack in each of `accounts` (hub `ACCOUNT`, roles in `REGION`), trusting
/// the hub's `external_id`; with `forward_from`, in each of those Regions too, forwarding RDS's
/// events to the hub's bus. Panics with the script's output if it fails; else its lines
/// (`<account> <status> <roles>`, `<account>@<Region> <status> <rules>`).
pub fn deploy(moto: &Moto, external_id: &str, accounts: &[&str], forward_from: &[&str]) -> String {
    let mut command = Command::new(python());
    command
        .arg(root().join("tests/tools/member_accounts.py"))
        .args([moto.endpoint.as_str(), ACCOUNT, external_id, REGION])
        .args(accounts);
    if !forward_from.is_empty() {
        command.args(["--forward-events", &forward_from.join(",")]);
    }
    let out = command.output().expect("run member_accounts.py");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}
