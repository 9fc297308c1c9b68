//! Step `delete-old`: delete old blue after switchover (`cleanup`), or green before it
//! (`abandon`). The only step that deletes anything, so it is built as guards first.
//!
//! Every call re-reads the deployment and the resources from the API right before acting,
//! does at most one kind of deletion, and answers "in progress" until nothing is left:
//! final snapshot → instances → cluster (or the one RDS instance) → the deployment object,
//! last, because deleting it lifts old blue's read-only protection. It never turns deletion
//! protection off and never deletes with `DeleteTarget` after switchover (that would be
//! production). Every refusal is `UnsafeToDelete` with the reason, and nothing is deleted.

use serde::{Deserialize, Serialize};

use crate::aws::arn;
use crate::aws::clients::ClientFactory;
use crate::aws::database::Database;
use crate::aws::deployment::{self, Deployment, DeploymentRef};
use crate::aws::snapshot::{self, SnapshotState};
use crate::error::Error;
use crate::input::{Kind, Request};
use crate::naming;
use crate::steps::{parse_event, parse_request, DeploymentEvent, Poll, Progress, Tick};

/// What the state machine asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Cleanup,
    Abandon,
}

/// The event.
pub type Event = DeploymentEvent<Operation>;

/// Where the deletion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    FinalSnapshot,
    DeleteInstances,
    DeleteCluster,
    DeleteInstance,
    DeleteDeployment,
    DeleteGreen,
    Complete,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub state: Progress,
    pub step: Stage,
    pub detail: String,
    /// Always present (null only if no deployment was ever found), so the state machine
    /// can keep it between calls.
    #[serde(default)]
    pub deployment: Option<DeploymentRef>,
    /// Null when `options.finalSnapshot` is false.
    #[serde(default)]
    pub final_snapshot_id: Option<String>,
    /// What this call asked AWS to delete.
    pub deleted: Vec<String>,
    #[serde(flatten)]
    pub tick: Tick,
}

/// Runs the step for one Lambda event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Answer, Error> {
    let event: Event = parse_event(event)?;
    let request = parse_request(&event.request)?;
    let rds = clients.rds(&request.target).await;
    match event.operation {
        Operation::Cleanup => cleanup(&rds, &request, event.deployment.as_ref(), event.poll).await,
        Operation::Abandon => abandon(&rds, &request, event.deployment.as_ref(), event.poll).await,
    }
}

/// Builds answers with the poll counting of one call.
struct Reply<'a> {
    request: &'a Request,
    poll: Poll,
    deployment: Option<DeploymentRef>,
    final_snapshot_id: Option<String>,
}

impl<'a> Reply<'a> {
    fn new(request: &'a Request, poll: Poll, given: Option<&DeploymentRef>) -> Self {
        Reply {
            request,
            poll,
            deployment: given.cloned(),
            final_snapshot_id: None,
        }
    }

    fn in_progress(
        &self,
        step: Stage,
        detail: String,
        deleted: Vec<String>,
    ) -> Result<Answer, Error> {
        let tick = self.poll.tick(
            &format!("{} ({step:?})", self.request.target.identifier),
            self.request.options.max_polls,
        )?;
        Ok(self.answer(Progress::InProgress, step, detail, deleted, tick))
    }

    fn done(&self, step: Stage, detail: String, deleted: Vec<String>) -> Answer {
        let tick = Tick {
            attempt: self.poll.attempt,
            next_wait_seconds: 0,
        };
        self.answer(Progress::Done, step, detail, deleted, tick)
    }

    fn answer(
        &self,
        state: Progress,
        step: Stage,
        detail: String,
        deleted: Vec<String>,
        tick: Tick,
    ) -> Answer {
        tracing::info!(?state, ?step, %detail, ?deleted, "delete-old");
        Answer {
            state,
            step,
            detail,
            deployment: self.deployment.clone(),
            final_snapshot_id: self.final_snapshot_id.clone(),
            deleted,
            tick,
        }
    }
}

