//! Is green ready? The one place that decides from AWS's statuses: the deployment's (parsed
//! into [`DeploymentStatus`] by `aws::deployment`), its tasks', its members' and green's
//! instances'.
//!
//! Every status is an open-ended string: a value this module does not know is
//! `UnknownStatus`, never a step forward. "Ready" means the deployment is AVAILABLE, every
//! task COMPLETED, every switchover member AVAILABLE and every green instance `available`
//! (not `storage-optimization`, `modifying`, `rebooting`... which tools that waited only for
//! the deployment status broke on). "Switched" means the deployment is SWITCHOVER_COMPLETED
//! and so is every member: each member's `SwitchoverDetails` status is its own
//! (API_SwitchoverDetail) and lags the deployment's, at the start (members still AVAILABLE
//! while the deployment reads SWITCHOVER_IN_PROGRESS) and at the end (still
//! SWITCHOVER_IN_PROGRESS or AVAILABLE after the deployment reads SWITCHOVER_COMPLETED): a
//! lagging member is waited for (bounded by the poll budget), never read as a failure. A
//! member that reads SWITCHOVER_FAILED or MISSING_TARGET stops the workflow.

use aws_sdk_rds::types::DbInstance;
use serde::{Deserialize, Serialize};

use aws_smithy_types::DateTime;

use crate::aws::deployment::{Deployment, DeploymentStatus};
use crate::aws::events::{self, Activity, Recorded};
use crate::aws::{arn, database};
use crate::error::Error;

/// The normalised phase of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Green is being built or is settling.
    Provisioning,
    /// Green is ready for switchover.
    Ready,
    /// Switchover is running.
    Switching,
    /// Switchover completed: production is green.
    Switched,
}

/// A green instance as the readiness check sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GreenInstance {
    pub identifier: String,
    pub status: String,
    /// The parameter groups' apply status (`in-sync`, `pending-reboot`, `applying`).
    pub parameter_apply_status: Vec<String>,
}

impl GreenInstance {
    fn from_api(i: &DbInstance) -> GreenInstance {
        GreenInstance {
            identifier: i.db_instance_identifier().unwrap_or_default().to_owned(),
            status: i.db_instance_status().unwrap_or_default().to_owned(),
            parameter_apply_status: i
                .db_parameter_groups()
                .iter()
                .filter_map(|g| g.parameter_apply_status().map(str::to_owned))
                .collect(),
        }
    }

    /// Whether a parameter change waits for a reboot of this instance.
    pub fn pending_reboot(&self) -> bool {
        self.parameter_apply_status
            .iter()
            .any(|s| s == "pending-reboot")
    }
}

/// The verdict on a deployment: its phase and, when not ready, what it waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub phase: Phase,
    /// Human-readable reasons green is not ready yet (empty when ready).
    pub waiting_for: Vec<String>,
}

/// How an instance status counts towards readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceHealth {
    Available,
    /// A status that passes by itself (creating, modifying, storage-optimization...).
    Settling,
    /// A status that will not become available without a human.
    Broken,
}

/// Classifies an instance status; `None` for a status this product does not know.
pub fn instance_health(status: &str) -> Option<InstanceHealth> {
    use InstanceHealth::*;
    if status.starts_with("configuring-") {
        return Some(Settling);
    }
    Some(match status {
        "available" => Available,
        "creating"
        | "backing-up"
        | "modifying"
        | "rebooting"
        | "renaming"
        | "resetting-master-credentials"
        | "starting"
        | "upgrading"
        | "maintenance"
        | "storage-optimization"
        | "storage-initialization"
        | "storage-config-upgrade"
        | "moving-to-vpc"
        | "converting-to-vpc" => Settling,
        "failed"
        | "incompatible-credentials"
        | "incompatible-network"
        | "incompatible-option-group"
        | "incompatible-parameters"
        | "incompatible-restore"
        | "inaccessible-encryption-credentials"
        | "inaccessible-encryption-credentials-recoverable"
        | "restore-error"
        | "stopped"
        | "stopping"
        | "deleting"
        | "storage-full"
        | "insufficient-capacity" => Broken,
        _ => return None,
    })
}

/// Reads green's instances: the target cluster's instances, or the target instance.
pub async fn green_instances(
    rds: &aws_sdk_rds::Client,
    deployment: &Deployment,
) -> Result<Vec<GreenInstance>, Error> {
    let Some(target) = arn::parse(&deployment.target_arn) else {
        return Ok(Vec::new());
    };
    let instances = match target.resource_type {
        "cluster" => database::describe_cluster_instances(rds, target.name).await?,
        _ => database::describe_instance(rds, target.name)
            .await?
            .into_iter()
            .collect(),
    };
    Ok(instances.iter().map(GreenInstance::from_api).collect())
}

