//! RDS Proxy: which proxies route to a database, and how healthy each target is.
//!
//! AWS ("Using RDS Proxy with Blue/Green Deployments",
//! <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-blue-green.html>): blue must
//! already be a registered proxy target when the deployment is created; at switchover RDS
//! checks the proxy reaches both sides, then the proxy routes to green, and
//! `DescribeDBProxyTargets` shows the new target only once the switchover has fully completed.

use serde::{Deserialize, Serialize};

use crate::aws::database::collect_pages;
use crate::error::Error;

/// One target of one proxy, as `DescribeDBProxyTargets` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyTarget {
    pub proxy: String,
    /// The proxy's own status (`available`, `modifying`, ...).
    pub proxy_status: String,
    /// `MYSQL`, `POSTGRESQL`, `SQLSERVER`.
    pub engine_family: String,
    /// The DB instance or cluster the target names (`RdsResourceId`, else `TrackedClusterId`).
    pub target: String,
    /// `TrackedClusterId`: the cluster an instance target belongs to, when it does.
    #[serde(default)]
    pub tracked_cluster: Option<String>,
    /// `TargetHealth.State`: `AVAILABLE`, `REGISTERING`, `UNAVAILABLE`, `UNUSED`, or empty.
    pub health: String,
    /// `TargetHealth.Description`, AWS's words on an unhealthy target.
    #[serde(default)]
    pub health_detail: Option<String>,
}

impl ProxyTarget {
    /// Whether the target names one of `names` (itself or as its tracked cluster).
    pub fn names_any(&self, names: &[String]) -> bool {
        names
            .iter()
            .any(|n| *n == self.target || self.tracked_cluster.as_deref() == Some(n.as_str()))
    }

    /// AWS's health state of the target, with its description when AWS gives one.
    pub fn health_text(&self) -> String {
        match &self.health_detail {
            Some(d) if !d.is_empty() => format!("{} ({d})", self.health),
            _ => self.health.clone(),
        }
    }
}

/// Every target of every proxy in the Region that names one of `names` (a DB instance or a
/// DB cluster identifier). A proxy deleted while it is read is skipped.
pub async fn targeting(
    rds: &aws_sdk_rds::Client,
    names: &[String],
) -> Result<Vec<ProxyTarget>, Error> {
    let pages = rds.describe_db_proxies().into_paginator().send();
    let proxies = collect_pages(pages, "DescribeDBProxies", |p| p.db_proxies().to_vec()).await?;
    let mut found = Vec::new();
    for proxy in proxies {
        let name = proxy.db_proxy_name().unwrap_or_default().to_owned();
        let pages = rds
            .describe_db_proxy_targets()
            .db_proxy_name(&name)
            .into_paginator()
            .send();
        let targets = match collect_pages(pages, "DescribeDBProxyTargets", |p| p.targets().to_vec())
            .await
        {
            Ok(t) => t,
            Err(Error::AwsCallFailed { code, .. }) if code == "DBProxyNotFoundFault" => continue,
            Err(e) => return Err(e),
        };
        for t in targets {
            let target = ProxyTarget {
                proxy: name.clone(),
                proxy_status: proxy
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                engine_family: proxy.engine_family().unwrap_or_default().to_owned(),
                target: t
                    .rds_resource_id()
                    .or(t.tracked_cluster_id())
                    .unwrap_or_default()
                    .to_owned(),
                tracked_cluster: t.tracked_cluster_id().map(str::to_owned),
                health: t
                    .target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                health_detail: t
                    .target_health()
                    .and_then(|h| h.description())
                    .map(str::to_owned),
            };
            if target.names_any(names) {
                found.push(target);
            }
        }
    }
    Ok(found)
}

/// The names proxies can register for a database: the cluster and its instances, or the
/// RDS instance.
pub fn names_of(db: &crate::aws::database::Database) -> Vec<String> {
    let mut names = vec![db.identifier.clone()];
    names.extend(
        db.instance_ids()
            .into_iter()
            .filter(|i| *i != db.identifier),
    );
    names
}

/// The distinct proxy names among `targets`, in order.
pub fn proxy_names(targets: &[ProxyTarget]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for t in targets {
        if !names.contains(&t.proxy) {
            names.push(t.proxy.clone());
        }
    }
    names
}
