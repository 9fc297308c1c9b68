//! A member account that does not trust the hub: STS refuses AssumeRole (moto patched to honour
//! the role's `sts:ExternalId` condition, tests/tools/moto_patches/sts_trust.py; IAM User Guide
//! "Access to AWS accounts owned by third parties"), and the product says so at once with the
//! member-account fix, instead of retrying a "network error" (the Rust SDK reports a refused
//! AssumeRole as a dispatch failure of the calling operation).

use bluegreen::aws::clients::{Access, ClientFactory, RoleKind};
use bluegreen::aws::deployment;
use bluegreen::input::{Engine, Target};
use e2e::moto::{moto, python, root, REGION};

const EXTERNAL_ID: &str = "member-trust-external-id";

/// member-account.yaml deployed in a fresh account trusting `EXTERNAL_ID`, as StackSets would.
fn member_account() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let account = format!("31{:010}", nanos);
    let out = std::process::Command::new(python())
        .arg(root().join("tests/tools/member_accounts.py"))
        .args([
            moto().endpoint.as_str(),
            e2e::moto::ACCOUNT,
            EXTERNAL_ID,
            REGION,
            &account,
        ])
        .output()
        .expect("run member_accounts.py");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    account
}

fn hub(external_id: &str) -> ClientFactory {
    ClientFactory::with_access(
        moto().sdk_config(REGION),
        Access {
            kind: RoleKind::Read,
            external_id: Some(external_id.to_owned()),
            allowed_accounts: None,
        },
    )
}

fn target(account: &str) -> Target {
    Target {
        account_id: Some(account.to_owned()),
        region: REGION.to_owned(),
        identifier: "orders".to_owned(),
        engine: Engine::AuroraMysql,
        role_arn: Some(format!("arn:aws:iam::{account}:role/rds-bluegreen")),
    }
}

#[tokio::test]
async fn a_member_account_that_does_not_trust_the_hub_is_refused_at_once_with_the_fix() {
    let account = member_account();
    let trusted = hub(EXTERNAL_ID).rds(&target(&account)).unwrap();
    deployment::list(&trusted)
        .await
        .expect("the hub with the member's external id is trusted");

    let untrusted = hub("another-hub-external-id")
        .rds(&target(&account))
        .unwrap();
    let started = std::time::Instant::now();
    let err = deployment::list(&untrusted).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.name(), "AwsCallFailed", "{err}");
    let text = err.to_string();
    for word in [
        "DescribeBlueGreenDeployments",
        "AccessDenied",
        "rds-bluegreen-read",
        "member-account.yaml",
        "external id",
    ] {
        assert!(text.contains(word), "lacks `{word}`: {text}");
    }
    assert!(
        elapsed < std::time::Duration::from_secs(3),
        "refused at once, not retried as a network error: {elapsed:?}"
    );
}
