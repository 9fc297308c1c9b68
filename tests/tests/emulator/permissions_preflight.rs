//! The dry run's permissions preflight against moto's IAM, with the member roles deployed from
//! member-account.yaml itself (tests/tools/member_accounts.py) and moto's SimulatePrincipalPolicy
//! patched to evaluate their policies as AWS documents the API
//! (tests/tools/moto_patches/iam_simulate.py): complete roles give no finding; a role missing
//! one permission gives that denial, naming the role, the call and the statement to fix.

use bluegreen::aws::clients::{Access, ClientFactory, RoleKind};
use bluegreen::precheck::Report;
use e2e::moto::{moto, unique, REGION};
use serde_json::json;

/// A member account of this module only (moto keeps one world per account).
const MEMBER: &str = "410000000017";

fn deploy_member_account() {
    let text = e2e::member_accounts::deploy(moto(), "preflight-external-id-0", &[MEMBER], &[]);
    assert!(
        text.contains(&format!("{MEMBER} CREATE_COMPLETE")),
        "{text}"
    );
}

async fn dry_run(id: &str) -> Report {
    // The member roles require the hub's external id (member-account.yaml; sts_trust.py).
    let access = Access {
        external_id: Some("preflight-external-id-0".into()),
        ..Access::local(RoleKind::Read)
    };
    let clients = ClientFactory::with_access(moto().sdk_config(REGION), access);
    let event = json!({"request": {"action": "dry-run", "target": {
        "accountId": MEMBER, "region": REGION, "identifier": id, "engine": "aurora-mysql",
        "roleArn": format!("arn:aws:iam::{MEMBER}:role/rds-bluegreen"),
    }}});
    bluegreen::steps::precheck::handle(event, &clients)
        .await
        .expect("a dry run answers its report")
}

fn permission_findings(report: &Report) -> Vec<&bluegreen::precheck::Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.id == "permissions")
        .collect()
}

/// Percent-decoding of the policy document IAM returns URL-encoded (GetRolePolicy).
fn url_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

/// Takes `action` out of the statement `sid` of the member switchover role's policy.
async fn remove_from_switchover_role(sid: &str, action: &str) {
    let iam = aws_sdk_iam::Client::new(
        &moto()
            .sdk_config_in(MEMBER, REGION, "OrganizationAccountAccessRole")
            .await,
    );
    let got = iam
        .get_role_policy()
        .role_name("rds-bluegreen-switchover")
        .policy_name("switchover")
        .send()
        .await
        .expect("the switchover role's policy");
    let text = got.policy_document();
    // AWS returns the document URL-encoded; moto 5.2.5 returns a policy CloudFormation created
    // as Python's repr of it (single quotes), which this policy (no quote inside a value) allows
    // reading back as JSON.
    let mut doc: serde_json::Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(&url_decoded(text)))
        .or_else(|_| serde_json::from_str(&text.replace('\'', "\"")))
        .expect("a JSON policy");
    let statement = doc["Statement"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["Sid"] == sid)
        .expect("the statement");
    let actions = statement["Action"].as_array_mut().unwrap();
    let before = actions.len();
    actions.retain(|a| a != action);
    assert_eq!(actions.len(), before - 1, "{action} was in {sid}");
    iam.put_role_policy()
        .role_name("rds-bluegreen-switchover")
        .policy_name("switchover")
        .policy_document(doc.to_string())
        .send()
        .await
        .expect("put the narrowed policy");
}

#[tokio::test]
async fn a_dry_run_reports_the_one_permission_a_member_role_lacks_and_none_for_complete_roles() {
    deploy_member_account();
    let id = unique("preflight");
    let member_rds = aws_sdk_rds::Client::new(
        &moto()
            .sdk_config_in(MEMBER, REGION, "OrganizationAccountAccessRole")
            .await,
    );
    e2e::seed::aurora_mysql_with(&member_rds, &id, 1).await;

    let complete = dry_run(&id).await;
    assert!(
        permission_findings(&complete).is_empty(),
        "{:#?}",
        complete.findings
    );
    assert!(
        complete.not_checked.iter().all(|n| n.id != "permissions"),
        "{:#?}",
        complete.not_checked
    );

    remove_from_switchover_role("SwitchOverOnTheCallersBehalf", "rds:ModifyDBCluster").await;
    let narrowed = dry_run(&id).await;
    let found = permission_findings(&narrowed);
    assert!(!narrowed.passed, "a denial blocks");
    // Blue, and green during switchover: the one call the role may no longer make.
    assert_eq!(found.len(), 2, "{found:#?}");
    for f in &found {
        assert!(
            f.message.starts_with(&format!(
                "role arn:aws:iam::{MEMBER}:role/rds-bluegreen-switchover may not rds:ModifyDBCluster on arn:aws:rds:{REGION}:{MEMBER}:cluster:{id}"
            )),
            "{}",
            f.message
        );
        assert!(f.message.ends_with("(implicitDeny)"), "{}", f.message);
        assert!(
            f.fix.contains(
                "member-account.yaml SwitchoverRole, statement SwitchOverOnTheCallersBehalf"
            ),
            "{}",
            f.fix
        );
    }
    assert!(
        narrowed.report.contains("rds:ModifyDBCluster"),
        "{}",
        narrowed.report
    );
}

/// A same-account database whose stack names no hub roles: the rule says it was not checked.
#[tokio::test]
async fn without_hub_roles_a_same_account_dry_run_says_permissions_were_not_checked() {
    let id = unique("preflight-hub");
    e2e::seed::aurora_mysql(moto(), &id, 0).await;
    // The member roles require the hub's external id (member-account.yaml; sts_trust.py).
    let access = Access {
        external_id: Some("preflight-external-id-0".into()),
        ..Access::local(RoleKind::Read)
    };
    let clients = ClientFactory::with_access(moto().sdk_config(REGION), access);
    let event = json!({"request": {"action": "dry-run", "target": {
        "region": REGION, "identifier": id, "engine": "aurora-mysql",
    }}});
    let report = bluegreen::steps::precheck::handle(event, &clients)
        .await
        .unwrap();
    assert!(permission_findings(&report).is_empty());
    let skipped = report
        .not_checked
        .iter()
        .find(|n| n.id == "permissions")
        .expect("listed");
    assert!(
        skipped.reason.contains("HUB_ROLE_ARNS"),
        "{}",
        skipped.reason
    );
}
