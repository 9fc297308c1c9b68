//! The permissions preflight of a dry run: before anything is created, IAM's policy simulator
//! (`SimulatePrincipalPolicy`) is asked whether each role the workflow will use may make each
//! call it will make on this database, with the database's real ARNs and its tags as context.
//! Every denial is a blocking finding naming the role, the call and the statement to fix, so a
//! team's first run in a real account says whether the stack's policies fit that account
//! (service control policies and permission boundaries included, as far as the simulator
//! reports them). It only asks IAM; it never calls RDS on the roles' behalf.
//!
//! AWS: IAM API Reference, SimulatePrincipalPolicy
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>); the
//! calls each Blue/Green operation needs: "Authorizing access to blue/green deployment
//! operations" (RDS and Aurora user guides), which `member-account.yaml` cites statement by
//! statement.

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};

use super::rule::Rule;
use super::{Finding, NotChecked, Report, Severity};
use crate::aws::clients::{ClientFactory, RoleKind};
use crate::aws::database::Database;
use crate::error::Error;
use crate::input::{Kind, Request, Target};

pub const PERMISSIONS: Rule = Rule {
    id: "permissions",
    severity: Severity::Block,
    checks: "dry run only: IAM's policy simulator (SimulatePrincipalPolicy) allows each role the workflow will use (the member roles, or the hub function roles for a same-account database) every call it will make on this database, with its ARNs and its tags as context",
    fix: "grant the call in the statement the finding names (member-account.yaml for a member account, template.yaml for the hub) and redeploy, or lift the service control policy or permission boundary that denies it",
    source: "AWS: IAM API Reference, SimulatePrincipalPolicy; AWS: Authorizing access to Amazon RDS / Aurora blue/green deployment operations",
};

/// The names the simulated calls give what does not exist yet (the deployment, green, old
/// blue, the snapshots): shaped as RDS and the product name them, so name-scoped statements
/// are judged as they will be.
const DEPLOYMENT: &str = "bgd-preflight";
const GREEN_SUFFIX: &str = "-green-prefli";
const OLD_SUFFIX: &str = "-old1";
const ENROLLED: &str = "rds-bluegreen:enrolled";

/// The roles a workflow on one database uses, with their kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(pub Vec<(RoleKind, String)>);

impl Roles {
    /// A member account's four roles (`<roleArn>-<kind>`), or the hub function roles of
    /// `HUB_ROLE_ARNS` (`<kind>=<role ARN>,...`) for a database in the hub's own account;
    /// `None` when neither is known (a stack without the variable).
    pub fn for_target(target: &Target, hub: Option<&str>) -> Result<Option<Roles>, Error> {
        if let Some(base) = &target.role_arn {
            let kinds = [
                RoleKind::Read,
                RoleKind::Create,
                RoleKind::Switchover,
                RoleKind::Delete,
            ];
            return Ok(Some(Roles(
                kinds
                    .into_iter()
                    .map(|k| (k, format!("{base}-{}", k.suffix())))
                    .collect(),
            )));
        }
        let Some(list) = hub.map(str::trim).filter(|l| !l.is_empty()) else {
            return Ok(None);
        };
        let mut roles = Vec::new();
        for entry in list.split(',') {
            let parsed = entry
                .split_once('=')
                .and_then(|(kind, arn)| Some((RoleKind::parse(kind.trim())?, arn.trim())));
            match parsed {
                Some((kind, arn)) if arn.starts_with("arn:") => roles.push((kind, arn.to_owned())),
                _ => {
                    return Err(Error::Configuration(format!(
                        "HUB_ROLE_ARNS has `{entry}`: expected <read|create|switchover|delete>=<role ARN>"
                    )))
                }
            }
        }
        Ok(Some(Roles(roles)))
    }

    fn is_member(&self, target: &Target) -> bool {
        target.role_arn.is_some()
    }
}

/// One call the workflow will make: by which kind of role, on what, in which context, and the
/// statement of the templates that grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub kind: RoleKind,
    pub action: &'static str,
    pub resource: String,
    /// Context keys and their values (`aws:TagKeys` is a list).
    pub context: Vec<(String, Vec<String>)>,
    /// The `Sid` that grants it, in the role of this kind.
    pub statement: &'static str,
}

