"""RDS delivers its events to EventBridge, which moto 5.2.5 does not.

AWS: "Amazon RDS sends service events directly to EventBridge" (best effort) on the account's
default bus in the event's Region, as `source` `aws.rds` with a `detail-type` per source type,
"RDS Blue Green Deployment Event" among them (EventBridge event reference, "Amazon Relational
Database Service events", https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-rds.html);
the `detail` carries the event as DescribeEvents shows it, with the event's id: `EventCategories`,
`SourceType` (`BLUE_GREEN_DEPLOYMENT`), `SourceArn`, `Date`, `Message`, `SourceIdentifier`,
`EventID` ("Examples of EventBridge events for Amazon RDS", RDS User Guide,
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html;
"Monitoring Amazon RDS events": "Amazon RDS delivers events to EventBridge in near-real time",
"emits events on a best effort basis", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/working-with-events.html).
Every event `switchover_events.record` adds to DescribeEvents is also put on moto's default
bus of the deployment's account and Region, where moto's rules route it.

Test controls (faults, keyed by the database like the others):
- `drop-rds-event` {event}: the next delivery of that event id is lost (it is still in
  DescribeEvents), as a best-effort delivery may be.
- `build-seconds` {seconds}: green's emulated build lasts that many AWS seconds instead of
  `deployments.CREATE_SECONDS` (a 60-minute build is 3600).

And the emulated clock runs by itself: with time scaled (`timeline.scale()` > 0) a background
thread runs due transitions every 50 ms, so an event is recorded and delivered when it is due,
not at the next RDS request (AWS does not wait for a reader; a waiting execution makes none).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from moto.events import models as events_models

from . import faults, switchover_events, timeline

DETAIL_TYPES = {
    "blue-green-deployment": ("RDS Blue Green Deployment Event", "BLUE_GREEN_DEPLOYMENT"),
    # resource_events: the instance, cluster and snapshot events the waits listen for.
    "db-instance": ("RDS DB Instance Event", "DB_INSTANCE"),
    "db-cluster": ("RDS DB Cluster Event", "CLUSTER"),
    "db-snapshot": ("RDS DB Snapshot Event", "SNAPSHOT"),
    "db-cluster-snapshot": ("RDS DB Cluster Snapshot Event", "CLUSTER_SNAPSHOT"),
}

_original_record = switchover_events.record
_clock: threading.Thread | None = None


def build_seconds(bg: Any, default: float) -> float:
    """Green's build time for this deployment: a `build-seconds` fault's, else `default`."""
    with faults._lock:
        found = faults._of_kind("build-seconds", faults._deployment_names(bg))
    return float(found[-1]["seconds"]) if found else default


def _dropped(bg: Any, event_id: str) -> bool:
    with faults._lock:
        for fault in faults._of_kind("drop-rds-event", faults._deployment_names(bg)):
            if fault["event"] == event_id:
                faults._faults.remove(fault)
                return True
    return False


def eventbridge_event(backend: Any, event: Any, event_id: str) -> dict[str, Any]:
    """The PutEvents entry of one RDS event, as RDS sends it."""
    detail_type, source_type = DETAIL_TYPES[event.source_type]
    return {
        "Source": "aws.rds",
        "DetailType": detail_type,
        "Resources": [event.source_arn],
        "Detail": json.dumps(
            {
                "EventCategories": list(event.event_categories),
                "SourceType": source_type,
                "SourceArn": event.source_arn,
                "Date": event.date.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "Message": event.message,
                "SourceIdentifier": event.source_identifier,
                "EventID": event_id,
            }
        ),
    }


def _record(backend: Any, bg: Any, event_id: str, at: Any = None, **names: Any) -> None:
    _original_record(backend, bg, event_id, at, **names)
    if _dropped(bg, event_id):
        return
    deliver(backend, backend.events[-1], event_id)


def deliver(backend: Any, event: Any, event_id: str) -> None:
    """Puts one recorded RDS event on the default bus of its account and Region."""
    entry = eventbridge_event(backend, event, event_id)
    try:
        events_models.events_backends[backend.account_id][backend.region_name].put_events([entry])
    except Exception:  # noqa: BLE001 - best effort, as RDS's delivery
        pass


def _tick() -> None:
    while True:
        time.sleep(0.05)
        try:
            timeline.advance()
        except Exception:  # noqa: BLE001 - the next request runs it again
            pass


def apply() -> None:
    global _clock
    faults.KINDS.setdefault("build-seconds", ("seconds",))
    faults.KINDS.setdefault("drop-rds-event", ("event",))
    switchover_events.record = _record
    if _clock is None and timeline.scale() > 0:
        _clock = threading.Thread(target=_tick, name="emulated-rds-clock", daemon=True)
        _clock.start()
