"""DeleteBlueGreenDeployment's DeleteTarget as AWS does it.

AWS rejects `DeleteTarget=true` once a switchover has started or completed (green is then
production), with InvalidBlueGreenDeploymentStateFault, and leaves the deployment in place.
moto 5.2.5 drops the deployment first and then silently keeps the resources. Before a
switchover, DeleteTarget deletes every green instance and the green cluster; AWS manages the
green resources, so their (copied) deletion protection does not stop it.
"""

from __future__ import annotations

from moto.core.utils import utcnow
from moto.rds.exceptions import BlueGreenDeploymentNotFoundFault, RDSClientError
from moto.rds.models import BlueGreenDeployment, DBCluster, RDSBackend

from . import deployments

_SWITCHED = ("SWITCHOVER_IN_PROGRESS", "SWITCHOVER_COMPLETED")


def _delete_green(backend: RDSBackend, bg: BlueGreenDeployment) -> None:
    green_root = deployments.pairs(bg)[0][1]
    for instance in deployments.green_instances(bg):
        name = deployments.identifier(instance)
        if name in backend.databases:
            instance.deletion_protection = False
            backend.delete_db_instance(db_instance_identifier=name, skip_final_snapshot=True)
    if isinstance(green_root, DBCluster) and green_root.db_cluster_identifier in backend.clusters:
        green_root.deletion_protection = False
        backend.delete_db_cluster(cluster_identifier=green_root.db_cluster_identifier)


def _delete_blue_green_deployment(
    self: RDSBackend, blue_green_deployment_identifier: str, delete_target: bool = False
) -> BlueGreenDeployment:
    bg = self.blue_green_deployments.get(blue_green_deployment_identifier)
    if bg is None:
        raise BlueGreenDeploymentNotFoundFault(blue_green_deployment_identifier)
    if delete_target and bg.status in _SWITCHED:
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {blue_green_deployment_identifier} is in {bg.status} state: "
            "you can't delete the target (green) environment after a switchover. Delete it without DeleteTarget.",
        )
    if delete_target:
        _delete_green(self, bg)
    del self.blue_green_deployments[blue_green_deployment_identifier]
    bg.set_status(bg.SupportedStates.DELETING)
    bg.deletion_time = utcnow()
    return bg


def apply() -> None:
    RDSBackend.delete_blue_green_deployment = _delete_blue_green_deployment