/// Decides the phase from the deployment, its tasks and members, and green's instances.
///
/// Failures (INVALID_CONFIGURATION, SWITCHOVER_FAILED, a FAILED task, a broken green
/// instance) are `DeploymentFailed` with AWS's own details; unknown strings `UnknownStatus`.
pub fn assess(deployment: &Deployment, green: &[GreenInstance]) -> Result<Assessment, Error> {
    let failed = |status: &str, details: String| Error::DeploymentFailed {
        deployment: deployment.id.clone(),
        status: status.to_owned(),
        details,
    };
    let unknown = |what: &str, value: &str, resource: &str| Error::UnknownStatus {
        what: what.to_owned(),
        value: value.to_owned(),
        resource: resource.to_owned(),
    };
    let details = || {
        deployment
            .status_details
            .clone()
            .unwrap_or_else(|| "AWS gave no details".to_owned())
    };

    let phase = match &deployment.status {
        DeploymentStatus::Provisioning | DeploymentStatus::Available => Phase::Provisioning,
        DeploymentStatus::SwitchoverInProgress => Phase::Switching,
        DeploymentStatus::SwitchoverCompleted => Phase::Switched,
        status @ (DeploymentStatus::InvalidConfiguration | DeploymentStatus::SwitchoverFailed) => {
            return Err(failed(status.as_str(), details()))
        }
        status @ DeploymentStatus::Deleting => {
            return Err(failed(
                status.as_str(),
                "the deployment is being deleted".to_owned(),
            ))
        }
        DeploymentStatus::Other(other) => {
            return Err(unknown("Blue/Green deployment", other, &deployment.id))
        }
    };
    let members = member_verdict(deployment)?;
    match phase {
        Phase::Switching => {
            return Ok(Assessment {
                phase,
                waiting_for: Vec::new(),
            })
        }
        Phase::Switched => {
            let phase = if members.switching.is_empty() {
                Phase::Switched
            } else {
                Phase::Switching
            };
            return Ok(Assessment {
                phase,
                waiting_for: members.switching,
            });
        }
        Phase::Provisioning | Phase::Ready => {}
    }

    let mut waiting_for = Vec::new();
    if deployment.status == DeploymentStatus::Provisioning {
        waiting_for.push(format!("the deployment is {}", deployment.status));
    }
    for task in &deployment.tasks {
        match task.status.as_str() {
            "COMPLETED" => {}
            "PENDING" | "IN_PROGRESS" => {
                waiting_for.push(format!("task {} is {}", task.name, task.status))
            }
            "FAILED" => {
                return Err(failed(
                    "FAILED",
                    format!("task {} failed: {}", task.name, details()),
                ))
            }
            other => return Err(unknown("Blue/Green task", other, &task.name)),
        }
    }
    waiting_for.extend(members.provisioning);
    if deployment.status == DeploymentStatus::Available {
        if green.is_empty() {
            waiting_for.push("green has no instances yet".to_owned());
        }
        for instance in green {
            match instance_health(&instance.status) {
                Some(InstanceHealth::Available) => {}
                Some(InstanceHealth::Settling) => waiting_for.push(format!(
                    "green instance {} is {}",
                    instance.identifier, instance.status
                )),
                Some(InstanceHealth::Broken) => {
                    return Err(failed(
                        "GREEN_INSTANCE_BROKEN",
                        format!(
                            "green instance {} is {}",
                            instance.identifier, instance.status
                        ),
                    ));
                }
                None => {
                    return Err(unknown(
                        "DB instance",
                        &instance.status,
                        &instance.identifier,
                    ))
                }
            }
        }
    }
    let phase = if waiting_for.is_empty() {
        Phase::Ready
    } else {
        Phase::Provisioning
    };
    Ok(Assessment { phase, waiting_for })
}

