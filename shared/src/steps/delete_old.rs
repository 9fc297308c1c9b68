//! Step `delete-old`: delete old blue after switchover (`cleanup`), or green before it
//! (`abandon`). The only step that deletes anything, so it is built as guards first.
//!
//! Old blue is what its resource ids say, not what it is called: `create` recorded blue's and
//! green's ids as tags on the deployment (`aws::identity`), and cleanup acts only on resources
//! that carry blue's ids, at the deployment's source name. Every call re-reads the deployment
//! and the resources right before acting, does at most one kind of deletion, and answers
//! "in progress" until nothing is left: final snapshot (checked to be of old blue) →
//! replicas or cluster instances → the cluster (or the RDS instance) → the deployment object,
//! last and only once old blue is verifiably gone (re-read by id), because deleting it lifts
//! old blue's read-only protection. It never turns deletion protection off and never deletes
//! with `DeleteTarget` after switchover. Every refusal is `UnsafeToDelete` (or `InvalidInput`
//! for a wrong engine) with the reason, and nothing is deleted. docs/safety.md lists the
//! guards and the tests that prove them.

use aws_sdk_rds::types::DbInstance;
use serde::{Deserialize, Serialize};

use crate::aws::arn;
use crate::aws::clients::ClientFactory;
use crate::aws::database::{collect_pages, describe_instance, Database};
use crate::aws::deployment::{self, Deployment, DeploymentRef, DeploymentStatus};
use crate::aws::identity::{self, Identity, Recorded, Side};
use crate::aws::snapshot::{self, SnapshotState};
use crate::error::Error;
use crate::input::{Kind, Request};
use crate::naming;
use crate::readiness::{self, Phase};
use crate::steps::{parse_event, parse_request, Poll, Progress, Tick};
use crate::waits::store::FALLBACK_SECONDS;

/// What the state machine asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Cleanup,
    Abandon,
}

/// The deployment the state data carries, with the identity this step read from the
/// deployment's tags: once the deployment object is gone, the next call still knows which
/// resource ids must be gone before it may say "done".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracked {
    #[serde(flatten)]
    pub reference: DeploymentRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
}

/// The event (`deployment` absent when an execution starts at cleanup or abandon).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub operation: Operation,
    pub request: serde_json::Value,
    #[serde(default)]
    pub deployment: Option<Tracked>,
    #[serde(default)]
    pub poll: Poll,
}

/// Where the deletion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeletionStep {
    /// The deployment reads SWITCHOVER_COMPLETED but a member's status still lags.
    AwaitSwitchover,
    FinalSnapshot,
    DeleteInstances,
    DeleteReplicas,
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
    pub step: DeletionStep,
    pub detail: String,
    /// Always present (null only if no deployment was ever found), so the state machine
    /// can keep it between calls.
    #[serde(default)]
    pub deployment: Option<Tracked>,
    /// Null when `options.finalSnapshot` is false.
    #[serde(default)]
    pub final_snapshot_id: Option<String>,
    /// What this call asked AWS to delete.
    pub deleted: Vec<String>,
    /// The ARNs whose RDS events end the wait that follows (the final snapshot being created,
    /// the instances and clusters being deleted); `nextWaitSeconds` is then only the fallback
    /// read ([`FALLBACK_SECONDS`]). Empty while nothing announces the step's end by an
    /// instance, cluster or snapshot event: the wait keeps the ladder's schedule.
    #[serde(default)]
    pub awaits: Vec<String>,
    #[serde(flatten)]
    pub tick: Tick,
}

/// Runs the step for one Lambda event.
pub async fn handle(event: serde_json::Value, clients: &ClientFactory) -> Result<Answer, Error> {
    let event: Event = parse_event(event)?;
    let request = parse_request(&event.request)?;
    let rds = clients.rds(&request.target)?;
    match event.operation {
        Operation::Cleanup => cleanup(&rds, &request, event.deployment.as_ref(), event.poll).await,
        Operation::Abandon => abandon(&rds, &request, event.deployment.as_ref(), event.poll).await,
    }
}

/// Builds answers with the poll counting of one call.
struct Reply<'a> {
    request: &'a Request,
    poll: Poll,
    deployment: Option<Tracked>,
    final_snapshot_id: Option<String>,
}

impl<'a> Reply<'a> {
    fn new(request: &'a Request, poll: Poll, given: Option<&Tracked>) -> Self {
        Reply {
            request,
            poll,
            deployment: given.cloned(),
            final_snapshot_id: None,
        }
    }

    /// Keeps the deployment as read now, with the identity it records (or the one carried).
    fn track(&mut self, d: &Deployment, identity: Option<Identity>) {
        let identity = identity.or_else(|| self.deployment.as_ref()?.identity.clone());
        self.deployment = Some(Tracked {
            reference: d.reference(),
            identity,
        });
    }

    fn in_progress(
        &self,
        step: DeletionStep,
        detail: String,
        deleted: Vec<String>,
    ) -> Result<Answer, Error> {
        self.awaiting(step, detail, deleted, Vec::new())
    }

    /// In progress until RDS's events about `awaits` (the fallback read in 10 minutes).
    fn awaiting(
        &self,
        step: DeletionStep,
        detail: String,
        deleted: Vec<String>,
        awaits: Vec<String>,
    ) -> Result<Answer, Error> {
        let mut tick = self.poll.tick(
            &format!("{} ({step:?})", self.request.target.identifier),
            self.request.options.max_polls,
        )?;
        if !awaits.is_empty() {
            tick.next_wait_seconds = FALLBACK_SECONDS;
        }
        let mut answer = self.answer(Progress::InProgress, step, detail, deleted, tick);
        answer.awaits = awaits;
        Ok(answer)
    }

    fn done(&self, step: DeletionStep, detail: String, deleted: Vec<String>) -> Answer {
        self.answer(Progress::Done, step, detail, deleted, self.poll.settled())
    }

    fn answer(
        &self,
        state: Progress,
        step: DeletionStep,
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
            awaits: Vec::new(),
            tick,
        }
    }
}

/// The deployment as the API shows it now.
enum Found {
    Live(Deployment),
    /// The deployment the state data names no longer exists.
    Gone(Tracked),
}

