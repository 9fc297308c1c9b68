//! Reading Blue/Green deployments: by id, by name, or by the database they belong to, and
//! their status, parsed once here into [`DeploymentStatus`] so no other module compares
//! AWS's status strings.

use aws_sdk_rds::types::BlueGreenDeployment;
use serde::{Deserialize, Serialize};

use crate::aws::{arn, database::collect_pages};
use crate::error::Error;
use crate::input::Request;

/// A deployment as the API reports it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub name: String,
    /// Blue before switchover; old blue (`-oldN`) after it.
    pub source_arn: String,
    /// Green before switchover; production after it.
    pub target_arn: String,
    pub status: DeploymentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    pub tasks: Vec<Task>,
    pub members: Vec<Member>,
    /// When AWS created the deployment: old blue existed before it, which no tag can fake.
    /// Not part of any answer (the state machine never reads it).
    #[serde(skip)]
    pub create_time: Option<aws_smithy_types::DateTime>,
}

/// The status of a Blue/Green deployment (`BlueGreenDeployment.Status`).
///
/// AWS documents the status as an open-ended string: a value this product does not know is
/// [`DeploymentStatus::Other`], which readiness turns into `UnknownStatus` (the workflow stops,
/// never steps forward on a guess) and every guard treats as "not safe to act". In JSON it is
/// AWS's own string, so answers and notifications read exactly as before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// Green is being built.
    Provisioning,
    /// Green exists (it may still be settling: readiness decides).
    Available,
    SwitchoverInProgress,
    /// Production is green; the source is old blue (`-oldN`).
    SwitchoverCompleted,
    /// AWS refused the deployment's configuration (its `StatusDetails` say why).
    InvalidConfiguration,
    SwitchoverFailed,
    /// The deployment object is being deleted.
    Deleting,
    /// A status this product does not know (kept as AWS wrote it).
    Other(String),
}

impl DeploymentStatus {
    /// Every status the product knows, in the API's order.
    pub const KNOWN: [DeploymentStatus; 7] = [
        DeploymentStatus::Provisioning,
        DeploymentStatus::Available,
        DeploymentStatus::SwitchoverInProgress,
        DeploymentStatus::SwitchoverCompleted,
        DeploymentStatus::InvalidConfiguration,
        DeploymentStatus::SwitchoverFailed,
        DeploymentStatus::Deleting,
    ];

    /// Parses AWS's string; anything unknown is kept as [`DeploymentStatus::Other`].
    pub fn parse(value: &str) -> DeploymentStatus {
        Self::KNOWN
            .into_iter()
            .find(|known| known.as_str() == value)
            .unwrap_or_else(|| DeploymentStatus::Other(value.to_owned()))
    }

    /// AWS's string for this status.
    pub fn as_str(&self) -> &str {
        match self {
            DeploymentStatus::Provisioning => "PROVISIONING",
            DeploymentStatus::Available => "AVAILABLE",
            DeploymentStatus::SwitchoverInProgress => "SWITCHOVER_IN_PROGRESS",
            DeploymentStatus::SwitchoverCompleted => "SWITCHOVER_COMPLETED",
            DeploymentStatus::InvalidConfiguration => "INVALID_CONFIGURATION",
            DeploymentStatus::SwitchoverFailed => "SWITCHOVER_FAILED",
            DeploymentStatus::Deleting => "DELETING",
            DeploymentStatus::Other(value) => value,
        }
    }

    /// Switching over or switched: the deployment is past the point where green can be
    /// snapshotted, switched over or abandoned.
    pub fn switchover_started(&self) -> bool {
        matches!(
            self,
            DeploymentStatus::SwitchoverInProgress | DeploymentStatus::SwitchoverCompleted
        )
    }
}

impl std::fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeploymentStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeploymentStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Ok(DeploymentStatus::parse(&value))
    }
}

/// One of the tasks RDS runs to build green.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub name: String,
    pub status: String,
}

/// One blue/green pair (`db:`, `cluster:` or `cluster-endpoint:` ARNs) and its switchover status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub source: String,
    #[serde(default)]
    pub target: String,
    pub status: String,
}

/// What the state data carries between steps to name a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentRef {
    pub id: String,
    pub name: String,
    pub source_arn: String,
    /// Null until AWS names green.
    #[serde(default)]
    pub target_arn: Option<String>,
}

impl From<BlueGreenDeployment> for Deployment {
    fn from(d: BlueGreenDeployment) -> Self {
        Deployment {
            id: d
                .blue_green_deployment_identifier()
                .unwrap_or_default()
                .to_owned(),
            name: d
                .blue_green_deployment_name()
                .unwrap_or_default()
                .to_owned(),
            source_arn: d.source().unwrap_or_default().to_owned(),
            target_arn: d.target().unwrap_or_default().to_owned(),
            status: DeploymentStatus::parse(d.status().unwrap_or_default()),
            status_details: d
                .status_details()
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            tasks: d
                .tasks()
                .iter()
                .map(|t| Task {
                    name: t.name().unwrap_or_default().to_owned(),
                    status: t.status().unwrap_or_default().to_owned(),
                })
                .collect(),
            members: d
                .switchover_details()
                .iter()
                .map(|m| Member {
                    source: m.source_member().unwrap_or_default().to_owned(),
                    target: m.target_member().unwrap_or_default().to_owned(),
                    status: m.status().unwrap_or_default().to_owned(),
                })
                .collect(),
            create_time: d.create_time().cloned(),
        }
    }
}