/// Every call of the workflow on `db`, in order of the stages.
pub fn plan(db: &Database) -> Vec<Call> {
    let base = db.arn.splitn(6, ':').take(5).collect::<Vec<_>>().join(":");
    let (kind, rtype) = match db.kind {
        Kind::Cluster => (Kind::Cluster, "cluster"),
        Kind::Instance => (Kind::Instance, "db"),
    };
    let arn = |rtype: &str, name: &str| format!("{base}:{rtype}:{name}");
    let tags: Vec<(String, Vec<String>)> = db
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                format!("aws:ResourceTag/{}", t.key()?),
                vec![t.value()?.to_owned()],
            ))
        })
        .collect();
    let enrolled = || {
        vec![(
            format!("aws:ResourceTag/{ENROLLED}"),
            vec!["true".to_owned()],
        )]
    };
    let tag_keys = |keys: &[&str]| {
        (
            "aws:TagKeys".to_owned(),
            keys.iter().map(|k| k.to_string()).collect(),
        )
    };
    let created_deployment = || {
        vec![
            (
                format!("aws:RequestTag/{ENROLLED}"),
                vec!["true".to_owned()],
            ),
            tag_keys(&[ENROLLED, "bluegreen:blue", "bluegreen:green"]),
        ]
    };
    let product_snapshot = || {
        vec![
            (
                "aws:RequestTag/created-by".to_owned(),
                vec!["rds-bluegreen-automation".to_owned()],
            ),
            tag_keys(&["created-by"]),
        ]
    };
    let call =
        |kind, action, resource: String, context: Vec<(String, Vec<String>)>, statement| Call {
            kind,
            action,
            resource,
            context,
            statement,
        };
    let deployment = arn("deployment", DEPLOYMENT);
    let (snapshot_type, create_snapshot) = match kind {
        Kind::Cluster => ("cluster-snapshot", "rds:CreateDBClusterSnapshot"),
        Kind::Instance => ("snapshot", "rds:CreateDBSnapshot"),
    };
    let (modify, promote, delete) = match kind {
        Kind::Cluster => (
            "rds:ModifyDBCluster",
            "rds:PromoteReadReplicaDBCluster",
            "rds:DeleteDBCluster",
        ),
        Kind::Instance => (
            "rds:ModifyDBInstance",
            "rds:PromoteReadReplica",
            "rds:DeleteDBInstance",
        ),
    };
    let green = arn(rtype, &format!("{}{GREEN_SUFFIX}", db.identifier));
    let old = arn(rtype, &format!("{}{OLD_SUFFIX}", db.identifier));
    let describe = match kind {
        Kind::Cluster => "rds:DescribeDBClusters",
        Kind::Instance => "rds:DescribeDBInstances",
    };
    use RoleKind::{Create, Delete, Read, Switchover};
    let mut calls = vec![
        call(
            Read,
            describe,
            db.arn.clone(),
            vec![],
            "ReadDatabasesAndDeployments",
        ),
        call(
            Read,
            "rds:DescribeBlueGreenDeployments",
            "*".into(),
            vec![],
            "ReadDatabasesAndDeployments",
        ),
        // create: the source, the deployment created with the enrolment tag, and what RDS
        // builds on the caller's behalf.
        call(
            Create,
            "rds:CreateBlueGreenDeployment",
            db.arn.clone(),
            tags.clone(),
            "CreateGreenOfEnrolledDatabasesOnly",
        ),
        call(
            Create,
            "rds:CreateBlueGreenDeployment",
            deployment.clone(),
            created_deployment(),
            "CreateEnrolledDeployments",
        ),
        call(
            Create,
            "rds:AddTagsToResource",
            deployment.clone(),
            created_deployment(),
            "BuildGreenOnTheCallersBehalf",
        ),
    ];
    match kind {
        Kind::Cluster => {
            for action in [
                "rds:CreateDBCluster",
                "rds:CreateDBInstance",
                "rds:CreateDBClusterEndpoint",
            ] {
                let rtype = if action == "rds:CreateDBInstance" {
                    "db"
                } else if action == "rds:CreateDBCluster" {
                    "cluster"
                } else {
                    "cluster-endpoint"
                };
                calls.push(call(
                    Create,
                    action,
                    arn(rtype, &format!("{}{GREEN_SUFFIX}", db.identifier)),
                    vec![],
                    "BuildGreenOnTheCallersBehalf",
                ));
            }
        }
        Kind::Instance => {
            calls.push(call(
                Create,
                "rds:CreateDBInstanceReadReplica",
                green.clone(),
                vec![],
                "BuildGreenOnTheCallersBehalf",
            ));
        }
    }
    calls.extend([
        // switchover: the snapshot of blue, the deployment, and what RDS does on the caller's
        // behalf to blue and to green (which carries blue's tags during switchover).
        call(
            Switchover,
            create_snapshot,
            db.arn.clone(),
            tags.clone(),
            "SnapshotEnrolledBlue",
        ),
        call(
            Switchover,
            create_snapshot,
            arn(
                snapshot_type,
                &format!("{}-pre-switchover-{DEPLOYMENT}", db.identifier),
            ),
            product_snapshot(),
            "TagTheProductsSnapshots",
        ),
        call(
            Switchover,
            "rds:SwitchoverBlueGreenDeployment",
            deployment.clone(),
            enrolled(),
            "SwitchOverEnrolledDeployments",
        ),
        call(
            Switchover,
            modify,
            db.arn.clone(),
            tags.clone(),
            "SwitchOverOnTheCallersBehalf",
        ),
        call(
            Switchover,
            modify,
            green.clone(),
            tags.clone(),
            "SwitchOverOnTheCallersBehalf",
        ),
        call(
            Switchover,
            promote,
            green.clone(),
            tags.clone(),
            "SwitchOverOnTheCallersBehalf",
        ),
        // cleanup: old blue (renamed -old1, keeping its tags), its final snapshot, the record
        // on the deployment, and the deployment.
        call(
            Delete,
            create_snapshot,
            old.clone(),
            tags.clone(),
            "FinalSnapshotOfOldBlue",
        ),
        call(
            Delete,
            create_snapshot,
            arn(
                snapshot_type,
                &format!("{}{OLD_SUFFIX}-final-{DEPLOYMENT}", db.identifier),
            ),
            product_snapshot(),
            "TagTheFinalSnapshots",
        ),
        call(
            Delete,
            "rds:AddTagsToResource",
            deployment.clone(),
            [enrolled(), vec![tag_keys(&["bluegreen:cleanup-started"])]].concat(),
            "RecordOnEnrolledDeployments",
        ),
        call(
            Delete,
            delete,
            old,
            tags.clone(),
            "DeleteOldBlueOfEnrolledDatabases",
        ),
        call(
            Delete,
            "rds:DeleteBlueGreenDeployment",
            deployment,
            enrolled(),
            "DeleteEnrolledDeployments",
        ),
    ]);
    if kind == Kind::Cluster {
        for instance in db.instance_ids() {
            calls.push(call(
                Switchover,
                "rds:RebootDBInstance",
                arn("db", &format!("{instance}{GREEN_SUFFIX}")),
                vec![],
                "RebootGreenPendingAReboot",
            ));
            calls.push(call(
                Delete,
                "rds:DeleteDBInstance",
                arn("db", &format!("{instance}{OLD_SUFFIX}")),
                tags.clone(),
                "DeleteOldBlueOfEnrolledDatabases",
            ));
        }
    } else {
        calls.push(call(
            Switchover,
            "rds:RebootDBInstance",
            green,
            vec![],
            "RebootGreenPendingAReboot",
        ));
    }
    calls
}