/// Re-reads the deployment: the one the state data names (by id), else the one of this
/// database (by name or source/target), else one of this database still `DELETING`.
async fn find_deployment(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&Tracked>,
    operation: Operation,
) -> Result<Found, Error> {
    if let Some(given) = given {
        check_place(&given.reference.source_arn, request)?;
        return Ok(
            match deployment::describe(rds, &given.reference.id).await? {
                Some(d) => Found::Live(d),
                None => Found::Gone(given.clone()),
            },
        );
    }
    match deployment::locate(rds, request, None).await {
        Ok(d) => Ok(Found::Live(d)),
        Err(e @ Error::NotFound { .. }) => {
            match deleting_deployment(rds, request, operation).await? {
                Some(d) => Ok(Found::Live(d)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// A deployment of this database that is being deleted (which `locate` leaves out), re-read
/// by id: a re-run during `DELETING` waits for it instead of failing. Only a deployment in the
/// relation the operation acts on: for cleanup, production is its target and its source an
/// `-oldN` of production; for abandon, production is its source. (Another relation would let
/// a stray run adopt, say, a switched-over deployment for abandon and end up naming
/// production as "green left behind".)
async fn deleting_deployment(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    operation: Operation,
) -> Result<Option<Deployment>, Error> {
    let named = request.options.deployment_name.as_deref();
    let found = deployment::list(rds).await?.into_iter().find(|d| {
        d.status == DeploymentStatus::Deleting
            && named.is_none_or(|name| d.name == name)
            && in_relation(d, request, operation)
    });
    match found {
        Some(d) => deployment::describe(rds, &d.id).await,
        None => Ok(None),
    }
}

/// Whether the deployment relates to the request's database as the operation needs.
fn in_relation(d: &Deployment, request: &Request, operation: Operation) -> bool {
    let production = &request.target.identifier;
    match operation {
        Operation::Cleanup => {
            d.target_name() == production && arn::is_old_name_of(d.source_name(), production)
        }
        Operation::Abandon => d.source_name() == production && d.target_name() != production,
    }
}

/// A deployment (or a reference to one) from another Region or account is never acted on:
/// an id looked up in the wrong Region reads as "gone", which must never become "deleted".
fn check_place(arn_text: &str, request: &Request) -> Result<(), Error> {
    let Some(a) = arn::parse(arn_text) else {
        return Err(Error::unsafe_to_delete(
            arn_text,
            "the deployment reference is not an RDS ARN, so its Region and account cannot be checked; nothing deleted. Fix: start the action without a hand-edited deployment reference",
        ));
    };
    let target = &request.target;
    // Each refusal names the field it compared and the value read from the ARN.
    if a.region != target.region {
        return Err(Error::unsafe_to_delete(
            a.name,
            format!(
                "the deployment reference is for {} in Region {}, but target.region is {}: a reference from another Region is never acted on; nothing deleted. Fix: if {} in {} is the database meant, set target.region to `{}` and start the action again",
                a.name, a.region, target.region, a.name, a.region, a.region
            ),
        ));
    }
    if let Some(account) = target
        .account_id
        .as_deref()
        .filter(|acct| *acct != a.account)
    {
        return Err(Error::unsafe_to_delete(
            a.name,
            format!(
                "the deployment reference is for {} in account {}, but target.accountId is {account}: a reference from another account is never acted on; nothing deleted. Fix: if {} in account {} is the database meant, set target.accountId to `{}` and start the action again",
                a.name, a.account, a.name, a.account, a.account
            ),
        ));
    }
    Ok(())
}

/// The kind (cluster or instance) the deployment's source ARN says, which `target.engine`
/// must match.
fn check_kind(d: &Deployment, request: &Request) -> Result<Kind, Error> {
    let kind = request.target.engine.kind();
    let actual = match arn::parse(&d.source_arn).map(|a| a.resource_type) {
        Some("cluster") => Kind::Cluster,
        Some("db") => Kind::Instance,
        _ => return Ok(kind),
    };
    if actual != kind {
        return Err(Error::invalid(
            "target.engine",
            format!(
                "is {:?}, the engine of an RDS {}, but deployment {}'s source {} is an {}",
                request.target.engine,
                describe_kind(kind),
                d.id,
                d.source_arn,
                describe_kind(actual)
            ),
            "give the engine of the database the deployment belongs to; nothing was deleted",
        ));
    }
    Ok(kind)
}

fn describe_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Cluster => "Aurora DB cluster",
        Kind::Instance => "DB instance",
    }
}

/// The identity to act on: the deployment's tags (AWS's record), cross-checked with the one
/// the state data carries. None, or two that disagree, is a refusal.
fn identity_of(
    d: &Deployment,
    recorded: &Recorded,
    carried: Option<&Tracked>,
    kind: Kind,
) -> Result<Identity, Error> {
    let carried = carried.and_then(|t| t.identity.as_ref());
    let refuse = |reason: String| Err(Error::unsafe_to_delete(d.source_name(), reason));
    let identity = match (&recorded.identity, carried) {
        (Some(tags), Some(state)) if tags.blue != state.blue => {
            return refuse(format!("deployment {}'s tags record old blue as {}, the execution's state as {}: the record was altered; nothing deleted", d.id, tags.blue.resource_id, state.blue.resource_id));
        }
        (Some(tags), _) => tags.clone(),
        (None, Some(state)) => state.clone(),
        (None, None) => {
            return refuse(format!("deployment {} records no resource ids (it was not made by this version, or its `bluegreen:` tags were removed): old blue cannot be told apart from a database that took its name; nothing deleted. Fix: check {} by hand and delete it and the deployment yourself", d.id, d.source_name()));
        }
    };
    if identity.kind != kind {
        return refuse(format!(
            "deployment {} recorded an {}, not an {}; nothing deleted",
            d.id,
            describe_kind(identity.kind),
            describe_kind(kind)
        ));
    }
    Ok(identity)
}

/// Deletes old blue, one stage per call, after checking it really is old blue.
pub async fn cleanup(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&Tracked>,
    poll: Poll,
) -> Result<Answer, Error> {
    let mut reply = Reply::new(request, poll, given);
    let d = match find_deployment(rds, request, given, Operation::Cleanup).await? {
        Found::Live(d) => d,
        Found::Gone(tracked) => return cleanup_after_deployment_gone(rds, &reply, &tracked).await,
    };
    check_place(&d.source_arn, request)?;
    check_place(&d.target_arn, request)?;
    let kind = check_kind(&d, request)?;
    let recorded = identity::read(rds, &d.source_arn, &d.id).await?;
    reply.track(&d, recorded.identity.clone());
    if d.status == DeploymentStatus::Deleting {
        if !in_relation(&d, request, Operation::Cleanup) {
            return Err(Error::unsafe_to_delete(d.source_name(), format!("deployment {} is being deleted, but it did not switch {} over from an -oldN old blue; nothing deleted", d.id, request.target.identifier)));
        }
        return reply.in_progress(
            DeletionStep::DeleteDeployment,
            format!("deployment {} is being deleted", d.id),
            vec![],
        );
    }
    let old_name = check_cleanup_target(&d, request)?.to_owned();
    // Member statuses lag the deployment's (API_SwitchoverDetail): wait until every member
    // reads SWITCHOVER_COMPLETED; a failed or missing one is refused by readiness.
    let members = readiness::assess(&d, &[])?;
    if members.phase == Phase::Switching {
        return reply.in_progress(
            DeletionStep::AwaitSwitchover,
            format!(
                "deployment {} reads {} but its members are still settling: {}",
                d.id,
                d.status,
                members.waiting_for.join("; ")
            ),
            vec![],
        );
    }
    let identity = identity_of(&d, &recorded, given, kind)?;
    reply.track(&d, Some(identity.clone()));
    let blue = &identity.blue;

    let production = Database::load(rds, &request.target).await?;
    check_production(&d, &production, &identity)?;
    if let Some(other) = Database::find(rds, kind, &old_name).await? {
        if other.resource_id != blue.resource_id {
            return Err(Error::unsafe_to_delete(
                &old_name,
                format!("{old_name} has resource id {}, but old blue's recorded id is {}: it is another database that took old blue's name; nothing deleted. Fix: find old blue by its resource id and delete it by hand", other.resource_id, blue.resource_id),
            ));
        }
    }
    if request.options.final_snapshot {
        // Deterministic, so the answer names it on every call, the last one included.
        reply.final_snapshot_id = Some(naming::final_snapshot(&old_name, &d.id));
    }
    let Some(old) = Database::find_by_resource_id(rds, kind, &blue.resource_id).await? else {
        return finish_when_old_blue_gone(rds, &reply, &d, kind, blue, &recorded).await;
    };
    if old.arn != d.source_arn {
        return Err(Error::unsafe_to_delete(
            &old.identifier,
            format!("old blue {} is now called {}, not the deployment's source {}: it was renamed by hand; nothing deleted. Fix: rename it back, or delete it and the deployment by hand", blue.resource_id, old.identifier, d.source_name()),
        ));
    }
    // Blue existed before its deployment: a database created after it cannot be old blue,
    // whatever the deployment's tags say (tags can be edited; creation times cannot).
    if let (Some(created), Some(deployed)) = (old.created(), d.create_time) {
        if created.secs() > deployed.secs() {
            return Err(Error::unsafe_to_delete(
                &old.identifier,
                format!("{} ({}) was created after deployment {} (at {created} vs {deployed}), so it cannot be the blue the deployment was made from: the deployment's recorded ids do not hold; nothing deleted. Fix: check the deployment's bluegreen:* tags and old blue by hand", old.identifier, old.resource_id, d.id),
            ));
        }
    }
    if old.deletion_protection() {
        return Err(Error::unsafe_to_delete(&old.identifier, "deletion protection is on; the product never turns it off: turn it off yourself if you mean to delete old blue, then run cleanup again"));
    }
    let members = check_topology(rds, &old, blue).await?;
    let busy: Vec<String> = std::iter::once((&old.identifier, old.status.as_str()))
        .chain(members.iter().map(|m| (&m.name, m.status.as_str())))
        .filter(|(_, status)| *status == "deleting")
        .map(|(name, _)| name.clone())
        .collect();
    if !busy.is_empty() {
        let stage = if old.status == "deleting" {
            main_step(kind)
        } else {
            members_step(kind)
        };
        let arns = busy.iter().map(|name| member_arn(&old, name)).collect();
        return reply.awaiting(
            stage,
            format!("being deleted: {}", busy.join(", ")),
            vec![],
            arns,
        );
    }

    // From here on this cleanup acts: record when, so that a missing old blue later reads
    // as this cleanup's work, and a final snapshot older than this cannot pass as its own.
    let started = match recorded.cleanup_started {
        Some(at) => at,
        None => {
            identity::mark_cleanup_started(rds, &d.source_arn, &d.id).await?;
            aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        }
    };
    if let Some(id) = reply.final_snapshot_id.clone() {
        let expected = snapshot::Expected {
            resource_id: &blue.resource_id,
            not_before: Some(aws_smithy_types::DateTime::from_secs(
                started.secs() - CLOCK_SKEW_SECONDS,
            )),
        };
        if let SnapshotState::Creating(status) =
            snapshot::ensure_of(rds, kind, &old.identifier, &id, expected).await?
        {
            let snapshot_type = match kind {
                Kind::Cluster => "cluster-snapshot",
                Kind::Instance => "snapshot",
            };
            return reply.awaiting(
                DeletionStep::FinalSnapshot,
                format!("final snapshot {id} of {} is {status}", old.identifier),
                vec![],
                arn::sibling(&old.arn, snapshot_type, &id)
                    .into_iter()
                    .collect(),
            );
        }
    }
    if !members.is_empty() {
        let mut deleted = Vec::new();
        for m in &members {
            if delete_instance(rds, &m.name, kind == Kind::Instance).await? {
                deleted.push(m.name.clone());
            }
        }
        let (stage, what) = match kind {
            Kind::Cluster => (DeletionStep::DeleteInstances, "instances"),
            Kind::Instance => (DeletionStep::DeleteReplicas, "read replicas"),
        };
        return reply.awaiting(
            stage,
            format!(
                "deleting the {what} of old blue {}: {}",
                old.identifier,
                members
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            deleted,
            members.iter().map(|m| member_arn(&old, &m.name)).collect(),
        );
    }
    let deleted = match kind {
        Kind::Cluster => delete_cluster(rds, &old.identifier).await?,
        Kind::Instance => delete_instance(rds, &old.identifier, true).await?,
    };
    reply.awaiting(
        main_step(kind),
        format!(
            "deleting old blue {} ({})",
            old.identifier, blue.resource_id
        ),
        if deleted {
            vec![old.identifier.clone()]
        } else {
            vec![]
        },
        vec![old.arn.clone()],
    )
}

/// The ARN an RDS event about old blue or one of its members names: old blue's own, or the
/// member's (a cluster's instances and an instance's replicas are DB instances), read from
/// old blue found by its resource id.
fn member_arn(old: &Database, name: &str) -> String {
    if name == old.identifier {
        return old.arn.clone();
    }
    arn::sibling(&old.arn, "db", name).unwrap_or_else(|| name.to_owned())
}

/// Tolerance between this function's clock and RDS's when comparing a snapshot's time.
const CLOCK_SKEW_SECONDS: i64 = 60;

/// Old blue is not found by its id. If this deployment's cleanup started (its tag says so,
/// read again now) and every recorded member is gone too, old blue is verifiably gone: only
/// now may the deployment object go, and the answer is `done`. Otherwise nothing is deleted
/// and a person is asked to look.
async fn finish_when_old_blue_gone(
    rds: &aws_sdk_rds::Client,
    reply: &Reply<'_>,
    d: &Deployment,
    kind: Kind,
    blue: &Side,
    recorded: &Recorded,
) -> Result<Answer, Error> {
    // The tags were read before old blue was looked up: a cleanup that started in between
    // (another run marks the tag before it deletes anything) is seen only by reading again.
    let started = match recorded.cleanup_started {
        Some(_) => true,
        None => identity::read(rds, &d.source_arn, &d.id)
            .await?
            .cleanup_started
            .is_some(),
    };
    if !started {
        return Err(Error::unsafe_to_delete(
            &blue.resource_id,
            format!("action needed: old blue {} (last called {}) not found by its resource id, and no cleanup of deployment {} has run; nothing deleted and the deployment object is kept. Fix: find out what happened to old blue (deleted or moved by hand?), then delete the deployment yourself", blue.resource_id, d.source_name(), d.id),
        ));
    }
    let refuse = |left: String| {
        Error::unsafe_to_delete(
            &blue.resource_id,
            format!("old blue's cluster or instance {} is gone but its members still exist: {left}; nothing more deleted and the deployment object is kept. Fix: look at them by hand", blue.resource_id),
        )
    };
    if let Some(waiting) = rest_of_side(rds, reply, blue, members_step(kind), true, refuse).await? {
        return Ok(waiting);
    }
    delete_deployment(rds, &d.id, false).await?;
    // Old blue is verifiably gone: the claim "deleted" is true now. The deployment object
    // reads DELETING for a while; a run started meanwhile waits for it.
    Ok(reply.done(
        DeletionStep::Complete,
        format!(
            "old blue {} and its members are gone (checked by resource id); deleting the deployment object {} (it reads DELETING until AWS removes it)",
            blue.resource_id, d.id
        ),
        vec![d.id.clone()],
    ))
}

/// The deployment the state data names is gone: "done" only if every id of the side it
/// removed is verifiably gone; without a record of those ids, never "done".
async fn cleanup_after_deployment_gone(
    rds: &aws_sdk_rds::Client,
    reply: &Reply<'_>,
    tracked: &Tracked,
) -> Result<Answer, Error> {
    let id = &tracked.reference.id;
    let Some(identity) = &tracked.identity else {
        return Err(Error::unsafe_to_delete(
            id,
            format!("action needed: deployment {id} no longer exists and this execution holds no record of old blue's resource ids, so old blue cannot be shown to be gone; nothing deleted. Fix: check {} by hand", arn::name_of(&tracked.reference.source_arn)),
        ));
    };
    let refuse = |left: String| {
        Error::unsafe_to_delete(
            &identity.blue.resource_id,
            format!("action needed: deployment {id} was deleted (by hand?) while old blue still exists: {left}; it is no longer read-only; nothing deleted. Fix: check old blue by hand, then delete it yourself"),
        )
    };
    let step = members_step(identity.kind);
    if let Some(waiting) = rest_of_side(rds, reply, &identity.blue, step, true, refuse).await? {
        return Ok(waiting);
    }
    Ok(reply.done(
        DeletionStep::Complete,
        format!(
            "old blue {} and its members are gone (checked by resource id) and deployment {id} is deleted",
            identity.blue.resource_id
        ),
        vec![],
    ))
}

/// One of a side's ids that still exists, re-read by id.
struct Left {
    /// `name (id)`.
    label: String,
    arn: String,
    /// RDS is deleting it (`deleting`, API_DBInstance / API_DBCluster): it goes by itself.
    deleting: bool,
}

/// The ids of a side that still exist.
async fn still_existing(rds: &aws_sdk_rds::Client, side: &Side) -> Result<Vec<Left>, Error> {
    let mut left = Vec::new();
    for id in side.all_ids() {
        let found = if id.starts_with("cluster-") {
            crate::aws::database::cluster_by_resource_id(rds, id)
                .await?
                .map(|c| {
                    (
                        c.db_cluster_identifier().unwrap_or_default().to_owned(),
                        c.db_cluster_arn().unwrap_or_default().to_owned(),
                        c.status() == Some("deleting"),
                    )
                })
        } else {
            crate::aws::database::instance_by_resource_id(rds, id)
                .await?
                .map(|i| {
                    (
                        i.db_instance_identifier().unwrap_or_default().to_owned(),
                        i.db_instance_arn().unwrap_or_default().to_owned(),
                        i.db_instance_status() == Some("deleting"),
                    )
                })
        };
        if let Some((name, arn, deleting)) = found {
            left.push(Left {
                label: format!("{name} ({id})"),
                arn,
                deleting,
            });
        }
    }
    Ok(left)
}

/// What is left of a side whose deployment or main resource is gone, re-read by id: `None`
/// when every id is gone; "in progress" while RDS is still deleting some (DeleteDBInstance and
/// DeleteDBCluster answer at once and the resource reads `deleting` for minutes: never "done"
/// before it is gone, never deleted twice); the refusal `refuse` makes from the names left
/// when some exist and are not being deleted. `listen`: the state machine waits for their RDS
/// events (cleanup's `Wait for deletion`), else it polls on the ladder (`Wait for abandon`).
async fn rest_of_side(
    rds: &aws_sdk_rds::Client,
    reply: &Reply<'_>,
    side: &Side,
    step: DeletionStep,
    listen: bool,
    refuse: impl FnOnce(String) -> Error,
) -> Result<Option<Answer>, Error> {
    let (going, staying): (Vec<Left>, Vec<Left>) = still_existing(rds, side)
        .await?
        .into_iter()
        .partition(|l| l.deleting);
    if !staying.is_empty() {
        let names: Vec<&str> = staying.iter().map(|l| l.label.as_str()).collect();
        return Err(refuse(names.join(", ")));
    }
    if going.is_empty() {
        return Ok(None);
    }
    let detail = format!(
        "being deleted: {}",
        going
            .iter()
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let answer = if listen {
        reply.awaiting(
            step,
            detail,
            vec![],
            going.into_iter().map(|l| l.arn).collect(),
        )
    } else {
        reply.in_progress(step, detail, vec![])
    };
    answer.map(Some)
}

/// The step that deletes old blue itself: its cluster, or its RDS instance.
fn main_step(kind: Kind) -> DeletionStep {
    match kind {
        Kind::Cluster => DeletionStep::DeleteCluster,
        Kind::Instance => DeletionStep::DeleteInstance,
    }
}

/// The step that deletes a side's members: a cluster's instances, an instance's replicas.
fn members_step(kind: Kind) -> DeletionStep {
    match kind {
        Kind::Cluster => DeletionStep::DeleteInstances,
        Kind::Instance => DeletionStep::DeleteReplicas,
    }
}

/// Production is the deployment's target, not old blue, and (when recorded) the green this
/// deployment made.
fn check_production(
    d: &Deployment,
    production: &Database,
    identity: &Identity,
) -> Result<(), Error> {
    let refuse = |reason: String| Err(Error::unsafe_to_delete(d.source_name(), reason));
    if production.arn != d.target_arn {
        return refuse(format!(
            "production {} is not the deployment's target {}",
            production.arn, d.target_arn
        ));
    }
    if production.resource_id.is_empty() || production.resource_id == identity.blue.resource_id {
        return refuse(format!(
            "production {} has old blue's resource id {}; nothing deleted",
            production.identifier, production.resource_id
        ));
    }
    if let Some(green) = &identity.green {
        if production.resource_id != green.resource_id {
            return refuse(format!("production {} is {}, not the green {} this deployment made: the switchover did not give production to green; nothing deleted", production.identifier, production.resource_id, green.resource_id));
        }
    }
    Ok(())
}

/// One instance cleanup deletes with old blue (a cluster instance, or a read replica).
struct MemberToDelete {
    name: String,
    status: String,
}

/// The members that go with old blue, each one of blue's recorded ids; refuses a member
/// the deployment did not cover, a cross-Region replica, a Global Database member and an
/// RDS Proxy target, naming them and what a person does.
async fn check_topology(
    rds: &aws_sdk_rds::Client,
    old: &Database,
    blue: &Side,
) -> Result<Vec<MemberToDelete>, Error> {
    let refuse = |reason: String| Err(Error::unsafe_to_delete(&old.identifier, reason));
    if let Some(global) = old
        .cluster
        .as_ref()
        .and_then(|c| c.global_cluster_identifier())
        .filter(|g| !g.is_empty())
    {
        return refuse(format!("old blue {} is a member of Aurora Global Database {global}: nothing deleted. Steps: remove it from the global database (aws rds remove-from-global-cluster --global-cluster-identifier {global} --db-cluster-identifier <its ARN>), make sure production is the global database's member you want, then run cleanup again", old.identifier));
    }
    // Replica clusters (an Aurora cluster's in- or cross-Region binlog replicas, an RDS
    // instance's Aurora read-replica clusters) are never part of a deployment: deleting old
    // blue would orphan or promote them.
    let replica_clusters: Vec<&str> = match &old.cluster {
        Some(c) => c
            .read_replica_identifiers()
            .iter()
            .map(String::as_str)
            .collect(),
        None => old
            .instances
            .first()
            .map(|i| {
                i.read_replica_db_cluster_identifiers()
                    .iter()
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default(),
    };
    if !replica_clusters.is_empty() {
        return refuse(format!("old blue {} has replica clusters: {}; deleting it would leave them without a source (promoted to standalone writable clusters); nothing deleted. Fix: promote or delete them yourself, then run cleanup again", old.identifier, replica_clusters.join(", ")));
    }
    let members: Vec<DbInstance> = match old.kind {
        Kind::Cluster => old.instances.clone(),
        Kind::Instance => {
            let (local, remote) = old.replicas(rds).await?;
            if !remote.is_empty() {
                return refuse(format!("old blue {} has read replicas in other Regions: {}; deleting it would promote them to standalone writable databases; nothing deleted. Fix: delete or promote them yourself, then run cleanup again", old.identifier, remote.join(", ")));
            }
            local
        }
    };
    let mut out = Vec::new();
    for m in &members {
        let name = m.db_instance_identifier().unwrap_or_default();
        let id = m.dbi_resource_id().unwrap_or_default();
        if !blue.members.iter().any(|b| b == id) {
            let what = match old.kind {
                Kind::Cluster => "instance",
                Kind::Instance => "read replica",
            };
            return refuse(format!("{what} {name} ({id}) of old blue {} was not part of the deployment (added after it was made?): deleting old blue would orphan or promote it; nothing deleted. Fix: delete it or move it away yourself, then run cleanup again", old.identifier));
        }
        if m.deletion_protection() == Some(true) {
            return Err(Error::unsafe_to_delete(
                name,
                "deletion protection is on; turn it off yourself if you mean to delete it",
            ));
        }
        out.push(MemberToDelete {
            name: name.to_owned(),
            status: m.db_instance_status().unwrap_or_default().to_owned(),
        });
    }
    let names: Vec<&str> = std::iter::once(old.identifier.as_str())
        .chain(out.iter().map(|m| m.name.as_str()))
        .collect();
    if let Some(proxy) = proxy_targeting(rds, &names).await? {
        return refuse(format!("old blue {} is still a target of RDS Proxy {proxy}: nothing deleted. Fix: deregister it from the proxy (aws rds deregister-db-proxy-targets --db-proxy-name {proxy} ...), then run cleanup again", old.identifier));
    }
    Ok(out)
}

/// The first RDS Proxy with one of `names` among its targets.
async fn proxy_targeting(
    rds: &aws_sdk_rds::Client,
    names: &[&str],
) -> Result<Option<String>, Error> {
    let pages = rds.describe_db_proxies().into_paginator().send();
    let proxies = collect_pages(pages, "DescribeDBProxies", |p| p.db_proxies().to_vec()).await?;
    for proxy in proxies {
        let proxy_name = proxy.db_proxy_name().unwrap_or_default();
        let pages = rds
            .describe_db_proxy_targets()
            .db_proxy_name(proxy_name)
            .into_paginator()
            .send();
        let targets =
            collect_pages(pages, "DescribeDBProxyTargets", |p| p.targets().to_vec()).await?;
        let hit = targets.iter().any(|t| {
            [t.rds_resource_id(), t.tracked_cluster_id()]
                .into_iter()
                .flatten()
                .any(|n| names.contains(&n))
        });
        if hit {
            return Ok(Some(proxy_name.to_owned()));
        }
    }
    Ok(None)
}

/// Deletes one DB instance; false when it is already gone or already being deleted (a
/// racing cleanup got there first). `standalone`: an RDS instance or replica (no final
/// snapshot here, it was taken before; automated backups kept).
async fn delete_instance(
    rds: &aws_sdk_rds::Client,
    name: &str,
    standalone: bool,
) -> Result<bool, Error> {
    let mut call = rds.delete_db_instance().db_instance_identifier(name);
    if standalone {
        call = call
            .skip_final_snapshot(true)
            .delete_automated_backups(false);
    }
    match call.send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_instance_not_found_fault()) =>
        {
            Ok(false)
        }
        // Already being deleted (a racing run) counts as done by the other run; any other
        // state (modifying, storage-optimization...) is waited for, naming it, by the state
        // machine's NotReady retries, never taken for "deleting".
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_invalid_db_instance_state_fault()) =>
        {
            match describe_instance(rds, name).await? {
                None => Ok(false),
                Some(i) if i.db_instance_status() == Some("deleting") => Ok(false),
                Some(i) => Err(Error::NotReady {
                    reason: format!(
                        "{name} is `{}`, which RDS does not delete in; the deletion is tried again",
                        i.db_instance_status().unwrap_or("unknown")
                    ),
                }),
            }
        }
        Err(e) => Err(Error::from_sdk("DeleteDBInstance", e)),
    }
}

/// Deletes the old cluster, keeping its automated backups (as the instance path does);
/// false when it is already gone or already being deleted (a racing cleanup got there first:
/// AWS refuses a second DeleteDBCluster with InvalidDBClusterStateFault, API_DeleteDBCluster).
async fn delete_cluster(rds: &aws_sdk_rds::Client, name: &str) -> Result<bool, Error> {
    match rds
        .delete_db_cluster()
        .db_cluster_identifier(name)
        .skip_final_snapshot(true)
        .delete_automated_backups(false)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_cluster_not_found_fault()) =>
        {
            Ok(false)
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_invalid_db_cluster_state_fault()) =>
        {
            match crate::aws::database::describe_cluster(rds, name).await? {
                None => Ok(false),
                Some(c) if c.status() == Some("deleting") => Ok(false),
                // Another state (an instance not yet deleting, a cluster modifying): a
                // Retryable error, tried again by the state machine.
                Some(_) => Err(Error::from_sdk("DeleteDBCluster", e)),
            }
        }
        Err(e) => Err(Error::from_sdk("DeleteDBCluster", e)),
    }
}

/// The deployment must have switched over, from this database, leaving an `-oldN` source.
/// Returns old blue's name.
fn check_cleanup_target<'d>(d: &'d Deployment, request: &Request) -> Result<&'d str, Error> {
    let production = &request.target.identifier;
    let refuse = |reason: String| Err(Error::unsafe_to_delete(d.source_name(), reason));
    if d.status != DeploymentStatus::SwitchoverCompleted {
        return refuse(format!("deployment {} is {}, not {}: old blue exists only after switchover (use the abandon action to remove green)", d.id, d.status, DeploymentStatus::SwitchoverCompleted));
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

/// Deployment statuses in which green is certainly not production: abandon acts only then.
const ABANDON_ALLOWED: [DeploymentStatus; 3] = [
    DeploymentStatus::Provisioning,
    DeploymentStatus::Available,
    DeploymentStatus::InvalidConfiguration,
];

/// Removes green before switchover: DeleteBlueGreenDeployment with DeleteTarget, which AWS
/// applies to green only, and only when green's deletion protection is off.
pub async fn abandon(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&Tracked>,
    poll: Poll,
) -> Result<Answer, Error> {
    let mut reply = Reply::new(request, poll, given);
    let d = match find_deployment(rds, request, given, Operation::Abandon).await? {
        Found::Live(d) => d,
        Found::Gone(tracked) => return abandon_after_deployment_gone(rds, &reply, &tracked).await,
    };
    check_place(&d.source_arn, request)?;
    let recorded = identity::read(rds, &d.source_arn, &d.id).await?;
    reply.track(&d, recorded.identity.clone());
    let production = &request.target.identifier;
    let refuse = |reason: String| Err(Error::unsafe_to_delete(d.target_name(), reason));
    if d.status == DeploymentStatus::Deleting {
        if !in_relation(&d, request, Operation::Abandon) {
            return refuse(format!("deployment {} is being deleted, but its source is not {production}; nothing deleted", d.id));
        }
        return reply.in_progress(
            DeletionStep::DeleteGreen,
            format!("deployment {} is being deleted", d.id),
            vec![],
        );
    }
    if !ABANDON_ALLOWED.contains(&d.status) {
        let allowed: Vec<&str> = ABANDON_ALLOWED
            .iter()
            .map(DeploymentStatus::as_str)
            .collect();
        return refuse(format!("deployment {} is {}: abandon acts only while green is certainly not production ({}); abandon is refused", d.id, d.status, allowed.join(", ")));
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
    let kind = check_kind(&d, request)?;
    // The source must still be blue, and the target green, by name and by recorded id.
    let blue = Database::load(rds, &request.target).await?;
    if blue.arn != d.source_arn {
        return refuse(format!(
            "production {} is not the deployment's source {}",
            blue.arn, d.source_arn
        ));
    }
    let Some(mut identity) = recorded
        .identity
        .clone()
        .or_else(|| given.and_then(|t| t.identity.clone()))
    else {
        return refuse(format!("deployment {} carries no record of blue's and green's resource ids (it was not made by this product, or its tags were removed), so green cannot be told apart by identity; nothing deleted. Fix: delete it by hand in the console after checking which database is green", d.id));
    };
    let green = Database::find(rds, kind, d.target_name()).await?;
    if blue.resource_id != identity.blue.resource_id {
        return refuse(format!(
            "production {} is {}, not the blue {} this deployment was made from; nothing deleted",
            blue.identifier, blue.resource_id, identity.blue.resource_id
        ));
    }
    match (&green, &identity.green) {
        (Some(green), Some(recorded_green)) if green.resource_id != recorded_green.resource_id => {
            return refuse(format!(
                "{} is {}, not the green {} this deployment made; nothing deleted",
                green.identifier, green.resource_id, recorded_green.resource_id
            ));
        }
        // AWS names green after CreateBlueGreenDeployment answers: record it now, before
        // DeleteTarget, so the end of the abandon can show green gone by its resource ids.
        (Some(green), None) => {
            identity.green = Some(Side::observe(rds, green).await?);
            identity::tag_deployment(rds, &d.source_arn, &d.id, identity.to_tags()).await?;
        }
        _ => {}
    }
    reply.track(&d, Some(identity.clone()));
    if let Some(green) = &green {
        let protected: Vec<String> = green
            .deletion_protection()
            .then(|| green.identifier.clone())
            .into_iter()
            .chain(
                green
                    .instances
                    .iter()
                    .filter(|i| i.deletion_protection() == Some(true))
                    .filter_map(|i| i.db_instance_identifier().map(str::to_owned)),
            )
            .collect();
        if !protected.is_empty() {
            return refuse(format!("green {} has deletion protection on ({}), copied from blue; AWS deletes green only with deletion protection off, and the product never turns it off; nothing deleted. Fix: check that {} is green (not production), turn deletion protection off on it (aws rds modify-db-{} --no-deletion-protection ...), then run abandon again", green.identifier, protected.join(", "), green.identifier, if kind == Kind::Cluster { "cluster" } else { "instance" }));
        }
    }
    delete_deployment(rds, &d.id, true).await?;
    let green = d.target_name().to_owned();
    reply.in_progress(
        DeletionStep::DeleteGreen,
        format!("deleting deployment {} and its green {green}", d.id),
        vec![d.id.clone(), green],
    )
}

/// The deployment the state data names is gone: "done" only when green's recorded ids are
/// verifiably gone and blue's are still there.
async fn abandon_after_deployment_gone(
    rds: &aws_sdk_rds::Client,
    reply: &Reply<'_>,
    tracked: &Tracked,
) -> Result<Answer, Error> {
    let id = &tracked.reference.id;
    let Some(green) = tracked.identity.as_ref().and_then(|i| i.green.as_ref()) else {
        return Err(Error::unsafe_to_delete(
            id,
            format!("action needed: deployment {id} no longer exists and this execution holds no record of green's resource ids, so green cannot be shown to be gone; nothing deleted. Fix: look for {}'s green databases by hand", arn::name_of(&tracked.reference.source_arn)),
        ));
    };
    let refuse = |left: String| {
        Error::unsafe_to_delete(
            &green.resource_id,
            format!("action needed: deployment {id} is gone but green still exists: {left}; it is a standalone database now; nothing deleted. Fix: delete it yourself if it is not needed"),
        )
    };
    // DeleteTarget deleted green; the deployment can be gone before green is.
    let step = DeletionStep::DeleteGreen;
    if let Some(waiting) = rest_of_side(rds, reply, green, step, false, refuse).await? {
        return Ok(waiting);
    }
    Ok(reply.done(
        DeletionStep::Complete,
        format!(
            "green {} and its members are gone (checked by resource id) and deployment {id} is deleted",
            green.resource_id
        ),
        vec![],
    ))
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
        // Another run (two cleanups racing) already asked: the deletion is under way.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_invalid_blue_green_deployment_state_fault()) =>
        {
            match deployment::describe(rds, id).await? {
                None => Ok(()),
                Some(d) if d.status == DeploymentStatus::Deleting => Ok(()),
                Some(_) => Err(Error::from_sdk("DeleteBlueGreenDeployment", e)),
            }
        }
        Err(e) => Err(Error::from_sdk("DeleteBlueGreenDeployment", e)),
    }
}

#[cfg(test)]
mod tests {
    //! Guards moto cannot set up (a source not named `-oldN`, production sharing old blue's
    //! resource id). Everything moto can express is in tests/tests/emulator/delete_old_guards.rs.
    use super::*;
    use aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsOutput;
    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_sdk_rds::types::{BlueGreenDeployment, DbCluster};
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use serde_json::json;

    const OLD: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-old1";
    const PROD: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";

    fn request() -> Request {
        Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-postgresql"}})).unwrap()
    }

    fn deployment(status: DeploymentStatus, source: &'static str) -> Rule {
        mock!(aws_sdk_rds::Client::describe_blue_green_deployments).then_output(move || {
            DescribeBlueGreenDeploymentsOutput::builder()
                .blue_green_deployments(
                    BlueGreenDeployment::builder()
                        .blue_green_deployment_identifier("bgd-1")
                        .blue_green_deployment_name("n")
                        .source(source)
                        .target(PROD)
                        .status(status.as_str())
                        .build(),
                )
                .build()
        })
    }

    /// The deployment's tags: old blue recorded as `blue`.
    fn recorded_identity(blue: &'static str) -> Rule {
        let identity = Identity {
            kind: Kind::Cluster,
            blue: Side {
                resource_id: blue.into(),
                members: vec![],
            },
            green: None,
        };
        mock!(aws_sdk_rds::Client::list_tags_for_resource).then_output(move || {
            aws_sdk_rds::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
                .set_tag_list(Some(identity.to_tags()))
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

    fn deletes() -> [Rule; 3] {
        [
            mock!(aws_sdk_rds::Client::delete_db_instance).then_output(|| aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput::builder().build()),
            mock!(aws_sdk_rds::Client::delete_db_cluster).then_output(|| aws_sdk_rds::operation::delete_db_cluster::DeleteDbClusterOutput::builder().build()),
            mock!(aws_sdk_rds::Client::delete_blue_green_deployment).then_output(|| aws_sdk_rds::operation::delete_blue_green_deployment::DeleteBlueGreenDeploymentOutput::builder().build()),
        ]
    }

    #[tokio::test]
    async fn old_blue_with_replica_clusters_is_refused_naming_them() {
        // moto cannot make an Aurora binlog replica cluster; AWS lists them in
        // DBCluster.ReadReplicaIdentifiers (and an RDS instance's Aurora replicas in
        // DBInstance.ReadReplicaDBClusterIdentifiers).
        let cluster = DbCluster::builder()
            .db_cluster_identifier("orders-old1")
            .read_replica_identifiers("arn:aws:rds:eu-west-1:123456789012:cluster:orders-dr")
            .build();
        let old = Database {
            kind: Kind::Cluster,
            identifier: "orders-old1".into(),
            arn: OLD.into(),
            resource_id: "cluster-OLD".into(),
            engine: "aurora-mysql".into(),
            engine_version: "8.0.mysql_aurora.3.05.2".into(),
            status: "available".into(),
            cluster: Some(cluster),
            instances: vec![],
        };
        let blue = Side {
            resource_id: "cluster-OLD".into(),
            members: vec![],
        };
        // No rules: the refusal comes before any call.
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, &[]);
        let Err(err) = check_topology(&rds, &old, &blue).await else {
            panic!("old blue with a replica cluster was not refused");
        };
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(err.to_string().contains("orders-dr"), "{err}");
        assert!(err.to_string().contains("nothing deleted"), "{err}");
    }

    #[tokio::test]
    async fn a_source_not_named_old_is_refused() {
        let d = deployment(
            DeploymentStatus::SwitchoverCompleted,
            "arn:aws:rds:us-east-1:123456789012:cluster:orders-archive",
        );
        let tags = recorded_identity("cluster-SAME");
        let [di, dc, dd] = deletes();
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&d, &tags, &di, &dc, &dd]);
        let err = cleanup(&rds, &request(), None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(err.to_string().contains("-oldN"), "{err}");
        assert_eq!(di.num_calls() + dc.num_calls() + dd.num_calls(), 0);
    }

    #[tokio::test]
    async fn production_with_old_blues_resource_id_is_refused() {
        let d = deployment(DeploymentStatus::SwitchoverCompleted, OLD);
        let prod = production("cluster-SAME");
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| {
            aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput::builder()
                .build()
        });
        let tags = recorded_identity("cluster-SAME");
        let [di, dc, dd] = deletes();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&d, &tags, &prod, &instances, &di, &dc, &dd]
        );
        let err = cleanup(&rds, &request(), None, Poll::default())
            .await
            .unwrap_err();
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(err.to_string().contains("old blue's resource id"), "{err}");
        assert_eq!(di.num_calls() + dc.num_calls() + dd.num_calls(), 0);
    }

    #[test]
    fn the_tracked_reference_keeps_the_identity_and_reads_the_create_answer() {
        // "Create green" puts create's whole answer (status, adopted, identity) in $.deployment.
        let t: Tracked = serde_json::from_value(json!({
            "id": "bgd-1", "name": "n", "sourceArn": PROD, "status": "AVAILABLE", "adopted": false,
            "identity": {"kind": "cluster", "blue": {"resourceId": "cluster-A", "members": ["db-B"]}, "green": null}
        }))
        .unwrap();
        assert_eq!(t.reference.id, "bgd-1");
        assert_eq!(t.identity.unwrap().blue.members, ["db-B"]);
    }

    /// Old blue (by id) reads `deleting`: a re-run waits, and deletes nothing again. (Against
    /// the emulator, which keeps a deletion under way as AWS does: delete_old_guards::
    /// `a_rerun_while_old_blue_is_deleting_deletes_nothing_again_and_is_done_only_once_it_is_gone`.)
    #[tokio::test]
    async fn a_rerun_while_old_blue_is_deleting_waits() {
        let d = deployment(DeploymentStatus::SwitchoverCompleted, OLD);
        let tags = recorded_identity("cluster-OLD");
        let prod = production("cluster-PROD");
        let old = || {
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier("orders-old1")
                        .db_cluster_arn(OLD)
                        .db_cluster_resource_id("cluster-OLD")
                        .status("deleting")
                        .build(),
                )
                .build()
        };
        let by_name = mock!(aws_sdk_rds::Client::describe_db_clusters)
            .match_requests(|r| r.db_cluster_identifier() == Some("orders-old1"))
            .then_output(old);
        let by_id = mock!(aws_sdk_rds::Client::describe_db_clusters)
            .match_requests(|r| {
                r.filters()
                    .iter()
                    .any(|f| f.name() == Some("db-cluster-resource-id"))
            })
            .then_output(old);
        let instances = mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| {
            aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput::builder()
                .build()
        });
        let proxies = mock!(aws_sdk_rds::Client::describe_db_proxies).then_output(|| {
            aws_sdk_rds::operation::describe_db_proxies::DescribeDbProxiesOutput::builder().build()
        });
        let [di, dc, dd] = deletes();
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&d, &tags, &prod, &by_name, &by_id, &instances, &proxies, &di, &dc, &dd]
        );
        let a = cleanup(&rds, &request(), None, Poll::default())
            .await
            .unwrap();
        assert_eq!(a.state, Progress::InProgress);
        assert!(
            a.detail.contains("being deleted: orders-old1"),
            "{}",
            a.detail
        );
        assert!(a.deleted.is_empty());
        assert_eq!(di.num_calls() + dc.num_calls() + dd.num_calls(), 0);
    }
}
