"""The RDS engine catalogue calls moto 5.2.5 lacks, answered as AWS does for the versions the
tests and the demo use.

- DescribeDBEngineVersions: moto has none. AWS answers each version with its parameter group
  family and its ValidUpgradeTarget list; here a version's valid targets are the later versions
  of its own family (minor upgrades) and of the families AWS offers as a major upgrade from it
  (MAJOR_UPGRADES): RDS for MySQL goes 5.7 -> 8.0 -> 8.4 one major at a time ("Major version
  upgrades for RDS for MySQL", RDS User Guide: "upgrade to each major version, for example,
  5.7 to 8.0 and then 8.0 to 8.4"); PostgreSQL and MariaDB offer later majors directly
  ("Choosing a major version for an RDS for PostgreSQL upgrade"; "Upgrading the MariaDB DB
  engine"). A change of family is a major version upgrade (IsMajorVersionUpgrade).
- DescribePendingMaintenanceActions: moto has none; a fresh emulated account has no pending
  maintenance, so the answer is an empty list.
- DescribeOptionGroups without OptionGroupName: moto 5.2.5 raises KeyError; AWS lists them all.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse

# engine -> [(version, parameter group family)], oldest first.
CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "aurora-mysql": [
        ("8.0.mysql_aurora.3.04.3", "aurora-mysql8.0"),
        ("8.0.mysql_aurora.3.05.2", "aurora-mysql8.0"),
        ("8.0.mysql_aurora.3.06.1", "aurora-mysql8.0"),
        ("8.0.mysql_aurora.3.08.0", "aurora-mysql8.0"),
    ],
    "aurora-postgresql": [
        ("14.12", "aurora-postgresql14"),
        ("15.6", "aurora-postgresql15"),
        ("15.10", "aurora-postgresql15"),
        ("16.4", "aurora-postgresql16"),
    ],
    "mysql": [
        ("5.7.44", "mysql5.7"),
        ("8.0.35", "mysql8.0"),
        ("8.0.36", "mysql8.0"),
        ("8.0.39", "mysql8.0"),
        ("8.0.40", "mysql8.0"),
        ("8.4.3", "mysql8.4"),
    ],
    "postgres": [
        ("14.12", "postgres14"),
        ("15.6", "postgres15"),
        ("15.10", "postgres15"),
        ("16.4", "postgres16"),
    ],
    "mariadb": [
        ("10.6.19", "mariadb10.6"),
        ("10.11.8", "mariadb10.11"),
        ("10.11.9", "mariadb10.11"),
        ("11.4.3", "mariadb11.4"),
    ],
}


# family -> the families a major version upgrade from it may go to.
MAJOR_UPGRADES: dict[str, tuple[str, ...]] = {
    "mysql5.7": ("mysql8.0",),
    "mysql8.0": ("mysql8.4",),
    "postgres14": ("postgres15", "postgres16"),
    "postgres15": ("postgres16",),
    "aurora-postgresql14": ("aurora-postgresql15", "aurora-postgresql16"),
    "aurora-postgresql15": ("aurora-postgresql16",),
    "mariadb10.6": ("mariadb10.11", "mariadb11.4"),
    "mariadb10.11": ("mariadb11.4",),
}


def _version(engine: str, index: int) -> dict[str, Any]:
    version, family = CATALOGUE[engine][index]
    targets = [
        {
            "Engine": engine,
            "EngineVersion": later,
            "Description": f"{engine} {later}",
            "AutoUpgrade": False,
            "IsMajorVersionUpgrade": later_family != family,
        }
        for later, later_family in CATALOGUE[engine][index + 1 :]
        if later_family == family or later_family in MAJOR_UPGRADES.get(family, ())
    ]
    return {
        "Engine": engine,
        "EngineVersion": version,
        "DBParameterGroupFamily": family,
        "DBEngineDescription": engine,
        "DBEngineVersionDescription": f"{engine} {version}",
        "ValidUpgradeTarget": targets,
        "Status": "available",
        "SupportsLogExportsToCloudwatchLogs": True,
        "SupportsReadReplica": True,
    }


def _describe_db_engine_versions(self: RDSResponse) -> ActionResult:
    engine = self._get_param("Engine")
    version = self._get_param("EngineVersion")
    family = self._get_param("DBParameterGroupFamily")
    found = [
        _version(name, i)
        for name, versions in CATALOGUE.items()
        for i, (v, f) in enumerate(versions)
        if (not engine or engine == name) and (not version or version == v) and (not family or family == f)
    ]
    return ActionResult({"DBEngineVersions": found})


def _describe_pending_maintenance_actions(self: RDSResponse) -> ActionResult:
    return ActionResult({"PendingMaintenanceActions": []})


_original_describe_option_groups = RDSBackend.describe_option_groups


def _describe_option_groups(self: RDSBackend, option_group_kwargs: dict[str, Any]) -> list[Any]:
    kwargs = dict(option_group_kwargs)
    kwargs.setdefault("option_group_name", None)
    if kwargs["option_group_name"] is None:
        return [
            g
            for g in self.option_groups.values()
            if (not kwargs.get("engine_name") or g.engine_name == kwargs["engine_name"])
            and (not kwargs.get("major_engine_version") or g.major_engine_version == kwargs["major_engine_version"])
        ]
    return _original_describe_option_groups(self, kwargs)


def apply() -> None:
    RDSResponse.describe_db_engine_versions = _describe_db_engine_versions
    RDSResponse.describe_pending_maintenance_actions = _describe_pending_maintenance_actions
    RDSBackend.describe_option_groups = _describe_option_groups
