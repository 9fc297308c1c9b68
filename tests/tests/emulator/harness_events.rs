//! Events between accounts and Regions, as member-account.yaml deploys them and EventBridge
//! delivers them (tests/tools/moto_patches/event_delivery.py): an RDS event in a member
//! account's other Region reaches the hub's default bus as RDS sent it (its account, Region, id
//! and resources), so the hub's waits can end on it; and it goes no further than the hub.

use std::time::Duration;

use e2e::events::{queue_for, received, rule};
use e2e::moto::{moto, REGION};
use serde_json::{json, Value};

/// Accounts of this module only (moto keeps one world per account): a member whose stack
/// forwards from two Regions, and a third account the hub would pass events on to.
const MEMBER: &str = "410000000031";
const THIRD: &str = "410000000032";
const OTHER_REGION: &str = "us-west-2";
const ROLE: &str = "OrganizationAccountAccessRole";

/// member-account.yaml in `MEMBER`, as StackSets deploys it to two Regions: the roles in
/// `REGION` only (RolesRegion), the forwarding rule in both.
fn deploy_member_account() {
    let text = e2e::member_accounts::deploy(
        moto(),
        "events-external-id-0",
        &[MEMBER],
        &[REGION, OTHER_REGION],
    );
    assert!(
        text.contains(&format!("{MEMBER} CREATE_COMPLETE rds-bluegreen-create,"))
            && text.contains(&format!(
                "{MEMBER}@{OTHER_REGION} CREATE_COMPLETE rds-bluegreen-member-RdsEventForwardRule-"
            )),
        "{text}"
    );
}

fn is_snapshot_created(event: &Value) -> bool {
    event["detail"]["EventID"] == "RDS-EVENT-0042"
}

#[tokio::test]
async fn a_member_accounts_rds_event_reaches_the_hub_as_rds_sent_it_and_goes_no_further() {
    deploy_member_account();
    let hub = moto().sdk_config(REGION);
    let member = moto().sdk_config_in(MEMBER, OTHER_REGION, ROLE).await;
    let third = moto().sdk_config_in(THIRD, REGION, ROLE).await;
    // On the hub's bus, a rule for this member's RDS events only: a rule with an account field
    // matches only events from that account (PutPermission), so it sees the member's events
    // only if they arrive with the member's account.
    let at_hub = queue_for(
        moto(),
        &hub,
        "events-at-hub",
        json!({"source": ["aws.rds"], "account": [MEMBER]}),
    )
    .await;
    // The hub passes the member's RDS events on to a third account, which would queue them.
    let at_third = queue_for(
        moto(),
        &third,
        "events-at-third",
        json!({"source": ["aws.rds"]}),
    )
    .await;
    rule(
        moto(),
        &hub,
        "events-onward",
        json!({"source": ["aws.rds"], "account": [MEMBER]}),
        &format!("arn:aws:events:{REGION}:{THIRD}:event-bus/default"),
    )
    .await;

    // RDS at work in the member's other Region: a snapshot (RDS-EVENT-0042 when created).
    let rds = aws_sdk_rds::Client::new(&member);
    rds.create_db_instance()
        .db_instance_identifier("events-db")
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .master_username("admin")
        .master_user_password("password-12345")
        .allocated_storage(20)
        .send()
        .await
        .unwrap();
    rds.create_db_snapshot()
        .db_instance_identifier("events-db")
        .db_snapshot_identifier("events-snap")
        .send()
        .await
        .unwrap();

    let events = received(
        &hub,
        &at_hub,
        Duration::from_secs(30),
        Some(&rds),
        |events| {
            events
                .iter()
                .any(|e| is_snapshot_created(e) && e["detail"]["SourceIdentifier"] == "events-snap")
        },
    )
    .await;
    let snapshot = events
        .iter()
        .find(|e| is_snapshot_created(e) && e["detail"]["SourceIdentifier"] == "events-snap")
        .unwrap_or_else(|| panic!("the member's RDS-EVENT-0042 reached the hub: {events:?}"));
    let source = format!("arn:aws:rds:{OTHER_REGION}:{MEMBER}:snapshot:events-snap");
    assert_eq!(snapshot["source"], "aws.rds");
    assert_eq!(snapshot["detail-type"], "RDS DB Snapshot Event");
    assert_eq!(snapshot["account"], MEMBER, "the account it happened in");
    assert_eq!(
        snapshot["region"], OTHER_REGION,
        "the Region it happened in"
    );
    assert_eq!(snapshot["resources"], json!([source]));
    assert_eq!(snapshot["detail"]["SourceArn"], source);
    // Every event the hub received is one RDS sent in the member account: one id each.
    let mut ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "each event arrived once: {events:?}");

    // An event received from another account is not sent on to a third.
    let passed_on = received(&third, &at_third, Duration::from_secs(1), None, |_| false).await;
    assert!(passed_on.is_empty(), "{passed_on:?}");
}
