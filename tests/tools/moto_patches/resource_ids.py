"""Resource ids as AWS keeps them: unique, and never changed by a rename.

AWS: every DB instance has its own `DbiResourceId` and every DB cluster its own
`DbClusterResourceId`; they never change, even when the database is renamed (switchover's
`-old1` rename, or ModifyDBInstance / ModifyDBCluster with a new identifier), and a new
database created under an old name gets a new id (API_DBInstance "DbiResourceId: ... unique
to an Amazon Web Services Region for the DB instance"; API_DBCluster "DbClusterResourceId";
API_ModifyDBCluster "NewDBClusterIdentifier"). moto 5.2.5 differs in five places, fixed here:
- every instance gets the same `DbiResourceId`, and a read replica is a copy of its source
  with the source's id: each now gets its own;
- DescribeDBClusters lacks the documented `db-cluster-resource-id` filter
  (API_DescribeDBClusters, Filters);
- a cluster snapshot does not say which cluster it was taken from: it now carries the
  cluster's `DbClusterResourceId` (API_DBClusterSnapshot "DbClusterResourceId");
- ModifyDBCluster with NewDBClusterIdentifier leaves the cluster's instances pointing at the
  old name (AWS keeps them in the renamed cluster);
- renaming an instance breaks its replicas' `ReadReplicaSourceDBInstanceIdentifier` and its
  source's `ReadReplicaDBInstanceIdentifiers` (AWS reports the new name).
"""

from __future__ import annotations

import random
import string
from typing import Any

from moto.rds.models import DBCluster, DBClusterSnapshot, DBInstance, DBInstanceClustered, FilterDef, RDSBackend

_original_init = DBInstance.__init__
_original_snapshot_init = DBClusterSnapshot.__init__
_original_read_replica = RDSBackend.create_db_instance_read_replica
_original_modify_cluster = RDSBackend.modify_db_cluster
_original_modify_instance = RDSBackend.modify_db_instance


def _new_dbi_resource_id() -> str:
    return "db-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=26))


def _init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    _original_init(self, *args, **kwargs)
    self.dbi_resource_id = _new_dbi_resource_id()


def _snapshot_init(self: DBClusterSnapshot, backend: RDSBackend, *args: Any, **kwargs: Any) -> None:
    _original_snapshot_init(self, backend, *args, **kwargs)
    self.db_cluster_resource_id = self.cluster.db_cluster_resource_id


def _create_db_instance_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
    replica = _original_read_replica(self, db_kwargs)
    replica.dbi_resource_id = _new_dbi_resource_id()
    return replica


def fix_replica_links(backend: RDSBackend, old: str, new: str) -> None:
    """After instance `old` is renamed `new`: its replicas and its source name it `new`."""
    for db in backend.databases.values():
        if getattr(db, "source_db_instance_identifier", None) == old:
            db.source_db_instance_identifier = new
        replicas = getattr(db, "replicas", None)
        if replicas and old in replicas:
            replicas[replicas.index(old)] = new


def keep_members(backend: RDSBackend, cluster: DBCluster, old: str) -> None:
    """After cluster `old` is renamed: its instances stay in it."""
    for instance in backend.databases.values():
        if isinstance(instance, DBInstanceClustered) and instance.db_cluster_identifier == old:
            instance.db_cluster_identifier = cluster.db_cluster_identifier


def _modify_db_cluster(self: RDSBackend, kwargs: dict[str, Any]) -> DBCluster:
    old = kwargs["db_cluster_identifier"]
    answer = _original_modify_cluster(self, kwargs)
    new = kwargs.get("new_db_cluster_identifier")
    if new and new != old:
        keep_members(self, self.clusters[new], old)
    return answer


def _modify_db_instance(self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> DBInstance:
    new = db_kwargs.get("new_db_instance_identifier")
    answer = _original_modify_instance(self, db_instance_identifier, db_kwargs)
    if new and new != db_instance_identifier:
        fix_replica_links(self, db_instance_identifier, new)
    return answer


def apply() -> None:
    if DBInstance.__init__ is not _init:
        DBInstance.__init__ = _init
        DBClusterSnapshot.__init__ = _snapshot_init
        RDSBackend.create_db_instance_read_replica = _create_db_instance_read_replica
        RDSBackend.modify_db_cluster = _modify_db_cluster
        RDSBackend.modify_db_instance = _modify_db_instance
        DBCluster.SUPPORTED_FILTERS = dict(
            DBCluster.SUPPORTED_FILTERS,
            **{"db-cluster-resource-id": FilterDef(["db_cluster_resource_id"], "DB Cluster Resource Ids")},
        )
