//! Reading a database (an Aurora DB cluster with its instances, or an RDS DB instance) into
//! one shape, so the steps and the prechecks do not care which kind it is.

use aws_sdk_rds::types::{DbCluster, DbInstance};
use serde::Serialize;

use crate::aws::arn;
use crate::error::Error;
use crate::input::{Kind, Target};

/// A database as the API reports it now.
#[derive(Debug, Clone)]
pub struct Database {
    pub kind: Kind,
    pub identifier: String,
    pub arn: String,
    /// `DbClusterResourceId` / `DbiResourceId`: never changes at switchover, unlike the name.
    pub resource_id: String,
    pub engine: String,
    pub engine_version: String,
    pub status: String,
    /// The cluster (Aurora); `None` for an RDS instance.
    pub cluster: Option<DbCluster>,
    /// The cluster's instances, or the one RDS instance.
    pub instances: Vec<DbInstance>,
}

/// What a step's output says about a database.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSummary {
    pub identifier: String,
    pub arn: String,
    pub engine: String,
    pub engine_version: String,
    pub status: String,
    pub instances: Vec<String>,
}

impl Database {
    /// Reads the target's database; `NotFound` when it does not exist, `InvalidInput` when it
    /// lives in another account than `target.accountId`.
    pub async fn load(rds: &aws_sdk_rds::Client, target: &Target) -> Result<Database, Error> {
        let found = Self::find(rds, target.engine.kind(), &target.identifier).await?;
        let db = found.ok_or_else(|| Error::NotFound {
            what: match target.engine.kind() {
                Kind::Cluster => "DB cluster",
                Kind::Instance => "DB instance",
            },
            id: target.identifier.clone(),
            region: Some(target.region.clone()),
        })?;
        if let (Some(expected), Some(parsed)) = (&target.account_id, arn::parse(&db.arn)) {
            if parsed.account != expected {
                return Err(Error::invalid(
                    "target.accountId",
                    format!("is {expected}, but {} belongs to account {}", target.identifier, parsed.account),
                    format!("set target.accountId to `{}` (the account of {}), with target.roleArn naming a role in that account", parsed.account, db.arn),
                ));
            }
        }
        Ok(db)
    }

    /// Reads a database by kind and identifier; `None` when it does not exist.
    pub async fn find(
        rds: &aws_sdk_rds::Client,
        kind: Kind,
        identifier: &str,
    ) -> Result<Option<Database>, Error> {
        match kind {
            Kind::Cluster => {
                let Some(cluster) = describe_cluster(rds, identifier).await? else {
                    return Ok(None);
                };
                let instances = describe_cluster_instances(rds, identifier).await?;
                Ok(Some(Database::from_cluster(cluster, instances)))
            }
            Kind::Instance => Ok(describe_instance(rds, identifier)
                .await?
                .map(Database::from_instance)),
        }
    }

    /// Reads a database by its immutable resource id (`cluster-...` / `db-...`), whatever it
    /// is called now; `None` when no database has that id.
    pub async fn find_by_resource_id(
        rds: &aws_sdk_rds::Client,
        kind: Kind,
        resource_id: &str,
    ) -> Result<Option<Database>, Error> {
        match kind {
            Kind::Cluster => {
                let Some(cluster) = cluster_by_resource_id(rds, resource_id).await? else {
                    return Ok(None);
                };
                let name = cluster
                    .db_cluster_identifier()
                    .unwrap_or_default()
                    .to_owned();
                let instances = describe_cluster_instances(rds, &name).await?;
                Ok(Some(Database::from_cluster(cluster, instances)))
            }
            Kind::Instance => Ok(instance_by_resource_id(rds, resource_id)
                .await?
                .map(Database::from_instance)),
        }
    }