impl Deployment {
    /// The reference later steps carry.
    pub fn reference(&self) -> DeploymentRef {
        DeploymentRef {
            id: self.id.clone(),
            name: self.name.clone(),
            source_arn: self.source_arn.clone(),
            target_arn: (!self.target_arn.is_empty()).then(|| self.target_arn.clone()),
        }
    }

    /// The source's resource name (`orders`, or `orders-old1` after switchover).
    pub fn source_name(&self) -> &str {
        arn::name_of(&self.source_arn)
    }

    /// The target's resource name (green's name, or production's after switchover).
    pub fn target_name(&self) -> &str {
        arn::name_of(&self.target_arn)
    }

    /// Whether this deployment belongs to the production database named `production`: its
    /// source before switchover; once a switchover has started, also when its target is
    /// production or its source is production's `-oldN`.
    ///
    /// RDS renames while the deployment still reads SWITCHOVER_IN_PROGRESS ("Switchover
    /// actions", RDS User Guide, blue-green-deployments-switching.html): blue becomes
    /// `-oldN` first, and for a moment neither side carries the production name. The
    /// deployment stays the same object (its id), so a reader in that moment must not lose it.
    pub fn belongs_to_name(&self, production: &str) -> bool {
        self.source_name() == production
            || (self.status.switchover_started()
                && (self.target_name() == production
                    || arn::is_old_name_of(self.source_name(), production)))
    }

    /// [`Deployment::belongs_to_name`] by ARN: the same, and in the same account, Region and
    /// resource type.
    pub fn belongs_to_arn(&self, database_arn: &str) -> bool {
        let (Some(database), Some(source)) =
            (arn::parse(database_arn), arn::parse(&self.source_arn))
        else {
            return false;
        };
        let same_place = (source.region, source.account, source.resource_type)
            == (database.region, database.account, database.resource_type);
        (self.source_arn == database_arn)
            || (self.status.switchover_started()
                && ((self.target_arn == database_arn)
                    || (same_place && arn::is_old_name_of(source.name, database.name))))
    }
}

/// One deployment by id; `None` when it does not exist (deleted, or never created).
pub async fn describe(rds: &aws_sdk_rds::Client, id: &str) -> Result<Option<Deployment>, Error> {
    match rds
        .describe_blue_green_deployments()
        .blue_green_deployment_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .blue_green_deployments()
            .first()
            .cloned()
            .map(Deployment::from)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_blue_green_deployment_not_found_fault()) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::from_sdk("DescribeBlueGreenDeployments", e)),
    }
}

/// Every deployment in the Region (paginated). Matching on source or target is done here
/// rather than with server-side filters, so a deployment is never missed by a filter an
/// emulator or an older API version does not know.
pub async fn list(rds: &aws_sdk_rds::Client) -> Result<Vec<Deployment>, Error> {
    let pages = rds
        .describe_blue_green_deployments()
        .into_paginator()
        .send();
    let all = collect_pages(pages, "DescribeBlueGreenDeployments", |p| {
        p.blue_green_deployments().to_vec()
    })
    .await?;
    Ok(all.into_iter().map(Deployment::from).collect())
}

