"""Aurora global databases as the product reads them, where moto 5.2.5 differs from AWS.

- DescribeGlobalClusters: moto ignores `GlobalClusterIdentifier` and lists every global
  cluster; AWS answers only that one, and GlobalClusterNotFoundFault when it does not exist
  (API_DescribeGlobalClusters).
- CreateGlobalCluster with `SourceDBClusterIdentifier`: moto stores the global cluster's ARN as
  the source cluster's `GlobalClusterIdentifier` and does not mark it the writer; AWS reports
  the user-supplied identifier (API_DBCluster "GlobalClusterIdentifier") and the source
  becomes the primary (writer) cluster (API_CreateGlobalCluster).
- SwitchoverGlobalCluster: moto has none. AWS promotes the target secondary and demotes the
  primary; while that runs the global cluster reports `FailoverState` (API_FailoverState:
  `Status` pending | failing-over | cancelling, `FromDbClusterArn`, `ToDbClusterArn`,
  `IsDataLossAllowed` false for a switchover) (API_SwitchoverGlobalCluster). Here it reads
  `pending` for SWITCHOVER_READS describes, then the roles are swapped and the state cleared.
- A blue/green switchover of a global database's primary: AWS "transitions your primary and
  all secondary regions to the green environment" and renames clusters to match the original
  production ("Using Blue/Green Deployments for Amazon Aurora Global Database", Aurora User
  Guide), so production (green) is the global database's writer and the global database runs
  green's version. What old blue's `-old1` cluster is afterwards is not spelled out by AWS
  beyond "write forwarding is disabled on the -old1 cluster" ("Aurora Global Database
  limitations for blue/green deployments"): here it leaves the member list but keeps its
  `GlobalClusterIdentifier`, so the product's cleanup keeps refusing it (a named refusal)
  rather than deleting one Region of a multi-Region old blue. Green's secondary clusters are
  not modelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.rds.exceptions import RDSClientError
from moto.rds.models import BlueGreenDeployment, GlobalCluster, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse

from . import switchover

SWITCHOVER_READS = 2

_original_create = RDSBackend.create_global_cluster
_original_complete = switchover._Switchover.complete


def _create_global_cluster(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
    global_cluster = _original_create(self, *args, **kwargs)
    for member in global_cluster.members:
        member.global_cluster_identifier = global_cluster.global_cluster_identifier
        member.is_writer = True
    return global_cluster


def _describe_global_clusters(self: RDSResponse) -> ActionResult:
    wanted = self._get_param("GlobalClusterIdentifier")
    found = []
    for g in self.global_backend.describe_global_clusters():
        if wanted and wanted.lower() not in (g.global_cluster_identifier, g.global_cluster_arn):
            continue
        _advance(g)
        found.append(g)
    if wanted and not found:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {wanted} not found.")
    return ActionResult({"GlobalClusters": found})


def _advance(g: Any) -> None:
    """Counts one read of a global switchover in flight; swaps the roles when it is over."""
    state = getattr(g, "_switching", None)
    if state is None:
        return
    state["reads"] += 1
    if state["reads"] < SWITCHOVER_READS:
        return
    for member in g.members:
        member.is_writer = member.db_cluster_arn == state["to"]
    g._switching = None


def _switchover_global_cluster(self: RDSResponse) -> ActionResult:
    wanted = self._get_param("GlobalClusterIdentifier")
    target = self._get_param("TargetDbClusterIdentifier")
    for g in self.global_backend.describe_global_clusters():
        if wanted.lower() in (g.global_cluster_identifier, g.global_cluster_arn):
            writer = next(m for m in g.members if m.is_writer)
            g._switching = {"reads": 0, "from": writer.db_cluster_arn, "to": target}
            return ActionResult({"GlobalCluster": g})
    raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {wanted} not found.")


def _failover_state(g: Any) -> dict[str, Any] | None:
    state = getattr(g, "_switching", None)
    if state is None:
        return None
    return {"Status": "pending", "FromDbClusterArn": state["from"], "ToDbClusterArn": state["to"], "IsDataLossAllowed": False}


def _complete(self: Any, at: datetime) -> None:
    """When the deployment reads SWITCHOVER_COMPLETED (switchover.py's timeline), production
    takes old blue's place in the global cluster."""
    _original_complete(self, at)
    bg: BlueGreenDeployment = self.bg
    if bg.status != "SWITCHOVER_COMPLETED":
        return
    backend = bg.backend
    old_blue = next((c for c in backend.clusters.values() if c.db_cluster_arn == bg.source), None)
    production = next((c for c in backend.clusters.values() if c.db_cluster_arn == bg.target), None)
    if old_blue is None or production is None or not old_blue.global_cluster_identifier:
        return
    # moto keeps global clusters in us-east-1's backend (RDSResponse.global_backend).
    for g in rds_backends[backend.account_id]["us-east-1"].global_clusters.values():
        if old_blue in g.members:
            g.members = [production if m is old_blue else m for m in g.members]
            production.global_cluster_identifier = g.global_cluster_identifier
            production.is_writer = old_blue.is_writer
            old_blue.is_writer = False
            g.engine_version = production.engine_version


def apply() -> None:
    RDSBackend.create_global_cluster = _create_global_cluster
    RDSResponse.describe_global_clusters = _describe_global_clusters
    RDSResponse.switchover_global_cluster = _switchover_global_cluster
    GlobalCluster.failover_state = property(_failover_state)  # type: ignore[attr-defined]
    switchover._Switchover.complete = _complete
