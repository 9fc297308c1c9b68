"""What a Blue/Green deployment pairs, and how long it takes AWS to build green.

Members: AWS reports one `SwitchoverDetails` entry per member (the cluster and every
instance; for an RDS instance, also each read replica, which RDS copies to green as replicas
of the green instance: "Creating a blue/green deployment", RDS User Guide) and a switchover
moves the production name of each blue member to its green counterpart. moto 5.2.5 keeps only
the cluster-to-cluster pair and copies no replica. This module records the pairs (as moto
objects, so their ARNs follow renames) and the production name at creation, creates green
replicas, and reports every member in `SwitchoverDetails` with its own status, MISSING_SOURCE
or MISSING_TARGET once its blue or green resource is deleted (API_SwitchoverDetail). (Custom
cluster endpoints, AWS's `cluster-endpoint:` members, cannot be created in moto 5.2.5: no
such member is reported.)

Creation takes time: CreateBlueGreenDeployment answers PROVISIONING and the deployment reads
PROVISIONING with its tasks IN_PROGRESS and green's instances `creating`, then `modifying`
while RDS applies the requested changes (engine version, parameter groups, class), until
green is built: then AVAILABLE, tasks COMPLETED, instances `available`, and RDS-EVENT-0244
"Blue/green deployment tasks completed" ("Blue/green deployment events", RDS User Guide).
AWS documents from about 15 minutes to hours; the emulated build takes CREATE_SECONDS on the
scaled clock (`timeline`), enough for several polls of the product.

An RDS (not Aurora) green then initializes its storage from the snapshot it was restored
from ("Lazy loading and storage initialization for blue/green deployments", RDS User Guide
blue-green-deployments-creating.html): RDS-EVENT-0405 "Your storage volumes are being
initialized." when green is built, RDS-EVENT-0406 STORAGE_INIT_SECONDS later (both listed
under "Blue/green deployment events" of the RDS User Guide only).

Green's creation can fail after CreateBlueGreenDeployment returned (test fault
`creation-failed` {reason}): RDS records RDS-EVENT-0245 "Creation of blue/green deployment
failed because <reason>." (USER_Events.Messages), the task reads FAILED
(API_BlueGreenDeploymentTask: "FAILED - Deployment of the resource failed") and the
deployment INVALID_CONFIGURATION with the reason as StatusDetails (API_BlueGreenDeployment:
"Resources in the green environment are invalid, so switchover isn't possible"; the API
lists no other failed-creation status). AWS Knowledge Center "rds-postgresql-blue-green-
deployment-error" shows such a reason: "incompatible parameter(s): max_replication_slots,
and max_logical_replication_workers".
"""

from __future__ import annotations

import random
import re
import string
from datetime import datetime
from typing import Any

from moto.rds.models import BlueGreenDeployment, DBCluster, RDSBackend, SwitchoverDetails

from . import faults, switchover_events, timeline

# moto (like AWS) names green resources `<blue name>-green-<6 random characters>`.
_GREEN_SUFFIX = re.compile(r"-green-[a-z0-9]{6}$")
# Emulated AWS seconds from CreateBlueGreenDeployment to AVAILABLE, and the share of it green
# spends `creating` before RDS applies the changes (`modifying`).
CREATE_SECONDS = 300.0
CREATING_SHARE = 0.5
STORAGE_INIT_SECONDS = 60.0

_original_init = BlueGreenDeployment.__init__


def identifier(resource: Any) -> str:
    """The cluster or instance identifier of a moto resource."""
    if isinstance(resource, DBCluster):
        return resource.db_cluster_identifier
    return resource.db_instance_identifier


def blue_name_of_green(green_identifier: str) -> str:
    """The blue member a green member was made from (`orders-1-green-abcdef` -> `orders-1`)."""
    return _GREEN_SUFFIX.sub("", green_identifier)


def _green_name(blue_name: str) -> str:
    return f"{blue_name}-green-" + "".join(random.choices(string.ascii_lowercase, k=6))


def _green_replicas(bg: BlueGreenDeployment, blue: Any, green: Any) -> list[tuple[Any, Any]]:
    """Copies each same-Region read replica of a blue RDS instance as a replica of the green
    instance. moto lists a cross-Region replica by its ARN: it is no member (the "Limitations
    for blue/green deployments" exclude cross-Region read replicas), and its name must not be
    looked up as a local instance."""
    backend = bg.backend
    pairs = []
    for name in list(getattr(blue, "replicas", [])):
        replica = None if name.startswith("arn:") else backend.databases.get(name)
        if replica is None:
            continue
        copy = backend.create_db_instance_read_replica(
            {
                "db_instance_identifier": _green_name(identifier(replica)),
                "source_db_instance_identifier": identifier(green),
                "db_instance_class": replica.db_instance_class,
            }
        )
        pairs.append((replica, copy))
    return pairs


def _compute_pairs(bg: BlueGreenDeployment) -> list[tuple[Any, Any]]:
    blue = bg._get_valid_instance_or_raise(bg.source)
    green = bg._get_valid_instance_or_raise(bg.target)
    pairs: list[tuple[Any, Any]] = [(blue, green)]
    if isinstance(blue, DBCluster):
        green_by_blue_name = {blue_name_of_green(identifier(m)): m for m in green.members}
        for member in blue.members:
            counterpart = green_by_blue_name.get(identifier(member))
            if counterpart is not None:
                pairs.append((member, counterpart))
    else:
        pairs.extend(_green_replicas(bg, blue, green))
    return pairs


