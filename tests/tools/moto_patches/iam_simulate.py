"""IAM's policy simulator, `SimulatePrincipalPolicy`, as AWS documents it.

moto 5.2.5 has no SimulatePrincipalPolicy at all. The permissions preflight of a dry run
(shared/src/precheck/permissions.rs) asks it whether each member or hub role may make each call
the workflow will make, so this patch answers from the role's own policies, evaluated as the API
reference and the IAM policy evaluation logic describe:

- API: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
  `PolicySourceArn` (the role), `ActionNames`, `ResourceArns` (default `*`), `ContextEntries`
  (`ContextKeyName`, `ContextKeyValues`, `ContextKeyType`); one `EvaluationResult` per action
  and resource: `EvalDecision` `allowed` | `explicitDeny` | `implicitDeny`, with
  `MatchedStatements` (`SourcePolicyId`, `SourcePolicyType`) naming the policies that decided.
  An unknown role is `NoSuchEntity`.
- Evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  an explicit Deny wins, else an Allow, else the implicit deny. Action and resource elements
  match with `*` and `?` wildcards (actions case-insensitively); condition keys are
  case-insensitive.
- Conditions: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  and ..._condition-single-vs-multi-valued-context-keys.html: the operators the templates use
  (String*, Arn*, Bool, Null, with ForAnyValue:/ForAllValues:). A key missing from the context
  makes a positive operator false and a negated one (`...Not...`) true; ForAllValues over a
  missing key is true, ForAnyValue false.

What it does not model (and the preflight does not rely on): service control policies and
permission boundaries (AWS's simulator includes them; the emulator has none), resource-based
policies, policy variables.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.exceptions import NoSuchEntity
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    # Each of the six colon-separated parts matches on its own (ArnLike), the last with the rest.
    p, v = pattern.split(":", 5), value.split(":", 5)
    return len(p) == len(v) == 6 and all(_wildcard(a, b) for a, b in zip(p, v))


_BASE = {
    "StringEquals": lambda p, v: p == v,
    "StringNotEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _wildcard(p, v),
    "StringNotLike": lambda p, v: _wildcard(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnNotEquals": lambda p, v: p == v,
    "ArnLike": _arn_like,
    "ArnNotLike": _arn_like,
    "Bool": lambda p, v: p.lower() == v.lower(),
}


def _condition_holds(operator: str, key: str, patterns: list[str], context: dict[str, list[str]]) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if op.endswith("IfExists"):
        op = op[: -len("IfExists")]
        if key.lower() not in context:
            return True
    values = context.get(key.lower())
    if op == "Null":
        return (values is None) == (str(patterns[0]).lower() == "true")
    if op not in _BASE:
        raise ValueError(f"condition operator {operator} is not modelled")
    match = _BASE[op]
    negated = "Not" in op
    patterns = [str(p) for p in patterns]
    if qualifier == "ForAllValues":
        if values is None:
            return True
        hits = [any(match(p, v) for p in patterns) for v in values]
        return all(not h for h in hits) if negated else all(hits)
    if qualifier == "ForAnyValue":
        if values is None:
            return False
        hits = [any(match(p, v) for p in patterns) for v in values]
        return any(not h for h in hits) if negated else any(hits)
    if values is None:
        return negated
    hit = any(match(p, v) for p in patterns for v in values)
    return not hit if negated else hit


def _statement_applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, list[str]]) -> bool:
    if "Action" in statement:
        if not any(_wildcard(a, action, ignore_case=True) for a in _list(statement["Action"])):
            return False
    elif any(_wildcard(a, action, ignore_case=True) for a in _list(statement.get("NotAction"))):
        return False
    if "Resource" in statement:
        if not any(_wildcard(r, resource) for r in _list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(_wildcard(r, resource) for r in _list(statement["NotResource"])):
        return False
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, patterns in keys.items():
            if not _condition_holds(operator, key, _list(patterns), context):
                return False
    return True


def _role_policies(backend: Any, role: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(SourcePolicyId, SourcePolicyType, document) of every identity policy of the role."""
    out = []
    for name, document in role.policies.items():
        out.append((name, "role", json.loads(document) if isinstance(document, str) else document))
    for arn, policy in role.managed_policies.items():
        version = next((v for v in policy.versions if v.is_default), None)
        text = version.document if version else policy.document
        out.append((policy.name, "user-managed", json.loads(text) if isinstance(text, str) else text))
    return out


def _evaluate(policies: list[tuple[str, str, dict[str, Any]]], action: str, resource: str, context: dict[str, list[str]]) -> dict[str, Any]:
    allows, denies = [], []
    for policy_id, policy_type, document in policies:
        for statement in _list(document.get("Statement")):
            if _statement_applies(statement, action, resource, context):
                (denies if statement.get("Effect") == "Deny" else allows).append(
                    {"SourcePolicyId": policy_id, "SourcePolicyType": policy_type}
                )
    if denies:
        decision, matched = "explicitDeny", denies
    elif allows:
        decision, matched = "allowed", allows
    else:
        decision, matched = "implicitDeny", []
    return {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision,
        "MatchedStatements": matched,
        "MissingContextValues": [],
    }


def _context(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {e["ContextKeyName"].lower(): [str(v) for v in _list(e.get("ContextKeyValues"))] for e in entries}


def simulate_principal_policy(self: IamResponse) -> ActionResult:
    source = self._get_param("PolicySourceArn")
    actions = self._get_param("ActionNames", [])
    resources = self._get_param("ResourceArns", []) or ["*"]
    context = _context(self._get_param("ContextEntries", []))
    account, partition = source.split(":")[4], source.split(":")[1]
    backend = iam_backends[account][partition]
    role = next((r for r in backend.roles.values() if r.arn == source), None)
    if role is None:
        raise NoSuchEntity(f"The role with ARN {source} cannot be found.")
    policies = _role_policies(backend, role)
    results = [_evaluate(policies, a, r, context) for a in actions for r in resources]
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def apply() -> None:
    IamResponse.simulate_principal_policy = simulate_principal_policy