/// What the deployment's RDS events say a wait must still wait for, or that green's creation
/// failed (RDS-EVENT-0245, AWS's reason kept). Read with the statuses: storage initialization
/// (0405 without a later 0406) is part of green really being ready ("Lazy loading and storage
/// initialization for blue/green deployments", RDS User Guide), and a PostgreSQL sequence sync
/// (0307/0311 without a later 0308/0312) or its failure (0310/0314, after which RDS cancels
/// the switchover) explains a switchover that takes longer.
pub fn event_verdict(
    deployment: &Deployment,
    recorded: &[(Recorded, DateTime)],
) -> Result<Vec<String>, Error> {
    let last = |wanted: fn(&Recorded) -> bool| recorded.iter().rev().find(|(e, _)| wanted(e));
    let creation = last(|e| matches!(e, Recorded::Created | Recorded::CreationFailed(_)));
    if let Some((Recorded::CreationFailed(reason), _)) = creation {
        let reason = if reason.is_empty() {
            "AWS gave no reason"
        } else {
            reason
        };
        return Err(Error::DeploymentFailed {
            deployment: deployment.id.clone(),
            status: format!("{} (RDS-EVENT-0245 creation failed)", deployment.status),
            details: format!("RDS could not create green: {reason}. Fix: correct what AWS names (for PostgreSQL see \"Preparing for a blue/green deployment\": rds.logical_replication and the replication worker settings, then reboot), then run the abandon action to delete the deployment and green, and start again"),
        });
    }
    let mut waiting = Vec::new();
    if let Some((Recorded::StorageInitialization(Activity::Started), at)) =
        last(|e| matches!(e, Recorded::StorageInitialization(_)))
    {
        waiting.push(format!("green's storage volumes are being initialized since {} (RDS-EVENT-0405; reads are slow until RDS-EVENT-0406)", events::format_time(at)));
    }
    if deployment.status == DeploymentStatus::SwitchoverInProgress {
        match last(|e| matches!(e, Recorded::SequenceSync(_))) {
            Some((Recorded::SequenceSync(Activity::Started), at)) => waiting.push(format!("PostgreSQL sequences are being synced since {} (RDS-EVENT-0307/0311): the switchover may take longer", events::format_time(at))),
            Some((Recorded::SequenceSync(Activity::Failed), at)) => waiting.push(format!("sequences failed to sync at {} (RDS-EVENT-0310/0314): RDS cancels the switchover", events::format_time(at))),
            _ => {}
        }
    }
    Ok(waiting)
}

/// Where the switchover members stand, each read on its own.
#[derive(Debug, Default)]
struct Members {
    /// Members still PROVISIONING (green is being built).
    provisioning: Vec<String>,
    /// Members still switching over, or whose status lags a completed deployment's.
    switching: Vec<String>,
}