/// Finds the deployment; `None` when the one the state data names is already gone.
async fn find_deployment(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
) -> Result<Option<Deployment>, Error> {
    match deployment::locate(rds, request, given).await {
        Ok(d) => Ok(Some(d)),
        // Gone after an earlier call of this step deleted it: nothing left to do.
        Err(Error::NotFound { .. }) if given.is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Deletes old blue, one stage per call, after checking it really is old blue.
pub async fn cleanup(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
) -> Result<Answer, Error> {
    let mut reply = Reply::new(request, poll, given);
    let Some(d) = find_deployment(rds, request, given).await? else {
        return Ok(reply.done(
            Stage::Complete,
            "the deployment is already deleted; nothing left to do".into(),
            vec![],
        ));
    };
    reply.deployment = Some(d.reference());
    let old_name = check_cleanup_target(&d, request)?.to_owned();
    let kind = request.target.engine.kind();

    if request.options.final_snapshot {
        // Deterministic, so the answer names it on every call, the last one included.
        reply.final_snapshot_id = Some(naming::final_snapshot(&old_name, &d.id));
    }
    let Some(old) = Database::find(rds, kind, &old_name).await? else {
        // Old blue is gone: only now may the deployment object go (it kept old blue read-only).
        delete_deployment(rds, &d.id, false).await?;
        return Ok(reply.done(
            Stage::Complete,
            format!(
                "old blue {old_name} is deleted; deleted the deployment object {}",
                d.id
            ),
            vec![d.id.clone()],
        ));
    };
    let production = Database::load(rds, &request.target).await?;
    check_old_blue(&d, &old, &production)?;

    if old.status == "deleting" {
        let stage = if kind == Kind::Cluster {
            Stage::DeleteCluster
        } else {
            Stage::DeleteInstance
        };
        return reply.in_progress(
            stage,
            format!("{} is being deleted", old.identifier),
            vec![],
        );
    }
    if let Some(id) = reply.final_snapshot_id.clone() {
        if let SnapshotState::Creating(status) =
            snapshot::ensure(rds, kind, &old.identifier, &id).await?
        {
            return reply.in_progress(
                Stage::FinalSnapshot,
                format!("final snapshot {id} of {} is {status}", old.identifier),
                vec![],
            );
        }
    }
    match kind {
        Kind::Cluster => delete_cluster_stage(rds, &reply, &old, &production).await,
        Kind::Instance => {
            rds.delete_db_instance()
                .db_instance_identifier(&old.identifier)
                .skip_final_snapshot(true)
                .delete_automated_backups(false)
                .send()
                .await
                .map_err(|e| Error::from_sdk("DeleteDBInstance", e))?;
            reply.in_progress(
                Stage::DeleteInstance,
                format!("deleting old blue instance {}", old.identifier),
                vec![old.identifier.clone()],
            )
        }
    }
}

/// Aurora: every instance of the old cluster first, then the cluster itself.
async fn delete_cluster_stage(
    rds: &aws_sdk_rds::Client,
    reply: &Reply<'_>,
    old: &Database,
    production: &Database,
) -> Result<Answer, Error> {
    let production_instances = production.instance_ids();
    let mut deleted = Vec::new();
    let mut deleting = Vec::new();
    for instance in &old.instances {
        let id = instance.db_instance_identifier().unwrap_or_default();
        if production_instances.iter().any(|p| p == id)
            || instance.db_cluster_identifier() != Some(old.identifier.as_str())
        {
            return Err(Error::unsafe_to_delete(
                id,
                format!(
                    "the instance is not (only) a member of old blue {}",
                    old.identifier
                ),
            ));
        }
        if instance.deletion_protection() == Some(true) {
            return Err(Error::unsafe_to_delete(
                id,
                "deletion protection is on; turn it off yourself if you mean to delete it",
            ));
        }
        if instance.db_instance_status() == Some("deleting") {
            deleting.push(id.to_owned());
            continue;
        }
        rds.delete_db_instance()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(|e| Error::from_sdk("DeleteDBInstance", e))?;
        deleted.push(id.to_owned());
    }
    if !deleted.is_empty() || !deleting.is_empty() {
        let detail = format!(
            "deleting the instances of old blue {}: {}",
            old.identifier,
            [deleted.clone(), deleting].concat().join(", ")
        );
        return reply.in_progress(Stage::DeleteInstances, detail, deleted);
    }
    // The cluster's final snapshot was taken above (or declined by options.finalSnapshot).
    rds.delete_db_cluster()
        .db_cluster_identifier(&old.identifier)
        .skip_final_snapshot(true)
        .send()
        .await
        .map_err(|e| Error::from_sdk("DeleteDBCluster", e))?;
    reply.in_progress(
        Stage::DeleteCluster,
        format!("deleting old blue cluster {}", old.identifier),
        vec![old.identifier.clone()],
    )
}

/// The deployment must have switched over, from this database, leaving an `-oldN` source.
/// Returns old blue's name.
fn check_cleanup_target<'d>(d: &'d Deployment, request: &Request) -> Result<&'d str, Error> {
    let production = &request.target.identifier;
    let refuse = |reason: String| Err(Error::unsafe_to_delete(d.source_name(), reason));
    if d.status != "SWITCHOVER_COMPLETED" {
        return refuse(format!("deployment {} is {}, not SWITCHOVER_COMPLETED: old blue exists only after switchover (use the abandon action to remove green)", d.id, d.status));
    }
    if d.target_name() != production {
        return refuse(format!(
            "deployment {} switched {} into production, not {production}",
            d.id,
            d.target_name()
        ));
    }
    let old = d.source_name();
    if old == production {
        return refuse(format!(
            "the deployment's source is the production name {production}"
        ));
    }
    if !arn::is_old_name_of(old, production) {
        return refuse(format!("`{old}` is not an -oldN name of {production}"));
    }
    let (src, tgt) = (arn::parse(&d.source_arn), arn::parse(&d.target_arn));
    if src.as_ref().map(|a| (a.account, a.region)) != tgt.as_ref().map(|a| (a.account, a.region)) {
        return refuse("source and target are in different accounts or Regions".into());
    }
    Ok(old)
}

