"""Zero-ETL integrations (CreateIntegration, DescribeIntegrations, DeleteIntegration), which
moto 5.2.5 does not have at all.

Sources: API_CreateIntegration, API_DescribeIntegrations and API_Integration (RDS API
Reference): an integration has an `IntegrationName`, an `IntegrationArn`
(`arn:aws:rds:<region>:<account>:integration:<uuid>`), the `SourceArn` of the DB cluster or
instance it reads, the `TargetArn` of the Amazon Redshift namespace it writes, and a `Status`
(`creating`, `active`, `modifying`, `failed`, `deleting`, `syncing`, `needs_attention`);
DescribeIntegrations lists them (IntegrationNotFoundFault for an unknown identifier). The
blue/green rule the product checks against them: "During switchover, the blue and green
environments can't have zero-ETL integrations with Amazon Redshift. You must delete the
integration first and switch over, then recreate the integration" ("Limitations and
considerations for blue/green deployments", RDS and Aurora User Guides).

Here an integration is `active` at once (the tests only need it to exist) and is kept per
account and Region.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from moto.core.responses import ActionResult
from moto.rds.exceptions import RDSClientError
from moto.rds.responses import RDSResponse

# (account, region) -> integration identifier -> integration
_INTEGRATIONS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def _ours(response: RDSResponse) -> dict[str, dict[str, Any]]:
    return _INTEGRATIONS.setdefault((response.current_account, response.region), {})


def _find(response: RDSResponse, identifier: str) -> dict[str, Any]:
    for key, integration in _ours(response).items():
        if identifier in (key, integration["IntegrationArn"], integration["IntegrationName"]):
            return integration
    raise RDSClientError("IntegrationNotFoundFault", f"Integration {identifier} not found.")


def _create_integration(self: RDSResponse) -> ActionResult:
    key = str(uuid.uuid4())
    integration = {
        "IntegrationName": self._get_param("IntegrationName"),
        "IntegrationArn": f"arn:aws:rds:{self.region}:{self.current_account}:integration:{key}",
        "SourceArn": self._get_param("SourceArn"),
        "TargetArn": self._get_param("TargetArn"),
        "Status": "active",
        "CreateTime": datetime.now(timezone.utc),
        "Tags": [],
    }
    _ours(self)[key] = integration
    return ActionResult(integration)


def _describe_integrations(self: RDSResponse) -> ActionResult:
    identifier = self._get_param("IntegrationIdentifier")
    found = [_find(self, identifier)] if identifier else list(_ours(self).values())
    return ActionResult({"Integrations": found})


def _delete_integration(self: RDSResponse) -> ActionResult:
    integration = _find(self, self._get_param("IntegrationIdentifier"))
    _ours(self).pop(integration["IntegrationArn"].rsplit(":", 1)[1], None)
    return ActionResult(dict(integration, Status="deleting"))


def apply() -> None:
    RDSResponse.create_integration = _create_integration
    RDSResponse.describe_integrations = _describe_integrations
    RDSResponse.delete_integration = _delete_integration