/// The deployment with this name, if any.
pub async fn find_by_name(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<Deployment>, Error> {
    Ok(list(rds).await?.into_iter().find(|d| d.name == name))
}

/// Finds the deployment a step acts on: the one the state data names, else the one named
/// by `options.deploymentName`, else the one deployment of the production database (its
/// source before switchover, its target after). Several candidates are an error asking for
/// the name: the product never picks one on a guess.
pub async fn locate(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
) -> Result<Deployment, Error> {
    let not_found = |id: &str| Error::NotFound {
        what: "Blue/Green deployment",
        id: id.to_owned(),
        region: Some(request.target.region.clone()),
    };
    if let Some(given) = given {
        return describe(rds, &given.id)
            .await?
            .ok_or_else(|| not_found(&given.id));
    }
    let all = list(rds).await?;
    if let Some(name) = &request.options.deployment_name {
        return all
            .into_iter()
            .find(|d| &d.name == name)
            .ok_or_else(|| not_found(name));
    }
    let production = &request.target.identifier;
    let mut candidates: Vec<Deployment> = all
        .into_iter()
        .filter(|d| d.status != DeploymentStatus::Deleting && d.belongs_to_name(production))
        .collect();
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => Err(not_found(&format!("(any, for database {production})"))),
        _ => Err(Error::invalid(
            "options.deploymentName",
            format!(
                "is needed: {} deployments belong to {production} ({})",
                candidates.len(),
                candidates
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "name the deployment to act on in options.deploymentName",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::{BlueGreenDeploymentTask, SwitchoverDetail};

    #[test]
    fn converts_the_api_shape() {
        let api = BlueGreenDeployment::builder()
            .blue_green_deployment_identifier("bgd-1")
            .blue_green_deployment_name("n")
            .source("arn:aws:rds:us-east-1:1:cluster:orders")
            .target("arn:aws:rds:us-east-1:1:cluster:orders-green-abc")
            .status(DeploymentStatus::Available.as_str())
            .status_details("")
            .tasks(
                BlueGreenDeploymentTask::builder()
                    .name("CREATE_DB_INSTANCES_FOR_CLUSTER")
                    .status("COMPLETED")
                    .build(),
            )
            .switchover_details(
                SwitchoverDetail::builder()
                    .source_member("a")
                    .target_member("b")
                    .status("AVAILABLE")
                    .build(),
            )
            .build();
        let d = Deployment::from(api);
        assert_eq!(d.status, DeploymentStatus::Available);
        assert_eq!(d.source_name(), "orders");
        assert_eq!(d.target_name(), "orders-green-abc");
        assert_eq!(d.status_details, None);
        assert_eq!(d.tasks[0].status, "COMPLETED");
        assert_eq!(d.members[0].target, "b");
        assert_eq!(
            d.reference().target_arn.as_deref(),
            Some("arn:aws:rds:us-east-1:1:cluster:orders-green-abc")
        );
    }

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_kept() {
        for known in DeploymentStatus::KNOWN {
            assert_eq!(DeploymentStatus::parse(known.as_str()), known);
            let json = serde_json::to_value(&known).unwrap();
            assert_eq!(json, serde_json::json!(known.as_str()));
            assert_eq!(
                serde_json::from_value::<DeploymentStatus>(json).unwrap(),
                known
            );
        }
        let other = DeploymentStatus::parse("PREPARING_FOR_SWITCHOVER");
        assert_eq!(
            other,
            DeploymentStatus::Other("PREPARING_FOR_SWITCHOVER".into())
        );
        assert_eq!(other.to_string(), "PREPARING_FOR_SWITCHOVER");
        assert_eq!(
            DeploymentStatus::parse(""),
            DeploymentStatus::Other(String::new())
        );
    }

    /// Mid-switchover, RDS has renamed blue `-old1` but green does not yet carry the
    /// production name: the deployment is still the database's.
    #[test]
    fn a_deployment_is_not_lost_while_the_switchover_renames() {
        let d = Deployment {
            id: "bgd-1".into(),
            name: "n".into(),
            source_arn: "arn:aws:rds:us-east-1:1:cluster:orders-old1".into(),
            target_arn: "arn:aws:rds:us-east-1:1:cluster:orders-green-abc".into(),
            status: DeploymentStatus::SwitchoverInProgress,
            status_details: None,
            tasks: Vec::new(),
            members: Vec::new(),
            create_time: None,
        };
        assert!(d.belongs_to_name("orders"));
        assert!(d.belongs_to_arn("arn:aws:rds:us-east-1:1:cluster:orders"));
        assert!(!d.belongs_to_arn("arn:aws:rds:eu-west-1:1:cluster:orders"));
        assert!(!d.belongs_to_arn("arn:aws:rds:us-east-1:1:db:orders"));
        assert!(!d.belongs_to_name("order"));
        let before = Deployment {
            status: DeploymentStatus::Available,
            ..d.clone()
        };
        assert!(
            !before.belongs_to_name("orders"),
            "an -old1 source before any switchover is another database's"
        );
    }

    #[test]
    fn a_deployment_belongs_to_its_source_and_after_switchover_to_its_target() {
        let d = |status| Deployment {
            id: "bgd-1".into(),
            name: "n".into(),
            source_arn: "arn:aws:rds:us-east-1:1:db:orders-old1".into(),
            target_arn: "arn:aws:rds:us-east-1:1:db:orders".into(),
            status,
            status_details: None,
            tasks: Vec::new(),
            members: Vec::new(),
            create_time: None,
        };
        assert!(d(DeploymentStatus::SwitchoverCompleted).belongs_to_name("orders"));
        assert!(d(DeploymentStatus::SwitchoverInProgress).belongs_to_name("orders"));
        assert!(!d(DeploymentStatus::Available).belongs_to_name("orders"));
        assert!(d(DeploymentStatus::Available).belongs_to_name("orders-old1"));
        let production = "arn:aws:rds:us-east-1:1:db:orders";
        assert!(d(DeploymentStatus::SwitchoverCompleted).belongs_to_arn(production));
        assert!(!d(DeploymentStatus::SwitchoverCompleted)
            .belongs_to_arn("arn:aws:rds:eu-west-1:1:db:orders"));
    }
}
