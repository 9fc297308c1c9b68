//! What one precheck run shares between its rules: the client, the request, the findings so
//! far, and the reads several rules need (parameter groups, engine versions), each made once.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_rds::types::DbEngineVersion;

use super::{Finding, NotChecked, Report, Rule, Severity};
use crate::aws::database::{collect_pages, Database};
use crate::error::Error;
use crate::input::{Engine, Request};

/// A parameter group as read once per run: its family and the parameters that have a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterGroup {
    pub name: String,
    pub family: String,
    values: HashMap<String, String>,
}

impl ParameterGroup {
    /// The value of a parameter; `None` when the group gives it none.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// DB cluster parameter groups (Aurora) and DB parameter groups (instances) share names
/// but not the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    Cluster,
    Instance,
}

/// One run's state.
#[derive(Debug)]
pub struct Context<'a> {
    pub rds: &'a aws_sdk_rds::Client,
    pub request: &'a Request,
    findings: Vec<Finding>,
    not_checked: Vec<NotChecked>,
    groups: HashMap<(GroupKind, String), Option<Arc<ParameterGroup>>>,
    versions: HashMap<(String, String), Option<Arc<DbEngineVersion>>>,
    source_version: Option<String>,
    regions: Option<RegionClients<'a>>,
}

/// Makes an RDS client for another Region of the same target (a global database's
/// secondary Regions); the precheck function passes its client factory's.
pub type Regions<'a> = &'a (dyn Fn(&str) -> Result<aws_sdk_rds::Client, Error> + Send + Sync);

/// [`Regions`] with a `Debug` the context can derive.
#[derive(Clone, Copy)]
struct RegionClients<'a>(Regions<'a>);

impl std::fmt::Debug for RegionClients<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegionClients")
    }
}

impl<'a> Context<'a> {
    pub fn new(
        rds: &'a aws_sdk_rds::Client,
        request: &'a Request,
        database: Option<&Database>,
    ) -> Self {
        Context {
            rds,
            request,
            findings: Vec::new(),
            not_checked: Vec::new(),
            groups: HashMap::new(),
            versions: HashMap::new(),
            source_version: database.map(|d| d.engine_version.clone()),
            regions: None,
        }
    }

    /// The same context, able to read other Regions of the target.
    pub fn with_regions(mut self, regions: Option<Regions<'a>>) -> Self {
        self.regions = regions.map(RegionClients);
        self
    }

    /// A client for `region`; `None` when this run cannot read other Regions.
    pub fn regional(&self, region: &str) -> Option<Result<aws_sdk_rds::Client, Error>> {
        self.regions.map(|make| (make.0)(region))
    }

    /// The engine the request names (already checked equal to the database's).
    pub fn engine(&self) -> Engine {
        self.request.target.engine
    }

    /// Records a finding of the rule with its usual severity and fix.
    pub fn flag(&mut self, rule: &Rule, message: impl Into<String>) {
        self.flag_with(rule, rule.severity, message, rule.fix);
    }

