//! What the harness tests share: creating a deployment the way a user would, and reading
//! databases back.

use aws_sdk_rds::types::{DbCluster, DbInstance};
use bluegreen::aws::{database, deployment};
use e2e::moto::Moto;

/// A deployment of `source_arn` named `name`, with optional target version and groups.
pub async fn create_deployment(
    moto: &Moto,
    name: &str,
    source_arn: &str,
    version: Option<&str>,
    cluster_group: Option<&str>,
    group: Option<&str>,
) -> String {
    moto.rds()
        .create_blue_green_deployment()
        .blue_green_deployment_name(name)
        .source(source_arn)
        .set_target_engine_version(version.map(str::to_owned))
        .set_target_db_cluster_parameter_group_name(cluster_group.map(str::to_owned))
        .set_target_db_parameter_group_name(group.map(str::to_owned))
        .send()
        .await
        .expect("create deployment")
        .blue_green_deployment
        .and_then(|d| d.blue_green_deployment_identifier)
        .expect("deployment id")
}

/// The deployment as the product reads it.
pub async fn read_deployment(moto: &Moto, id: &str) -> Option<deployment::Deployment> {
    deployment::describe(&moto.rds(), id)
        .await
        .expect("describe deployment")
}

pub async fn cluster(moto: &Moto, id: &str) -> Option<DbCluster> {
    database::describe_cluster(&moto.rds(), id)
        .await
        .expect("describe cluster")
}

pub async fn instance(moto: &Moto, id: &str) -> Option<DbInstance> {
    database::describe_instance(&moto.rds(), id)
        .await
        .expect("describe instance")
}

/// The identifiers of a cluster's instances, read from the instances, sorted.
pub async fn cluster_instance_ids(moto: &Moto, cluster: &str) -> Vec<String> {
    let mut ids: Vec<String> = database::describe_cluster_instances(&moto.rds(), cluster)
        .await
        .expect("describe cluster instances")
        .into_iter()
        .filter_map(|i| i.db_instance_identifier)
        .collect();
    ids.sort();
    ids
}

/// The cluster's ARN.
pub async fn cluster_arn(moto: &Moto, id: &str) -> String {
    cluster(moto, id)
        .await
        .and_then(|c| c.db_cluster_arn)
        .expect("cluster arn")
}

/// The AWS error code of a failed SDK call.
pub fn code<E: aws_sdk_rds::error::ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or_default().to_owned()
}
