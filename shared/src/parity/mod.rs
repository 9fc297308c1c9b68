//! Parity after switchover: production keeps what blue had.
//!
//! [`Baseline`] is what blue had, recorded by the precheck before anything is created (the
//! state machine keeps it in `$.precheck`); verify compares production with it
//! ([`compare`]). Without a baseline (an execution resumed at switchover runs no precheck),
//! old blue, re-read by name and checked by resource id, stands for blue: a switchover
//! renames it and leaves its settings as they were.

mod compare;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use compare::{compare, Difference};

use crate::aws::database::Database;
use crate::aws::proxy::ProxyTarget;
use crate::aws::roles::{self, AssociatedRole};

/// What blue had that production must keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    pub identifier: String,
    pub resource_id: String,
    pub deletion_protection: bool,
    pub tags: BTreeMap<String, String>,
    pub associated_roles: Vec<AssociatedRole>,
    /// The proxy targets naming blue (empty when none did, or when unknown: see `proxiesKnown`).
    pub proxy_targets: Vec<ProxyTarget>,
    /// Whether `proxyTargets` was read before switchover (false for a baseline taken from
    /// old blue, whose proxies have moved to production by then).
    pub proxies_known: bool,
    pub log_exports: Vec<String>,
    pub backup_retention_days: i32,
    /// Enhanced Monitoring interval in seconds (0: off).
    pub monitoring_interval: i32,
    pub performance_insights: bool,
}

impl Baseline {
    /// What `db` has now, with the proxy targets naming it when they were read.
    pub fn of(db: &Database, proxy_targets: Option<Vec<ProxyTarget>>) -> Baseline {
        let first = db.instances.first();
        let (log_exports, monitoring_interval, performance_insights) = match &db.cluster {
            Some(c) => (
                c.enabled_cloudwatch_logs_exports().to_vec(),
                c.monitoring_interval()
                    .or_else(|| first.and_then(|i| i.monitoring_interval()))
                    .unwrap_or(0),
                c.performance_insights_enabled()
                    .or_else(|| first.and_then(|i| i.performance_insights_enabled()))
                    .unwrap_or(false),
            ),
            None => (
                first
                    .map(|i| i.enabled_cloudwatch_logs_exports().to_vec())
                    .unwrap_or_default(),
                first.and_then(|i| i.monitoring_interval()).unwrap_or(0),
                first
                    .and_then(|i| i.performance_insights_enabled())
                    .unwrap_or(false),
            ),
        };
        let mut log_exports = log_exports;
        log_exports.sort();
        Baseline {
            identifier: db.identifier.clone(),
            resource_id: db.resource_id.clone(),
            deletion_protection: db.deletion_protection(),
            tags: db
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            associated_roles: roles::of(db),
            proxies_known: proxy_targets.is_some(),
            proxy_targets: proxy_targets.unwrap_or_default(),
            log_exports,
            backup_retention_days: db.backup_retention_days(),
            monitoring_interval,
            performance_insights,
        }
    }
}

/// What verify says about parity: what it compared with, and the differences that do not
/// stop the workflow (those that matter fail verify with `VerificationFailed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parity {
    /// `precheck` (recorded before create) or `old-blue` (no baseline was kept).
    pub compared_with: String,
    pub differences: Vec<Difference>,
}

/// Compares production with the baseline (or old blue), and fails with every difference that
/// matters, each with its fix.
pub async fn check(
    rds: &aws_sdk_rds::Client,
    request: &crate::input::Request,
    production: &Database,
    old_blue: &Database,
    baseline: Option<&Baseline>,
) -> Result<Parity, crate::error::Error> {
    let (baseline, compared_with) = match baseline {
        // Recorded by a re-run's precheck after the switchover (the database it read was
        // already production): not what blue had, so old blue stands in.
        Some(b) if b.resource_id == production.resource_id => {
            (Baseline::of(old_blue, None), "old-blue")
        }
        Some(b) if b.resource_id != old_blue.resource_id => {
            return Err(crate::error::Error::VerificationFailed {
                database: request.target.identifier.clone(),
                reason: format!(
                    "the precheck recorded blue as {} ({}), but old blue {} is {}: not the same database. Fix: compare production with old blue by hand before cleanup",
                    b.identifier, b.resource_id, old_blue.identifier, old_blue.resource_id
                ),
            })
        }
        Some(b) => (b.clone(), "precheck"),
        None => (Baseline::of(old_blue, None), "old-blue"),
    };
    let differences = compare(rds, request, production, old_blue, &baseline).await?;
    let matters: Vec<String> = differences
        .iter()
        .filter(|d| d.matters)
        .map(Difference::line)
        .collect();
    if !matters.is_empty() {
        return Err(crate::error::Error::VerificationFailed {
            database: request.target.identifier.clone(),
            reason: format!(
                "production {} lacks what blue had (compared with {compared_with}; old blue {} is kept): {}",
                production.identifier,
                old_blue.identifier,
                matters.join("; ")
            ),
        });
    }
    Ok(Parity {
        compared_with: compared_with.to_owned(),
        differences,
    })
}

/// After switchover of a global database's primary: production is the global database's
/// writer, no global failover is in flight, and the global database runs the requested
/// version (AWS: the switchover moves the primary and every secondary Region to green).
pub async fn check_global(
    rds: &aws_sdk_rds::Client,
    request: &crate::input::Request,
    production: &Database,
) -> Result<Option<crate::aws::global::GlobalCluster>, crate::error::Error> {
    let Some(id) = production
        .cluster
        .as_ref()
        .and_then(|c| c.global_cluster_identifier())
        .filter(|g| !g.is_empty())
    else {
        return Ok(None);
    };
    let fail = |reason: String| crate::error::Error::VerificationFailed {
        database: request.target.identifier.clone(),
        reason,
    };
    let global = crate::aws::global::describe(rds, id)
        .await?
        .ok_or_else(|| {
            fail(format!(
                "production names the global database {id}, which is not found"
            ))
        })?;
    if let Some(state) = &global.failover {
        return Err(crate::error::Error::NotReady {
            reason: format!(
                "the global database {id} has a global switchover or failover in flight ({state})"
            ),
        });
    }
    match global.writer() {
        Some(w) if w.arn == production.arn => {}
        other => {
            return Err(fail(format!(
                "the global database {id}'s writer is {}, not production {}. Fix: check the global database's members in every Region before cleanup",
                other.map_or("none", |w| w.arn.as_str()),
                production.arn
            )))
        }
    }
    if let Some(version) = &request.options.target_engine_version {
        if &global.engine_version != version {
            return Err(crate::error::Error::NotReady {
                reason: format!(
                    "the global database {id} reports {}, not yet {version} (its secondary Regions are still switching)",
                    global.engine_version
                ),
            });
        }
    }
    Ok(Some(global))
}
