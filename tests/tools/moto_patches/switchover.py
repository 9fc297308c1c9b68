"""SwitchoverBlueGreenDeployment as AWS does it.

moto 5.2.5 renames only the two clusters (and leaves the cluster members attached to the
wrong cluster). AWS renames every blue resource (the cluster, each instance, or the blue RDS
instance) to `<name>-old1` (or the next free `-oldN`), gives each green resource the
production name of its blue counterpart, and points the deployment's `Source` at old blue
and `Target` at production. Resource ids (`DbClusterResourceId`, `DbiResourceId`) stay with
the resources. A switchover is refused while a green instance is not `available`, and a
`switchover-failed` fault (see `faults`) ends it in SWITCHOVER_FAILED with nothing renamed,
as when AWS rolls back after the switchover timeout.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.rds.exceptions import BlueGreenDeploymentNotFoundFault, RDSClientError
from moto.rds.models import BlueGreenDeployment, DBCluster, DBInstanceClustered, RDSBackend

from . import deployments, faults


def _free_old_name(backend: RDSBackend, resource: Any) -> str:
    taken = backend.clusters if isinstance(resource, DBCluster) else backend.databases
    name = deployments.identifier(resource)
    n = 1
    while f"{name}-old{n}" in taken:
        n += 1
    return f"{name}-old{n}"


def _rename(backend: RDSBackend, resource: Any, new_name: str) -> None:
    """Renames a cluster (keeping its members attached) or an instance."""
    if isinstance(resource, DBCluster):
        backend.clusters.pop(resource.db_cluster_identifier)
        resource.db_cluster_identifier = new_name
        backend.clusters[new_name] = resource
        for instance in backend.databases.values():
            if isinstance(instance, DBInstanceClustered) and instance.cluster is resource:
                instance.db_cluster_identifier = new_name
    else:
        backend.databases.pop(resource.db_instance_identifier)
        resource.db_instance_identifier = new_name
        backend.databases[new_name] = resource


def _refuse_unless_green_ready(bg: BlueGreenDeployment) -> None:
    busy = [f"{deployments.identifier(i)} is {i.status}" for i in deployments.green_instances(bg) if i.status != "available"]
    if busy:
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {bg.blue_green_deployment_identifier} can't be switched over: {', '.join(busy)}.",
        )


def _switchover(self: BlueGreenDeployment) -> None:
    _refuse_unless_green_ready(self)
    failure = faults.take_switchover_failure(self)
    if failure is not None:
        self.set_status(self.SupportedStates.SWITCHOVER_FAILED)
        self.status_details = failure
        return
    backend = self.backend
    members = deployments.pairs(self)
    for _, green in members:
        # moto reports a new cluster `creating` on its first describe; by switchover AWS has
        # long made green available, and production must not read `creating` afterwards.
        if getattr(green, "_status", None) == "creating":
            green.status = "available"
    production_names = [deployments.identifier(blue) for blue, _ in members]
    for blue, _ in members:
        _rename(backend, blue, _free_old_name(backend, blue))
    for (_, green), name in zip(members, production_names):
        _rename(backend, green, name)
    old_blue, production = members[0]
    self.source = old_blue.arn
    self.target = production.arn
    self.set_status(self.SupportedStates.SWITCHOVER_COMPLETED)
    self.status_details = "Switchover completed"


def _switchover_blue_green_deployment(
    self: RDSBackend, blue_green_deployment_identifier: str, switchover_timeout: int | None = 300
) -> BlueGreenDeployment:
    """Answers SWITCHOVER_IN_PROGRESS with the names as they were when the call came in."""
    bg = self.blue_green_deployments.get(blue_green_deployment_identifier)
    if bg is None:
        raise BlueGreenDeploymentNotFoundFault(blue_green_deployment_identifier)
    if bg.status != "AVAILABLE":
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {blue_green_deployment_identifier} is {bg.status}, not AVAILABLE: it can't be switched over.",
        )
    answer = copy.copy(bg)
    answer.set_status(bg.SupportedStates.SWITCHOVER_IN_PROGRESS)
    bg.switchover()
    return answer


def apply() -> None:
    BlueGreenDeployment.switchover = _switchover
    RDSBackend.switchover_blue_green_deployment = _switchover_blue_green_deployment
