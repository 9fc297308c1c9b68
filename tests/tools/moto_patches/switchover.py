"""SwitchoverBlueGreenDeployment as AWS does it: it takes time, goes through intermediate
states, renames every member in the middle, and can roll back or fail.

Sources:
- API_SwitchoverBlueGreenDeployment (RDS API Reference): `SwitchoverTimeout` default 300 s;
  "If the switchover takes longer than the specified duration, then any changes are rolled
  back, and no changes are made to the environments".
- "Switching a blue/green deployment" (RDS and Aurora User Guides,
  blue-green-deployments-switching.html), "Switchover actions": guardrails, stop writes, drop
  connections, wait for replication to catch up, THEN rename (every blue resource gets
  `<name>-oldN`, every green resource the production name of its blue counterpart), then
  allow connections and writes. So the renames happen while the deployment still reads
  SWITCHOVER_IN_PROGRESS. Same page: "If you have tags configured in the blue environment,
  these tags are moved to the new production environment during switchover. The previous
  production environment also retains these tags": tags stay with their resource (moto keeps
  them on the object, which is renamed) and production gets a copy of blue's.
- API_SwitchoverDetail: each member has its own status (AVAILABLE, SWITCHOVER_IN_PROGRESS,
  SWITCHOVER_COMPLETED, SWITCHOVER_FAILED...), read apart from the deployment's. A published
  real run (issue 18) showed the members still AVAILABLE for about 11 s after the deployment
  read SWITCHOVER_IN_PROGRESS; the same lag is applied at completion (members still
  SWITCHOVER_IN_PROGRESS for MEMBER_LAG_SECONDS after the deployment reads
  SWITCHOVER_COMPLETED), so no reader may take the two for one.
- "Blue/green deployment events" (USER_Events.Messages, see `switchover_events`): 0247 when
  the switchover starts, the member events (0250/0259) and PostgreSQL sequence sync
  (0307/0311) as members start, the member completions with the renames (0251/0260) and
  0308/0312 as renames happen, 0248 when the deployment completes.

moto 5.2.5 renames only the two clusters, at once. The emulated timeline (AWS seconds on the
scaled clock of `timeline`; a plain server runs it all at the next request):

    0      answer SWITCHOVER_IN_PROGRESS, members AVAILABLE, RDS-EVENT-0247
    11     members SWITCHOVER_IN_PROGRESS, 0250/0259, sequence sync 0307/0311 (PostgreSQL)
    25     sequence sync completed 0308/0312
    30     every blue member renamed `-oldN` (Source follows), production name free
    40     every green member takes its production name (Target follows), blue's tags copied,
           member events 0251/0260
    60     deployment SWITCHOVER_COMPLETED, 0248 (members still SWITCHOVER_IN_PROGRESS)
    71     members SWITCHOVER_COMPLETED

A switchover is refused while the deployment is not AVAILABLE or a green instance is not
`available` (InvalidBlueGreenDeploymentStateFault, which AWS answers when green is not ready,
terraform-provider-aws #36241). Replication links follow the renames
(`resource_ids.fix_replica_links`).

Test-injected outcomes (`faults`), each documented by AWS:
- `switchover-rolled-back`: the switchover outlives its `SwitchoverTimeout` (it never gets to
  the renames); then the deployment and members read AVAILABLE again, nothing is renamed,
  each member gets its "canceled due to" event and the deployment RDS-EVENT-0249.
- `switchover-failed`: the deployment ends in SWITCHOVER_FAILED (API_BlueGreenDeployment
  Status: "Switchover was attempted but failed") with the given StatusDetails, nothing
  renamed.
(An outcome with the deployment SWITCHOVER_COMPLETED and one member SWITCHOVER_FAILED was
modelled before; no AWS page describes it, so it is not emulated.)
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Callable

from moto.rds.exceptions import BlueGreenDeploymentNotFoundFault, RDSClientError
from moto.rds.models import BlueGreenDeployment, DBCluster, DBInstanceClustered, RDSBackend

from . import deployments, faults, resource_ids, switchover_events, timeline

# Emulated AWS seconds of a switchover that succeeds ("typically under a minute", RDS User
# Guide), and of its stages (module docstring).
SWITCHOVER_SECONDS = 60.0
MEMBER_LAG_SECONDS = 11.0
SEQUENCE_SYNCED_AT = 25.0
BLUE_RENAMED_AT = 30.0
GREEN_RENAMED_AT = 40.0
DEFAULT_TIMEOUT = 300.0

IN_PROGRESS = "SWITCHOVER_IN_PROGRESS"
COMPLETED = "SWITCHOVER_COMPLETED"


def _free_old_name(backend: RDSBackend, resource: Any) -> str:
    taken = backend.clusters if isinstance(resource, DBCluster) else backend.databases
    name = deployments.identifier(resource)
    n = 1
    while f"{name}-old{n}" in taken:
        n += 1
    return f"{name}-old{n}"


def _rename(backend: RDSBackend, resource: Any, new_name: str) -> None:
    """Renames a cluster (keeping its members attached) or an instance (keeping its
    replication links). Tags stay on the object, so with the resource."""
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


def _set(bg: BlueGreenDeployment, status: str, members: str | None = None) -> None:
    """The deployment's status, and every member's (rebuilt, so their ARNs follow renames)."""
    bg.set_status(bg.SupportedStates[status], member_status=members)


class _Switchover:
    """One switchover in motion: its stages run on the emulated clock, each only while the
    deployment is still where that stage expects it (a deletion or fault meanwhile stops it)."""

    def __init__(self, bg: BlueGreenDeployment) -> None:
        self.bg = bg
        self.members = deployments.pairs(bg)
        # Names as they were when the switchover started, for the events.
        self.names = [(_names(b, g), b, g) for b, g in self.members]
        self.production_names = [deployments.identifier(b) for b, _ in self.members]
        self.old_names: dict[int, str] = {}

    def at(self, aws_seconds: float, expected: str, stage: Callable[[datetime], None]) -> None:
        def run(when: datetime) -> None:
            if self.bg.status == expected:
                stage(when)

        timeline.after(aws_seconds, run)

    def start(self) -> None:
        bg = self.bg
        _set(bg, IN_PROGRESS, members="AVAILABLE")
        bg.status_details = "Switchover in progress"
        _record(bg, "RDS-EVENT-0247", **_names(*self.members[0]))

    def members_switching(self, at: datetime) -> None:
        bg = self.bg
        _set(bg, IN_PROGRESS, members=IN_PROGRESS)
        for blue, green, kind in _member_events(bg):
            _record(bg, _IDS[kind]["started"], at, **_names(blue, green))
        sync = _sequence_sync_ids(bg)
        if sync:
            _record(bg, sync[0], at, **_names(*self.members[0]))

    def sequences_synced(self, at: datetime) -> None:
        sync = _sequence_sync_ids(self.bg)
        if sync:
            _record(self.bg, sync[1], at, **self.names[0][0])

    def rename_blue(self, _: datetime) -> None:
        bg = self.bg
        for blue, _ in self.members:
            self.old_names[id(blue)] = _free_old_name(bg.backend, blue)
            _rename(bg.backend, blue, self.old_names[id(blue)])
        bg.source = self.members[0][0].arn
        _set(bg, IN_PROGRESS, members=IN_PROGRESS)

    def rename_green(self, at: datetime) -> None:
        bg = self.bg
        for (blue, green), name in zip(self.members, self.production_names):
            # moto reports a new cluster `creating` on its first describe; by switchover AWS
            # has long made green available, and production must not read `creating`.
            if getattr(green, "_status", None) == "creating":
                green.status = "available"
            _rename(bg.backend, green, name)
            green.tags = copy.deepcopy(getattr(blue, "tags", []) or [])
        bg.target = self.members[0][1].arn
        _set(bg, IN_PROGRESS, members=IN_PROGRESS)
        by_blue = {id(b): names for names, b, _ in self.names}
        for blue, _, kind in _member_events(bg):
            _record(bg, _IDS[kind]["completed"], at, old=self.old_names[id(blue)], **by_blue[id(blue)])

    def complete(self, at: datetime) -> None:
        _set(self.bg, COMPLETED, members=IN_PROGRESS)
        self.bg.status_details = "Switchover completed"
        _record(self.bg, "RDS-EVENT-0248", at)

    def members_completed(self, _: datetime) -> None:
        _set(self.bg, COMPLETED)

    def roll_back(self, at: datetime, reason: str) -> None:
        bg = self.bg
        _set(bg, "AVAILABLE")
        bg.status_details = None
        for blue, green, kind in _member_events(bg):
            _record(bg, _IDS[kind]["canceled"], at, reason=reason, **_names(blue, green))
        _record(bg, "RDS-EVENT-0249", at)

    def fail(self, details: str) -> None:
        _set(self.bg, "SWITCHOVER_FAILED")
        self.bg.status_details = details

    def schedule(self, outcome: tuple[str, str] | None, timeout: float) -> None:
        self.at(MEMBER_LAG_SECONDS, IN_PROGRESS, self.members_switching)
        if outcome is None:
            self.at(SEQUENCE_SYNCED_AT, IN_PROGRESS, self.sequences_synced)
            self.at(BLUE_RENAMED_AT, IN_PROGRESS, self.rename_blue)
            self.at(GREEN_RENAMED_AT, IN_PROGRESS, self.rename_green)
            self.at(SWITCHOVER_SECONDS, IN_PROGRESS, self.complete)
            self.at(SWITCHOVER_SECONDS + MEMBER_LAG_SECONDS, COMPLETED, self.members_completed)
        elif outcome[0] == "switchover-rolled-back":
            self.at(timeout, IN_PROGRESS, lambda at: self.roll_back(at, outcome[1]))
        else:
            self.at(SWITCHOVER_SECONDS, IN_PROGRESS, lambda _: self.fail(outcome[1]))


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
    switchover = _Switchover(bg)
    switchover.start()
    switchover.schedule(outcome, float(switchover_timeout or DEFAULT_TIMEOUT))
    answer = copy.copy(bg)
    answer.switchover_details = [copy.copy(d) for d in bg.switchover_details]
    return answer


def apply() -> None:
    RDSBackend.switchover_blue_green_deployment = _switchover_blue_green_deployment
