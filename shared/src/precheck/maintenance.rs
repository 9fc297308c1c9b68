//! Pending maintenance on blue: AWS may apply it during the deployment's lifetime (a reboot of
//! blue, a switchover blocked by maintenance). A warning: people decide whether to apply it first.

use super::rule::Rule;
use super::{Context, Severity};
use crate::aws::database::{collect_pages, Database};

pub const PENDING_MAINTENANCE: Rule = Rule {
    id: "pending-maintenance",
    severity: Severity::Warn,
    checks: "pending maintenance actions on the cluster or its instances (DescribePendingMaintenanceActions)",
    fix: "apply the maintenance first (apply-pending-maintenance-action) or make sure its window is outside the deployment's lifetime",
    source: "seed 000 troubleshooting (InvalidDBClusterState: scheduled maintenance must be handled first)",
};

/// Warns about pending actions. A failed read (no permission, an API that is not there)
/// leaves the rule under `notChecked` rather than stopping the run: the rule only warns.
pub async fn check(ctx: &mut Context<'_>, db: &Database) {
    let pages = ctx
        .rds
        .describe_pending_maintenance_actions()
        .into_paginator()
        .send();
    let read = collect_pages(pages, "DescribePendingMaintenanceActions", |p| {
        p.pending_maintenance_actions().to_vec()
    })
    .await;
    let resources = match read {
        Ok(resources) => resources,
        Err(e) => {
            ctx.not_checked(
                PENDING_MAINTENANCE.id,
                format!("could not read pending maintenance: {e}"),
            );
            return;
        }
    };
    let ours: Vec<String> = std::iter::once(db.arn.clone())
        .chain(
            db.instances
                .iter()
                .filter_map(|i| i.db_instance_arn().map(str::to_owned)),
        )
        .collect();
    for resource in resources {
        let Some(arn) = resource
            .resource_identifier()
            .filter(|a| ours.iter().any(|o| o == a))
        else {
            continue;
        };
        for action in resource.pending_maintenance_action_details() {
            let when = action
                .current_apply_date()
                .or(action.forced_apply_date())
                .or(action.auto_applied_after_date())
                .map(|d| format!(" (applies {d})"))
                .unwrap_or_default();
            let message = format!(
                "{}: {} has pending maintenance `{}`{when}: {}",
                db.identifier,
                crate::aws::arn::name_of(arn),
                action.action().unwrap_or("unknown"),
                action.description().unwrap_or("")
            );
            ctx.flag(&PENDING_MAINTENANCE, message);
        }
    }
}
