"""What a Blue/Green deployment pairs: each blue resource with its green counterpart.

AWS reports one `SwitchoverDetails` entry per member (the cluster and every instance), and a
switchover moves the production name of each blue member to its green counterpart. moto 5.2.5
keeps only the cluster-to-cluster pair. This module records the pairs (as moto objects, so
their ARNs follow renames) and the production name at creation, and reports every member in
`SwitchoverDetails`. The switchover, delete-target and fault patches build on it.
"""

from __future__ import annotations

import re
from typing import Any

from moto.rds.models import BlueGreenDeployment, DBCluster, SwitchoverDetails

# moto (like AWS) names green resources `<blue name>-green-<6 random characters>`.
_GREEN_SUFFIX = re.compile(r"-green-[a-z0-9]{6}$")

_original_init = BlueGreenDeployment.__init__


def identifier(resource: Any) -> str:
    """The cluster or instance identifier of a moto resource."""
    if isinstance(resource, DBCluster):
        return resource.db_cluster_identifier
    return resource.db_instance_identifier


def blue_name_of_green(green_identifier: str) -> str:
    """The blue member a green member was made from (`orders-1-green-abcdef` -> `orders-1`)."""
    return _GREEN_SUFFIX.sub("", green_identifier)


def _compute_pairs(bg: BlueGreenDeployment) -> list[tuple[Any, Any]]:
    blue = bg._get_valid_instance_or_raise(bg.source)
    green = bg._get_valid_instance_or_raise(bg.target)
    pairs: list[tuple[Any, Any]] = [(blue, green)]
    if isinstance(blue, DBCluster):
        green_by_blue_name = {blue_name_of_green(identifier(m)): m for m in green.members}
        for member in blue.members:
            counterpart = green_by_blue_name.get(identifier(member))
            if counterpart is not None:
                pairs.append((member, counterpart))
    return pairs


def pairs(bg: BlueGreenDeployment) -> list[tuple[Any, Any]]:
    """(blue, green) moto objects: the cluster or instance first, then each cluster member."""
    return getattr(bg, "_member_pairs", None) or []


def production_name(bg: BlueGreenDeployment) -> str:
    """The identifier of the production database the deployment was created for."""
    return getattr(bg, "_production_name", "") or bg.source.split(":")[-1]


def green_instances(bg: BlueGreenDeployment) -> list[Any]:
    """The green DB instances (not the green cluster)."""
    return [green for _, green in pairs(bg) if not isinstance(green, DBCluster)]


def _init(self: BlueGreenDeployment, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self._member_pairs = _compute_pairs(self)
    self._production_name = identifier(self._member_pairs[0][0])
    self.set_status(self.SupportedStates[self.status])


def _set_status(self: BlueGreenDeployment, value: Any, member_status: str | None = None) -> None:
    """Sets the deployment status and one SwitchoverDetails entry per member."""
    self.status = value.name
    members = pairs(self) or [(None, None)]
    self.switchover_details = [
        SwitchoverDetails(
            blue.arn if blue is not None else self.source,
            green.arn if green is not None else self.target,
            member_status or self.status,
        )
        for blue, green in members
    ]


def apply() -> None:
    if BlueGreenDeployment.__init__ is not _init:
        BlueGreenDeployment.__init__ = _init
        BlueGreenDeployment.set_status = _set_status
