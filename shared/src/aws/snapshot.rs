//! Manual snapshots taken by the product (blue before switchover, old blue before deletion).
//!
//! A snapshot is named deterministically, so a step that runs again finds the one its first
//! run started instead of starting a second.

use crate::error::Error;
use crate::input::Kind;

/// Where a snapshot stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotState {
    /// Just asked for, or still being made.
    Creating(String),
    /// Ready: the data is safe.
    Available,
}

/// Makes sure the snapshot `snapshot_id` of the database exists: starts it when it does not,
/// and says where it stands. A failed snapshot is an error, never "done".
pub async fn ensure(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    db_identifier: &str,
    snapshot_id: &str,
) -> Result<SnapshotState, Error> {
    let status = match describe(rds, kind, snapshot_id).await? {
        Some(found) => found,
        None => create(rds, kind, db_identifier, snapshot_id).await?,
    };
    match status.as_str() {
        "available" => Ok(SnapshotState::Available),
        "creating" | "pending" | "copying" | "" => Ok(SnapshotState::Creating(status)),
        _ => Err(Error::DeploymentFailed {
            deployment: db_identifier.to_owned(),
            status: format!("snapshot {snapshot_id} is {status}"),
            details: "the snapshot did not complete; nothing was changed after it. Fix: look at the snapshot in the console, delete it, and run the step again".to_owned(),
        }),
    }
}

/// The status of a snapshot, or `None` when there is none by that id.
async fn describe(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    snapshot_id: &str,
) -> Result<Option<String>, Error> {
    match kind {
        Kind::Cluster => match rds
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(snapshot_id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .db_cluster_snapshots()
                .first()
                .map(|s| s.status().unwrap_or_default().to_owned())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_cluster_snapshot_not_found_fault()) =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::from_sdk("DescribeDBClusterSnapshots", e)),
        },
        Kind::Instance => match rds
            .describe_db_snapshots()
            .db_snapshot_identifier(snapshot_id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .db_snapshots()
                .first()
                .map(|s| s.status().unwrap_or_default().to_owned())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_snapshot_not_found_fault()) =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::from_sdk("DescribeDBSnapshots", e)),
        },
    }
}

/// Starts a manual snapshot and returns its first status.
async fn create(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    db_identifier: &str,
    snapshot_id: &str,
) -> Result<String, Error> {
    let tag = aws_sdk_rds::types::Tag::builder()
        .key("created-by")
        .value("rds-bluegreen-automation")
        .build();
    match kind {
        Kind::Cluster => {
            let out = rds
                .create_db_cluster_snapshot()
                .db_cluster_identifier(db_identifier)
                .db_cluster_snapshot_identifier(snapshot_id)
                .tags(tag)
                .send()
                .await
                .map_err(|e| Error::from_sdk("CreateDBClusterSnapshot", e))?;
            Ok(out
                .db_cluster_snapshot()
                .and_then(|s| s.status())
                .unwrap_or("creating")
                .to_owned())
        }
        Kind::Instance => {
            let out = rds
                .create_db_snapshot()
                .db_instance_identifier(db_identifier)
                .db_snapshot_identifier(snapshot_id)
                .tags(tag)
                .send()
                .await
                .map_err(|e| Error::from_sdk("CreateDBSnapshot", e))?;
            Ok(out
                .db_snapshot()
                .and_then(|s| s.status())
                .unwrap_or("creating")
                .to_owned())
        }
    }
}
