"""SwitchoverBlueGreenDeployment as AWS does it: it takes time, renames every member, and
can roll back or fail.

Sources: API_SwitchoverBlueGreenDeployment (RDS API Reference): `SwitchoverTimeout` default
300 s; "If the switchover takes longer than the specified duration, then any changes are
rolled back, and no changes are made to the environments". "Switching a blue/green
deployment" (RDS and Aurora User Guides), "Switchover actions": RDS renames every blue
resource (the cluster, each instance, a blue RDS instance and its read replicas) to
`<name>-old1` (or the next free `-oldN`) and gives each green resource the production name of
its blue counterpart; resource ids stay with the resources, and replication links follow the
renames (old blue's replicas stay replicas of old blue, green's of production: each
instance's `ReadReplicaSourceDBInstanceIdentifier` / `ReadReplicaDBInstanceIdentifiers`
report the new names, `resource_ids.fix_replica_links`). "Blue/green deployment events"
(USER_Events.Messages): the events recorded on the way (see `switchover_events`).

moto 5.2.5 renames only the two clusters, at once. Here the call answers (and the deployment
reads) SWITCHOVER_IN_PROGRESS for SWITCHOVER_SECONDS on the scaled clock (`timeline`), every
member too; then every pair is renamed, `Source` points at old blue and `Target` at
production, and the deployment and its members read SWITCHOVER_COMPLETED. A switchover is
refused while a green instance is not `available` (InvalidBlueGreenDeploymentStateFault,
which AWS answers when green is not ready, terraform-provider-aws #36241).

Test-injected outcomes (`faults`):
- `switchover-rolled-back`: the switchover outlives its `SwitchoverTimeout`; when that is
  over the deployment reads AVAILABLE again, nothing is renamed, each member gets its
  "canceled due to" event and the deployment RDS-EVENT-0249 "Switchover canceled".
- `switchover-partial` {member}: the deployment reads SWITCHOVER_COMPLETED but the member
  whose blue side is `member` reads SWITCHOVER_FAILED and kept its names (seen from the field:
  the deployment status alone does not tell).
- `switchover-failed`: the deployment ends in SWITCHOVER_FAILED with the given
  StatusDetails, nothing renamed.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from moto.rds.exceptions import BlueGreenDeploymentNotFoundFault, RDSClientError
from moto.rds.models import BlueGreenDeployment, DBCluster, DBInstanceClustered, RDSBackend

from . import deployments, faults, resource_ids, switchover_events, timeline

# Emulated AWS seconds a switchover that succeeds stays SWITCHOVER_IN_PROGRESS ("typically
# under a minute", RDS User Guide).
SWITCHOVER_SECONDS = 60.0
DEFAULT_TIMEOUT = 300.0


def _free_old_name(backend: RDSBackend, resource: Any) -> str:
    taken = backend.clusters if isinstance(resource, DBCluster) else backend.databases
    name = deployments.identifier(resource)
    n = 1
    while f"{name}-old{n}" in taken:
        n += 1
    return f"{name}-old{n}"


def _rename(backend: RDSBackend, resource: Any, new_name: str) -> None:
    """Renames a cluster (keeping its members attached) or an instance (keeping its
    replication links)."""
    if isinstance(resource, DBCluster):
        backend.clusters.pop(resource.db_cluster_identifier)
        resource.db_cluster_identifier = new_name
        backend.clusters[new_name] = resource
        for instance in backend.databases.values():
            if isinstance(instance, DBInstanceClustered) and instance.cluster is resource:
                instance.db_cluster_identifier = new_name
    else:
        old_name = resource.db_instance_identifier
        backend.databases.pop(old_name)
        resource.db_instance_identifier = new_name
        backend.databases[new_name] = resource
        resource_ids.fix_replica_links(backend, old_name, new_name)


def _refuse_unless_green_ready(bg: BlueGreenDeployment) -> None:
    busy = [f"{deployments.identifier(i)} is {i.status}" for i in deployments.green_instances(bg) if i.status != "available"]
    if busy:
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {bg.blue_green_deployment_identifier} can't be switched over: {', '.join(busy)}.",
        )


def _member_events(bg: BlueGreenDeployment) -> list[tuple[Any, Any, str]]:
    """(blue, green, event-id prefix) of the members AWS records events for: the Aurora
    cluster (0259-0261), or each RDS instance, primary and read replicas (0250-0252)."""
    members = deployments.pairs(bg)
    if isinstance(members[0][0], DBCluster):
        return [(members[0][0], members[0][1], "cluster")]
    return [(blue, green, "instance") for blue, green in members]


_IDS = {
    "cluster": {"started": "RDS-EVENT-0259", "completed": "RDS-EVENT-0260", "canceled": "RDS-EVENT-0261"},
    "instance": {"started": "RDS-EVENT-0250", "completed": "RDS-EVENT-0251", "canceled": "RDS-EVENT-0252"},
}


def _sequence_sync_ids(bg: BlueGreenDeployment) -> tuple[str, str] | None:
    """PostgreSQL syncs sequences at switchover: 0307/0308 (RDS), 0311/0312 (Aurora)."""
    engine = getattr(deployments.pairs(bg)[0][0], "engine", "")
    return {"postgres": ("RDS-EVENT-0307", "RDS-EVENT-0308"), "aurora-postgresql": ("RDS-EVENT-0311", "RDS-EVENT-0312")}.get(engine)


def _names(blue: Any, green: Any) -> dict[str, str]:
    return {"blue": deployments.identifier(blue), "green": deployments.identifier(green)}


def _record(bg: BlueGreenDeployment, event_id: str, at: datetime | None = None, **names: Any) -> None:
    switchover_events.record(bg.backend, bg, event_id, at, **names)


def _start(bg: BlueGreenDeployment) -> None:
    bg.set_status(bg.SupportedStates.SWITCHOVER_IN_PROGRESS)
    bg.status_details = "Switchover in progress"
    root_blue, root_green = deployments.pairs(bg)[0]
    _record(bg, "RDS-EVENT-0247", **_names(root_blue, root_green))
    for blue, green, kind in _member_events(bg):
        _record(bg, _IDS[kind]["started"], **_names(blue, green))
    sync = _sequence_sync_ids(bg)
    if sync:
        _record(bg, sync[0], **_names(root_blue, root_green))


def _complete(bg: BlueGreenDeployment, at: datetime, failed_member: str | None) -> None:
    backend = bg.backend
    members = deployments.pairs(bg)
    failed = [(b, g) for b, g in members if failed_member and deployments.identifier(b) == failed_member]
    switched = [(b, g) for b, g in members if all(b is not f for f, _ in failed)]
    for _, green in members:
        # moto reports a new cluster `creating` on its first describe; by switchover AWS has
        # long made green available, and production must not read `creating` afterwards.
        if getattr(green, "_status", None) == "creating":
            green.status = "available"
    sync = _sequence_sync_ids(bg)
    if sync:
        _record(bg, sync[1], at, **_names(*members[0]))
    events = [(b, g, kind, _names(b, g)) for b, g, kind in _member_events(bg)]
    production_names = [deployments.identifier(blue) for blue, _ in switched]
    old_names = {}
    for blue, _ in switched:
        old_names[id(blue)] = _free_old_name(backend, blue)
        _rename(backend, blue, old_names[id(blue)])
    for (_, green), name in zip(switched, production_names):
        _rename(backend, green, name)
    old_blue, production = members[0]
    bg.source = old_blue.arn
    bg.target = production.arn
    bg.set_status(bg.SupportedStates.SWITCHOVER_COMPLETED)
    bg.status_details = "Switchover completed"
    for blue, _, kind, names in events:
        if id(blue) in old_names:
            _record(bg, _IDS[kind]["completed"], at, old=old_names[id(blue)], **names)
        else:
            _record(bg, _IDS[kind]["canceled"], at, reason="an internal error", **names)
    for blue, _ in failed:
        deployments.set_member_status(bg, blue, "SWITCHOVER_FAILED")
    _record(bg, "RDS-EVENT-0248", at)


def _roll_back(bg: BlueGreenDeployment, at: datetime, reason: str) -> None:
    bg.set_status(bg.SupportedStates.AVAILABLE)
    bg.status_details = None
    for blue, green, kind in _member_events(bg):
        _record(bg, _IDS[kind]["canceled"], at, reason=reason, **_names(blue, green))
    _record(bg, "RDS-EVENT-0249", at)


def _fail(bg: BlueGreenDeployment, details: str) -> None:
    bg.set_status(bg.SupportedStates.SWITCHOVER_FAILED)
    bg.status_details = details


def _switchover_blue_green_deployment(
    self: RDSBackend, blue_green_deployment_identifier: str, switchover_timeout: Any = None
) -> BlueGreenDeployment:
    """Starts the switchover and answers SWITCHOVER_IN_PROGRESS with the names as they were."""
    bg = self.blue_green_deployments.get(blue_green_deployment_identifier)
    if bg is None:
        raise BlueGreenDeploymentNotFoundFault(blue_green_deployment_identifier)
    if bg.status != "AVAILABLE":
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {blue_green_deployment_identifier} is {bg.status}, not AVAILABLE: it can't be switched over.",
        )
    _refuse_unless_green_ready(bg)
    outcome = faults.take_switchover_outcome(bg)
    _start(bg)
    timeout = float(switchover_timeout or DEFAULT_TIMEOUT)
    if outcome is None:
        timeline.after(SWITCHOVER_SECONDS, lambda at: _complete(bg, at, None))
    elif outcome[0] == "switchover-partial":
        timeline.after(SWITCHOVER_SECONDS, lambda at: _complete(bg, at, outcome[1]))
    elif outcome[0] == "switchover-rolled-back":
        timeline.after(timeout, lambda at: _roll_back(bg, at, outcome[1]))
    else:
        timeline.after(SWITCHOVER_SECONDS, lambda at: _fail(bg, outcome[1]))
    return copy.copy(bg)


def apply() -> None:
    RDSBackend.switchover_blue_green_deployment = _switchover_blue_green_deployment
