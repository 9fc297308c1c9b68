"""DeleteBlueGreenDeployment as AWS does it.

- `DeleteTarget=true` is rejected once a switchover has started or completed (green is then
  production), with InvalidBlueGreenDeploymentStateFault, and the deployment stays
  (API_DeleteBlueGreenDeployment: "You can't specify this option if the blue/green
  deployment status is SWITCHOVER_COMPLETED"). moto 5.2.5 drops the deployment first and
  then silently keeps the resources.
- Before a switchover, `DeleteTarget=true` deletes every green instance and the green
  cluster, which "must have deletion protection turned off" (User Guide, "Deleting a
  blue/green deployment", blue-green-deployments-deleting.html; green copies blue's setting):
  with it on, the call fails with InvalidParameterCombination and nothing changes.
- A second DeleteBlueGreenDeployment while the deployment reads DELETING is refused with
  InvalidBlueGreenDeploymentStateFault ("The blue/green deployment can't be switched over or
  deleted because there is an invalid configuration in the green environment" is the fault's
  documented meaning, API_DeleteBlueGreenDeployment Errors): the deployment is not in a
  state that allows the call. moto 5.2.5 answered it as a success.
- When it is gone RDS records RDS-EVENT-0246 "Blue/green deployment deleted."
  (USER_Events.Messages).
- Deletion is not instant: the deployment reads DELETING for the next
  `E2E_DELETING_DESCRIBES` (default 1) DescribeBlueGreenDeployments calls that name it (by
  id or a filter), then it is gone (API_BlueGreenDeployment Status: DELETING). A describe
  that lists everything sees DELETING without using it up, like the faults' counters.
"""

from __future__ import annotations

import os
from typing import Any

from moto.core.utils import utcnow
from moto.rds.exceptions import BlueGreenDeploymentNotFoundFault, RDSClientError
from moto.rds.models import BlueGreenDeployment, DBCluster, RDSBackend
from moto.rds.responses import RDSResponse

from . import deployments, switchover_events

_SWITCHED = ("SWITCHOVER_IN_PROGRESS", "SWITCHOVER_COMPLETED")
_original_describe = RDSResponse.describe_blue_green_deployments


def _deleting_describes() -> int:
    return int(os.environ.get("E2E_DELETING_DESCRIBES", "1"))


def _green_resources(backend: RDSBackend, bg: BlueGreenDeployment) -> list[Any]:
    green_root = deployments.pairs(bg)[0][1]
    found = [i for i in deployments.green_instances(bg) if deployments.identifier(i) in backend.databases]
    if isinstance(green_root, DBCluster) and green_root.db_cluster_identifier in backend.clusters:
        found.append(green_root)
    return found


def _refuse_if_protected(backend: RDSBackend, bg: BlueGreenDeployment) -> None:
    protected = [deployments.identifier(r) for r in _green_resources(backend, bg) if r.deletion_protection]
    if protected:
        raise RDSClientError(
            "InvalidParameterCombination",
            f"Cannot delete the green environment of {bg.blue_green_deployment_identifier}: deletion protection is enabled on "
            f"{', '.join(protected)}. Disable deletion protection and try again.",
        )


def _delete_green(backend: RDSBackend, bg: BlueGreenDeployment) -> None:
    for resource in _green_resources(backend, bg):
        if isinstance(resource, DBCluster):
            backend.delete_db_cluster(cluster_identifier=resource.db_cluster_identifier)
        else:
            backend.delete_db_instance(db_instance_identifier=deployments.identifier(resource), skip_final_snapshot=True)


def _delete_blue_green_deployment(
    self: RDSBackend, blue_green_deployment_identifier: str, delete_target: bool = False
) -> BlueGreenDeployment:
    bg = self.blue_green_deployments.get(blue_green_deployment_identifier)
    if bg is None:
        raise BlueGreenDeploymentNotFoundFault(blue_green_deployment_identifier)
    if bg.status == "DELETING":
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {blue_green_deployment_identifier} is already being deleted.",
        )
    if delete_target and bg.status in _SWITCHED:
        raise RDSClientError(
            "InvalidBlueGreenDeploymentStateFault",
            f"The blue/green deployment {blue_green_deployment_identifier} is in {bg.status} state: "
            "you can't delete the target (green) environment after a switchover. Delete it without DeleteTarget.",
        )
    if delete_target:
        _refuse_if_protected(self, bg)
        _delete_green(self, bg)
    bg.set_status(bg.SupportedStates.DELETING)
    bg.deletion_time = utcnow()
    bg._deleting_left = _deleting_describes()
    return bg


def _describe_blue_green_deployments(self: RDSResponse) -> Any:
    """Counts down DELETING deployments this describe names; removes those that are done."""
    named = self.params.get("BlueGreenDeploymentIdentifier")
    targeted = bool(named) or bool(self.params.get("Filters"))
    if targeted:
        for key, bg in list(self.backend.blue_green_deployments.items()):
            left = getattr(bg, "_deleting_left", None)
            if left is None or (named and named.lower() != key.lower()):
                continue
            if left <= 0:
                del self.backend.blue_green_deployments[key]
                switchover_events.record(self.backend, bg, "RDS-EVENT-0246")
            else:
                bg._deleting_left = left - 1
    return _original_describe(self)


def apply() -> None:
    RDSBackend.delete_blue_green_deployment = _delete_blue_green_deployment
    RDSResponse.describe_blue_green_deployments = _describe_blue_green_deployments