/// What is about to be deleted is the deployment's source, not production, and deletable.
fn check_old_blue(d: &Deployment, old: &Database, production: &Database) -> Result<(), Error> {
    let refuse = |reason: String| Err(Error::unsafe_to_delete(&old.identifier, reason));
    if old.arn != d.source_arn {
        return refuse(format!(
            "its ARN {} is not the deployment's source {}",
            old.arn, d.source_arn
        ));
    }
    if production.arn != d.target_arn {
        return refuse(format!(
            "production {} is not the deployment's target {}",
            production.arn, d.target_arn
        ));
    }
    if old.resource_id.is_empty() || old.resource_id == production.resource_id {
        return refuse(format!(
            "it cannot be told apart from production by resource id ({})",
            old.resource_id
        ));
    }
    if old.deletion_protection() {
        return refuse("deletion protection is on; the product never turns it off: turn it off yourself if you mean to delete old blue, then run cleanup again".into());
    }
    Ok(())
}

/// Removes green before switchover: DeleteBlueGreenDeployment with DeleteTarget, which AWS
/// applies to green only. Refused once switchover has started.
pub async fn abandon(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    poll: Poll,
) -> Result<Answer, Error> {
    let mut reply = Reply::new(request, poll, given);
    let Some(d) = find_deployment(rds, request, given).await? else {
        return Ok(reply.done(
            Stage::Complete,
            "the deployment is already deleted; green is gone".into(),
            vec![],
        ));
    };
    reply.deployment = Some(d.reference());
    let production = &request.target.identifier;
    let refuse = |reason: String| Err(Error::unsafe_to_delete(d.target_name(), reason));
    match d.status.as_str() {
        "SWITCHOVER_IN_PROGRESS" | "SWITCHOVER_COMPLETED" | "SWITCHOVER_FAILED" => {
            return refuse(format!("deployment {} is {}: after switchover starts, green may be production; abandon is refused", d.id, d.status));
        }
        "DELETING" => {
            return reply.in_progress(
                Stage::DeleteGreen,
                format!("deployment {} is being deleted", d.id),
                vec![],
            )
        }
        _ => {}
    }
    if d.source_name() != production {
        return refuse(format!(
            "deployment {}'s source is {}, not {production}",
            d.id,
            d.source_name()
        ));
    }
    if d.target_name() == production || d.target_arn.is_empty() {
        return refuse(format!(
            "deployment {}'s target `{}` is production's name",
            d.id,
            d.target_name()
        ));
    }
    // The target must still be green, not something that took the production name.
    let blue = Database::load(rds, &request.target).await?;
    if blue.arn != d.source_arn {
        return refuse(format!(
            "production {} is not the deployment's source {}",
            blue.arn, d.source_arn
        ));
    }
    delete_deployment(rds, &d.id, true).await?;
    let green = d.target_name().to_owned();
    reply.in_progress(
        Stage::DeleteGreen,
        format!("deleting deployment {} and its green {green}", d.id),
        vec![d.id.clone(), green],
    )
}

