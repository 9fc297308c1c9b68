//! Step `create`: creates the Blue/Green deployment (green) for one database.
//!
//! CreateBlueGreenDeployment has no client token, so idempotency comes from the name: the
//! same request always gives the same name, and a retry that meets
//! `BlueGreenDeploymentAlreadyExistsFault` adopts the existing deployment only when its
//! source is this very database.
//!
//! It also records what the two sides ARE (their resource ids, see `aws::identity`) as tags
//! on the deployment, so a cleanup days later deletes old blue by identity, not by name.

use serde::{Deserialize, Serialize};

use crate::aws::clients::ClientFactory;
use crate::aws::database::Database;
use crate::aws::deployment::{self, Deployment, DeploymentStatus};
use crate::aws::identity::{self, Identity, Side};
use crate::error::Error;
use crate::input::{Kind, Request};
use crate::naming;
use crate::steps::{parse_event, parse_request};

/// The event: the execution's request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub request: serde_json::Value,
}

/// The answer: the deployment later steps carry as `deployment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    pub id: String,
    pub name: String,
    pub source_arn: String,
    /// Null until AWS names green.
    #[serde(default)]
    pub target_arn: Option<String>,
    pub status: DeploymentStatus,
    /// True when a deployment made by an earlier run was found and reused.
    pub adopted: bool,
    /// Blue's and green's resource ids, also recorded as tags on the deployment.
    pub identity: Identity,
}

/// Runs the step for one Lambda event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Created, Error> {
    let event: Event = parse_event(event)?;
    let request = parse_request(&event.request)?;
    let rds = clients.rds(&request.target)?;
    create(&rds, &request).await
}

/// Creates green for the request's database, or adopts the deployment an earlier run made.
pub async fn create(rds: &aws_sdk_rds::Client, request: &Request) -> Result<Created, Error> {
    let source = Database::load(rds, &request.target).await?;
    let blue = Side::observe(rds, &source).await?;
    let name = naming::deployment_name(request);
    let recorded = Identity {
        kind: source.kind,
        blue,
        green: None,
    };
    let call = build_call(rds, request, &source.arn, &name, &recorded);
    let (d, adopted) = match call.send().await {
        Ok(out) => {
            let made = out
                .blue_green_deployment()
                .cloned()
                .map(Deployment::from)
                .ok_or_else(|| Error::AwsCallFailed {
                    operation: "CreateBlueGreenDeployment".into(),
                    code: "EmptyResponse".into(),
                    message: "AWS answered without the deployment".into(),
                    hint: None,
                })?;
            tracing::info!(deployment = %made.id, name = %made.name, source = %source.arn, "created Blue/Green deployment");
            (made, false)
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_blue_green_deployment_already_exists_fault()) =>
        {
            (adopt(rds, &name, &source.arn).await?, true)
        }
        Err(e) => return Err(Error::from_sdk("CreateBlueGreenDeployment", e)),
    };
    let identity = record_identity(rds, &d, recorded).await?;
    Ok(answer(d, adopted, identity))
}

/// Completes the identity recorded on the deployment: blue as first recorded (an adopted
/// deployment keeps its record), green once AWS has named it.
async fn record_identity(
    rds: &aws_sdk_rds::Client,
    d: &Deployment,
    observed: Identity,
) -> Result<Identity, Error> {
    let existing = identity::read(rds, &d.source_arn, &d.id).await?.identity;
    let mut identity = existing.clone().unwrap_or(observed);
    if identity.green.is_none() && !d.target_arn.is_empty() {
        if let Some(green) = Database::find(rds, identity.kind, d.target_name()).await? {
            identity.green = Some(Side::observe(rds, &green).await?);
        }
    }
    if existing.as_ref() != Some(&identity) {
        identity::tag_deployment(rds, &d.source_arn, &d.id, identity.to_tags()).await?;
    }
    Ok(identity)
}