    /// RDS instance only: its same-Region read replicas, read from the replicas themselves.
    /// Cross-Region replicas (named by ARN) are returned in the second list, unread.
    pub async fn replicas(
        &self,
        rds: &aws_sdk_rds::Client,
    ) -> Result<(Vec<DbInstance>, Vec<String>), Error> {
        let (mut local, mut remote) = (Vec::new(), Vec::new());
        if self.kind == Kind::Cluster {
            return Ok((local, remote));
        }
        let named = self
            .instances
            .first()
            .map(|i| i.read_replica_db_instance_identifiers().to_vec())
            .unwrap_or_default();
        for name in named {
            if name.starts_with("arn:") {
                remote.push(name);
            } else if let Some(replica) = describe_instance(rds, &name).await? {
                local.push(replica);
            }
        }
        Ok((local, remote))
    }

    fn from_cluster(cluster: DbCluster, instances: Vec<DbInstance>) -> Database {
        Database {
            kind: Kind::Cluster,
            identifier: cluster
                .db_cluster_identifier()
                .unwrap_or_default()
                .to_owned(),
            arn: cluster.db_cluster_arn().unwrap_or_default().to_owned(),
            resource_id: cluster
                .db_cluster_resource_id()
                .unwrap_or_default()
                .to_owned(),
            engine: cluster.engine().unwrap_or_default().to_owned(),
            engine_version: cluster.engine_version().unwrap_or_default().to_owned(),
            status: cluster.status().unwrap_or_default().to_owned(),
            cluster: Some(cluster),
            instances,
        }
    }

    fn from_instance(instance: DbInstance) -> Database {
        Database {
            kind: Kind::Instance,
            identifier: instance
                .db_instance_identifier()
                .unwrap_or_default()
                .to_owned(),
            arn: instance.db_instance_arn().unwrap_or_default().to_owned(),
            resource_id: instance.dbi_resource_id().unwrap_or_default().to_owned(),
            engine: instance.engine().unwrap_or_default().to_owned(),
            engine_version: instance.engine_version().unwrap_or_default().to_owned(),
            status: instance.db_instance_status().unwrap_or_default().to_owned(),
            cluster: None,
            instances: vec![instance],
        }
    }

    /// Backup retention in days (the cluster's for Aurora).
    pub fn backup_retention_days(&self) -> i32 {
        match &self.cluster {
            Some(c) => c.backup_retention_period().unwrap_or(0),
            None => self
                .instances
                .first()
                .and_then(DbInstance::backup_retention_period)
                .unwrap_or(0),
        }
    }

    /// Whether deletion protection is on (the cluster's for Aurora).
    pub fn deletion_protection(&self) -> bool {
        match &self.cluster {
            Some(c) => c.deletion_protection().unwrap_or(false),
            None => self
                .instances
                .first()
                .and_then(DbInstance::deletion_protection)
                .unwrap_or(false),
        }
    }

    /// When the database was created (the cluster's time for Aurora); a rename keeps it.
    pub fn created(&self) -> Option<aws_smithy_types::DateTime> {
        match &self.cluster {
            Some(c) => c.cluster_create_time().cloned(),
            None => self
                .instances
                .first()
                .and_then(DbInstance::instance_create_time)
                .cloned(),
        }
    }

    /// The database's tags (the cluster's for Aurora).
    pub fn tags(&self) -> &[aws_sdk_rds::types::Tag] {
        match &self.cluster {
            Some(c) => c.tag_list(),
            None => self
                .instances
                .first()
                .map(DbInstance::tag_list)
                .unwrap_or_default(),
        }
    }

    /// The identifiers of the instances.
    pub fn instance_ids(&self) -> Vec<String> {
        self.instances
            .iter()
            .filter_map(|i| i.db_instance_identifier().map(str::to_owned))
            .collect()
    }

    /// The summary that goes into step outputs and notifications.
    pub fn summary(&self) -> DatabaseSummary {
        DatabaseSummary {
            identifier: self.identifier.clone(),
            arn: self.arn.clone(),
            engine: self.engine.clone(),
            engine_version: self.engine_version.clone(),
            status: self.status.clone(),
            instances: self.instance_ids(),
        }
    }
}