/// Deletes the deployment object; `delete_target` only ever before switchover.
async fn delete_deployment(
    rds: &aws_sdk_rds::Client,
    id: &str,
    delete_target: bool,
) -> Result<(), Error> {
    match rds
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(id)
        .delete_target(delete_target)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_blue_green_deployment_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e) => Err(Error::from_sdk("DeleteBlueGreenDeployment", e)),
    }
}

#[cfg(test)]
mod tests {
    //! Guards moto cannot set up (a reused name, a shared resource id, a foreign member).
    //! The happy path and the refusals moto can express are in tests/tests/delete_old.rs.
    use super::*;
    use aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsOutput;
    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::{BlueGreenDeployment, DbCluster, DbInstance};
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use serde_json::json;

    const OLD: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-old1";
    const PROD: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";

    fn request() -> Request {
        Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-postgresql"}})).unwrap()
    }

    fn deployment(status: &'static str, source: &'static str) -> Rule {
        mock!(aws_sdk_rds::Client::describe_blue_green_deployments).then_output(move || {
            DescribeBlueGreenDeploymentsOutput::builder()
                .blue_green_deployments(
                    BlueGreenDeployment::builder()
                        .blue_green_deployment_identifier("bgd-1")
                        .blue_green_deployment_name("n")
                        .source(source)
                        .target(PROD)
                        .status(status)
                        .build(),
                )
                .build()
        })
    }

    fn production(resource: &'static str) -> Rule {
        mock!(aws_sdk_rds::Client::describe_db_clusters)
            .match_requests(|r| r.db_cluster_identifier() == Some("orders"))
            .then_output(move || {
                DescribeDbClustersOutput::builder()
                    .db_clusters(
                        DbCluster::builder()
                            .db_cluster_identifier("orders")
                            .db_cluster_arn(PROD)
                            .db_cluster_resource_id(resource)
                            .status("available")
                            .build(),
                    )
                    .build()
            })
    }

    fn old_cluster(arn: &'static str, resource: &'static str) -> Rule {
        mock!(aws_sdk_rds::Client::describe_db_clusters)
            .match_requests(|r| r.db_cluster_identifier() == Some("orders-old1"))
            .then_output(move || {
                DescribeDbClustersOutput::builder()
                    .db_clusters(
                        DbCluster::builder()
                            .db_cluster_identifier("orders-old1")
                            .db_cluster_arn(arn)
                            .db_cluster_resource_id(resource)
                            .status("available")
                            .build(),
                    )
                    .build()
            })
    }

