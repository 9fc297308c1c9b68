"""Read replicas are part of an RDS instance's Blue/Green deployment, as on AWS.

AWS: for an RDS DB instance with same-Region read replicas, green gets a replica for each,
SwitchoverDetails has one member per blue replica, and the switchover renames each blue
replica `-old1` and gives its green counterpart the replica's production name ("Overview of
Amazon RDS Blue/Green Deployments": "the green environment ... includes read replicas";
"Switching a blue/green deployment": "the DB instances in the blue environment, including
read replicas, are renamed"). moto 5.2.5 copies only the primary. This patch creates the
green replicas at creation, records each (blue replica, green replica) pair with the other
members (`deployments.pairs`), and keeps replica links right across every rename the
switchover makes. Cross-Region replicas are not covered (AWS does not support them in a
Blue/Green deployment either).
"""

from __future__ import annotations

import random
import string
from typing import Any

from moto.rds.models import BlueGreenDeployment, DBCluster, RDSBackend

from . import deployments, resource_ids, switchover

# Captured by apply(), after `deployments` has wrapped the constructor.
_original_init: Any = None
_original_rename = switchover._rename


def _green_name(blue_name: str) -> str:
    return f"{blue_name}-green-" + "".join(random.choices(string.ascii_lowercase, k=6))


def _add_green_replicas(bg: BlueGreenDeployment) -> None:
    blue, green = deployments.pairs(bg)[0]
    if isinstance(blue, DBCluster):
        return
    backend: RDSBackend = bg.backend
    for replica_name in list(getattr(blue, "replicas", []) or []):
        replica = backend.databases.get(replica_name)
        if replica is None:  # cross-Region (an ARN): not part of a deployment
            continue
        green_replica = backend.create_db_instance_read_replica(
            {
                "db_instance_identifier": _green_name(replica_name),
                "source_db_instance_identifier": green.db_instance_identifier,
            }
        )
        green_replica.status = "available"
        bg._member_pairs.append((replica, green_replica))
    bg.set_status(bg.SupportedStates[bg.status])


def _init(self: BlueGreenDeployment, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    _add_green_replicas(self)


def _rename(backend: RDSBackend, resource: Any, new_name: str) -> None:
    old = deployments.identifier(resource)
    _original_rename(backend, resource, new_name)
    if not isinstance(resource, DBCluster):
        resource_ids.fix_replica_links(backend, old, new_name)


def apply() -> None:
    global _original_init
    if BlueGreenDeployment.__init__ is not _init:
        _original_init = BlueGreenDeployment.__init__
        BlueGreenDeployment.__init__ = _init
        switchover._rename = _rename
