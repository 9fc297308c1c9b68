"""The RDS events AWS records on a Blue/Green switchover, which moto 5.2.5 does not.

AWS records RDS-EVENT-0247 "switchover started" and RDS-EVENT-0248 "switchover completed" on
the deployment (source type blue-green-deployment, source id the deployment id); the product
reads them to report how long the switchover took. Here they carry the real times of the
emulated switchover; a failed switchover gets only the "started" event, as on AWS.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow
from moto.rds.models import BlueGreenDeployment, Event, RDSBackend

_STARTED = "BLUE_GREEN_SWITCHOVER_STARTED"
_COMPLETED = "BLUE_GREEN_SWITCHOVER_COMPLETED"


def _record(backend: RDSBackend, bg: BlueGreenDeployment, event_type: str) -> None:
    # moto's Event() reads resource.arn, which BlueGreenDeployment lacks: fill it in here.
    meta = Event.EVENT_MAP[event_type]
    event = Event.__new__(Event)
    event.source_identifier = bg.blue_green_deployment_identifier
    event.source_type = "blue-green-deployment"
    event.message = meta["Message"]
    event.event_categories = meta["Categories"]
    event.source_arn = f"arn:aws:rds:{backend.region_name}:{backend.account_id}:deployment:{bg.blue_green_deployment_identifier}"
    event.date = utcnow()
    backend.events.append(event)


def apply() -> None:
    Event.EVENT_MAP[_STARTED] = {"Categories": ["notification"], "Message": "Switchover started on blue/green deployment."}
    Event.EVENT_MAP[_COMPLETED] = {"Categories": ["notification"], "Message": "Switchover completed on blue/green deployment."}
    switch = RDSBackend.switchover_blue_green_deployment
    if getattr(switch, "_records_events", False):
        return

    def switchover_blue_green_deployment(self: RDSBackend, blue_green_deployment_identifier: str, *args: Any, **kwargs: Any) -> Any:
        bg = self.blue_green_deployments.get(blue_green_deployment_identifier)
        answer = switch(self, blue_green_deployment_identifier, *args, **kwargs)
        if bg is not None:
            _record(self, bg, _STARTED)
            if bg.status == "SWITCHOVER_COMPLETED":
                _record(self, bg, _COMPLETED)
        return answer

    switchover_blue_green_deployment._records_events = True  # type: ignore[attr-defined]
    RDSBackend.switchover_blue_green_deployment = switchover_blue_green_deployment