/// Runs the preflight for a dry run and adds its findings to the precheck's report. A missing
/// database is already a finding of its own; roles that cannot be named (no `roleArn`, no
/// `HUB_ROLE_ARNS`) leave the rule under `notChecked`.
pub async fn preflight(
    clients: &ClientFactory,
    request: &Request,
    hub_roles: Option<&str>,
    report: Report,
) -> Result<Report, Error> {
    let identifier = request.target.identifier.clone();
    if report.database.is_none() {
        return Ok(report);
    }
    let Some(roles) = Roles::for_target(&request.target, hub_roles)? else {
        let reason =
            "the roles of a same-account workflow are not known (HUB_ROLE_ARNS is not set)";
        return Ok(report.with(&identifier, vec![], vec![not_checked(reason.to_owned())]));
    };
    let db = Database::load(&clients.rds(&request.target)?, &request.target).await?;
    let iam = clients.iam(&request.target)?;
    let (findings, skipped) =
        check(&iam, &roles, roles.is_member(&request.target), &plan(&db)).await;
    Ok(report.with(&identifier, findings, skipped))
}

/// Asks the simulator about every call of `calls` for the role of its kind, and turns each
/// denial into a finding; a role the simulator cannot be asked about is `notChecked`.
pub async fn check(
    iam: &aws_sdk_iam::Client,
    roles: &Roles,
    member: bool,
    calls: &[Call],
) -> (Vec<Finding>, Vec<NotChecked>) {
    let mut findings = Vec::new();
    let mut skipped = Vec::new();
    for (kind, role) in &roles.0 {
        for call in calls.iter().filter(|c| c.kind == *kind) {
            match simulate(iam, role, call).await {
                Ok(None) => {}
                Ok(Some(finding)) => findings.push(finding.named(role, call, member)),
                Err(SimulateError::NoRole(message)) => {
                    findings.push(missing_role(role, member, &message));
                    break;
                }
                Err(SimulateError::Other(message)) => {
                    skipped.push(not_checked(format!(
                        "IAM's policy simulator could not be asked about {role}: {message}. Fix: allow iam:SimulatePrincipalPolicy on it (member-account.yaml ReadRole, template.yaml PrecheckFunction: SimulateTheProductsOwnRoles)"
                    )));
                    break;
                }
            }
        }
    }
    (findings, skipped)
}