/// One DB cluster, or `None` when there is none by that identifier.
pub async fn describe_cluster(
    rds: &aws_sdk_rds::Client,
    identifier: &str,
) -> Result<Option<DbCluster>, Error> {
    match rds
        .describe_db_clusters()
        .db_cluster_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_clusters().first().cloned()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_cluster_not_found_fault()) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::from_sdk("DescribeDBClusters", e)),
    }
}

/// One DB instance, or `None` when there is none by that identifier.
pub async fn describe_instance(
    rds: &aws_sdk_rds::Client,
    identifier: &str,
) -> Result<Option<DbInstance>, Error> {
    match rds
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_instance_not_found_fault()) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::from_sdk("DescribeDBInstances", e)),
    }
}

/// The DB cluster whose `DbClusterResourceId` is `resource_id`, whatever its name.
/// Filtered by AWS (`db-cluster-resource-id`) and checked again here.
pub async fn cluster_by_resource_id(
    rds: &aws_sdk_rds::Client,
    resource_id: &str,
) -> Result<Option<DbCluster>, Error> {
    let filter = aws_sdk_rds::types::Filter::builder()
        .name("db-cluster-resource-id")
        .values(resource_id)
        .build();
    let pages = rds
        .describe_db_clusters()
        .filters(filter)
        .into_paginator()
        .send();
    let clusters = collect_pages(pages, "DescribeDBClusters", |p| p.db_clusters().to_vec()).await?;
    Ok(clusters
        .into_iter()
        .find(|c| c.db_cluster_resource_id() == Some(resource_id)))
}

/// The DB instance whose `DbiResourceId` is `resource_id`, whatever its name.
/// Filtered by AWS (`dbi-resource-id`) and checked again here.
pub async fn instance_by_resource_id(
    rds: &aws_sdk_rds::Client,
    resource_id: &str,
) -> Result<Option<DbInstance>, Error> {
    Ok(instances_where(rds, "dbi-resource-id", resource_id)
        .await?
        .into_iter()
        .find(|i| i.dbi_resource_id() == Some(resource_id)))
}

/// DescribeDBInstances with one server-side filter, every page.
async fn instances_where(
    rds: &aws_sdk_rds::Client,
    filter: &str,
    value: &str,
) -> Result<Vec<DbInstance>, Error> {
    let filter = aws_sdk_rds::types::Filter::builder()
        .name(filter)
        .values(value)
        .build();
    let pages = rds
        .describe_db_instances()
        .filters(filter)
        .into_paginator()
        .send();
    collect_pages(pages, "DescribeDBInstances", |p| p.db_instances().to_vec()).await
}

/// The instances whose `DBClusterIdentifier` is this cluster, read from the instances
/// themselves (not from the cluster's member list, which can lag behind).
pub async fn describe_cluster_instances(
    rds: &aws_sdk_rds::Client,
    cluster: &str,
) -> Result<Vec<DbInstance>, Error> {
    let instances = instances_where(rds, "db-cluster-id", cluster).await?;
    // The filter is applied by AWS; check again so an emulator or a future change cannot
    // hand us another cluster's instances.
    Ok(instances
        .into_iter()
        .filter(|i| i.db_cluster_identifier() == Some(cluster))
        .collect())
}

/// Drains a paginator into one vector.
pub async fn collect_pages<P, T, E>(
    mut pages: aws_smithy_async::future::pagination_stream::PaginationStream<
        Result<P, aws_sdk_rds::error::SdkError<E, aws_sdk_rds::config::http::HttpResponse>>,
    >,
    operation: &str,
    items: impl Fn(&P) -> Vec<T>,
) -> Result<Vec<T>, Error>
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::from_sdk(operation, e))?;
        all.extend(items(&page));
    }
    Ok(all)
}
