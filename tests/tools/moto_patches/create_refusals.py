"""CreateBlueGreenDeployment refuses, at once, what AWS refuses at once.

The API reference (API_CreateBlueGreenDeployment, "Errors") documents the refusals of an
unsupported source: SourceDatabaseNotSupportedFault ("The source DB instance isn't supported
for a blue/green deployment") for a DB instance and SourceClusterNotSupportedFault for a DB
cluster, both HTTP 400, answered by the call itself, before anything is created. moto 5.2.5
refuses only a source with a Secrets Manager-managed password. Modelled here:

- A source that already has a deployment (not deleted): the "Limitations for blue/green
  deployments" (RDS and Aurora User Guides) allow one deployment per source. The reference
  names no dedicated fault for it; the source-not-supported fault of the source's type is
  the one it documents for a source it refuses, and what this patch answers. The name check
  (BlueGreenDeploymentAlreadyExistsFault) comes first, as in moto, so a retry with the same
  name still meets that fault and can adopt its deployment.
- Aurora MySQL with binary logging off in the cluster parameter group (`binlog_format` OFF or
  unset, the Aurora default): "Blue/green deployments for Aurora MySQL require binary
  logging" (Aurora User Guide, "Preparing for a blue/green deployment"). AWS refuses at
  create with "Blue Green Deployments requires cluster parameter group has binlog enabled."
  (the message recorded in /work/shared/aws-bluegreen-facts.md, seed 003), not later with
  INVALID_CONFIGURATION.
- RDS for MySQL without TargetDBParameterGroupName when blue's parameter group sets
  `lower_case_table_names`: green gets the default group and AWS answers
  SourceDatabaseNotSupportedFault "The value of the lower_case_table_names parameter within
  the parameter group [default.mysqlX] for the green environment is different than the value
  of this parameter in the blue environment." (terraform-provider-aws #49132).
- A test-injected `create-refused` fault {reason} (see `faults`), for what moto cannot
  derive from its own state: `source-not-supported` (the fault of the source's type) and
  `kms-key-not-accessible` (KMSKeyNotAccessibleFault, RDS's "An error occurred accessing an
  AWS KMS key", for a source encrypted with a key RDS can no longer use).
"""

from __future__ import annotations

from typing import Any

from moto.rds.exceptions import KMSKeyNotAccessibleFault, RDSClientError
from moto.rds.models import BlueGreenDeployment, DBCluster, RDSBackend, find_cluster

from . import deployments, faults

_original_create = RDSBackend.create_blue_green_deployment


def _not_supported(source: Any, message: str) -> RDSClientError:
    code = "SourceClusterNotSupportedFault" if isinstance(source, DBCluster) else "SourceDatabaseNotSupportedFault"
    return RDSClientError(code, message)


def _existing_deployment(backend: RDSBackend, source: Any) -> BlueGreenDeployment | None:
    for bg in backend.blue_green_deployments.values():
        if bg.status == "DELETING":
            continue
        members = deployments.pairs(bg)
        if members and any(source is side for side in members[0]):
            return bg
    return None


def _parameter(group: Any, name: str) -> str | None:
    value = (getattr(group, "parameters", {}) or {}).get(name, {}).get("ParameterValue") if group else None
    return str(value) if value is not None else None


def _binlog_off(backend: RDSBackend, source: Any) -> bool:
    if not isinstance(source, DBCluster) or source.engine != "aurora-mysql":
        return False
    group = backend.db_cluster_parameter_groups.get(source.parameter_group)
    return (_parameter(group, "binlog_format") or "OFF").upper() == "OFF"


def _lower_case_table_names(backend: RDSBackend, source: Any, kwargs: dict[str, Any]) -> str | None:
    if isinstance(source, DBCluster) or source.engine != "mysql" or kwargs.get("target_db_parameter_group_name"):
        return None
    blue_value = _parameter(backend.db_parameter_groups.get(source.db_parameter_group_name or ""), "lower_case_table_names")
    if blue_value in (None, "0"):
        return None
    family = "mysql" + ".".join(str(source.engine_version).split(".")[:2])
    return (
        f"The value of the lower_case_table_names parameter within the parameter group [default.{family}] for the green "
        "environment is different than the value of this parameter in the blue environment. You can't modify this "
        "parameter after creation: specify a target DB parameter group with the same value."
    )


def _injected(reason: str, source: Any, source_arn: str) -> RDSClientError:
    if reason == "kms-key-not-accessible":
        return KMSKeyNotAccessibleFault(getattr(source, "kms_key_id", None) or "the source's KMS key")
    if reason == "source-not-supported":
        return _not_supported(source, f"The source {source_arn} isn't supported for a blue/green deployment.")
    raise RDSClientError("InvalidParameterValue", f"test fault: unknown create-refused reason {reason!r}")


def _create_blue_green_deployment(self: RDSBackend, bg_kwargs: dict[str, Any]) -> BlueGreenDeployment:
    name = bg_kwargs.get("blue_green_deployment_name", "")
    if any(bg.blue_green_deployment_name == name for bg in self.blue_green_deployments.values()):
        return _original_create(self, bg_kwargs)  # BlueGreenDeploymentAlreadyExistsFault
    arn = bg_kwargs.get("source", "")
    source = find_cluster(arn) if self._is_cluster(arn) else self.find_db_from_id(arn)
    reason = faults.take_create_refusal([deployments.identifier(source), name])
    if reason is not None:
        raise _injected(reason, source, arn)
    existing = _existing_deployment(self, source)
    if existing is not None:
        raise _not_supported(
            source,
            f"The source {arn} is already the source of blue/green deployment {existing.blue_green_deployment_identifier}.",
        )
    if _binlog_off(self, source):
        raise _not_supported(source, "Blue Green Deployments requires cluster parameter group has binlog enabled.")
    lower_case = _lower_case_table_names(self, source, bg_kwargs)
    if lower_case is not None:
        raise _not_supported(source, lower_case)
    return _original_create(self, bg_kwargs)


def apply() -> None:
    if RDSBackend.create_blue_green_deployment is not _create_blue_green_deployment:
        RDSBackend.create_blue_green_deployment = _create_blue_green_deployment