/// What the simulator decided, when it is not `allowed`.
struct Denial {
    decision: String,
    by: Vec<String>,
}

enum SimulateError {
    NoRole(String),
    Other(String),
}

async fn simulate(
    iam: &aws_sdk_iam::Client,
    role: &str,
    call: &Call,
) -> Result<Option<Denial>, SimulateError> {
    let mut request = iam
        .simulate_principal_policy()
        .policy_source_arn(role)
        .action_names(call.action)
        .resource_arns(&call.resource);
    for (key, values) in &call.context {
        let kind = if key == "aws:TagKeys" {
            ContextKeyTypeEnum::StringList
        } else {
            ContextKeyTypeEnum::String
        };
        request = request.context_entries(
            ContextEntry::builder()
                .context_key_name(key)
                .set_context_key_values(Some(values.clone()))
                .context_key_type(kind)
                .build(),
        );
    }
    let out = request.send().await.map_err(|e| {
        let text = aws_sdk_iam::error::DisplayErrorContext(&e).to_string();
        match e.as_service_error() {
            Some(s) if s.is_no_such_entity_exception() => SimulateError::NoRole(text),
            _ => SimulateError::Other(text),
        }
    })?;
    let Some(result) = out.evaluation_results().first() else {
        return Err(SimulateError::Other(
            "the simulator answered no evaluation".into(),
        ));
    };
    if *result.eval_decision() == PolicyEvaluationDecisionType::Allowed {
        return Ok(None);
    }
    let by = result
        .matched_statements()
        .iter()
        .filter_map(|s| s.source_policy_id().map(str::to_owned))
        .collect();
    Ok(Some(Denial {
        decision: result.eval_decision().as_str().to_owned(),
        by,
    }))
}

impl Denial {
    fn named(self, role: &str, call: &Call, member: bool) -> Finding {
        let (template, holder) = holder(call.kind, member);
        let fix = if self.decision == "explicitDeny" {
            format!(
                "a Deny refuses it ({}): if it is none of the stack's own (an SCP or a permission boundary), lift it for this call; otherwise the workflow must not make this call on this database",
                if self.by.is_empty() { "a policy the simulator does not name".to_owned() } else { self.by.join(", ") }
            )
        } else {
            format!(
                "grant it: {template} {holder}, statement {} (redeploy the stack if the role was changed by hand)",
                call.statement
            )
        };
        Finding {
            id: PERMISSIONS.id.into(),
            severity: PERMISSIONS.severity,
            message: format!(
                "role {role} may not {} on {} ({})",
                call.action, call.resource, self.decision
            ),
            fix,
            source: PERMISSIONS.source.into(),
        }
    }
}

