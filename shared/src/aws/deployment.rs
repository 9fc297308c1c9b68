//! Reading Blue/Green deployments: by id, by name, or by the database they belong to.

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
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    pub tasks: Vec<Task>,
    pub members: Vec<Member>,
    /// When AWS created the deployment: old blue existed before it, which no tag can fake.
    /// Not part of any answer (the state machine never reads it).
    #[serde(skip)]
    pub create_time: Option<aws_smithy_types::DateTime>,
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
            status: d.status().unwrap_or_default().to_owned(),
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
        .filter(|d| d.status != "DELETING")
        .filter(|d| {
            d.source_name() == production
                || (d.target_name() == production && d.status == "SWITCHOVER_COMPLETED")
        })
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
            .status("AVAILABLE")
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
}
