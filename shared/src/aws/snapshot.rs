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

/// What a snapshot is: its status, the resource id of the database it was taken from
/// (`DbClusterResourceId` / `DbiResourceId`), and when it was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub status: String,
    pub source_resource_id: Option<String>,
    pub created: Option<aws_smithy_types::DateTime>,
}

/// The database a snapshot must have been taken from, and the earliest it may have been.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub resource_id: &'a str,
    pub not_before: Option<aws_smithy_types::DateTime>,
}

/// Makes sure the snapshot `snapshot_id` of the database exists: starts it when it does not,
/// and says where it stands. A failed snapshot is an error, never "done".
pub async fn ensure(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    db_identifier: &str,
    snapshot_id: &str,
) -> Result<SnapshotState, Error> {
    let facts = find_or_create(rds, kind, db_identifier, snapshot_id).await?;
    state_of(&facts.status, db_identifier, snapshot_id)
}

/// [`ensure`], and the snapshot must be of `expected` (its source resource id, taken no
/// earlier than `not_before`): a snapshot that merely has the expected name is refused
/// with `UnsafeToDelete`, since deleting on the strength of it could lose data.
pub async fn ensure_of(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    db_identifier: &str,
    snapshot_id: &str,
    expected: Expected<'_>,
) -> Result<SnapshotState, Error> {
    let facts = find_or_create(rds, kind, db_identifier, snapshot_id).await?;
    let refuse = |reason: String| Err(Error::unsafe_to_delete(db_identifier, reason));
    if let Some(source) = &facts.source_resource_id {
        if source != expected.resource_id {
            return refuse(format!("snapshot {snapshot_id} is of {source}, not of old blue {}: it cannot be its final snapshot; nothing deleted. Fix: rename or delete that snapshot, then run cleanup again", expected.resource_id));
        }
    } else if facts.status == "available" {
        return refuse(format!(
            "snapshot {snapshot_id} does not say which database it was taken from; nothing deleted"
        ));
    }
    if let (Some(created), Some(not_before)) = (facts.created, expected.not_before) {
        if created < not_before {
            let at = |t: aws_smithy_types::DateTime| {
                t.fmt(aws_smithy_types::date_time::Format::DateTime)
                    .unwrap_or_default()
            };
            return refuse(format!("snapshot {snapshot_id} was taken at {}, before this cleanup started ({}): it may miss old blue's last writes; nothing deleted. Fix: rename or delete that snapshot, then run cleanup again", at(created), at(not_before)));
        }
    }
    state_of(&facts.status, db_identifier, snapshot_id)
}

fn state_of(status: &str, db_identifier: &str, snapshot_id: &str) -> Result<SnapshotState, Error> {
    match status {
        "available" => Ok(SnapshotState::Available),
        "creating" | "pending" | "copying" | "" => Ok(SnapshotState::Creating(status.to_owned())),
        _ => Err(Error::SnapshotFailed {
            snapshot: snapshot_id.to_owned(),
            database: db_identifier.to_owned(),
            status: status.to_owned(),
        }),
    }
}

/// The snapshot's facts, starting it first when it does not exist. Two runs racing to
/// start it both end up reading the one snapshot.
async fn find_or_create(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    db_identifier: &str,
    snapshot_id: &str,
) -> Result<Facts, Error> {
    if let Some(found) = describe(rds, kind, snapshot_id).await? {
        return Ok(found);
    }
    match create(rds, kind, db_identifier, snapshot_id).await {
        Ok(facts) => Ok(facts),
        Err(Error::AwsCallFailed { code, .. }) if code.contains("AlreadyExists") => {
            describe(rds, kind, snapshot_id)
                .await?
                .ok_or_else(|| Error::Retryable {
                    operation: "CreateDBSnapshot".into(),
                    code,
                    message: format!("{snapshot_id} exists but cannot be read yet"),
                })
        }
        Err(e) => Err(e),
    }
}

/// A snapshot's facts, or `None` when there is none by that id.
pub async fn describe(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    snapshot_id: &str,
) -> Result<Option<Facts>, Error> {
    match kind {
        Kind::Cluster => match rds
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(snapshot_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.db_cluster_snapshots().first().map(|s| Facts {
                status: s.status().unwrap_or_default().to_owned(),
                source_resource_id: s.db_cluster_resource_id().map(str::to_owned),
                created: s.snapshot_create_time().copied(),
            })),
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
            Ok(out) => Ok(out.db_snapshots().first().map(|s| Facts {
                status: s.status().unwrap_or_default().to_owned(),
                source_resource_id: s.dbi_resource_id().map(str::to_owned),
                created: s.snapshot_create_time().copied(),
            })),
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

/// Starts a manual snapshot and returns its first facts.
async fn create(
    rds: &aws_sdk_rds::Client,
    kind: Kind,
    db_identifier: &str,
    snapshot_id: &str,
) -> Result<Facts, Error> {
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
            let s = out.db_cluster_snapshot();
            Ok(Facts {
                status: s.and_then(|s| s.status()).unwrap_or("creating").to_owned(),
                source_resource_id: s
                    .and_then(|s| s.db_cluster_resource_id())
                    .map(str::to_owned),
                created: s.and_then(|s| s.snapshot_create_time()).copied(),
            })
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
            let s = out.db_snapshot();
            Ok(Facts {
                status: s.and_then(|s| s.status()).unwrap_or("creating").to_owned(),
                source_resource_id: s.and_then(|s| s.dbi_resource_id()).map(str::to_owned),
                created: s.and_then(|s| s.snapshot_create_time()).copied(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_that_did_not_complete_is_a_snapshot_failure_naming_it() {
        assert!(matches!(
            state_of("available", "orders-old1", "s1"),
            Ok(SnapshotState::Available)
        ));
        assert!(matches!(
            state_of("creating", "orders-old1", "s1"),
            Ok(SnapshotState::Creating(_))
        ));
        let e = state_of("failed", "orders-old1", "orders-old1-final-x").unwrap_err();
        assert_eq!(e.name(), "SnapshotFailed");
        let text = e.to_string();
        assert!(
            text.contains("orders-old1-final-x") && text.contains("nothing after it was done"),
            "{text}"
        );
    }
}