/// Reads every member's `SwitchoverDetails` status: a failed or missing member is
/// `DeploymentFailed` whatever the deployment says; an unknown status is `UnknownStatus`.
/// After SWITCHOVER_COMPLETED a member still AVAILABLE or SWITCHOVER_IN_PROGRESS lags the
/// deployment and is waited for.
fn member_verdict(deployment: &Deployment) -> Result<Members, Error> {
    let mut verdict = Members::default();
    let switched_over = deployment.status == DeploymentStatus::SwitchoverCompleted;
    for member in &deployment.members {
        let name = format!("member {} → {}", member.source, member.target);
        match member.status.as_str() {
            "SWITCHOVER_COMPLETED" => {}
            // After switchover the source is old blue, which the cleanup deletes.
            "MISSING_SOURCE" if switched_over => {}
            "AVAILABLE" | "SWITCHOVER_IN_PROGRESS" if switched_over => {
                verdict.switching.push(format!(
                    "{name} still reads {} (its status lags the deployment's)",
                    member.status
                ))
            }
            "AVAILABLE" => {}
            "PROVISIONING" if !switched_over => verdict.provisioning.push(format!(
                "member {} is PROVISIONING",
                arn::name_of(&member.target)
            )),
            "SWITCHOVER_IN_PROGRESS" => verdict
                .switching
                .push(format!("{name} is SWITCHOVER_IN_PROGRESS")),
            "PROVISIONING" | "SWITCHOVER_FAILED" | "MISSING_SOURCE" | "MISSING_TARGET" => {
                let details = deployment
                    .status_details
                    .clone()
                    .unwrap_or_else(|| "AWS gave no details".to_owned());
                return Err(Error::DeploymentFailed {
                    deployment: deployment.id.clone(),
                    status: member.status.clone(),
                    details: format!(
                        "the deployment reads {} but {name} is {}: {details}; nothing is deleted, a person must look",
                        deployment.status, member.status
                    ),
                });
            }
            other => {
                return Err(Error::UnknownStatus {
                    what: "switchover member".to_owned(),
                    value: other.to_owned(),
                    resource: member.source.clone(),
                })
            }
        }
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::deployment::{Member, Task};

    fn deployment(status: &str) -> Deployment {
        Deployment {
            id: "bgd-1".into(),
            name: "n".into(),
            source_arn: "arn:aws:rds:us-east-1:1:cluster:orders".into(),
            target_arn: "arn:aws:rds:us-east-1:1:cluster:orders-green-x".into(),
            status: DeploymentStatus::parse(status),
            status_details: None,
            create_time: None,
            tasks: vec![Task {
                name: "CREATE_DB_INSTANCES_FOR_CLUSTER".into(),
                status: "COMPLETED".into(),
            }],
            members: vec![Member {
                source: "s".into(),
                target: "t".into(),
                status: "AVAILABLE".into(),
            }],
        }
    }

    fn green(status: &str) -> Vec<GreenInstance> {
        vec![GreenInstance {
            identifier: "orders-1-green".into(),
            status: status.into(),
            parameter_apply_status: vec!["in-sync".into()],
        }]
    }

    #[test]
    fn ready_only_when_everything_is() {
        assert_eq!(
            assess(&deployment("AVAILABLE"), &green("available"))
                .unwrap()
                .phase,
            Phase::Ready
        );
        let a = assess(&deployment("AVAILABLE"), &green("storage-optimization")).unwrap();
        assert_eq!(a.phase, Phase::Provisioning);
        assert!(a.waiting_for[0].contains("storage-optimization"));
        assert_eq!(
            assess(&deployment("PROVISIONING"), &green("available"))
                .unwrap()
                .phase,
            Phase::Provisioning
        );
        assert_eq!(
            assess(&deployment("AVAILABLE"), &[]).unwrap().phase,
            Phase::Provisioning
        );
    }

    #[test]
    fn pending_tasks_and_members_wait() {
        let mut d = deployment("AVAILABLE");
        d.tasks[0].status = "IN_PROGRESS".into();
        assert_eq!(
            assess(&d, &green("available")).unwrap().phase,
            Phase::Provisioning
        );
        let mut d = deployment("AVAILABLE");
        d.members[0].status = "PROVISIONING".into();
        assert_eq!(
            assess(&d, &green("available")).unwrap().phase,
            Phase::Provisioning
        );
    }

    #[test]
    fn failures_carry_aws_details() {
        let mut d = deployment("INVALID_CONFIGURATION");
        d.status_details = Some("green was promoted manually".into());
        let e = assess(&d, &[]).unwrap_err();
        assert_eq!(e.name(), "DeploymentFailed");
        assert!(e.to_string().contains("green was promoted manually"));
        let mut d = deployment("AVAILABLE");
        d.tasks[0].status = "FAILED".into();
        assert_eq!(
            assess(&d, &green("available")).unwrap_err().name(),
            "DeploymentFailed"
        );
        assert_eq!(
            assess(&deployment("SWITCHOVER_FAILED"), &[])
                .unwrap_err()
                .name(),
            "DeploymentFailed"
        );
        assert_eq!(
            assess(&deployment("AVAILABLE"), &green("incompatible-parameters"))
                .unwrap_err()
                .name(),
            "DeploymentFailed"
        );
        let mut d = deployment("AVAILABLE");
        d.members[0].status = "MISSING_TARGET".into();
        assert_eq!(
            assess(&d, &green("available")).unwrap_err().name(),
            "DeploymentFailed"
        );
    }

    #[test]
    fn unknown_strings_never_move_forward() {
        assert_eq!(
            assess(&deployment("PREPARING_FOR_SWITCHOVER"), &[])
                .unwrap_err()
                .name(),
            "UnknownStatus"
        );
        let mut d = deployment("AVAILABLE");
        d.tasks[0].status = "SKIPPED".into();
        assert_eq!(
            assess(&d, &green("available")).unwrap_err().name(),
            "UnknownStatus"
        );
        let mut d = deployment("AVAILABLE");
        d.members[0].status = "WARMING".into();
        assert_eq!(
            assess(&d, &green("available")).unwrap_err().name(),
            "UnknownStatus"
        );
        assert_eq!(
            assess(&deployment("AVAILABLE"), &green("hibernating"))
                .unwrap_err()
                .name(),
            "UnknownStatus"
        );
    }

    #[test]
    fn switch_phases() {
        assert_eq!(
            assess(&deployment("SWITCHOVER_IN_PROGRESS"), &[])
                .unwrap()
                .phase,
            Phase::Switching
        );
        let mut d = deployment("SWITCHOVER_COMPLETED");
        d.members[0].status = "SWITCHOVER_COMPLETED".into();
        assert_eq!(assess(&d, &[]).unwrap().phase, Phase::Switched);
    }

    fn switched(members: &[&str]) -> Deployment {
        let mut d = deployment("SWITCHOVER_COMPLETED");
        d.members = members
            .iter()
            .enumerate()
            .map(|(i, status)| Member {
                source: format!("arn:aws:rds:us-east-1:1:db:orders-{i}-old1"),
                target: format!("arn:aws:rds:us-east-1:1:db:orders-{i}"),
                status: (*status).into(),
            })
            .collect();
        d
    }

    #[test]
    fn every_member_is_read_after_switchover() {
        let ok = assess(
            &switched(&["SWITCHOVER_COMPLETED", "SWITCHOVER_COMPLETED"]),
            &[],
        );
        assert_eq!(ok.unwrap().phase, Phase::Switched);
        let settling = assess(
            &switched(&["SWITCHOVER_COMPLETED", "SWITCHOVER_IN_PROGRESS"]),
            &[],
        )
        .unwrap();
        assert_eq!(
            settling.phase,
            Phase::Switching,
            "a member still switching is waited for"
        );
        // Member statuses lag the deployment's (API_SwitchoverDetail: each member has its
        // own): still AVAILABLE or SWITCHOVER_IN_PROGRESS after completion is waited for.
        for lagging in ["AVAILABLE", "SWITCHOVER_IN_PROGRESS"] {
            let a = assess(&switched(&["SWITCHOVER_COMPLETED", lagging]), &[]).unwrap();
            assert_eq!(a.phase, Phase::Switching, "{lagging} is waited for");
            assert!(a.waiting_for[0].contains("orders-1"), "{:?}", a.waiting_for);
        }
        let err = assess(
            &switched(&["SWITCHOVER_COMPLETED", "SWITCHOVER_FAILED"]),
            &[],
        )
        .unwrap_err();
        assert_eq!(err.name(), "DeploymentFailed");
        assert!(
            err.to_string().contains("orders-1") && err.to_string().contains("SWITCHOVER_FAILED"),
            "names the member: {err}"
        );
        let cleaned = assess(&switched(&["MISSING_SOURCE", "SWITCHOVER_COMPLETED"]), &[]);
        assert_eq!(
            cleaned.unwrap().phase,
            Phase::Switched,
            "old blue deleted by the cleanup"
        );
        let gone = assess(&switched(&["SWITCHOVER_COMPLETED", "MISSING_TARGET"]), &[]);
        assert_eq!(
            gone.unwrap_err().name(),
            "DeploymentFailed",
            "production is missing"
        );
        let err = assess(&switched(&["SWITCHOVER_COMPLETED", "HALF_DONE"]), &[]).unwrap_err();
        assert_eq!(err.name(), "UnknownStatus");
    }

    #[test]
    fn events_tell_a_failed_creation_and_what_is_still_running() {
        let at = DateTime::from_secs;
        let d = deployment("PROVISIONING");
        let err = event_verdict(
            &d,
            &[(
                Recorded::CreationFailed(
                    "incompatible parameter(s): [max_logical_replication_workers]".into(),
                ),
                at(5),
            )],
        )
        .unwrap_err();
        assert_eq!(err.name(), "DeploymentFailed");
        assert!(
            err.to_string().contains("max_logical_replication_workers")
                && err.to_string().contains("RDS-EVENT-0245")
                && err.to_string().contains("abandon"),
            "{err}"
        );
        let built = deployment("AVAILABLE");
        let storage = [
            (Recorded::Created, at(5)),
            (Recorded::StorageInitialization(Activity::Started), at(5)),
        ];
        let waiting = event_verdict(&built, &storage).unwrap();
        assert!(waiting[0].contains("RDS-EVENT-0405"), "{waiting:?}");
        let done = [
            storage[0].clone(),
            storage[1].clone(),
            (Recorded::StorageInitialization(Activity::Completed), at(9)),
        ];
        assert!(event_verdict(&built, &done).unwrap().is_empty());
        let switching = deployment("SWITCHOVER_IN_PROGRESS");
        let sync = [(Recorded::SequenceSync(Activity::Started), at(10))];
        assert!(event_verdict(&switching, &sync).unwrap()[0].contains("sequences"));
        let synced = [
            sync[0].clone(),
            (Recorded::SequenceSync(Activity::Completed), at(12)),
        ];
        assert!(event_verdict(&switching, &synced).unwrap().is_empty());
    }

    #[test]
    fn instance_statuses() {
        assert_eq!(
            instance_health("configuring-log-exports"),
            Some(InstanceHealth::Settling)
        );
        assert_eq!(
            instance_health("storage-initialization"),
            Some(InstanceHealth::Settling)
        );
        assert_eq!(instance_health("failed"), Some(InstanceHealth::Broken));
        assert_eq!(instance_health("warp-speed"), None);
    }
}