def pairs(bg: BlueGreenDeployment) -> list[tuple[Any, Any]]:
    """(blue, green) moto objects: the cluster or instance first, then each member or replica."""
    return getattr(bg, "_member_pairs", None) or []


def production_name(bg: BlueGreenDeployment) -> str:
    """The identifier of the production database the deployment was created for."""
    return getattr(bg, "_production_name", "") or bg.source.split(":")[-1]


def green_instances(bg: BlueGreenDeployment) -> list[Any]:
    """The green DB instances (not the green cluster)."""
    return [green for _, green in pairs(bg) if not isinstance(green, DBCluster)]


def set_member_status(bg: BlueGreenDeployment, blue: Any, status: str) -> None:
    """Sets the SwitchoverDetails status of the member whose blue side is `blue`."""
    for (b, _), detail in zip(pairs(bg), bg.switchover_details):
        if b is blue:
            detail.Status = status


def set_tasks(bg: BlueGreenDeployment, status: str) -> None:
    for task in bg.tasks:
        task.Status = status


def set_green_status(bg: BlueGreenDeployment, status: str) -> None:
    for instance in green_instances(bg):
        instance.status = status


def built(bg: BlueGreenDeployment) -> bool:
    """Whether green's build (the emulated creation time) is over."""
    return getattr(bg, "_built", False)


def _built(bg: BlueGreenDeployment, at: datetime) -> None:
    bg._built = True
    if bg.status != "PROVISIONING":
        return  # deleted, or a fault put it elsewhere meanwhile
    if faults.holds_provisioning(bg):
        return  # a slower green: the `provisioning` fault's end completes it
    complete(bg, at)


def complete(bg: BlueGreenDeployment, at: datetime) -> None:
    """Green's build ends: AVAILABLE with RDS-EVENT-0244 (or the creation failure a test asked
    for, with RDS-EVENT-0245), as RDS reports it when it happens."""
    reason = faults.take_creation_failure(bg)
    if reason is not None:
        set_tasks(bg, "FAILED")
        bg.set_status(bg.SupportedStates.INVALID_CONFIGURATION)
        bg.status_details = reason
        switchover_events.record(bg.backend, bg, "RDS-EVENT-0245", at, reason=reason)
        return
    set_tasks(bg, "COMPLETED")
    set_green_status(bg, "available")
    bg.set_status(bg.SupportedStates.AVAILABLE)
    switchover_events.record(bg.backend, bg, "RDS-EVENT-0244", at)
    if not isinstance(pairs(bg)[0][0], DBCluster):
        switchover_events.record(bg.backend, bg, "RDS-EVENT-0405", at)
        timeline.after(STORAGE_INIT_SECONDS, lambda done: switchover_events.record(bg.backend, bg, "RDS-EVENT-0406", done))


def _applying_changes(bg: BlueGreenDeployment, _: datetime) -> None:
    if bg.status == "PROVISIONING" and not built(bg):
        set_green_status(bg, "modifying")


def _init(self: BlueGreenDeployment, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self._member_pairs = _compute_pairs(self)
    self._production_name = identifier(self._member_pairs[0][0])
    set_tasks(self, "IN_PROGRESS")
    set_green_status(self, "creating")
    self.set_status(self.SupportedStates.PROVISIONING)
    from .rds_events import build_seconds  # a test may ask for a longer build

    seconds = build_seconds(self, CREATE_SECONDS)
    timeline.after(seconds * CREATING_SHARE, lambda at: _applying_changes(self, at))
    timeline.after(seconds, lambda at: _built(self, at))


def _set_status(self: BlueGreenDeployment, value: Any, member_status: str | None = None) -> None:
    """Sets the deployment status and one SwitchoverDetails entry per member."""
    self.status = value.name
    members = pairs(self) or [(None, None)]
    self.switchover_details = [
        SwitchoverDetails(
            blue.arn if blue is not None else self.source,
            green.arn if green is not None else self.target,
            member_status or self.status,
        )
        for blue, green in members
    ]


def _exists(backend: Any, resource: Any) -> bool:
    found = backend.clusters if isinstance(resource, DBCluster) else backend.databases
    return found.get(identifier(resource)) is resource


def _mark_missing(bg: BlueGreenDeployment) -> None:
    """MISSING_SOURCE / MISSING_TARGET for a member whose blue / green resource is gone."""
    for (blue, green), detail in zip(pairs(bg), bg.switchover_details):
        if not _exists(bg.backend, blue):
            detail.Status = "MISSING_SOURCE"
        elif not _exists(bg.backend, green):
            detail.Status = "MISSING_TARGET"


_original_describe = RDSBackend.describe_blue_green_deployments


def _describe_blue_green_deployments(self: RDSBackend, *args: Any, **kwargs: Any) -> list[BlueGreenDeployment]:
    found = _original_describe(self, *args, **kwargs)
    for bg in found:
        if bg.status != "DELETING":
            _mark_missing(bg)
    return found


def apply() -> None:
    if BlueGreenDeployment.__init__ is not _init:
        BlueGreenDeployment.__init__ = _init
        BlueGreenDeployment.set_status = _set_status
        RDSBackend.describe_blue_green_deployments = _describe_blue_green_deployments
