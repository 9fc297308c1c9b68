//! IAM roles associated with a database (S3 import/export, Lambda, Comprehend, ...).
//!
//! AWS ("Limitations and considerations for blue/green deployments", considerations,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-considerations.html>):
//! "If you have IAM roles associated with your DB cluster, make sure to reassociate them after
//! switchover. Attached roles aren't automatically copied to the green environment."

use serde::{Deserialize, Serialize};

use crate::aws::database::Database;
use crate::error::Error;
use crate::input::Kind;

/// One associated role: `AssociatedRoles[]` of the cluster (Aurora) or the instance (RDS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedRole {
    pub role_arn: String,
    /// The feature the role serves (`s3Import`, `Lambda`, ...); Aurora may have none.
    #[serde(default)]
    pub feature_name: Option<String>,
    /// `ACTIVE`, `PENDING` or `INVALID`.
    pub status: String,
}

impl AssociatedRole {
    /// The role and its feature, for messages.
    pub fn describe(&self) -> String {
        match &self.feature_name {
            Some(f) if !f.is_empty() => format!("{} ({f})", self.role_arn),
            _ => self.role_arn.clone(),
        }
    }
}

/// The roles associated with a database: the cluster's for Aurora, the instance's for RDS.
pub fn of(db: &Database) -> Vec<AssociatedRole> {
    match &db.cluster {
        Some(c) => c
            .associated_roles()
            .iter()
            .filter_map(|r| role(r.role_arn(), r.feature_name(), r.status()))
            .collect(),
        None => db
            .instances
            .first()
            .map(|i| i.associated_roles())
            .unwrap_or_default()
            .iter()
            .filter_map(|r| role(r.role_arn(), r.feature_name(), r.status()))
            .collect(),
    }
}

fn role(arn: Option<&str>, feature: Option<&str>, status: Option<&str>) -> Option<AssociatedRole> {
    Some(AssociatedRole {
        role_arn: arn?.to_owned(),
        feature_name: feature.filter(|f| !f.is_empty()).map(str::to_owned),
        status: status.unwrap_or_default().to_owned(),
    })
}

/// The roles of `wanted` that `db` lacks (by role ARN and feature), in order.
pub fn missing<'a>(db: &Database, wanted: &'a [AssociatedRole]) -> Vec<&'a AssociatedRole> {
    let have = of(db);
    wanted
        .iter()
        .filter(|w| {
            !have
                .iter()
                .any(|h| h.role_arn == w.role_arn && h.feature_name == w.feature_name)
        })
        .collect()
}

/// Associates `role` with `db` (AddRoleToDBCluster / AddRoleToDBInstance). A role already
/// there is no error: the call is idempotent. Answers whether this call added it.
pub async fn attach(
    rds: &aws_sdk_rds::Client,
    db: &Database,
    role: &AssociatedRole,
) -> Result<bool, Error> {
    match db.kind {
        Kind::Cluster => {
            let sent = rds
                .add_role_to_db_cluster()
                .db_cluster_identifier(&db.identifier)
                .role_arn(&role.role_arn)
                .set_feature_name(role.feature_name.clone())
                .send()
                .await;
            match sent {
                Ok(_) => Ok(true),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_db_cluster_role_already_exists_fault()) =>
                {
                    Ok(false)
                }
                Err(e) => Err(Error::from_sdk("AddRoleToDBCluster", e)),
            }
        }
        Kind::Instance => {
            let sent = rds
                .add_role_to_db_instance()
                .db_instance_identifier(&db.identifier)
                .role_arn(&role.role_arn)
                .set_feature_name(role.feature_name.clone())
                .send()
                .await;
            match sent {
                Ok(_) => Ok(true),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_db_instance_role_already_exists_fault()) =>
                {
                    Ok(false)
                }
                Err(e) => Err(Error::from_sdk("AddRoleToDBInstance", e)),
            }
        }
    }
}
