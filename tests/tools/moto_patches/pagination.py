"""Listings come in pages, as on AWS.

Every RDS Describe* listing the product reads takes `MaxRecords` (default 100, range 20-100)
and answers at most that many items with a `Marker` to ask for the next page (RDS API
Reference: DescribeEvents, DescribeDBParameters, DescribeDBClusterParameters,
DescribePendingMaintenanceActions, DescribeBlueGreenDeployments, DescribeDBInstances, each
"MaxRecords ... Default: 100"). moto 5.2.5 pages DescribeBlueGreenDeployments and
DescribeDBInstances, but answers the four listed first in one page whatever their length;
here they page the same way (moto's `PaginatedResult`, driven by botocore's paginator model,
100 by default).

DescribeEvents also honours its time window as AWS does: `StartTime`/`EndTime`, or
`Duration` minutes back from now, and the past hour when neither is given
(API_DescribeEvents); moto ignores both.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from dateutil import parser as date_parser
from moto.core.responses import ActionResult, PaginatedResult
from moto.core.utils import utcnow
from moto.rds.responses import RDSResponse

# Response method -> the key of its listing.
PAGED = {
    "describe_events": "Events",
    "describe_db_parameters": "Parameters",
    "describe_db_cluster_parameters": "Parameters",
    "describe_pending_maintenance_actions": "PendingMaintenanceActions",
}


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    when = value if isinstance(value, datetime) else date_parser.parse(str(value))
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def _naive(when: datetime) -> datetime:
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def _in_window(params: Any, events: list[Any]) -> list[Any]:
    start, end = _when(params.get("StartTime")), _when(params.get("EndTime"))
    if start is None and end is None:
        start = _naive(utcnow()) - timedelta(minutes=int(params.get("Duration") or 60))
    return [e for e in events if (start is None or _naive(e.date) >= start) and (end is None or _naive(e.date) <= end)]


def _paged(original: Callable[[RDSResponse], ActionResult], key: str) -> Callable[[RDSResponse], ActionResult]:
    def method(self: RDSResponse) -> ActionResult:
        result = dict(original(self).result)  # type: ignore[call-overload]
        items = list(result.get(key) or [])
        if key == "Events":
            items = _in_window(self.params, items)
        result[key] = items
        return PaginatedResult(result)

    method._paged = True  # type: ignore[attr-defined]
    return method


def apply() -> None:
    for name, key in PAGED.items():
        original = getattr(RDSResponse, name)
        if not getattr(original, "_paged", False):
            setattr(RDSResponse, name, _paged(original, key))
