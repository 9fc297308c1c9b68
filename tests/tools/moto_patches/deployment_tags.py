"""Tags on Blue/Green deployments, as AWS keeps them.

AWS tags a deployment at creation (CreateBlueGreenDeployment `Tags`) and afterwards through
AddTagsToResource / ListTagsForResource / RemoveTagsFromResource on its ARN,
`arn:aws:rds:<region>:<account>:deployment:<bgd-id>`; DescribeBlueGreenDeployments returns
them as `TagList` (API_BlueGreenDeployment "TagList"; User Guide "Tagging Amazon RDS
resources", which lists blue/green deployments among taggable resources). moto 5.2.5 keeps
creation tags but silently ignores the tagging calls for a deployment ARN.
"""

from __future__ import annotations

from typing import Any

from moto.rds.models import BlueGreenDeployment, RDSBackend

_original_get = RDSBackend._get_resource_for_tagging


def _get_resource_for_tagging(self: RDSBackend, arn: str) -> Any:
    parts = arn.split(":")
    if len(parts) == 7 and parts[2] == "rds" and parts[5] == "deployment":
        return self.blue_green_deployments.get(parts[6])
    return _original_get(self, arn)


def apply() -> None:
    BlueGreenDeployment.resource_type = "deployment"
    RDSBackend._get_resource_for_tagging = _get_resource_for_tagging
