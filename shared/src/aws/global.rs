//! Aurora Global Database: the members of a global cluster, which one writes, and whether a
//! global switchover or failover is under way.
//!
//! AWS ("Aurora Global Database limitations for blue/green deployments",
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/blue-green-deployments-considerations.html#blue-green-deployments-limitations-agd>):
//! every operation starts from the writer's Region; a global switchover, a global failover or
//! a topology change invalidates the deployment; green's parameter groups must exist under the
//! same names in every secondary Region (else that Region's default group is used).

use serde::{Deserialize, Serialize};

use crate::aws::arn;
use crate::error::Error;

/// One DB cluster of a global database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalMember {
    pub arn: String,
    /// The member's Region, from its ARN.
    pub region: String,
    /// The member's identifier, from its ARN.
    pub identifier: String,
    pub is_writer: bool,
}

/// A global cluster as `DescribeGlobalClusters` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalCluster {
    pub id: String,
    pub engine_version: String,
    pub members: Vec<GlobalMember>,
    /// `FailoverState.Status` while a global switchover or failover is in flight
    /// (`pending`, `failing-over`, `cancelling`); `None` when there is none.
    #[serde(default)]
    pub failover: Option<String>,
}

impl GlobalCluster {
    /// The member that writes.
    pub fn writer(&self) -> Option<&GlobalMember> {
        self.members.iter().find(|m| m.is_writer)
    }

    /// The read-only members, in every other Region.
    pub fn secondaries(&self) -> impl Iterator<Item = &GlobalMember> {
        self.members.iter().filter(|m| !m.is_writer)
    }
}

/// Reads the global cluster `id`; `None` when it does not exist.
pub async fn describe(rds: &aws_sdk_rds::Client, id: &str) -> Result<Option<GlobalCluster>, Error> {
    let out = match rds
        .describe_global_clusters()
        .global_cluster_identifier(id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_global_cluster_not_found_fault()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(Error::from_sdk("DescribeGlobalClusters", e)),
    };
    let Some(g) = out.global_clusters().first() else {
        return Ok(None);
    };
    let members = g
        .global_cluster_members()
        .iter()
        .filter_map(|m| {
            let member_arn = m.db_cluster_arn()?;
            let parsed = arn::parse(member_arn)?;
            Some(GlobalMember {
                arn: member_arn.to_owned(),
                region: parsed.region.to_owned(),
                identifier: parsed.name.to_owned(),
                is_writer: m.is_writer().unwrap_or(false),
            })
        })
        .collect();
    Ok(Some(GlobalCluster {
        id: g.global_cluster_identifier().unwrap_or(id).to_owned(),
        engine_version: g.engine_version().unwrap_or_default().to_owned(),
        members,
        failover: g
            .failover_state()
            .and_then(|f| f.status())
            .map(|s| s.as_str().to_owned())
            .filter(|s| !s.is_empty()),
    }))
}
