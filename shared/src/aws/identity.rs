//! What a deployment's two sides ARE: their immutable resource ids (`DbClusterResourceId`,
//! `DbiResourceId`), recorded as tags on the deployment when `create` makes or adopts it.
//!
//! Names move (switchover appends `-old1`, people rename, someone creates a new database
//! under an old name); resource ids never do. A `cleanup` started days later from the
//! console, without the first execution's state, reads the ids back from AWS and acts only
//! on resources that carry them.
//!
//! Tags (values are at most 256 characters, so member lists are split over numbered keys):
//! `bluegreen:kind` = `cluster` | `instance`; `bluegreen:blue` = blue's cluster or instance
//! id; `bluegreen:blue-members-N` = space-separated `DbiResourceId`s of the cluster's
//! instances, or of the RDS instance's same-Region read replicas; the same for `green`;
//! `bluegreen:cleanup-started` = when a cleanup first acted (RFC 3339), its proof that a
//! missing old blue is its own work.

use aws_sdk_rds::types::{DbInstance, Tag};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use crate::aws::database::Database;
use crate::error::Error;
use crate::input::Kind;

const PREFIX: &str = "bluegreen:";
const KIND: &str = "bluegreen:kind";
const CLEANUP_STARTED: &str = "bluegreen:cleanup-started";
/// AWS's limit on a tag value.
const MAX_VALUE: usize = 256;

/// The resource ids of both sides, as recorded when the deployment was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub kind: Kind,
    pub blue: Side,
    /// Null while AWS has not yet named green.
    #[serde(default)]
    pub green: Option<Side>,
}

/// One side: the cluster (or RDS instance) and its members (cluster instances, or replicas).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    pub resource_id: String,
    pub members: Vec<String>,
}

/// What the deployment's tags say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    pub identity: Option<Identity>,
    /// When a cleanup of this deployment first deleted or snapshotted anything.
    pub cleanup_started: Option<DateTime>,
}

impl Side {
    /// The side as the API shows it now: a cluster with its instances, or an RDS instance
    /// with its same-Region read replicas.
    pub async fn observe(rds: &aws_sdk_rds::Client, db: &Database) -> Result<Side, Error> {
        let members: Vec<DbInstance> = match db.kind {
            Kind::Cluster => db.instances.clone(),
            Kind::Instance => db.replicas(rds).await?.0,
        };
        let mut members: Vec<String> = members
            .iter()
            .filter_map(|i| i.dbi_resource_id().map(str::to_owned))
            .collect();
        members.sort();
        Ok(Side {
            resource_id: db.resource_id.clone(),
            members,
        })
    }

    /// Every id of the side, the cluster (or instance) first.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.resource_id.as_str()).chain(self.members.iter().map(String::as_str))
    }

    fn to_tags(&self, side: &str, tags: &mut Vec<Tag>) {
        tags.push(tag(&format!("{PREFIX}{side}"), &self.resource_id));
        for (n, chunk) in chunks(&self.members).into_iter().enumerate() {
            tags.push(tag(&format!("{PREFIX}{side}-members-{}", n + 1), &chunk));
        }
    }

    fn from_tags(side: &str, tags: &[(String, String)]) -> Result<Option<Side>, Error> {
        let Some(root) = value(tags, &format!("{PREFIX}{side}")) else {
            return Ok(None);
        };
        let member_key = format!("{PREFIX}{side}-members-");
        let mut parts: Vec<(u32, &str)> = tags
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&member_key)?.parse().ok()?;
                Some((n, v.as_str()))
            })
            .collect();
        parts.sort();
        let members: Vec<String> = parts
            .iter()
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned))
            .collect();
        for id in std::iter::once(root).chain(members.iter().map(String::as_str)) {
            if !is_resource_id(id) {
                return Err(Error::unsafe_to_delete(
                    id,
                    format!("the deployment's `{PREFIX}{side}` tags hold `{id}`, which is not an RDS resource id: the recorded identity was altered; nothing deleted"),
                ));
            }
        }
        Ok(Some(Side {
            resource_id: root.to_owned(),
            members,
        }))
    }
}

impl Identity {
    /// The tags that record this identity on the deployment.
    pub fn to_tags(&self) -> Vec<Tag> {
        let mut tags = vec![tag(KIND, kind_name(self.kind))];
        self.blue.to_tags("blue", &mut tags);
        if let Some(green) = &self.green {
            green.to_tags("green", &mut tags);
        }
        tags
    }
}

impl Recorded {
    /// Reads the record from a deployment's tags; `identity` is `None` when there is none.
    pub fn from_tags(tags: &[(String, String)]) -> Result<Recorded, Error> {
        let cleanup_started =
            value(tags, CLEANUP_STARTED).and_then(|v| DateTime::from_str(v, Format::DateTime).ok());
        let Some(blue) = Side::from_tags("blue", tags)? else {
            return Ok(Recorded {
                identity: None,
                cleanup_started,
            });
        };
        let kind = match value(tags, KIND) {
            Some("cluster") => Kind::Cluster,
            Some("instance") => Kind::Instance,
            other => {
                return Err(Error::unsafe_to_delete(
                    &blue.resource_id,
                    format!("the deployment's `{KIND}` tag is {other:?}, not `cluster` or `instance`: the recorded identity was altered; nothing deleted"),
                ))
            }
        };
        Ok(Recorded {
            identity: Some(Identity {
                kind,
                blue,
                green: Side::from_tags("green", tags)?,
            }),
            cleanup_started,
        })
    }
}

