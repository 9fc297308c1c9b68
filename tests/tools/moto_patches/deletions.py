"""DB instances and DB clusters take time to delete, as on AWS.

Sources (Amazon RDS API Reference and User Guides):
- API_DeleteDBInstance: the answer is the DBInstance, whose `DBInstanceStatus` is then
  `deleting` ("If you request a final DB snapshot, the status of the Amazon RDS DB instance is
  `deleting` until the DB snapshot is created. This operation can't be canceled or reverted
  after it begins."; use DescribeDBInstances to monitor it). Errors: InvalidDBInstanceState
  "The DB instance isn't in a valid state" (HTTP 400).
- API_DBInstance (`DBInstanceStatus`) and RDS User Guide "Viewing Amazon RDS DB instance
  status" (accessing-monitoring.html): `deleting`, "The DB instance is being deleted."
- API_DeleteDBCluster: the answer is the DBCluster, then `deleting`; Errors:
  InvalidDBClusterStateFault "The requested operation can't be performed while the cluster is
  in this state" (HTTP 400). Aurora User Guide "Deleting Aurora DB clusters and DB instances"
  (USER_DeleteCluster.html): with the CLI or API, delete the cluster's DB instances first, then
  the cluster (AWS Knowledge Center `rds-error-delete-aurora-cluster`: "first delete all DB
  instances inside the cluster").
- "Amazon RDS event categories and event messages" (USER_Events.Messages.html): RDS-EVENT-0003
  "DB instance deleted." and RDS-EVENT-0171 "DB cluster deleted." once it is gone.

moto 5.2.5 removes a deleted instance or cluster at the call, so DescribeDBInstances never
reads `deleting`, a second deletion is answered DBInstanceNotFound, and a waiter or a re-run
never meets a deletion under way.

Here the deletion is validated and answered as moto does (deletion protection, the final
snapshot taken at the call: `snapshots` makes it `creating`), but the instance or cluster
stays, reading `deleting`, for DELETION_SECONDS on the scaled clock (`timeline`: two minutes of
AWS time, as a snapshot takes, 1.2 s on the end-to-end stack, the next request on a plain
server: long enough that the deletion wait has begun when the event comes); then it is gone
(DBInstanceNotFound / DBClusterNotFoundFault) and RDS records RDS-EVENT-0003 / 0171
(`resource_events`), stamped when it was due. Meanwhile:
- a second DeleteDBInstance is refused with InvalidDBInstanceState "Instance <id> is already
  being deleted." (AWS's text, quoted in terraform-provider-aws #5622 / #5624 and #11434);
- a second DeleteDBCluster is refused with InvalidDBClusterStateFault, in the form AWS answers
  for a cluster in a state that allows no deletion ("Db cluster <id> is in <status> state",
  terraform-provider-aws #28262);
- a deleting instance is still a member of its cluster (DBClusterMembers) and still a read
  replica of its source (ReadReplicaDBInstanceIdentifiers) until it is gone;
- DeleteDBCluster is refused while an instance of the cluster is not `deleting`, with AWS's
  "Cluster cannot be deleted, it still contains DB instances in non-deleting state." (moto
  answers the same); with only `deleting` instances left it is accepted, and the cluster is
  gone only after them.

Test control (`faults`, keyed like the others): `hold-deletion` keeps the key's instances and
clusters `deleting` past their time until the fault is cleared, so a test reads a deletion
under way without racing the clock (then they are gone at the next request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend

from . import faults, resource_events, timeline

DELETION_SECONDS = 120.0
# How soon a deletion that could not end yet (held, or a cluster's instances still going)
# looks again (AWS seconds).
_RECHECK_SECONDS = 1.0

_original_instance = RDSBackend.delete_db_instance
_original_cluster = RDSBackend.delete_db_cluster


def _delete_db_instance(self: RDSBackend, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
    under_way = self.databases.get(db_instance_identifier)
    if under_way is not None and under_way.status == "deleting":
        raise RDSClientError("InvalidDBInstanceState", f"Instance {db_instance_identifier} is already being deleted.")
    database = _original_instance(self, db_instance_identifier, *args, **kwargs)
    # moto dropped it (status `deleting`): it stays, as on AWS, until its deletion is over.
    self.databases[database.db_instance_identifier] = database
    source = _replica_source(self, database)
    if source is not None and database.db_instance_identifier not in source.replicas:
        source.replicas.append(database.db_instance_identifier)
    timeline.after(DELETION_SECONDS, lambda at: _instance_gone(self, database, at))
    return database


def _replica_source(backend: RDSBackend, database: Any) -> Any:
    """The same-Region source instance of a read replica, if it still exists."""
    name = database.source_db_instance_identifier if database.is_replica else None
    return backend.databases.get(name) if name and not name.startswith("arn:") else None


def _held(name: str) -> bool:
    """Whether a `hold-deletion` fault keeps `name` deleting."""
    with faults._lock:
        return bool(faults._of_kind("hold-deletion", [name]))


def _instance_gone(backend: RDSBackend, database: Any, at: datetime) -> None:
    name = database.db_instance_identifier
    if _held(name):
        timeline.after(_RECHECK_SECONDS, lambda later: _instance_gone(backend, database, later))
        return
    if backend.databases.get(name) is database:
        del backend.databases[name]
    source = _replica_source(backend, database)
    if source is not None and name in source.replicas:
        source.replicas.remove(name)
    resource_events.record(backend, "db-instance", database.arn, at)


def _delete_db_cluster(self: RDSBackend, cluster_identifier: str, *args: Any, **kwargs: Any) -> Any:
    cluster = self.clusters.get(cluster_identifier)
    if cluster is None:
        return _original_cluster(self, cluster_identifier, *args, **kwargs)
    if cluster.status == "deleting":
        raise RDSClientError("InvalidDBClusterStateFault", f"Db cluster {cluster_identifier} is in deleting state.")
    members = cluster.members
    going = [m for m in members if m.status == "deleting"]
    # moto refuses any member; AWS only one not being deleted: hide the deleting ones meanwhile.
    hidden = [self.databases.pop(m.db_instance_identifier) for m in going] if len(going) == len(members) else []
    try:
        deleted = _original_cluster(self, cluster_identifier, *args, **kwargs)
    finally:
        for member in hidden:
            self.databases[member.db_instance_identifier] = member
    deleted.status = "deleting"
    self.clusters[deleted.db_cluster_identifier] = deleted
    timeline.after(DELETION_SECONDS, lambda at: _cluster_gone(self, deleted, at))
    return deleted


def _cluster_gone(backend: RDSBackend, cluster: Any, at: datetime) -> None:
    name = cluster.db_cluster_identifier
    # Held by a test, or its instances still being deleted: the cluster goes after them.
    if _held(name) or cluster.members:
        timeline.after(_RECHECK_SECONDS, lambda later: _cluster_gone(backend, cluster, later))
        return
    if backend.clusters.get(name) is cluster:
        del backend.clusters[name]
    resource_events.record(backend, "db-cluster", cluster.arn, at)


def apply() -> None:
    faults.KINDS.setdefault("hold-deletion", ())
    if RDSBackend.delete_db_instance is not _delete_db_instance:
        RDSBackend.delete_db_instance = _delete_db_instance
        RDSBackend.delete_db_cluster = _delete_db_cluster
