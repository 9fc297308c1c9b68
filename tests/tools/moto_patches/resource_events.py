"""RDS's events about DB instances, clusters and snapshots, which moto 5.2.5 does not record.

Source: "Amazon RDS event categories and event messages" (RDS User Guide,
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html, and the
Aurora User Guide's page of the same name,
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.Messages.html):

- DB instance, deletion: RDS-EVENT-0003 "DB instance deleted."
- DB cluster, deletion: RDS-EVENT-0171 "DB cluster deleted."
- DB snapshot, creation (backup on the Aurora page's table): RDS-EVENT-0042 "Manual snapshot created."
- DB cluster snapshot, backup: RDS-EVENT-0075 "Manual cluster snapshot created."

RDS sends them to EventBridge as `aws.rds` events whose `detail-type` is "RDS DB Instance
Event", "RDS DB Cluster Event", "RDS DB Snapshot Event" or "RDS DB Cluster Snapshot Event"
(EventBridge event reference, "Amazon Relational Database Service events",
https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-rds.html), `SourceArn` naming
the resource. Each is recorded when AWS records it: a snapshot's when it becomes available
(`snapshots`), an instance's or cluster's when it is gone (`deletions`), both on the scaled
clock. Recorded events show in DescribeEvents and reach moto's default bus
(`rds_events.deliver`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.rds.models import DBClusterSnapshot, Event, RDSBackend

from . import rds_events

# source type -> (event id, category, message) of the events recorded here.
EVENTS: dict[str, tuple[str, str, str]] = {
    "db-instance": ("RDS-EVENT-0003", "deletion", "DB instance deleted."),
    "db-cluster": ("RDS-EVENT-0171", "deletion", "DB cluster deleted."),
    "db-snapshot": ("RDS-EVENT-0042", "creation", "Manual snapshot created."),
    "db-cluster-snapshot": ("RDS-EVENT-0075", "backup", "Manual cluster snapshot created."),
}


def record(backend: RDSBackend, source_type: str, arn: str, at: datetime | None = None) -> None:
    """Records the event of `source_type` about the resource `arn` and delivers it."""
    event_id, category, message = EVENTS[source_type]
    event = Event.__new__(Event)
    event.source_identifier = arn.rsplit(":", 1)[-1]
    event.source_type = source_type
    event.message = message
    event.event_categories = [category]
    event.source_arn = arn
    event.date = at or utcnow()
    backend.events.append(event)
    rds_events.deliver(backend, event, event_id)


def snapshot_available(snapshot: Any, at: datetime) -> None:
    """A manual snapshot became available (called by `snapshots`)."""
    source_type = "db-cluster-snapshot" if isinstance(snapshot, DBClusterSnapshot) else "db-snapshot"
    record(snapshot.backend, source_type, snapshot.arn, at)
