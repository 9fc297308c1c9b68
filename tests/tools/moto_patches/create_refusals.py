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
- PostgreSQL with logical replication off, where Blue/Green replicates logically (Aurora
  PostgreSQL always; RDS for PostgreSQL for a major version upgrade, "PostgreSQL replication
  methods for blue/green deployments", blue-green-deployments-replication-type.html): AWS's
  text, from AWS Knowledge Center "rds-postgresql-blue-green-deployment-error": "Blue/Green
  Deployments require a DB instance with logical replication enabled. Before you create a
  Blue/Green Deployment for a DB instance, associate the DB instance with a custom DB
  instance parameter group that enables logical replication." The page does not name the
  code: the source-not-supported fault of the source's type, as above.
- RDS for PostgreSQL major version upgrade from a source too old for logical replication:
  "Major version upgrades are not supported for blue/green deployments with source RDS for
  PostgreSQL versions 15.3 and lower, 14.8 and lower, 13.11 and lower, 12.15 and lower, or
  11.20 and lower" (same replication-type page). AWS publishes neither code nor text for
  the refusal: the source-not-supported fault, with the page's sentence as the message.
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


# "16.1 and all higher major and minor versions, 15.4 and higher 15 versions, ..., 11.21 and
# higher 11 versions" use logical replication for a major upgrade (replication-type page).
_LOGICAL_MINIMUM = {11: 21, 12: 16, 13: 12, 14: 9, 15: 4, 16: 1}
_LOGICAL_REPLICATION_OFF = (
    "Blue/Green Deployments require a DB instance with logical replication enabled. Before you create a Blue/Green "
    "Deployment for a DB instance, associate the DB instance with a custom DB instance parameter group that enables "
    "logical replication."
)


def _version(text: str) -> tuple[int, int]:
    parts = (str(text).split(".") + ["0"])[:2]
    return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)


def _postgres_refusal(backend: RDSBackend, source: Any, kwargs: dict[str, Any]) -> str | None:
    """Why RDS refuses a PostgreSQL source whose deployment would replicate logically."""
    if isinstance(source, DBCluster):
        if source.engine != "aurora-postgresql":
            return None
        group = backend.db_cluster_parameter_groups.get(source.parameter_group)
    else:
        if source.engine != "postgres" or not kwargs.get("target_engine_version"):
            return None
        (major, minor), target = _version(source.engine_version), _version(kwargs["target_engine_version"])
        if target[0] <= major:
            return None  # physical replication: no logical replication needed
        if minor < _LOGICAL_MINIMUM.get(major, 0) or major < min(_LOGICAL_MINIMUM):
            return (
                f"Major version upgrades are not supported for blue/green deployments with source RDS for PostgreSQL "
                f"versions 15.3 and lower, 14.8 and lower, 13.11 and lower, 12.15 and lower, or 11.20 and lower "
                f"(the source runs {source.engine_version})."
            )
        group = backend.db_parameter_groups.get(source.db_parameter_group_name or "")
    if _parameter(group, "rds.logical_replication") != "1":
        return _LOGICAL_REPLICATION_OFF
    return None


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
    postgres = _postgres_refusal(self, source, bg_kwargs)
    if postgres is not None:
        raise _not_supported(source, postgres)
    lower_case = _lower_case_table_names(self, source, bg_kwargs)
    if lower_case is not None:
        raise _not_supported(source, lower_case)
    return _original_create(self, bg_kwargs)


def apply() -> None:
    if RDSBackend.create_blue_green_deployment is not _create_blue_green_deployment:
        RDSBackend.create_blue_green_deployment = _create_blue_green_deployment