    /// Records a finding whose severity or fix depends on what was found.
    pub fn flag_with(
        &mut self,
        rule: &Rule,
        severity: Severity,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding {
            id: rule.id.to_owned(),
            severity,
            message: message.into(),
            fix: fix.into(),
            source: rule.source.to_owned(),
        });
    }

    /// Records a prerequisite that could not be verified.
    pub fn not_checked(&mut self, id: &str, reason: impl Into<String>) {
        self.not_checked.push(NotChecked {
            id: id.to_owned(),
            reason: reason.into(),
        });
    }

    /// The version green will run when the request changes it; `None` for the same version.
    pub fn target_version(&self) -> Option<&'a str> {
        let wanted = self.request.options.target_engine_version.as_deref()?;
        (self.source_version.as_deref() != Some(wanted)).then_some(wanted)
    }

    /// Whether green runs another major version than blue (family and replication change).
    pub fn is_major_upgrade(&self) -> bool {
        match (self.source_version.as_deref(), self.target_version()) {
            (Some(from), Some(to)) => {
                major_version(self.engine(), from) != major_version(self.engine(), to)
            }
            _ => false,
        }
    }

    /// Whether the deployment replicates logically (so the PostgreSQL logical replication
    /// prerequisites apply): always for Aurora PostgreSQL, for RDS PostgreSQL on a major upgrade.
    pub fn uses_logical_replication(&self) -> bool {
        match self.engine() {
            Engine::AuroraPostgresql => true,
            Engine::Postgres => self.is_major_upgrade(),
            _ => false,
        }
    }

    /// A parameter group by kind and name, read once per run; `None` when it does not exist.
    pub async fn group(
        &mut self,
        kind: GroupKind,
        name: &str,
    ) -> Result<Option<Arc<ParameterGroup>>, Error> {
        let key = (kind, name.to_owned());
        if let Some(cached) = self.groups.get(&key) {
            return Ok(cached.clone());
        }
        let group = match kind {
            GroupKind::Cluster => read_cluster_group(self.rds, name).await?,
            GroupKind::Instance => read_instance_group(self.rds, name).await?,
        }
        .map(Arc::new);
        self.groups.insert(key, group.clone());
        Ok(group)
    }

    /// `DescribeDBEngineVersions` for one engine version, read once per run.
    pub async fn engine_version(
        &mut self,
        version: &str,
    ) -> Result<Option<Arc<DbEngineVersion>>, Error> {
        let engine = self.engine().api_name();
        let key = (engine.to_owned(), version.to_owned());
        if let Some(cached) = self.versions.get(&key) {
            return Ok(cached.clone());
        }
        let out = self
            .rds
            .describe_db_engine_versions()
            .engine(engine)
            .engine_version(version)
            // The source's own version may no longer be offered for new databases.
            .include_all(true)
            .send()
            .await
            .map_err(|e| Error::from_sdk("DescribeDBEngineVersions", e))?;
        let found = out
            .db_engine_versions()
            .iter()
            .find(|v| v.engine_version() == Some(version))
            .cloned()
            .map(Arc::new);
        self.versions.insert(key, found.clone());
        Ok(found)
    }

    /// Builds the report from everything recorded.
    pub fn finish(self, request: &Request, database: Option<&Database>) -> Report {
        Report::new(request, database, self.findings, self.not_checked)
    }
}

/// The major version as RDS counts it: `16` for PostgreSQL, `8.0` for MySQL, MariaDB and
/// Aurora MySQL (`8.0.mysql_aurora.3.05.2`).
pub fn major_version(engine: Engine, version: &str) -> String {
    let parts = if engine.is_postgres_family() { 1 } else { 2 };
    version.split('.').take(parts).collect::<Vec<_>>().join(".")
}

async fn read_cluster_group(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<ParameterGroup>, Error> {
    let described = rds
        .describe_db_cluster_parameter_groups()
        .db_cluster_parameter_group_name(name)
        .send()
        .await;
    let family = match described {
        Ok(out) => match out.db_cluster_parameter_groups().first() {
            Some(g) => g.db_parameter_group_family().unwrap_or_default().to_owned(),
            None => return Ok(None),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_parameter_group_not_found_fault()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(Error::from_sdk("DescribeDBClusterParameterGroups", e)),
    };
    let pages = rds
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name(name)
        .into_paginator()
        .send();
    let params = collect_pages(pages, "DescribeDBClusterParameters", |p| {
        pairs(p.parameters())
    })
    .await?;
    Ok(Some(ParameterGroup {
        name: name.to_owned(),
        family,
        values: params.into_iter().collect(),
    }))
}

async fn read_instance_group(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<ParameterGroup>, Error> {
    let described = rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await;
    let family = match described {
        Ok(out) => match out.db_parameter_groups().first() {
            Some(g) => g.db_parameter_group_family().unwrap_or_default().to_owned(),
            // AWS answers DBParameterGroupNotFound; some emulators an empty list.
            None => return Ok(None),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_parameter_group_not_found_fault()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(Error::from_sdk("DescribeDBParameterGroups", e)),
    };
    let pages = rds
        .describe_db_parameters()
        .db_parameter_group_name(name)
        .into_paginator()
        .send();
    let params = collect_pages(pages, "DescribeDBParameters", |p| pairs(p.parameters())).await?;
    Ok(Some(ParameterGroup {
        name: name.to_owned(),
        family,
        values: params.into_iter().collect(),
    }))
}

fn pairs(params: &[aws_sdk_rds::types::Parameter]) -> Vec<(String, String)> {
    params
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_name()?.to_owned(),
                p.parameter_value()?.to_owned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions_per_engine() {
        assert_eq!(major_version(Engine::Postgres, "15.6"), "15");
        assert_eq!(major_version(Engine::AuroraPostgresql, "16.4"), "16");
        assert_eq!(major_version(Engine::Mysql, "8.0.39"), "8.0");
        assert_eq!(major_version(Engine::Mysql, "5.7.44-rds.20240808"), "5.7");
        assert_eq!(
            major_version(Engine::AuroraMysql, "8.0.mysql_aurora.3.05.2"),
            "8.0"
        );
        assert_eq!(major_version(Engine::Mariadb, "10.11.9"), "10.11");
    }
}