/// Reads what the deployment `id` records (ListTagsForResource on its ARN, built from one of
/// its members' ARNs).
pub async fn read(
    rds: &aws_sdk_rds::Client,
    member_arn: &str,
    id: &str,
) -> Result<Recorded, Error> {
    let arn = arn_of(member_arn, id, "ListTagsForResource")?;
    let out = rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| Error::from_sdk("ListTagsForResource", e))?;
    let tags: Vec<(String, String)> = out
        .tag_list()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Recorded::from_tags(&tags)
}

fn arn_of(member_arn: &str, id: &str, operation: &str) -> Result<String, Error> {
    deployment_arn(member_arn, id).ok_or_else(|| Error::AwsCallFailed {
        operation: operation.into(),
        code: "InvalidArn".into(),
        message: format!("cannot build deployment {id}'s ARN from `{member_arn}`"),
        hint: None,
    })
}

/// Adds tags to the deployment `id`, whose ARN is built from one of its members' ARNs
/// (same partition, Region and account).
pub async fn tag_deployment(
    rds: &aws_sdk_rds::Client,
    member_arn: &str,
    id: &str,
    tags: Vec<Tag>,
) -> Result<(), Error> {
    let arn = arn_of(member_arn, id, "AddTagsToResource")?;
    rds.add_tags_to_resource()
        .resource_name(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| Error::from_sdk("AddTagsToResource", e))?;
    Ok(())
}

/// Records on the deployment that a cleanup is about to act (kept if already there).
pub async fn mark_cleanup_started(
    rds: &aws_sdk_rds::Client,
    member_arn: &str,
    id: &str,
) -> Result<(), Error> {
    let now = DateTime::from(std::time::SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_default();
    tag_deployment(rds, member_arn, id, vec![tag(CLEANUP_STARTED, &now)]).await
}

/// `arn:aws:rds:eu-west-1:123456789012:deployment:bgd-...` from any RDS ARN of that account.
pub fn deployment_arn(member_arn: &str, id: &str) -> Option<String> {
    let parts: Vec<&str> = member_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "rds", region, account, _] => Some(format!(
            "arn:{partition}:rds:{region}:{account}:deployment:{id}"
        )),
        _ => None,
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Cluster => "cluster",
        Kind::Instance => "instance",
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn value<'t>(tags: &'t [(String, String)], key: &str) -> Option<&'t str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `cluster-…` or `db-…`, letters and digits.
fn is_resource_id(id: &str) -> bool {
    let body = id
        .strip_prefix("cluster-")
        .or_else(|| id.strip_prefix("db-"));
    body.is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// Space-joined ids, each chunk at most [`MAX_VALUE`] characters.
fn chunks(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        match out.last_mut() {
            Some(last) if last.len() + 1 + id.len() <= MAX_VALUE => {
                last.push(' ');
                last.push_str(id);
            }
            _ => out.push(id.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
        tags.iter()
            .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn sixteen_members_fit_in_tag_values_and_read_back() {
        let members: Vec<String> = (0..16).map(|n| format!("db-{n:0>26}")).collect();
        let identity = Identity {
            kind: Kind::Cluster,
            blue: Side {
                resource_id: "cluster-ABC".into(),
                members: members.clone(),
            },
            green: Some(Side {
                resource_id: "cluster-DEF".into(),
                members: vec![],
            }),
        };
        let tags = identity.to_tags();
        assert!(tags.iter().all(|t| t.value().unwrap().len() <= MAX_VALUE));
        assert!(tags.iter().all(|t| t.key().unwrap().len() <= 128));
        let back = Recorded::from_tags(&pairs(&tags)).unwrap();
        assert_eq!(back.identity, Some(identity));
        assert_eq!(back.cleanup_started, None);
    }

    #[test]
    fn no_tags_is_no_identity_and_altered_tags_are_refused() {
        assert_eq!(Recorded::from_tags(&[]).unwrap().identity, None);
        let altered = vec![
            ("bluegreen:kind".to_owned(), "cluster".to_owned()),
            ("bluegreen:blue".to_owned(), "orders-old1".to_owned()),
        ];
        let err = Recorded::from_tags(&altered).unwrap_err();
        assert_eq!(err.name(), "UnsafeToDelete");
        assert!(err.to_string().contains("not an RDS resource id"), "{err}");
    }

    #[test]
    fn builds_the_deployment_arn() {
        assert_eq!(
            deployment_arn("arn:aws:rds:eu-west-1:123456789012:cluster:orders", "bgd-1").as_deref(),
            Some("arn:aws:rds:eu-west-1:123456789012:deployment:bgd-1")
        );
        assert_eq!(deployment_arn("orders", "bgd-1"), None);
    }
}
