//! RDS Proxy in front of blue: which proxies route to it, whether each is ready for the
//! switchover AWS runs through it, and the one case AWS does not support (a global database).
//!
//! AWS, "Using RDS Proxy with Blue/Green Deployments"
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-blue-green.html>, and the
//! Aurora guide's page of the same name): blue must already be a target of the proxy before the
//! deployment is created (it can't be added after); RDS runs extra switchover guardrails that
//! check the proxy reaches blue and green; after switchover the proxy routes to green and drops
//! existing connections; RDS Proxy with blue/green is not supported for Global Database.

use super::rule::Rule;
use super::{Context, Severity};
use crate::aws::database::Database;
use crate::aws::proxy::{self, ProxyTarget};
use crate::error::Error;

const PROXY_PAGE: &str = "AWS: Using RDS Proxy with Blue/Green Deployments (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-blue-green.html)";

pub const PROXY_TARGET: Rule = Rule {
    id: "rds-proxy-target",
    severity: Severity::Warn,
    checks: "RDS Proxies with blue as a registered, available target (DescribeDBProxies, DescribeDBProxyTargets): RDS runs extra switchover guardrails through them, and they route to green after switchover",
    fix: "nothing before create; applications connected through the proxy are disconnected at switchover and must reconnect; verify checks afterwards that the proxy targets production and is healthy",
    source: PROXY_PAGE,
};

pub const PROXY_NOT_READY: Rule = Rule {
    id: "rds-proxy-target-not-ready",
    severity: Severity::Block,
    checks: "every proxy with blue as a target is `available` and its blue target `AVAILABLE`: AWS requires blue to be a registered target before the deployment is created, and the switchover guardrails check the proxy reaches blue",
    fix: "wait until the proxy is available and the target AVAILABLE (aws rds describe-db-proxy-targets --db-proxy-name <proxy>); fix what TargetHealth.Description names (secret, security group, authentication); then run again",
    source: PROXY_PAGE,
};

pub const PROXY_ENGINE_FAMILY: Rule = Rule {
    id: "rds-proxy-engine-family",
    severity: Severity::Block,
    checks: "the engine family of every proxy targeting blue matches blue's engine (MYSQL for MySQL, MariaDB and Aurora MySQL; POSTGRESQL for the PostgreSQL engines)",
    fix: "deregister blue from the proxy of the wrong family and use a proxy of blue's family",
    source: PROXY_PAGE,
};

pub const PROXY_GLOBAL_DATABASE: Rule = Rule {
    id: "rds-proxy-global-database",
    severity: Severity::Block,
    checks: "no RDS Proxy targets a member of an Aurora global database: AWS does not support RDS Proxy with blue/green deployments of a global database",
    fix: "deregister the global database's members from the proxy (aws rds deregister-db-proxy-targets) for the deployment's lifetime, or upgrade without the proxy in front; register production again after switchover",
    source: "AWS: Using RDS Proxy with Blue/Green Deployments (Aurora guide, limitations: Global Database); Aurora Global Database limitations for blue/green deployments (avoid RDS Proxy on global database members during switchover)",
};

/// Reads the proxies targeting blue, flags what is not ready, and answers the targets (the
/// baseline verify compares production with after switchover).
pub async fn check(ctx: &mut Context<'_>, db: &Database) -> Result<Vec<ProxyTarget>, Error> {
    let targets = proxy::targeting(ctx.rds, &proxy::names_of(db)).await?;
    let family = if ctx.engine().is_postgres_family() {
        "POSTGRESQL"
    } else {
        "MYSQL"
    };
    let global = db
        .cluster
        .as_ref()
        .and_then(|c| c.global_cluster_identifier())
        .filter(|g| !g.is_empty());
    for name in proxy::proxy_names(&targets) {
        let ours: Vec<&ProxyTarget> = targets.iter().filter(|t| t.proxy == name).collect();
        let first = ours[0];
        let listed = ours
            .iter()
            .map(|t| format!("{} {}", t.target, t.health_text()))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(global) = global {
            ctx.flag(
                &PROXY_GLOBAL_DATABASE,
                format!("RDS Proxy {name} targets {} ({listed}), a member of the global database {global}", db.identifier),
            );
            continue;
        }
        if first.engine_family != family {
            ctx.flag(
                &PROXY_ENGINE_FAMILY,
                format!(
                    "RDS Proxy {name} has engine family {} but {} runs {} ({family})",
                    first.engine_family, db.identifier, db.engine
                ),
            );
            continue;
        }
        let unready: Vec<&&ProxyTarget> = ours.iter().filter(|t| t.health != "AVAILABLE").collect();
        if first.proxy_status != "available" || !unready.is_empty() {
            ctx.flag(
                &PROXY_NOT_READY,
                format!(
                    "RDS Proxy {name} is {} and its targets on {} are: {listed}",
                    first.proxy_status, db.identifier
                ),
            );
            continue;
        }
        ctx.flag(
            &PROXY_TARGET,
            format!("RDS Proxy {name} ({}) routes to {}: {listed}; after switchover it routes to green and drops existing connections", first.engine_family, db.identifier),
        );
    }
    Ok(targets)
}
