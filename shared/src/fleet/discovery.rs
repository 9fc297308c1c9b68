//! Finds the databases of a selection: every enrolled Aurora cluster and RDS instance of one
//! account and Region, read through that account's read role.
//!
//! Only what a person would call "the database" is taken: not an Aurora cluster's instances,
//! not a read replica, not a Blue/Green deployment's green (`-green-` and named as a
//! deployment's target), not an old blue (`-oldN`). Each database's wave is its
//! `rds-bluegreen:wave` tag, else (see [`super::plan`]) RDS's rollout order or the selection's.

use aws_sdk_rds::types::Tag;

use super::plan::Facts;
use super::request::{FleetTarget, Selection};
use crate::aws::{database::collect_pages, deployment, enrolment};
use crate::error::Error;
use crate::input::Engine;

/// The tag that puts a database in a wave.
pub const WAVE_TAG: &str = "rds-bluegreen:wave";

/// A database the selection found, or one it passed over and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A database: its wave tag (if any) in `target.wave`, the selection's wave, what RDS says.
    Target {
        target: FleetTarget,
        default_wave: Option<u32>,
        facts: Facts,
    },
    Skipped {
        database: String,
        reason: String,
    },
}

/// Every DB cluster and DB instance of the account and Region.
async fn list(
    rds: &aws_sdk_rds::Client,
) -> Result<
    (
        Vec<aws_sdk_rds::types::DbCluster>,
        Vec<aws_sdk_rds::types::DbInstance>,
    ),
    Error,
> {
    let clusters = collect_pages(
        rds.describe_db_clusters().into_paginator().send(),
        "DescribeDBClusters",
        |p| p.db_clusters().to_vec(),
    )
    .await?;
    let instances = collect_pages(
        rds.describe_db_instances().into_paginator().send(),
        "DescribeDBInstances",
        |p| p.db_instances().to_vec(),
    )
    .await?;
    Ok((clusters, instances))
}

/// What RDS says of each database of the account and Region (engine version, rollout order),
/// by identifier: two paginated reads for a whole lane, not one per database.
pub async fn facts(
    rds: &aws_sdk_rds::Client,
) -> Result<std::collections::BTreeMap<String, Facts>, Error> {
    let (clusters, instances) = list(rds).await?;
    let mut out = std::collections::BTreeMap::new();
    for c in &clusters {
        out.insert(
            c.db_cluster_identifier().unwrap_or_default().to_owned(),
            cluster_facts(c),
        );
    }
    for i in instances
        .iter()
        .filter(|i| i.db_cluster_identifier().is_none())
    {
        out.insert(
            i.db_instance_identifier().unwrap_or_default().to_owned(),
            instance_facts(i),
        );
    }
    Ok(out)
}

fn cluster_facts(c: &aws_sdk_rds::types::DbCluster) -> Facts {
    Facts {
        engine_version: c.engine_version().map(str::to_owned),
        rollout_order: c.upgrade_rollout_order().map(|o| o.as_str().to_owned()),
    }
}

fn instance_facts(i: &aws_sdk_rds::types::DbInstance) -> Facts {
    Facts {
        engine_version: i.engine_version().map(str::to_owned),
        rollout_order: i.upgrade_rollout_order().map(|o| o.as_str().to_owned()),
    }
}

/// Every database of the selection, in identifier order.
pub async fn discover(
    rds: &aws_sdk_rds::Client,
    selection: &Selection,
) -> Result<Vec<Found>, Error> {
    let (clusters, instances) = list(rds).await?;
    let greens: Vec<String> = deployment::list(rds)
        .await?
        .into_iter()
        .map(|d| d.target_arn)
        .collect();
    let mut candidates = Vec::new();
    for c in &clusters {
        candidates.push(Candidate {
            identifier: c.db_cluster_identifier().unwrap_or_default(),
            arn: c.db_cluster_arn().unwrap_or_default(),
            engine: c.engine().unwrap_or_default(),
            tags: c.tag_list(),
            member_or_replica: c.replication_source_identifier().is_some(),
            facts: cluster_facts(c),
        });
    }
    for i in &instances {
        candidates.push(Candidate {
            identifier: i.db_instance_identifier().unwrap_or_default(),
            arn: i.db_instance_arn().unwrap_or_default(),
            engine: i.engine().unwrap_or_default(),
            tags: i.tag_list(),
            facts: instance_facts(i),
            member_or_replica: i.db_cluster_identifier().is_some()
                || i.read_replica_source_db_instance_identifier().is_some()
                || i.read_replica_source_db_cluster_identifier().is_some(),
        });
    }
    candidates.sort_by(|a, b| a.identifier.cmp(b.identifier));
    Ok(candidates
        .into_iter()
        .filter(|c| !c.member_or_replica)
        .filter_map(|c| c.judge(selection, &greens))
        .collect())
}

struct Candidate<'a> {
    identifier: &'a str,
    arn: &'a str,
    engine: &'a str,
    tags: &'a [Tag],
    member_or_replica: bool,
    facts: Facts,
}

impl Candidate<'_> {
    /// The database as a target, a reason to pass it over, or `None` when it is not one of the
    /// selection's engines (not worth a line in the report).
    fn judge(&self, selection: &Selection, greens: &[String]) -> Option<Found> {
        let engine = Engine::from_api_name(self.engine)?;
        if !selection.engines.is_empty() && !selection.engines.contains(&engine) {
            return None;
        }
        let skip = |reason: &str| {
            Some(Found::Skipped {
                database: label(selection, self.identifier),
                reason: reason.to_owned(),
            })
        };
        if !enrolment::is_enrolled(self.tags) {
            return skip("not enrolled (no rds-bluegreen:enrolled = true tag)");
        }
        if is_old_blue(self.identifier) {
            return skip("an old blue left by an earlier switchover (-oldN)");
        }
        if self.identifier.contains("-green-") && greens.iter().any(|g| g == self.arn) {
            return skip("the green of a Blue/Green deployment");
        }
        let wave = match self.tags.iter().find(|t| t.key() == Some(WAVE_TAG)) {
            Some(tag) => match tag.value().and_then(|v| v.trim().parse::<u32>().ok()) {
                Some(wave) => Some(wave),
                None => return skip("its rds-bluegreen:wave tag is not a whole number"),
            },
            None => None,
        };
        Some(Found::Target {
            target: FleetTarget {
                account_id: selection.account_id.clone(),
                region: selection.region.clone(),
                identifier: self.identifier.to_owned(),
                engine,
                role_arn: selection.role_arn.clone(),
                wave,
                options: Default::default(),
            },
            default_wave: selection.wave,
            facts: self.facts.clone(),
        })
    }
}

/// `orders-old1` is old blue after a switchover.
fn is_old_blue(identifier: &str) -> bool {
    identifier
        .rsplit_once("-old")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `account/Region/identifier`, how the fleet's reports name a database.
pub fn label(selection: &Selection, identifier: &str) -> String {
    format!(
        "{}/{}/{identifier}",
        selection.account_id.as_deref().unwrap_or("this-account"),
        selection.region
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_blue_names_are_recognised() {
        assert!(is_old_blue("orders-old1"));
        assert!(is_old_blue("orders-old12"));
        assert!(!is_old_blue("orders-old"));
        assert!(!is_old_blue("orders-older"));
        assert!(!is_old_blue("orders"));
    }
}
