"""The RDS events AWS records on a Blue/Green deployment, which moto 5.2.5 does not.

Source: "Amazon RDS event categories and event messages", section "Blue/green deployment
events" (RDS User Guide, USER_Events.Messages.html; the Aurora User Guide's page lists the
cluster ones). Every one has source type `blue-green-deployment` and the deployment id as
source id; the message texts are AWS's, with the names filled in:

- RDS-EVENT-0244 creation: "Blue/green deployment tasks completed. ..."
- RDS-EVENT-0245 failure: "Creation of blue/green deployment failed because <reason>."
- RDS-EVENT-0246 deletion: "Blue/green deployment deleted."
- RDS-EVENT-0247 notification: "Switchover from <blue> to <green> started."
- RDS-EVENT-0248 notification: "Switchover completed on blue/green deployment."
- RDS-EVENT-0249 failure: "Switchover canceled on blue/green deployment."
- per RDS instance 0250 / 0251 / 0252, per Aurora cluster 0259 / 0260 / 0261: the member's
  switchover started / completed (with the renames) / canceled;
- PostgreSQL sequence sync 0307 / 0308 / 0310 (RDS) and 0311 / 0312 / 0314 (Aurora);
- storage initialization of green (RDS page only) 0405 "Your storage volumes are being
  initialized." / 0406 "Your storage volumes have been initialized.".

The per-member and sequence-sync messages also contain "switchover" and "started" or
"completed": a reader that matches loosely takes them for 0247 / 0248. The switchover patch
records them in AWS's order; the event id itself is not a field of DescribeEvents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.rds.models import BlueGreenDeployment, Event, RDSBackend

MESSAGES: dict[str, tuple[str, str]] = {
    "RDS-EVENT-0244": (
        "creation",
        "Blue/green deployment tasks completed. You can make more modifications to the green environment databases or switch over the deployment.",
    ),
    "RDS-EVENT-0245": ("failure", "Creation of blue/green deployment failed because {reason}."),
    "RDS-EVENT-0246": ("deletion", "Blue/green deployment deleted."),
    "RDS-EVENT-0247": ("notification", "Switchover from {blue} to {green} started."),
    "RDS-EVENT-0248": ("notification", "Switchover completed on blue/green deployment."),
    "RDS-EVENT-0249": ("failure", "Switchover canceled on blue/green deployment."),
    "RDS-EVENT-0250": ("notification", "Switchover from primary/read replica {blue} to {green} started."),
    "RDS-EVENT-0251": (
        "notification",
        "Switchover from primary/read replica {blue} to {green} completed. Renamed {blue} to {old} and {green} to {blue}.",
    ),
    "RDS-EVENT-0252": ("failure", "Switchover from primary/read replica {blue} to {green} was canceled due to {reason}."),
    "RDS-EVENT-0259": ("notification", "Switchover from DB cluster {blue} to {green} started."),
    "RDS-EVENT-0260": (
        "notification",
        "Switchover from DB cluster {blue} to {green} completed. Renamed {blue} to {old} and {green} to {blue}.",
    ),
    "RDS-EVENT-0261": ("failure", "Switchover from DB cluster {blue} to {green} was canceled due to {reason}."),
    "RDS-EVENT-0307": (
        "notification",
        "Sequence sync for switchover of {blue} to {green} has initiated. Switchover when using sequences may lead to extended downtime.",
    ),
    "RDS-EVENT-0308": ("notification", "Sequence sync for switchover of {blue} to {green} has completed."),
    "RDS-EVENT-0311": (
        "notification",
        "Sequence sync for switchover of DB cluster {blue} to {green} has initiated. Switchover when using sequences may lead to extended downtime.",
    ),
    "RDS-EVENT-0312": ("notification", "Sequence sync for switchover of DB cluster {blue} to {green} has completed."),
    "RDS-EVENT-0310": ("failure", "Sequence sync for switchover of {blue} to {green} was cancelled because sequences failed to sync."),
    "RDS-EVENT-0314": (
        "failure",
        "Sequence sync for switchover of DB cluster {blue} to {green} was cancelled because sequences failed to sync.",
    ),
    "RDS-EVENT-0405": ("notification", "Your storage volumes are being initialized."),
    "RDS-EVENT-0406": ("notification", "Your storage volumes have been initialized."),
}


def record(backend: RDSBackend, bg: BlueGreenDeployment, event_id: str, at: datetime | None = None, **names: Any) -> None:
    """Appends event `event_id` of the deployment, its message filled with `names`."""
    category, template = MESSAGES[event_id]
    # moto's Event() reads resource.arn, which BlueGreenDeployment lacks: build it here.
    event = Event.__new__(Event)
    event.source_identifier = bg.blue_green_deployment_identifier
    event.source_type = "blue-green-deployment"
    event.message = template.format(**names)
    event.event_categories = [category]
    event.source_arn = f"arn:aws:rds:{backend.region_name}:{backend.account_id}:deployment:{bg.blue_green_deployment_identifier}"
    event.date = at or utcnow()
    backend.events.append(event)


def apply() -> None:
    """Nothing to patch: the deployment and switchover patches call `record`."""