/// Where the statement of a role of this kind lives.
fn holder(kind: RoleKind, member: bool) -> (&'static str, &'static str) {
    match (member, kind) {
        (true, RoleKind::Read) => ("member-account.yaml", "ReadRole"),
        (true, RoleKind::Create) => ("member-account.yaml", "CreateRole"),
        (true, RoleKind::Switchover) => ("member-account.yaml", "SwitchoverRole"),
        (true, RoleKind::Delete) => ("member-account.yaml", "DeleteRole"),
        (false, RoleKind::Read) => ("template.yaml", "PollStatusFunction"),
        (false, RoleKind::Create) => ("template.yaml", "CreateFunction"),
        (false, RoleKind::Switchover) => ("template.yaml", "SwitchoverFunction"),
        (false, RoleKind::Delete) => ("template.yaml", "DeleteOldFunction"),
    }
}

fn missing_role(role: &str, member: bool, message: &str) -> Finding {
    let fix = if member {
        "deploy member-account.yaml in the database's account (its RoleNamePrefix is the role name target.roleArn gives)"
    } else {
        "redeploy the hub stack (HUB_ROLE_ARNS names a role that is gone)"
    };
    Finding {
        id: PERMISSIONS.id.into(),
        severity: PERMISSIONS.severity,
        message: format!("role {role} does not exist ({message})"),
        fix: fix.into(),
        source: PERMISSIONS.source.into(),
    }
}

