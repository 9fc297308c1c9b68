"""DB snapshots and DB cluster snapshots take time, as on AWS.

Sources: API_DBSnapshot / API_DBClusterSnapshot (`Status`, `PercentProgress`): a snapshot is
`creating` while RDS copies the storage, then `available`; RDS User Guide "Creating a DB
snapshot" ("The time it takes to create a DB snapshot varies with the size of your
databases") and the `db-snapshot-completed` / `db-cluster-snapshot-available` waiters of the
AWS SDKs, which exist because callers must wait. moto 5.2.5 makes every snapshot `available`
with 100 % at once, so the product's "Wait for snapshot" loop never ran end to end.

Here a manual snapshot (CreateDBSnapshot, CreateDBClusterSnapshot, and the final snapshot of
a deletion, which moto takes through the same calls) reads `creating` with 0 % for
SNAPSHOT_SECONDS on the scaled clock (`timeline`), then `available` with 100 %: two minutes
of AWS time, 1.2 s on the end-to-end stack, the next request on a plain server; becoming
available records AWS's event (`resource_events`: RDS-EVENT-0042 / 0075).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.rds.models import RDSBackend

from . import resource_events, timeline

SNAPSHOT_SECONDS = 120.0

_original_cluster = RDSBackend.create_db_cluster_snapshot
_original_instance = RDSBackend.create_db_snapshot


def _takes_time(snapshot: Any) -> Any:
    snapshot.status = "creating"
    snapshot.percent_progress = 0

    def done(at: datetime) -> None:
        if snapshot.status == "creating":
            snapshot.status = "available"
            snapshot.percent_progress = 100
            # RDS-EVENT-0042 / 0075 when it is available, as AWS records them.
            resource_events.snapshot_available(snapshot, at)

    timeline.after(SNAPSHOT_SECONDS, done)
    return snapshot


def _create_db_cluster_snapshot(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
    return _takes_time(_original_cluster(self, *args, **kwargs))


def _create_db_snapshot(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
    return _takes_time(_original_instance(self, *args, **kwargs))


def apply() -> None:
    if RDSBackend.create_db_cluster_snapshot is not _create_db_cluster_snapshot:
        RDSBackend.create_db_cluster_snapshot = _create_db_cluster_snapshot
        RDSBackend.create_db_snapshot = _create_db_snapshot
