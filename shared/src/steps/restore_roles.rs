//! Operation `restore-roles` of the switchover function: after switchover, associates blue's
//! IAM roles with production again (AWS does not copy them to green: "If you have IAM roles
//! associated with your DB cluster, make sure to reassociate them after switchover",
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-considerations.html>).
//!
//! Blue's roles are read from old blue itself (it keeps them; found by the deployment's
//! source name and told from production by resource id). Each missing role is added once
//! (AddRoleToDBCluster / AddRoleToDBInstance; "already there" is success), and success is
//! claimed only after production is read again and lists every role.

use serde::{Deserialize, Serialize};

use crate::aws::database::Database;
use crate::aws::deployment::{self, DeploymentRef, DeploymentStatus};
use crate::aws::roles;
use crate::error::Error;
use crate::input::Request;
use crate::steps::Progress;

/// The answer of `restore-roles`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolesRestored {
    pub state: Progress,
    pub production: String,
    /// Old blue's roles, each now associated with production (`describe()` form).
    pub roles: Vec<String>,
    /// The roles this call associated (the others were already there).
    pub added: Vec<String>,
    /// Why nothing was done, when nothing was (`options.restoreAssociatedRoles` false).
    #[serde(default)]
    pub skipped: Option<String>,
}

/// Associates old blue's roles with production, idempotently.
pub async fn restore(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
) -> Result<RolesRestored, Error> {
    let production_name = request.target.identifier.clone();
    if !request.options.restore_associated_roles {
        return Ok(RolesRestored {
            state: Progress::Done,
            production: production_name,
            roles: Vec::new(),
            added: Vec::new(),
            skipped: Some("options.restoreAssociatedRoles is false".to_owned()),
        });
    }
    let d = deployment::locate(rds, request, given).await?;
    match &d.status {
        DeploymentStatus::SwitchoverCompleted => {}
        DeploymentStatus::SwitchoverInProgress => {
            return Err(Error::NotReady {
                reason: format!("switchover of {} is still in progress", d.id),
            })
        }
        other => {
            return Err(Error::invalid(
                "operation",
                format!(
                    "restore-roles needs a switched-over deployment, and {} is {other}",
                    d.id
                ),
                "run restore-roles only after the switchover has completed",
            ))
        }
    }
    let production = Database::load(rds, &request.target).await?;
    let old_name = d.source_name();
    let old_blue = Database::find(rds, production.kind, old_name).await?;
    let old_blue = match old_blue {
        Some(o) if production.arn == d.target_arn && o.resource_id != production.resource_id => o,
        _ => {
            return Err(Error::VerificationFailed {
                database: production_name,
                reason: format!(
                    "cannot tell old blue ({old_name}) from production ({}, the deployment's target is {}): no role was associated. Fix: associate blue's roles with production by hand (aws rds add-role-to-db-cluster / add-role-to-db-instance)",
                    production.arn, d.target_arn
                ),
            })
        }
    };
    let wanted: Vec<_> = roles::of(&old_blue)
        .into_iter()
        .filter(|r| r.status != "INVALID")
        .collect();
    let mut added = Vec::new();
    for role in roles::missing(&production, &wanted) {
        if roles::attach(rds, &production, role).await? {
            added.push(role.describe());
        }
        tracing::info!(role = %role.role_arn, production = %production.identifier, "associated blue's role with production");
    }
    // Claimed only once production, read again, lists every role.
    let again = Database::load(rds, &request.target).await?;
    let still: Vec<String> = roles::missing(&again, &wanted)
        .iter()
        .map(|r| r.describe())
        .collect();
    if !still.is_empty() {
        return Err(Error::NotReady {
            reason: format!(
                "production {} does not list {} yet after AddRole",
                again.identifier,
                still.join(", ")
            ),
        });
    }
    Ok(RolesRestored {
        state: Progress::Done,
        production: again.identifier,
        roles: wanted.iter().map(|r| r.describe()).collect(),
        added,
        skipped: None,
    })
}