fn not_checked(reason: String) -> NotChecked {
    NotChecked {
        id: PERMISSIONS.id.into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Engine;

    fn target(role: Option<&str>) -> Target {
        Target {
            account_id: None,
            region: "eu-west-1".into(),
            identifier: "orders".into(),
            engine: Engine::AuroraMysql,
            role_arn: role.map(str::to_owned),
        }
    }

    #[test]
    fn a_member_account_uses_its_four_roles_and_the_hub_its_listed_ones() {
        let member = Roles::for_target(
            &target(Some("arn:aws:iam::222222222222:role/rds-bluegreen")),
            None,
        )
        .unwrap()
        .unwrap();
        let arns: Vec<&str> = member.0.iter().map(|(_, a)| a.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::222222222222:role/rds-bluegreen-read",
                "arn:aws:iam::222222222222:role/rds-bluegreen-create",
                "arn:aws:iam::222222222222:role/rds-bluegreen-switchover",
                "arn:aws:iam::222222222222:role/rds-bluegreen-delete",
            ]
        );
        let hub = Roles::for_target(
            &target(None),
            Some("read=arn:aws:iam::1:role/p, create=arn:aws:iam::1:role/c"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(hub.0[1], (RoleKind::Create, "arn:aws:iam::1:role/c".into()));
        assert_eq!(Roles::for_target(&target(None), None).unwrap(), None);
        let err =
            Roles::for_target(&target(None), Some("change=arn:aws:iam::1:role/c")).unwrap_err();
        assert_eq!(err.name(), "ConfigurationError");
    }

    fn aurora() -> Database {
        use aws_sdk_rds::types::{DbCluster, DbInstance, Tag};
        Database {
            kind: Kind::Cluster,
            identifier: "orders".into(),
            arn: "arn:aws:rds:eu-west-1:222222222222:cluster:orders".into(),
            resource_id: "cluster-ABC".into(),
            engine: "aurora-mysql".into(),
            engine_version: "8.0.mysql_aurora.3.05.2".into(),
            status: "available".into(),
            cluster: Some(
                DbCluster::builder()
                    .tag_list(Tag::builder().key(ENROLLED).value("true").build())
                    .build(),
            ),
            instances: vec![DbInstance::builder()
                .db_instance_identifier("orders-instance-1")
                .build()],
        }
    }

    /// Every source file of the library, as (path, text).
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut out,
        );
        out
    }

    /// Every RDS call that changes something and that the product makes itself is one the
    /// preflight asks about, for the role of the step that makes it.
    #[test]
    fn the_preflight_asks_about_every_changing_call_the_product_makes() {
        let calls = plan(&aurora());
        let asked = |action: &str| calls.iter().any(|c| c.action == action);
        let made = [
            (
                ".create_blue_green_deployment()",
                "rds:CreateBlueGreenDeployment",
            ),
            (
                ".switchover_blue_green_deployment()",
                "rds:SwitchoverBlueGreenDeployment",
            ),
            (
                ".delete_blue_green_deployment()",
                "rds:DeleteBlueGreenDeployment",
            ),
            (".reboot_db_instance()", "rds:RebootDBInstance"),
            (
                ".create_db_cluster_snapshot()",
                "rds:CreateDBClusterSnapshot",
            ),
            (".delete_db_cluster()", "rds:DeleteDBCluster"),
            (".delete_db_instance()", "rds:DeleteDBInstance"),
            (".add_tags_to_resource()", "rds:AddTagsToResource"),
        ];
        let all: String = sources().into_iter().map(|(_, t)| t).collect();
        for (method, action) in made {
            assert!(
                all.contains(method),
                "the product no longer calls {method}: update the plan"
            );
            assert!(asked(action), "the preflight does not ask about {action}");
        }
        let blue = "arn:aws:rds:eu-west-1:222222222222:cluster:orders";
        let modify = calls
            .iter()
            .find(|c| c.action == "rds:ModifyDBCluster" && c.resource == blue)
            .expect("switchover's modify of blue, made by RDS on the caller's behalf");
        assert_eq!(modify.kind, RoleKind::Switchover);
        assert!(modify.context.contains(&(
            format!("aws:ResourceTag/{ENROLLED}"),
            vec!["true".to_owned()]
        )));
        assert!(calls.iter().any(|c| c.action == "rds:DeleteDBInstance"
            && c.resource.ends_with(":db:orders-instance-1-old1")));
    }

    /// IAM cannot tell a rename, a backup retention of 0 or a new master password from the
    /// modify RDS makes at switchover (docs/security.md, residual risks): the product's own
    /// code never makes these calls, nor enrols, unenrols or copies a database.
    #[test]
    fn the_product_never_modifies_promotes_copies_or_re_tags_a_database_itself() {
        let forbidden = [
            ".modify_db_cluster()",
            ".modify_db_instance()",
            ".promote_read_replica()",
            ".promote_read_replica_db_cluster()",
            ".remove_tags_from_resource()",
            ".create_db_instance_read_replica()",
            ".create_db_cluster()",
            ".create_db_instance()",
        ];
        for (path, text) in sources() {
            if path.ends_with("permissions.rs") {
                continue;
            }
            for method in forbidden {
                assert!(!text.contains(method), "{path} calls {method}");
            }
            if text.contains(".add_tags_to_resource()") {
                assert!(
                    path.ends_with("aws/identity.rs"),
                    "{path} adds tags: only aws/identity.rs may, and only to a deployment"
                );
            }
        }
    }

    #[test]
    fn a_denial_names_the_role_the_call_and_the_statement_to_fix() {
        let call = Call {
            kind: RoleKind::Switchover,
            action: "rds:ModifyDBCluster",
            resource: "arn:aws:rds:eu-west-1:2:cluster:orders".into(),
            context: vec![],
            statement: "SwitchOverOnTheCallersBehalf",
        };
        let denial = Denial {
            decision: "implicitDeny".into(),
            by: vec![],
        };
        let f = denial.named("arn:aws:iam::2:role/rds-bluegreen-switchover", &call, true);
        assert_eq!(
            (f.id.as_str(), f.severity),
            ("permissions", Severity::Block)
        );
        assert!(f.message.contains("rds-bluegreen-switchover may not rds:ModifyDBCluster on arn:aws:rds:eu-west-1:2:cluster:orders"), "{}", f.message);
        assert!(
            f.fix.contains(
                "member-account.yaml SwitchoverRole, statement SwitchOverOnTheCallersBehalf"
            ),
            "{}",
            f.fix
        );
        let denial = Denial {
            decision: "explicitDeny".into(),
            by: vec!["org-guardrail".into()],
        };
        let f = denial.named("r", &call, false);
        assert!(f.fix.contains("org-guardrail"), "{}", f.fix);
    }
}