    fn instances(members: &'static [(&'static str, &'static str)]) -> Rule {
        mock!(aws_sdk_rds::Client::describe_db_instances).then_output(move || {
            DescribeDbInstancesOutput::builder()
                .set_db_instances(Some(
                    members
                        .iter()
                        .map(|(id, cluster)| {
                            DbInstance::builder()
                                .db_instance_identifier(*id)
                                .db_cluster_identifier(*cluster)
                                .db_instance_status("available")
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
    }

    fn deletes() -> [Rule; 3] {
        [
            mock!(aws_sdk_rds::Client::delete_db_instance).then_output(|| aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput::builder().build()),
            mock!(aws_sdk_rds::Client::delete_db_cluster).then_output(|| aws_sdk_rds::operation::delete_db_cluster::DeleteDbClusterOutput::builder().build()),
            mock!(aws_sdk_rds::Client::delete_blue_green_deployment).then_output(|| aws_sdk_rds::operation::delete_blue_green_deployment::DeleteBlueGreenDeploymentOutput::builder().build()),
        ]
    }

    fn no_final_snapshot() -> Request {
        let mut r = request();
        r.options.final_snapshot = false;
        r
    }

    #[tokio::test]
    async fn a_source_not_named_old_is_refused() {
        let d = deployment(
            "SWITCHOVER_COMPLETED",
            "arn:aws:rds:us-east-1:123456789012:cluster:orders-archive",
        );
        let [di, dc, dd] = deletes();
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&d, &di, &dc, &dd]);
        let err = cleanup(&rds, &request(), None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(err.to_string().contains("-oldN"), "{err}");
        assert_eq!(di.num_calls() + dc.num_calls() + dd.num_calls(), 0);
    }

    #[tokio::test]
    async fn an_old_name_with_another_arn_is_refused() {
        // Someone recreated `orders-old1` in another account's ARN space: not the deployment's source.
        let d = deployment("SWITCHOVER_COMPLETED", OLD);
        let old = old_cluster(
            "arn:aws:rds:us-east-1:999999999999:cluster:orders-old1",
            "cluster-OLD",
        );
        let prod = production("cluster-PROD");
        let members = instances(&[("orders-old1-0", "orders-old1")]);
        let [di, dc, dd] = deletes();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&d, &old, &prod, &members, &di, &dc, &dd]
        );
        let err = cleanup(&rds, &no_final_snapshot(), None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(
            err.to_string().contains("not the deployment's source"),
            "{err}"
        );
        assert_eq!(di.num_calls() + dc.num_calls() + dd.num_calls(), 0);
    }

    #[tokio::test]
    async fn old_blue_sharing_production_resource_id_is_refused() {
        let d = deployment("SWITCHOVER_COMPLETED", OLD);
        let old = old_cluster(OLD, "cluster-SAME");
        let prod = production("cluster-SAME");
        let members = instances(&[]);
        let [di, dc, dd] = deletes();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&d, &old, &prod, &members, &di, &dc, &dd]
        );
        let err = cleanup(&rds, &no_final_snapshot(), None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(err.to_string().contains("resource id"), "{err}");
        assert_eq!(di.num_calls() + dc.num_calls() + dd.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_member_of_another_cluster_is_never_deleted() {
        let d = deployment("SWITCHOVER_COMPLETED", OLD);
        let old = old_cluster(OLD, "cluster-OLD");
        let prod = production("cluster-PROD");
        // An emulator or API change hands back production's instance among old blue's.
        let members = instances(&[("orders-old1-0", "orders-old1"), ("orders-0", "orders")]);
        let production_instance = mock!(aws_sdk_rds::Client::delete_db_instance)
            .match_requests(|r| r.db_instance_identifier() == Some("orders-0"))
            .then_output(|| {
                aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput::builder()
                    .build()
            });
        let [di, dc, dd] = deletes();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [
                &d,
                &old,
                &prod,
                &members,
                &production_instance,
                &di,
                &dc,
                &dd
            ]
        );
        let a = cleanup(&rds, &no_final_snapshot(), None, Poll::default())
            .await
            .unwrap();
        assert_eq!(a.deleted, ["orders-old1-0"]);
        assert_eq!(
            production_instance.num_calls(),
            0,
            "production's instance was never deleted"
        );
        assert_eq!(
            dc.num_calls() + dd.num_calls(),
            0,
            "the cluster waits for its instances"
        );
    }

    #[tokio::test]
    async fn the_deployment_object_goes_last_and_never_with_delete_target() {
        let d = deployment("SWITCHOVER_COMPLETED", OLD);
        let gone = mock!(aws_sdk_rds::Client::describe_db_clusters)
            .match_requests(|r| r.db_cluster_identifier() == Some("orders-old1"))
            .then_error(|| {
                aws_sdk_rds::operation::describe_db_clusters::DescribeDBClustersError::DbClusterNotFoundFault(aws_sdk_rds::types::error::DbClusterNotFoundFault::builder().build())
            });
        let delete = mock!(aws_sdk_rds::Client::delete_blue_green_deployment)
            .match_requests(|r| r.blue_green_deployment_identifier() == Some("bgd-1") && r.delete_target() == Some(false))
            .then_output(|| aws_sdk_rds::operation::delete_blue_green_deployment::DeleteBlueGreenDeploymentOutput::builder().build());
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&d, &gone, &delete]);
        let a = cleanup(&rds, &request(), None, Poll::default())
            .await
            .unwrap();
        assert_eq!((a.state, a.step), (Progress::Done, Stage::Complete));
        assert_eq!(delete.num_calls(), 1);
    }
}