/// Reuses the deployment named `name` if, and only if, its source is this database.
async fn adopt(
    rds: &aws_sdk_rds::Client,
    name: &str,
    source_arn: &str,
) -> Result<Deployment, Error> {
    let existing = deployment::find_by_name(rds, name)
        .await?
        .ok_or_else(|| Error::Retryable {
            operation: "CreateBlueGreenDeployment".into(),
            code: "BlueGreenDeploymentAlreadyExistsFault".into(),
            message: format!("`{name}` exists but cannot be read yet"),
        })?;
    if !existing.belongs_to_arn(source_arn) {
        return Err(Error::DeploymentConflict {
            name: name.to_owned(),
            existing_source: existing.source_arn,
            wanted_source: source_arn.to_owned(),
        });
    }
    tracing::info!(deployment = %existing.id, name, "adopted the deployment an earlier run created");
    Ok(existing)
}

fn answer(d: Deployment, adopted: bool, identity: Identity) -> Created {
    let reference = d.reference();
    Created {
        id: reference.id,
        name: reference.name,
        source_arn: reference.source_arn,
        target_arn: reference.target_arn,
        status: d.status,
        adopted,
        identity,
    }
}

/// Every option the API has for this engine; RDS-only options were refused for Aurora by
/// the request's validation.
fn build_call(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    source_arn: &str,
    name: &str,
    identity: &Identity,
) -> aws_sdk_rds::operation::create_blue_green_deployment::builders::CreateBlueGreenDeploymentFluentBuilder{
    let o = &request.options;
    let mut call = rds
        .create_blue_green_deployment()
        .blue_green_deployment_name(name)
        .source(source_arn)
        .set_target_engine_version(o.target_engine_version.clone())
        .set_target_db_parameter_group_name(o.target_db_parameter_group_name.clone());
    if request.target.engine.kind() == Kind::Cluster {
        call = call.set_target_db_cluster_parameter_group_name(
            o.target_db_cluster_parameter_group_name.clone(),
        );
    } else {
        call = call
            .set_target_db_instance_class(o.target_db_instance_class.clone())
            .set_target_allocated_storage(o.target_allocated_storage)
            .set_target_iops(o.target_iops)
            .set_target_storage_type(o.target_storage_type.clone())
            .set_target_storage_throughput(o.target_storage_throughput)
            .set_upgrade_target_storage_config(o.upgrade_target_storage_config);
    }
    for (key, value) in &o.tags {
        call = call.tags(
            aws_sdk_rds::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        );
    }
    // The deployment is enrolled too: the templates' IAM conditions switch over and delete
    // only enrolled deployments.
    call = call.tags(crate::aws::enrolment::tag());
    for tag in identity.to_tags() {
        call = call.tags(tag);
    }
    call
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::operation::create_blue_green_deployment::{
        CreateBlueGreenDeploymentError, CreateBlueGreenDeploymentOutput,
    };
    use aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsOutput;
    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::{BlueGreenDeployment, DbCluster};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use serde_json::json;

    const SOURCE: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";

    fn request() -> Request {
        Request::from_value(json!({
            "target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-mysql"},
            "options": {"targetEngineVersion": "8.0.mysql_aurora.3.08.0", "targetDbClusterParameterGroupName": "orders-80", "tags": {"team": "db"}}
        }))
        .unwrap()
    }

    fn cluster_rules() -> [aws_smithy_mocks::Rule; 2] {
        [
            mock!(aws_sdk_rds::Client::describe_db_clusters).then_output(|| {
                DescribeDbClustersOutput::builder()
                    .db_clusters(
                        DbCluster::builder()
                            .db_cluster_identifier("orders")
                            .db_cluster_arn(SOURCE)
                            .db_cluster_resource_id("cluster-BLUE")
                            .engine("aurora-mysql")
                            .build(),
                    )
                    .build()
            }),
            mock!(aws_sdk_rds::Client::describe_db_instances)
                .then_output(|| DescribeDbInstancesOutput::builder().build()),
        ]
    }

    fn existing(source: &str) -> aws_smithy_mocks::Rule {
        let source = source.to_owned();
        mock!(aws_sdk_rds::Client::describe_blue_green_deployments).then_output(move || {
            DescribeBlueGreenDeploymentsOutput::builder()
                .blue_green_deployments(
                    BlueGreenDeployment::builder()
                        .blue_green_deployment_identifier("bgd-existing")
                        .blue_green_deployment_name(naming::deployment_name(&request()))
                        .source(source.clone())
                        .status(DeploymentStatus::Provisioning.as_str())
                        .build(),
                )
                .build()
        })
    }

    /// AddTagsToResource, and ListTagsForResource that reads the recorded identity back.
    fn identity_rules() -> [aws_smithy_mocks::Rule; 2] {
        [
            mock!(aws_sdk_rds::Client::add_tags_to_resource)
                .match_requests(|r| {
                    r.resource_name()
                        == Some("arn:aws:rds:us-east-1:123456789012:deployment:bgd-new")
                        || r.resource_name()
                            == Some("arn:aws:rds:us-east-1:123456789012:deployment:bgd-existing")
                })
                .then_output(|| {
                    aws_sdk_rds::operation::add_tags_to_resource::AddTagsToResourceOutput::builder()
                        .build()
                }),
            mock!(aws_sdk_rds::Client::list_tags_for_resource).then_output(|| {
                aws_sdk_rds::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
                    .build()
            }),
        ]
    }

    fn already_exists() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_rds::Client::create_blue_green_deployment).then_error(|| {
            CreateBlueGreenDeploymentError::BlueGreenDeploymentAlreadyExistsFault(
                aws_sdk_rds::types::error::BlueGreenDeploymentAlreadyExistsFault::builder()
                    .message("exists")
                    .build(),
            )
        })
    }

    #[tokio::test]
    async fn sends_every_option_with_the_derived_name() {
        let [clusters, instances] = cluster_rules();
        let create_rule = mock!(aws_sdk_rds::Client::create_blue_green_deployment)
            .match_requests(|r| {
                r.source() == Some(SOURCE)
                    && r.blue_green_deployment_name()
                        == Some(naming::deployment_name(&request()).as_str())
                    && r.target_engine_version() == Some("8.0.mysql_aurora.3.08.0")
                    && r.target_db_cluster_parameter_group_name() == Some("orders-80")
                    && r.tags()
                        .iter()
                        .any(|t| t.key() == Some("team") && t.value() == Some("db"))
                    && r.target_db_instance_class().is_none()
                    && r.tags().iter().any(|t| t.key() == Some("bluegreen:blue"))
            })
            .then_output(|| {
                CreateBlueGreenDeploymentOutput::builder()
                    .blue_green_deployment(
                        BlueGreenDeployment::builder()
                            .blue_green_deployment_identifier("bgd-new")
                            .blue_green_deployment_name("x")
                            .source(SOURCE)
                            .status(DeploymentStatus::Provisioning.as_str())
                            .build(),
                    )
                    .build()
            });
        let [tag, read] = identity_rules();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&clusters, &instances, &create_rule, &tag, &read]
        );
        let created = create(&rds, &request()).await.unwrap();
        assert_eq!(created.id, "bgd-new");
        assert!(!created.adopted);
        assert_eq!(create_rule.num_calls(), 1);
        assert_eq!(created.identity.blue.resource_id, "cluster-BLUE");
        assert_eq!(tag.num_calls(), 1, "identity recorded on the deployment");
    }

    #[tokio::test]
    async fn a_retry_adopts_the_deployment_of_this_database() {
        let [clusters, instances] = cluster_rules();
        let (exists, found) = (already_exists(), existing(SOURCE));
        let [tag, read] = identity_rules();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&clusters, &instances, &exists, &found, &tag, &read]
        );
        let created = create(&rds, &request()).await.unwrap();
        assert_eq!(created.id, "bgd-existing");
        assert!(created.adopted);
    }

    #[tokio::test]
    async fn a_same_named_deployment_of_another_database_is_a_conflict() {
        let [clusters, instances] = cluster_rules();
        let (exists, found) = (
            already_exists(),
            existing("arn:aws:rds:us-east-1:123456789012:cluster:payments"),
        );
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&clusters, &instances, &exists, &found]
        );
        let err = create(&rds, &request()).await.unwrap_err();
        assert_eq!(err.name(), "DeploymentConflict");
        assert!(err.to_string().contains("payments"), "{err}");
    }

    #[tokio::test]
    async fn invalid_input_makes_no_call() {
        // A factory with no endpoint and no credentials: any AWS call would fail differently.
        let nowhere = ClientFactory::new(aws_config::SdkConfig::builder().build());
        let event = json!({"request": {"target": {"region": "us-east-1", "identifier": "a--b", "engine": "mysql"}}});
        let err = handle(event, &nowhere).await.unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("target.identifier"));
    }
}
