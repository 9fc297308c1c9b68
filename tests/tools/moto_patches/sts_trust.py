"""AssumeRole honours the role's trust policy's `sts:ExternalId` condition, as STS does.

Sources: IAM User Guide "Access to AWS accounts owned by third parties" (id_roles_create_
for-user_externalid.html): a role whose trust policy has the condition
`"StringEquals": {"sts:ExternalId": "..."}` can be assumed only by a caller that passes that
ExternalId in AssumeRole; STS API reference, AssumeRole (`ExternalId`: "A unique identifier
that might be required when you assume a role in another account. If the administrator of
the account to which the role belongs provided you with an external ID, then provide that
value in the ExternalId parameter"). A refused AssumeRole is STS's `AccessDenied` ("User:
<caller> is not authorized to perform: sts:AssumeRole on resource: <role>", the form of IAM's
"Troubleshooting IAM roles" page). moto 5.2.5 ignores the trust policy and hands out
credentials for any role, real or not.

Modelled: a role that exists in the target account (member-account.yaml deploys them) and
whose trust policy requires an external id refuses a call with none or another one: a hub
the member account does not trust with that id. Not modelled: the `Principal` check, because
the local stack's functions call with the emulator's default credentials, not as the hub's
roles; nor roles that do not exist (tests/tools/member_accounts.py assumes
OrganizationAccountAccessRole, which moto never created).
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.exceptions import STSClientError
from moto.sts.models import STSBackend

_original_assume_role = STSBackend.assume_role


def _access_denied(role_arn: str) -> STSClientError:
    return STSClientError("AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}")


def _external_ids(document: Any) -> list[str] | None:
    """The external ids the trust policy's StringEquals requires (None: no such condition)."""
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    required: list[str] = []
    for statement in statements:
        value = ((statement.get("Condition") or {}).get("StringEquals") or {}).get("sts:ExternalId")
        if value is not None:
            required.extend(value if isinstance(value, list) else [value])
    return required or None


def _role(role_arn: str) -> Any:
    parts = role_arn.split(":")
    if len(parts) < 6 or parts[2] != "iam":
        return None
    account = parts[4]
    if account not in iam_backends:
        return None
    try:
        return iam_backends[account]["global"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto raises its own not-found error
        return None


def _assume_role(self: STSBackend, *args: Any, **kwargs: Any) -> Any:
    role_arn = kwargs.get("role_arn") or (args[2] if len(args) > 2 else "")
    external_id = kwargs.get("external_id") or (args[5] if len(args) > 5 else None)
    role = _role(role_arn)
    if role is not None:
        required = _external_ids(role.assume_role_policy_document)
        if required is not None and external_id not in required:
            raise _access_denied(role_arn)
    return _original_assume_role(self, *args, **kwargs)


def apply() -> None:
    if STSBackend.assume_role is not _assume_role:
        STSBackend.assume_role = _assume_role
