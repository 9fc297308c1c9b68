"""RDS's published support dates and upgrade rollout order, which moto 5.2.5 lacks.

- DescribeDBMajorEngineVersions: moto has none. AWS answers each major engine version with
  `SupportedEngineLifecycles`: `open-source-rds-standard-support` and
  `open-source-rds-extended-support`, each with a start and an end date
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBMajorEngineVersions.html;
  RDS User Guide "Viewing support dates for engine versions in Amazon RDS Extended Support",
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-viewing-support-dates.html).
  The dates answered here are AWS's published ones, only for the versions whose dates its
  pages state: RDS for MySQL 5.7 (standard support ended 2024-02-29, charged Extended Support
  from 2024-03-01, for up to 3 years: RDS User Guide "Using Amazon RDS Extended Support",
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html), RDS for MySQL 8.0
  (standard support ends 2026-07-31; "Supported MySQL major versions on Amazon RDS",
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html), and
  Aurora MySQL version 2 (5.7: standard support ended 2024-10-31, Extended Support charged from
  2024-12-01 for up to 3 years and 4 months: Aurora User Guide "Using Amazon RDS Extended
  Support"). Any other major version is answered without lifecycles, as AWS answers an engine
  it publishes none for, so the product says `unknown` rather than inventing a date.
- `UpgradeRolloutOrder` of DB clusters and DB instances (`first`, `second`, `last`): the order
  an AWS Organizations upgrade rollout policy gives the resource; resources no policy covers
  "automatically receive an upgrade order of [second]" (RDS User Guide "Using AWS Organizations
  upgrade rollout policy for automatic minor version upgrades",
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/RDS.Maintenance.AMVU.UpgradeRollout.html).
  moto has no Organizations policies: a test states a policy's outcome for one database with the
  fault kind `rollout-order` {order} (key: the identifier); every other database reads `second`.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.rds.models import DBCluster, DBInstance
from moto.rds.responses import RDSResponse

from . import faults

STANDARD = "open-source-rds-standard-support"
EXTENDED = "open-source-rds-extended-support"

# (engine, major version) -> ((standard start, standard end), (extended start, extended end)).
LIFECYCLES: dict[tuple[str, str], tuple[tuple[str, str], tuple[str, str]]] = {
    ("mysql", "5.7"): (("2015-10-21", "2024-02-29"), ("2024-03-01", "2027-02-28")),
    ("mysql", "8.0"): (("2018-04-19", "2026-07-31"), ("2026-08-01", "2029-07-31")),
    ("aurora-mysql", "5.7"): (("2018-02-06", "2024-10-31"), ("2024-12-01", "2028-02-29")),
}


def _lifecycles(engine: str, major: str) -> list[dict[str, Any]]:
    dates = LIFECYCLES.get((engine, major))
    if dates is None:
        return []
    (s_start, s_end), (e_start, e_end) = dates
    return [
        {"LifecycleSupportName": STANDARD, "LifecycleSupportStartDate": f"{s_start}T00:00:00Z", "LifecycleSupportEndDate": f"{s_end}T23:59:59Z"},
        {"LifecycleSupportName": EXTENDED, "LifecycleSupportStartDate": f"{e_start}T00:00:00Z", "LifecycleSupportEndDate": f"{e_end}T23:59:59Z"},
    ]


def _describe_db_major_engine_versions(self: RDSResponse) -> ActionResult:
    engine = self._get_param("Engine")
    major = self._get_param("MajorEngineVersion")
    known = sorted({(e, m) for e, m in LIFECYCLES} | ({(engine, major)} if engine and major else set()))
    found = [
        {"Engine": e, "MajorEngineVersion": m, "SupportedEngineLifecycles": _lifecycles(e, m)}
        for e, m in known
        if (not engine or e == engine) and (not major or m == major)
    ]
    return ActionResult({"DBMajorEngineVersions": found})


def rollout_order(identifier: str) -> str:
    """The order a test's `rollout-order` fault gives the database, else AWS's default."""
    for fault in faults.listing():
        if fault.get("kind") == "rollout-order" and fault.get("key") == identifier:
            return str(fault["order"])
    return "second"


def apply() -> None:
    RDSResponse.describe_db_major_engine_versions = _describe_db_major_engine_versions
    faults.KINDS.setdefault("rollout-order", ("order",))
    DBCluster.upgrade_rollout_order = property(lambda self: rollout_order(self.db_cluster_identifier))
    DBInstance.upgrade_rollout_order = property(lambda self: rollout_order(self.db_instance_identifier))
