"""Listings come in pages, as on AWS.

Every RDS Describe* listing the product reads takes `MaxRecords` (default 100, range 20-100)
and answers at most that many items with a `Marker` to ask for the next page (RDS API
Reference: DescribeEvents, DescribeDBParameters, DescribeDBClusterParameters,
DescribePendingMaintenanceActions, DescribeBlueGreenDeployments, DescribeDBInstances, each
"MaxRecords ... Default: 100. Constraints: Minimum 20, maximum 100"). moto 5.2.5 answers
the first four in one page whatever their length, and its own paging of the last two fails
past one page (its paginator needs a `unique_attribute` botocore's model does not give: HTTP
500 on the 101st item). Here all six page the same way: `MaxRecords` items from an opaque
`Marker`, the next `Marker` while items remain.

DescribeEvents also honours its time window as AWS does: `StartTime`/`EndTime`, or
`Duration` minutes back from now, and the past hour when neither is given
(API_DescribeEvents); moto ignores both.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import base64

from dateutil import parser as date_parser
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.rds.exceptions import RDSClientError
from moto.rds.responses import RDSResponse

# Response method -> the key of its listing.
PAGED = {
    "describe_events": "Events",
    "describe_db_parameters": "Parameters",
    "describe_db_cluster_parameters": "Parameters",
    "describe_pending_maintenance_actions": "PendingMaintenanceActions",
    "describe_blue_green_deployments": "BlueGreenDeployments",
    "describe_db_instances": "DBInstances",
}
DEFAULT_MAX_RECORDS = 100


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


def _offset(marker: Any) -> int:
    if not marker:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(marker).encode()).decode().removeprefix("offset:"))
    except ValueError as e:
        raise RDSClientError("InvalidParameterValue", f"Invalid Marker: {marker}") from e


def _marker(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


# Listings other tests change while one reads them (instances, deployments: every test of a
# binary shares one server) page by key, in identifier order as RDS lists them: a marker names
# the last item returned, so an item present for the whole listing is never skipped or
# repeated when others are created or deleted between pages (an offset would shift).
KEYED: dict[str, Callable[[Any], str]] = {
    "DBInstances": lambda i: str(getattr(i, "db_instance_identifier", "")),
    "BlueGreenDeployments": lambda d: str(getattr(d, "blue_green_deployment_identifier", "")),
}


def _after(marker: Any) -> str | None:
    if not marker:
        return None
    try:
        text = base64.urlsafe_b64decode(str(marker).encode()).decode()
    except ValueError as e:
        raise RDSClientError("InvalidParameterValue", f"Invalid Marker: {marker}") from e
    if not text.startswith("after:"):
        raise RDSClientError("InvalidParameterValue", f"Invalid Marker: {marker}")
    return text.removeprefix("after:")


def _size(params: Any) -> int:
    size = int(params.get("MaxRecords") or DEFAULT_MAX_RECORDS)
    if not 20 <= size <= 100:
        raise RDSClientError("InvalidParameterValue", f"Invalid value {size} for MaxRecords: must be between 20 and 100")
    return size


def page(params: Any, items: list[Any], key_of: Callable[[Any], str] | None = None) -> tuple[list[Any], str | None]:
    """The page `Marker`/`MaxRecords` ask for, and the marker of the next one."""
    size = _size(params)
    if key_of is not None:
        after = _after(params.get("Marker"))
        rest = [i for i in sorted(items, key=key_of) if after is None or key_of(i) > after]
        chunk = rest[:size]
        more = len(rest) > size
        return chunk, (base64.urlsafe_b64encode(f"after:{key_of(chunk[-1])}".encode()).decode() if more else None)
    start = _offset(params.get("Marker"))
    end = start + size
    return items[start:end], (_marker(end) if end < len(items) else None)


def _paged(original: Callable[[RDSResponse], ActionResult], key: str) -> Callable[[RDSResponse], ActionResult]:
    def method(self: RDSResponse) -> ActionResult:
        # Some of moto's handlers pass every parameter on to the backend, which knows no Marker.
        paging = {k: self.params.pop(k) for k in ("Marker", "MaxRecords") if k in self.params}
        result = dict(original(self).result)  # type: ignore[call-overload]
        items = list(result.get(key) or [])
        if key == "Events":
            items = _in_window(self.params, items)
        result[key], result["Marker"] = page(paging, items, KEYED.get(key))
        return ActionResult(result)

    method._paged = True  # type: ignore[attr-defined]
    return method


def apply() -> None:
    for name, key in PAGED.items():
        original = getattr(RDSResponse, name)
        if not getattr(original, "_paged", False):
            setattr(RDSResponse, name, _paged(original, key))
